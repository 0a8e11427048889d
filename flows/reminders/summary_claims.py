"""The exactly-once ledger of monthly summaries: a row per (workspace, month), inserted before anything is
posted, as reminders' claims are. The unique (team_id, month) lets one scheduler insert it; a claim whose
poster died keeps ``claimed`` with a lease in the past, and the next run takes it over with a compare-and-set
UPDATE (only one scheduler wins), looking in the channel for the message before posting it again."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.db import Database
from bot.models import MonthlySummary, table_of, utcnow
from bot.timezones import zone

_CLAIMS = table_of(MonthlySummary)
LEASE = timedelta(minutes=10)


def taken_months(db: Database, months: dict[str, str]) -> set[str]:
    """The teams (of team → month) that already have a claim on that month, whatever its state."""
    if not months:
        return set()
    with db.engine.connect() as conn:
        rows = conn.execute(select(_CLAIMS.c.team_id, _CLAIMS.c.month).where(_CLAIMS.c.team_id.in_(list(months)))).all()
    return {str(team) for team, month in rows if months.get(str(team)) == month}


def claim(db: Database, team_id: str, month: str, channel: str | None, now: datetime, *,
          state: str = "claimed", lease: timedelta = LEASE) -> int | None:  # fmt: skip
    """The claim's id if this caller inserted it, else None (someone else has that month)."""
    insert = postgresql_insert if db.is_postgres else sqlite_insert
    statement = (
        insert(_CLAIMS)
        .values(team_id=team_id, month=month, state=state, channel=channel, claimed_until=now + lease, created_at=now)
        .on_conflict_do_nothing(index_elements=["team_id", "month"])
        .returning(_CLAIMS.c.id)
    )
    with db.write_lock(), db.session() as session:
        won = session.execute(statement).scalar()
    return None if won is None else int(won)


def take_over(db: Database, now: datetime, lease: timedelta = LEASE) -> list[int]:
    """Claims whose holder's lease ran out (it died, or a retry was asked for): ours now, one by one."""
    with db.engine.connect() as conn:
        expired = conn.execute(
            select(_CLAIMS.c.id, _CLAIMS.c.claimed_until).where(
                _CLAIMS.c.state == "claimed", _CLAIMS.c.claimed_until < now
            )
        ).all()
    won = []
    for row_id, until in expired:
        statement = (
            update(_CLAIMS)
            .where(_CLAIMS.c.id == row_id, _CLAIMS.c.state == "claimed", _CLAIMS.c.claimed_until == until)
            .values(claimed_until=now + lease)
        )
        with db.write_lock(), db.session() as session:
            if session.execute(statement).rowcount == 1:  # type: ignore[attr-defined]
                won.append(int(row_id))
    return won


def load(db: Database, row_id: int) -> MonthlySummary | None:
    with db.session() as session:
        return session.get(MonthlySummary, row_id)


def update_claim(db: Database, row_id: int, **values: object) -> None:
    with db.write_lock(), db.session() as session:
        session.execute(update(_CLAIMS).where(_CLAIMS.c.id == row_id).values(**values))


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def due_month(now: datetime, tz: str, send_minute: int) -> str | None:
    """The month whose summary is due at ``now``: last month, once this month's 1st at the time of day has
    come in ``tz``. None before that moment (last month's summary waits for it)."""
    local = now.astimezone(zone(tz))
    first = local.date().replace(day=1)
    at = datetime.combine(first, time(send_minute // 60, send_minute % 60), tzinfo=zone(tz))
    if local < at:
        return None
    return month_key(first - timedelta(days=1))


def skip_passed_month(db: Database, team_id: str, channel: str | None, tz: str, send_minute: int,
                      now: datetime | None = None) -> None:  # fmt: skip
    """Turning the summary on: the month whose 1st has already passed is marked skipped, so the first summary
    is the next 1st's (for the month the option was turned on in), never one of months before."""
    now = (now or utcnow()).astimezone(UTC)
    passed = due_month(now, tz, send_minute)
    if passed is not None:
        claim(db, team_id, passed, channel, now, state="skipped")
