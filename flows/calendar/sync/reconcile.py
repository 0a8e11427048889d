"""One feed's rows brought in line with its occurrences, in the caller's transaction, in a few batched statements.

The feed's events and their sessions are read in two queries as plain tuples (building ORM objects for
thousands of rows would cost more than the parse); what changes is decided here in Python, then written as
one INSERT of the new sessions (their ids returned in order), one INSERT of the new events, UPDATEs by primary
key in batches, and one DELETE. An occurrence whose digest is unchanged costs a dictionary lookup.

Rules: a new occurrence of a known client gets a session; an occurrence whose time changed moves its session,
unless the session is on an invoice that stands (then it is flagged "moved"); a cancelled occurrence, or one
gone from the feed, loses its session, unless invoiced (then it is flagged "cancelled"). Occurrences outside
the window are not asked about: their rows stay as they are.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, update
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from bot.i18n import t
from bot.models import Appointment, CalendarEvent, CalendarFeed, Invoice
from bot.timezones import zone as zone_named
from flows.calendar.feed.parse import Occurrence
from flows.calendar.sync.matching import Matcher

DESCRIPTION_LENGTH = 100
_BATCH = 500  # rows per IN list (SQLite's parameter limit) and per executemany


@dataclass
class Counts:
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    flagged: int = 0
    to_sort: int = 0


@dataclass
class _Row:
    """An event row as the sync reads it (and, once changed, writes it back whole)."""

    id: int
    uid: str
    occurrence_key: str
    content_sha256: str
    status: str
    client_id: int | None
    matched_by: str | None
    service_id: int | None
    appointment_id: int | None
    starts_at: datetime
    ends_at: datetime
    occurrence: Occurrence | None = None  # what the feed says now, for a row that changed


@dataclass
class _Held:
    """A session of the feed's: whether its invoice stands, and its flag."""

    invoiced: bool
    flag: str | None


@dataclass
class _Writes:
    new_events: list[dict[str, Any]] = field(default_factory=list)
    # Sessions to make: (the event's values or row to point at it, the session's values).
    new_sessions: list[tuple[dict[str, Any] | _Row, dict[str, Any]]] = field(default_factory=list)
    changed: dict[int, _Row] = field(default_factory=dict)
    moves: list[dict[str, Any]] = field(default_factory=list)
    flags: list[dict[str, Any]] = field(default_factory=list)
    deletes: list[int] = field(default_factory=list)


def content_digest(o: Occurrence) -> str:
    """What the feed says of one occurrence: equal digests, nothing to compare."""
    said = [o.starts_at.isoformat(), o.ends_at.isoformat(), o.all_day, o.summary, list(o.attendee_emails), o.cancelled]
    return hashlib.sha256(json.dumps(said, ensure_ascii=False).encode()).hexdigest()


