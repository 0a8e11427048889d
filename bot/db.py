"""The database: engine, sessions, migrations and the claim-once ledger every flow uses."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import delete, event, text, update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, col, create_engine

from bot.models import HandledRequest, utcnow

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The time an abandoned claim says it was made: before any cut-off, so the next caller takes it over.
ABANDONED = datetime(2000, 1, 1, tzinfo=UTC)


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        in_memory = parsed.database in (None, "", ":memory:")
        pool: dict[str, Any] = {"poolclass": StaticPool} if in_memory else {"pool_size": 10, "max_overflow": 30}
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **pool)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=30)


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: object) -> None:
    # WAL lets the HTTP workers read while the scheduler writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Database:
    """One engine per process; short sessions per unit of work."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.is_postgres = self.engine.dialect.name == "postgresql"
        # Names this Database in per-process memories of its rows, apart from any other on the same URL.
        self.identity = uuid.uuid4().hex
        # SQLite takes one writer at a time and makes the others sleep and retry in growing steps (up to
        # 100 ms each); queueing this process's writers on a lock instead keeps each wait to the write itself.
        self._sqlite_writes = threading.Lock()

    def write_lock(self) -> AbstractContextManager[object]:
        return nullcontext() if self.is_postgres else self._sqlite_writes

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits when the block ends normally and rolls back otherwise."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def claim_once(self, team_id: str, kind: str, key: str) -> bool:
        """True for the first caller to claim (team, kind, key), False for every later one.

        The unique constraint does the deciding, so this holds across threads and processes:
        Slack's retries, double clicks and concurrent schedulers all come down to one winner.
        """
        try:
            with self.write_lock(), self.session() as session:
                session.add(HandledRequest(team_id=team_id, kind=kind, key=key[:255]))
            return True
        except IntegrityError:
            return False

    def take_over(self, team_id: str, kind: str, key: str, *, claimed_before: datetime) -> bool:
        """True for the one caller that renews a claim made before ``claimed_before``: its holder died.

        One conditional UPDATE decides, so of several workers finding the same abandoned claim, one wins.
        """
        with self.write_lock(), self.session() as session:
            result = session.execute(
                update(HandledRequest)
                .where(
                    col(HandledRequest.team_id) == team_id,
                    col(HandledRequest.kind) == kind,
                    col(HandledRequest.key) == key[:255],
                    col(HandledRequest.created_at) < claimed_before,
                )
                .values(created_at=utcnow())
            )
            return int(getattr(result, "rowcount", 0) or 0) == 1

    def abandon(self, team_id: str, kind: str, key: str) -> None:
        """Keep a claim but let the next caller take it over at once (``take_over`` with any cut-off).

        For work that may have been done although it failed (Slack posting a message, then answering 500):
        releasing the claim would let the next run do it again blindly; an abandoned claim tells it to look
        first whether it was done.
        """
        with self.write_lock(), self.session() as session:
            session.execute(
                update(HandledRequest)
                .where(
                    col(HandledRequest.team_id) == team_id,
                    col(HandledRequest.kind) == kind,
                    col(HandledRequest.key) == key[:255],
                )
                .values(created_at=ABANDONED)
            )

    def release(self, team_id: str, kind: str, key: str) -> None:
        """Give a claim back, when the work it guarded failed and must be allowed to run again."""
        with self.write_lock(), self.session() as session:
            session.execute(
                delete(HandledRequest).where(
                    col(HandledRequest.team_id) == team_id,
                    col(HandledRequest.kind) == kind,
                    col(HandledRequest.key) == key[:255],
                )
            )

    def prune_claims(self, kinds: tuple[str, ...], older_than: datetime) -> int:
        """Forget claims nobody can retry any more (Slack retries for minutes, Stripe for three days)."""
        with self.write_lock(), self.session() as session:
            result = session.execute(
                delete(HandledRequest).where(
                    col(HandledRequest.kind).in_(kinds), col(HandledRequest.created_at) < older_than
                )
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation would eat a '%' in a URL-encoded password.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def pending_migrations(engine: Engine) -> list[str]:
    """The migrations this database still lacks (empty when it is up to date)."""
    script = ScriptDirectory.from_config(alembic_config(engine.url.render_as_string(hide_password=False)))
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    missing = script.iterate_revisions(tuple(script.get_heads()), current or None)
    return [revision.revision for revision in missing]
