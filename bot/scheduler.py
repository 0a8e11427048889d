"""APScheduler running the jobs the flows registered, in `billbot serve` or alone in `billbot scheduler`.

Jobs must be safe to run in several processes at once: each claims its work in the database
(see Database.claim_once), so the scheduler needs no lock of its own.
"""

from __future__ import annotations

import logging
from datetime import UTC, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from bot.models import utcnow
from bot.services import Job, Services

log = logging.getLogger(__name__)

CLAIM_RETENTION = timedelta(days=30)
RETRYABLE_CLAIMS = ("slack_event", "stripe_event")


def housekeeping_job(services: Services) -> Job:
    def prune() -> None:
        removed = services.db.prune_claims(RETRYABLE_CLAIMS, utcnow() - CLAIM_RETENTION)
        if removed:
            log.info("pruned %d old event claims", removed)

    return Job(name="prune_event_claims", run=prune, every_seconds=3600)


def build_scheduler(services: Services, *, blocking: bool) -> BaseScheduler:
    scheduler: BaseScheduler = BlockingScheduler(timezone=UTC) if blocking else BackgroundScheduler(timezone=UTC)
    for job in [housekeeping_job(services), *services.jobs]:
        scheduler.add_job(
            job.run,
            "interval",
            seconds=job.every_seconds,
            id=job.name,
            # A sweep that overran its interval is not stacked up behind itself.
            max_instances=1,
            coalesce=True,
            next_run_time=utcnow(),
        )
    return scheduler
