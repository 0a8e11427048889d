"""The calendar's settings: BILLBOT_CALENDAR_* read in bot/settings.py, as FetchLimits."""

from __future__ import annotations

import pytest

from bot.settings import ConfigError, Mode, load_settings
from flows.calendar.feed.fetch import FetchLimits, limits_from

DB = {"DATABASE_URL": "sqlite:///:memory:"}


def test_defaults_refuse_local_feeds() -> None:
    settings = load_settings(Mode.DATABASE, DB)
    assert settings.calendar_sync_minutes == 15
    assert limits_from(settings) == FetchLimits(
        timeout_seconds=10.0, max_bytes=10 * 1024 * 1024, max_redirects=5, allow_local=False
    )


def test_the_sandbox_and_a_practice_may_change_them() -> None:
    settings = load_settings(
        Mode.DATABASE,
        DB
        | {
            "BILLBOT_CALENDAR_SYNC_MINUTES": "30",
            "BILLBOT_CALENDAR_MAX_BYTES": "2097152",
            "BILLBOT_CALENDAR_TIMEOUT_SECONDS": "4",
            "BILLBOT_CALENDAR_LOCAL_FEEDS": "1",
        },
    )
    assert settings.calendar_sync_minutes == 30
    assert limits_from(settings) == FetchLimits(
        timeout_seconds=4.0, max_bytes=2097152, max_redirects=5, allow_local=True
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BILLBOT_CALENDAR_SYNC_MINUTES", "0"),
        ("BILLBOT_CALENDAR_MAX_BYTES", "ten"),
        ("BILLBOT_CALENDAR_TIMEOUT_SECONDS", "600"),
        ("BILLBOT_CALENDAR_LOCAL_FEEDS", "yes"),
    ],
)
def test_a_bad_value_is_one_plain_sentence(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(Mode.DATABASE, DB | {name: value})
    (problem,) = caught.value.problems
    assert problem.startswith(f"{name} must be a whole number")
