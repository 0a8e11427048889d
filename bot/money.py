"""Money as integers of the currency's minor unit, as Stripe counts it. Never floats."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# Stripe's zero-decimal currencies: an amount of 500 JPY is sent to Stripe as 500, not 50000.
ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)
# ASCII digits only: \d and Decimal also take "٣" or "１２", which would be stored as 3 or 12.
_PLAIN_AMOUNT = re.compile(r"-?[0-9]+(\.[0-9]*)?|-?\.[0-9]+")

# Stripe's three-decimal currencies.
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


def exponent(currency: str) -> int:
    """How many decimal places one unit of ``currency`` has in Stripe's amounts."""
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def to_decimal(amount_minor: int, currency: str) -> Decimal:
    """The amount in major units, exactly (for display only: arithmetic stays in minor units)."""
    return Decimal(amount_minor).scaleb(-exponent(currency))


def parse_amount(text: str, currency: str) -> int:
    """A typed amount ("1 234,50", "1234.5", "500") to minor units; ValueError when it is not a plain amount.

    Accepts a comma or a point as the decimal separator and spaces as thousands separators, as French
    and English users type them; refuses more decimals than the currency has rather than rounding money.
    """
    cleaned = text.strip().replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    # Plain digits only: Decimal would also take "1e3", "+5" or "1_000", which nobody types as a price.
    if not _PLAIN_AMOUNT.fullmatch(cleaned):
        raise ValueError(f"not an amount: {text!r}")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {text!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not an amount: {text!r}")
    places = exponent(currency)
    scaled = value.scaleb(places)
    if scaled != scaled.to_integral_value(rounding=ROUND_HALF_UP):
        raise ValueError(f"{text!r} has more decimals than {currency.upper()} allows")
    return int(scaled)
