"""What the user typed → typed settings, or one message per wrong field (keyed by block id, in their language)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from bot import countries, view_state
from bot.i18n import LOCALES, t
from flows.billing_settings import currencies
from flows.billing_settings import ids as f

NAME_MAX = 50  # Stripe's display_name limit, and the column's
DESCRIPTION_MAX = 200
LINE_MAX = 200
CITY_MAX = 100
REGION_MAX = 100
POSTAL_CODE_MAX = 20
PERCENTAGE_PLACES = 4  # the column is Numeric(7, 4); Stripe keeps four decimals too
PERCENTAGE_MAX = Decimal(100)
# ASCII digits only ([0-9], not \d): Decimal would read "٢٠" or "２０" as 20, as typed amounts refuse them.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)")
_USERGROUP_ID = re.compile(r"S[A-Z0-9]{2,31}")

Values = view_state.Values
Errors = dict[str, str]


@dataclass(frozen=True)
class SettingsForm:
    currency: str
    address_line1: str
    address_line2: str | None
    city: str
    region: str | None
    postal_code: str | None
    country: str
    # None: the form had no group field (the user may not change it); "" : nobody; else a usergroup id.
    billing_admin_group: str | None
    # Privacy (None: not in the form, kept as saved). Every member sees client details and balances.
    members_see_client_details: bool | None = None
    # Channel invoice cards show the client's name and the lines, not just initials.
    full_channel_cards: bool | None = None
    # The language of invoice cards, their thread replies and reminder digests in channels (None: not in the form).
    channel_locale: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> SettingsForm:
        return cls(**json.loads(text))


@dataclass(frozen=True)
class RateForm:
    name: str
    percentage: Decimal
    inclusive: bool
    description: str | None
    country: str | None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "percentage": format(self.percentage, "f")}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RateForm:
        return cls(**{**data, "percentage": Decimal(data["percentage"])})

    def digest(self) -> str:
        """Names these exact values: one Stripe idempotency key must never carry two different rates."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:16]


