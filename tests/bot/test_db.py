"""Migrations build exactly the models' schema, and the claim-once ledger has one winner, on both databases."""

from __future__ import annotations

import threading
from datetime import timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, update
from sqlmodel import SQLModel

from bot.db import Database
from bot.models import HandledRequest, utcnow


def test_migrations_build_the_schema_the_models_describe(database_url: str) -> None:
    db = Database(database_url)
    try:
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
            tables = set(inspect(conn).get_table_names())
        assert diff == []
        assert {"workspaces", "slack_users", "handled_requests", "slack_installations", "slack_bots"} <= tables
    finally:
        db.dispose()


def test_every_table_belongs_to_a_workspace() -> None:
    shared_by_design = {"slack_oauth_states", "alembic_version"}  # Bolt's short-lived install states
    for table in SQLModel.metadata.sorted_tables:
        if table.name not in shared_by_design:
            assert "team_id" in table.columns, table.name


def test_claim_once_has_exactly_one_winner_across_threads(database_url: str) -> None:
    db = Database(database_url)
    try:
        results: list[bool] = []
        start = threading.Barrier(8)

        def claim() -> None:
            start.wait()
            results.append(db.claim_once("T1", "slack_event", "Ev42"))

        threads = [threading.Thread(target=claim) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == [False] * 7 + [True]
        # The same key in another workspace, or of another kind, is a different claim.
        assert db.claim_once("T2", "slack_event", "Ev42")
        assert db.claim_once("T1", "stripe_event", "Ev42")
    finally:
        db.dispose()


def test_a_released_claim_can_be_claimed_again(database_url: str) -> None:
    db = Database(database_url)
    try:
        assert db.claim_once("T1", "stripe_event", "evt_1")
        db.release("T1", "stripe_event", "evt_1")
        assert db.claim_once("T1", "stripe_event", "evt_1")
        assert not db.claim_once("T1", "stripe_event", "evt_1")
    finally:
        db.dispose()


def test_pruning_forgets_only_old_claims_of_the_kinds_named(database_url: str) -> None:
    db = Database(database_url)
    try:
        db.claim_once("T1", "slack_event", "old")
        db.claim_once("T1", "reminder", "keep-forever")
        assert db.prune_claims(("slack_event",), utcnow() - timedelta(days=1)) == 0  # nothing that old yet
        assert db.prune_claims(("slack_event",), utcnow() + timedelta(seconds=1)) == 1
        assert db.claim_once("T1", "slack_event", "old")
        assert not db.claim_once("T1", "reminder", "keep-forever")
    finally:
        db.dispose()


def test_ping_reports_an_unreachable_database() -> None:
    db = Database("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    assert db.ping() is False


def test_an_abandoned_claim_is_taken_over_by_exactly_one_worker(database_url: str) -> None:
    db = Database(database_url)
    try:
        assert db.claim_once("T1", "invoice_message", "7")
        # A claim younger than the cut-off is still someone's: nobody takes it over.
        assert not db.take_over("T1", "invoice_message", "7", claimed_before=utcnow() - timedelta(minutes=2))
        with db.session() as session:  # its worker died an hour ago, mid-way
            session.execute(update(HandledRequest).values(created_at=utcnow() - timedelta(hours=1)))
        results: list[bool] = []
        start = threading.Barrier(6)
        cut_off = utcnow() - timedelta(minutes=2)

        def take() -> None:
            start.wait()
            results.append(db.take_over("T1", "invoice_message", "7", claimed_before=cut_off))

        threads = [threading.Thread(target=take) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == [False] * 5 + [True]  # the winner renewed it: the others see a fresh claim
        assert not db.take_over("T1", "invoice_message", "8", claimed_before=utcnow())  # nobody claimed that one
    finally:
        db.dispose()
