"""Report periods as people type them, in English and French, and the clear error for each bad one."""

from __future__ import annotations

from datetime import date

import pytest

from bot.figures import Period, PeriodError, parse

TODAY = date(2026, 12, 4)


@pytest.mark.parametrize(
    ("typed", "start", "end"),
    [
        ("", date(2026, 12, 1), date(2027, 1, 1)),
        ("this month", date(2026, 12, 1), date(2027, 1, 1)),
        ("ce mois-ci", date(2026, 12, 1), date(2027, 1, 1)),
        ("Ce  Mois-Ci", date(2026, 12, 1), date(2027, 1, 1)),
        ("last month", date(2026, 11, 1), date(2026, 12, 1)),
        ("le mois dernier", date(2026, 11, 1), date(2026, 12, 1)),
        ("2026-11", date(2026, 11, 1), date(2026, 12, 1)),
        ("2026-2", date(2026, 2, 1), date(2026, 3, 1)),
        ("2026", date(2026, 1, 1), date(2027, 1, 1)),
        ("this year", date(2026, 1, 1), date(2027, 1, 1)),
        ("l’année dernière", date(2025, 1, 1), date(2026, 1, 1)),
        ("novembre 2026", date(2026, 11, 1), date(2026, 12, 1)),
        ("November 2025", date(2025, 11, 1), date(2025, 12, 1)),
        ("février 2026", date(2026, 2, 1), date(2026, 3, 1)),
        ("novembre", date(2026, 11, 1), date(2026, 12, 1)),  # the last November that has begun
        ("en décembre", date(2026, 12, 1), date(2027, 1, 1)),
        ("from 2026-09-01 to 2026-11-30", date(2026, 9, 1), date(2026, 12, 1)),
        ("de 2026-09-01 à 2026-11-30", date(2026, 9, 1), date(2026, 12, 1)),
        ("du 2026-09-01 au 2026-09-01", date(2026, 9, 1), date(2026, 9, 2)),
        ("from 2026-09 to 2026-11", date(2026, 9, 1), date(2026, 12, 1)),
        ("de 2025 à 2026", date(2025, 1, 1), date(2027, 1, 1)),
        ("2025-12", date(2025, 12, 1), date(2026, 1, 1)),
    ],
)
def test_each_way_of_naming_a_period(typed: str, start: date, end: date) -> None:
    period = parse(typed, TODAY)
    assert (period.start, period.end) == (start, end)


def test_last_month_in_january_is_last_years_december() -> None:
    assert parse("last month", date(2027, 1, 15)).start == date(2026, 12, 1)


def test_a_month_alone_not_yet_begun_is_last_years() -> None:
    assert parse("mars", date(2026, 2, 10)).start == date(2025, 3, 1)


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("yesterday-ish", "reports.period.unknown"),
        ("le mois prochain", "reports.period.unknown"),
        ("2026-13", "reports.period.bad_date"),
        ("2026-02-30", "reports.period.bad_date"),
        ("from 2026-11-30 to 2026-09-01", "reports.period.backwards"),
        ("de 2026-11-30 à 2026-09-01", "reports.period.backwards"),
        ("from 2026-09-01 to soon", "reports.period.unknown"),
        ("from 2000 to 2026", "reports.period.too_long"),
    ],
)
def test_a_bad_period_names_its_problem(typed: str, key: str) -> None:
    with pytest.raises(PeriodError) as raised:
        parse(typed, TODAY)
    assert raised.value.key == key


def test_a_period_round_trips_through_a_button_value() -> None:
    period = parse("from 2026-09-01 to 2026-11-30", TODAY)
    assert Period.decode(period.encode()) == period
    assert Period.decode("month:2026-12-01:2026-11-01") is None
    assert Period.decode("nonsense") is None
    assert period.last_day == date(2026, 11, 30)
