"""Trigger-bound work (opening a modal) runs at once; durable work still waits, written, for a worker.

A test-only flow: `/quick` opens a modal (``@trigger_bound``) and records something (durable), as the real
flows do; `/slow` holds every at-once thread past a trigger's life.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import select

from bot.models import PendingWork
from bot.sandbox.slack import SlackStandIn, Workspace
from bot.services import Services
from bot.slack_app import start_worker
from bot.work_queue import AT_ONCE_THREADS, trigger_bound
from tests.conftest import ADMIN, FRENCH_USER, SIGNING_SECRET, TEAM_ID, app_env
from tests.harness.running_app import RunningApp
from tests.harness.slack_requests import SlackRequests

EXPIRED_EN = "Slack took too long to open the form — type the command again."
EXPIRED_FR = "Slack a mis trop de temps à ouvrir le formulaire — retapez la commande."
release = threading.Event()


def quick_flow(app: App, _services: Services) -> None:
    def ack_now(ack: Any) -> None:
        ack()

    @trigger_bound
    def open_form(body: dict[str, Any], client: WebClient) -> None:
        view = {"type": "modal", "title": {"type": "plain_text", "text": "Quick"}, "blocks": []}
        try:
            client.views_open(trigger_id=body["trigger_id"], view=view)
        except SlackApiError as exc:  # as the real flows do: log and carry on
            print("views.open failed:", exc.response.get("error"))

    def record(body: dict[str, Any]) -> None:
        pass

    @trigger_bound
    def hold(body: dict[str, Any]) -> None:
        release.wait(10)

    app.command("/quick")(ack=ack_now, lazy=[open_form, record])
    app.command("/slow")(ack=ack_now, lazy=[hold])


@pytest.fixture
def quick(slack: SlackStandIn, workspace: Workspace, database_url: str) -> Iterator[tuple[RunningApp, SlackRequests]]:
    app = RunningApp(app_env(slack, database_url), flows=[quick_flow]).start(worker=False)
    requests = SlackRequests(app.url, SIGNING_SECRET, slack, TEAM_ID)
    try:
        yield app, requests
    finally:
        release.set()
        requests.close()
        app.stop()
        release.clear()


def functions_queued(app: RunningApp) -> list[str]:
    with app.services.db.session() as session:
        return [row.function for row in session.exec(select(PendingWork)).all()]


def test_trigger_bound_work_opens_the_modal_at_once_while_durable_work_waits_for_a_worker(
    quick: tuple[RunningApp, SlackRequests], slack: SlackStandIn
) -> None:
    app, requests = quick
    assert requests.command("/quick", user=ADMIN).status_code == 200
    # No worker runs, as after a crash: the modal opens all the same, within the trigger's life.
    [modal] = slack.wait_for(lambda: slack.workspace(TEAM_ID).views(ADMIN), timeout=2)
    assert modal["title"]["text"] == "Quick"
    assert functions_queued(app) == ["record"]  # the durable part is written, and only it


@pytest.mark.parametrize(("user", "text"), [(ADMIN, EXPIRED_EN), (FRENCH_USER, EXPIRED_FR)])
def test_an_expired_trigger_tells_the_person_in_their_language(
    quick: tuple[RunningApp, SlackRequests], slack: SlackStandIn, user: str, text: str
) -> None:
    _app, requests = quick
    slack.fail("views.open", "expired_trigger_id")  # Slack's answer to a trigger used too late
    assert requests.command("/quick", user=user).status_code == 200
    [told] = slack.wait_for(lambda: slack.workspace(TEAM_ID).ephemeral("C_GENERAL", user), timeout=3)
    assert told.text == text
    assert slack.workspace(TEAM_ID).views(user) == []


def test_trigger_bound_work_that_starts_after_the_trigger_life_only_tells_the_person(
    quick: tuple[RunningApp, SlackRequests], slack: SlackStandIn
) -> None:
    _app, requests = quick
    for _ in range(AT_ONCE_THREADS):  # every thread of the pool busy for longer than a trigger lives
        assert requests.command("/slow", user=ADMIN).status_code == 200
    assert requests.command("/quick", user=FRENCH_USER).status_code == 200
    time.sleep(3.2)
    release.set()
    [told] = slack.wait_for(lambda: slack.workspace(TEAM_ID).ephemeral("C_GENERAL", FRENCH_USER), timeout=3)
    assert told.text == EXPIRED_FR
    time.sleep(0.2)
    assert slack.calls("views.open") == []  # a dead trigger is not even tried


def test_trigger_bound_work_left_in_the_queue_is_not_replayed_late(
    quick: tuple[RunningApp, SlackRequests], slack: SlackStandIn
) -> None:
    """A row queued before trigger-bound work ran at once (a deploy's leftover) tells the person, opens nothing."""
    app, _requests = quick
    form = {"command": "/quick", "text": "", "team_id": TEAM_ID, "user_id": ADMIN, "channel_id": "C_GENERAL",
            "response_url": slack.issue_response_url(TEAM_ID, "C_GENERAL", ADMIN),
            "trigger_id": slack.issue_trigger_id(TEAM_ID, ADMIN)}  # fmt: skip
    headers = {
        "content-type": ["application/x-www-form-urlencoded"],
        "x-slack-request-timestamp": [str(int(time.time()) - 10)],
    }
    app.services.work.enqueue(TEAM_ID, "open_form", urlencode(form), headers)
    app.worker = start_worker(app.services, app.bolt_app)
    [told] = slack.wait_for(lambda: slack.workspace(TEAM_ID).ephemeral("C_GENERAL", ADMIN), timeout=3)
    assert told.text == EXPIRED_EN
    slack.wait_for(lambda: functions_queued(app) == [])
    assert slack.calls("views.open") == []
