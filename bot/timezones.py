"""Time zones by their IANA names, as Slack gives a member's (``users.info`` ``tz``).

The zone database comes from the ``tzdata`` package when the system has none (Windows, slim containers),
so a practice's reminders and due dates never quietly fall back to UTC there.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(name: str | None) -> ZoneInfo:
    """The zone called ``name``; UTC when there is none or the name is not a zone."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def today_in(name: str | None, now: datetime | None = None) -> date:
    """The calendar date in that zone at ``now`` (default: now)."""
    return (now or datetime.now(UTC)).astimezone(zone(name)).date()
