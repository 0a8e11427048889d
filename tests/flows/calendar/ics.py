"""ICS feeds for the calendar tests, dated relative to now so that they stay inside the sync window.

The files in ``fixtures/`` have fixed dates (the parse tests give parse_feed a window around them); the sync,
week and prompt tests build their feeds here, e.g.::

    body = calendar(event("s1", start=this_week(1, 10), minutes=50, summary="Séance Élodie Lefèvre"))
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def this_week(weekday: int, hour: int, minute: int = 0, *, zone: str = "UTC", weeks: int = 0) -> datetime:
    """Monday = 0 of the current week (plus ``weeks``), at that local time in ``zone``, aware."""
    tz = ZoneInfo(zone)
    today = datetime.now(tz).date()
    day = today - timedelta(days=today.weekday()) + timedelta(days=weekday, weeks=weeks)
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


def days_from_now(days: int, hour: int = 10, minute: int = 0, *, zone: str = "UTC") -> datetime:
    tz = ZoneInfo(zone)
    day = datetime.now(tz).date() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _local(prop: str, moment: datetime) -> str:
    """A property at ``moment``'s local wall-clock time with its TZID (UTC: the Z form)."""
    name = getattr(moment.tzinfo, "key", "UTC")
    if name == "UTC":
        return f"{prop}:{_stamp(moment)}"
    return f"{prop};TZID={name}:{moment.strftime('%Y%m%dT%H%M%S')}"


def event(
    uid: str,
    *,
    start: datetime | date,
    minutes: int = 50,
    summary: str = "Session",
    attendees: Iterable[str] = (),
    status: str | None = None,
    rrule: str | None = None,
    exdates: Iterable[datetime] = (),
    recurrence_id: datetime | None = None,
    sequence: int = 0,
) -> str:
    """One VEVENT; ``start`` a date makes it all-day (one day long)."""
    lines = ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20250101T000000Z"]
    if isinstance(start, datetime):
        lines += [_local("DTSTART", start), _local("DTEND", start + timedelta(minutes=minutes))]
    else:
        lines += [f"DTSTART;VALUE=DATE:{start:%Y%m%d}", f"DTEND;VALUE=DATE:{start + timedelta(days=1):%Y%m%d}"]
    if recurrence_id is not None:
        lines.append(_local("RECURRENCE-ID", recurrence_id))
    if rrule:
        lines.append(f"RRULE:{rrule}")
    lines += [_local("EXDATE", moment) for moment in exdates]
    lines.append(f"SUMMARY:{summary}")
    lines += [f"ATTENDEE;CN=Guest;PARTSTAT=ACCEPTED:mailto:{email}" for email in attendees]
    if status:
        lines.append(f"STATUS:{status}")
    if sequence:
        lines.append(f"SEQUENCE:{sequence}")
    lines.append("END:VEVENT")
    return "\r\n".join(lines)


def calendar(*events: str) -> bytes:
    """A VCALENDAR of these events (zones by their IANA names, as Google's and Apple's feeds give them)."""
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Billbot tests//EN\r\nCALSCALE:GREGORIAN"
    return "\r\n".join([head, *events, "END:VCALENDAR", ""]).encode()
