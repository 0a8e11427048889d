"""Who sees which calendar sessions on the App Home, and what an Invoice button may still invoice.

Plain functions over the models: the week view reads a practitioner's own sessions (those of their feed), or
every practitioner's for a billing admin; a click re-reads the sessions it names, since the Home it came from
may be stale (invoiced meanwhile, moved, cancelled).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, func, select

from bot.db import Database
from bot.models import Appointment, CalendarEvent, CalendarFeed, Client, Invoice
from bot.timezones import zone

CALENDAR = "calendar"
# A practice's two weeks are rarely above a hundred sessions; the read is bounded whatever the feed holds.
SESSIONS_READ_MAX = 500
# Statuses a session shows: not yet held, to invoice, on a live invoice (part-paid included), paid.
UPCOMING, TO_INVOICE, INVOICED, PAID = "upcoming", "to_invoice", "invoiced", "paid"
CANCELLED_FLAG = "cancelled"


@dataclass(frozen=True)
class Scope:
    """Whose sessions a viewer sees: ``practitioners`` None means everyone's (a billing admin)."""

    practitioners: frozenset[str] | None


@dataclass(frozen=True)
class WeekSession:
    appointment_id: int
    client_id: int
    client_name: str
    service: str
    duration_minutes: int | None
    starts_at: datetime  # UTC
    day: date  # in the viewer's zone
    practitioner_id: str | None
    status: str
    invoice_number: str | None
    flag: str | None
    all_day: bool

    @property
    def billable(self) -> bool:
        """Offered an Invoice button: held (or under way), not invoiced, not cancelled in the calendar."""
        return self.status == TO_INVOICE and self.flag != CANCELLED_FLAG


@dataclass(frozen=True)
class Week:
    monday: date
    sessions: list[WeekSession]


@dataclass(frozen=True)
class WeekView:
    this_week: Week
    last_week: Week
    to_sort: int  # events of these two weeks in the viewer's own calendar matched to no client
    to_sort_others: int  # the same in other practitioners' calendars (a billing admin's view)
    several_practitioners: bool  # the lines name whose session each is


def scope_for(db: Database, team_id: str, user_id: str, *, billing_admin: bool) -> Scope | None:
    """A billing admin sees every feed's sessions; a practitioner their own feed's; anyone else nothing.

    None also when the practice has no calendar at all: the Home says nothing of a feature not in use.
    """
    with db.session() as session:
        owners = set(session.exec(select(CalendarFeed.user_id).where(CalendarFeed.team_id == team_id)).all())
    if billing_admin:
        return Scope(None) if owners else None
    return Scope(frozenset({user_id})) if user_id in owners else None


def week_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _midnight(day: date, tz: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone(tz)).astimezone(UTC)


def status_of(invoice_number: str | None, invoice_status: str | None, *, started: bool) -> str:
    if invoice_number is None or invoice_status == "void":  # a voided invoice frees its sessions
        return TO_INVOICE if started else UPCOMING
    return PAID if invoice_status == "paid" else INVOICED


def load_week_view(db: Database, team_id: str, user_id: str, scope: Scope, tz: str, now: datetime) -> WeekView:
    """This week's and last week's sessions (weeks start on Monday where the viewer is), oldest first."""
    this_monday = week_monday(now.astimezone(zone(tz)).date())
    last_monday = this_monday - timedelta(days=7)
    start, end = _midnight(last_monday, tz), _midnight(this_monday + timedelta(days=7), tz)
    with db.session() as session:
        sessions = _sessions(session, team_id, scope, start, end, tz, now)
        to_sort = _unmatched(session, team_id, scope, start, end)
    own = to_sort.pop(user_id, 0)
    practitioners = {s.practitioner_id for s in sessions}
    return WeekView(
        this_week=Week(this_monday, [s for s in sessions if s.day >= this_monday]),
        last_week=Week(last_monday, [s for s in sessions if s.day < this_monday]),
        to_sort=own,
        to_sort_others=sum(to_sort.values()),
        several_practitioners=scope.practitioners is None and len(practitioners) > 1,
    )


