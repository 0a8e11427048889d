"""parse_feed on the fixtures: recurrences with an exception and a moved occurrence, daylight-saving changes in
Paris and New York (wall-clock times kept), all-day and floating events, attendees, cancellations, and
nothing but FeedProblem out of a mangled body."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.calendar.feed.parse import Occurrence, parse_feed
from flows.calendar.feed.problems import FeedProblem
from tests.flows.calendar.ics import calendar, event, fixture

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
START = datetime(2025, 12, 1, tzinfo=UTC)
END = datetime(2026, 6, 1, tzinfo=UTC)


def parse(name: str, zone: ZoneInfo = PARIS) -> list[Occurrence]:
    return parse_feed(fixture(name), window_start=START, window_end=END, zone=zone)


def test_weekly_with_an_exdate_and_a_moved_occurrence() -> None:
    found = parse("weekly.ics")
    assert {o.uid for o in found} == {"weekly-elodie@tests.billbot"}
    local = [o.starts_at.astimezone(PARIS).strftime("%m-%d %H:%M") for o in found]
    # 8 Mondays from 5 January, 19 January left out, 26 January moved to Tuesday 27 at 14:00.
    assert local == ["01-05 10:00", "01-12 10:00", "01-27 14:00", "02-02 10:00", "02-09 10:00", "02-16 10:00",
                     "02-23 10:00"]  # fmt: skip
    moved = found[2]
    assert moved.occurrence_key == "2026-01-26T09:00:00+00:00"  # its original start keeps its row
    assert moved.summary == "Séance elodie lefevre (moved)"
    assert all(o.ends_at - o.starts_at == timedelta(minutes=50) for o in found)
    assert all(o.starts_at.tzinfo is UTC and not o.all_day and not o.cancelled for o in found)
    assert len({o.occurrence_key for o in found}) == len(found)


def test_paris_and_new_york_keep_their_wall_clock_time_across_daylight_saving() -> None:
    found = parse("dst.ics")
    paris = [o for o in found if o.uid == "paris-dst@tests.billbot"]
    new_york = [o for o in found if o.uid == "new-york-dst@tests.billbot"]
    assert [o.starts_at.astimezone(PARIS).strftime("%m-%d %H:%M") for o in paris] == [
        "03-23 09:00", "03-30 09:00", "04-06 09:00"]  # fmt: skip
    assert [o.starts_at.strftime("%H:%M") for o in paris] == ["08:00", "07:00", "07:00"]  # UTC moves by an hour
    assert [o.starts_at.astimezone(NEW_YORK).strftime("%m-%d %H:%M") for o in new_york] == [
        "03-03 17:00", "03-10 17:00", "03-17 17:00"]  # fmt: skip
    assert [o.starts_at.strftime("%H:%M") for o in new_york] == ["22:00", "21:00", "21:00"]
    assert all(o.ends_at - o.starts_at == timedelta(minutes=45) for o in new_york)


def test_all_day_runs_midnight_to_midnight_in_the_zone_and_floating_times_are_read_there() -> None:
    for zone in (PARIS, NEW_YORK):
        workshop, floating = parse("all_day.ics", zone)
        assert workshop.all_day and workshop.occurrence_key == ""
        assert workshop.starts_at == datetime(2026, 3, 10, tzinfo=zone).astimezone(UTC)
        assert workshop.ends_at == datetime(2026, 3, 11, tzinfo=zone).astimezone(UTC)
        assert not floating.all_day
        assert floating.starts_at == datetime(2026, 3, 12, 8, 30, tzinfo=zone).astimezone(UTC)
        assert floating.ends_at - floating.starts_at == timedelta(minutes=45)


def test_attendees_are_lower_case_emails_without_mailto() -> None:
    (found,) = parse("attendees.ics")
    assert found.attendee_emails == ("jean.dupont@example.com", "practitioner@cabinet.example")
    assert found.summary == "Consultation"


def test_cancelled_on_the_event_or_on_one_occurrence() -> None:
    found = {(o.uid, o.starts_at.day): o.cancelled for o in parse("cancelled.ics")}
    assert found == {
        ("cancelled-single@tests.billbot", 6): True,
        ("cancelled-one@tests.billbot", 2): False,
        ("cancelled-one@tests.billbot", 3): True,
        ("cancelled-one@tests.billbot", 4): False,
    }


def test_the_window_bounds_an_endless_rule() -> None:
    body = calendar(event("forever", start=datetime(2020, 1, 6, 9, tzinfo=UTC), rrule="FREQ=WEEKLY"))
    found = parse_feed(body, window_start=START, window_end=END, zone=PARIS)
    assert found and all(START <= o.starts_at < END for o in found)
    assert len(found) == 26


def test_a_rule_that_unfolds_into_too_many_occurrences_is_refused() -> None:
    body = calendar(event("flood", start=datetime(2026, 1, 1, tzinfo=UTC), minutes=1, rrule="FREQ=MINUTELY"))
    with pytest.raises(FeedProblem) as caught:
        parse_feed(body, window_start=START, window_end=END, zone=PARIS)
    assert caught.value.key == "calendar.error.too_many"


@pytest.mark.parametrize(
    "body",
    [fixture("malformed.ics"), b"", b"<!doctype html><p>Sign in", b"\x89PNG\r\n\x1a\n", b"BEGIN:VCALENDAR\r\n"],
)
def test_what_is_no_calendar_is_malformed(body: bytes) -> None:
    with pytest.raises(FeedProblem) as caught:
        parse_feed(body, window_start=START, window_end=END, zone=PARIS)
    assert caught.value.key == "calendar.error.malformed"


_ALL = b"".join(fixture(name) for name in ("weekly.ics", "dst.ics", "cancelled.ics"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mangled_calendars_raise_nothing_but_feed_problem(data: st.DataObject) -> None:
    body = bytearray(fixture(data.draw(st.sampled_from(["weekly.ics", "dst.ics", "cancelled.ics", "attendees.ics"]))))
    for _ in range(data.draw(st.integers(1, 8))):
        if not body:
            break
        at = data.draw(st.integers(0, len(body) - 1))
        action = data.draw(st.sampled_from(["cut", "byte", "insert", "drop"]))
        if action == "cut":
            del body[at:]
        elif action == "byte":
            body[at] = data.draw(st.integers(0, 255))
        elif action == "insert":
            start = data.draw(st.integers(0, len(_ALL) - 40))
            body[at:at] = _ALL[start : start + data.draw(st.integers(1, 40))]
        else:
            del body[at : at + data.draw(st.integers(1, 30))]
    try:
        found = parse_feed(bytes(body), window_start=START, window_end=END, zone=PARIS)
    except FeedProblem as problem:
        assert problem.key in ("calendar.error.malformed", "calendar.error.too_many")
    else:
        assert all(o.starts_at.tzinfo is not None and o.ends_at >= o.starts_at for o in found)
