"""An invoice's arithmetic, as Stripe does it: tax per line, rounded half up to the currency's minor unit.

An exclusive rate adds its tax on top of the line; an inclusive rate carves its tax out of the line's
amount (tax = amount - amount / (1 + rate)). The total is the lines plus their exclusive taxes. Kept
apart from the Stripe emulator's own arithmetic on purpose: the tests compare the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Rate:
    percentage: Decimal
    inclusive: bool


@dataclass(frozen=True)
class LineAmounts:
    amount: int  # quantity × unit amount, as the line reads (tax included when the rate is inclusive)
    tax: int


@dataclass(frozen=True)
class Totals:
    subtotal: int  # the sum of the lines' amounts, as Stripe's ``subtotal``
    tax: int  # every line's tax, inclusive and exclusive
    total: int  # what the client pays, as Stripe's ``total``
    lines: tuple[LineAmounts, ...]


def line_amounts(quantity: int, unit_amount: int, rate: Rate | None) -> LineAmounts:
    amount = quantity * unit_amount
    if rate is None:
        return LineAmounts(amount, 0)
    share = rate.percentage / 100
    # An inclusive rate's tax is already inside the amount; an exclusive one comes on top of it.
    tax = Decimal(amount) * share / (1 + share) if rate.inclusive else Decimal(amount) * share
    return LineAmounts(amount, int(tax.to_integral_value(rounding=ROUND_HALF_UP)))


def totals(lines: list[tuple[int, int, Rate | None]]) -> Totals:
    """``lines``: (quantity, unit amount, rate or None) for each line, in order."""
    computed = tuple(line_amounts(quantity, unit, rate) for quantity, unit, rate in lines)
    exclusive = sum(c.tax for c, (_, _, rate) in zip(computed, lines, strict=True) if rate and not rate.inclusive)
    subtotal = sum(c.amount for c in computed)
    return Totals(subtotal=subtotal, tax=sum(c.tax for c in computed), total=subtotal + exclusive, lines=computed)
