"""Block Kit for the services catalogue: one modal, pushed from the billing settings modal, that shows the
list or the form for one service in turn (views.update), so the modal stack never grows past Slack's three
views even when billing settings were themselves pushed from the checklist.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot import blocks, money
from bot.blocks import Block, Element, escape_mrkdwn
from bot.i18n import format_money, t, tax_rate_label
from bot.models import Service, TaxRate
from flows.clients import ids as f
from flows.clients.validation import SERVICE_NAME_MAX

# Each service is one block; the rest of the modal takes a handful. Slack allows 100 blocks in a view.
SERVICES_SHOWN = 80
RATES_IN_SELECT = 99  # plus "No tax"


@dataclass(frozen=True)
class CatalogPage:
    locale: str
    currency: str | None  # None: billing settings not saved yet
    services: list[Service]
    rates: list[TaxRate]
    may_edit: bool
    banner: str | None = None


def rate_label(rate: TaxRate, locale: str) -> str:
    kind = t(locale, "services.tax.inclusive" if rate.inclusive else "services.tax.exclusive")
    return f"{tax_rate_label(rate.name, rate.percentage, locale)} ({kind})"


def service_line(service: Service, rates: dict[int, TaxRate], locale: str, currency: str | None = None) -> str:
    """``currency``: the practice's; a service still priced in another one says it has no price in it yet."""
    price = format_money(service.unit_amount, service.currency, locale)
    if currency and service.currency.lower() != currency.lower():
        price += " · " + t(locale, "services.no_price_yet", currency=currency.upper())
    rate = rates.get(service.tax_rate_id) if service.tax_rate_id is not None else None
    tax = rate_label(rate, locale) if rate is not None else t(locale, "services.tax.none")
    return f"*{escape_mrkdwn(service.name)}*\n{price} · {tax}"


def catalog_view(page: CatalogPage) -> dict[str, Any]:
    locale = page.locale
    content: list[Block] = []
    if page.banner:
        content.append(blocks.section(page.banner, block_id="services_banner"))
    if page.currency is None:
        content.append(blocks.section(t(locale, "services.no_settings"), block_id="services_no_settings"))
        return _modal(locale, content, submit=False)
    if not page.may_edit:
        content.append(blocks.context(t(locale, "services.read_only")))
    if not page.services:
        content.append(blocks.section(t(locale, "services.none"), block_id="services_none"))
    rates = {rate.id: rate for rate in page.rates if rate.id is not None}
    for service in page.services[:SERVICES_SHOWN]:
        edit = None
        if page.may_edit:
            edit = blocks.button(t(locale, "services.edit"), f.SERVICE_EDIT_ACTION, value=str(service.id))
        content.append(
            blocks.section(
                service_line(service, rates, locale, page.currency), accessory=edit, block_id=f"svc_{service.id}"
            )
        )
    if len(page.services) > SERVICES_SHOWN:
        content.append(blocks.context(t(locale, "services.more", shown=SERVICES_SHOWN, total=len(page.services))))
    if page.may_edit:
        add = blocks.button(t(locale, "services.add"), f.SERVICE_ADD_ACTION, value="add", style="primary")
        content.append(blocks.actions(add, block_id="services_add"))
    content.append(blocks.context(t(locale, "services.hint")))
    return _modal(locale, content, submit=False)


def service_form_view(locale: str, *, currency: str, rates: list[TaxRate], service: Service | None) -> dict[str, Any]:
    no_tax = blocks.option(t(locale, "services.tax.none"), f.NO_TAX)
    options: list[Element] = [no_tax] + [
        blocks.option(rate_label(rate, locale), str(rate.id)) for rate in rates[:RATES_IN_SELECT] if rate.id is not None
    ]
    initial = no_tax
    if service is not None and service.tax_rate_id is not None:
        initial = next((o for o in options if o["value"] == str(service.tax_rate_id)), no_tax)
    price = None
    # A price in another currency (the practice changed its own) is not offered as this one's: typed anew.
    if service is not None and service.currency.lower() == currency.lower():
        # The number as the user would type it back: "120.00", "120,00" in French, "500" (JPY), no symbol.
        price = format(money.to_decimal(service.unit_amount, currency), "f")
        if locale == "fr":
            price = price.replace(".", ",")
    content: list[Block] = [
        blocks.input_block(
            t(locale, "services.field.name"),
            blocks.plain_text_input(
                f.SERVICE_NAME,
                initial_value=service.name if service else None,
                max_length=SERVICE_NAME_MAX,
                placeholder=t(locale, "services.field.name.placeholder"),
            ),
            block_id=f.SERVICE_NAME,
        ),
        blocks.input_block(
            t(locale, "services.field.price", currency=currency.upper()),
            blocks.plain_text_input(f.SERVICE_PRICE, initial_value=price, max_length=20),
            block_id=f.SERVICE_PRICE,
            hint=t(locale, "services.field.price.hint"),
        ),
        blocks.input_block(
            t(locale, "services.field.tax"),
            blocks.static_select(f.SERVICE_TAX_RATE, options=options, initial_option=initial),
            block_id=f.SERVICE_TAX_RATE,
        ),
    ]
    if service is not None:
        content.append(blocks.context(t(locale, "services.edit_note")))
    buttons: list[Element] = [blocks.button(t(locale, "services.back"), f.SERVICES_BACK_ACTION, value="back")]
    if service is not None:
        archive = blocks.button(
            t(locale, "services.archive"), f.SERVICE_ARCHIVE_ACTION, value=str(service.id), style="danger"
        )
        archive["confirm"] = blocks.confirm(
            t(locale, "services.archive.confirm_title"),
            t(locale, "services.archive.confirm_text", name=service.name),
            yes=t(locale, "services.archive"),
            no=t(locale, "services.cancel"),
            danger=True,
        )
        buttons.append(archive)
    content.append(blocks.actions(*buttons, block_id="service_form_actions"))
    metadata = json.dumps({"service": service.id if service else None})
    return blocks.modal(
        t(locale, "services.title_edit" if service else "services.title_new"),
        content,
        callback_id=f.SERVICES_FORM_CALLBACK,
        close=t(locale, "services.close"),
        submit=t(locale, "services.save"),
        private_metadata=metadata,
    )


def saving_view(locale: str) -> dict[str, Any]:
    return _modal(locale, [blocks.section(t(locale, "services.saving"), block_id="services_saving")], submit=False)


def _modal(locale: str, content: list[Block], *, submit: bool) -> dict[str, Any]:
    return blocks.modal(
        t(locale, "services.title"),
        content,
        callback_id=f.SERVICES_CALLBACK,
        close=t(locale, "services.close"),
        submit=t(locale, "services.save") if submit else None,
    )
