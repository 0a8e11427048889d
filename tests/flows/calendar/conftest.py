"""The calendar tests' feed server: named ICS feeds on loopback that a test can change while it runs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.harness.ics_server import IcsServer


@pytest.fixture
def ics_server() -> Iterator[IcsServer]:
    server = IcsServer().start()
    yield server
    server.stop()
