"""response_url: where an app answers a slash command or a click after its ack, as Slack serves it.

Slack accepts up to five posts to one response_url within thirty minutes; an ephemeral answer (the
default) is shown only to the user who typed the command, in the channel where they typed it, whether
or not the bot is a member there. That is why apps answer commands here rather than by chat.postEphemeral.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import limits
from .records import Message

if TYPE_CHECKING:
    from .state import Workspace

MAX_USES = 5
LIFETIME_SECONDS = 30 * 60


@dataclass
class _Grant:
    workspace: Workspace
    channel: str
    user: str
    issued: float
    # The message the click came from (block_actions), which replace_original/delete_original act on.
    original_ts: str | None = None
    uses: int = 0


class ResponseUrls:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._grants: dict[str, _Grant] = {}

    def issue(self, workspace: Workspace, channel: str, user: str, original_ts: str | None = None) -> str:
        key = secrets.token_urlsafe(12)
        with self._lock:
            self._grants[key] = _Grant(workspace, channel, user, time.monotonic(), original_ts)
        return key

    def clear(self) -> None:
        with self._lock:
            self._grants.clear()

    def post(self, key: str, body: bytes) -> tuple[int, str]:
        """(HTTP status, body) as Slack answers a post to a response_url."""
        with self._lock:
            grant = self._grants.get(key)
            if grant is None:
                return 404, "no_service"
            if time.monotonic() - grant.issued > LIFETIME_SECONDS:
                return 404, "expired_url"
            if grant.uses >= MAX_USES:
                return 404, "used_url"
            grant.uses += 1
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return 400, "invalid_payload"
        if not isinstance(payload, dict):
            return 400, "invalid_payload"
        ws = grant.workspace
        if payload.get("delete_original") and grant.original_ts:
            return (
                (200, "ok")
                if ws.edit_original(grant.channel, grant.user, grant.original_ts, None)
                else (404, "message_not_found")
            )
        text, blocks = payload.get("text"), payload.get("blocks")
        problems = limits.check_message(text, blocks, payload.get("attachments"))
        if problems:
            return 400, "invalid_blocks" if blocks else problems[0].error
        if payload.get("replace_original") and grant.original_ts:
            # The message the button was in changes in place (same ts), ephemeral or not.
            replaced = ws.edit_original(grant.channel, grant.user, grant.original_ts, (text, blocks))
            return (200, "ok") if replaced else (404, "message_not_found")
        message = Message(
            channel=grant.channel,
            ts=ws.next_ts(),
            user=ws.bot_user_id,
            text=text,
            blocks=blocks,
            team_id=ws.team_id,
            app_id=ws.app_id,
        )
        if payload.get("response_type") == "in_channel":
            ws.store_message(message)
        else:
            message.ephemeral_to = grant.user
            ws.store_ephemeral(message)
        return 200, "ok"
