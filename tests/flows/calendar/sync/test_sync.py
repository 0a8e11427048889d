"""Syncing a calendar into rows, over real HTTP from the loopback feed server, on SQLite and PostgreSQL:
matching, sessions, unchanged re-syncs, moves, cancellations, removals, the to-sort click, bad feeds and
disconnecting."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.services import Services
from flows.calendar.feed.problems import FeedProblem
from flows.calendar.sync.apply import assign_client, connect_feed, disconnect_feed, sync_feed
from tests.flows.calendar.ics import calendar, event, fixture, this_week
from tests.flows.calendar.sync.helpers import (
    PRACTITIONER,
    TEAM,
    appointments,
    event_named,
    events,
    feeds,
    invoice_session,
    make_client,
    make_service,
    session_of,
    snapshot,
)
from tests.harness.ics_server import IcsServer

PARIS = "Europe/Paris"


def connect(services: Services, url: str | None = None, body: bytes | None = None, **options: object) -> int:
    feed_id, _ = connect_feed(
        services, team_id=TEAM, user_id=PRACTITIONER, url=url, body=body, timezone=PARIS, locale="fr", **options
    )  # type: ignore[arg-type]
    return feed_id


def test_first_sync_matches_by_email_then_name_and_leaves_the_rest_to_sort(
    calendar_services: Services, ics_server: IcsServer
) -> None:
    services = calendar_services
    jean = make_client(services, "Jean Dupont", "jean.dupont@example.com")
    elodie = make_client(services, "Élodie Lefèvre")
    make_client(services, "Sophie Martin")
    make_client(services, "Sophie Martin", "sophie.m@example.com")  # a namesake: no guessing between them
    make_client(services, "Paul Archive", "paul@example.com", archived=True)
    assessment = make_service(services, "Initial assessment", keyword="Bilan")
    follow_up = make_service(services, "Follow-up")
    tuesday = this_week(1, 10, zone=PARIS)
    body = calendar(
        event("e-jean", start=tuesday, minutes=45, summary="Consultation", attendees=["Jean.Dupont@Example.com"]),
        event("e-elodie", start=tuesday + timedelta(hours=2), summary="Séance elodie lefevre"),
        event("e-bilan", start=tuesday + timedelta(hours=4), summary="Bilan Élodie LEFÈVRE (anxiety)"),
        event("e-sophie", start=tuesday + timedelta(days=1), summary="Sophie Martin"),
        event("e-paul", start=tuesday + timedelta(days=1, hours=2), attendees=["paul@example.com"]),
        event("e-none", start=tuesday + timedelta(days=2), summary="Rendez-vous"),
        event("e-gone", start=tuesday + timedelta(days=2, hours=3), summary="Jean Dupont", status="CANCELLED"),
    )
    url = ics_server.set_feed("practice", body)
    feed_id, result = connect_feed(
        services, team_id=TEAM, user_id=PRACTITIONER, url=url, body=None, timezone=PARIS, locale="fr",
        default_service_id=follow_up,
    )  # fmt: skip
    assert (result.added, result.to_sort, result.changed, result.removed) == (7, 3, 0, 0)
    found = {e.uid: e for e in events(services)}
    assert (found["e-jean"].client_id, found["e-jean"].matched_by) == (jean, "email")
    assert (found["e-elodie"].client_id, found["e-elodie"].matched_by) == (elodie, "name")
    assert (found["e-bilan"].client_id, found["e-bilan"].service_id) == (elodie, assessment)
    assert found["e-sophie"].client_id is None and found["e-paul"].client_id is None
    assert found["e-none"].client_id is None
    assert found["e-gone"].status == "cancelled" and found["e-gone"].appointment_id is None
    assert json.loads(found["e-jean"].attendee_emails) == ["jean.dupont@example.com"]

    sessions = {a.id: a for a in appointments(services)}
    assert len(sessions) == 3
    made = sessions[found["e-jean"].appointment_id]
    assert (made.source, made.client_id, made.practitioner_id, made.duration_minutes) == (
        "calendar", jean, PRACTITIONER, 45)  # fmt: skip
    assert made.held_on == tuesday.date() and made.starts_at is not None
    assert made.starts_at.replace(tzinfo=UTC) == tuesday.astimezone(UTC)
    assert (made.service_id, made.description) == (follow_up, "Follow-up")
    bilan = sessions[found["e-bilan"].appointment_id]
    # The title says why the client comes: it stays on the event, never on the session.
    assert bilan.description == "Initial assessment" and "anxiety" not in (bilan.notes or "")
    assert all("anxiety" not in a.description and "Séance" not in a.description for a in sessions.values())
    (feed,) = feeds(services)
    assert (feed.id, feed.source, feed.url, feed.status, feed.locale) == (feed_id, "url", url, "ok", "fr")
    assert feed.etag and feed.body_sha256 and feed.next_sync_at is not None


def test_without_a_service_the_session_says_session_in_the_feed_language(calendar_services: Services) -> None:
    services = calendar_services
    make_client(services, "Jean Dupont")
    connect(services, body=calendar(event("a", start=this_week(2, 9, zone=PARIS), summary="Jean Dupont")))
    (made,) = appointments(services)
    assert (made.description, made.service_id) == ("Séance", None)


def test_a_second_sync_with_no_change_costs_a_304_and_writes_nothing(
    calendar_services: Services, ics_server: IcsServer
) -> None:
    services = calendar_services
    make_client(services, "Élodie Lefèvre")
    monday = this_week(0, 10, zone=PARIS, weeks=-2)
    body = calendar(
        event("weekly", start=monday, summary="Séance Élodie Lefèvre", rrule="FREQ=WEEKLY;COUNT=6"),
        event("other", start=monday + timedelta(days=2), summary="Admin"),
    )
    feed_id = connect(services, ics_server.set_feed("practice", body))
    before = snapshot(services)
    assert len(before) == 7 + 6  # 7 events, 6 sessions

    again = sync_feed(services, feed_id)
    assert again.not_modified and (again.added, again.changed, again.removed) == (0, 0, 0)
    assert again.unchanged == 7 and again.to_sort == 1
    assert snapshot(services) == before
    assert ics_server.hits("/feeds/practice.ics") == 2  # the second one answered 304

    # A host without validators sends the same body again: its digest says so, nothing is parsed or written.
    ics_server.set_feed("practice", body, validators=False)
    assert sync_feed(services, feed_id).not_modified
    assert snapshot(services) == before


def test_recurrences_with_an_exception_and_a_moved_occurrence_become_sessions(calendar_services: Services) -> None:
    services = calendar_services
    make_client(services, "Élodie Lefèvre")
    first = this_week(0, 10, zone=PARIS, weeks=-3)
    body = calendar(
        event(
            "weekly", start=first, summary="Séance Élodie Lefèvre", rrule="FREQ=WEEKLY;COUNT=6",
            exdates=[first + timedelta(weeks=1)],
        ),
        event(
            "weekly", start=first + timedelta(weeks=2, days=1, hours=4), summary="Séance Élodie Lefèvre",
            recurrence_id=first + timedelta(weeks=2), sequence=1,
        ),
    )  # fmt: skip
    connect(services, body=body)
    rows = events(services)
    assert len(rows) == 5 and len({r.occurrence_key for r in rows}) == 5 and "" not in {r.occurrence_key for r in rows}
    days = [a.held_on for a in appointments(services)]
    expected = [first + timedelta(weeks=n) for n in (0, 3, 4, 5)] + [first + timedelta(weeks=2, days=1, hours=4)]
    assert days == sorted(d.date() for d in expected)
    moved = [r for r in rows if r.occurrence_key == (first + timedelta(weeks=2)).astimezone(UTC).isoformat()]
    assert len(moved) == 1 and moved[0].starts_at.replace(tzinfo=UTC) == (first + timedelta(weeks=2, days=1, hours=4))


def test_daylight_saving_keeps_the_local_time_of_the_sessions(calendar_services: Services) -> None:
    services = calendar_services
    make_client(services, "Jean Dupont")
    # A weekly Paris session over the next change of time in Paris (whichever it is), from the feed's zone.
    start = this_week(0, 9, zone=PARIS, weeks=-20)
    body = calendar(event("dst", start=start, summary="Jean Dupont", rrule="FREQ=WEEKLY;COUNT=30"))
    connect(services, body=body)
    paris = ZoneInfo(PARIS)
    sessions = appointments(services)
    assert len(sessions) == 30
    local = {a.starts_at.replace(tzinfo=UTC).astimezone(paris).strftime("%a %H:%M") for a in sessions if a.starts_at}
    assert local == {"Mon 09:00"}
    assert len({a.starts_at.replace(tzinfo=UTC).hour for a in sessions if a.starts_at}) == 2  # 7:00 and 8:00 UTC


def test_an_event_moved_moves_its_session_unless_invoiced_which_is_flagged(
    calendar_services: Services, ics_server: IcsServer
) -> None:
    services = calendar_services
    make_client(services, "Jean Dupont")
    make_client(services, "Élodie Lefèvre")
    past = this_week(0, 10, zone=PARIS, weeks=-1)
    ahead = this_week(3, 15, zone=PARIS, weeks=1)
    url = ics_server.set_feed(
        "practice",
        calendar(
            event("jean", start=past, summary="Jean Dupont"), event("elodie", start=ahead, summary="Élodie Lefèvre")
        ),
    )
    feed_id = connect(services, url)
    (jean_event,) = event_named(services, "Jean Dupont")
    jean_session = session_of(services, jean_event)
    assert jean_session is not None and jean_session.id is not None
    invoice_session(services, jean_session.id)

    ics_server.set_feed(
        "practice",
        calendar(
            event("jean", start=past + timedelta(days=1), summary="Jean Dupont"),
            event("elodie", start=ahead + timedelta(days=1, hours=-2), minutes=30, summary="Élodie Lefèvre"),
        ),
    )
    result = sync_feed(services, feed_id)
    assert (result.changed, result.flagged, result.added, result.removed) == (2, 1, 0, 0)
    kept = session_of(services, event_named(services, "Jean Dupont")[0])
    assert kept is not None and kept.held_on == past.date() and kept.calendar_flag == "moved"  # its invoice stands
    moved = session_of(services, event_named(services, "Élodie Lefèvre")[0])
    assert moved is not None and moved.calendar_flag is None
    assert moved.held_on == (ahead + timedelta(days=1)).date() and moved.duration_minutes == 30
    assert moved.starts_at is not None and moved.starts_at.replace(tzinfo=UTC) == ahead + timedelta(days=1, hours=-2)
    assert len(appointments(services)) == 2


def test_cancelled_or_removed_events_delete_their_session_unless_invoiced(
    calendar_services: Services, ics_server: IcsServer
) -> None:
    services = calendar_services
    for name in ("Jean Dupont", "Élodie Lefèvre", "Marc Petit", "Anne Roux"):
        make_client(services, name)
    day = this_week(1, 9, zone=PARIS, weeks=-1)
    names = {"jean": "Jean Dupont", "elodie": "Élodie Lefèvre", "marc": "Marc Petit", "anne": "Anne Roux"}
    start = {uid: day + timedelta(hours=n) for n, uid in enumerate(names)}
    url = ics_server.set_feed("practice", calendar(*(event(u, start=start[u], summary=n) for u, n in names.items())))
    feed_id = connect(services, url)
    voided = session_of(services, event_named(services, "Anne Roux")[0])
    invoiced = session_of(services, event_named(services, "Marc Petit")[0])
    assert voided is not None and voided.id and invoiced is not None and invoiced.id
    invoice_session(services, invoiced.id)
    invoice_session(services, voided.id, status="void")  # a voided invoice frees its sessions

    ics_server.set_feed(
        "practice",
        calendar(
            event("jean", start=start["jean"], summary="Jean Dupont", status="CANCELLED"),
            event("marc", start=start["marc"], summary="Marc Petit", status="CANCELLED"),
            # Élodie's and Anne's events are no longer in the feed.
        ),
    )
    result = sync_feed(services, feed_id)
    assert (result.changed, result.removed, result.flagged) == (2, 2, 1)
    left = appointments(services)
    assert [a.id for a in left] == [invoiced.id] and left[0].calendar_flag == "cancelled"
    statuses = {e.uid: (e.status, e.appointment_id) for e in events(services)}
    assert statuses == {
        "jean": ("cancelled", None),
        "marc": ("cancelled", invoiced.id),
        "elodie": ("removed", None),
        "anne": ("removed", None),
    }

    # Élodie's event comes back: a session again.
    ics_server.set_feed("practice", calendar(event("elodie", start=start["elodie"], summary="Élodie Lefèvre")))
    back = sync_feed(services, feed_id)
    assert back.changed == 1
    assert session_of(services, event_named(services, "Élodie Lefèvre")[0]) is not None


def test_the_to_sort_click_sorts_the_recurring_event_and_remembers_it(
    calendar_services: Services, ics_server: IcsServer
) -> None:
    services = calendar_services
    client = make_client(services, "Jean Dupont")
    start = this_week(2, 18, zone=PARIS, weeks=-2)
    url = ics_server.set_feed(
        "practice", calendar(event("group", start=start, summary="Groupe du mercredi", rrule="FREQ=WEEKLY;COUNT=4"))
    )
    feed_id = connect(services, url)
    unsorted = events(services)
    assert len(unsorted) == 4 and not appointments(services)

    assert assign_client(services, team_id=TEAM, event_id=unsorted[1].id or 0, client_id=client, user_id="U0ADMIN") == 4
    assert assign_client(services, team_id=TEAM, event_id=unsorted[1].id or 0, client_id=client, user_id="U0ADMIN") == 0
    sorted_rows = events(services)
    assert {e.client_id for e in sorted_rows} == {client}
    assert [e.matched_by for e in sorted_rows] == ["rule", "manual", "rule", "rule"]
    assert len(appointments(services)) == 4
    assert assign_client(services, team_id="T0OTHER", event_id=unsorted[0].id or 0, client_id=client, user_id="U") == 0

    # Two more Wednesdays in the feed: the remembered rule sorts them at the next sync.
    ics_server.set_feed(
        "practice", calendar(event("group", start=start, summary="Groupe du mercredi", rrule="FREQ=WEEKLY;COUNT=6"))
    )
    result = sync_feed(services, feed_id)
    assert (result.added, result.to_sort) == (2, 0)
    assert [e.matched_by for e in events(services)][-2:] == ["rule", "rule"]
    assert len(appointments(services)) == 6


def test_a_client_added_later_is_matched_at_the_next_full_read(calendar_services: Services) -> None:
    services = calendar_services
    body = calendar(event("x", start=this_week(1, 11, zone=PARIS), summary="Séance Jean Dupont"))
    feed_id = connect(services, body=body)
    assert events(services)[0].client_id is None
    client = make_client(services, "Jean Dupont")
    result = sync_feed(services, feed_id, body=body + b"\r\n")  # a new upload of the same events
    assert result.changed == 1 and events(services)[0].client_id == client and len(appointments(services)) == 1


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/missing", "calendar.error.not_found"),
        ("/loop", "calendar.error.redirects"),
        ("/slow", "calendar.error.timeout"),
        ("/big", "calendar.error.too_large"),
        ("/html", "calendar.error.malformed"),
        ("/feeds/malformed.ics", "calendar.error.malformed"),
    ],
)
def test_a_bad_feed_connects_nothing(calendar_services: Services, ics_server: IcsServer, path: str, key: str) -> None:
    services = calendar_services
    make_client(services, "Jean Dupont")
    ics_server.set_feed("malformed", fixture("malformed.ics"))
    ics_server.slow_seconds = 4
    with pytest.raises(FeedProblem) as caught:
        connect(services, ics_server.url(path))
    assert caught.value.key == key
    assert (feeds(services), events(services), appointments(services)) == ([], [], [])


def test_an_empty_upload_or_a_refused_address_connects_nothing(calendar_services: Services) -> None:
    services = calendar_services
    for kwargs, key in (
        ({"body": b"  \r\n"}, "calendar.error.empty_upload"),
        ({"url": "ftp://calendar.example.com/x.ics"}, "calendar.error.scheme"),
        ({"url": "nonsense"}, "calendar.error.address"),
    ):
        with pytest.raises(FeedProblem) as caught:
            connect(services, **kwargs)  # type: ignore[arg-type]
        assert caught.value.key == key
    assert feeds(services) == []


def test_a_feed_that_breaks_is_marked_failing_and_keeps_its_rows(
    calendar_services: Services, ics_server: IcsServer
) -> None:
    services = calendar_services
    make_client(services, "Jean Dupont")
    url = ics_server.set_feed(
        "practice", calendar(event("a", start=this_week(1, 9, zone=PARIS), summary="Jean Dupont"))
    )
    feed_id = connect(services, url)
    before = snapshot(services)
    ics_server.set_feed("practice", fixture("malformed.ics"))
    with pytest.raises(FeedProblem):
        sync_feed(services, feed_id)
    (feed,) = feeds(services)
    assert (feed.status, feed.last_error_key) == ("failing", "calendar.error.malformed")
    assert snapshot(services) == before
    ics_server.big_bytes = services.settings.calendar_max_bytes + 1
    with pytest.raises(FeedProblem):
        sync_feed(services, feed_id, body=b"")
    (feed,) = feeds(services)
    assert feed.last_error_key == "calendar.error.empty_upload"
    ics_server.set_feed("practice", calendar(event("a", start=this_week(1, 9, zone=PARIS), summary="Jean Dupont")))
    sync_feed(services, feed_id)
    (feed,) = feeds(services)
    assert (feed.status, feed.last_error_key, feed.last_error_params) == ("ok", None, None)


def test_reconnecting_replaces_the_one_feed_of_the_practitioner(
    calendar_services: Services, ics_server: IcsServer
) -> None:
    services = calendar_services
    make_client(services, "Jean Dupont")
    first = connect(
        services, ics_server.set_feed("a", calendar(event("a1", start=this_week(1, 9), summary="Jean Dupont")))
    )
    second = connect(services, body=calendar(event("b1", start=this_week(2, 9), summary="Jean Dupont")))
    assert first == second
    (feed,) = feeds(services)
    assert (feed.source, feed.url, feed.etag) == ("file", None, None)
    assert {(e.uid, e.status) for e in events(services)} == {("a1", "removed"), ("b1", "confirmed")}
    assert len(appointments(services)) == 1


def test_disconnecting_removes_what_is_still_to_come_and_keeps_the_record(
    calendar_services: Services,
) -> None:
    services = calendar_services
    make_client(services, "Jean Dupont")
    past = datetime.now(UTC) - timedelta(days=3)
    body = calendar(
        event("past", start=past, summary="Jean Dupont"),
        event("ahead", start=past + timedelta(days=10), summary="Jean Dupont"),
        event("ahead-invoiced", start=past + timedelta(days=11), summary="Jean Dupont"),
    )
    connect(services, body=body)
    ahead_invoiced = session_of(services, next(e for e in events(services) if e.uid == "ahead-invoiced"))
    assert ahead_invoiced is not None and ahead_invoiced.id is not None
    invoice_session(services, ahead_invoiced.id)
    assert disconnect_feed(services, team_id=TEAM, user_id=PRACTITIONER) == 1
    assert (feeds(services), events(services)) == ([], [])
    assert len(appointments(services)) == 2
    assert disconnect_feed(services, team_id=TEAM, user_id=PRACTITIONER) == 0
