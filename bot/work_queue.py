"""Durable work after the ack: Bolt's lazy listeners, written to the database before Slack hears "ok".

Bolt runs a listener's ``lazy`` functions after the HTTP response. Its default runner keeps them in a
thread pool, in memory: a crash or a deploy between the ack and the work loses them, and under load the
pool competes with the acks themselves. Here the runner writes each one to ``pending_work`` (the signed
request and the function's name) before the response goes out, and workers replay it through the same
Bolt app with Bolt's own lazy-only markers. A worker holds a lease on each row it takes, so a worker that
dies mid-way leaves its rows to be taken again once the lease ends.

Not every lazy function goes there. Work only worth doing within a trigger_id's 3 s life (opening or
pushing a modal, answering a block_suggestion) is marked ``@trigger_bound``: it runs at once in the serving
process, on Bolt's own bounded thread pool, as a plain Bolt app runs it. Replaying it after a crash would
be useless (the trigger_id is dead by then), and waiting for a worker under a burst made modals late. When
its trigger has expired anyway, the person is told so (``on_expired``) instead of seeing nothing. A run
that opened a light modal hands the slower rest of its work (the reads that build the real view) to
``after_opens``, which runs it once no other trigger-bound run is waiting to use its own trigger_id.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import threading
import time
import uuid
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

from slack_bolt import App, BoltContext, BoltRequest
from slack_bolt.kwargs_injection import build_required_kwargs
from slack_bolt.lazy_listener.runner import LazyListenerRunner
from slack_bolt.listener.thread_runner import ThreadListenerRunner
from slack_bolt.util.utils import get_arg_names_of_callable, get_name_for_callable
from sqlalchemy import delete, false, func, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.pool import PoolProxiedConnection

from bot import metrics
from bot.db import Database
from bot.models import PendingWork, table_of, utcnow

log = logging.getLogger(__name__)

LAZY_ONLY_HEADER = "x-slack-bolt-lazy-only"
LAZY_NAME_HEADER = "x-slack-bolt-lazy-function-name"
_TABLE = table_of(PendingWork)
_INSERTED = ("team_id", "function", "body", "headers", "created_at", "available_at", "attempts", "failed")
# How long Slack keeps a trigger_id usable; past it a trigger-bound run only tells the person to try again.
TRIGGER_LIFE_SECONDS = 3.0
# Trigger-bound runs at a time in one serving process: each opens a light modal first, so a few threads keep
# up with a burst; more only fight over the GIL (16 gave a longer p99 than 8 on a burst of 1,000 /billing).
AT_ONCE_THREADS = 8
BACKLOG = 1  # trigger-bound runs waiting for a thread before the next ack waits too
ACK_WAIT_SECONDS = 1.0  # the longest an ack waits for room: Slack wants its answer within 3 s
_TRIGGER_BOUND = "billbot_trigger_bound"
F = TypeVar("F", bound=Callable[..., Any])


def trigger_bound(function: F) -> F:
    """Marks a lazy function as worth running only within its trigger_id's life: it runs at once, not queued.

    Only for work whose loss in a crash costs nothing but a retyped command: opening, pushing or filling a
    modal, answering a block_suggestion. Anything that must happen (a write, a Stripe call, a message that
    must exist) stays unmarked, so it is written before the ack and done by a worker.
    """
    setattr(function, _TRIGGER_BOUND, True)
    return function


def is_trigger_bound(function: Callable[..., Any]) -> bool:
    return bool(getattr(function, _TRIGGER_BOUND, False))


ExpiredNotice = Callable[[BoltRequest], None]


@dataclass(frozen=True)
class Job:
    id: int
    team_id: str
    function: str
    body: str
    headers: dict[str, list[str]]
    attempts: int  # runs started before this one


class _RawInsert:
    """The enqueue's INSERT, compiled once by SQLAlchemy and run on a driver connection of its own.

    The enqueue is on every ack's path, and SQLAlchemy's per-statement work (pool checkout, connection and
    transaction objects, cache lookup, result set-up) cost four times the insert itself (0.17 ms of 0.21 ms
    a call, measured on SQLite). The statement and the conversion of each value are still SQLAlchemy's, for
    the dialect in use, so rows are written exactly as an ORM insert would write them.

    On SQLite the connection never runs a WAL checkpoint itself: a checkpoint copies the log into the
    database file and syncs it, milliseconds an ack would wait for. Every other connection still does,
    and the workers, which commit after each batch of work, are always running beside the acks.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        dialect = engine.dialect
        compiled = insert(_TABLE).compile(dialect=dialect, column_keys=list(_INSERTED))
        self.sql = str(compiled)
        self.positions: tuple[str, ...] | None = tuple(compiled.positiontup or ()) if compiled.positional else None
        self.convert = {name: _TABLE.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in _INSERTED}
        self._connection: PoolProxiedConnection | None = None

    def parameters(self, row: dict[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        values = {name: (convert(row[name]) if convert else row[name]) for name, convert in self.convert.items()}
        return values if self.positions is None else tuple(values[name] for name in self.positions)

    def run(self, rows: list[dict[str, Any]]) -> None:
        # Positional or named, by the driver's paramstyle; executemany takes either list (typed as any).
        parameters: list[Any] = [self.parameters(row) for row in rows]
        for attempt in (1, 2):
            held = self._connection is not None
            connection = self._connection or self._open()
            try:
                cursor = connection.cursor()
                cursor.executemany(self.sql, parameters)
                cursor.close()
                connection.commit()
                return
            except Exception as exc:
                # A database server restarted since the last batch has dropped the connection we held.
                dropped = held and self._engine.dialect.is_disconnect(exc, connection.dbapi_connection, None)  # type: ignore[arg-type]
                self.close()
                if attempt == 2 or not dropped:
                    raise

    def _open(self) -> PoolProxiedConnection:
        connection = self._engine.raw_connection()
        connection.detach()  # ours for as long as the process runs, not the pool's
        if self._engine.dialect.name == "sqlite":
            cursor = connection.cursor()
            cursor.execute("PRAGMA wal_autocheckpoint=0")
            cursor.close()
        self._connection = connection
        return connection

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.rollback()
            with contextlib.suppress(Exception):
                connection.close()


def _ready(now: datetime) -> tuple[Any, ...]:
    return (
        _TABLE.c.failed == false(),
        _TABLE.c.available_at <= now,
        or_(_TABLE.c.claimed_until.is_(None), _TABLE.c.claimed_until < now),
    )


class _Batch:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.done = threading.Event()
        self.error: Exception | None = None


class WorkQueue:
    def __init__(
        self,
        db: Database,
        *,
        lease: timedelta = timedelta(seconds=60),
        max_attempts: int = 3,
        retry_after: timedelta = timedelta(seconds=5),
    ) -> None:
        self._db = db
        self.lease = lease
        self.max_attempts = max_attempts
        self.retry_after = retry_after
        self._batch_lock = threading.Lock()
        self._open_batch = _Batch()
        self._flushing = False
        self._insert = _RawInsert(db.engine)
        # Who this queue claims rows as: a lease is renewed, and a job started, only by the worker holding it.
        self.worker_id = uuid.uuid4().hex
        # Trigger-bound work skips the queue; this process's runs of it under way are counted here.
        self.at_once = InFlight()

    def enqueue(self, team_id: str, function: str, body: str, headers: dict[str, list[str]]) -> None:
        """Write one unit of work; returns once it is committed (so before the ack goes out).

        Concurrent callers share commits: whoever finds no flush under way writes every row waiting at
        that moment in one transaction, then the rows that arrived meanwhile, while the others wait for
        their own row's batch. One commit per batch instead of per request is what lets SQLite, which
        takes one writer at a time, keep up with a burst of commands.
        """
        now = utcnow()
        row = {
            "team_id": team_id,
            "function": function,
            "body": body,
            "headers": json.dumps({k: v for k, v in headers.items() if not k.lower().startswith("x-slack-bolt-")}),
            "created_at": now,
            "available_at": now,
            "attempts": 0,
            "failed": False,
        }
        with self._batch_lock:
            batch = self._open_batch
            batch.rows.append(row)
            lead = not self._flushing
            self._flushing = True
        if lead:
            self._flush_until_empty()
        batch.done.wait()
        if batch.error is not None:
            raise batch.error

    def _flush_until_empty(self) -> None:
        while True:
            with self._batch_lock:
                batch, self._open_batch = self._open_batch, _Batch()
                if not batch.rows:
                    self._flushing = False
                    return
            try:
                with self._db.write_lock():
                    self._insert.run(batch.rows)
            except Exception as exc:
                batch.error = exc
            batch.done.set()

    def close(self) -> None:
        """Let go of the enqueue's connection (the next enqueue opens another)."""
        self._insert.close()

    def has_ready(self) -> bool:
        """A read-only look, so an idle worker's polling never takes SQLite's write lock."""
        with self._db.engine.connect() as conn:
            return conn.execute(select(_TABLE.c.id).where(*_ready(utcnow())).limit(1)).first() is not None

    def claim(self, limit: int) -> list[Job]:
        """Take up to ``limit`` ready rows under a lease; no two workers get the same row.

        A claim does not count as an attempt: a worker killed with claimed rows still waiting in its pool
        never ran them. The attempt is counted when a run starts (``start``).
        """
        now = utcnow()
        until = now + self.lease
        ready = _ready(now)
        candidates = select(_TABLE.c.id).where(*ready).order_by(_TABLE.c.id).limit(limit)
        if self._db.is_postgres:
            candidates = candidates.with_for_update(skip_locked=True)
        statement = (
            update(_TABLE)
            # The conditions are checked again on the rows themselves: a row another worker took between
            # the sub-select and the update no longer matches.
            .where(_TABLE.c.id.in_(candidates.scalar_subquery()), *ready)
            .values(claimed_until=until, claimed_by=self.worker_id)
            .returning(
                _TABLE.c.id, _TABLE.c.team_id, _TABLE.c.function, _TABLE.c.body, _TABLE.c.headers, _TABLE.c.attempts
            )
        )
        with self._db.write_lock(), self._db.engine.begin() as conn:
            rows = conn.execute(statement).all()
        return sorted(
            (Job(row.id, row.team_id, row.function, row.body, json.loads(row.headers), row.attempts) for row in rows),
            key=lambda job: job.id,
        )

    def start(self, job: Job) -> Job | None:
        """Count the run about to start and renew its lease; None when it must not run.

        It must not run when another worker holds it now (this one stalled past its lease, and the row was
        taken again), or when every allowed run has started and none came back, which is what a job that
        kills its worker looks like: it is set aside as failed instead of killing the next worker too.
        """
        ours = (_TABLE.c.id == job.id, _TABLE.c.claimed_by == self.worker_id)
        if job.attempts >= self.max_attempts:
            error = f"{job.attempts} runs started and none finished: the worker running it died each time"
            values: dict[str, Any] = {"failed": True, "claimed_until": None, "claimed_by": None, "last_error": error}
            with self._db.write_lock(), self._db.engine.begin() as conn:
                conn.execute(update(_TABLE).where(*ours).values(**values))
            log.error("work %s (%s) failed: %s", job.id, job.function, error)
            return None
        with self._db.write_lock(), self._db.engine.begin() as conn:
            started = conn.execute(
                update(_TABLE).where(*ours).values(attempts=_TABLE.c.attempts + 1, claimed_until=utcnow() + self.lease)
            ).rowcount
        if started != 1:
            log.warning("work %s (%s) was taken by another worker after its lease ran out", job.id, job.function)
            return None
        return replace(job, attempts=job.attempts + 1)

    def renew(self, job_ids: list[int]) -> None:
        """Extend the lease on the rows this worker holds: a job running or waiting its turn keeps its row."""
        if not job_ids:
            return
        with self._db.write_lock(), self._db.engine.begin() as conn:
            conn.execute(
                update(_TABLE)
                .where(_TABLE.c.id.in_(job_ids), _TABLE.c.claimed_by == self.worker_id)
                .values(claimed_until=utcnow() + self.lease)
            )

    def complete(self, job_ids: list[int]) -> None:
        if not job_ids:
            return
        with self._db.write_lock(), self._db.engine.begin() as conn:
            conn.execute(delete(_TABLE).where(_TABLE.c.id.in_(job_ids)))

    def fail(self, job: Job, error: str) -> None:
        """Try again later, or give up after max_attempts and keep the row (failed) for an operator to see."""
        given_up = job.attempts >= self.max_attempts
        values: dict[str, Any] = {"last_error": error[:2000], "claimed_until": None, "claimed_by": None}
        if given_up:
            values["failed"] = True
        else:
            values["available_at"] = utcnow() + self.retry_after * job.attempts
        with self._db.write_lock(), self._db.engine.begin() as conn:
            conn.execute(update(_TABLE).where(_TABLE.c.id == job.id).values(**values))
        log.log(logging.ERROR if given_up else logging.WARNING, "work %s (%s) failed: %s", job.id, job.function, error)

    def gauges(self) -> tuple[int, int, float]:
        """(jobs waiting or running, jobs given up, age in seconds of the oldest waiting or running one)."""
        with self._db.engine.connect() as conn:
            rows = conn.execute(
                select(_TABLE.c.failed, func.count(), func.min(_TABLE.c.created_at)).group_by(_TABLE.c.failed)
            ).all()
        found = {bool(failed): (int(count), oldest) for failed, count, oldest in rows}
        depth, oldest = found.get(False, (0, None))
        age = 0.0
        if oldest is not None:
            # SQLite gives the stored UTC time back without its zone; PostgreSQL with it.
            oldest = oldest if oldest.tzinfo is not None else oldest.replace(tzinfo=UTC)
            age = max(0.0, (utcnow() - oldest).total_seconds())
        return depth, found.get(True, (0, None))[0], age

    def counts(self) -> dict[str, int]:
        with self._db.engine.connect() as conn:
            rows = conn.execute(select(_TABLE.c.failed, func.count()).group_by(_TABLE.c.failed)).all()
        found = {bool(failed): int(count) for failed, count in rows}
        return {"pending": found.get(False, 0), "failed": found.get(True, 0)}


class InFlight:
    """How many trigger-bound runs are under way in this process: what "all work done" waits on besides the queue."""

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition()

    @property
    def count(self) -> int:
        return self._count

    def add(self, n: int) -> None:
        with self._changed:
            self._count += n
            self._changed.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self._count == 0, timeout)


class TwoLanePool:
    """A bounded pool of threads that takes urgent tasks first, then the others, each lane in arrival order.

    Under a burst, trigger-bound runs waiting to use their trigger_id (urgent) go before the rest of runs that
    already used theirs on a light modal: every person's modal opens first, then each is filled. A quarter of
    the threads at most fill at a time, so an urgent task finds a thread free instead of waiting for fills.
    """

    IDLE_SECONDS = 30.0  # a thread with nothing to do for this long ends (another starts when needed)

    def __init__(self, threads: int, name: str) -> None:
        self.threads = threads
        self.name = name
        self.later_threads = max(1, threads // 4)
        self._lanes: tuple[deque[Callable[[], None]], deque[Callable[[], None]]] = (deque(), deque())
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)  # a task to take
        # Acks waiting for room for their urgent task, first come first served, each woken on its own.
        self._turns: deque[threading.Condition] = deque()
        self.backlog = BACKLOG
        self._alive = 0
        self._idle = 0
        self._running_later = 0
        self._running_urgent = 0

    def submit(self, task: Callable[[], None], *, urgent: bool = True) -> None:
        """Queue a task; an urgent one waits (ACK_WAIT_SECONDS at most) while ``backlog`` urgent ones wait."""
        with self._ready:
            if urgent:
                # Back-pressure, as a plain Bolt app's pool gives: under a burst the ack waits a little for a
                # thread, instead of every ack going out at once and the modals queuing behind them.
                self._wait_for_room()
            self._lanes[0 if urgent else 1].append(task)
            waiting = len(self._lanes[0]) + len(self._lanes[1])
            if self._idle < waiting and self._alive < self.threads:
                self._alive += 1
                threading.Thread(target=self._loop, name=f"{self.name}-{self._alive}", daemon=True).start()
            self._ready.notify()

    def _wait_for_room(self) -> None:
        """Called holding the lock. In arrival order: with one Condition for all, an ack arriving as room is made
        took it from the acks already waiting, and one unlucky ack could be passed over again and again (the
        burst's p99)."""
        urgent = self._lanes[0]
        if not self._turns and len(urgent) < self.backlog:
            return
        turn = threading.Condition(self._lock)
        self._turns.append(turn)
        try:
            turn.wait_for(lambda: self._turns[0] is turn and len(urgent) < self.backlog, ACK_WAIT_SECONDS)
        finally:
            self._turns.remove(turn)
            self._wake_next()

    def _wake_next(self) -> None:
        if self._turns:
            self._turns[0].notify()

    def _loop(self) -> None:
        urgent, later = self._lanes

        def takeable() -> bool:
            # A fill starts only while no modal waits to open or is opening: under a burst the opens take the
            # CPU first, and the fills follow as soon as the burst leaves a gap.
            idle = not self._running_urgent and self._running_later < self.later_threads
            return bool(urgent or (later and idle))

        while True:
            with self._ready:
                self._idle += 1
                found = self._ready.wait_for(takeable, self.IDLE_SECONDS)
                self._idle -= 1
                if not found:
                    self._alive -= 1
                    return
                is_later = not urgent
                task = later.popleft() if is_later else urgent.popleft()
                if is_later:
                    self._running_later += 1
                else:
                    self._running_urgent += 1
                    self._wake_next()
            try:
                task()
            except Exception:
                log.exception("trigger-bound task failed")
            finally:
                with self._ready:
                    if is_later:
                        self._running_later -= 1
                    else:
                        self._running_urgent -= 1
                    self._ready.notify_all()


_running = threading.local()  # the AtOnceRunner whose task this thread is running, if any


def after_opens(work: Callable[[], None]) -> None:
    """The rest of a trigger-bound run that has used its trigger_id (on a light modal): run once no other
    trigger-bound run is waiting to use its own. Elsewhere (a worker's replay, a test), at once."""
    runner: AtOnceRunner | None = getattr(_running, "runner", None)
    if runner is None:
        work()
    else:
        runner.later(work)


class AtOnceRunner:
    """Runs trigger-bound lazy functions at once, on a bounded thread pool, never holding up the ack.

    A run that starts after the trigger's life, or whose views.open Slack refused as expired, tells the
    person to type the command again (``on_expired``) rather than leave them with nothing.
    """

    def __init__(
        self,
        pool: TwoLanePool,
        logger: logging.Logger,
        on_expired: ExpiredNotice | None = None,
        in_flight: InFlight | None = None,
    ) -> None:
        self.pool = pool
        self.logger = logger
        self.on_expired = on_expired
        self.in_flight = in_flight or InFlight()

    def start(self, function: Callable[..., None], request: BoltRequest) -> None:
        received_at = request.context.get(metrics.RECEIVED_AT) or time.monotonic()
        # Counted before the ack leaves, so whoever waits for the work after an answered request sees it.
        self.in_flight.add(1)
        self.pool.submit(lambda: self._run(function, request, received_at))

    def later(self, work: Callable[[], None]) -> None:
        self.in_flight.add(1)  # counted from here: "all work done" includes filling the modal
        self.pool.submit(lambda: self._run_later(work), urgent=False)

    def _run(self, function: Callable[..., None], request: BoltRequest, received_at: float) -> None:
        _running.runner = self
        try:
            self._run_counted(function, request, received_at)
        finally:
            _running.runner = None
            self.in_flight.add(-1)

    def _run_later(self, work: Callable[[], None]) -> None:
        _running.runner = self
        try:
            work()
        except Exception:
            log.exception("trigger-bound work after its modal opened failed")
        finally:
            _running.runner = None
            self.in_flight.add(-1)

    def _run_counted(self, function: Callable[..., None], request: BoltRequest, received_at: float) -> None:
        name = get_name_for_callable(function)
        outcome = "done"
        if time.monotonic() - received_at > TRIGGER_LIFE_SECONDS:
            outcome = "expired"
        else:
            try:
                function(**_kwargs(function, request, self.logger))
            except Exception:
                log.exception("trigger-bound work %s failed", name)
                outcome = "failed"
            if getattr(request.context.client, "expired_trigger", False):
                outcome = "expired"
        if outcome == "expired":
            log.warning("%s: its trigger_id expired before the modal could open", name)
            self.tell_expired(request)
        metrics.AT_ONCE.labels(name, outcome).inc()

    def tell_expired(self, request: BoltRequest) -> None:
        if self.on_expired is None:
            return
        try:
            self.on_expired(request)
        except Exception:
            log.exception("could not tell the person their trigger_id expired")


class QueueingListenerRunner(ThreadListenerRunner):
    """Bolt's listener runner: trigger-bound lazy functions at once, the others to the durable queue.

    Bolt deep-copies the whole request (context, client, logger…) so a thread can own it; the queue keeps
    only the raw body and headers, so for queued work the copy (half the cost of an ack, measured with
    cProfile) is skipped. Work run at once in a thread gets a shallow copy (``_handed_over``).
    """

    at_once: AtOnceRunner

    @classmethod
    def replacing(
        cls,
        runner: ThreadListenerRunner,
        lazy: LazyListenerRunner,
        *,
        on_expired: ExpiredNotice | None = None,
        in_flight: InFlight | None = None,
    ) -> QueueingListenerRunner:
        replaced = cls(
            logger=runner.logger,
            process_before_response=runner.process_before_response,
            listener_error_handler=runner.listener_error_handler,
            listener_start_handler=runner.listener_start_handler,
            listener_completion_handler=runner.listener_completion_handler,
            listener_executor=runner.listener_executor,
            lazy_listener_runner=lazy,
        )
        # A bounded pool of its own, as Bolt's lazy runner has: more threads than Bolt's 5, since a modal's
        # reads mostly wait on the database (PostgreSQL) and Slack, not on Python.
        pool = TwoLanePool(AT_ONCE_THREADS, "billbot-at-once")
        replaced.at_once = AtOnceRunner(pool, runner.logger, on_expired, in_flight)
        return replaced

    def _start_lazy_function(self, lazy_func: Callable[..., None], request: BoltRequest) -> None:
        # Bolt starts the lazy parts even when the ack part raised (Slack then gets a 500 and shows the user
        # an error): work queued behind a failed ack would run on what the ack refused, so none is queued.
        acked = request.context.ack.response
        if acked is not None and acked.status >= 500:
            log.warning("not queuing %s: its ack failed", get_name_for_callable(lazy_func))
            return
        if is_trigger_bound(lazy_func):
            name = get_name_for_callable(lazy_func)
            self.at_once.start(lazy_func, _handed_over(request, name))
            return
        self.lazy_listener_runner.start(function=lazy_func, request=request)


def _handed_over(request: BoltRequest, name: str) -> BoltRequest:
    """The request as a trigger-bound run's thread gets it, marked lazy-only as Bolt marks its copy.

    Bolt's deep copy (with the body parsed again) took a fifth of the serving process's time under a burst of
    /billing (py-spy). It guards against the ack's thread changing the request meanwhile; that thread only
    writes the context, so the run gets a context of its own and shares the rest, which nobody changes.
    """
    handed = copy.copy(request)
    handed.context = BoltContext(request.context)
    handed.lazy_only = True
    handed.lazy_function_name = name
    return handed


class DurableLazyRunner(LazyListenerRunner):
    """Bolt's lazy-listener runner, backed by the work queue instead of an in-memory thread pool."""

    def __init__(self, queue: WorkQueue, logger: logging.Logger, on_expired: ExpiredNotice | None = None) -> None:
        self.queue = queue
        self.logger = logger
        self.on_expired = on_expired
        self._listeners: list[Callable[[], None]] = []

    def on_enqueue(self, callback: Callable[[], None]) -> None:
        """Called after each enqueue: an in-process worker wakes at once instead of at its next poll."""
        self._listeners.append(callback)

    def start(self, function: Callable[..., None], request: BoltRequest) -> None:
        name = get_name_for_callable(function)
        # Bolt normalises every header to a list of values.
        headers = cast(dict[str, list[str]], request.headers)
        self.queue.enqueue(request.context.team_id or "", name, request.raw_body, headers)
        for callback in self._listeners:
            callback()

    def run(self, function: Callable[..., None], request: BoltRequest) -> None:
        # Unlike Bolt's runners, a failure propagates (App.dispatch turns it into a 500) so the worker
        # knows to try the work again.
        if is_trigger_bound(function) and _older_than_a_trigger(request):
            # Queued before trigger-bound work ran at once (a deploy's leftovers): too late to open anything.
            if self.on_expired is not None:
                self.on_expired(request)
            return
        function(**_kwargs(function, request, self.logger))


def _kwargs(function: Callable[..., None], request: BoltRequest, logger: logging.Logger) -> dict[str, Any]:
    return build_required_kwargs(
        logger=logger,
        required_arg_names=list(_arg_names(function)),  # a copy: Bolt pops "self" from it
        request=request,
        response=None,
        this_func=function,
    )


# Listeners' parameter names, read once per function: inspect's signature on every run was 3 % of the serving
# process's time under a burst of /billing (py-spy). Weak keys: a test's app and its listeners go with the test.
_ARG_NAMES: weakref.WeakKeyDictionary[Callable[..., Any], tuple[str, ...]] = weakref.WeakKeyDictionary()


def _arg_names(function: Callable[..., Any]) -> tuple[str, ...]:
    plain = getattr(function, "__func__", function)  # a bound method has its function's names, "self" included
    names = _ARG_NAMES.get(plain)
    if names is None:
        names = tuple(get_arg_names_of_callable(plain))
        with contextlib.suppress(TypeError):  # a callable that takes no weak reference is read each time, as Bolt does
            _ARG_NAMES[plain] = names
    return names


def _older_than_a_trigger(request: BoltRequest) -> bool:
    sent = request.headers.get("x-slack-request-timestamp", [""])[0]
    return sent.isdigit() and time.time() - int(sent) > TRIGGER_LIFE_SECONDS


class Worker:
    """Takes work from the queue and replays it through the Bolt app, ``threads`` jobs at a time.

    Every write competes with the acks' inserts for SQLite's one writer, so the worker writes little:
    it claims rows in batches of several jobs per thread, renews the lease on the rows in hand in one
    statement every third of a lease, and deletes finished rows in one statement at most every
    ``complete_every`` seconds. Work therefore runs at least once: a worker killed in between leaves a few
    finished rows to be done again, and flows make their work idempotent for that. A killed worker's rows
    are taken again once their lease ends; a living worker's never are, however long its jobs take.
    """

    def __init__(
        self,
        queue: WorkQueue,
        app: App,
        *,
        threads: int = 8,
        poll_seconds: float = 0.02,
        complete_every: float = 0.1,
    ) -> None:
        self.queue = queue
        self.app = app
        self.threads = threads
        self.poll_seconds = poll_seconds
        self.complete_every = complete_every
        self._completed_at = 0.0
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="billbot-work")
        self._in_hand: set[int] = set()  # claimed rows not finished yet: running, or waiting for a thread
        self._renewed_at = time.monotonic()
        self._finished: list[int] = []
        self._busy_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        self._wake.set()

    def alive(self) -> bool:
        """Taking work: started, not stopped, its loop running (for /readyz)."""
        return self._thread is not None and self._thread.is_alive() and not self._stop.is_set()

    def start(self) -> Worker:
        self._thread = threading.Thread(target=self.run_forever, name="billbot-work-loop", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._executor.shutdown(wait=True)
        self._complete_finished()

    def run_forever(self) -> None:
        while not self._stop.is_set():
            try:
                taken = self.run_once()
            except Exception:
                log.exception("could not take work from the queue; trying again shortly")
                taken = 0
            if not taken:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()

    def run_once(self) -> int:
        """Claim a batch when the jobs in hand run low; the number claimed (0 when nothing was)."""
        with self._busy_lock:
            held = list(self._in_hand)
        in_hand = len(held)
        if in_hand == 0 or time.monotonic() - self._completed_at >= self.complete_every:
            self._complete_finished()
        if held and time.monotonic() - self._renewed_at >= self.queue.lease.total_seconds() / 3:
            self._renewed_at = time.monotonic()
            self.queue.renew(held)
        if in_hand >= self.threads or not self.queue.has_ready():
            return 0
        jobs = self.queue.claim(self.threads * 4 - in_hand)
        with self._busy_lock:
            if not self._in_hand:
                self._renewed_at = time.monotonic()  # the lease was just set: the next renewal is a third away
            self._in_hand.update(job.id for job in jobs)
        for job in jobs:
            self._executor.submit(self._run, job)
        return len(jobs)

    def _complete_finished(self) -> None:
        self._completed_at = time.monotonic()
        with self._busy_lock:
            finished, self._finished = self._finished, []
        try:
            self.queue.complete(finished)
        except Exception:
            with self._busy_lock:
                self._finished.extend(finished)
            raise

    def _run(self, claimed: Job) -> None:
        try:
            job = self.queue.start(claimed)
            if job is None:
                if claimed.attempts >= self.queue.max_attempts:
                    metrics.JOBS.labels(claimed.function, "failed").inc()  # its runs all died
                return
            error = execute(self.app, job)
            if error is None:
                with self._busy_lock:
                    self._finished.append(job.id)
                metrics.JOBS.labels(job.function, "done").inc()
            else:
                self.queue.fail(job, error)
                given_up = job.attempts >= self.queue.max_attempts
                metrics.JOBS.labels(job.function, "failed" if given_up else "retried").inc()
        finally:
            with self._busy_lock:
                self._in_hand.discard(claimed.id)


def execute(app: App, job: Job) -> str | None:
    """Replay the job's request through the app as Bolt's lazy-only request; the error, or None."""
    try:
        headers: dict[str, str | Sequence[str]] = {
            **job.headers,
            LAZY_ONLY_HEADER: ["1"],
            LAZY_NAME_HEADER: [job.function],
        }
        response = app.dispatch(BoltRequest(body=job.body, headers=headers))
    except Exception as exc:
        return repr(exc)
    return None if response.status < 400 else f"the app answered {response.status}"
