"""The playground's demo calendar: a feed dated from the current week, served on loopback, connected at start
as the admin's calendar, so the App Home a newcomer opens shows the week view filled."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlmodel import select

from bot.models import Appointment, CalendarEvent
from bot.sandbox.playground import Options, Playground
from bot.sandbox.playground.calendar_demo import TIMEZONE, feed_text
from bot.sandbox.playground.demo import ADMIN, MEMBER
from bot.sandbox.slack import check_view
from flows.calendar.feed.parse import parse_feed


def test_the_demo_feed_is_dated_from_this_week_with_weekly_clients_an_all_day_event_and_a_stranger() -> None:
    now = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # a Wednesday; Paris moves to summer time on March 29
    found = parse_feed(
        feed_text(now).encode(),
        window_start=now - timedelta(days=60),
        window_end=now + timedelta(days=60),
        zone=ZoneInfo(TIMEZONE),
    )
    titles = [o.summary for o in found]
    assert titles.count("Séance Marc Lefebvre") == 7  # three weeks back, this week, three ahead
    assert titles.count("Consultation - Jeanne Dupont") == 14  # twice a week
    assert [o.summary for o in found if o.all_day] == ["Workshop day - Louise Bernard"]
    assert titles.count("First appointment - new patient") == 1
    # Every week's Monday session is at 9:00 in Paris, before and after the change of time.
    jeanne = [o.starts_at.astimezone(ZoneInfo(TIMEZONE)) for o in found if "Jeanne" in o.summary]
    assert {(m.weekday(), m.hour, m.minute) for m in jeanne} == {(0, 9, 0), (3, 9, 0)}
    mondays = [m for m in jeanne if m.weekday() == 0]
    assert min(mondays).date().isoformat() == "2026-02-09" and max(mondays).date().isoformat() == "2026-03-23"


@pytest.fixture(scope="module")
def playground(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Playground]:
    database: Path = tmp_path_factory.mktemp("playground-calendar") / "billbot-playground.db"
    running = Playground(Options(port=0, database=database)).start()
    yield running
    running.stop()


def test_at_start_the_admins_calendar_is_connected_and_the_home_shows_the_week(playground: Playground) -> None:
    with playground.services.db.session() as session:
        events = list(session.exec(select(CalendarEvent)).all())
        sessions = list(session.exec(select(Appointment).where(Appointment.source == "calendar")).all())
    assert {e.client_id is None for e in events} == {True, False}  # matched ones, and one to sort
    assert sessions and all(s.practitioner_id == ADMIN for s in sessions)
    with httpx.Client(base_url=playground.url, timeout=10) as page:
        assert page.post("/api/home", json={"user": ADMIN}).status_code == 200
    home = playground.slack.wait_for(lambda: playground.workspace.home(ADMIN))
    assert check_view(home) == []
    text = json.dumps(home["blocks"], ensure_ascii=False)
    assert "Calendar sessions" in text and "Jeanne Dupont" in text and "Sophie Martin" in text
    assert "Louise Bernard" in text and "all day" in text  # last week's workshop
    assert "1 event of these two weeks is matched to no client" in text
    assert "Invoice " in text  # last week's sessions are to invoice
    assert "Invoice the week · Jeanne Dupont (2 sessions)" in text


def test_a_member_of_the_demo_without_a_calendar_sees_no_week_view(playground: Playground) -> None:
    with httpx.Client(base_url=playground.url, timeout=10) as page:
        assert page.post("/api/home", json={"user": MEMBER}).status_code == 200
    home = playground.slack.wait_for(lambda: playground.workspace.home(MEMBER))
    assert "Jeanne Dupont" not in json.dumps(home["blocks"], ensure_ascii=False)
