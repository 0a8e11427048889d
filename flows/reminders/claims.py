"""The exactly-once ledger of reminders: a row per (invoice, rule), inserted before anything is sent.

Two schedulers on one database both try to insert the same rows; the unique constraint lets one of them
have each (INSERT … ON CONFLICT DO NOTHING RETURNING tells each which rows it got). A scheduler that
dies holding claims leaves them ``claimed`` with a lease in the past: the next sweep takes them over with
a compare-and-set UPDATE, which again only one scheduler wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.db import Database
from bot.models import ReminderSent, table_of
from flows.reminders.logic import Due

_SENT = table_of(ReminderSent)
LEASE = timedelta(minutes=10)
# A reminder Stripe or Slack kept failing for is given up after this many sweeps (and logged).
MAX_ATTEMPTS = 5
_CHUNK = 500


def claim(db: Database, due: Iterable[Due], now: datetime, lease: timedelta = LEASE) -> list[int]:
    """Claim what no one else has; returns the ids of the rows this caller now holds."""
    rows = [
        {
            "team_id": d.team_id,
            "invoice_id": d.invoice_id,
            "rule": d.rule,
            "due_at": d.due_at,
            "state": "claimed",
            "claimed_until": now + lease,
            "attempts": 1,
            "emailed": False,
            "created_at": now,
        }
        for d in due
    ]
    insert = postgresql_insert if db.is_postgres else sqlite_insert
    won: list[int] = []
    for start in range(0, len(rows), _CHUNK):
        statement = (
            insert(_SENT)
            .values(rows[start : start + _CHUNK])
            .on_conflict_do_nothing(index_elements=["invoice_id", "rule"])
            .returning(_SENT.c.id)
        )
        with db.write_lock(), db.session() as session:
            won.extend(int(row_id) for row_id in session.execute(statement).scalars())
    return won


def take_over(db: Database, now: datetime, lease: timedelta = LEASE) -> list[int]:
    """Claims whose holder's lease ran out (it crashed, or asked for a retry): ours now, one by one."""
    with db.engine.connect() as conn:
        expired = conn.execute(
            _SENT.select()
            .with_only_columns(_SENT.c.id, _SENT.c.claimed_until)
            .where(_SENT.c.state == "claimed", _SENT.c.claimed_until < now)
        ).all()
    won = []
    for row_id, until in expired:
        # Compare-and-set on the lease we read: of two schedulers taking the same row, one updates it.
        statement = (
            update(_SENT)
            .where(_SENT.c.id == row_id, _SENT.c.state == "claimed", _SENT.c.claimed_until == until)
            .values(claimed_until=now + lease, attempts=_SENT.c.attempts + 1)
        )
        with db.write_lock(), db.session() as session:
            if session.execute(statement).rowcount == 1:  # type: ignore[attr-defined]
                won.append(int(row_id))
    return won


def finish(db: Database, row_id: int, state: str, now: datetime, *, error: str | None = None,
           digest: tuple[str, str] | None = None) -> None:  # fmt: skip
    values: dict[str, object] = {"state": state, "last_error": error}
    if state == "sent":
        values["sent_at"] = now
    if digest is not None:
        values["digest_channel"], values["digest_ts"] = digest
    with db.write_lock(), db.session() as session:
        session.execute(update(_SENT).where(_SENT.c.id == row_id).values(**values))


def mark_digest_attempted(db: Database, row_ids: list[int], now: datetime) -> None:
    """Recorded before the digest goes to Slack: whether it got there is known only once Slack answers."""
    with db.write_lock(), db.session() as session:
        session.execute(update(_SENT).where(_SENT.c.id.in_(row_ids)).values(digest_attempted_at=now))


def mark_emailed(db: Database, row_id: int) -> None:
    with db.write_lock(), db.session() as session:
        session.execute(update(_SENT).where(_SENT.c.id == row_id).values(emailed=True, last_error=None))


def retry_later(db: Database, row_id: int, now: datetime, error: str) -> None:
    """Give the claim back to the next sweep (its lease ends now); the email already sent stays marked."""
    with db.write_lock(), db.session() as session:
        session.execute(update(_SENT).where(_SENT.c.id == row_id).values(claimed_until=now, last_error=error[:2000]))
