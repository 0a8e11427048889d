"""What the user typed in the client, session and service modals → typed forms, or one message per wrong
field keyed by block id (response_action: errors), in the user's language. Pure: no database, no Slack.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from bot import countries, money, view_state
from bot.i18n import format_money, t
from bot.typed_numbers import whole_number
from flows.clients import ids as f

NAME_MAX = 200
EMAIL_MAX = 254
PHONE_MAX = 40
LINE_MAX = 200
CITY_MAX = 100
REGION_MAX = 100
POSTAL_CODE_MAX = 20
SERVICE_NAME_MAX = 100
NOTES_MAX = 3000
DURATION_MAX = 24 * 60
# Stripe refuses amounts above eight digits of the minor unit (999,999.99 for EUR).
PRICE_MAX = 99_999_999
EARLIEST_SESSION = date(1900, 1, 1)

# Deliberately loose: one address with an @ and a dotted domain, no spaces. Stripe and the mail server
# have the last word; this catches typos such as a missing @ or a space.
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
_PHONE = re.compile(r"[0-9 +\-().]+")

Values = view_state.Values
Errors = dict[str, str]


@dataclass(frozen=True)
class ClientForm:
    name: str
    email: str | None
    phone: str | None
    address_line1: str | None
    address_line2: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    country: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SessionForm:
    held_on: date
    service_id: int
    duration_minutes: int | None
    notes: str | None


@dataclass(frozen=True)
class ServiceForm:
    name: str
    unit_amount: int
    tax_rate_id: int | None


def client_form(values: Values, locale: str) -> tuple[ClientForm | None, Errors]:
    errors: Errors = {}
    name = view_state.line(values, f.NAME, NAME_MAX, errors, locale, required=True)
    email = view_state.line(values, f.EMAIL, EMAIL_MAX, errors, locale)
    if email and f.EMAIL not in errors and not _EMAIL.fullmatch(email):
        errors[f.EMAIL] = t(locale, "client.error.email")
    phone = view_state.line(values, f.PHONE, PHONE_MAX, errors, locale)
    if phone and f.PHONE not in errors and (not _PHONE.fullmatch(phone) or sum(c.isdigit() for c in phone) < 4):
        errors[f.PHONE] = t(locale, "client.error.phone")
    line1 = view_state.line(values, f.ADDRESS_LINE1, LINE_MAX, errors, locale)
    line2 = view_state.line(values, f.ADDRESS_LINE2, LINE_MAX, errors, locale)
    city = view_state.line(values, f.CITY, CITY_MAX, errors, locale)
    region = view_state.line(values, f.REGION, REGION_MAX, errors, locale)
    postal_code = view_state.line(values, f.POSTAL_CODE, POSTAL_CODE_MAX, errors, locale)
    country = view_state.selected(values, f.COUNTRY)
    # The address is optional as a whole; once started, it must be one Stripe and a letter can use.
    if any((line1, line2, city, region, postal_code, country)):
        for block_id, given in ((f.ADDRESS_LINE1, line1), (f.CITY, city), (f.COUNTRY, country)):
            if not given and block_id not in errors:
                errors[block_id] = t(locale, "client.error.address_incomplete")
    if country and not countries.is_country(country):
        errors[f.COUNTRY] = t(locale, "client.error.unknown_country")
    elif country and f.POSTAL_CODE not in errors:
        if postal_code:
            postal_code = countries.normalise_postal_code(postal_code)
            if not countries.postal_code_ok(country, postal_code):
                errors[f.POSTAL_CODE] = t(
                    locale,
                    "client.error.postal_code",
                    country=countries.country_name(country, locale),
                    example=countries.POSTAL_CODE_EXAMPLES[country],
                )
        elif countries.postal_code_required(country):
            # Worded as the field's label reads once this country is chosen (flows.clients.views).
            name = countries.country_name(country, locale)
            errors[f.POSTAL_CODE] = t(locale, "client.error.postal_code_required", country=name)
    if errors:
        return None, errors
    assert name
    return ClientForm(name, email, phone, line1, line2, city, region, postal_code, country), {}


def session_form(
    values: Values, locale: str, *, service_ids: set[int], today: date
) -> tuple[SessionForm | None, Errors]:
    errors: Errors = {}
    held_on: date | None = None
    raw_date = view_state.element(values, f.SESSION_DATE).get("selected_date")
    if not isinstance(raw_date, str) or not raw_date:
        errors[f.SESSION_DATE] = t(locale, "common.error.required")
    else:
        try:
            held_on = date.fromisoformat(raw_date)
        except ValueError:
            errors[f.SESSION_DATE] = t(locale, "client.error.date")
        else:
            # A year ahead allows booking recurring sessions; further is most likely a typo.
            if not EARLIEST_SESSION <= held_on <= today + timedelta(days=366):
                errors[f.SESSION_DATE] = t(locale, "client.error.date")
    service_id = whole_number(view_state.selected(values, f.SESSION_SERVICE))
    if service_id is None:
        errors[f.SESSION_SERVICE] = t(locale, "common.error.required")
    elif service_id not in service_ids:
        errors[f.SESSION_SERVICE] = t(locale, "client.error.service_gone")
    duration: int | None = None
    raw_duration = view_state.text(values, f.SESSION_DURATION)
    if raw_duration:
        duration = whole_number(raw_duration, minimum=1, maximum=DURATION_MAX)
        if duration is None:
            errors[f.SESSION_DURATION] = t(locale, "client.error.duration", max=DURATION_MAX)
    raw_notes = view_state.text(values, f.SESSION_NOTES)
    if len(raw_notes) > NOTES_MAX:
        errors[f.SESSION_NOTES] = t(locale, "common.error.too_long", limit=NOTES_MAX, length=len(raw_notes))
    if errors:
        return None, errors
    assert held_on is not None and service_id is not None
    return SessionForm(held_on, service_id, duration, raw_notes or None), {}


def service_form(
    values: Values, locale: str, *, currency: str, tax_rate_ids: set[int]
) -> tuple[ServiceForm | None, Errors]:
    errors: Errors = {}
    name = view_state.line(values, f.SERVICE_NAME, SERVICE_NAME_MAX, errors, locale, required=True)
    amount = 0
    raw_price = view_state.text(values, f.SERVICE_PRICE)
    if not raw_price:
        errors[f.SERVICE_PRICE] = t(locale, "common.error.required")
    else:
        try:
            amount = money.parse_amount(raw_price, currency)
        except ValueError:
            example = format_money(120 * 10 ** money.exponent(currency), currency, locale)
            errors[f.SERVICE_PRICE] = t(locale, "services.error.price", example=example)
        else:
            if amount <= 0:
                errors[f.SERVICE_PRICE] = t(locale, "services.error.price_positive")
            elif amount > PRICE_MAX:
                errors[f.SERVICE_PRICE] = t(
                    locale, "services.error.price_too_large", max=format_money(PRICE_MAX, currency, locale)
                )
    tax = view_state.selected(values, f.SERVICE_TAX_RATE) or f.NO_TAX
    tax_rate_id: int | None = None
    if tax != f.NO_TAX:
        tax_rate_id = whole_number(tax)
        if tax_rate_id is None or tax_rate_id not in tax_rate_ids:
            errors[f.SERVICE_TAX_RATE] = t(locale, "services.error.tax_rate_gone")
    if errors:
        return None, errors
    assert name
    return ServiceForm(name, amount, tax_rate_id), {}


# The languages a client can be written to in (Billbot's and Stripe's emails and pages): Stripe's locale codes.
LANGUAGES = ("en", "fr")


def edit_form(values: Values, locale: str) -> tuple[tuple[ClientForm, str] | None, Errors]:
    """The edit modal: the new client modal's fields, with the same rules, and the client's language."""
    form, errors = client_form(values, locale)
    language = view_state.selected(values, f.LANGUAGE)
    if language not in LANGUAGES:
        errors = {**errors, f.LANGUAGE: t(locale, "common.error.required")}
    if form is None or errors:
        return None, errors
    assert language is not None
    return (form, language), {}


def typed_name_matches(values: Values, name: str) -> bool:
    """The forget confirmation: the client's name typed exactly (spaces at the ends and doubled ones aside)."""
    typed = " ".join(view_state.text(values, f.FORGET_NAME).split())
    return bool(typed) and typed == " ".join(name.split())
