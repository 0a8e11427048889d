"""The page server: the Slack-like web page, the JSON it polls, and the member's actions turned into Slack requests.

Reads come straight from the Slack stand-in (what the app sent through the Web API); every action goes
through ``SlackClient``, which signs and posts to the app what Slack would. ``/stripe/*`` is handed on to
the app, so PUBLIC_URL can be this page's address, as a real install's public address is the app's.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.i18n import catalog, normalise_locale
from bot.sandbox.slack import SlackStandIn
from bot.sandbox.slack.records import Message

from . import demo
from .slack_client import Outcome, SlackClient

STATIC = Path(__file__).resolve().parent / "static"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class BadRequest(Exception):
    pass


# The manifest's global shortcuts (tests/sandbox/playground checks the two agree), each with its label's key.
GLOBAL_SHORTCUTS = {"new_invoice": "shortcut_new_invoice"}


def _text(body: dict[str, Any], name: str, *, required: bool = True) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise BadRequest(f"{name} is required")
    return value


def _values(body: dict[str, Any]) -> dict[str, Any] | None:
    values = body.get("values")
    if values is None:
        return None
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        raise BadRequest("values must be Slack's view.state.values: {block_id: {action_id: {...}}}")
    return values


def words(locale: str) -> dict[str, str]:
    """The page's own words in the member's language (the ``playground.`` keys of the catalogs)."""
    found = catalog(normalise_locale(locale))
    english = catalog("en")
    keys = [k for k in english if k.startswith("playground.")]
    return {k.removeprefix("playground."): found.get(k) or english[k] for k in keys}


def build_page_app(slack: SlackStandIn, client: SlackClient, app_url: str) -> Starlette:
    """The page over the playground's parts (``stack.Playground`` builds it once they are up)."""
    page = _PageRoutes(slack, client, app_url)
    return Starlette(
        routes=[
            Route("/", page.index),
            Route("/favicon.ico", lambda _: Response(status_code=204)),
            Route("/api/state", _guarded(page.state)),
            Route("/api/command", _guarded(page.command), methods=["POST"]),
            Route("/api/message", _guarded(page.message), methods=["POST"]),
            Route("/api/action", _guarded(page.action), methods=["POST"]),
            Route("/api/suggest", _guarded(page.suggest), methods=["POST"]),
            Route("/api/submit", _guarded(page.submit), methods=["POST"]),
            Route("/api/close", _guarded(page.close), methods=["POST"]),
            Route("/api/home", _guarded(page.home), methods=["POST"]),
            Route("/api/shortcut", _guarded(page.shortcut), methods=["POST"]),
            Route("/api/upload", _guarded(page.upload), methods=["POST"]),
            Route("/files/{file_id}/{name}", page.download),
            Route("/stripe/{rest:path}", page.to_app, methods=["GET", "POST"]),
            Route("/healthz", page.to_app),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ]
    )


Handler = Callable[[Request], Awaitable[Response]]


def _guarded(handler: Handler) -> Handler:
    """A route whose bad input is a 400 and whose unknown ids are a 404, each with its reason as JSON."""

    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except BadRequest as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        except (KeyError, ValueError) as exc:
            return JSONResponse({"error": str(exc).strip("'\"")}, status_code=404)

    return endpoint


def _answer(outcome: Outcome) -> JSONResponse:
    return JSONResponse(outcome.as_json())


