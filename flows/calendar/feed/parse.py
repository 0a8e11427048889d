"""An iCalendar (ICS) body → the occurrences of its events within a window, in UTC.

``icalendar`` reads the format (VTIMEZONE and TZID included); ``recurring_ical_events`` unfolds RRULE,
RDATE, EXDATE and moved occurrences (RECURRENCE-ID). Floating times (no zone) are read in the practitioner's
zone; an all-day event runs from midnight to midnight there. A cancelled event (STATUS:CANCELLED on the event
or on one occurrence) is kept, marked cancelled, so its session can be removed.

Whatever the body holds, the only exception out of here is FeedProblem("calendar.error.malformed") (or
"calendar.error.too_many" for a rule that unfolds into more occurrences than a practice has).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from flows.calendar.feed.problems import FeedProblem

# More occurrences than this in the sync window is no practice's calendar (a rule repeating every minute).
MAX_OCCURRENCES = 50_000
UID_LENGTH = 255
SUMMARY_LENGTH = 255


@dataclass(frozen=True)
class Occurrence:
    uid: str
    occurrence_key: str  # the original start (RECURRENCE-ID) in ISO UTC for a recurring event's occurrence, else ""
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    all_day: bool
    summary: str
    attendee_emails: tuple[str, ...]  # lower case, without "mailto:"
    cancelled: bool


def parse_feed(body: bytes, *, window_start: datetime, window_end: datetime, zone: ZoneInfo) -> list[Occurrence]:
    """Every occurrence overlapping [window_start, window_end), one per (uid, occurrence_key), by start."""
    try:
        calendar = _read_calendar(body)
        recurring = _recurring_uids(calendar)
        query = recurring_ical_events.of(calendar, skip_bad_series=True)
        found: dict[tuple[str, str], Occurrence] = {}
        described: dict[int, _Said | None] = {}
        for start, end, component in _occurrences(query, window_start, window_end):
            said = described.get(id(component))
            if id(component) not in described:
                said = described[id(component)] = _said(component)
            if said is None:
                continue
            occurrence = _occurrence(start, end, said, recurring=recurring, zone=zone)
            # A feed that repeats a UID for two single events: the first one stands.
            found.setdefault((occurrence.uid, occurrence.occurrence_key), occurrence)
    except FeedProblem:
        raise
    except Exception as error:  # the libraries raise many kinds on a mangled body; all mean one thing here
        raise FeedProblem("calendar.error.malformed") from error
    return sorted(found.values(), key=lambda o: (o.starts_at, o.uid, o.occurrence_key))


def _read_calendar(body: bytes) -> Any:
    text = body.decode("utf-8-sig", errors="replace").lstrip()
    if not text[:15].upper().startswith("BEGIN:VCALENDAR"):
        raise FeedProblem("calendar.error.malformed")
    calendar = icalendar.Calendar.from_ical(text)
    if getattr(calendar, "name", "") != "VCALENDAR":
        raise FeedProblem("calendar.error.malformed")
    return calendar


def _recurring_uids(calendar: Any) -> set[str]:
    """UIDs with a rule, extra dates or a moved occurrence: their occurrences are keyed by original start."""
    uids = set()
    for event in calendar.walk("VEVENT"):
        if any(name in event for name in ("RRULE", "RDATE", "RECURRENCE-ID")):
            uids.add(_uid(event))
    return uids


def _occurrences(query: Any, window_start: datetime, window_end: datetime) -> Iterator[tuple[Any, Any, Any]]:
    """(start, end, the VEVENT it comes from) of each occurrence, series by series, stopping at MAX_OCCURRENCES
    instead of unfolding a rule without end.

    The library's own ``as_component`` copies the whole VEVENT for each occurrence, which is most of the time
    of a large feed; its occurrences carry their start, end and source component, which is all that is read
    here (the source's RECURRENCE-ID, when it has one, names a moved occurrence).
    """
    count = 0
    for series in query.series:
        try:
            for occurrence in series.between(window_start, window_end):
                count += 1
                if count > MAX_OCCURRENCES:
                    raise FeedProblem("calendar.error.too_many", limit=f"{MAX_OCCURRENCES:,}")
                source = getattr(getattr(occurrence, "_adapter", None), "_component", None)
                if source is None:  # another version of the library: the slow, public way
                    component = occurrence.as_component(False)
                    end = component.get("DTEND")
                    yield component["DTSTART"].dt, end.dt if end is not None else None, component
                else:
                    yield occurrence.start, occurrence.end, source
        except query._skip_errors:
            continue  # one bad series (an unreadable RRULE) is left out, as the library would


@dataclass(frozen=True)
class _Said:
    """What one VEVENT says, read once for all its occurrences."""

    uid: str
    summary: str
    attendee_emails: tuple[str, ...]
    cancelled: bool
    original: date | datetime | None  # its RECURRENCE-ID: it is a moved (or changed) occurrence
    start: date | datetime  # its own DTSTART


def _said(component: Any) -> _Said | None:
    if component.get("DTSTART") is None:
        return None
    original = component.get("RECURRENCE-ID")
    return _Said(
        uid=_uid(component),
        summary=" ".join(str(component.get("SUMMARY", "")).split())[:SUMMARY_LENGTH],
        attendee_emails=_emails(component.get("ATTENDEE")),
        cancelled=str(component.get("STATUS", "")).strip().upper() == "CANCELLED",
        original=original.dt if original is not None else None,
        start=component["DTSTART"].dt,
    )


def _uid(event: Any) -> str:
    raw = str(event.get("UID", "")).strip()
    if not raw:
        # No UID (some exports): a stable stand-in from what identifies the event.
        seed = f"{event.get('DTSTART').to_ical() if event.get('DTSTART') else b''!r}|{event.get('SUMMARY', '')}"
        return "no-uid-" + hashlib.sha256(seed.encode()).hexdigest()[:32]
    if len(raw) > UID_LENGTH:
        return raw[:200] + "#" + hashlib.sha256(raw.encode()).hexdigest()[:32]
    return raw


def _utc(value: date | datetime, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=zone)
    else:
        moment = datetime.combine(value, time(), tzinfo=zone)
    return moment.astimezone(UTC)


def _occurrence(start: date | datetime, end: Any, said: _Said, *, recurring: set[str], zone: ZoneInfo) -> Occurrence:
    all_day = not isinstance(start, datetime)
    if end is None or isinstance(end, timedelta):
        end = start + (end if isinstance(end, timedelta) else timedelta(days=1) if all_day else timedelta(0))
    starts_at = _utc(start, zone)
    ends_at = max(_utc(end, zone), starts_at)
    key = ""
    if said.uid in recurring:
        # An occurrence of the rule is known by its start; a moved one by the start it was moved from (the
        # later occurrences of a "this and future" change, which share its VEVENT, by their own start).
        moved_from = said.original if said.original is not None and start == said.start else None
        key = (_utc(moved_from, zone) if moved_from is not None else starts_at).isoformat()
    return Occurrence(
        uid=said.uid,
        occurrence_key=key,
        starts_at=starts_at,
        ends_at=ends_at,
        all_day=all_day,
        summary=said.summary,
        attendee_emails=said.attendee_emails,
        cancelled=said.cancelled,
    )


def _emails(attendees: Any) -> tuple[str, ...]:
    if attendees is None:
        return ()
    if not isinstance(attendees, list):
        attendees = [attendees]
    emails: list[str] = []
    for attendee in attendees:
        address = str(attendee).strip()
        if address[:7].lower() == "mailto:":
            address = address[7:]
        address = address.strip().lower()
        if "@" in address and address not in emails:
            emails.append(address)
    return tuple(emails)
