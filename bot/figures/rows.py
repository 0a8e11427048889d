"""The rows behind a period's figures, streamed for the accountant's files: one per invoice line, and one
per payment or refund. Read in batches (``yield_per``) so memory stays flat however many rows there are;
the same rules as bot.figures.compute pick them, so the files add up to the report's figures."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import Session

from bot.figures.compute import FINALIZED, counted_payment, in_period
from bot.figures.period import Period
from bot.models import Client, Invoice, InvoiceLine, InvoicePayment, InvoiceRefund, TaxRate, table_of
from bot.timezones import zone

BATCH = 1000
_INV = table_of(Invoice)
_LINE = table_of(InvoiceLine)
_PAY = table_of(InvoicePayment)
_REFUND = table_of(InvoiceRefund)
_RATE = table_of(TaxRate)
_CLIENT = table_of(Client)


@dataclass(frozen=True)
class LineRow:
    """One invoice line, with its invoice's status and payment; ``first`` marks the invoice's first line, which
    alone carries the invoice's ``refunded`` amount (so a column's sum is the invoices' sum)."""

    day: date
    number: str
    client: str
    service: str
    quantity: int
    unit_amount: int
    tax_percentage: Decimal | None
    tax_name: str | None
    tax: int
    total: int  # tax included
    currency: str
    status: str
    paid_on: date | None
    methods: tuple[str, ...]
    refunded: int
    first: bool


@dataclass(frozen=True)
class MoneyRow:
    day: date
    number: str
    client: str
    kind: str  # "payment" or "refund"
    method: str  # a payment's method, "stripe" for what Stripe collected, "stripe"/"other" for a refund
    amount: int
    currency: str
    reference: str | None


def _local(moment: datetime | None, tz: str) -> date | None:
    """The practice's day of a stored moment (SQLite gives it back without its zone: it is UTC)."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(_zone(tz)).date()


@cache
def _zone(tz: str) -> tzinfo:
    return zone(tz)


def _payments_by_invoice(team_id: str) -> Any:
    """Each invoice's counted payment rows, summed once (a join, not a subquery per line)."""
    return (
        select(
            _PAY.c.invoice_id.label("invoice_id"),
            func.sum(_PAY.c.amount).label("amount"),
            func.max(_PAY.c.paid_on).label("last_paid_on"),
            func.min(_PAY.c.method).label("low_method"),
            func.max(_PAY.c.method).label("high_method"),
        )
        .where(_PAY.c.team_id == team_id, counted_payment())
        .group_by(_PAY.c.invoice_id)
        .subquery("paid_rows")
    )


def _stripe_part(paid_rows: Any) -> Any:
    """What Stripe collected on a paid invoice beyond Billbot's rows (as bot.figures.compute.stripe_rest)."""
    paid = case((_INV.c.amount_paid > 0, _INV.c.amount_paid), else_=_INV.c.total)
    return case((_INV.c.status == "paid", paid - func.coalesce(paid_rows.c.amount, 0)), else_=0)


def line_rows(session: Session, team_id: str, period: Period, tz: str) -> Iterator[LineRow]:
    """Every line of the invoices made in the period (voided ones too, marked void, for an unbroken sequence of
    numbers), in the order they were made."""
    paid_rows = _payments_by_invoice(team_id)
    statement = (
        select(
            _INV.c.created_at,
            _INV.c.number,
            _CLIENT.c.name,
            _LINE.c.description,
            _LINE.c.quantity,
            _LINE.c.unit_amount,
            _RATE.c.percentage,
            _RATE.c.name,
            _RATE.c.inclusive,
            _LINE.c.tax_amount,
            _LINE.c.amount,
            _INV.c.currency,
            _INV.c.status,
            _INV.c.paid_at,
            _INV.c.amount_refunded,
            _INV.c.id,
            paid_rows.c.last_paid_on,
            paid_rows.c.low_method,
            paid_rows.c.high_method,
            _stripe_part(paid_rows),
        )
        .select_from(
            _LINE.join(_INV, _INV.c.id == _LINE.c.invoice_id)
            .join(_CLIENT, _CLIENT.c.id == _INV.c.client_id)
            .outerjoin(_RATE, _RATE.c.id == _LINE.c.tax_rate_id)
            .outerjoin(paid_rows, paid_rows.c.invoice_id == _INV.c.id)
        )
        .where(
            _INV.c.team_id == team_id,
            _INV.c.status.in_((*FINALIZED, "void")),
            in_period(_INV.c.created_at, period, tz),
        )
        .order_by(_INV.c.created_at, _INV.c.id, _LINE.c.position)
        .execution_options(yield_per=BATCH)
    )
    previous: int | None = None
    for row in session.execute(statement):
        (made, number, client, description, quantity, unit, percentage, tax_name, inclusive, tax, amount, currency,
         status, paid_at, refunded, invoice_id, last_paid_on, low_method, high_method, stripe_part) = row  # fmt: skip
        methods = tuple(sorted({m for m in (low_method, high_method) if m}))
        if low_method != high_method and low_method and high_method:
            methods = ("several",)
        if int(stripe_part or 0) > 0:
            methods = (*methods, "stripe")
        first = invoice_id != previous
        previous = invoice_id
        yield LineRow(
            day=_local(made, tz) or date.min,
            number=str(number),
            client=str(client),
            service=str(description),
            quantity=int(quantity),
            unit_amount=int(unit),
            tax_percentage=Decimal(percentage) if percentage is not None else None,
            tax_name=tax_name,
            tax=int(tax),
            total=int(amount) + (int(tax) if inclusive is False else 0),
            currency=str(currency),
            status=str(status),
            paid_on=_local(paid_at, tz) or last_paid_on,
            methods=methods,
            refunded=int(refunded) if first else 0,
            first=first,
        )


