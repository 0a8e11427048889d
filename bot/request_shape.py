"""The fields Slack always sends with each kind of request, checked once before any listener reads them.

A signed request missing one of them (or carrying it with another JSON type) is not one Slack sends: it is
refused with a 400 before its ack, so nothing is queued and no listener has to guard every key it reads.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

_Field = tuple[tuple[str, ...], type | tuple[type, ...]]

# Interactive payloads: who, where from, and each kind's own parts.
_WHO: list[_Field] = [(("team", "id"), str), (("user", "id"), str)]
_INTERACTIVE: dict[str, list[_Field]] = {
    "block_actions": [*_WHO, (("trigger_id",), str), (("actions",), list)],
    "view_submission": [*_WHO, (("trigger_id",), str), (("view", "id"), str), (("view", "state"), dict)],
    "view_closed": [*_WHO, (("view", "id"), str)],
    "block_suggestion": [*_WHO, (("action_id",), str), (("value",), str)],
    "shortcut": [*_WHO, (("trigger_id",), str), (("callback_id",), str)],
    "message_action": [*_WHO, (("trigger_id",), str), (("callback_id",), str), (("channel", "id"), str)],
}
# Keys whose type never varies when Slack sends them at all.
_OPTIONAL: dict[str, type | tuple[type, ...]] = {
    "view": dict,
    "container": dict,
    "message": dict,
    "channel": dict,
    "state": dict,
    "response_url": str,
    "response_urls": list,
    "actions": list,
}
_COMMAND: list[_Field] = [
    ((name,), str) for name in ("command", "text", "team_id", "user_id", "channel_id", "trigger_id", "response_url")
]
_EVENTS: dict[str, list[_Field]] = {
    "app_home_opened": [(("user",), str)],
    "app_mention": [(("user",), str), (("channel",), str), (("ts",), str), (("text",), str)],
    "message": [(("channel",), str), (("ts",), str)],
}


def _get(body: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(body, dict):
            return None
        body = body.get(key)
    return body


def _missing(body: dict[str, Any], fields: list[_Field]) -> str | None:
    for path, kind in fields:
        if not isinstance(_get(body, path), kind):
            return ".".join(path)
    return None


def shape_problem(body: dict[str, Any]) -> str | None:
    """The first field Slack would have sent and this request lacks (or has with another type), else None."""
    if "command" in body:
        problem = _missing(body, _COMMAND)
        if problem is None and not body["command"].startswith("/"):
            return "command"
        return problem
    kind = body.get("type")
    if kind in _INTERACTIVE:
        problem = _missing(body, _INTERACTIVE[kind])
        if problem is not None:
            return problem
        for key, expected in _OPTIONAL.items():
            if key in body and body[key] is not None and not isinstance(body[key], expected):
                return key
        container = body.get("container") or {}
        if container.get("type") == "message" and not isinstance(body.get("response_url"), str):
            return "response_url"  # Slack sends one with every click in a message
        actions = body.get("actions") or []
        if not all(isinstance(action, dict) and isinstance(action.get("action_id"), str) for action in actions):
            return "actions"
        return None
    if kind == "event_callback":
        problem = _missing(body, [(("team_id",), str), (("event", "type"), str)])
        if problem is None and "event_id" in body and not isinstance(body["event_id"], str):
            problem = "event_id"
        if problem is not None:
            return problem
        event = body["event"]
        return _missing(event, _EVENTS.get(event["type"], []))
    return None


class CheckShape(Middleware):
    """Refuses, with a 400, a signed request that lacks a field Slack always sends (see ``shape_problem``)."""

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Any) -> BoltResponse | None:
        problem = shape_problem(req.body) if isinstance(req.body, dict) else "body"
        if problem is not None:
            return BoltResponse(status=400, body=f"malformed request: {problem}")
        return next()
