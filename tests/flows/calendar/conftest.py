"""The calendar tests' feed server: named ICS feeds on loopback that a test can change while it runs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.services import Services
from bot.settings import Mode, load_settings
from tests.harness.ics_server import IcsServer


@pytest.fixture
def ics_server() -> Iterator[IcsServer]:
    server = IcsServer().start()
    yield server
    server.stop()


@pytest.fixture
def calendar_services(database_url: str) -> Iterator[Services]:
    """The app's services on a fresh database (SQLite, then PostgreSQL), set as the test harness sets them."""
    settings = load_settings(
        Mode.DATABASE,
        {"DATABASE_URL": database_url, "BILLBOT_CALENDAR_LOCAL_FEEDS": "1", "BILLBOT_CALENDAR_TIMEOUT_SECONDS": "2"},
    )
    services = Services.build(settings)
    yield services
    services.close()