def money_rows(session: Session, team_id: str, period: Period, tz: str) -> Iterator[MoneyRow]:
    """The payments (recorded in Billbot, then what Stripe collected beyond them) and the refunds of the
    period, each kind in date order: they add up to the report's collected and refunded figures."""
    joined = _PAY.join(_INV, _INV.c.id == _PAY.c.invoice_id).join(_CLIENT, _CLIENT.c.id == _INV.c.client_id)
    payments = (
        select(
            _PAY.c.paid_on,
            _INV.c.number,
            _CLIENT.c.name,
            _PAY.c.method,
            _PAY.c.amount,
            _PAY.c.currency,
            _PAY.c.reference,
        )
        .select_from(joined)
        .where(
            _PAY.c.team_id == team_id, _PAY.c.paid_on >= period.start, _PAY.c.paid_on < period.end, counted_payment()
        )
        .order_by(_PAY.c.paid_on, _PAY.c.id)
        .execution_options(yield_per=BATCH)
    )
    for day, number, client, method, amount, currency, reference in session.execute(payments):
        yield MoneyRow(day, str(number), str(client), "payment", str(method), int(amount), str(currency), reference)
    paid_rows = _payments_by_invoice(team_id)
    stripe = (
        select(
            _INV.c.paid_at,
            _INV.c.number,
            _CLIENT.c.name,
            _stripe_part(paid_rows),
            _INV.c.currency,
            _INV.c.stripe_number,
        )
        .select_from(
            _INV.join(_CLIENT, _CLIENT.c.id == _INV.c.client_id).outerjoin(
                paid_rows, paid_rows.c.invoice_id == _INV.c.id
            )
        )
        .where(_INV.c.team_id == team_id, _INV.c.status == "paid", in_period(_INV.c.paid_at, period, tz))
        .order_by(_INV.c.paid_at, _INV.c.id)
        .execution_options(yield_per=BATCH)
    )
    for paid_at, number, client, amount, currency, reference in session.execute(stripe):
        if int(amount or 0) > 0:
            day = _local(paid_at, tz) or date.min
            yield MoneyRow(day, str(number), str(client), "payment", "stripe", int(amount), str(currency), reference)
    refunds = (
        select(
            _REFUND.c.created_at,
            _INV.c.number,
            _CLIENT.c.name,
            _REFUND.c.outside,
            _REFUND.c.amount,
            _REFUND.c.currency,
            _REFUND.c.stripe_credit_note_id,
        )
        .select_from(
            _REFUND.join(_INV, _INV.c.id == _REFUND.c.invoice_id).join(_CLIENT, _CLIENT.c.id == _INV.c.client_id)
        )
        .where(
            _REFUND.c.team_id == team_id, _REFUND.c.status == "succeeded", in_period(_REFUND.c.created_at, period, tz)
        )
        .order_by(_REFUND.c.created_at, _REFUND.c.id)
        .execution_options(yield_per=BATCH)
    )
    for made, number, client, outside, amount, currency, reference in session.execute(refunds):
        day = _local(made, tz) or date.min
        yield MoneyRow(day, str(number), str(client), "refund", "other" if outside else "stripe", int(amount),
                       str(currency), reference)  # fmt: skip
