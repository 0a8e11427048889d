"""One Slack workspace as the stand-in holds it: people, conversations, and what the app put there.

Every read and write happens under the lock the owning ``SlackStandIn`` hands in, because the app's
Web API calls arrive on many server threads while the test reads from its own.
"""

from __future__ import annotations

import copy
import hashlib
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .records import Edit, File, Message


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    is_im: bool = False
    is_mpim: bool = False
    im_user: str | None = None
    members: set[str] = field(default_factory=set)
    declared_members: frozenset[str] = frozenset()
    created: int = 0

    def info(self, bot_user_id: str) -> dict[str, Any]:
        """The conversation object of conversations.info / conversations.open / conversations.join."""
        if self.is_im:
            return {
                "id": self.id,
                "created": self.created,
                "is_im": True,
                "is_org_shared": False,
                "user": self.im_user,
                "is_user_deleted": False,
                "priority": 0,
            }
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": not self.is_private and not self.is_mpim,
            "is_group": self.is_private and not self.is_mpim,
            "is_im": False,
            "is_mpim": self.is_mpim,
            "is_private": self.is_private or self.is_mpim,
            "is_archived": False,
            "is_general": False,
            "is_shared": False,
            "is_org_shared": False,
            "is_ext_shared": False,
            "is_member": bot_user_id in self.members,
            "created": self.created,
            "num_members": len(self.members),
        }


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-") or "workspace"


def _stable_id(prefix: str, *parts: str) -> str:
    """Slack-looking ids that stay the same for the same inputs across runs and resets."""
    digest = hashlib.sha1("\x1f".join(parts).encode()).hexdigest().upper()
    return prefix + digest[:10]


