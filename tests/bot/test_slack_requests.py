"""What the app does with requests that are not what Slack sends: refused, with nothing written or called."""

from __future__ import annotations

import json
import time

import pytest
from sqlmodel import Session, select

from bot.models import HandledRequest, SlackUser, Workspace
from tests.conftest import ADMIN, Billbot


def _nothing_happened(billbot: Billbot) -> None:
    time.sleep(0.2)  # work after an ack would have started by now
    # auth.test is Bolt learning who its own token is (once per process): a read, with no effect in Slack.
    calls = [c.method for c in billbot.slack.calls(team_id=billbot.workspace.team_id) if c.method != "auth.test"]
    assert calls == []
    with Session(billbot.app.services.db.engine) as session:
        for table in (Workspace, SlackUser, HandledRequest):
            assert session.exec(select(table)).all() == []


def test_unsigned_request_is_refused(billbot: Billbot) -> None:
    response = billbot.requests.post(
        b"command=%2Fbilling&user_id=U0ADMIN", "application/x-www-form-urlencoded", signed=False
    )
    assert response.status_code == 401
    _nothing_happened(billbot)


def test_wrongly_signed_request_is_refused(billbot: Billbot) -> None:
    response = billbot.requests.post(
        b"command=%2Fbilling&user_id=U0ADMIN", "application/x-www-form-urlencoded", secret="not-the-secret"
    )
    assert response.status_code == 401
    _nothing_happened(billbot)


def test_stale_signature_is_refused(billbot: Billbot) -> None:
    six_minutes_ago = int(time.time()) - 6 * 60
    response = billbot.requests.post(
        b"command=%2Fbilling&user_id=U0ADMIN", "application/x-www-form-urlencoded", timestamp=six_minutes_ago
    )
    assert response.status_code == 401
    _nothing_happened(billbot)


def test_signature_over_another_body_is_refused(billbot: Billbot) -> None:
    """A signature replayed onto a tampered body does not pass."""
    requests = billbot.requests
    ts = int(time.time())
    from tests.harness.slack_requests import sign

    signature = sign(requests.signing_secret, ts, b"command=%2Fbilling&text=")
    response = requests.http.post(
        f"{requests.app_url}/slack/events",
        content=b"command=%2Fbilling&text=setup",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": signature,
        },
    )
    assert response.status_code == 401
    _nothing_happened(billbot)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"payload=%7Bbroken", "application/x-www-form-urlencoded"),
        (b"[1, 2, 3]", "application/json"),
        (b"\xff\xfe\x00garbage", "application/octet-stream"),
    ],
)
def test_malformed_body_is_a_client_error_and_the_app_keeps_serving(
    billbot: Billbot, body: bytes, content_type: str
) -> None:
    response = billbot.requests.post(body, content_type)
    assert 400 <= response.status_code < 500
    _nothing_happened(billbot)
    assert billbot.requests.http.get(f"{billbot.app.url}/healthz").status_code == 200


def test_unknown_payload_type_is_a_client_error(billbot: Billbot) -> None:
    response = billbot.requests.interact(
        {"type": "mystery_payload", "team": {"id": billbot.workspace.team_id}, "user": {"id": ADMIN}}
    )
    assert response.status_code == 404
    _nothing_happened(billbot)


def test_unknown_command_is_answered_with_the_commands_and_nothing_else(billbot: Billbot) -> None:
    # Not a 404 (issue 20: Slack shows "failed with the error http_404"): the commands Billbot has, privately.
    response = billbot.requests.command("/not-ours", user=ADMIN)
    assert response.status_code == 200
    [answer] = billbot.slack.wait_for(lambda: billbot.workspace.ephemeral("C_GENERAL", ADMIN))
    assert "`/not-ours` is not a Billbot command" in answer.text
    assert billbot.slack.calls("views.open") == [] and billbot.slack.calls("chat.postMessage") == []


def test_oversized_body_is_refused(billbot: Billbot) -> None:
    body = json.dumps({"type": "event_callback", "padding": "x" * (1024 * 1024)}).encode()
    response = billbot.requests.post(body, "application/json")
    assert response.status_code == 413
    _nothing_happened(billbot)
