"""The two databases every app test runs on: SQLite always, PostgreSQL where one is reachable.

Each backend is migrated once per test session (per xdist worker), then every test starts from empty
tables: a copy of the migrated SQLite file, or TRUNCATE on the worker's own PostgreSQL database.
"""

from __future__ import annotations

import os

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import bot.models  # noqa: F401  (puts every table on the metadata)

POSTGRES_ADMIN_URL = os.environ.get("BILLBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used here, or None when it can."""
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL at {make_url(POSTGRES_ADMIN_URL).render_as_string(hide_password=True)}: {exc}"


def create_worker_database(worker_id: str) -> str:
    """A fresh database for this xdist worker; returns its SQLAlchemy URL."""
    name = f"billbot_test_{worker_id}".lower()
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql+psycopg", database=name)
    return url.render_as_string(hide_password=False)


def truncate_all(url: str) -> None:
    tables = [table.name for table in SQLModel.metadata.sorted_tables]
    plain_url = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(sql.SQL(", ").join(map(sql.Identifier, tables)))
        )


def drop_database(url: str) -> None:
    name = make_url(url).database
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
