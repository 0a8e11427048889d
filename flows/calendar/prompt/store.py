"""The session-end prompt's rows: which events are due, and the claims on them, all on CalendarEvent itself.

Every move is a compare-and-set UPDATE on the state (and the lease) read, so of several schedulers, workers or
clicks exactly one wins each. The DM: none → claimed (a lease while it is posted) → sent (its channel and ts),
or → skipped. A button: sent → done with ``prompt_action`` and a lease on the work; the lease is cleared once
the work is over, so a press that finds ``done`` under a lapsed lease is a run that died, and resumes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from bot.db import Database
from bot.models import (
    Appointment,
    CalendarEvent,
    CalendarFeed,
    Client,
    Invoice,
    Service,
    StripeAccount,
    table_of,
    utcnow,
)

_EVENTS = table_of(CalendarEvent)
LEASE = timedelta(minutes=5)  # a DM being posted: seconds, unless its sender died
OLDEST = timedelta(days=1)  # sessions that ended longer ago get no prompt (an imported year is not 300 DMs)
# A press whose work has not finished this long after its lease lapsed: the work queue gave up on it (or lost it).
STUCK_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class Prompt:
    """An event with what its prompt shows and decides on."""

    event: CalendarEvent
    feed: CalendarFeed
    session: Appointment | None  # None: unmatched (no client yet)
    client: Client | None
    service: Service | None  # the session's
    invoice: Invoice | None  # the session's, once invoiced (by this prompt or another way)
    account_id: str | None  # the practice's Stripe account, where a card on file can be charged

    @property
    def event_id(self) -> int:
        assert self.event.id is not None
        return self.event.id

    @property
    def can_charge(self) -> bool:
        client = self.client
        return bool(client and client.default_payment_method and client.stripe_account_id == self.account_id)


def aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; ours are all UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


def load(db: Database, event_id: int) -> Prompt | None:
    with db.session() as session:
        event = session.get(CalendarEvent, event_id)
        feed = session.get(CalendarFeed, event.feed_id) if event is not None else None
        if event is None or feed is None:
            return None
        appointment = session.get(Appointment, event.appointment_id) if event.appointment_id else None
        client = session.get(Client, appointment.client_id) if appointment is not None else None
        service = session.get(Service, appointment.service_id) if appointment and appointment.service_id else None
        invoice = session.get(Invoice, appointment.invoice_id) if appointment and appointment.invoice_id else None
        account = session.get(StripeAccount, event.team_id)
        return Prompt(event, feed, appointment, client, service, invoice, account.account_id if account else None)


def skip_old(db: Database, now: datetime) -> int:
    """Sessions that ended over a day ago and never came due here (an import, a scheduler away): skipped."""
    statement = (
        update(_EVENTS)
        .where(_EVENTS.c.prompt_state == "none", _EVENTS.c.ends_at < now - OLDEST)
        .values(prompt_state="skipped", updated_at=now)
    )
    with db.write_lock(), db.session() as session:
        return int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]


def ended(db: Database, now: datetime) -> list[int]:
    """Events with no prompt yet whose session ended within the last day (due or not: the feed's delay decides)."""
    query = (
        select(_EVENTS.c.id)
        .where(_EVENTS.c.prompt_state == "none", _EVENTS.c.ends_at <= now, _EVENTS.c.ends_at >= now - OLDEST)
        .order_by(_EVENTS.c.ends_at, _EVENTS.c.id)
    )
    with db.engine.connect() as conn:
        return [int(row_id) for row_id in conn.execute(query).scalars()]


def abandoned(db: Database, now: datetime) -> list[tuple[int, datetime]]:
    """Claims whose sender's lease ran out (it died, or Slack failed): (event id, the lease read)."""
    query = select(_EVENTS.c.id, _EVENTS.c.prompt_claimed_until).where(
        _EVENTS.c.prompt_state == "claimed", _EVENTS.c.prompt_claimed_until < now
    )
    with db.engine.connect() as conn:
        return [(int(row_id), until) for row_id, until in conn.execute(query).all()]


def _cas(db: Database, event_id: int, where: list[Any], **values: object) -> bool:
    statement = update(_EVENTS).where(_EVENTS.c.id == event_id, *where).values(updated_at=utcnow(), **values)
    with db.write_lock(), db.session() as session:
        return bool(session.execute(statement).rowcount == 1)  # type: ignore[attr-defined]


def _lease_is(until: datetime | None) -> Any:
    return _EVENTS.c.prompt_claimed_until.is_(None) if until is None else _EVENTS.c.prompt_claimed_until == until


# -- the DM -------------------------------------------------------------------------------------------------


def claim(db: Database, event_id: int, now: datetime) -> bool:
    return _cas(
        db, event_id, [_EVENTS.c.prompt_state == "none"], prompt_state="claimed", prompt_claimed_until=now + LEASE
    )


def retake(db: Database, event_id: int, until: datetime, now: datetime) -> bool:
    where = [_EVENTS.c.prompt_state == "claimed", _lease_is(until)]
    return _cas(db, event_id, where, prompt_claimed_until=now + LEASE)


def skip(db: Database, event_id: int, *, held: bool) -> bool:
    """Not prompted (off, unmatched, invoiced, cancelled when it came due): from none, or from our claim."""
    state = "claimed" if held else "none"
    return _cas(db, event_id, [_EVENTS.c.prompt_state == state], prompt_state="skipped", prompt_claimed_until=None)


def sent(db: Database, event_id: int, channel: str, ts: str) -> bool:
    where = [_EVENTS.c.prompt_state == "claimed"]
    return _cas(
        db, event_id, where, prompt_state="sent", prompt_channel=channel, prompt_ts=ts, prompt_claimed_until=None
    )


def unclaim(db: Database, event_id: int) -> None:
    """A claimed session that is no longer due (moved later in the calendar meanwhile): it waits again."""
    _cas(db, event_id, [_EVENTS.c.prompt_state == "claimed"], prompt_state="none", prompt_claimed_until=None)


def give_back(db: Database, event_id: int, now: datetime) -> None:
    """The post failed (Slack may still have posted it): the next sweep retakes the claim, looking first."""
    _cas(db, event_id, [_EVENTS.c.prompt_state == "claimed"], prompt_claimed_until=now)


# -- the buttons --------------------------------------------------------------------------------------------


def press(db: Database, event_id: int, action: str, until: datetime) -> bool:
    """The first press of any button: this one's work, under a lease."""
    where = [_EVENTS.c.prompt_state == "sent"]
    return _cas(db, event_id, where, prompt_state="done", prompt_action=action, prompt_claimed_until=until)


def resume(db: Database, event_id: int, action: str, lapsed: datetime, until: datetime) -> bool:
    """A press whose run died (its lease ``lapsed`` read): its work again, under a new lease; one taker wins."""
    where = [_EVENTS.c.prompt_state == "done", _EVENTS.c.prompt_action == action, _lease_is(lapsed)]
    return _cas(db, event_id, where, prompt_claimed_until=until)


def again(db: Database, event_id: int, action: str, until: datetime) -> bool:
    """Retry after a failure the outcome showed (the work over, its lease cleared): the same work, resumed."""
    where = [_EVENTS.c.prompt_state == "done", _EVENTS.c.prompt_action == action, _lease_is(None)]
    return _cas(db, event_id, where, prompt_claimed_until=until)


def stuck(db: Database, now: datetime) -> list[tuple[int, datetime]]:
    """Presses whose work lapsed long ago without finishing: (event id, the lease read)."""
    query = select(_EVENTS.c.id, _EVENTS.c.prompt_claimed_until).where(
        _EVENTS.c.prompt_state == "done", _EVENTS.c.prompt_claimed_until < now - STUCK_AFTER
    )
    with db.engine.connect() as conn:
        return [(int(row_id), until) for row_id, until in conn.execute(query).all()]


def unstick(db: Database, event_id: int, lapsed: datetime) -> bool:
    """Given up: the work is over (its Retry resumes it); one sweep of several wins."""
    where = [_EVENTS.c.prompt_state == "done", _lease_is(lapsed)]
    return _cas(db, event_id, where, prompt_claimed_until=None)


def finish(db: Database, event_id: int) -> None:
    _cas(db, event_id, [_EVENTS.c.prompt_state == "done"], prompt_claimed_until=None)


def lapse(db: Database, event_id: int, now: datetime) -> None:
    """The work raised: the work queue runs the press again, which finds the lease lapsed and resumes."""
    _cas(db, event_id, [_EVENTS.c.prompt_state == "done", _EVENTS.c.prompt_claimed_until.is_not(None)],
         prompt_claimed_until=now)  # fmt: skip


def reopen(db: Database, event_id: int) -> None:
    """Nothing was made (a client without an email…): the buttons again, for a press once it is fixed."""
    _cas(db, event_id, [_EVENTS.c.prompt_state == "done"], prompt_state="sent", prompt_action=None,
         prompt_claimed_until=None)  # fmt: skip


def drop(db: Database, event_id: int) -> None:
    """The session was invoiced another way before the press, or left the calendar: no prompt work left."""
    where = [_EVENTS.c.prompt_state.in_(("sent", "done"))]
    _cas(db, event_id, where, prompt_state="skipped", prompt_claimed_until=None)
