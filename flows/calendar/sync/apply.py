"""A feed's occurrences into rows: one CalendarEvent per occurrence, a session (Appointment) per matched one.

Each sync is one transaction: a feed that cannot be read changes nothing but its status.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.services import Services


@dataclass(frozen=True)
class SyncResult:
    not_modified: bool  # the feed answered 304, or sent the same body as last time: nothing was read
    added: int
    changed: int
    removed: int
    unchanged: int
    to_sort: int  # occurrences in the window with no client yet
    flagged: int  # invoiced sessions whose event moved or was cancelled


def connect_feed(
    services: Services,
    *,
    team_id: str,
    user_id: str,
    url: str | None,
    body: bytes | None,
    timezone: str,
    locale: str,
    default_service_id: int | None = None,
    no_show_service_id: int | None = None,
    prompt_on_end: bool = False,
    prompt_delay_minutes: int = 5,
) -> tuple[int, SyncResult]:
    """Save the user's one feed (an address or an uploaded body, exactly one) and run its first sync.

    On FeedProblem nothing is saved and the problem is raised.
    """
    raise NotImplementedError


def sync_feed(services: Services, feed_id: int, *, body: bytes | None = None) -> SyncResult:
    """Re-read a feed (with its validators) or an uploaded body; on FeedProblem mark it failing and raise."""
    raise NotImplementedError


def assign_client(services: Services, *, team_id: str, event_id: int, client_id: int, user_id: str) -> int:
    """The to-sort click: this event and the feed's other unsorted occurrences of its uid get the client."""
    raise NotImplementedError


def disconnect_feed(services: Services, *, team_id: str, user_id: str) -> int:
    """Remove the user's feed and its events, and the un-invoiced sessions still to come; the count removed."""
    raise NotImplementedError