class Workspace:
    """A Slack team. Built through ``SlackStandIn.add_workspace``; tests read what the app did from it."""

    def __init__(
        self,
        *,
        lock: threading.RLock,
        team_id: str,
        team_name: str,
        bot_token: str,
        bot_user_id: str,
        locale: str,
        app_id: str,
        domain: str | None = None,
        scopes: tuple[str, ...] = (),
    ) -> None:
        self._lock = lock
        self.team_id = team_id
        self.team_name = team_name
        self.domain = domain or _slug(team_name)
        self.bot_token = bot_token
        self.bot_user_id = bot_user_id
        self.bot_id = _stable_id("B", team_id, bot_user_id)
        self.app_id = app_id
        self.locale = locale
        self.scopes = scopes
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, Channel] = {}
        self.usergroups: dict[str, dict[str, Any]] = {}
        self._last_ts_us = 0
        self._view_seq = 0
        self._file_seq = 0
        self._clear_activity()
        self.add_user(user_id=bot_user_id, name="billbot", is_bot=True, locale=locale)

    def _clear_activity(self) -> None:
        self._messages: dict[str, list[Message]] = {}
        self._by_ts: dict[tuple[str, str], Message] = {}
        self._ephemeral: list[Message] = []
        # Modal stacks, bottom to top, per user; Slack allows three views in a stack.
        self._stacks: dict[str, list[dict[str, Any]]] = {}
        self._homes: dict[str, dict[str, Any]] = {}
        # Every live view (modal or home) by id, for views.update and payload building.
        self._views: dict[str, dict[str, Any]] = {}
        self._view_user: dict[str, str] = {}
        self._external_ids: dict[str, str] = {}
        self._files: dict[str, File] = {}

    def reset(self) -> None:
        with self._lock:
            self._clear_activity()
            for channel in self.channels.values():
                if not channel.is_im and not channel.is_mpim:
                    channel.members = set(channel.declared_members)

    # ---- setup -----------------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        name: str,
        locale: str = "en-US",
        is_admin: bool = False,
        is_owner: bool = False,
        tz: str = "Europe/Paris",
        is_bot: bool = False,
        *,
        real_name: str | None = None,
        email: str | None = None,
        deleted: bool = False,
    ) -> dict[str, Any]:
        try:
            zone = ZoneInfo(tz)
            offset = datetime.now(zone).utcoffset()
            tz_offset = int(offset.total_seconds()) if offset is not None else 0
            tz_label = datetime.now(zone).tzname() or tz
        except ZoneInfoNotFoundError:
            tz_offset, tz_label = 0, tz
        real = real_name or name.title()
        profile: dict[str, Any] = {
            "real_name": real,
            "display_name": name,
            "real_name_normalized": real,
            "display_name_normalized": name,
            "team": self.team_id,
        }
        if email is not None:
            profile["email"] = email
        user = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": deleted,
            "real_name": real,
            "tz": tz,
            "tz_label": tz_label,
            "tz_offset": tz_offset,
            "profile": profile,
            "is_admin": is_admin,
            "is_owner": is_owner,
            "is_primary_owner": is_owner,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": int(time.time()),
            "locale": locale,
        }
        with self._lock:
            self.users[user_id] = user
        return user

    def add_channel(
        self,
        channel_id: str,
        name: str,
        members: list[str] | tuple[str, ...] = (),
        *,
        is_private: bool = False,
    ) -> Channel:
        """A public (or private) channel; the bot is in it only if its user id is among ``members``."""
        channel = Channel(
            id=channel_id,
            name=name.lstrip("#"),
            is_private=is_private,
            members=set(members),
            declared_members=frozenset(members),
            created=int(time.time()),
        )
        with self._lock:
            self.channels[channel_id] = channel
        return channel

    def add_usergroup(
        self, usergroup_id: str, handle: str, name: str | None = None, users: list[str] | tuple[str, ...] = ()
    ) -> dict[str, Any]:
        group = {
            "id": usergroup_id,
            "team_id": self.team_id,
            "is_usergroup": True,
            "name": name or handle,
            "handle": handle,
            "description": "",
            "is_external": False,
            "date_delete": 0,
            "users": list(users),
            "user_count": len(users),
        }
        with self._lock:
            self.usergroups[usergroup_id] = group
        return group

    # ---- conversations ---------------------------------------------------------------------

    def im_channel(self, user_id: str) -> Channel:
        """The bot's DM with a user, made on first use with an id that is stable for that user."""
        with self._lock:
            channel_id = _stable_id("D", self.team_id, user_id)
            channel = self.channels.get(channel_id)
            if channel is None:
                channel = Channel(
                    id=channel_id,
                    name=user_id,
                    is_im=True,
                    im_user=user_id,
                    members={user_id, self.bot_user_id},
                    created=int(time.time()),
                )
                self.channels[channel_id] = channel
            return channel

    def mpim_channel(self, user_ids: list[str]) -> Channel:
        with self._lock:
            members = sorted({*user_ids, self.bot_user_id})
            channel_id = _stable_id("G", self.team_id, *members)
            channel = self.channels.get(channel_id)
            if channel is None:
                channel = Channel(
                    id=channel_id,
                    name="mpdm-" + "--".join(self.users[u]["name"] for u in members if u in self.users),
                    is_mpim=True,
                    members=set(members),
                    created=int(time.time()),
                )
                self.channels[channel_id] = channel
            return channel

    def resolve_channel(self, ref: str) -> Channel | None:
        """A channel from an id, ``#name``/``name``, or a user id (the DM with that user), as Slack resolves them."""
        with self._lock:
            if ref in self.channels:
                return self.channels[ref]
            if ref in self.users and ref != self.bot_user_id:
                return self.im_channel(ref)
            name = ref.lstrip("#")
            for channel in self.channels.values():
                if not channel.is_im and channel.name == name:
                    return channel
            return None

    # ---- ids -------------------------------------------------------------------------------

    def next_ts(self) -> str:
        # Message timestamps double as ids in Slack, so they must be unique and increasing.
        with self._lock:
            now_us = int(time.time() * 1_000_000)
            self._last_ts_us = max(now_us, self._last_ts_us + 1)
            seconds, micros = divmod(self._last_ts_us, 1_000_000)
            return f"{seconds}.{micros:06d}"

    def next_view_id(self) -> str:
        with self._lock:
            self._view_seq += 1
            return f"V{self.team_id[-4:]}{self._view_seq:06d}"

    def next_file_id(self) -> str:
        with self._lock:
            self._file_seq += 1
            return f"F{self.team_id[-4:]}{self._file_seq:06d}"

    # ---- stores the methods write through ----------------------------------------------------

    def store_message(self, message: Message) -> None:
        with self._lock:
            self._messages.setdefault(message.channel, []).append(message)
            self._by_ts[(message.channel, message.ts)] = message

    def store_ephemeral(self, message: Message) -> None:
        with self._lock:
            self._ephemeral.append(message)

    def edit_original(
        self, channel: str, user: str, ts: str, content: tuple[str | None, list[dict[str, Any]] | None] | None
    ) -> bool:
        """A response_url's replace_original (``content``) or delete_original (None) on the message ``ts``:
        the user's own ephemeral message, else the channel's. False when there is no such message."""
        with self._lock:
            ephemeral = next(
                (m for m in self._ephemeral if m.channel == channel and m.ephemeral_to == user and m.ts == ts), None
            )
            message = ephemeral or self._by_ts.get((channel, ts))
            if message is None or message.deleted:
                return False
            if content is None:
                if ephemeral is not None:
                    self._ephemeral.remove(ephemeral)
                else:
                    message.deleted = True
                return True
            message.edits.append(Edit(message.text, message.blocks, message.attachments, time.time()))
            message.text, message.blocks = content
            return True

    def find_message(self, channel: str, ts: str) -> Message | None:
        with self._lock:
            message = self._by_ts.get((channel, ts))
            return None if message is None or message.deleted else message

    def live_view(self, view_id: str) -> dict[str, Any] | None:
        return self._views.get(view_id)

    def view_by_external_id(self, external_id: str) -> dict[str, Any] | None:
        view_id = self._external_ids.get(external_id)
        return self._views.get(view_id) if view_id else None

    def external_id_taken(self, external_id: str, by_view: str | None = None) -> bool:
        owner = self._external_ids.get(external_id)
        return owner is not None and owner != by_view

    def register_view(self, view: dict[str, Any], user_id: str) -> None:
        self._views[view["id"]] = view
        self._view_user[view["id"]] = user_id
        if view.get("external_id"):
            self._external_ids[view["external_id"]] = view["id"]

    def forget_view(self, view_id: str) -> None:
        view = self._views.pop(view_id, None)
        self._view_user.pop(view_id, None)
        if view and view.get("external_id") and self._external_ids.get(view["external_id"]) == view_id:
            del self._external_ids[view["external_id"]]

    def replace_view(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        """Put ``new`` wherever ``old`` is shown (modal stack slot or home tab)."""
        user_id = self._view_user[old["id"]]
        if old.get("external_id") and self._external_ids.get(old["external_id"]) == old["id"]:
            del self._external_ids[old["external_id"]]
        self.register_view(new, user_id)
        stack = self._stacks.get(user_id, [])
        for i, view in enumerate(stack):
            if view["id"] == old["id"]:
                stack[i] = new
        if self._homes.get(user_id, {}).get("id") == old["id"]:
            self._homes[user_id] = new

    def view_user(self, view_id: str) -> str | None:
        return self._view_user.get(view_id)

    def stack(self, user_id: str) -> list[dict[str, Any]]:
        return self._stacks.setdefault(user_id, [])

    def set_stack(self, user_id: str, views: list[dict[str, Any]]) -> None:
        for view in self._stacks.get(user_id, []):
            self.forget_view(view["id"])
        self._stacks[user_id] = []
        for view in views:
            self._stacks[user_id].append(view)
            self.register_view(view, user_id)

    def set_home(self, user_id: str, view: dict[str, Any]) -> None:
        old = self._homes.get(user_id)
        if old is not None:
            self.forget_view(old["id"])
        self._homes[user_id] = view
        self.register_view(view, user_id)

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        return self._homes.get(user_id)

    def store_file(self, file: File) -> None:
        with self._lock:
            self._files[file.id] = file

    def find_file(self, file_id: str) -> File | None:
        with self._lock:
            return self._files.get(file_id)

    # ---- what tests read -------------------------------------------------------------------

    def _channel_id(self, channel: str) -> str:
        found = self.resolve_channel(channel)
        return found.id if found is not None else channel

    def messages(self, channel: str, *, include_deleted: bool = False) -> list[Message]:
        """Top-level messages and thread replies in ``channel`` (id, name or user id), in post order."""
        with self._lock:
            found = self._messages.get(self._channel_id(channel), [])
            return [copy.deepcopy(m) for m in found if include_deleted or not m.deleted]

    def thread(self, channel: str, thread_ts: str) -> list[Message]:
        """The parent (if the app posted it) and its replies."""
        return [m for m in self.messages(channel) if m.ts == thread_ts or m.thread_ts == thread_ts]

    def ephemeral(self, channel: str, user: str) -> list[Message]:
        with self._lock:
            channel_id = self._channel_id(channel)
            return [copy.deepcopy(m) for m in self._ephemeral if m.channel == channel_id and m.ephemeral_to == user]

    def dm(self, user: str) -> list[Message]:
        """Messages in the bot's DM with ``user``."""
        return self.messages(self.im_channel(user).id)

    def views(self, user: str) -> list[dict[str, Any]]:
        """The user's open modal stack, bottom to top."""
        with self._lock:
            return copy.deepcopy(self._stacks.get(user, []))

    def home(self, user: str) -> dict[str, Any] | None:
        with self._lock:
            view = self._homes.get(user)
            return copy.deepcopy(view) if view is not None else None

    def view(self, view_id: str) -> dict[str, Any]:
        """The full view object as Slack puts it in ``view_submission``/``block_actions`` payloads."""
        with self._lock:
            view = self._views.get(view_id)
            if view is None:
                raise KeyError(f"no open view {view_id!r} in {self.team_id}")
            return copy.deepcopy(view)

    def message(self, channel: str, ts: str) -> Message:
        with self._lock:
            message = self._by_ts.get((self._channel_id(channel), ts))
            if message is None:
                raise KeyError(f"no message {ts!r} in {channel!r}")
            return copy.deepcopy(message)

    def files(self) -> list[File]:
        """Uploads completed through files.completeUploadExternal, bytes included."""
        with self._lock:
            return [copy.deepcopy(f) for f in self._files.values() if f.completed]

    # ---- what a test client does on the user's behalf ------------------------------------------

    def close_views(self, user: str) -> None:
        """The user closed the modal (or the app answered a submission with ``response_action: clear``)."""
        with self._lock:
            self.set_stack(user, [])

    def pop_view(self, user: str) -> dict[str, Any] | None:
        """The top modal went away (submitted without update, or "Back"); returns it."""
        with self._lock:
            stack = self._stacks.get(user, [])
            if not stack:
                return None
            view = stack.pop()
            self.forget_view(view["id"])
            return copy.deepcopy(view)

    def set_view_state(self, view_id: str, values: dict[str, Any]) -> None:
        """Record what the user typed/selected, so ``view(view_id)["state"]`` carries it into payloads."""
        with self._lock:
            view = self._views.get(view_id)
            if view is None:
                raise KeyError(f"no open view {view_id!r} in {self.team_id}")
            view["state"] = {"values": copy.deepcopy(values)}
