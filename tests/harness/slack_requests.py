"""Sends the app what Slack would send it: signed, over real HTTP, in Slack's three body formats.

The signature is computed here from Slack's published recipe (v0:timestamp:body, HMAC-SHA256 with the
signing secret), independently of slack_sdk's verifier, so the app's check is tested against the recipe.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx

from bot.sandbox.slack import SlackStandIn

_ids = itertools.count(1)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class SlackRequests:
    """One workspace's traffic to the app: slash commands, interactivity and events."""

    def __init__(self, app_url: str, signing_secret: str, slack: SlackStandIn, team_id: str) -> None:
        self.app_url = app_url.rstrip("/")
        self.signing_secret = signing_secret
        self.slack = slack
        self.team_id = team_id
        self.http = httpx.Client(timeout=10)

    def close(self) -> None:
        self.http.close()

    # -- the wire -----------------------------------------------------------------------------------------

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
        headers: dict[str, str] | None = None,
        signed: bool = True,
    ) -> httpx.Response:
        ts = int(time.time()) if timestamp is None else timestamp
        sent = {"Content-Type": content_type, "X-Slack-Request-Timestamp": str(ts)}
        if signed:
            sent["X-Slack-Signature"] = sign(secret or self.signing_secret, ts, body)
        sent.update(headers or {})
        return self.http.post(f"{self.app_url}/slack/events", content=body, headers=sent)

    # -- what Slack sends ---------------------------------------------------------------------------------

    def command(self, command: str, text: str = "", *, user: str, channel: str = "C_GENERAL") -> httpx.Response:
        form = {
            "token": "deprecated-verification-token",
            "team_id": self.team_id,
            "team_domain": "practice",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A_BILLBOT",
            "is_enterprise_install": "false",
            "response_url": self.slack.issue_response_url(self.team_id, channel, user),
            "trigger_id": self.slack.issue_trigger_id(self.team_id, user),
        }
        return self.post(urlencode(form).encode(), "application/x-www-form-urlencoded")

    def interact(self, payload: dict[str, Any]) -> httpx.Response:
        return self.post(urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded")

    def click(
        self,
        action_id: str,
        *,
        user: str,
        value: str | None = None,
        view: dict[str, Any] | None = None,
        channel: str | None = None,
        message_ts: str | None = None,
    ) -> httpx.Response:
        """A button click, in a modal or the App Home (``view``) or in a message (``channel``/``message_ts``)."""
        action: dict[str, Any] = {
            "type": "button",
            "action_id": action_id,
            "block_id": "b",
            "text": {"type": "plain_text", "text": action_id},
            "action_ts": f"{time.time():.6f}",
        }
        if value is not None:
            action["value"] = value
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": self.team_id, "domain": "practice"},
            "user": {"id": user, "team_id": self.team_id},
            "api_app_id": "A_BILLBOT",
            "trigger_id": self.slack.issue_trigger_id(self.team_id, user),
            "actions": [action],
        }
        if view is not None:
            payload["view"] = view
            payload["container"] = {"type": "view", "view_id": view.get("id", "V0")}
        if channel is not None:
            payload["channel"] = {"id": channel}
            payload["container"] = {"type": "message", "channel_id": channel, "message_ts": message_ts}
            payload["message"] = {"ts": message_ts}
            payload["response_url"] = self.slack.issue_response_url(self.team_id, channel, user, original_ts=message_ts)
        return self.interact(payload)

    def submit(self, view: dict[str, Any], values: dict[str, dict[str, Any]], *, user: str) -> httpx.Response:
        """The user presses the modal's submit button: a view_submission carrying what they entered.

        ``values`` is Slack's view.state.values: {block_id: {action_id: {"type": …, "value": …}}}.
        The app's answer (response_action errors/update/push/clear, or nothing) is the HTTP response body.
        """
        return self.interact(
            {
                "type": "view_submission",
                "team": {"id": self.team_id, "domain": "practice"},
                "user": {"id": user, "team_id": self.team_id},
                "api_app_id": "A_BILLBOT",
                "trigger_id": self.slack.issue_trigger_id(self.team_id, user),
                "view": {**view, "state": {"values": values}},
                "response_urls": [],
            }
        )

    def shortcut(self, callback_id: str, *, user: str) -> httpx.Response:
        return self.interact(
            {
                "type": "shortcut",
                "callback_id": callback_id,
                "team": {"id": self.team_id, "domain": "practice"},
                "user": {"id": user, "team_id": self.team_id},
                "api_app_id": "A_BILLBOT",
                "trigger_id": self.slack.issue_trigger_id(self.team_id, user),
                "action_ts": f"{time.time():.6f}",
            }
        )

    def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry_num: int | None = None
    ) -> httpx.Response:
        envelope = {
            "token": "deprecated-verification-token",
            "team_id": self.team_id,
            "api_app_id": "A_BILLBOT",
            "event": {"event_ts": f"{time.time():.6f}", **event},
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": self.team_id, "user_id": "UBOT", "is_bot": True}],
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post(json.dumps(envelope).encode(), "application/json", headers=headers)

    def suggest(self, action_id: str, block_id: str, value: str, *, view: dict[str, Any], user: str) -> httpx.Response:
        """The user types in an external select: Slack asks for its options (``block_suggestion``).

        The app's answer, ``{"options": [...]}`` or ``{"option_groups": [...]}``, is the HTTP response body.
        """
        return self.interact(
            {
                "type": "block_suggestion",
                "user": {"id": user, "team_id": self.team_id},
                "container": {"type": "view", "view_id": view.get("id", "V0")},
                "api_app_id": "A_BILLBOT",
                "token": "deprecated-verification-token",
                "action_id": action_id,
                "block_id": block_id,
                "value": value,
                "team": {"id": self.team_id, "domain": "practice"},
                "view": view,
                "action_ts": f"{time.time():.6f}",
            }
        )
