"""Work after the ack is in the database before Slack hears "ok", and is done once it can be, by one worker."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import select

from bot.db import Database, upgrade
from bot.models import PendingWork, utcnow
from bot.sandbox.slack import SlackStandIn
from bot.slack_app import start_worker
from bot.work_queue import WorkQueue
from tests.conftest import ADMIN, SIGNING_SECRET, TEAM_ID, app_env
from tests.harness.running_app import RunningApp
from tests.harness.slack_requests import SlackRequests

HEADERS = {"content-type": ["application/x-www-form-urlencoded"]}


@contextmanager
def opened(url: str, **options: Any) -> Iterator[tuple[Database, WorkQueue]]:
    """A database and a work queue on it, both let go of at the end."""
    db = Database(url)
    queue = WorkQueue(db, **options)
    try:
        yield db, queue
    finally:
        queue.close()
        db.dispose()


def pending(db: Database) -> list[PendingWork]:
    with db.session() as session:
        return list(session.exec(select(PendingWork)).all())


def test_acked_work_survives_a_worker_crash_and_is_done_when_one_returns(
    slack: SlackStandIn, database_url: str
) -> None:
    slack.reset()
    app = RunningApp(app_env(slack, database_url)).start(worker=False)
    try:
        requests = SlackRequests(app.url, SIGNING_SECRET, slack, TEAM_ID)
        # The App Home's publish is durable work (opening a modal would be trigger-bound, run at once).
        event = {"type": "app_home_opened", "user": ADMIN, "channel": "D0HOME", "tab": "home"}
        assert requests.event(event).status_code == 200
        rows = pending(app.services.db)
        assert [(row.team_id, row.function) for row in rows] == [(TEAM_ID, "publish_home")]
        time.sleep(0.2)
        assert slack.calls("views.publish") == []  # nobody did the work yet

        app.worker = start_worker(app.services, app.bolt_app)  # a worker comes back
        slack.wait_for(lambda: slack.workspace(TEAM_ID).home(ADMIN))
        slack.wait_for(lambda: pending(app.services.db) == [])
        requests.close()
    finally:
        app.stop()


def test_two_workers_never_take_the_same_row(database_url: str) -> None:
    with opened(database_url) as (_db, queue):
        for n in range(120):
            queue.enqueue("T1", "f", f"body={n}", HEADERS)
        taken: list[list[int]] = [[], []]

        def take(index: int) -> None:
            while jobs := queue.claim(7):
                taken[index].extend(job.id for job in jobs)

        threads = [threading.Thread(target=take, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not set(taken[0]) & set(taken[1])
        assert len(taken[0]) + len(taken[1]) == 120


def test_a_lapsed_lease_gives_the_row_to_the_next_worker(database_url: str) -> None:
    with opened(database_url, lease=timedelta(milliseconds=50)) as (db, queue):
        other = WorkQueue(db, lease=timedelta(milliseconds=50))  # a second worker on the same database
        queue.enqueue("T1", "f", "body", HEADERS)
        first = queue.claim(5)
        assert len(first) == 1
        assert other.claim(5) == []  # leased
        time.sleep(0.1)
        again = other.claim(5)
        assert [job.id for job in again] == [first[0].id]
        # Neither claim ran it (the first worker died with it waiting in its pool): no attempt counted.
        assert again[0].attempts == 0
        # The first worker, had it only stalled, may no longer start it or renew it: the row is the other's.
        assert queue.start(first[0]) is None
        queue.renew([first[0].id])
        started = other.start(again[0])
        assert started is not None and started.attempts == 1
        other.close()


def test_a_renewed_lease_keeps_a_long_job_with_its_worker(database_url: str) -> None:
    with opened(database_url, lease=timedelta(milliseconds=200)) as (db, queue):
        other = WorkQueue(db, lease=timedelta(milliseconds=200))
        queue.enqueue("T1", "f", "body", HEADERS)
        [job] = queue.claim(1)
        assert queue.start(job) is not None
        for _ in range(4):  # the job runs for four fifths of a second, twice its lease
            time.sleep(0.1)
            queue.renew([job.id])
            assert other.claim(1) == []
        other.close()


def test_a_job_whose_runs_all_died_is_set_aside_as_failed(database_url: str) -> None:
    """A job that kills its worker (it never comes back to fail) is not handed to the next worker forever."""
    with opened(database_url, lease=timedelta(milliseconds=50), max_attempts=3) as (db, queue):
        queue.enqueue("T1", "f", "body", HEADERS)
        for attempt in range(1, 4):
            [job] = queue.claim(1)
            started = queue.start(job)
            assert started is not None and started.attempts == attempt
            time.sleep(0.1)  # the worker died mid-run: nothing completes or fails the row
        [job] = queue.claim(1)
        assert queue.start(job) is None
        [row] = pending(db)
        assert row.failed and row.attempts == 3 and "died" in (row.last_error or "")
        assert queue.claim(1) == []


def test_failing_work_is_retried_then_kept_as_failed(database_url: str) -> None:
    with opened(database_url, retry_after=timedelta(0), max_attempts=3) as (db, queue):
        queue.enqueue("T1", "f", "body", HEADERS)
        for attempt in range(1, 4):
            [claimed] = queue.claim(1)
            job = queue.start(claimed)
            assert job is not None and job.attempts == attempt
            queue.fail(job, f"boom {attempt}")
        assert queue.claim(1) == []
        [row] = pending(db)
        assert row.failed and row.last_error == "boom 3"
        assert queue.counts() == {"pending": 0, "failed": 1}


def test_concurrent_enqueues_all_commit_before_returning(database_url: str) -> None:
    with opened(database_url) as (db, queue):
        start = threading.Barrier(16)

        def burst(n: int) -> None:
            start.wait()
            for k in range(20):
                queue.enqueue("T1", "f", f"{n}-{k}", HEADERS)
                # Returning means committed: a fresh connection sees the row at once.
                with db.engine.connect() as conn:
                    assert conn.execute(select(PendingWork.id).where(PendingWork.body == f"{n}-{k}")).first()

        threads = [threading.Thread(target=burst, args=(n,)) for n in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert queue.counts()["pending"] == 320


def test_headers_that_steer_bolt_are_not_kept(database_url: str) -> None:
    with opened(database_url) as (_db, queue):
        queue.enqueue("T1", "f", "body", {**HEADERS, "X-Slack-Bolt-Lazy-Only": ["1"]})
        [job] = queue.claim(1)
        assert job.headers == HEADERS


def test_enqueued_rows_read_back_as_an_orm_insert_would_have_written_them(database_url: str) -> None:
    with opened(database_url) as (db, queue):
        before = utcnow()
        queue.enqueue("T1", "billing_command", "a=1&b=é", HEADERS)
        [row] = pending(db)
        assert (row.team_id, row.function, row.body, row.attempts, row.failed) == (
            "T1",
            "billing_command",
            "a=1&b=é",
            0,
            False,
        )
        assert json.loads(row.headers) == HEADERS
        assert before <= row.created_at.replace(tzinfo=UTC) <= utcnow()
        assert row.available_at == row.created_at and row.claimed_until is None
        # Ready at once: the timestamps compare with the worker's own, on both databases.
        assert queue.has_ready()
        assert [job.body for job in queue.claim(5)] == ["a=1&b=é"]


def test_enqueue_reconnects_once_when_the_database_server_dropped_its_connection(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to drop a connection; the PostgreSQL run covers this")
    with opened(database_url) as (db, queue):
        queue.enqueue("T1", "f", "first", HEADERS)
        # What a restart of the database server does to every connection it had.
        with db.engine.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        queue.enqueue("T1", "f", "second", HEADERS)
        assert sorted(row.body for row in pending(db)) == ["first", "second"]


def test_the_enqueue_leaves_sqlite_checkpoints_to_other_connections(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'billbot.db'}"
    upgrade(url)
    with opened(url) as (db, queue):
        for n in range(300):  # about 1,500 pages of log, past SQLite's automatic checkpoint at 1,000
            queue.enqueue("T1", "f", f"{n}:" + "x" * 20_000, HEADERS)
        with db.engine.connect() as conn:
            _busy, logged, copied = conn.execute(text("PRAGMA wal_checkpoint(PASSIVE)")).one()
        assert logged > 1000 and copied == logged  # none of it was copied by the enqueue; this one copied all
        assert len(pending(db)) == 300


def test_a_failed_ack_queues_no_work(database_url: str, slack: SlackStandIn) -> None:
    """Bolt starts the lazy parts even when the ack part raised: nothing may be queued behind a failed ack."""
    from urllib.parse import urlencode

    from slack_bolt import App, BoltRequest

    from bot.services import Services
    from bot.settings import Mode, load_settings
    from bot.slack_app import build_app

    def failing_ack(app: App, _services: Services) -> None:
        def ack_part(ack: Any, body: dict[str, Any]) -> None:
            if body.get("text") == "boom":
                raise RuntimeError("the ack part failed")
            ack()

        app.command("/broken")(ack=ack_part, lazy=[lambda: None])

    services = Services.build(load_settings(Mode.HTTP, app_env(slack, database_url)))
    try:
        app = build_app(services, flows=[failing_ack])

        def command(text: str) -> int:
            fields = {"command": "/broken", "text": text, "team_id": TEAM_ID, "user_id": ADMIN,
                      "channel_id": "C_GENERAL", "trigger_id": "1.2.3",
                      "response_url": "https://example.com/r"}  # fmt: skip
            body = urlencode(fields)
            return app.dispatch(BoltRequest(body=body, headers={})).status

        assert command("boom") == 500
        assert pending(services.db) == []
        assert command("fine") == 200  # the same listener with a good ack still queues its work
        assert [row.function for row in pending(services.db)] == ["<lambda>"]
    finally:
        services.close()
