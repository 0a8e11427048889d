"""The app-wide check of every request against the workspace's uninstall mark.

A request Slack sent after the uninstall proves the app is installed again (the single-workspace case:
there is no OAuth callback to tell us), so it clears the mark. Work queued from a request sent before it
is dropped when a worker replays it: nothing is posted to a workspace that removed the app.

The acks pay one primary-key read per workspace every CHECK_EVERY_SECONDS (a per-process memory); the
workers, whose replays decide whether anything is posted, read the mark afresh each time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.db import Database
from bot.workspace_status import reactivate, uninstalled_at

log = logging.getLogger(__name__)

UNINSTALL_EVENTS = frozenset({"app_uninstalled", "tokens_revoked"})
CHECK_EVERY_SECONDS = 10.0


def event_type(body: dict[str, object]) -> str | None:
    event = body.get("event")
    return str(event.get("type")) if isinstance(event, dict) else None


def event_time(body: dict[str, object]) -> datetime | None:
    when = body.get("event_time")
    return datetime.fromtimestamp(when, UTC) if isinstance(when, int | float) else None


def sent_at(req: BoltRequest) -> datetime | None:
    """When Slack sent this: the event's own time (a retry keeps it), else the signed request timestamp."""
    found = event_time(req.body)
    if found is not None:
        return found
    raw = (req.headers.get("x-slack-request-timestamp") or [""])[0]
    return datetime.fromtimestamp(int(raw), UTC) if raw.isascii() and raw.isdigit() else None


class InstallGate(Middleware):
    def __init__(self, db: Database) -> None:
        self.db = db
        self._marks: dict[str, tuple[float, datetime | None]] = {}
        self._lock = threading.Lock()

    def forget(self, team_id: str | None) -> None:
        """Read the mark afresh next time (it is being set or cleared in this process)."""
        with self._lock:
            self._marks.pop(team_id or "", None)

    def _recent_mark(self, team_id: str) -> datetime | None:
        now = time.monotonic()
        with self._lock:
            found = self._marks.get(team_id)
        if found is not None and now - found[0] < CHECK_EVERY_SECONDS:
            return found[1]
        mark = uninstalled_at(self.db, team_id)
        with self._lock:
            self._marks[team_id] = (now, mark)
        return mark

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse | None:
        team_id = req.context.team_id
        if not team_id or event_type(req.body) in UNINSTALL_EVENTS:
            return next()
        mark = uninstalled_at(self.db, team_id) if req.lazy_only else self._recent_mark(team_id)
        if mark is None:
            return next()
        # An ack is for a request arriving now; a replay without a timestamp (Socket Mode) cannot be dated,
        # so it is let through (a revoked token posts nothing anyway) without clearing the mark.
        sent = sent_at(req) or (None if req.lazy_only else datetime.now(UTC))
        if sent is None:
            return next()
        if sent > mark:
            if reactivate(self.db, team_id):
                log.info("workspace %s is using Billbot again: its scheduled work resumes", team_id)
            self.forget(team_id)
            return next()
        if req.lazy_only:
            log.info("work queued for %s before Billbot was uninstalled from it is dropped", team_id)
            return BoltResponse(status=200, body="")
        return next()  # the ack answers; its work, queued, is dropped when replayed
