"""Block Kit for billing settings: the settings modal, the tax rate modal, and the notices after a save.

Pure functions of what they are given. Currencies and countries are static selects with option groups
(by initial letter): Slack filters a static select as the user types, so the lists are searchable without
an options load URL, and no keystroke waits on a round trip to us.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from babel.numbers import format_decimal

from bot import blocks, countries
from bot.blocks import Block, Element
from bot.i18n import LOCALES, format_percent, names_percentage, plural, sort_key, t, tax_rate_label
from bot.models import BillingSettings, TaxRate
from bot.slack_users import Usergroup as Group
from flows.billing_settings import currencies
from flows.billing_settings import ids as f
from flows.billing_settings.validation import (
    CITY_MAX,
    DESCRIPTION_MAX,
    LINE_MAX,
    NAME_MAX,
    POSTAL_CODE_MAX,
    REGION_MAX,
    RateForm,
    SettingsForm,
)

# The services catalogue's button, handled by flows.invoices (the catalogue belongs to invoicing).
SERVICES_OPEN_ACTION = "services_open"

# The modal stays well under Slack's 100 blocks; a practice with more active rates than this sees the first ones.
RATES_SHOWN = 40


@dataclass(frozen=True)
class Banner:
    """A line at the top of the tax rates section: what the last rate change did, or why it failed."""

    text: str
    retry_value: str | None = None


@dataclass(frozen=True)
class SettingsPage:
    locale: str
    settings: BillingSettings | None
    rates: list[TaxRate]
    default_currency: str
    has_stripe_account: bool
    # None: the user may not change the group (not a workspace admin); else the workspace's groups.
    groups: list[Group] | None
    current_group: Group | None = None
    banner: Banner | None = None
    channel_locale: str = "en"  # the workspace's language (bot.slack_users.workspace_locale)


def rate_line(rate: TaxRate | RateForm, locale: str) -> str:
    parts = [f"*{rate.name}*"]
    if not names_percentage(rate.name, rate.percentage):
        parts.append(format_percent(rate.percentage, locale))
    parts.append(t(locale, "bs.rate.inclusive" if rate.inclusive else "bs.rate.exclusive"))
    if rate.country:
        parts.append(countries.country_name(rate.country, locale))
    line = " · ".join(parts)
    return f"{line}\n_{rate.description}_" if rate.description else line


def settings_modal(page: SettingsPage) -> dict[str, Any]:
    locale, saved = page.locale, page.settings
    result: list[Block] = [blocks.header(t(locale, "bs.section.currency"))]
    currency = saved.currency if saved else page.default_currency
    result.append(
        blocks.input_block(
            t(locale, "bs.currency"),
            blocks.grouped_select(
                f.CURRENCY, _currency_options(locale), currency, t(locale, "bs.currency.placeholder")
            ),
            block_id=f.CURRENCY,
            hint=t(locale, "bs.currency.hint"),
        )
    )
    result.extend(_rate_blocks(page))
    result.extend(_services_blocks(locale))
    result.append(blocks.header(t(locale, "bs.section.address")))
    result.extend(
        [
            _text_input(locale, f.ADDRESS_LINE1, "bs.address.line1", saved.address_line1 if saved else None, LINE_MAX),
            _text_input(
                locale, f.ADDRESS_LINE2, "bs.address.line2", saved.address_line2 if saved else None, LINE_MAX, True
            ),
            _text_input(locale, f.CITY, "bs.address.city", saved.city if saved else None, CITY_MAX),
            _text_input(locale, f.REGION, "bs.address.region", saved.region if saved else None, REGION_MAX, True),
            postal_code_block(locale, saved.country if saved else None, saved.postal_code if saved else None),
            # Choosing a country redraws the postal code's label (listeners.country_chosen).
            blocks.dispatching(
                blocks.input_block(
                    t(locale, "bs.address.country"),
                    blocks.grouped_select(
                        f.COUNTRY,
                        countries.country_options(locale),
                        saved.country if saved else None,
                        t(locale, "bs.country.placeholder"),
                    ),
                    block_id=f.COUNTRY,
                )
            ),
        ]
    )
    result.extend(_group_blocks(page))
    result.append(_language_block(page))
    result.extend(_privacy_blocks(page))
    return blocks.modal(
        t(locale, "bs.title"),
        result,
        callback_id=f.SETTINGS_CALLBACK,
        close=t(locale, "bs.cancel"),
        submit=t(locale, "bs.save"),
    )


def _rate_blocks(page: SettingsPage) -> list[Block]:
    locale = page.locale
    result: list[Block] = [blocks.header(t(locale, "bs.section.rates"))]
    if page.banner is not None:
        retry = None
        if page.banner.retry_value is not None:
            retry = blocks.button(t(locale, "bs.retry"), f.RETRY_RATE_ACTION, value=page.banner.retry_value)
        result.append(blocks.section(page.banner.text, accessory=retry, block_id="rates_banner"))
    if not page.rates:
        result.append(blocks.context(t(locale, "bs.rates.none")))
    for rate in page.rates[:RATES_SHOWN]:
        text = rate_line(rate, locale)
        if rate.stripe_tax_rate_id is None:
            key = "bs.rate.pending_stripe" if page.has_stripe_account else "bs.rate.local_only"
            text += "\n" + t(locale, key)
        edit = blocks.button(t(locale, "bs.rate.edit"), f.EDIT_RATE_ACTION, value=str(rate.id))
        result.append(blocks.section(text, accessory=edit, block_id=f"rate_{rate.id}"))
    result.append(
        blocks.actions(blocks.button(t(locale, "bs.rate.add"), f.ADD_RATE_ACTION, value="add"), block_id="rates_add")
    )
    return result


def _services_blocks(locale: str) -> list[Block]:
    """The way to the services catalogue (flows/invoices registers the button and pushes its modal)."""
    button = blocks.button(t(locale, "services.open"), SERVICES_OPEN_ACTION, value="open")
    return [
        blocks.header(t(locale, "services.title")),
        blocks.section(t(locale, "services.open.hint"), accessory=button, block_id="services_open"),
    ]


def _group_blocks(page: SettingsPage) -> list[Block]:
    locale = page.locale
    result: list[Block] = [blocks.header(t(locale, "bs.section.admins"))]
    if page.groups is None:
        name = f"@{page.current_group.handle}" if page.current_group else t(locale, "bs.group.nobody")
        result.append(blocks.context(t(locale, "bs.group.readonly", group=name)))
        return result
    if not page.groups:
        result.append(blocks.context(t(locale, "bs.group.none_in_workspace")))
        return result
    nobody = blocks.option(t(locale, "bs.group.nobody"), f.NO_GROUP)
    options = [nobody] + [blocks.option(f"@{g.handle} ({g.name})", g.id) for g in page.groups[:99]]
    current = page.settings.billing_admin_group if page.settings else None
    initial = next((o for o in options if o["value"] == current), nobody)
    result.append(
        blocks.input_block(
            t(locale, "bs.group"),
            blocks.static_select(f.ADMIN_GROUP, options=options, initial_option=initial),
            block_id=f.ADMIN_GROUP,
            optional=True,
            hint=t(locale, "bs.group.hint"),
        )
    )
    return result


def _language_block(page: SettingsPage) -> Block:
    """What everyone in a channel reads (invoice cards, their replies, reminder digests) is in one language, the
    workspace's; what Billbot tells one member alone stays in that member's own Slack language."""
    locale = page.locale
    options = [blocks.option(t(locale, f"bs.language.{code}"), code) for code in LOCALES]
    initial = next((o for o in options if o["value"] == page.channel_locale), options[0])
    return blocks.input_block(
        t(locale, "bs.language"),
        blocks.static_select(f.CHANNEL_LANGUAGE, options=options, initial_option=initial),
        block_id=f.CHANNEL_LANGUAGE,
        hint=t(locale, "bs.language.hint"),
    )


def _privacy_blocks(page: SettingsPage) -> list[Block]:
    """Who sees client details, and what channel cards show: the private choice first, and why it is the default."""
    locale, saved = page.locale, page.settings
    return [
        blocks.header(t(locale, "privacy.settings.section")),
        blocks.context(t(locale, "privacy.settings.why")),
        _privacy_radio(
            locale,
            f.CLIENT_DETAILS,
            "privacy.settings.details",
            (f.ADMINS_ONLY, f.MEMBERS),
            widened=bool(saved and saved.members_see_client_details),
        ),
        _privacy_radio(
            locale,
            f.CHANNEL_CARDS,
            "privacy.settings.cards",
            (f.INITIALS, f.FULL_CARDS),
            widened=bool(saved and saved.full_channel_cards),
        ),
    ]


def _privacy_radio(locale: str, block_id: str, key: str, choices: tuple[str, str], *, widened: bool) -> Block:
    """Two radio buttons, ``choices`` = (the private one, the wider one); labels are ``{key}.{choice}``."""
    options = [blocks.option(t(locale, f"{key}.{choice}"), choice) for choice in choices]
    return blocks.input_block(
        t(locale, key),
        blocks.radio_buttons(block_id, options, initial_option=options[1] if widened else options[0]),
        block_id=block_id,
        hint=t(locale, f"{key}.hint"),
    )


def rate_modal(locale: str, *, parent_view_id: str, rate: TaxRate | None) -> dict[str, Any]:
    inclusive = blocks.option(t(locale, "bs.rate.inclusive.option"), "inclusive")
    exclusive = blocks.option(t(locale, "bs.rate.exclusive.option"), "exclusive")
    country_options = countries.country_options(locale)
    result: list[Block] = [
        _text_input(
            locale, f.RATE_NAME, "bs.rate.name", rate.name if rate else None, NAME_MAX, placeholder="bs.rate.name.ph"
        ),
        _text_input(
            locale,
            f.RATE_PERCENTAGE,
            "bs.rate.percentage",
            format_decimal(rate.percentage, format="0.####", locale=locale) if rate else None,
            12,
            placeholder="bs.rate.percentage.ph",
        ),
        blocks.input_block(
            t(locale, "bs.rate.kind"),
            blocks.radio_buttons(
                f.RATE_INCLUSIVE,
                [exclusive, inclusive],
                initial_option=inclusive if rate and rate.inclusive else exclusive,
            ),
            block_id=f.RATE_INCLUSIVE,
        ),
        _text_input(
            locale, f.RATE_DESCRIPTION, "bs.rate.description", rate.description if rate else None, DESCRIPTION_MAX, True
        ),
        blocks.input_block(
            t(locale, "bs.rate.country"),
            blocks.grouped_select(
                f.RATE_COUNTRY, country_options, rate.country if rate else None, t(locale, "bs.country.placeholder")
            ),
            block_id=f.RATE_COUNTRY,
            optional=True,
        ),
    ]
    if rate is not None:
        result.append(blocks.context(t(locale, "bs.rate.edit_note")))
        archive = blocks.button(t(locale, "bs.rate.archive"), f.ARCHIVE_RATE_ACTION, value=str(rate.id), style="danger")
        archive["confirm"] = blocks.confirm(
            t(locale, "bs.rate.archive.confirm_title"),
            t(locale, "bs.rate.archive.confirm_text", name=rate.name),
            yes=t(locale, "bs.rate.archive"),
            no=t(locale, "bs.cancel"),
            danger=True,
        )
        result.append(blocks.actions(archive, block_id="rate_archive"))
    metadata = json.dumps({"parent": parent_view_id, "rate": rate.id if rate else None})
    return blocks.modal(
        t(locale, "bs.rate.title_edit" if rate else "bs.rate.title_new"),
        result,
        callback_id=f.RATE_CALLBACK,
        close=t(locale, "bs.back"),
        submit=t(locale, "bs.save"),
        private_metadata=metadata,
    )


def notice_modal(
    locale: str, text: str, *, retry_action: str | None = None, retry_value: str = "retry", metadata: str = ""
) -> dict[str, Any]:
    """What replaces a modal while and after it is saved: a status line, and a Retry button when it failed."""
    retry = None
    if retry_action is not None:
        retry = blocks.button(t(locale, "bs.retry"), retry_action, value=retry_value, style="primary")
    return blocks.notice_modal(
        t(locale, "bs.title"),
        text,
        callback_id=f.NOTICE_CALLBACK,
        close=t(locale, "common.close"),
        retry=retry,
        private_metadata=metadata,
    )


def saved_modal(
    locale: str, form: SettingsForm, rates: list[TaxRate], priced_otherwise: dict[str, int]
) -> dict[str, Any]:
    """After Save: what was saved; and when services have no price in the currency (prices are per currency,
    never converted), how many and a button to the catalogue where their prices are set."""
    text = saved_text(locale, form, rates)
    if not priced_otherwise:
        return notice_modal(locale, text)
    count = sum(priced_otherwise.values())
    old = ", ".join(sorted(code.upper() for code in priced_otherwise))
    text += "\n\n" + plural(locale, "bs.saved.priced_otherwise", count, old=old, new=form.currency.upper())
    services = blocks.button(t(locale, "services.open"), SERVICES_OPEN_ACTION, value="open", style="primary")
    return blocks.notice_modal(
        t(locale, "bs.title"), text, callback_id=f.NOTICE_CALLBACK, close=t(locale, "common.close"), retry=services
    )


def saved_text(locale: str, form: SettingsForm, rates: list[TaxRate]) -> str:
    address = ", ".join(
        part
        for part in (
            form.address_line1,
            form.address_line2,
            " ".join(p for p in (form.postal_code, form.city) if p),
            form.region,
            countries.country_name(form.country, locale),
        )
        if part
    )
    lines = [
        t(locale, "bs.saved"),
        t(locale, "bs.saved.currency", currency=currencies.label(form.currency, locale)),
        t(locale, "bs.saved.address", address=address),
    ]
    if rates:
        lines.append(
            t(
                locale,
                "bs.saved.rates",
                rates=", ".join(tax_rate_label(r.name, r.percentage, locale) for r in rates),
            )
        )
    if form.members_see_client_details is not None:
        lines.append(t(locale, f"privacy.saved.details.{'members' if form.members_see_client_details else 'admins'}"))
    if form.full_channel_cards is not None:
        lines.append(t(locale, f"privacy.saved.cards.{'full' if form.full_channel_cards else 'initials'}"))
    if form.channel_locale is not None:
        lines.append(t(locale, "bs.saved.language", language=t(locale, f"bs.language.{form.channel_locale}")))
    return "\n".join(lines)


# -- helpers ----------------------------------------------------------------------------------------------


def postal_code_block(locale: str, country: str | None, initial: str | None = None) -> Block:
    """The practice's postal code: required, with a hint saying why, in a country whose addresses need one
    (bot.countries.POSTAL_CODE_REQUIRED), optional elsewhere; the form's rule is the same."""
    required = countries.postal_code_required(country)
    hint = None
    if required and country:
        hint = t(locale, "bs.address.postal_code.required", country=countries.country_name(country, locale))
    return blocks.text_field(
        t(locale, "bs.address.postal_code"),
        f.POSTAL_CODE,
        max_length=POSTAL_CODE_MAX,
        initial=initial,
        optional=not required,
        hint=hint,
    )


def with_country(view: dict[str, Any], locale: str, country: str | None) -> dict[str, Any]:
    """The settings modal as shown, its postal code redrawn for ``country``; every block keeps its id, so Slack
    keeps what was typed in each."""
    redrawn = [
        postal_code_block(locale, country) if block.get("block_id") == f.POSTAL_CODE else block
        for block in view.get("blocks", [])
    ]
    kept = ("type", "title", "close", "submit", "callback_id", "private_metadata")
    return {**{key: view[key] for key in kept if key in view}, "blocks": redrawn}


def _text_input(
    locale: str,
    block_id: str,
    label_key: str,
    initial: str | None,
    max_length: int,
    optional: bool = False,
    *,
    placeholder: str | None = None,
) -> Block:
    return blocks.text_field(
        t(locale, label_key),
        block_id,
        max_length=max_length,
        initial=initial,
        optional=optional,
        placeholder=t(locale, placeholder) if placeholder else None,
    )


def _currency_options(locale: str) -> list[Element]:
    labelled = [(currencies.label(code, locale), code) for code in currencies.STRIPE_CURRENCIES]
    return [blocks.option(text, code) for text, code in sorted(labelled, key=lambda p: sort_key(p[0]))]