def _sessions(
    session: Session, team_id: str, scope: Scope, start: datetime, end: datetime, tz: str, now: datetime
) -> list[WeekSession]:
    statement = (
        select(Appointment, Client.name, Invoice.number, Invoice.status)
        .join(Client, col(Client.id) == col(Appointment.client_id))
        .outerjoin(Invoice, col(Invoice.id) == col(Appointment.invoice_id))
        .where(Appointment.team_id == team_id, Appointment.source == CALENDAR)
        .where(col(Appointment.starts_at) >= start, col(Appointment.starts_at) < end)
        .order_by(col(Appointment.starts_at), col(Appointment.id))
        .limit(SESSIONS_READ_MAX)
    )
    if scope.practitioners is not None:
        statement = statement.where(col(Appointment.practitioner_id).in_(sorted(scope.practitioners)))
    rows = [row for row in session.exec(statement) if row[0].id is not None and row[0].starts_at is not None]
    # An all-day event's session shows "all day", not midnight.
    all_day = set(
        session.exec(
            select(CalendarEvent.appointment_id).where(
                col(CalendarEvent.appointment_id).in_([row[0].id for row in rows]), col(CalendarEvent.all_day).is_(True)
            )
        ).all()
    )
    found: dict[int, WeekSession] = {}
    for appointment, name, number, invoice_status in rows:
        if appointment.id is None or appointment.starts_at is None:
            continue
        starts_at = aware(appointment.starts_at)
        found[appointment.id] = WeekSession(
            appointment_id=appointment.id,
            client_id=appointment.client_id,
            client_name=name,
            service=appointment.description,
            duration_minutes=appointment.duration_minutes,
            starts_at=starts_at,
            day=starts_at.astimezone(zone(tz)).date(),
            practitioner_id=appointment.practitioner_id,
            status=status_of(number, invoice_status, started=starts_at <= now),
            invoice_number=number,
            flag=appointment.calendar_flag,
            all_day=appointment.id in all_day,
        )
    return list(found.values())


def _unmatched(session: Session, team_id: str, scope: Scope, start: datetime, end: datetime) -> dict[str, int]:
    """Events of the window matched to no client, per practitioner (whose feed they are in)."""
    statement = (
        select(CalendarFeed.user_id, func.count())
        .select_from(CalendarEvent)
        .join(CalendarFeed, col(CalendarFeed.id) == col(CalendarEvent.feed_id))
        .where(CalendarEvent.team_id == team_id, col(CalendarEvent.client_id).is_(None))
        .where(CalendarEvent.status == "confirmed")
        .where(col(CalendarEvent.starts_at) >= start, col(CalendarEvent.starts_at) < end)
        .group_by(col(CalendarFeed.user_id))
    )
    if scope.practitioners is not None:
        statement = statement.where(col(CalendarFeed.user_id).in_(sorted(scope.practitioners)))
    return {user: int(count) for user, count in session.exec(statement)}


def aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes even for timezone-aware columns; we store UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# -- a click ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ToInvoice:
    """What a click may invoice now: one client's sessions, or why nothing (an i18n key and its number)."""

    client_id: int | None
    appointment_ids: tuple[int, ...]
    reason: str | None = None
    invoice_number: str | None = None


GONE = "calendar.week.click.gone"
ALREADY = "calendar.week.click.already"
ALREADY_ALL = "calendar.week.click.already_all"
NOT_YET = "calendar.week.click.not_yet"
CANCELLED = "calendar.week.click.cancelled"


def to_invoice(
    db: Database, team_id: str, ids: Iterable[int], *, user_id: str, billing_admin: bool, now: datetime
) -> ToInvoice:
    """The named calendar sessions the clicker may invoice and that are still to invoice, of one client.

    The ids come back from Slack: another workspace's session, or another practitioner's for a member who is
    no billing admin, reads as gone (nothing of it is shown).
    """
    wanted = sorted(set(ids))[:SESSIONS_READ_MAX]
    if not wanted:
        return ToInvoice(None, (), GONE)
    with db.session() as session:
        rows = session.exec(
            select(Appointment, Invoice.number, Invoice.status)
            .outerjoin(Invoice, col(Invoice.id) == col(Appointment.invoice_id))
            .where(Appointment.team_id == team_id, Appointment.source == CALENDAR)
            .where(col(Appointment.id).in_(wanted))
            .order_by(col(Appointment.starts_at), col(Appointment.id))
        ).all()
    mine = [(a, n, s) for a, n, s in rows if billing_admin or a.practitioner_id == user_id]
    if not mine:
        return ToInvoice(None, (), GONE)
    free = []
    for appointment, number, status in mine:
        started = appointment.starts_at is None or aware(appointment.starts_at) <= now
        if status_of(number, status, started=started) == TO_INVOICE and appointment.calendar_flag != CANCELLED_FLAG:
            free.append(appointment)
    if free:
        client_id = free[0].client_id
        chosen = tuple(a.id for a in free if a.client_id == client_id and a.id is not None)
        return ToInvoice(client_id, chosen)
    numbers = [n for _, n, s in mine if n is not None and s != "void"]
    if numbers:
        return ToInvoice(None, (), ALREADY if len(mine) == 1 else ALREADY_ALL, invoice_number=numbers[0])
    if any(a.calendar_flag == CANCELLED_FLAG for a, _, _ in mine):
        return ToInvoice(None, (), CANCELLED)
    return ToInvoice(None, (), NOT_YET)
