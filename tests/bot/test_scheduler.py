"""The scheduler runs the housekeeping job and every job a flow registers."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from bot.db import Database
from bot.models import HandledRequest, utcnow
from bot.scheduler import CLAIM_RETENTION, build_scheduler, housekeeping_job
from bot.services import Job, Services
from bot.settings import Mode, load_settings


def test_scheduler_carries_housekeeping_and_flow_jobs(database_url: str) -> None:
    services = Services.build(load_settings(Mode.DATABASE, {"DATABASE_URL": database_url}))
    try:
        services.jobs.append(Job(name="reminders_sweep", run=lambda: None, every_seconds=300))
        scheduler = build_scheduler(services, blocking=False)
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {"prune_event_claims", "reminders_sweep"}
        assert jobs["reminders_sweep"].trigger.interval == timedelta(seconds=300)
        assert jobs["reminders_sweep"].max_instances == 1
    finally:
        services.close()


def test_housekeeping_forgets_event_claims_past_their_retention(database_url: str) -> None:
    services = Services.build(load_settings(Mode.DATABASE, {"DATABASE_URL": database_url}))
    db: Database = services.db
    try:
        assert db.claim_once("T1", "slack_event", "Ev1")
        with db.session() as session:
            session.execute(update(HandledRequest).values(created_at=utcnow() - CLAIM_RETENTION - timedelta(hours=1)))
        housekeeping_job(services).run()
        assert db.claim_once("T1", "slack_event", "Ev1")  # forgotten, so claimable again
    finally:
        db.dispose()