async def _body_of(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise BadRequest("send a JSON object") from None
    if not isinstance(body, dict):
        raise BadRequest("send a JSON object")
    return body


class _PageRoutes:
    """The page's routes over the Slack stand-in's demo workspace, the signing client and the app's address."""

    def __init__(self, slack: SlackStandIn, client: SlackClient, app_url: str) -> None:
        self.slack = slack
        self.client = client
        self.app_url = app_url
        self.team_id = demo.TEAM_ID

    def ws(self) -> Any:
        return self.slack.workspace(self.team_id)

    def files_of(self, message: Message) -> list[dict[str, Any]]:
        shown = []
        for file_id in message.files:
            file = self.ws().find_file(file_id)
            if file is not None:
                shown.append(
                    {
                        "id": file.id,
                        "name": file.filename,
                        "title": file.title or file.filename,
                        "url": f"/files/{file.id}/{file.filename}",
                        "size": file.size,
                    }
                )
        return shown

    def shown(self, message: Message, *, ephemeral: bool) -> dict[str, Any]:
        body = message.payload()
        user = self.ws().users.get(message.user, {})
        body |= {
            "channel": message.channel,
            "ephemeral": ephemeral,
            "files": self.files_of(message),
            "user_name": "Slackbot" if message.user == "USLACKBOT" else user.get("real_name", message.user),
            "is_bot": bool(message.bot_id) or message.user == "USLACKBOT",
            "edited": message.edited,
        }
        return body

    def channels_of(self, workspace: Any, user_id: str) -> list[dict[str, Any]]:
        """The member's channels by name, then their DM with the app."""
        dm = workspace.im_channel(user_id)
        channels = [
            {"id": c.id, "name": c.name, "kind": "channel", "private": c.is_private}
            for c in workspace.channels.values()
            if not c.is_im and not c.is_mpim and user_id in c.members
        ]
        channels.sort(key=lambda c: c["name"])
        channels.append({"id": dm.id, "name": "Billbot", "kind": "app", "private": True})
        return channels

    def messages_in(self, workspace: Any, channel_id: str, user_id: str) -> list[dict[str, Any]]:
        """A channel's messages and the member's ephemeral ones, in time order."""
        found = [self.shown(m, ephemeral=False) for m in workspace.messages(channel_id)]
        found += [self.shown(m, ephemeral=True) for m in workspace.ephemeral(channel_id, user_id)]
        found.sort(key=lambda m: float(m["ts"]))
        return found

    def snapshot(self, user_id: str) -> dict[str, Any]:
        workspace = self.ws()
        if user_id not in workspace.users or workspace.users[user_id].get("is_bot"):
            raise BadRequest(f"no member {user_id!r}")
        channels = self.channels_of(workspace, user_id)
        messages = {channel["id"]: self.messages_in(workspace, channel["id"], user_id) for channel in channels}
        me = workspace.users[user_id]
        state = {
            "team": {"id": workspace.team_id, "name": workspace.team_name},
            "me": user_id,
            "bot": {"id": workspace.bot_user_id, "name": "Billbot"},
            "users": [
                {
                    "id": u["id"],
                    "name": u["name"],
                    "real_name": u["real_name"],
                    "locale": u["locale"],
                    "is_admin": u["is_admin"],
                }
                for u in workspace.users.values()
                if not u["is_bot"]
            ],
            "channels": channels,
            "messages": messages,
            "views": workspace.views(user_id),
            "home": workspace.home(user_id),
            "words": words(me.get("locale", "en-US")),
            "locale": me.get("locale", "en-US"),  # the renderer's own words and times follow the viewer's Slack
            "shortcuts": sorted(GLOBAL_SHORTCUTS),
        }
        text = json.dumps(state, sort_keys=True, default=str)
        state["version"] = hashlib.sha1(text.encode()).hexdigest()[:16]
        return state

    async def index(self, _: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    async def state(self, request: Request) -> Response:
        user_id = request.query_params.get("user") or demo.ADMIN
        return JSONResponse(await run_in_threadpool(self.snapshot, user_id), headers={"Cache-Control": "no-store"})

    async def command(self, request: Request) -> Response:
        body = await _body_of(request)
        line = _text(body, "text").strip()
        if not line.startswith("/"):
            raise BadRequest("a slash command starts with /")
        name, _, rest = line.partition(" ")
        user, channel = _text(body, "user"), _text(body, "channel")
        return _answer(await run_in_threadpool(self.client.command, user, channel, name, rest.strip()))

    async def message(self, request: Request) -> Response:
        body = await _body_of(request)
        text = _text(body, "text")
        thread_ts = body.get("thread_ts") if isinstance(body.get("thread_ts"), str) else None
        user, channel = _text(body, "user"), _text(body, "channel")
        return _answer(await run_in_threadpool(self.client.message, user, channel, text, thread_ts))

    async def action(self, request: Request) -> Response:
        body = await _body_of(request)
        act = body.get("action")
        if not isinstance(act, dict) or not isinstance(act.get("action_id"), str) or not act.get("type"):
            raise BadRequest("action needs at least type and action_id")
        view_id = body.get("view_id") or None
        return _answer(
            await run_in_threadpool(
                lambda: self.client.action(
                    _text(body, "user"),
                    act,
                    view_id=view_id,
                    channel_id=body.get("channel"),
                    message_ts=body.get("message_ts"),
                    values=_values(body),
                )
            )
        )

    async def suggest(self, request: Request) -> Response:
        body = await _body_of(request)
        return _answer(
            await run_in_threadpool(
                lambda: self.client.suggest(
                    _text(body, "user"),
                    _text(body, "action_id"),
                    _text(body, "block_id"),
                    _text(body, "value", required=False),
                    view_id=body.get("view_id") or None,
                    values=_values(body),
                )
            )
        )

    async def submit(self, request: Request) -> Response:
        body = await _body_of(request)
        values = _values(body) or {}
        return _answer(await run_in_threadpool(self.client.submit, _text(body, "user"), _text(body, "view_id"), values))

    async def close(self, request: Request) -> Response:
        body = await _body_of(request)
        return _answer(
            await run_in_threadpool(
                lambda: self.client.close_view(
                    _text(body, "user"), _text(body, "view_id"), all_views=bool(body.get("all"))
                )
            )
        )

    async def home(self, request: Request) -> Response:
        body = await _body_of(request)
        return _answer(await run_in_threadpool(self.client.open_home, _text(body, "user")))

    async def shortcut(self, request: Request) -> Response:
        body = await _body_of(request)
        callback_id = _text(body, "callback_id")
        if callback_id not in GLOBAL_SHORTCUTS:
            raise BadRequest(f"the app's global shortcuts are {sorted(GLOBAL_SHORTCUTS)}")
        return _answer(await run_in_threadpool(self.client.shortcut, _text(body, "user"), callback_id))

    async def upload(self, request: Request) -> Response:
        """A file picked in a modal's file input: Slack stores it and the view state carries its file object.
        The page posts the bytes as the body (no multipart parser needed), naming user and file in the query."""
        user_id = request.query_params.get("user", "")
        filename = request.query_params.get("filename", "").strip() or "upload"
        if user_id not in self.ws().users:
            raise BadRequest("upload needs ?user=<member id>&filename=<name> and the file's bytes as the body")
        data = await request.body()
        if len(data) > MAX_UPLOAD_BYTES:
            return JSONResponse({"error": "file too large"}, status_code=413)
        return JSONResponse(self.slack.user_upload(self.team_id, user_id, filename, data))

    async def download(self, request: Request) -> Response:
        file = self.ws().find_file(request.path_params["file_id"])
        if file is None or file.data is None:
            return JSONResponse({"error": "no such file"}, status_code=404)
        kind = mimetypes.guess_type(file.filename)[0] or "application/octet-stream"
        return Response(file.data, media_type=kind)

    async def to_app(self, request: Request) -> Response:
        """Stripe's redirects land on PUBLIC_URL; the app serves them on its own port."""
        async with httpx.AsyncClient(timeout=15) as http:
            upstream = await http.request(
                request.method,
                f"{self.app_url}{request.url.path}",
                params=dict(request.query_params),
                content=await request.body(),
                headers={k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")},
            )
        headers = {
            k: v
            for k, v in upstream.headers.items()
            if k.lower() not in ("content-length", "content-encoding", "transfer-encoding", "connection")
        }
        return Response(upstream.content, status_code=upstream.status_code, headers=headers)
