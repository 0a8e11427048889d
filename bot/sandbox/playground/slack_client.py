"""What Slack's own client and servers do for a member in the playground: the requests Slack sends the app.

Each method builds the request Slack would send (a form-encoded slash command, a ``payload=`` interaction,
a JSON event), signs it with the signing secret as Slack does (``v0:timestamp:body``, HMAC-SHA256), posts
it to the app's ``/slack/events``, and then does what Slack does with the answer: a command's body becomes
an ephemeral message, a ``view_submission`` answer updates, pushes, clears or closes the modal stack kept
by the Slack stand-in, a ``block_suggestion`` answer becomes the options shown. The app is never bypassed.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from bot.sandbox.slack import SlackStandIn, Workspace, check_view
from bot.sandbox.slack.methods import Context, build_view
from bot.sandbox.slack.records import Message

API_APP_ID = "A0BILLBOT"
VERIFICATION_TOKEN = "playground-verification-token"
# Slack gives up on an app that has not answered within 3 seconds; the playground is more patient, so a
# slow first request (imports, a cold database) still shows what the app answered.
APP_TIMEOUT_SECONDS = 10.0


def sign(secret: str, timestamp: int, body: bytes) -> str:
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class Outcome:
    """What the page is told after a request: the app's HTTP status and anything to show at once."""

    status: int
    errors: dict[str, str] = field(default_factory=dict)
    options: list[dict[str, Any]] | None = None
    option_groups: list[dict[str, Any]] | None = None
    problem: str | None = None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": self.status, "errors": self.errors}
        if self.options is not None:
            body["options"] = self.options
        if self.option_groups is not None:
            body["option_groups"] = self.option_groups
        if self.problem:
            body["problem"] = self.problem
        return body


