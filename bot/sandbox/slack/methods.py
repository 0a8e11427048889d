"""The Web API methods the stand-in answers, with Slack's argument handling and error names.

Each handler takes a ``Context`` (the calling workspace and the decoded arguments) and returns the
body of a successful answer, or raises ``ApiError`` with the error Slack gives. Error names come from
Slack's method reference (docs.slack.dev/reference/methods/<method>, "Errors" tables); where a name
was only seen in real answers the place is cited beside it.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from . import limits
from .records import Edit, File, Message
from .state import Channel, Workspace


class StandIn(Protocol):
    """What the methods need of ``standin.SlackStandIn``, which runs them (so it is not imported here)."""

    @property
    def root_url(self) -> str: ...

    def upload_url(self, team_id: str, file_id: str) -> str: ...

    def exchange_trigger(self, team_id: str, trigger_id: Any) -> str: ...


class ApiError(Exception):
    """A refused call: ``{"ok": false, "error": error}`` plus whatever detail Slack adds."""

    def __init__(self, error: str, messages: list[str] | None = None, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages or []
        self.extra = extra

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error": self.error, **self.extra}
        if self.messages:
            body["response_metadata"] = {"messages": self.messages}
        return body


def problems_error(problems: list[limits.Problem]) -> ApiError:
    """Turn limit problems into the one error Slack answers with."""
    error = problems[0].error
    messages = [str(p) for p in problems if p.error == error]
    if error in ("invalid_blocks", "invalid_attachments"):
        # Slack lists block problems twice: bare under `errors`, prefixed under response_metadata
        # (see the invalid_blocks answer quoted in adobe/spacecat-api-service#176).
        return ApiError(error, messages, errors=[p.detail for p in problems if p.error == error])
    if error == "invalid_arguments":
        return ApiError(error, messages)
    return ApiError(error)


@dataclass
class Context:
    standin: StandIn
    workspace: Workspace
    args: dict[str, Any]
    token: str
    user_id: str  # who the token acts as: the bot user for bot tokens

    def get(self, name: str, default: Any = None) -> Any:
        value = self.args.get(name, default)
        return default if value is None else value

    def require(self, name: str) -> Any:
        value = self.args.get(name)
        if value is None or value == "":
            # Slack's wording for a missing argument, e.g. views.update without a view.
            raise ApiError("invalid_arguments", [f"[ERROR] missing required field: {name} [json-pointer:/{name}]"])
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.args.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("1", "true", "yes")

    def json(self, name: str, error: str = "invalid_arguments") -> Any:
        """An argument that is JSON: a string in form posts, already decoded in JSON posts."""
        value = self.args.get(name)
        if isinstance(value, str):
            if value == "":
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise ApiError(error, [f"[ERROR] invalid json [json-pointer:/{name}]"]) from None
        return value

    def integer(self, name: str, default: int) -> int:
        value = self.args.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ApiError("invalid_arguments", [f"[ERROR] must provide an integer [json-pointer:/{name}]"]) from None


Handler = Callable[[Context], dict[str, Any]]
METHODS: dict[str, Handler] = {}


def method(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        METHODS[name] = handler
        return handler

    return register


# ---- auth / team / users ---------------------------------------------------------------------


@method("auth.test")
def auth_test(ctx: Context) -> dict[str, Any]:
    ws = ctx.workspace
    user = ws.users.get(ctx.user_id, {})
    body: dict[str, Any] = {
        "url": f"https://{ws.domain}.slack.com/",
        "team": ws.team_name,
        "user": user.get("name", ""),
        "team_id": ws.team_id,
        "user_id": ctx.user_id,
        "is_enterprise_install": False,
    }
    if ctx.user_id == ws.bot_user_id:
        body["bot_id"] = ws.bot_id
    return body


@method("team.info")
def team_info(ctx: Context) -> dict[str, Any]:
    ws = ctx.workspace
    return {
        "team": {
            "id": ws.team_id,
            "name": ws.team_name,
            "url": f"https://{ws.domain}.slack.com/",
            "domain": ws.domain,
            "email_domain": "",
            "icon": {"image_default": True},
            "avatar_base_url": "https://ca.slack-edge.com/",
            "is_verified": False,
            "lob_sales_home_enabled": False,
        }
    }


def _user_object(ctx: Context, user_id: str, include_locale: bool) -> dict[str, Any]:
    user = dict(ctx.workspace.users[user_id])
    user["profile"] = dict(user["profile"])
    if not include_locale:
        # users.info only carries `locale` when asked with include_locale=true.
        user.pop("locale", None)
    return user


@method("users.info")
def users_info(ctx: Context) -> dict[str, Any]:
    user_id = ctx.require("user")
    if user_id not in ctx.workspace.users:
        raise ApiError("user_not_found")
    return {"user": _user_object(ctx, user_id, ctx.flag("include_locale"))}


def _cursor_page(ctx: Context, items: list[Any], kind: str) -> tuple[list[Any], str]:
    limit = ctx.integer("limit", 0) or 200
    cursor = ctx.get("cursor", "")
    start = 0
    if cursor:
        try:
            prefix, _, index = base64.b64decode(cursor).decode().partition(":")
            if prefix != kind:
                raise ValueError(cursor)
            start = int(index)
        except ValueError:
            raise ApiError("invalid_cursor") from None
    page = items[start : start + limit]
    end = start + len(page)
    next_cursor = base64.b64encode(f"{kind}:{end}".encode()).decode() if end < len(items) else ""
    return page, next_cursor


@method("users.list")
def users_list(ctx: Context) -> dict[str, Any]:
    ws = ctx.workspace
    ids = sorted(ws.users)
    page, next_cursor = _cursor_page(ctx, ids, "users")
    include_locale = ctx.flag("include_locale")
    return {
        "members": [_user_object(ctx, user_id, include_locale) for user_id in page],
        "cache_ts": int(time.time()),
        "response_metadata": {"next_cursor": next_cursor},
    }


@method("usergroups.list")
def usergroups_list(ctx: Context) -> dict[str, Any]:
    include_users = ctx.flag("include_users")
    groups = []
    for group in ctx.workspace.usergroups.values():
        item = dict(group)
        if not include_users:
            item.pop("users")
        groups.append(item)
    return {"usergroups": groups}


@method("usergroups.users.list")
def usergroups_users_list(ctx: Context) -> dict[str, Any]:
    group = ctx.workspace.usergroups.get(ctx.require("usergroup"))
    if group is None:
        raise ApiError("no_such_subteam")
    return {"users": list(group["users"])}


# ---- conversations ---------------------------------------------------------------------------


def _channel(ctx: Context, name: str = "channel") -> Channel:
    ref = ctx.get(name)
    if not ref:
        raise ApiError("channel_not_found")
    channel = ctx.workspace.resolve_channel(str(ref))
    if channel is None:
        raise ApiError("channel_not_found")
    if (channel.is_private or channel.is_mpim) and ctx.workspace.bot_user_id not in channel.members:
        # Private conversations the bot is not in are invisible to it.
        raise ApiError("channel_not_found")
    return channel


def _writable_channel(ctx: Context, name: str = "channel") -> Channel:
    channel = _channel(ctx, name)
    if not channel.is_im and ctx.workspace.bot_user_id not in channel.members:
        raise ApiError("not_in_channel")
    return channel


@method("conversations.open")
def conversations_open(ctx: Context) -> dict[str, Any]:
    ws = ctx.workspace
    if ctx.get("channel"):
        channel = _channel(ctx)
    else:
        users = [u for u in str(ctx.get("users", "")).split(",") if u]
        if not users:
            raise ApiError("users_list_not_supplied")
        for user_id in users:
            if user_id not in ws.users:
                raise ApiError("user_not_found")
        channel = ws.im_channel(users[0]) if len(users) == 1 else ws.mpim_channel(users)
    body: dict[str, Any] = {"channel": channel.info(ws.bot_user_id) if ctx.flag("return_im") else {"id": channel.id}}
    return body


@method("conversations.info")
def conversations_info(ctx: Context) -> dict[str, Any]:
    channel = _channel(ctx)
    return {"channel": channel.info(ctx.workspace.bot_user_id)}


@method("conversations.join")
def conversations_join(ctx: Context) -> dict[str, Any]:
    channel = _channel(ctx)
    if channel.is_im or channel.is_mpim or channel.is_private:
        raise ApiError("method_not_supported_for_channel_type")
    body: dict[str, Any] = {}
    if ctx.user_id in channel.members:
        body["warning"] = "already_in_channel"
        body["response_metadata"] = {"warnings": ["already_in_channel"]}
    channel.members.add(ctx.user_id)
    body["channel"] = channel.info(ctx.workspace.bot_user_id)
    return body


@method("conversations.history")
def conversations_history(ctx: Context) -> dict[str, Any]:
    """Top-level messages (and replies broadcast to the channel), newest first, between oldest and latest.

    A bot reads a public channel's history only as a member (``not_in_channel``); message metadata
    comes back only with include_all_metadata=true.
    """
    channel = _writable_channel(ctx)
    oldest, latest = float(ctx.get("oldest") or 0), float(ctx.get("latest") or time.time() + 1)
    inclusive = ctx.flag("inclusive")
    with_metadata = ctx.flag("include_all_metadata")
    found = []
    for message in reversed(ctx.workspace.messages(channel.id)):
        if message.thread_ts not in (None, message.ts) and not message.reply_broadcast:
            continue
        ts = float(message.ts)
        if oldest < ts < latest or (inclusive and ts in (oldest, latest)):
            body = message.payload()
            if not with_metadata:
                body.pop("metadata", None)
            found.append(body)
    page, next_cursor = _cursor_page(ctx, found, "history")
    return {"messages": page, "has_more": bool(next_cursor), "response_metadata": {"next_cursor": next_cursor}}


# ---- chat ------------------------------------------------------------------------------------


def _content(ctx: Context, *, require_content: bool = True) -> tuple[Any, Any, Any]:
    text = ctx.args.get("text")
    blocks = ctx.json("blocks", "invalid_blocks_format")
    attachments = ctx.json("attachments", "invalid_attachments")
    if blocks is not None and not isinstance(blocks, list):
        raise ApiError("invalid_blocks_format")
    problems = limits.check_message(text, blocks, attachments, require_content=require_content)
    if problems:
        raise problems_error(problems)
    return text, blocks, attachments


def _fill_ids(blocks: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """Give blocks and interactive elements the ids Slack generates when the app leaves them out.

    Payloads for block_actions and view state are keyed by these ids, so a faithful stand-in needs them.
    """
    if blocks is None:
        return None
    filled = json.loads(json.dumps(blocks))
    for block in filled:
        if isinstance(block, dict):
            block.setdefault("block_id", secrets.token_urlsafe(4))
            elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
            for key in ("accessory", "element"):
                if isinstance(block.get(key), dict):
                    elements.append(block[key])
            for element in elements:
                if isinstance(element, dict) and element.get("type") not in (None, "image", "plain_text", "mrkdwn"):
                    element.setdefault("action_id", secrets.token_urlsafe(4))
    return filled


def _new_message(ctx: Context, channel: Channel, text: Any, blocks: Any, attachments: Any) -> Message:
    ws = ctx.workspace
    return Message(
        channel=channel.id,
        ts=ws.next_ts(),
        user=ctx.user_id,
        text=text,
        blocks=_fill_ids(blocks),
        attachments=attachments,
        team_id=ws.team_id,
        bot_id=ws.bot_id if ctx.user_id == ws.bot_user_id else "",
        app_id=ws.app_id,
    )


@method("chat.postMessage")
def chat_post_message(ctx: Context) -> dict[str, Any]:
    channel = _writable_channel(ctx)
    text, blocks, attachments = _content(ctx)
    message = _new_message(ctx, channel, text, blocks, attachments)
    thread_ts = ctx.get("thread_ts")
    if thread_ts:
        message.thread_ts = str(thread_ts)
        message.reply_broadcast = ctx.flag("reply_broadcast")
    metadata = ctx.json("metadata", "invalid_metadata_format")
    if metadata is not None:
        message.metadata = metadata
    ctx.workspace.store_message(message)
    return {"channel": channel.id, "ts": message.ts, "message": message.payload()}


@method("chat.postEphemeral")
def chat_post_ephemeral(ctx: Context) -> dict[str, Any]:
    channel = _writable_channel(ctx)
    user_id = ctx.require("user")
    if user_id not in ctx.workspace.users:
        raise ApiError("user_not_found")
    if user_id not in channel.members:
        raise ApiError("user_not_in_channel")
    text, blocks, attachments = _content(ctx)
    message = _new_message(ctx, channel, text, blocks, attachments)
    message.ephemeral_to = user_id
    if ctx.get("thread_ts"):
        message.thread_ts = str(ctx.get("thread_ts"))
    ctx.workspace.store_ephemeral(message)
    return {"message_ts": message.ts}


def _existing_message(ctx: Context, channel: Channel, ts_arg: str = "ts") -> Message:
    ts = ctx.get(ts_arg)
    message = ctx.workspace.find_message(channel.id, str(ts)) if ts else None
    if message is None:
        raise ApiError("message_not_found")
    return message


@method("chat.update")
def chat_update(ctx: Context) -> dict[str, Any]:
    channel = _channel(ctx)
    message = _existing_message(ctx, channel)
    if message.user != ctx.user_id:
        raise ApiError("cant_update_message")
    text, blocks, attachments = _content(ctx, require_content=False)
    if text is None and blocks is None and attachments is None:
        raise ApiError("no_text")
    message.edits.append(Edit(message.text, message.blocks, message.attachments, time.time()))
    if text is not None:
        message.text = text
    if blocks is not None:
        message.blocks = _fill_ids(blocks)
    if attachments is not None:
        message.attachments = attachments
    return {"channel": channel.id, "ts": message.ts, "text": message.text or "", "message": message.payload()}


@method("chat.delete")
def chat_delete(ctx: Context) -> dict[str, Any]:
    channel = _channel(ctx)
    message = _existing_message(ctx, channel)
    if message.user != ctx.user_id:
        raise ApiError("cant_delete_message")
    message.deleted = True
    return {"channel": channel.id, "ts": message.ts}


@method("chat.getPermalink")
def chat_get_permalink(ctx: Context) -> dict[str, Any]:
    channel = _channel(ctx)
    message = _existing_message(ctx, channel, "message_ts")
    link = f"https://{ctx.workspace.domain}.slack.com/archives/{channel.id}/p{message.ts.replace('.', '')}"
    if message.thread_ts and message.thread_ts != message.ts:
        link += f"?thread_ts={message.thread_ts}&cid={channel.id}"
    return {"channel": channel.id, "permalink": link}


@method("reactions.add")
def reactions_add(ctx: Context) -> dict[str, Any]:
    channel = _channel(ctx)
    message = _existing_message(ctx, channel, "timestamp")
    name = str(ctx.require("name")).strip(":")
    users = message.reactions.setdefault(name, [])
    if ctx.user_id in users:
        raise ApiError("already_reacted")
    users.append(ctx.user_id)
    return {}


# ---- views -----------------------------------------------------------------------------------


def _view_definition(ctx: Context) -> dict[str, Any]:
    view = ctx.json("view")
    if view is None:
        raise ApiError("invalid_arguments", ["[ERROR] missing required field: view [json-pointer:/view]"])
    # views.* refuse payloads over 250 kB with view_too_large (views.open reference, Errors).
    if len(json.dumps(view)) > 250_000:
        raise ApiError("view_too_large")
    problems = limits.check_view(view)
    if problems:
        raise problems_error(problems)
    return view


def build_view(
    ctx: Context,
    definition: Mapping[str, Any],
    *,
    view_id: str,
    root_view_id: str | None = None,
    previous_view_id: str | None = None,
    state: dict[str, Any] | None = None,
) -> dict[str, Any]:
    ws = ctx.workspace
    return {
        "id": view_id,
        "team_id": ws.team_id,
        "type": definition["type"],
        "blocks": _fill_ids(list(definition.get("blocks", []))),
        "private_metadata": definition.get("private_metadata", ""),
        "callback_id": definition.get("callback_id", ""),
        "state": state if state is not None else {"values": {}},
        "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
        "title": definition.get("title"),
        "clear_on_close": bool(definition.get("clear_on_close", False)),
        "notify_on_close": bool(definition.get("notify_on_close", False)),
        "close": definition.get("close"),
        "submit": definition.get("submit"),
        "previous_view_id": previous_view_id,
        "root_view_id": root_view_id or view_id,
        "app_id": ws.app_id,
        "external_id": definition.get("external_id", ""),
        "app_installed_team_id": ws.team_id,
        "bot_id": ws.bot_id,
    }


def _claim_external_id(ctx: Context, definition: Mapping[str, Any], view_id: str | None = None) -> None:
    external_id = definition.get("external_id")
    if external_id and ctx.workspace.external_id_taken(external_id, view_id):
        raise ApiError("duplicate_external_id")


@method("views.open")
def views_open(ctx: Context) -> dict[str, Any]:
    definition = _view_definition(ctx)
    if definition["type"] != "modal":
        raise ApiError("invalid_arguments", ["[ERROR] failed to match all allowed schemas [json-pointer:/view]"])
    user_id = ctx.standin.exchange_trigger(ctx.workspace.team_id, ctx.get("trigger_id"))
    ws = ctx.workspace
    # Slack keeps an external_id taken until it learns the old view closed, even for the same user
    # (slackapi/slack-api-specs#52), so the check runs before the new modal replaces the stack.
    _claim_external_id(ctx, definition)
    view = build_view(ctx, definition, view_id=ws.next_view_id())
    ws.set_stack(user_id, [view])
    return {"view": view}


@method("views.push")
def views_push(ctx: Context) -> dict[str, Any]:
    definition = _view_definition(ctx)
    if definition["type"] != "modal":
        raise ApiError("invalid_arguments", ["[ERROR] failed to match all allowed schemas [json-pointer:/view]"])
    user_id = ctx.standin.exchange_trigger(ctx.workspace.team_id, ctx.get("trigger_id"))
    ws = ctx.workspace
    stack = ws.stack(user_id)
    if not stack:
        raise ApiError("not_found")
    # views.push reference: push_limit_reached, "Currently the limit is 3."
    if len(stack) >= 3:
        raise ApiError("push_limit_reached")
    _claim_external_id(ctx, definition)
    view = build_view(
        ctx, definition, view_id=ws.next_view_id(), root_view_id=stack[0]["id"], previous_view_id=stack[-1]["id"]
    )
    ws.set_stack(user_id, [*stack, view])
    return {"view": view}


@method("views.update")
def views_update(ctx: Context) -> dict[str, Any]:
    ws = ctx.workspace
    view_id, external_id = ctx.get("view_id"), ctx.get("external_id")
    if not view_id and not external_id:
        raise ApiError("invalid_arguments", ["[ERROR] either view_id or external_id is required [json-pointer:/]"])
    definition = _view_definition(ctx)
    current = ws.live_view(view_id) if view_id else ws.view_by_external_id(external_id)
    if current is None:
        raise ApiError("not_found")
    expected_hash = ctx.get("hash")
    if expected_hash and expected_hash != current["hash"]:
        raise ApiError("hash_conflict")
    if definition["type"] != current["type"]:
        raise ApiError("invalid_arguments", ["[ERROR] failed to match all allowed schemas [json-pointer:/view]"])
    _claim_external_id(ctx, definition, current["id"])
    if "external_id" not in definition and current.get("external_id"):
        definition = {**definition, "external_id": current["external_id"]}
    view = build_view(
        ctx,
        definition,
        view_id=current["id"],
        root_view_id=current["root_view_id"],
        previous_view_id=current["previous_view_id"],
        state=_state_kept(current["state"], definition),
    )
    ws.replace_view(current, view)
    return {"view": view}


def _state_kept(state: dict[str, Any], definition: Mapping[str, Any]) -> dict[str, Any]:
    """What Slack keeps of a view's state across views.update: the entries of the blocks (and actions) that
    are still there under the same ids; a block that went away, or was renamed, loses what was typed in it."""
    present: dict[str, set[str]] = {}
    for block in definition.get("blocks") or []:
        if not isinstance(block, dict) or not block.get("block_id"):
            continue
        elements = [block["element"]] if isinstance(block.get("element"), dict) else block.get("elements") or []
        if isinstance(block.get("accessory"), dict):
            elements = [*elements, block["accessory"]]
        present[block["block_id"]] = {
            e["action_id"] for e in elements if isinstance(e, dict) and isinstance(e.get("action_id"), str)
        }
    kept = {
        block_id: {action: value for action, value in actions.items() if action in present[block_id]}
        for block_id, actions in (state.get("values") or {}).items()
        if block_id in present and isinstance(actions, dict)
    }
    return {**state, "values": {block_id: actions for block_id, actions in kept.items() if actions}}


@method("views.publish")
def views_publish(ctx: Context) -> dict[str, Any]:
    ws = ctx.workspace
    user_id = ctx.require("user_id")
    if user_id not in ws.users:
        raise ApiError("user_not_found")
    definition = _view_definition(ctx)
    if definition["type"] != "home":
        raise ApiError("invalid_arguments", ["[ERROR] failed to match all allowed schemas [json-pointer:/view]"])
    current = ws.home_view(user_id)
    expected_hash = ctx.get("hash")
    if expected_hash and (current is None or expected_hash != current["hash"]):
        raise ApiError("hash_conflict")
    _claim_external_id(ctx, definition, current["id"] if current else None)
    # A user's home tab keeps its view id from one publish to the next.
    view = build_view(ctx, definition, view_id=current["id"] if current else ws.next_view_id())
    ws.set_home(user_id, view)
    return {"view": view}


# ---- files -----------------------------------------------------------------------------------


def _file_object(ctx: Context, file: File) -> dict[str, Any]:
    return file_object(ctx.standin, ctx.workspace, file)


def file_object(standin: StandIn, ws: Workspace, file: File) -> dict[str, Any]:
    """A file as Slack describes it (files.info, file_input values). Its private URLs are served by the
    stand-in itself, standing in for files.slack.com: a GET with the bot token (files:read) gets the bytes."""
    files_root = f"{standin.root_url}files-pri/{ws.team_id}-{file.id}"
    mimetype = mimetypes.guess_type(file.filename)[0] or "application/octet-stream"
    filetype = file.filename.rsplit(".", 1)[-1].lower() if "." in file.filename else "binary"
    return {
        "id": file.id,
        "created": int(file.created),
        "timestamp": int(file.created),
        "name": file.filename,
        "title": file.title or file.filename,
        "mimetype": mimetype,
        "filetype": filetype,
        "pretty_type": filetype.upper(),
        "user": file.user,
        "user_team": ws.team_id,
        "editable": False,
        "size": file.size,
        "mode": "hosted",
        "is_external": False,
        "external_type": "",
        "is_public": False,
        "public_url_shared": False,
        "display_as_bot": False,
        "username": "",
        "url_private": f"{files_root}/{file.filename}",
        "url_private_download": f"{files_root}/download/{file.filename}",
        "permalink": f"https://{ws.domain}.slack.com/files/{file.user}/{file.id}/{file.filename}",
        "alt_txt": file.alt_txt,
        "comments_count": 0,
        "is_starred": False,
        "shares": {},
        "channels": [],
        "groups": [],
        "ims": [],
        "has_rich_preview": False,
    }


@method("files.getUploadURLExternal")
def files_get_upload_url_external(ctx: Context) -> dict[str, Any]:
    filename = ctx.require("filename")
    length = ctx.integer("length", -1)
    if length < 0:
        raise ApiError("invalid_arguments", ["[ERROR] missing required field: length [json-pointer:/length]"])
    ws = ctx.workspace
    file = File(
        id=ws.next_file_id(),
        filename=str(filename),
        length=length,
        user=ctx.user_id,
        team_id=ws.team_id,
        created=time.time(),
        alt_txt=ctx.get("alt_txt"),
        snippet_type=ctx.get("snippet_type"),
    )
    ws.store_file(file)
    return {"upload_url": ctx.standin.upload_url(ws.team_id, file.id), "file_id": file.id}


@method("files.completeUploadExternal")
def files_complete_upload_external(ctx: Context) -> dict[str, Any]:
    ws = ctx.workspace
    entries = ctx.json("files")
    if not isinstance(entries, list) or not entries:
        raise ApiError("invalid_arguments", ["[ERROR] missing required field: files [json-pointer:/files]"])
    files: list[tuple[File, dict[str, Any]]] = []
    for entry in entries:
        file = ws.find_file(str(entry.get("id"))) if isinstance(entry, dict) else None
        if file is None or file.completed:
            raise ApiError("file_not_found")
        if file.data is None:
            # Nothing was posted to the upload URL: Slack has no file to complete.
            raise ApiError("file_not_found")
        files.append((file, entry))
    targets: list[Channel] = []
    if ctx.get("channel_id"):
        targets.append(_writable_channel(ctx, "channel_id"))
    for ref in [c for c in str(ctx.get("channels", "")).split(",") if c]:
        channel = ws.resolve_channel(ref)
        if channel is None:
            raise ApiError("channel_not_found")
        if not channel.is_im and ws.bot_user_id not in channel.members:
            raise ApiError("not_in_channel")
        targets.append(channel)
    thread_ts = ctx.get("thread_ts")
    comment = ctx.get("initial_comment")
    for file, entry in files:
        file.title = entry.get("title") or file.filename
        file.completed = True
        file.channels = [c.id for c in targets]
        file.initial_comment = comment
        file.thread_ts = str(thread_ts) if thread_ts else None
    for channel in targets:
        message = _new_message(ctx, channel, comment or "", None, None)
        message.files = [file.id for file, _ in files]
        if thread_ts:
            message.thread_ts = str(thread_ts)
        ws.store_message(message)
    return {"files": [_file_object(ctx, file) for file, _ in files]}
