"""When the daily DM goes out and when a charge is made, in the practitioner's own time.

The time of day is the practice's reminders time (09:00 unless set in `/billing reminders`), in the practitioner's
own Slack time zone. An invoice made at any moment is listed in the first daily DM after it, and charged at the
same time the next day: a full day to Hold or Edit it.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from bot.timezones import zone

DEFAULT_MINUTE = 9 * 60
# A charge listed later than this before its time (the scheduler was down at DM time) waits a day more.
MIN_NOTICE = timedelta(hours=12)


def next_moment(after: datetime, minute: int, tz: str | None) -> datetime:
    """The first time of day ``minute`` in ``tz`` strictly after ``after`` (UTC)."""
    local_zone = zone(tz)
    local = after.astimezone(local_zone)
    at = time(minute // 60, minute % 60)
    candidate = datetime.combine(local.date(), at, local_zone)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), at, local_zone)
    return candidate.astimezone(UTC)


def charge_time(created: datetime, minute: int, tz: str | None) -> datetime:
    """The day after the first daily DM following the invoice, at the same time of day (DST kept local)."""
    dm = next_moment(created, minute, tz).astimezone(zone(tz))
    at = time(minute // 60, minute % 60)
    return datetime.combine(dm.date() + timedelta(days=1), at, zone(tz)).astimezone(UTC)


def day_later(moment: datetime, tz: str | None) -> datetime:
    """The same local time a day later (a charge put off: no DM listed it in time)."""
    local = moment.astimezone(zone(tz))
    return datetime.combine(local.date() + timedelta(days=1), local.timetz().replace(tzinfo=None), zone(tz)).astimezone(
        UTC
    )


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive UTC times; PostgreSQL aware ones."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
