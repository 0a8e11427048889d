"""A period's figures step by step, for the report's chart: invoiced and collected (net of refunds) per week
of a month, per month of a year, per year of a longer range, per currency. Each figure is one statement
grouped by the step a row falls in (a CASE over the steps' boundaries: the same SQL on SQLite and
PostgreSQL, and days in the practice's time zone), counted by the rules of bot.figures.compute."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import case, func, literal_column, select
from sqlmodel import Session

from bot.figures.compute import counted, counted_payment, day_start, in_period, stripe_rest
from bot.figures.period import Period
from bot.models import Invoice, InvoicePayment, InvoiceRefund, table_of

_INV = table_of(Invoice)
_PAY = table_of(InvoicePayment)
_REFUND = table_of(InvoiceRefund)
WEEKS_UP_TO_DAYS = 62
# Grouped by the step's name: PostgreSQL need not match two copies of the CASE and its parameters.
STEP: Any = literal_column("step")
MONTHS_UP_TO_DAYS = 3 * 366


@dataclass
class Series:
    currency: str
    steps: list[tuple[date, date]]
    invoiced: list[int] = field(default_factory=list)
    collected: list[int] = field(default_factory=list)  # net of refunds


def steps_of(period: Period) -> tuple[str, list[tuple[date, date]]]:
    """The period cut in weeks (from Monday), months or years, the first and last clipped to the period."""
    days = (period.end - period.start).days
    edges: list[date] = [period.start]
    if days <= WEEKS_UP_TO_DAYS:
        unit = "week"
        cursor = period.start + timedelta(days=7 - period.start.weekday())
        while cursor < period.end:
            edges.append(cursor)
            cursor += timedelta(days=7)
    elif days <= MONTHS_UP_TO_DAYS:
        unit = "month"
        cursor = (period.start.replace(day=1) + timedelta(days=32)).replace(day=1)
        while cursor < period.end:
            edges.append(cursor)
            cursor = (cursor + timedelta(days=32)).replace(day=1)
    else:
        unit = "year"
        cursor = date(period.start.year + 1, 1, 1)
        while cursor < period.end:
            edges.append(cursor)
            cursor = date(cursor.year + 1, 1, 1)
    edges.append(period.end)
    return unit, list(pairwise(edges))


def _step(column: Any, bounds: list[Any]) -> Any:
    """The index of the step ``column`` falls in (rows outside the period are filtered out beforehand)."""
    return case(*[(column < bound, n) for n, bound in enumerate(bounds[1:-1])], else_=len(bounds) - 2)


def series(session: Session, team_id: str, period: Period, tz: str) -> tuple[str, list[Series]]:
    unit, steps = steps_of(period)
    days = [start for start, _ in steps] + [period.end]
    moments = [day_start(day, tz) for day in days]
    found: dict[str, Series] = {}

    def add(rows: Any, target: str, sign: int = 1) -> None:
        for currency, index, amount in rows:
            row = found.setdefault(str(currency), Series(str(currency), steps, [0] * len(steps), [0] * len(steps)))
            getattr(row, target)[int(index)] += sign * int(amount or 0)

    made = _step(_INV.c.created_at, moments)
    add(session.execute(
        select(_INV.c.currency, made.label("step"), func.sum(_INV.c.total))
        .where(_INV.c.team_id == team_id, counted(), in_period(_INV.c.created_at, period, tz))
        .group_by(_INV.c.currency, STEP)
    ), "invoiced")  # fmt: skip
    paid_on = _step(_PAY.c.paid_on, days)
    add(session.execute(
        select(_PAY.c.currency, paid_on.label("step"), func.sum(_PAY.c.amount))
        .where(_PAY.c.team_id == team_id, _PAY.c.paid_on >= period.start, _PAY.c.paid_on < period.end,
               counted_payment())
        .group_by(_PAY.c.currency, STEP)
    ), "collected")  # fmt: skip
    paid_at = _step(_INV.c.paid_at, moments)
    add(session.execute(
        select(_INV.c.currency, paid_at.label("step"), func.sum(stripe_rest()))
        .where(_INV.c.team_id == team_id, _INV.c.status == "paid", in_period(_INV.c.paid_at, period, tz))
        .group_by(_INV.c.currency, STEP)
    ), "collected")  # fmt: skip
    given = _step(_REFUND.c.created_at, moments)
    add(session.execute(
        select(_REFUND.c.currency, given.label("step"), func.sum(_REFUND.c.amount))
        .where(_REFUND.c.team_id == team_id, _REFUND.c.status == "succeeded",
               in_period(_REFUND.c.created_at, period, tz))
        .group_by(_REFUND.c.currency, STEP)
    ), "collected", -1)  # fmt: skip
    return unit, sorted(found.values(), key=lambda row: row.currency)
