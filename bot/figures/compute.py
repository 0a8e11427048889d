"""A period's figures, computed in the database (GROUP BY, one statement per figure), per currency.

What each figure counts, decided once here so that the report, the App Home, the help channel's answers and
the CSV agree:

- **collected**: money in during the period. A payment recorded in Billbot (``InvoicePayment``: outside
  Stripe, or a part charged on the card and attached on Stripe) counts on its ``paid_on`` day; what Stripe
  collected beyond those rows (an invoice paid in full on the hosted page or by autopay) counts at the
  invoice's ``paid_at``, in the practice's time zone. **refunded**: refunds and credit that went through
  (status succeeded), on the day they were asked for. **net** = collected − refunded.
- **invoiced**: finalized invoices (open, paid, uncollectible: not drafts, not voided) dated in the period
  (the day they were made, the date their PDF shows). A correction voids the invoice it replaces; while both
  exist, only the replacement counts, so a corrected invoice is counted once.
- **outstanding** now: the balance due (Stripe's amount_remaining) of open and uncollectible invoices;
  **overdue**: those past their due date, aged by days past due in buckets 1–30, 31–60, 61–90, over 90.
- **tax** per tax rate and **by service**, over the lines of the invoices invoiced in the period; a line's
  amount is tax included (an exclusive rate's tax added), so the services add up to the invoiced total.
- **by practitioner**: the member who made the invoice (``Invoice.created_by``): every invoice has one,
  whereas only calendar sessions name a practitioner, and a hand-made invoice has no session at all.
- **sessions not yet invoiced**: sessions held in the period (and up to now) that no invoice took, valued
  at their service's price where they have one.

Money stays in integer minor units per currency; two currencies are never added together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from bot.figures.period import Period
from bot.models import (
    Appointment,
    Invoice,
    InvoiceLine,
    InvoicePayment,
    InvoiceRefund,
    ReminderSettings,
    Service,
    TaxRate,
    table_of,
    utcnow,
)
from bot.timezones import zone

FINALIZED = ("open", "paid", "uncollectible")
OPEN = ("open", "uncollectible")
AGING = ((1, 30), (31, 60), (61, 90), (91, None))  # days past due; None: no upper bound

_INV = table_of(Invoice)
_LINE = table_of(InvoiceLine)
_PAY = table_of(InvoicePayment)
_REFUND = table_of(InvoiceRefund)
_RATE = table_of(TaxRate)
_SERVICE = table_of(Service)
_SESSION = table_of(Appointment)


@dataclass(frozen=True)
class TaxFigure:
    tax_rate_id: int
    name: str
    percentage: Decimal
    inclusive: bool
    base: int  # the lines' amount before tax
    tax: int


@dataclass(frozen=True)
class ServiceFigure:
    service_id: int | None  # None: lines typed without a catalogue service
    name: str | None
    quantity: int
    amount: int  # tax included


@dataclass(frozen=True)
class PractitionerFigure:
    user_id: str | None
    count: int
    amount: int


@dataclass
class CurrencyFigures:
    """Every figure of one currency (money in its minor unit)."""

    currency: str
    collected: int = 0
    refunded: int = 0
    invoiced: int = 0
    invoiced_count: int = 0
    invoiced_tax: int = 0
    outstanding: int = 0
    outstanding_count: int = 0
    overdue: int = 0
    overdue_count: int = 0
    aging: list[int] = field(default_factory=lambda: [0] * len(AGING))
    aging_counts: list[int] = field(default_factory=lambda: [0] * len(AGING))
    taxes: list[TaxFigure] = field(default_factory=list)
    services: list[ServiceFigure] = field(default_factory=list)
    practitioners: list[PractitionerFigure] = field(default_factory=list)
    unbilled_value: int = 0  # sessions not yet invoiced in the period, at their service's price

    @property
    def net_collected(self) -> int:
        return self.collected - self.refunded

    @property
    def empty(self) -> bool:
        return not (self.collected or self.refunded or self.invoiced_count or self.outstanding_count)


@dataclass(frozen=True)
class Figures:
    period: Period
    timezone: str
    today: date
    currencies: list[CurrencyFigures]
    unbilled_sessions: int  # held in the period, not invoiced
    unbilled_sessions_to_date: int  # held up to now, not invoiced, whatever the period

    def of(self, currency: str) -> CurrencyFigures | None:
        return next((row for row in self.currencies if row.currency == currency), None)

    @property
    def empty(self) -> bool:
        return all(row.empty for row in self.currencies) and not self.unbilled_sessions


def practice_timezone(session: Session, team_id: str) -> str:
    """The practice's time zone: the one its reminders are sent in (set from the admin's Slack zone in
    `/billing reminders`), the only zone Billbot keeps for a workspace; UTC until reminders are set up."""
    settings = session.get(ReminderSettings, team_id)
    return settings.timezone if settings is not None and settings.timezone else "UTC"


def day_start(day: date, tz: str) -> datetime:
    """Midnight of ``day`` in ``tz``, in UTC (DST-aware: the zone's offset on that day)."""
    return datetime.combine(day, time(0), tzinfo=zone(tz)).astimezone(UTC)


def counted(invoice: Any = _INV) -> ColumnElement[bool]:
    """A finalized invoice not replaced by a finalized correction (the correction is the one counted)."""
    newer = _INV.alias("newer")
    taken = select(newer.c.id).where(newer.c.id == invoice.c.replaced_by_id, newer.c.status.in_(FINALIZED)).exists()
    return and_(invoice.c.status.in_(FINALIZED), or_(invoice.c.replaced_by_id.is_(None), ~taken))


def in_period(column: Any, period: Period, tz: str) -> ColumnElement[bool]:
    return and_(column >= day_start(period.start, tz), column < day_start(period.end, tz))


def _figures_of(found: dict[str, CurrencyFigures], currency: str) -> CurrencyFigures:
    if currency not in found:
        found[currency] = CurrencyFigures(currency)
    return found[currency]


def outstanding(session: Session, team_id: str, today: date) -> dict[str, CurrencyFigures]:
    """Balances due now, per currency, with the overdue ones aged (``today``: the practice's day)."""
    found: dict[str, CurrencyFigures] = {}
    balance = _INV.c.amount_remaining
    columns: list[Any] = [_INV.c.currency, func.count(), func.coalesce(func.sum(balance), 0)]
    overdue = _INV.c.due_date < today
    columns += [func.coalesce(func.sum(case((overdue, balance), else_=0)), 0), func.sum(case((overdue, 1), else_=0))]
    for low, high in AGING:
        # Days past due as dates, not date arithmetic: the same SQL on SQLite and PostgreSQL.
        due_by = _INV.c.due_date <= today - timedelta(days=low)
        bucket = due_by if high is None else and_(due_by, _INV.c.due_date >= today - timedelta(days=high))
        columns += [func.coalesce(func.sum(case((bucket, balance), else_=0)), 0), func.sum(case((bucket, 1), else_=0))]
    rows = session.execute(
        select(*columns).where(_INV.c.team_id == team_id, _INV.c.status.in_(OPEN), counted()).group_by(_INV.c.currency)
    ).all()
    for row in rows:
        figures = _figures_of(found, str(row[0]))
        figures.outstanding_count, figures.outstanding = int(row[1]), int(row[2])
        figures.overdue, figures.overdue_count = int(row[3]), int(row[4] or 0)
        for n in range(len(AGING)):
            figures.aging[n], figures.aging_counts[n] = int(row[5 + 2 * n]), int(row[6 + 2 * n] or 0)
    return found


def counted_payment() -> ColumnElement[bool]:
    """A payment row that is money in: received outside Stripe, or attached to the invoice on Stripe."""
    return or_(_PAY.c.source == "outside", _PAY.c.stripe_invoice_payment_id.is_not(None))


def stripe_rest() -> Any:
    """What Stripe collected on a paid invoice beyond Billbot's payment rows (a correlated expression)."""
    rows = (
        select(func.coalesce(func.sum(_PAY.c.amount), 0))
        .where(_PAY.c.team_id == _INV.c.team_id, _PAY.c.invoice_id == _INV.c.id, counted_payment())
        .correlate(_INV)
        .scalar_subquery()
    )
    # Stripe's amount_paid; an invoice marked paid outside Stripe may say 0 there, its total was paid.
    paid = case((_INV.c.amount_paid > 0, _INV.c.amount_paid), else_=_INV.c.total)
    return paid - rows


def _collected(session: Session, team_id: str, period: Period, tz: str, found: dict[str, CurrencyFigures]) -> None:
    rows = session.execute(
        select(_PAY.c.currency, func.sum(_PAY.c.amount))
        .where(
            _PAY.c.team_id == team_id,
            _PAY.c.paid_on >= period.start,
            _PAY.c.paid_on < period.end,
            counted_payment(),
        )
        .group_by(_PAY.c.currency)
    ).all()
    for currency, amount in rows:
        _figures_of(found, str(currency)).collected += int(amount or 0)
    rows = session.execute(
        select(_INV.c.currency, func.sum(stripe_rest()))
        .where(_INV.c.team_id == team_id, _INV.c.status == "paid", in_period(_INV.c.paid_at, period, tz))
        .group_by(_INV.c.currency)
    ).all()
    for currency, amount in rows:
        _figures_of(found, str(currency)).collected += int(amount or 0)
    rows = session.execute(
        select(_REFUND.c.currency, func.sum(_REFUND.c.amount))
        .where(
            _REFUND.c.team_id == team_id,
            _REFUND.c.status == "succeeded",
            in_period(_REFUND.c.created_at, period, tz),
        )
        .group_by(_REFUND.c.currency)
    ).all()
    for currency, amount in rows:
        _figures_of(found, str(currency)).refunded += int(amount or 0)


def invoiced_filter(team_id: str, period: Period, tz: str) -> ColumnElement[bool]:
    return and_(_INV.c.team_id == team_id, counted(), in_period(_INV.c.created_at, period, tz))


def _invoiced(session: Session, team_id: str, period: Period, tz: str, found: dict[str, CurrencyFigures]) -> None:
    """Two statements: the invoices per currency and maker, then their lines per currency, service and rate
    (a few dozen groups, folded here into the per-rate and per-service figures)."""
    where = invoiced_filter(team_id, period, tz)
    rows = session.execute(
        select(_INV.c.currency, _INV.c.created_by, func.count(), func.sum(_INV.c.total), func.sum(_INV.c.tax))
        .where(where)
        .group_by(_INV.c.currency, _INV.c.created_by)
    ).all()
    for currency, user_id, count, total, tax in rows:
        figures = _figures_of(found, str(currency))
        figures.invoiced_count += int(count)
        figures.invoiced += int(total or 0)
        figures.invoiced_tax += int(tax or 0)
        figures.practitioners.append(PractitionerFigure(user_id, int(count), int(total or 0)))
    rows = session.execute(
        select(
            _INV.c.currency,
            _LINE.c.service_id,
            _LINE.c.tax_rate_id,
            func.sum(_LINE.c.quantity),
            func.sum(_LINE.c.amount),
            func.sum(_LINE.c.tax_amount),
        )
        .select_from(_LINE.join(_INV, _INV.c.id == _LINE.c.invoice_id))
        .where(where)
        .group_by(_INV.c.currency, _LINE.c.service_id, _LINE.c.tax_rate_id)
    ).all()
    rate_ids = {int(row[2]) for row in rows if row[2] is not None}
    service_ids = {int(row[1]) for row in rows if row[1] is not None}
    rates = {r.id: r for r in session.execute(select(TaxRate).where(_RATE.c.id.in_(rate_ids))).scalars()}
    names = dict(session.execute(select(_SERVICE.c.id, _SERVICE.c.name).where(_SERVICE.c.id.in_(service_ids))).all())
    taxes: dict[tuple[str, int], list[int]] = {}
    services: dict[tuple[str, int | None], list[int]] = {}
    for currency, service_id, rate_id, quantity, amount, tax in rows:
        rate = rates.get(rate_id) if rate_id is not None else None
        amount, tax = int(amount or 0), int(tax or 0)
        if rate is not None:
            sums = taxes.setdefault((str(currency), int(rate_id)), [0, 0])
            sums[0] += amount - tax if rate.inclusive else amount
            sums[1] += tax
        # A line's amount is tax included where its rate is inclusive; an exclusive rate's tax is added.
        gross = amount + (tax if rate is not None and not rate.inclusive else 0)
        sums = services.setdefault((str(currency), service_id), [0, 0])
        sums[0] += int(quantity or 0)
        sums[1] += gross
    for (currency, rate_id), (base, tax) in taxes.items():
        rate = rates[rate_id]
        found[currency].taxes.append(TaxFigure(rate_id, rate.name, Decimal(rate.percentage), rate.inclusive, base, tax))
    for (currency, service_id), (quantity, gross) in services.items():
        name = names.get(service_id) if service_id is not None else None
        found[currency].services.append(ServiceFigure(service_id, name, quantity, gross))
    for figures in found.values():
        figures.taxes.sort(key=lambda row: (row.percentage, row.name))
        figures.services.sort(key=lambda row: (-row.amount, row.name or ""))
        figures.practitioners.sort(key=lambda row: (-row.amount, row.user_id or ""))


def _happened(today: date, now: datetime) -> ColumnElement[bool]:
    """A session that has taken place: on an earlier day, or today once begun (a typed one: today)."""
    begun = or_(_SESSION.c.starts_at.is_(None), _SESSION.c.starts_at <= now)
    return or_(_SESSION.c.held_on < today, and_(_SESSION.c.held_on == today, begun))


def _unbilled(
    session: Session, team_id: str, period: Period, today: date, now: datetime, found: dict[str, CurrencyFigures]
) -> tuple[int, int]:
    waiting = and_(_SESSION.c.team_id == team_id, _SESSION.c.invoice_id.is_(None), _happened(today, now))
    in_period = and_(waiting, _SESSION.c.held_on >= period.start, _SESSION.c.held_on < period.end)
    to_date = int(session.execute(select(func.count()).select_from(_SESSION).where(waiting)).scalar_one())
    rows = session.execute(
        select(_SERVICE.c.currency, func.count(), func.sum(_SERVICE.c.unit_amount))
        .select_from(_SESSION.outerjoin(_SERVICE, _SERVICE.c.id == _SESSION.c.service_id))
        .where(in_period)
        .group_by(_SERVICE.c.currency)
    ).all()
    count = 0
    for currency, number, value in rows:
        count += int(number)
        if currency is not None:
            _figures_of(found, str(currency)).unbilled_value += int(value or 0)
    return count, to_date


def period_figures(
    session: Session, team_id: str, period: Period, *, tz: str | None = None, now: datetime | None = None
) -> Figures:
    """Every figure of ``period`` for the workspace, per currency (see the module's docstring)."""
    tz = tz or practice_timezone(session, team_id)
    now = (now or utcnow()).astimezone(UTC)
    today = now.astimezone(zone(tz)).date()
    found = outstanding(session, team_id, today)
    _collected(session, team_id, period, tz, found)
    _invoiced(session, team_id, period, tz, found)
    unbilled, to_date = _unbilled(session, team_id, period, today, now, found)
    currencies = sorted(found.values(), key=lambda row: row.currency)
    return Figures(period, tz, today, currencies, unbilled, to_date)


def practice_today(session: Session, team_id: str, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(zone(practice_timezone(session, team_id))).date()


def overdue_over(session: Session, team_id: str, today: date, days: int) -> dict[str, tuple[int, int]]:
    """Per currency, the invoices more than ``days`` days past due now: (count, balance due)."""
    rows = session.execute(
        select(_INV.c.currency, func.count(), func.sum(_INV.c.amount_remaining))
        .where(
            _INV.c.team_id == team_id,
            _INV.c.status.in_(OPEN),
            counted(),
            _INV.c.due_date < today - timedelta(days=days),
        )
        .group_by(_INV.c.currency)
    ).all()
    return {str(currency): (int(count), int(amount or 0)) for currency, count, amount in rows}
