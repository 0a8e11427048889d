"""The Record payment and Charge modals' fields, read back from Slack and checked: an error per bad field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot import money
from bot.i18n import format_date, format_money, t
from flows.invoices.payments import ids
from flows.invoices.payments.recording import METHODS, PaymentForm


@dataclass(frozen=True)
class Limits:
    """What a payment may be: at most the balance, on a day between the invoice's and today."""

    currency: str
    balance: int
    today: date
    earliest: date


def _value(values: dict[str, Any], block: str) -> dict[str, Any]:
    found = values.get(block) or {}
    return next(iter(found.values()), {}) if isinstance(found, dict) else {}


def _selected(values: dict[str, Any], block: str) -> str | None:
    option = _value(values, block).get("selected_option") or {}
    return str(option["value"]) if isinstance(option, dict) and option.get("value") else None


def _text(values: dict[str, Any], block: str) -> str:
    return str(_value(values, block).get("value") or "").strip()


def read_amount(values: dict[str, Any], limits: Limits, locale: str, errors: dict[str, str]) -> int | None:
    """ "All of it" is the balance; a part is typed, more than 0 and at most the balance, in the currency's units."""
    how = _selected(values, ids.HOW_BLOCK) or ids.ALL
    typed = _text(values, ids.AMOUNT_BLOCK)
    balance = format_money(limits.balance, limits.currency, locale)
    if limits.balance <= 0:
        errors[ids.HOW_BLOCK] = t(locale, "record.error.nothing_due")
        return None
    if how != ids.PART:
        return limits.balance
    if not typed:
        errors[ids.AMOUNT_BLOCK] = t(locale, "record.error.amount_missing")
        return None
    try:
        amount = money.parse_amount(typed, limits.currency)
    except ValueError:
        key = "record.error.amount_whole" if money.exponent(limits.currency) == 0 else "record.error.amount_format"
        errors[ids.AMOUNT_BLOCK] = t(locale, key, example=format_money(limits.balance, limits.currency, locale))
        return None
    if amount <= 0:
        errors[ids.AMOUNT_BLOCK] = t(locale, "record.error.amount_positive")
        return None
    if amount > limits.balance:
        errors[ids.AMOUNT_BLOCK] = t(locale, "record.error.amount_too_much", balance=balance)
        return None
    return amount


def read_record(values: dict[str, Any], limits: Limits, locale: str) -> tuple[PaymentForm | None, dict[str, str]]:
    """The Record payment modal: method, date, amount, reference."""
    errors: dict[str, str] = {}
    method = _selected(values, ids.METHOD_BLOCK)
    if method not in METHODS:
        errors[ids.METHOD_BLOCK] = t(locale, "record.error.method")
    raw_date = _value(values, ids.DATE_BLOCK).get("selected_date")
    paid_on: date | None = None
    try:
        paid_on = date.fromisoformat(str(raw_date)) if raw_date else None
    except ValueError:
        paid_on = None
    if paid_on is None:
        errors[ids.DATE_BLOCK] = t(locale, "record.error.date_missing")
    elif paid_on > limits.today:
        errors[ids.DATE_BLOCK] = t(locale, "record.error.date_future")
    elif paid_on < limits.earliest:
        errors[ids.DATE_BLOCK] = t(locale, "record.error.date_early", date=format_date(limits.earliest, locale))
    amount = read_amount(values, limits, locale, errors)
    reference = _text(values, ids.REFERENCE_BLOCK)
    if len(reference) > ids.REFERENCE_MAX:
        errors[ids.REFERENCE_BLOCK] = t(locale, "record.error.reference_long", limit=ids.REFERENCE_MAX)
    if errors or amount is None or paid_on is None or method is None:
        return None, errors
    return PaymentForm(method=method, paid_on=paid_on, amount=amount, reference=reference or None), {}


def read_charge(values: dict[str, Any], limits: Limits, locale: str) -> tuple[PaymentForm | None, dict[str, str]]:
    """The Charge modal: the amount only (the card is the client's saved one, the day is today)."""
    errors: dict[str, str] = {}
    amount = read_amount(values, limits, locale, errors)
    if amount is None:
        return None, errors
    return PaymentForm(method="card", paid_on=limits.today, amount=amount, reference=None), {}
