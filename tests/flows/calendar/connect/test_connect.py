"""Connecting a calendar through `/billing calendar`: by its secret address or an uploaded .ics file; every
bad address or feed brings the form back with its reason under the field, what was entered kept, nothing saved."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.i18n import t
from bot.models import BillingSettings
from bot.sandbox.slack import SlackStandIn, Workspace
from bot.sandbox.stripe import StripeEmulator
from flows.calendar.connect import ids
from tests.conftest import ADMIN, FRENCH_USER, MEMBER, SIGNING_SECRET, TEAM_ID, Billbot, app_env
from tests.flows.calendar.connect.scene import (
    add_client,
    add_service,
    block,
    calendar_sessions,
    connect,
    feeds,
    form,
    nothing_saved,
    open_calendar,
    submit,
    text_of,
    wait_view,
)
from tests.flows.calendar.ics import calendar, days_from_now, event, fixture
from tests.harness.ics_server import IcsServer
from tests.harness.running_app import RunningApp
from tests.harness.slack_requests import SlackRequests


def practice_feed(ics: IcsServer, name: str = "alice") -> str:
    """Two sessions with Élodie Lefèvre (found by her name in the title) and a weekly event for nobody known."""
    return ics.set_feed(
        name,
        calendar(
            event("s1", start=days_from_now(-2, 9), summary="Séance Élodie Lefèvre"),
            event("s2", start=days_from_now(1, 14), summary="Suivi elodie lefevre"),
            event("w1", start=days_from_now(2, 11), summary="Groupe du jeudi", rrule="FREQ=WEEKLY;COUNT=3"),
        ),
    )


# -- connecting by address -----------------------------------------------------------------------------------


def test_the_command_opens_the_connect_form(billbot: Billbot) -> None:
    add_service(billbot, "Consultation")
    view = open_calendar(billbot, ADMIN, ids.CONNECT_CALLBACK)
    assert view["title"]["text"] == "Calendar"
    url = block(view, ids.URL)
    assert url["element"]["type"] == "plain_text_input" and url["optional"] is True
    assert "Secret address in iCal format" in url["hint"]["text"]  # where Google Calendar shows it
    assert "Outlook" in url["hint"]["text"] and "iCloud" in url["hint"]["text"] and "Calendly" in url["hint"]["text"]
    upload = block(view, ids.FILE)["element"]
    assert upload["type"] == "file_input" and upload["filetypes"] == ["ics"]
    services = [o["text"]["text"] for o in block(view, ids.DEFAULT_SERVICE)["element"]["options"]]
    assert services == ["No service", "Consultation"]
    minutes = [o["value"] for o in block(view, ids.PROMPT_MINUTES)["element"]["options"]]
    assert minutes == ["0", "5", "15", "30", "60"]
    assert view["submit"]["text"] == "Connect"


def test_connecting_by_address_imports_the_sessions_and_shows_the_counts(
    billbot: Billbot, ics_server: IcsServer
) -> None:
    elodie = add_client(billbot, "Élodie Lefèvre")
    consultation = add_service(billbot, "Consultation")
    url = practice_feed(ics_server)
    connected = connect(billbot, url, default=consultation, prompt=True, minutes="15")
    text = text_of(connected)
    assert "Your calendar is connected." in text
    assert "2 sessions imported" in text and "1 event to sort" in text
    # The address without its secret part.
    assert "http://127.0.0.1/…" in text and "/feeds/" not in text
    buttons = {e["action_id"]: e for e in block(connected, "calendar_buttons")["elements"]}
    assert buttons[ids.OPEN_SORT_ACTION]["text"]["text"] == "To sort (1)"
    assert "confirm" in buttons[ids.DISCONNECT_ACTION]
    assert "past sessions and invoiced ones are kept" in buttons[ids.DISCONNECT_ACTION]["confirm"]["text"]["text"]
    # The settings are saved with the feed and shown back.
    [feed] = feeds(billbot)
    assert (feed.user_id, feed.default_service_id, feed.prompt_on_end, feed.prompt_delay_minutes) == (
        ADMIN,
        consultation,
        True,
        15,
    )
    assert block(connected, ids.DEFAULT_SERVICE)["element"]["initial_option"]["value"] == str(consultation)
    sessions = calendar_sessions(billbot, elodie)
    assert len(sessions) == 2 and {s.practitioner_id for s in sessions} == {ADMIN}


def test_opening_again_shows_the_connected_calendar(billbot: Billbot, ics_server: IcsServer) -> None:
    add_client(billbot, "Élodie Lefèvre")
    connect(billbot, practice_feed(ics_server))
    billbot.workspace.close_views(ADMIN)
    again = open_calendar(billbot, ADMIN, ids.CONNECTED_CALLBACK)
    assert "2 sessions imported" in text_of(again) and "Last read" in text_of(again)


# -- bad feeds: the form back, the reason under the field, nothing saved ----------------------------------------


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/feeds/malformed.ics", "calendar.error.malformed"),
        ("/big", "calendar.error.too_large"),
        ("/slow", "calendar.error.timeout"),
        ("/loop", "calendar.error.redirects"),
        ("/missing", "calendar.error.not_found"),
        ("/html", "calendar.error.malformed"),
    ],
)
def test_a_feed_that_cannot_be_read_brings_the_form_back_with_its_reason(
    billbot: Billbot, ics_server: IcsServer, path: str, key: str
) -> None:
    ics_server.set_feed("malformed", fixture("malformed.ics"))
    consultation = add_service(billbot, "Consultation")
    url = ics_server.url(path)
    view = open_calendar(billbot, ADMIN, ids.CONNECT_CALLBACK)
    answer = submit(billbot, view, form(url=url, default=consultation, prompt=True, minutes="30"))
    assert answer["response_action"] == "update"
    back = wait_view(billbot, view["id"], ids.CONNECT_CALLBACK, needle=":warning:")
    message = t("en", key, limit="10 MB")
    problem = block(back, ids.PROBLEM)
    assert message.split("(")[0] in text_of({"blocks": [problem]})
    # Right under the address field, and everything entered kept.
    order = [b.get("block_id") for b in back["blocks"]]
    assert order.index(ids.PROBLEM) == order.index(ids.URL) + 1
    assert block(back, ids.URL)["element"]["initial_value"] == url
    assert block(back, ids.DEFAULT_SERVICE)["element"]["initial_option"]["value"] == str(consultation)
    assert block(back, ids.PROMPT)["element"]["initial_options"][0]["value"] == ids.PROMPT_ON
    assert block(back, ids.PROMPT_MINUTES)["element"]["initial_option"]["value"] == "30"
    nothing_saved(billbot)


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("ftp://calendar.example.com/basic.ics", "calendar.error.scheme"),
        ("javascript:alert(1)", "calendar.error.scheme"),
        ("not an address", "calendar.error.address"),
    ],
)
def test_an_address_that_is_no_calendar_address_is_refused_at_once(billbot: Billbot, url: str, key: str) -> None:
    view = open_calendar(billbot, ADMIN, ids.CONNECT_CALLBACK)
    answer = submit(billbot, view, form(url=url))
    assert answer == {"response_action": "errors", "errors": {ids.URL: t("en", key)}}
    nothing_saved(billbot)


def test_both_or_neither_and_a_file_that_is_no_ics_are_refused_at_once(billbot: Billbot) -> None:
    view = open_calendar(billbot, ADMIN, ids.CONNECT_CALLBACK)
    ics = billbot.slack.user_upload(TEAM_ID, ADMIN, "agenda.ics", calendar())
    pdf = billbot.slack.user_upload(TEAM_ID, ADMIN, "agenda.pdf", b"%PDF-1.7")
    both = submit(billbot, view, form(url="https://calendar.example.com/a.ics", files=[ics]))
    assert both["errors"] == {ids.URL: "Give the address or a file, not both."}
    neither = submit(billbot, view, form(url="", files=[]))
    assert neither["errors"] == {ids.URL: t("en", "calendar.connect.error.neither")}
    not_ics = submit(billbot, view, form(files=[pdf]))
    assert not_ics["errors"] == {ids.FILE: t("en", "calendar.connect.error.file_type", name="agenda.pdf")}
    nothing_saved(billbot)


@pytest.fixture
def production_like(
    slack: SlackStandIn, workspace: Workspace, database_url: str, stripe_emulator: StripeEmulator
) -> Iterator[Billbot]:
    """The app as deployed: no BILLBOT_CALENDAR_LOCAL_FEEDS, so http and loopback addresses are refused."""
    app = RunningApp(app_env(slack, database_url, stripe_emulator, BILLBOT_CALENDAR_LOCAL_FEEDS="0")).start()
    requests = SlackRequests(app.url, SIGNING_SECRET, slack, TEAM_ID)
    yield Billbot(app=app, slack=slack, workspace=workspace, requests=requests, stripe=stripe_emulator)
    requests.close()
    app.stop()


def test_outside_the_sandbox_http_and_private_addresses_are_refused(
    production_like: Billbot, ics_server: IcsServer
) -> None:
    bb = production_like
    url = practice_feed(ics_server)
    view = open_calendar(bb, ADMIN, ids.CONNECT_CALLBACK)
    answer = submit(bb, view, form(url=url))
    assert answer == {"response_action": "errors", "errors": {ids.URL: t("en", "calendar.error.scheme")}}
    # https to a loopback address passes the syntax check, and is refused before any connection.
    private = url.replace("http://", "https://")
    assert submit(bb, view, form(url=private))["response_action"] == "update"
    back = wait_view(bb, view["id"], ids.CONNECT_CALLBACK, needle=":warning:")
    assert t("en", "calendar.error.private_address") in text_of(back)
    assert ics_server.hits("/feeds/alice.ics") == 0
    nothing_saved(bb)


# -- connecting by upload -----------------------------------------------------------------------------------


def test_uploading_an_ics_file_imports_its_sessions(billbot: Billbot) -> None:
    elodie = add_client(billbot, "Élodie Lefèvre")
    body = calendar(
        event("u1", start=days_from_now(-1, 10), summary="Séance Élodie Lefèvre"),
        event("u2", start=days_from_now(3, 10), summary="Séance Élodie Lefèvre"),
    )
    uploaded = billbot.slack.user_upload(TEAM_ID, ADMIN, "Export.ICS", body)
    view = open_calendar(billbot, ADMIN, ids.CONNECT_CALLBACK)
    assert submit(billbot, view, form(url="", files=[uploaded]))["response_action"] == "update"
    connected = wait_view(billbot, view["id"], ids.CONNECTED_CALLBACK)
    text = text_of(connected)
    assert "an uploaded .ics file" in text and "2 sessions imported" in text
    # A file is read once: there is no address to sync again.
    actions = [e["action_id"] for e in block(connected, "calendar_buttons")["elements"]]
    assert ids.SYNC_ACTION not in actions
    [feed] = feeds(billbot)
    assert feed.source == "file" and feed.url is None
    assert len(calendar_sessions(billbot, elodie)) == 2
    # A newer export, given in the connected view, is read on Save: the sessions follow it.
    assert block(connected, ids.FILE)["element"]["type"] == "file_input"
    newer = calendar(
        event("u1", start=days_from_now(-1, 10), summary="Séance Élodie Lefèvre"),
        event("u2", start=days_from_now(3, 10), summary="Séance Élodie Lefèvre"),
        event("u3", start=days_from_now(5, 10), summary="Séance Élodie Lefèvre"),
    )
    again = billbot.slack.user_upload(TEAM_ID, ADMIN, "Export.ics", newer)
    answer = submit(billbot, connected, form(files=[again]) | {ids.URL: {}})
    assert answer["response_action"] == "update" and answer["view"]["callback_id"] == ids.READING_CALLBACK
    updated = wait_view(billbot, view["id"], ids.CONNECTED_CALLBACK, "3 sessions imported")
    assert "1 new event" in text_of(updated)
    assert len(calendar_sessions(billbot, elodie)) == 3


def test_an_uploaded_file_that_is_no_calendar_brings_the_form_back(billbot: Billbot) -> None:
    uploaded = billbot.slack.user_upload(TEAM_ID, ADMIN, "agenda.ics", fixture("malformed.ics"))
    view = open_calendar(billbot, ADMIN, ids.CONNECT_CALLBACK)
    submit(billbot, view, form(files=[uploaded], url=""))
    back = wait_view(billbot, view["id"], ids.CONNECT_CALLBACK, needle=":warning:")
    order = [b.get("block_id") for b in back["blocks"]]
    assert order.index(ids.PROBLEM) == order.index(ids.FILE) + 1  # under the file field this time
    assert t("en", "calendar.error.malformed") in text_of(back)
    nothing_saved(billbot)


def test_a_file_whose_address_is_not_slacks_is_never_fetched_with_the_token(billbot: Billbot) -> None:
    uploaded = billbot.slack.user_upload(TEAM_ID, ADMIN, "agenda.ics", calendar())
    uploaded["url_private_download"] = "https://evil.example.com/steal-the-token.ics"
    view = open_calendar(billbot, ADMIN, ids.CONNECT_CALLBACK)
    submit(billbot, view, form(files=[uploaded], url=""))
    back = wait_view(billbot, view["id"], ids.CONNECT_CALLBACK, needle=":warning:")
    assert t("en", "calendar.connect.error.file_unreadable") in text_of(back)
    nothing_saved(billbot)


# -- in French ----------------------------------------------------------------------------------------------


def test_in_french_the_form_its_errors_and_the_connected_view(billbot: Billbot, ics_server: IcsServer) -> None:
    add_client(billbot, "Élodie Lefèvre")
    view = open_calendar(billbot, FRENCH_USER, ids.CONNECT_CALLBACK)
    assert view["title"]["text"] == "Agenda"
    assert view["close"]["text"] == "Fermer"
    assert "Adresse secrète au format iCal" in block(view, ids.URL)["hint"]["text"]
    refused = submit(billbot, view, form(url="ftp://agenda.example.com/a.ics"), user=FRENCH_USER)
    assert refused["errors"][ids.URL].startswith("L'adresse de l'agenda doit commencer par https://")
    submit(billbot, view, form(url=ics_server.url("/missing")), user=FRENCH_USER)
    back = wait_view(billbot, view["id"], ids.CONNECT_CALLBACK, needle=":warning:")
    assert t("fr", "calendar.error.not_found") in text_of(back)
    submit(billbot, back, form(url=practice_feed(ics_server, "claire")), user=FRENCH_USER)
    connected = wait_view(billbot, view["id"], ids.CONNECTED_CALLBACK)
    text = text_of(connected)
    assert "Votre agenda est connecté." in text
    assert "2 séances importées" in text and "1 rendez-vous à classer" in text
    assert "À classer (1)" in text and "Synchroniser" in text
    assert connected["submit"]["text"] == "Enregistrer"


def test_a_member_connects_their_own_calendar_and_sees_no_one_elses(billbot: Billbot, ics_server: IcsServer) -> None:
    add_client(billbot, "Élodie Lefèvre")
    connect(billbot, practice_feed(ics_server))
    # The member who is no admin opens the command: their own (empty) form, not the admin's calendar.
    theirs = open_calendar(billbot, MEMBER, ids.CONNECT_CALLBACK)
    assert "127.0.0.1" not in text_of(theirs)
    connected = connect(billbot, ics_server.set_feed("mark", calendar(event("m1", start=days_from_now(1)))), MEMBER)
    assert "0 sessions imported" in text_of(connected)
    assert {f.user_id for f in feeds(billbot)} == {ADMIN, MEMBER}
    with billbot.app.services.db.session() as session:
        assert session.get(BillingSettings, TEAM_ID) is None  # no billing admin set-up needed
    assert {a.practitioner_id for a in calendar_sessions(billbot)} == {ADMIN}