class Reconciler:
    def __init__(
        self,
        session: Session,
        feed: CalendarFeed,
        matcher: Matcher,
        service_names: dict[int, str],
        now: datetime,
    ) -> None:
        assert feed.id is not None
        self.session, self.feed, self.feed_id = session, feed, feed.id
        self.matcher, self.service_names, self.now = matcher, service_names, now
        self.zone = zone_named(feed.timezone)
        self.fallback = t(feed.locale, "calendar.sync.session")
        self.counts = Counts()
        self.writes = _Writes()
        self.held: dict[int, _Held] = {}

    def run(self, occurrences: list[Occurrence], window: tuple[datetime, datetime]) -> Counts:
        existing = self._existing()
        self.held = self._held()
        seen: set[tuple[str, str]] = set()
        for o in occurrences:
            key = (o.uid, o.occurrence_key)
            seen.add(key)
            self._one(existing.get(key), o)
        window_start, window_end = window
        for key, row in existing.items():
            if key in seen or row.status == "removed" or not window_start <= row.starts_at < window_end:
                continue
            row.status = "removed"
            self._drop_session(row, "cancelled")
            self.writes.changed[row.id] = row
            self.counts.removed += 1
        self._write()
        self.counts.to_sort = to_sort(self.session, self.feed_id)
        return self.counts

    # -- deciding ------------------------------------------------------------------------------------------

    def _one(self, row: _Row | None, o: Occurrence) -> None:
        digest = content_digest(o)
        if row is None:
            client_id, matched_by = self.matcher.client_for(o.uid, o.summary, o.attendee_emails)
            values = self._event_values(o, digest, client_id, matched_by)
            if client_id is not None and not o.cancelled:
                values["service_id"] = self.matcher.service_for(o.summary)
                self.writes.new_sessions.append((values, self._session_values(o, client_id, values["service_id"])))
            self.writes.new_events.append(values)
            self.counts.added += 1
            return
        if row.content_sha256 == digest and row.status != "removed":
            if row.client_id is None and row.status == "confirmed":
                # Unchanged but unsorted: a client added since, or a rule made by hand, may place it now.
                client_id, matched_by = self.matcher.client_for(o.uid, o.summary, o.attendee_emails)
                if client_id is not None:
                    row.client_id, row.matched_by, row.occurrence = client_id, matched_by, o
                    self._give_session(row, o)
                    self.writes.changed[row.id] = row
                    self.counts.changed += 1
                    return
            self.counts.unchanged += 1
            return
        self.counts.changed += 1
        moved = row.starts_at != o.starts_at or row.ends_at != o.ends_at
        row.occurrence, row.content_sha256 = o, digest
        row.status = "cancelled" if o.cancelled else "confirmed"
        row.starts_at, row.ends_at = o.starts_at, o.ends_at
        self.writes.changed[row.id] = row
        if row.matched_by not in ("manual", "rule"):
            # What the event says changed: who it is may have too (a choice made by hand stands).
            client_id, matched_by = self.matcher.client_for(o.uid, o.summary, o.attendee_emails)
            held = self.held.get(row.appointment_id) if row.appointment_id is not None else None
            if client_id != row.client_id and not (held is not None and held.invoiced):
                self._drop_session(row, "cancelled")
                row.client_id, row.matched_by = client_id, matched_by
        if o.cancelled:
            self._drop_session(row, "cancelled")
        elif row.appointment_id is None or row.appointment_id not in self.held:
            row.appointment_id = None
            if row.client_id is not None:
                self._give_session(row, o)
        elif moved:
            held = self.held[row.appointment_id]
            if held.invoiced:
                self._flag(row.appointment_id, held, "moved")
            else:
                self.writes.moves.append({"id": row.appointment_id, **self._placed(o)})

    def _give_session(self, row: _Row, o: Occurrence) -> None:
        assert row.client_id is not None
        row.service_id = self.matcher.service_for(o.summary)
        self.writes.new_sessions.append((row, self._session_values(o, row.client_id, row.service_id)))

    def _drop_session(self, row: _Row, why: str) -> None:
        """The event is gone (cancelled, removed, no longer this client's): its session goes, unless invoiced."""
        if row.appointment_id is None:
            return
        held = self.held.get(row.appointment_id)
        if held is not None and held.invoiced:
            self._flag(row.appointment_id, held, why)
            return
        if held is not None:
            self.writes.deletes.append(row.appointment_id)
            del self.held[row.appointment_id]
        row.appointment_id = None

    def _flag(self, appointment_id: int, held: _Held, why: str) -> None:
        if held.flag != why:
            held.flag = why
            self.writes.flags.append({"id": appointment_id, "calendar_flag": why})
            self.counts.flagged += 1

    # -- values ------------------------------------------------------------------------------------------

    def _event_values(
        self, o: Occurrence, digest: str, client_id: int | None, matched_by: str | None
    ) -> dict[str, Any]:
        return {
            "team_id": self.feed.team_id,
            "feed_id": self.feed_id,
            "uid": o.uid,
            "occurrence_key": o.occurrence_key,
            **_said(o),
            "content_sha256": digest,
            "client_id": client_id,
            "service_id": None,
            "matched_by": matched_by,
            "appointment_id": None,
            "prompt_state": "none",
            "created_at": self.now,
            "updated_at": self.now,
        }

    def _session_values(self, o: Occurrence, client_id: int, service_id: int | None) -> dict[str, Any]:
        # The service's name, never the event's title (which may say why the client comes).
        name = self.service_names.get(service_id) if service_id is not None else None
        return {
            "team_id": self.feed.team_id,
            "client_id": client_id,
            "service_id": service_id,
            "description": (name or self.fallback)[:DESCRIPTION_LENGTH],
            "notes": None,
            "invoice_id": None,
            "created_by": self.feed.user_id,
            "created_at": self.now,
            "source": "calendar",
            "practitioner_id": self.feed.user_id,
            "calendar_flag": None,
            **self._placed(o),
        }

    def _placed(self, o: Occurrence) -> dict[str, Any]:
        return {
            "starts_at": o.starts_at,
            "held_on": held_on(o.starts_at, self.zone),
            "duration_minutes": None if o.all_day else max(0, int((o.ends_at - o.starts_at).total_seconds() // 60)),
        }

    # -- reading and writing -------------------------------------------------------------------------------

    def _existing(self) -> dict[tuple[str, str], _Row]:
        e = CalendarEvent
        rows = self.session.execute(
            select_columns(
                col(e.id), col(e.uid), col(e.occurrence_key), col(e.content_sha256), col(e.status),
                col(e.client_id), col(e.matched_by), col(e.service_id), col(e.appointment_id), col(e.starts_at),
                col(e.ends_at),
            ).where(col(e.feed_id) == self.feed_id)
        ).all()  # fmt: skip
        found = {}
        for r in rows:
            row = _Row(
                id=r[0], uid=r[1], occurrence_key=r[2], content_sha256=r[3], status=r[4], client_id=r[5],
                matched_by=r[6], service_id=r[7], appointment_id=r[8], starts_at=aware(r[9]), ends_at=aware(r[10]),
            )  # fmt: skip
            found[(row.uid, row.occurrence_key)] = row
        return found

    def _held(self) -> dict[int, _Held]:
        rows = self.session.execute(
            select_columns(
                col(Appointment.id), col(Appointment.invoice_id), col(Invoice.status), col(Appointment.calendar_flag)
            )
            .join(CalendarEvent, col(CalendarEvent.appointment_id) == col(Appointment.id))
            .outerjoin(Invoice, col(Invoice.id) == col(Appointment.invoice_id))
            .where(col(CalendarEvent.feed_id) == self.feed_id)
        ).all()
        # A voided invoice frees its sessions: only one that stands holds a session in place.
        return {
            appointment_id: _Held(invoiced=invoice_id is not None and status != "void", flag=flag)
            for appointment_id, invoice_id, status, flag in rows
        }

    def _write(self) -> None:
        session, w = self.session, self.writes
        if w.new_sessions:
            made: list[int] = []
            values = [v for _, v in w.new_sessions]
            for start in range(0, len(values), _BATCH):
                made += session.execute(
                    insert(Appointment).returning(col(Appointment.id), sort_by_parameter_order=True),
                    values[start : start + _BATCH],
                ).scalars().all()  # fmt: skip
            for (target, _), appointment_id in zip(w.new_sessions, made, strict=True):
                if isinstance(target, _Row):
                    target.appointment_id = appointment_id
                else:
                    target["appointment_id"] = appointment_id
        for start in range(0, len(w.new_events), _BATCH):
            session.execute(insert(CalendarEvent), w.new_events[start : start + _BATCH])
        if w.changed:
            rows = [self._row_values(row) for row in w.changed.values()]
            for start in range(0, len(rows), _BATCH):
                session.execute(update(CalendarEvent), rows[start : start + _BATCH])
        for start in range(0, len(w.deletes), _BATCH):
            session.execute(delete(Appointment).where(col(Appointment.id).in_(w.deletes[start : start + _BATCH])))
        for batch in (w.moves, w.flags):
            for start in range(0, len(batch), _BATCH):
                session.execute(update(Appointment), batch[start : start + _BATCH])

    def _row_values(self, row: _Row) -> dict[str, Any]:
        values: dict[str, Any] = {
            "id": row.id,
            "status": row.status,
            "client_id": row.client_id,
            "matched_by": row.matched_by,
            "service_id": row.service_id,
            "appointment_id": row.appointment_id,
            "content_sha256": row.content_sha256,
            "updated_at": self.now,
        }
        if row.occurrence is not None:
            values.update(_said(row.occurrence))
        else:  # removed from the feed: what it said last stands
            values.update({"starts_at": row.starts_at, "ends_at": row.ends_at})
        return values


def _said(o: Occurrence) -> dict[str, Any]:
    return {
        "starts_at": o.starts_at,
        "ends_at": o.ends_at,
        "all_day": o.all_day,
        "summary": o.summary,
        "attendee_emails": json.dumps(list(o.attendee_emails)),
        "status": "cancelled" if o.cancelled else "confirmed",
    }


def to_sort(session: Session, feed_id: int) -> int:
    """The feed's events waiting for a client (cancelled and removed ones are not)."""
    return int(
        session.exec(
            select(func.count())
            .select_from(CalendarEvent)
            .where(
                CalendarEvent.feed_id == feed_id,
                CalendarEvent.status == "confirmed",
                col(CalendarEvent.client_id).is_(None),
            )
        ).one()
    )


def held_on(starts_at: datetime, zone: ZoneInfo) -> date:
    """The session's day: where the practitioner is."""
    return starts_at.astimezone(zone).date()


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes for what was stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