def parse_percentage(text: str) -> Decimal:
    """``"19,6"``, ``"19.6 %"``, ``"7"`` → Decimal; ValueError naming the i18n key of what is wrong."""
    cleaned = text.strip().removesuffix("%").replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
    if not _NUMBER.fullmatch(cleaned):
        raise ValueError("bs.error.percentage_number")
    try:
        value = Decimal(cleaned.replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only plain decimals
        raise ValueError("bs.error.percentage_number") from exc
    if not 0 <= value <= PERCENTAGE_MAX:
        raise ValueError("bs.error.percentage_range")
    if -value.normalize().as_tuple().exponent > PERCENTAGE_PLACES:  # type: ignore[operator]
        raise ValueError("bs.error.percentage_decimals")
    return value.quantize(Decimal(1).scaleb(-PERCENTAGE_PLACES))


def settings_form(values: Values, locale: str, *, group_field: bool) -> tuple[SettingsForm | None, Errors]:
    errors: Errors = {}
    currency = view_state.selected(values, f.CURRENCY)
    if not currency:
        errors[f.CURRENCY] = t(locale, "common.error.required")
    elif not currencies.is_supported(currency):
        errors[f.CURRENCY] = t(locale, "bs.error.unknown_currency")
    line1 = view_state.line(values, f.ADDRESS_LINE1, LINE_MAX, errors, locale, required=True)
    line2 = view_state.line(values, f.ADDRESS_LINE2, LINE_MAX, errors, locale)
    city = view_state.line(values, f.CITY, CITY_MAX, errors, locale, required=True)
    region = view_state.line(values, f.REGION, REGION_MAX, errors, locale)
    postal_code = view_state.line(values, f.POSTAL_CODE, POSTAL_CODE_MAX, errors, locale)
    country = view_state.selected(values, f.COUNTRY)
    if not country:
        errors[f.COUNTRY] = t(locale, "common.error.required")
    elif not countries.is_country(country):
        errors[f.COUNTRY] = t(locale, "bs.error.unknown_country")
    elif f.POSTAL_CODE not in errors:
        if postal_code:
            postal_code = countries.normalise_postal_code(postal_code)
            if not countries.postal_code_ok(country, postal_code):
                example = countries.POSTAL_CODE_EXAMPLES[country]
                name = countries.country_name(country, locale)
                errors[f.POSTAL_CODE] = t(locale, "bs.error.postal_code", country=name, example=example)
        elif countries.postal_code_required(country):
            # Worded as the field reads once this country is chosen (views.postal_code_block).
            name = countries.country_name(country, locale)
            errors[f.POSTAL_CODE] = t(locale, "bs.error.postal_code_required", country=name)
    group: str | None = None
    if group_field:
        group = view_state.selected(values, f.ADMIN_GROUP) or f.NO_GROUP
        if group == f.NO_GROUP:
            group = ""
        elif not _USERGROUP_ID.fullmatch(group):
            errors[f.ADMIN_GROUP] = t(locale, "bs.error.unknown_group")
    members = _choice(values, f.CLIENT_DETAILS, {f.ADMINS_ONLY: False, f.MEMBERS: True}, errors, locale)
    full_cards = _choice(values, f.CHANNEL_CARDS, {f.INITIALS: False, f.FULL_CARDS: True}, errors, locale)
    channel_locale: str | None = None
    if f.CHANNEL_LANGUAGE in values:
        channel_locale = view_state.selected(values, f.CHANNEL_LANGUAGE)
        if channel_locale not in LOCALES:
            errors[f.CHANNEL_LANGUAGE] = t(locale, "common.error.required")
    if errors:
        return None, errors
    assert currency and line1 and city and country
    form = SettingsForm(
        currency, line1, line2, city, region, postal_code, country, group, members, full_cards, channel_locale
    )
    return form, {}


def _choice(values: Values, block_id: str, meanings: dict[str, bool], errors: Errors, locale: str) -> bool | None:
    """A privacy radio's meaning; None when the form has no such block; an error for a value we never offered."""
    if block_id not in values:
        return None
    chosen = view_state.selected(values, block_id)
    if chosen not in meanings:
        errors[block_id] = t(locale, "common.error.required")
        return None
    return meanings[chosen]


def rate_form(values: Values, locale: str) -> tuple[RateForm | None, Errors]:
    errors: Errors = {}
    name = view_state.line(values, f.RATE_NAME, NAME_MAX, errors, locale, required=True)
    percentage: Decimal | None = None
    raw = view_state.text(values, f.RATE_PERCENTAGE)
    if not raw:
        errors[f.RATE_PERCENTAGE] = t(locale, "common.error.required")
    else:
        try:
            percentage = parse_percentage(raw)
        except ValueError as exc:
            errors[f.RATE_PERCENTAGE] = t(locale, str(exc))
    inclusive = view_state.selected(values, f.RATE_INCLUSIVE) or "exclusive"
    if inclusive not in ("inclusive", "exclusive"):
        errors[f.RATE_INCLUSIVE] = t(locale, "common.error.required")
    description = view_state.line(values, f.RATE_DESCRIPTION, DESCRIPTION_MAX, errors, locale)
    country = view_state.selected(values, f.RATE_COUNTRY)
    if country and not countries.is_country(country):
        errors[f.RATE_COUNTRY] = t(locale, "bs.error.unknown_country")
    if errors:
        return None, errors
    assert name and percentage is not None
    return RateForm(name, percentage, inclusive == "inclusive", description, country or None), {}


def settings_from_json(text: str, locale: str) -> SettingsForm | None:
    """A form we put in a view's metadata (for Retry), checked again: the payload comes back from outside."""
    try:
        data = json.loads(text)
        values = {
            name: {name: _as_value(data.get(name), name in (f.CURRENCY, f.COUNTRY, f.ADMIN_GROUP))}
            for name in (f.CURRENCY, f.ADDRESS_LINE1, f.ADDRESS_LINE2, f.CITY, f.REGION, f.POSTAL_CODE, f.COUNTRY)
        }
        group = data.get("billing_admin_group")
        if group is not None:
            values[f.ADMIN_GROUP] = {f.ADMIN_GROUP: _as_value(group or f.NO_GROUP, True)}
        for block_id, name, yes, no in (
            (f.CLIENT_DETAILS, "members_see_client_details", f.MEMBERS, f.ADMINS_ONLY),
            (f.CHANNEL_CARDS, "full_channel_cards", f.FULL_CARDS, f.INITIALS),
        ):
            if isinstance(data.get(name), bool):
                values[block_id] = {block_id: _as_value(yes if data[name] else no, True)}
        if data.get("channel_locale") is not None:
            values[f.CHANNEL_LANGUAGE] = {f.CHANNEL_LANGUAGE: _as_value(data["channel_locale"], True)}
    except (ValueError, AttributeError, TypeError):
        return None
    form, _ = settings_form(values, locale, group_field=group is not None)
    return form


def rate_from_dict(data: Any, locale: str) -> RateForm | None:
    """A rate we put in a Retry button's value, checked again for the same reason."""
    if not isinstance(data, dict):
        return None
    inclusive = "inclusive" if data.get("inclusive") is True else "exclusive"
    values = {
        f.RATE_NAME: {f.RATE_NAME: _as_value(data.get("name"), False)},
        f.RATE_PERCENTAGE: {f.RATE_PERCENTAGE: _as_value(data.get("percentage"), False)},
        f.RATE_INCLUSIVE: {f.RATE_INCLUSIVE: _as_value(inclusive, True)},
        f.RATE_DESCRIPTION: {f.RATE_DESCRIPTION: _as_value(data.get("description"), False)},
        f.RATE_COUNTRY: {f.RATE_COUNTRY: _as_value(data.get("country"), True)},
    }
    form, _ = rate_form(values, locale)
    return form


def _as_value(value: Any, select: bool) -> dict[str, Any]:
    text = value if isinstance(value, str) else None
    if select:
        return {"type": "static_select", "selected_option": {"value": text} if text else None}
    return {"type": "plain_text_input", "value": text}
