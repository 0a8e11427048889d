"""A workspace's reminder rules as plain values, and which rule an invoice is at, at a given moment.

A rule is a number of days from the due date (-3: three days before, 0: on the due date, 7: a week after),
sent at the workspace's time of day in its time zone. At any moment an invoice is at most at one rule: the
latest whose moment has passed. The rules before it are stale (a sweep that was down for a week sends the
reminder that is due now, not a burst of old ones), and the last rule stays sendable for LAST_RULE_WINDOW.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.models import ReminderSettings
from bot.timezones import zone

DEFAULT_OFFSETS = (-3, 0, 7)
DEFAULT_SEND_MINUTE = 9 * 60
MAX_DAYS = 365
MAX_RULES = 20
LAST_RULE_WINDOW = timedelta(days=30)


def aware(value: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; every one we store is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_offsets(raw: str) -> tuple[int, ...]:
    try:
        found = json.loads(raw)
    except ValueError:
        return DEFAULT_OFFSETS
    if not isinstance(found, list):
        return DEFAULT_OFFSETS
    return tuple(sorted({int(v) for v in found if isinstance(v, int) and -MAX_DAYS <= v <= MAX_DAYS}))


@dataclass(frozen=True)
class Rules:
    team_id: str
    offsets: tuple[int, ...]  # ascending, distinct
    send_minute: int
    zone: ZoneInfo
    active_since: datetime

    @classmethod
    def of(cls, settings: ReminderSettings) -> Rules:
        return cls(
            team_id=settings.team_id,
            offsets=parse_offsets(settings.offsets),
            send_minute=settings.send_minute,
            zone=zone(settings.timezone),
            active_since=aware(settings.active_since),
        )

    def moment(self, due_date: date, offset: int) -> datetime:
        """When the reminder ``offset`` days from ``due_date`` is due, in UTC."""
        at = time(self.send_minute // 60, self.send_minute % 60)
        local = datetime.combine(due_date + timedelta(days=offset), at, tzinfo=self.zone)
        return local.astimezone(UTC)

    def today(self, now: datetime) -> date:
        return now.astimezone(self.zone).date()

    def last_day(self, now: datetime) -> date:
        """The latest day whose send time has come: a rule is due once its day is on or before this one."""
        today = self.today(now)
        return today if self.moment(today, 0) <= now else today - timedelta(days=1)

    def rule_for(self, due_date: date, last_day: date) -> int | None:
        """The latest rule whose day is on or before ``last_day`` (plain date arithmetic, for the sweep's scan)."""
        index = bisect_right(self.offsets, (last_day - due_date).days) - 1
        return self.offsets[index] if index >= 0 else None

    def current(self, due_date: date, now: datetime) -> tuple[int, datetime] | None:
        """The rule this invoice is at now, and when it came due; None before the first or past the last's window."""
        rule = self.rule_for(due_date, self.last_day(now))
        if rule is None:
            return None
        at = self.moment(due_date, rule)
        if rule == self.offsets[-1] and now - at > LAST_RULE_WINDOW:
            return None
        return rule, at

    def is_current(self, due_date: date, offset: int, now: datetime) -> bool:
        current = self.current(due_date, now)
        return current is not None and current[0] == offset

    def upcoming(self, due_date: date, now: datetime) -> tuple[int, datetime] | None:
        """The next rule still to come for this due date, and when."""
        for offset in self.offsets:
            at = self.moment(due_date, offset)
            if at > now:
                return offset, at
        return None


def due_date_window(all_rules: list[Rules], now: datetime) -> tuple[date, date] | None:
    """The due dates any workspace may have a reminder due for now: the sweep reads only those invoices."""
    offsets = [o for rules in all_rules for o in rules.offsets]
    if not offsets:
        return None
    today = now.astimezone(UTC).date()
    # A day's margin each side for time zones ahead of or behind UTC.
    latest = today + timedelta(days=1 - min(offsets))
    earliest = today - timedelta(days=max(offsets) + LAST_RULE_WINDOW.days + 2)
    return earliest, latest


def category(offset: int) -> str:
    """How the team's digest files a reminder: before, on, or after the due date."""
    return "soon" if offset < 0 else "today" if offset == 0 else "overdue"
