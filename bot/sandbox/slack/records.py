"""What the stand-in keeps of the app's calls: messages, files and the calls themselves."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Edit:
    """A message as it was before a ``chat.update`` replaced it."""

    text: str | None
    blocks: list[dict[str, Any]] | None
    attachments: list[dict[str, Any]] | None
    edited_at: float


@dataclass
class Message:
    channel: str
    ts: str
    user: str
    text: str | None
    blocks: list[dict[str, Any]] | None = None
    attachments: list[dict[str, Any]] | None = None
    thread_ts: str | None = None
    team_id: str = ""
    bot_id: str = ""
    app_id: str = ""
    metadata: dict[str, Any] | None = None
    reply_broadcast: bool = False
    files: list[str] = field(default_factory=list)
    # Oldest first: each entry is the content a chat.update replaced.
    edits: list[Edit] = field(default_factory=list)
    reactions: dict[str, list[str]] = field(default_factory=dict)
    deleted: bool = False
    ephemeral_to: str | None = None

    @property
    def edited(self) -> bool:
        return bool(self.edits)

    def payload(self) -> dict[str, Any]:
        """The message object as Slack returns it from chat.postMessage and puts in event payloads."""
        body: dict[str, Any] = {
            "type": "message",
            "user": self.user,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "text": self.text or "",
            "ts": self.ts,
            "team": self.team_id,
        }
        if self.blocks is not None:
            body["blocks"] = self.blocks
        if self.attachments is not None:
            body["attachments"] = self.attachments
        if self.thread_ts is not None:
            body["thread_ts"] = self.thread_ts
        if self.metadata is not None:
            body["metadata"] = self.metadata
        if self.files:
            body["files"] = [{"id": file_id} for file_id in self.files]
        if self.edits:
            body["edited"] = {"user": self.user, "ts": self.ts}
        if self.reactions:
            body["reactions"] = [
                {"name": name, "users": list(users), "count": len(users)} for name, users in self.reactions.items()
            ]
        return body


@dataclass
class File:
    id: str
    filename: str
    length: int
    user: str
    team_id: str
    created: float
    title: str | None = None
    alt_txt: str | None = None
    snippet_type: str | None = None
    data: bytes | None = None
    channels: list[str] = field(default_factory=list)
    initial_comment: str | None = None
    thread_ts: str | None = None
    completed: bool = False

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else 0


@dataclass(frozen=True)
class Call:
    """One Web API call as the stand-in received and answered it."""

    method: str
    args: dict[str, Any]
    token: str | None
    team_id: str | None
    ok: bool
    error: str | None
    time: float
    status: int = 200
    # Kept as the JSON text that went over the wire: copying nested bodies on the hot path costs more
    # than the rest of a call, and a fresh decode per read keeps the record immune to later edits.
    response_json: str = field(default="{}", compare=False, repr=False)

    @property
    def response(self) -> dict[str, Any]:
        """The JSON body the stand-in answered with."""
        return json.loads(self.response_json)
