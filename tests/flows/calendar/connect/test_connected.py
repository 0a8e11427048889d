"""The connected calendar's modal: Sync now (twice), the settings' Save, Disconnect, and whose calendar it is."""

from __future__ import annotations

import json

from bot.i18n import t
from bot.models import Appointment, CalendarFeed
from bot.sandbox.slack import check_view
from flows.calendar.connect import ids
from tests.conftest import ADMIN, MEMBER, Billbot
from tests.flows.calendar.connect.scene import (
    add_client,
    add_service,
    block,
    calendar_sessions,
    click,
    connect,
    count,
    events,
    feeds,
    form,
    open_calendar,
    submit,
    text_of,
    wait_view,
)
from tests.flows.calendar.ics import calendar, days_from_now, event
from tests.harness.ics_server import IcsServer


def two_sessions(ics: IcsServer, *extra: str) -> str:
    return ics.set_feed(
        "alice",
        calendar(
            event("s1", start=days_from_now(-2, 9), summary="Séance Élodie Lefèvre"),
            event("s2", start=days_from_now(1, 14), summary="Séance Élodie Lefèvre"),
            *extra,
        ),
    )


def test_sync_now_reads_the_changes_and_a_double_click_makes_nothing_twice(
    billbot: Billbot, ics_server: IcsServer
) -> None:
    elodie = add_client(billbot, "Élodie Lefèvre")
    connected = connect(billbot, two_sessions(ics_server))
    assert len(calendar_sessions(billbot, elodie)) == 2
    # Unchanged: Sync now says so.
    click(billbot, connected, ids.SYNC_ACTION, str(feeds(billbot)[0].id))
    unchanged = wait_view(billbot, connected["id"], ids.CONNECTED_CALLBACK, "nothing has changed")
    assert "2 sessions imported" in text_of(unchanged)
    # A new session in the calendar; the person presses Sync now twice in a row.
    two_sessions(ics_server, event("s3", start=days_from_now(3, 16), summary="Séance Élodie Lefèvre"))
    feed_id = str(feeds(billbot)[0].id)
    click(billbot, unchanged, ids.SYNC_ACTION, feed_id)
    click(billbot, unchanged, ids.SYNC_ACTION, feed_id)
    billbot.slack.wait_for(lambda: billbot.app.services.work.counts() == {"pending": 0, "failed": 0}, timeout=20)
    redrawn = wait_view(billbot, connected["id"], ids.CONNECTED_CALLBACK, "3 sessions imported")
    assert check_view(redrawn) == []
    assert len(calendar_sessions(billbot, elodie)) == 3
    assert len(events(billbot)) == 3
    assert count(billbot, Appointment) == 3


def test_a_failing_calendar_shows_why_and_keeps_its_sessions(billbot: Billbot, ics_server: IcsServer) -> None:
    elodie = add_client(billbot, "Élodie Lefèvre")
    connected = connect(billbot, two_sessions(ics_server))
    # The calendar's address stops answering (the sharing was turned off).
    with billbot.app.services.db.session() as session:
        feed = session.get(CalendarFeed, feeds(billbot)[0].id)
        assert feed is not None
        feed.url = ics_server.url("/missing")
        session.add(feed)
    click(billbot, connected, ids.SYNC_ACTION, str(feed.id))
    failed = wait_view(billbot, connected["id"], ids.CONNECTED_CALLBACK, ":warning:")
    text = text_of(failed)
    assert t("en", "calendar.error.not_found") in text
    assert "could not read your calendar the last time" in text
    assert len(calendar_sessions(billbot, elodie)) == 2


def test_the_settings_are_saved_from_the_connected_view(billbot: Billbot, ics_server: IcsServer) -> None:
    add_client(billbot, "Élodie Lefèvre")
    consultation = add_service(billbot, "Consultation")
    no_show = add_service(billbot, "Absence non excusée", 4000)
    connected = connect(billbot, two_sessions(ics_server))
    answer = submit(billbot, connected, form(default=consultation, no_show=no_show, prompt=True, minutes="60"))
    assert answer["response_action"] == "update"
    shown = answer["view"]
    assert check_view(shown) == []
    assert "Settings saved." in text_of(shown)
    assert block(shown, ids.NO_SHOW_SERVICE)["element"]["initial_option"]["value"] == str(no_show)
    assert block(shown, ids.PROMPT_MINUTES)["element"]["initial_option"]["value"] == "60"
    [feed] = feeds(billbot)
    assert (feed.default_service_id, feed.no_show_service_id, feed.prompt_on_end, feed.prompt_delay_minutes) == (
        consultation,
        no_show,
        True,
        60,
    )
    # A forged service id (another practice's, or made up) is an error under its field; nothing changes.
    forged = submit(billbot, connected, form(default=99999))
    assert forged["errors"] == {ids.DEFAULT_SERVICE: t("en", "calendar.connect.error.service")}
    assert feeds(billbot)[0].default_service_id == consultation


def test_disconnect_removes_the_feed_and_its_future_sessions_only(billbot: Billbot, ics_server: IcsServer) -> None:
    elodie = add_client(billbot, "Élodie Lefèvre")
    connected = connect(billbot, two_sessions(ics_server))
    click(billbot, connected, ids.DISCONNECT_ACTION, str(feeds(billbot)[0].id))
    back = wait_view(billbot, connected["id"], ids.CONNECT_CALLBACK, "Calendar disconnected")
    assert "1 future session removed" in text_of(back)
    assert feeds(billbot) == []
    [kept] = calendar_sessions(billbot, elodie)  # the past one stays, to be invoiced
    assert kept.starts_at is not None
    # A second click (the confirm pressed twice) changes nothing more.
    click(billbot, connected, ids.DISCONNECT_ACTION, "1")
    wait_view(billbot, connected["id"], ids.CONNECT_CALLBACK, "0 future sessions removed")
    assert len(calendar_sessions(billbot, elodie)) == 1


def test_a_member_cannot_act_on_anothers_calendar(billbot: Billbot, ics_server: IcsServer) -> None:
    add_client(billbot, "Élodie Lefèvre")
    connected = connect(billbot, two_sessions(ics_server))
    feed_id = feeds(billbot)[0].id
    # The member who is no admin forges the admin's buttons from a modal of their own.
    theirs = open_calendar(billbot, MEMBER, ids.CONNECT_CALLBACK)
    click(billbot, theirs, ids.DISCONNECT_ACTION, str(feed_id), user=MEMBER)
    click(billbot, theirs, ids.SYNC_ACTION, str(feed_id), user=MEMBER)
    billbot.slack.wait_for(lambda: billbot.app.services.work.counts() == {"pending": 0, "failed": 0}, timeout=20)
    assert [f.user_id for f in feeds(billbot)] == [ADMIN]
    assert len(calendar_sessions(billbot)) == 2
    mine = billbot.workspace.view(theirs["id"])
    assert "127.0.0.1" not in json.dumps(mine) and "Élodie" not in json.dumps(mine)
    assert "127.0.0.1" in text_of(billbot.workspace.view(connected["id"]))
