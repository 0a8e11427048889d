"""The scheduler's calendar sync: each due feed re-read once per interval, however many schedulers run.

A feed is claimed with one conditional UPDATE that also moves its ``next_sync_at`` on by the interval: of
several schedulers looking at once, one wins it, and none looks again before the interval is over (a
scheduler that dies mid-sync delays that feed by one interval, no more). A scheduled sync that fails tells
the practitioner once per run of failures (``failure_told``), in the feed's language; the first success after
it says the calendar is read again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_bolt import App
from slack_sdk.errors import SlackApiError
from sqlalchemy import or_, update
from sqlmodel import col, select

from bot.i18n import t
from bot.models import CalendarFeed, utcnow
from bot.services import Job, Services
from bot.slack_clients import client_for
from flows.calendar.feed.problems import FeedProblem
from flows.calendar.sync.apply import sync_feed

log = logging.getLogger(__name__)

SYNC_EVERY_SECONDS = 60
# How long a claimed sync may take before another scheduler may take the feed (a fetch's deadline is 10 s).
CLAIM_FOR = timedelta(minutes=5)
# Feeds looked at per run; the rest wait for the next minute.
BATCH = 100


class CalendarSync:
    def __init__(self, services: Services) -> None:
        self.services = services

    def run(self) -> int:
        """Sync every due feed this scheduler wins; how many it synced (or tried to)."""
        now = utcnow()
        due = self._due(now)
        claimed = [feed_id for feed_id in due if self._claim(feed_id, now)]
        for feed_id in claimed:
            self._sync(feed_id)
        if due:  # a quiet minute says nothing (it is most of them)
            log.info(
                "calendar sync at %s: %d due, %d claimed", now.isoformat(timespec="seconds"), len(due), len(claimed)
            )
        return len(claimed)

    def _due(self, now: datetime) -> list[int]:
        with self.services.db.session() as session:
            rows = session.exec(
                select(CalendarFeed.id)
                .where(CalendarFeed.source == "url", col(CalendarFeed.next_sync_at) <= now)
                .where(or_(col(CalendarFeed.sync_claimed_until).is_(None), col(CalendarFeed.sync_claimed_until) < now))
                .order_by(col(CalendarFeed.next_sync_at))
                .limit(BATCH)
            ).all()
        return [feed_id for feed_id in rows if feed_id is not None]

    def _claim(self, feed_id: int, now: datetime) -> bool:
        interval = timedelta(minutes=self.services.settings.calendar_sync_minutes)
        with self.services.db.write_lock(), self.services.db.session() as session:
            result = session.execute(
                update(CalendarFeed)
                .where(col(CalendarFeed.id) == feed_id, col(CalendarFeed.next_sync_at) <= now)
                .where(or_(col(CalendarFeed.sync_claimed_until).is_(None), col(CalendarFeed.sync_claimed_until) < now))
                .values(sync_claimed_until=now + CLAIM_FOR, next_sync_at=now + interval)
            )
            return int(getattr(result, "rowcount", 0) or 0) == 1

    def _sync(self, feed_id: int) -> None:
        try:
            sync_feed(self.services, feed_id)
        except FeedProblem as problem:
            self._tell_failure(feed_id, problem)
        except LookupError:
            return  # disconnected meanwhile
        except Exception:
            log.exception("calendar feed %s: the sync failed", feed_id)
        else:
            self._tell_recovery(feed_id)
        finally:
            self._release(feed_id)

    def _release(self, feed_id: int) -> None:
        with self.services.db.write_lock(), self.services.db.session() as session:
            session.execute(update(CalendarFeed).where(col(CalendarFeed.id) == feed_id).values(sync_claimed_until=None))

    def _flip_told(self, feed_id: int, *, to: bool) -> CalendarFeed | None:
        """Set ``failure_told`` if it was not already: the feed when this call changed it, else None."""
        with self.services.db.write_lock(), self.services.db.session() as session:
            result = session.execute(
                update(CalendarFeed)
                .where(col(CalendarFeed.id) == feed_id, col(CalendarFeed.failure_told).is_(not to))
                .values(failure_told=to)
            )
            if int(getattr(result, "rowcount", 0) or 0) != 1:
                return None
            return session.get(CalendarFeed, feed_id)

    def _tell_failure(self, feed_id: int, problem: FeedProblem) -> None:
        feed = self._flip_told(feed_id, to=True)
        if feed is None:
            return  # told already, in this run of failures
        reason = t(feed.locale, problem.key, **problem.params)
        if not self._dm(feed, t(feed.locale, "calendar.sync.failed_dm", reason=reason)):
            self._flip_told(feed_id, to=False)  # not told after all: the next failing run tries again

    def _tell_recovery(self, feed_id: int) -> None:
        feed = self._flip_told(feed_id, to=False)
        if feed is not None:
            self._dm(feed, t(feed.locale, "calendar.sync.recovered_dm"))

    def _dm(self, feed: CalendarFeed, text: str) -> bool:
        web = client_for(self.services, feed.team_id)
        if web is None:
            return True  # uninstalled: nobody to tell, and no point trying again
        try:
            web.chat_postMessage(channel=feed.user_id, text=text)
        except SlackApiError as exc:
            log.warning("calendar feed %s: could not DM its practitioner: %s", feed.id, exc.response.get("error"))
            return False
        except Exception as exc:  # Slack unreachable: the other feeds' syncs go on all the same
            log.warning("calendar feed %s: could not DM its practitioner: %s", feed.id, type(exc).__name__)
            return False
        return True


def register(app: App, services: Services) -> None:
    del app
    sync = CalendarSync(services)

    def run() -> None:
        sync.run()

    services.jobs.append(Job(name="calendar_sync", run=run, every_seconds=SYNC_EVERY_SECONDS))
