"""A signed request without a field Slack always sends is refused with a 400 before its ack: no work queued."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlmodel import select

from bot.models import PendingWork
from bot.request_shape import shape_problem
from bot.sandbox.slack import SlackStandIn
from tests.conftest import ADMIN, SIGNING_SECRET, TEAM_ID, app_env
from tests.harness.running_app import RunningApp
from tests.harness.slack_requests import SlackRequests


def command(**changes: Any) -> dict[str, Any]:
    fields = {
        "command": "/invoice",
        "text": "list",
        "team_id": TEAM_ID,
        "user_id": ADMIN,
        "channel_id": "C_GENERAL",
        "trigger_id": "1.2.3",
        "response_url": "https://hooks.slack.com/commands/1",
    }
    return {k: v for k, v in (fields | changes).items() if v is not None}


def click(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": TEAM_ID},
        "user": {"id": ADMIN},
        "trigger_id": "1.2.3",
        "container": {"type": "message", "message_ts": "1.0", "channel_id": "C_GENERAL"},
        "channel": {"id": "C_GENERAL"},
        "response_url": "https://hooks.slack.com/actions/1",
        "actions": [{"action_id": "invoice_void", "value": "1"}],
    }
    return {k: v for k, v in (payload | changes).items() if v is not None}


def test_requests_as_slack_sends_them_pass() -> None:
    assert shape_problem(command()) is None
    assert shape_problem(click()) is None
    event = {"type": "event_callback", "team_id": TEAM_ID, "event": {"type": "app_home_opened", "user": ADMIN}}
    assert shape_problem(event) is None
    assert shape_problem({"type": "event_callback", "team_id": TEAM_ID, "event": {"type": "tokens_revoked"}}) is None


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (command(user_id=None), "user_id"),
        (command(response_url=None), "response_url"),
        (command(trigger_id=7), "trigger_id"),
        (command(command="-"), "command"),
        ({"type": "event_callback", "team_id": TEAM_ID, "event": None}, "event.type"),
        ({"type": "event_callback", "team_id": TEAM_ID, "event": [1, 2]}, "event.type"),
        (
            {"type": "event_callback", "team_id": TEAM_ID, "event_id": [-406], "event": {"type": "reaction_added"}},
            "event_id",
        ),
        (click(view=True), "view"),
        (click(user=None), "user.id"),
        (click(response_url=None), "response_url"),
        (click(actions=[{"value": "1"}]), "actions"),
        (click(actions="x"), "actions"),
        (
            {"type": "view_submission", "team": {"id": TEAM_ID}, "user": {"id": ADMIN}, "trigger_id": "1", "view": 1.5},
            "view.id",
        ),
        ({"type": "event_callback", "event": {"type": "app_home_opened", "user": ADMIN}}, "team_id"),
        ({"type": "event_callback", "team_id": TEAM_ID, "event": {"type": "app_home_opened"}}, "user"),
        ({"type": "event_callback", "team_id": TEAM_ID, "event": {"type": "app_mention", "user": ADMIN}}, "channel"),
    ],
)
def test_a_missing_or_mistyped_field_is_named(body: dict[str, Any], problem: str) -> None:
    assert shape_problem(body) == problem


def test_the_server_refuses_them_before_the_ack_and_queues_nothing(slack: SlackStandIn, database_url: str) -> None:
    slack.reset()
    app = RunningApp(app_env(slack, database_url)).start(worker=False)
    requests = SlackRequests(app.url, SIGNING_SECRET, slack, TEAM_ID)
    try:
        refused = [
            requests.post(urlencode(command(response_url=None)).encode(), "application/x-www-form-urlencoded"),
            requests.post(
                urlencode({"payload": json.dumps(click(view=True))}).encode(), "application/x-www-form-urlencoded"
            ),
            requests.post(
                json.dumps({"type": "event_callback", "team_id": TEAM_ID, "event": None}).encode(), "application/json"
            ),
            requests.post(urlencode(command(command="-")).encode(), "application/x-www-form-urlencoded"),
            requests.post(
                json.dumps(
                    {"type": "event_callback", "event_id": "Ev1", "event": {"type": "app_home_opened", "user": ADMIN}}
                ).encode(),
                "application/json",
            ),
        ]
        assert [r.status_code for r in refused] == [400] * 5
        assert requests.post(urlencode(command()).encode(), "application/x-www-form-urlencoded").status_code == 200
        with app.services.db.session() as session:
            assert [row.function for row in session.exec(select(PendingWork)).all()] == ["invoice_command"]
    finally:
        requests.close()
        app.stop()
