"""The refund modal's fields: an amount within what is left to refund, one of Stripe's reasons, a short note."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot import money
from bot.i18n import format_money, t
from flows.invoices.refunds import ids

# Stripe's credit note reasons (CreditNoteCreateParams.reason), in the order the modal offers them.
REASONS = ("duplicate", "fraudulent", "order_change", "product_unsatisfactory")
NOTE_MAX = 500


@dataclass(frozen=True)
class RefundForm:
    amount: int
    reason: str
    note: str | None


def raw_values(values: dict[str, Any]) -> tuple[str, str, str]:
    """(amount, reason, note) as typed; empty strings for what is missing (the payload comes from outside)."""

    def field(block: str, action: str) -> dict[str, Any]:
        found = (values.get(block) or {}).get(action) or {}
        return found if isinstance(found, dict) else {}

    amount = field(ids.AMOUNT_BLOCK, ids.AMOUNT_ACTION).get("value")
    selected = field(ids.REASON_BLOCK, ids.REASON_ACTION).get("selected_option") or {}
    reason = selected.get("value") if isinstance(selected, dict) else None
    note = field(ids.NOTE_BLOCK, ids.NOTE_ACTION).get("value")
    return (
        amount if isinstance(amount, str) else "",
        reason if isinstance(reason, str) else "",
        note if isinstance(note, str) else "",
    )


def validate(
    values: dict[str, Any], *, currency: str, left: int, locale: str
) -> tuple[RefundForm | None, dict[str, str]]:
    """The form, or the errors by block id (Slack shows them under the fields)."""
    raw_amount, reason, note = raw_values(values)
    errors: dict[str, str] = {}
    amount = _amount(raw_amount, currency=currency, left=left, locale=locale, errors=errors)
    if reason not in REASONS:
        errors[ids.REASON_BLOCK] = t(locale, "refunds.error.reason")
    cleaned_note = note.strip() or None
    if cleaned_note is not None and len(cleaned_note) > NOTE_MAX:
        errors[ids.NOTE_BLOCK] = t(locale, "refunds.error.note_too_long", max=NOTE_MAX)
    if errors or amount is None:
        return None, errors
    return RefundForm(amount=amount, reason=reason, note=cleaned_note), {}


def _amount(raw: str, *, currency: str, left: int, locale: str, errors: dict[str, str]) -> int | None:
    text = raw.strip()
    if not text:
        errors[ids.AMOUNT_BLOCK] = t(locale, "refunds.error.required")
        return None
    try:
        # As the invoice modal reads a price: a comma or a point, spaces between thousands, no rounding.
        amount = money.parse_amount(text, currency)
    except ValueError:
        places = money.exponent(currency)
        if _looks_numeric(text):
            key = "refunds.error.amount_decimals" if places else "refunds.error.amount_no_decimals"
            errors[ids.AMOUNT_BLOCK] = t(locale, key, currency=currency.upper(), places=places)
        else:
            example = typed_amount(left if left > 0 else 10 ** money.exponent(currency), currency, locale)
            errors[ids.AMOUNT_BLOCK] = t(locale, "refunds.error.amount", currency=currency.upper(), example=example)
        return None
    if amount <= 0:
        errors[ids.AMOUNT_BLOCK] = t(locale, "refunds.error.amount_positive")
        return None
    if amount > left:
        errors[ids.AMOUNT_BLOCK] = t(
            locale, "refunds.error.amount_too_large", left=format_money(left, currency, locale)
        )
        return None
    return amount


def typed_amount(amount: int, currency: str, locale: str) -> str:
    """An amount as one types it (``40,00`` in French, ``40.00`` in English, ``500`` yen): the modal's default."""
    text = format(money.to_decimal(amount, currency), "f")
    return text.replace(".", ",") if locale.startswith("fr") else text


def _looks_numeric(text: str) -> bool:
    cleaned = text.replace(" ", "").replace("\u00a0", "").replace("\u202f", "").replace(",", ".").lstrip("-")
    digits = cleaned.replace(".", "", 1)
    return bool(digits) and digits.isascii() and digits.isdigit()
