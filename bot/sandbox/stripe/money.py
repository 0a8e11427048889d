"""Currency facts and Stripe's tax arithmetic.

Amounts are always integers in the currency's minor unit (cents, or whole yen for JPY).
Stripe computes tax per line item and per rate and rounds each to the minor unit with
round-half-up (support.stripe.com "Rounding rules": 0.025 rounds to 0.03, 0.0645 to 0.06).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# https://docs.stripe.com/currencies#zero-decimal
ZERO_DECIMAL = frozenset(
    ["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"]
)
THREE_DECIMAL = frozenset(["bhd", "jod", "kwd", "omr", "tnd"])

_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "krw": "₩", "chf": "CHF ", "cad": "CA$", "aud": "A$"}


def minor_digits(currency: str) -> int:
    currency = currency.lower()
    if currency in ZERO_DECIMAL:
        return 0
    return 3 if currency in THREE_DECIMAL else 2


def round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def line_taxes(amount: int, rates: list[tuple[str, Decimal, bool]]) -> list[tuple[str, int, int, bool]]:
    """Tax of one line: (rate id, tax amount, taxable amount, inclusive) per rate.

    Inclusive rates are carved out of the amount together (tax = amount - amount / (1 + sum));
    exclusive rates apply on what remains once inclusive taxes are removed.
    """
    inclusive = [(rid, pct) for rid, pct, incl in rates if incl]
    exclusive = [(rid, pct) for rid, pct, incl in rates if not incl]
    results: list[tuple[str, int, int, bool]] = []
    taxable = amount
    if inclusive:
        total_pct = sum((pct for _, pct in inclusive), Decimal(0))
        base = Decimal(amount) / (1 + total_pct / 100)
        carved = [(rid, round_half_up(base * pct / 100)) for rid, pct in inclusive]
        # The net is what is left once the rounded taxes are carved out, so net + tax == amount.
        taxable = amount - sum(tax for _, tax in carved)
        results.extend((rid, tax, taxable, True) for rid, tax in carved)
    for rid, pct in exclusive:
        results.append((rid, round_half_up(Decimal(taxable) * pct / 100), taxable, False))
    return results


def format_amount(amount: int, currency: str) -> str:
    digits = minor_digits(currency)
    value = Decimal(amount).scaleb(-digits)
    symbol = _SYMBOLS.get(currency.lower(), currency.upper() + " ")
    return f"{symbol}{value:,.{digits}f}"