class SlackClient:
    """One workspace's members acting in the page, as Slack relays them to the app."""

    def __init__(self, app_url: str, signing_secret: str, slack: SlackStandIn, team_id: str) -> None:
        self.events_url = app_url.rstrip("/") + "/slack/events"
        self.signing_secret = signing_secret
        self.slack = slack
        self.team_id = team_id
        self.http = httpx.Client(timeout=APP_TIMEOUT_SECONDS)
        self._event_seq = 0

    @property
    def workspace(self) -> Workspace:
        return self.slack.workspace(self.team_id)

    def close(self) -> None:
        self.http.close()

    # -- the wire ------------------------------------------------------------------------------------------

    def post(self, body: bytes, content_type: str) -> httpx.Response:
        timestamp = int(time.time())
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": sign(self.signing_secret, timestamp, body),
        }
        return self.http.post(self.events_url, content=body, headers=headers)

    def interact(self, payload: dict[str, Any]) -> httpx.Response:
        return self.post(urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded")

    def _user(self, user_id: str) -> dict[str, Any]:
        user = self.workspace.users.get(user_id, {})
        return {"id": user_id, "username": user.get("name", ""), "name": user.get("name", ""), "team_id": self.team_id}

    def _team(self) -> dict[str, Any]:
        return {"id": self.team_id, "domain": self.workspace.domain}

    def _check_user(self, user_id: str) -> None:
        if user_id not in self.workspace.users or self.workspace.users[user_id].get("is_bot"):
            raise ValueError(f"no member {user_id!r} in the playground workspace")

    # -- slash commands and messages -----------------------------------------------------------------------

    def command(self, user_id: str, channel_id: str, command: str, text: str) -> Outcome:
        """``/command text`` typed in ``channel_id``: the form Slack posts, then its answer shown ephemerally."""
        self._check_user(user_id)
        channel = self.workspace.resolve_channel(channel_id)
        if channel is None:
            raise ValueError(f"no channel {channel_id!r}")
        form = {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "team_domain": self.workspace.domain,
            "channel_id": channel.id,
            "channel_name": "directmessage" if channel.is_im else channel.name,
            "user_id": user_id,
            "user_name": self.workspace.users[user_id]["name"],
            "command": command,
            "text": text,
            "api_app_id": API_APP_ID,
            "is_enterprise_install": "false",
            "response_url": self.slack.issue_response_url(self.team_id, channel.id, user_id),
            "trigger_id": self.slack.issue_trigger_id(self.team_id, user_id),
        }
        try:
            response = self.post(urlencode(form).encode(), "application/x-www-form-urlencoded")
        except httpx.HTTPError as exc:
            return self._command_failed(user_id, channel.id, command, f"{exc.__class__.__name__}")
        if response.status_code != 200:
            return self._command_failed(user_id, channel.id, command, f"http_{response.status_code}")
        self._show_command_answer(user_id, channel.id, response)
        return Outcome(response.status_code)

    def shortcut(self, user_id: str, callback_id: str) -> Outcome:
        """A global shortcut chosen from the composer's ⚡ menu: the payload Slack posts (no channel)."""
        self._check_user(user_id)
        payload = {
            "type": "shortcut",
            "token": VERIFICATION_TOKEN,
            "callback_id": callback_id,
            "team": self._team(),
            "user": self._user(user_id),
            "api_app_id": API_APP_ID,
            "is_enterprise_install": False,
            "trigger_id": self.slack.issue_trigger_id(self.team_id, user_id),
            "action_ts": f"{time.time():.6f}",
        }
        try:
            response = self.interact(payload)
        except httpx.HTTPError as exc:
            return Outcome(502, problem=exc.__class__.__name__)
        status = response.status_code
        return Outcome(status, problem=None if status == 200 else f"http_{status}")

    def _show_command_answer(self, user_id: str, channel_id: str, response: httpx.Response) -> None:
        """Slack shows a non-empty command response body to the member, or in the channel if in_channel."""
        if not response.content.strip():
            return
        text: str | None
        blocks: list[dict[str, Any]] | None = None
        in_channel = False
        if response.headers.get("content-type", "").startswith("application/json"):
            body = response.json()
            if not isinstance(body, dict):
                return
            text, blocks = body.get("text"), body.get("blocks")
            in_channel = body.get("response_type") == "in_channel"
        else:
            text = response.text
        ws = self.workspace
        message = Message(
            channel=channel_id,
            ts=ws.next_ts(),
            user=ws.bot_user_id,
            text=text,
            blocks=blocks,
            team_id=ws.team_id,
            bot_id=ws.bot_id,
            app_id=ws.app_id,
        )
        if in_channel:
            ws.store_message(message)
        else:
            message.ephemeral_to = user_id
            ws.store_ephemeral(message)

    def _command_failed(self, user_id: str, channel_id: str, command: str, error: str) -> Outcome:
        # Slack's own wording when an app does not answer a command properly, shown by Slackbot.
        ws = self.workspace
        ws.store_ephemeral(
            Message(
                channel=channel_id,
                ts=ws.next_ts(),
                user="USLACKBOT",
                team_id=ws.team_id,
                text=f'{command} failed with the error "{error}"',
                ephemeral_to=user_id,
            )
        )
        return Outcome(502, problem=error)

    def message(self, user_id: str, channel_id: str, text: str, thread_ts: str | None = None) -> Outcome:
        """A member posts ``text``: it appears in the channel, and the app gets the ``message`` event Slack
        sends to apps subscribed to the channel (and ``app_mention`` when it names the bot)."""
        self._check_user(user_id)
        ws = self.workspace
        channel = ws.resolve_channel(channel_id)
        if channel is None:
            raise ValueError(f"no channel {channel_id!r}")
        text = text.replace("@billbot", f"<@{ws.bot_user_id}>")
        message = Message(
            channel=channel.id,
            ts=ws.next_ts(),
            user=user_id,
            text=text,
            team_id=ws.team_id,
            thread_ts=thread_ts or None,
        )
        ws.store_message(message)
        event: dict[str, Any] = {
            "type": "message",
            "channel": channel.id,
            "user": user_id,
            "text": text,
            "ts": message.ts,
            "team": self.team_id,
            "channel_type": "im" if channel.is_im else ("group" if channel.is_private else "channel"),
            "blocks": [
                {
                    "type": "rich_text",
                    "block_id": "pg",
                    "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
                }
            ],
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        statuses = []
        if channel.is_im or ws.bot_user_id in channel.members:
            statuses.append(self.event(event).status_code)
        if f"<@{ws.bot_user_id}>" in text and not channel.is_im:
            mention = {k: v for k, v in event.items() if k != "channel_type"} | {"type": "app_mention"}
            statuses.append(self.event(mention).status_code)
        return Outcome(max(statuses, default=200))

    def event(self, event: dict[str, Any]) -> httpx.Response:
        self._event_seq += 1
        envelope = {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "api_app_id": API_APP_ID,
            "event": {"event_ts": f"{time.time():.6f}", **event},
            "type": "event_callback",
            "event_id": f"EvPG{int(time.time())}{self._event_seq:06d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": self.team_id, "user_id": self.workspace.bot_user_id, "is_bot": True}],
            "is_ext_shared_channel": False,
        }
        return self.post(json.dumps(envelope).encode(), "application/json")

    def open_home(self, user_id: str) -> Outcome:
        """The member opens the app's Home tab: ``app_home_opened``, with the view already published if any."""
        self._check_user(user_id)
        ws = self.workspace
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": ws.im_channel(user_id).id,
            "tab": "home",
        }
        home = ws.home(user_id)
        if home is not None:
            event["view"] = home
        return Outcome(self.event(event).status_code)

    # -- interactivity ---------------------------------------------------------------------------------------

    def _base(self, kind: str, user_id: str) -> dict[str, Any]:
        return {
            "type": kind,
            "user": self._user(user_id),
            "api_app_id": API_APP_ID,
            "token": VERIFICATION_TOKEN,
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _view_with_state(self, view_id: str, values: dict[str, Any] | None) -> dict[str, Any]:
        ws = self.workspace
        if values is not None:
            ws.set_view_state(view_id, values)
        return ws.view(view_id)

    def action(
        self,
        user_id: str,
        action: dict[str, Any],
        *,
        view_id: str | None = None,
        channel_id: str | None = None,
        message_ts: str | None = None,
        values: dict[str, Any] | None = None,
    ) -> Outcome:
        """A click or choice on an interactive element, in a modal or home tab (``view_id``) or a message."""
        self._check_user(user_id)
        payload = self._base("block_actions", user_id)
        payload["trigger_id"] = self.slack.issue_trigger_id(self.team_id, user_id)
        payload["actions"] = [{**action, "action_ts": f"{time.time():.6f}"}]
        ws = self.workspace
        if view_id is not None:
            view = self._view_with_state(view_id, values)
            payload["container"] = {"type": "view", "view_id": view_id}
            payload["view"] = view
        elif channel_id is not None and message_ts is not None:
            channel = ws.resolve_channel(channel_id)
            if channel is None:
                raise ValueError(f"no channel {channel_id!r}")
            found = ws.find_message(channel.id, message_ts)
            ephemeral = found is None
            if found is None:
                found = next((m for m in ws.ephemeral(channel.id, user_id) if m.ts == message_ts), None)
            if found is None:
                raise ValueError(f"no message {message_ts!r} in {channel_id!r}")
            payload["container"] = {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel.id,
                "is_ephemeral": ephemeral,
            }
            payload["channel"] = {"id": channel.id, "name": "directmessage" if channel.is_im else channel.name}
            if not ephemeral:
                # Slack leaves the message out of payloads from ephemeral messages.
                payload["message"] = found.payload()
            payload["state"] = {"values": copy.deepcopy(values or {})}
            payload["response_url"] = self.slack.issue_response_url(
                self.team_id, channel.id, user_id, original_ts=message_ts
            )
        else:
            raise ValueError("an action comes from a view or a message")
        return Outcome(self._status(lambda: self.interact(payload)))

    def suggest(
        self,
        user_id: str,
        action_id: str,
        block_id: str,
        value: str,
        *,
        view_id: str | None = None,
        values: dict[str, Any] | None = None,
    ) -> Outcome:
        """Typing in an external select: ``block_suggestion``, whose answer lists the options to show."""
        self._check_user(user_id)
        payload = self._base("block_suggestion", user_id)
        payload |= {"action_id": action_id, "block_id": block_id, "value": value, "action_ts": f"{time.time():.6f}"}
        if view_id is not None:
            payload["container"] = {"type": "view", "view_id": view_id}
            payload["view"] = self._view_with_state(view_id, values)
        response = self.interact(payload)
        outcome = Outcome(response.status_code)
        body = _json_body(response)
        if isinstance(body, dict):
            outcome.options = body.get("options")
            outcome.option_groups = body.get("option_groups")
        if outcome.options is None and outcome.option_groups is None:
            outcome.options = []
        return outcome

    def submit(self, user_id: str, view_id: str, values: dict[str, Any]) -> Outcome:
        """The modal's submit button: ``view_submission``, then what Slack does with the app's answer."""
        self._check_user(user_id)
        ws = self.workspace
        view = self._view_with_state(view_id, values)
        payload = self._base("view_submission", user_id)
        payload |= {"trigger_id": self.slack.issue_trigger_id(self.team_id, user_id), "view": view, "response_urls": []}
        try:
            response = self.interact(payload)
        except httpx.HTTPError as exc:
            return Outcome(504, problem=f"We had some trouble connecting ({exc.__class__.__name__}). Try again?")
        if response.status_code != 200:
            return Outcome(response.status_code, problem="We had some trouble connecting. Try again?")
        body = _json_body(response)
        action = body.get("response_action") if isinstance(body, dict) else None
        with self.slack.holding_state():
            if action == "errors":
                errors = body.get("errors") if isinstance(body.get("errors"), dict) else {}
                return Outcome(200, errors={str(k): str(v) for k, v in errors.items()})
            if action == "clear":
                ws.close_views(user_id)
            elif action == "update":
                problem = self._replace_top(user_id, view_id, body.get("view"))
                if problem:
                    return Outcome(200, problem=problem)
            elif action == "push":
                problem = self._push(user_id, body.get("view"))
                if problem:
                    return Outcome(200, problem=problem)
            else:
                self._pop(user_id, view_id)
        return Outcome(200)

    def close_view(self, user_id: str, view_id: str, *, all_views: bool = False) -> Outcome:
        """ "Close"/"Back" (the top view goes) or the × (every view goes); ``view_closed`` if the view asked."""
        self._check_user(user_id)
        ws = self.workspace
        view = ws.view(view_id)
        status = 200
        if view.get("notify_on_close"):
            payload = self._base("view_closed", user_id)
            payload |= {"view": view, "is_cleared": all_views}
            status = self._status(lambda: self.interact(payload))
        if all_views:
            ws.close_views(user_id)
        else:
            self._pop(user_id, view_id)
        return Outcome(status)

    # -- Slack's side of the modal stack ----------------------------------------------------------------------

    def _pop(self, user_id: str, view_id: str) -> None:
        stack = self.workspace.views(user_id)
        if stack and stack[-1]["id"] == view_id:
            self.workspace.pop_view(user_id)

    def _context(self, user_id: str) -> Context:
        ws = self.workspace
        return Context(self.slack, ws, {}, ws.bot_token, user_id)

    def _definition_problem(self, definition: Any) -> str | None:
        if not isinstance(definition, dict) or definition.get("type") != "modal":
            return "The app answered with a view that is not a modal."
        problems = check_view(definition)
        if problems:
            return "Slack refused the app's view: " + "; ".join(str(p) for p in problems[:3])
        return None

    def _replace_top(self, user_id: str, view_id: str, definition: Any) -> str | None:
        problem = self._definition_problem(definition)
        if problem:
            return problem
        ws = self.workspace
        current = ws.live_view(view_id)
        if current is None:
            return "The view is no longer open."
        view = build_view(
            self._context(user_id),
            definition,
            view_id=current["id"],
            root_view_id=current["root_view_id"],
            previous_view_id=current["previous_view_id"],
            state=current["state"],
        )
        ws.replace_view(current, view)
        return None

    def _push(self, user_id: str, definition: Any) -> str | None:
        problem = self._definition_problem(definition)
        if problem:
            return problem
        ws = self.workspace
        stack = ws.stack(user_id)
        if len(stack) >= 3:
            return "push_limit_reached"
        view = build_view(
            self._context(user_id),
            definition,
            view_id=ws.next_view_id(),
            root_view_id=stack[0]["id"] if stack else None,
            previous_view_id=stack[-1]["id"] if stack else None,
        )
        ws.set_stack(user_id, [*stack, view])
        return None

    @staticmethod
    def _status(send: Any) -> int:
        try:
            return int(send().status_code)
        except httpx.HTTPError:
            return 504


def _json_body(response: httpx.Response) -> Any:
    if not response.content.strip():
        return None
    try:
        return response.json()
    except ValueError:
        return None
