"""``SlackStandIn``: the local Slack Web API the app's ``WebClient`` talks to in tests and the playground."""

from __future__ import annotations

import contextlib
import json
import logging
import mimetypes
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import methods
from .methods import ApiError, Context
from .records import Call, File
from .response_urls import ResponseUrls
from .server import HttpServer
from .state import Workspace

log = logging.getLogger(__name__)

# Arguments Slack takes as JSON strings in form posts; decoded in recorded calls so tests read dicts.
JSON_ARGS = ("blocks", "attachments", "view", "files", "metadata")
# views.open reference, invalid_trigger_id: the expected trigger_id format is "132456.7890123.abcdef".
TRIGGER_FORMAT = re.compile(r"^\d+\.\d+\.[0-9a-f]+$")
DEFAULT_SCOPES = (
    "chat:write",
    "commands",
    "im:write",
    "users:read",
    "users:read.email",
    "team:read",
    "channels:read",
    "channels:join",
    "groups:read",
    "usergroups:read",
    "reactions:write",
    "files:write",
    "files:read",
)


@dataclass
class _Trigger:
    team_id: str
    user_id: str
    issued_at: float
    used: bool = False


@dataclass
class _OAuthCode:
    team_id: str
    user_id: str
    redirect_uri: str | None
    used: bool = False


class SlackStandIn:
    """A fake Slack Web API on loopback, holding one or more workspaces.

    ``clock`` measures trigger_id ages; tests replace it to expire triggers without sleeping.
    """

    def __init__(
        self,
        client_id: str = "123.456",
        client_secret: str = "s3cr3t",
        *,
        app_id: str = "A0BILLBOT",
        trigger_ttl: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.app_id = app_id
        self.trigger_ttl = trigger_ttl
        self.clock = clock
        self._lock = threading.RLock()
        self._workspaces: dict[str, Workspace] = {}
        # token -> (team_id, user_id the token acts as)
        self._tokens: dict[str, tuple[str, str]] = {}
        self._server: HttpServer | None = None
        self.response_urls = ResponseUrls()
        self._trigger_seq = 0
        self._clear()

    def _clear(self) -> None:
        self._calls: list[Call] = []
        self._triggers: dict[str, _Trigger] = {}
        self._codes: dict[str, _OAuthCode] = {}
        self._rate_limits: dict[str, list[int]] = {}
        self._failures: dict[str, list[tuple[str, int]]] = {}
        self._fatal_after: dict[str, int] = {}
        self._after_doing: dict[str, list[Callable[[], None]]] = {}

    def holding_state(self) -> threading.RLock:
        """The lock over every workspace's state: a client playing Slack's own part (applying the app's
        answer to a view submission, say) holds it so no Web API call lands half-way through."""
        return self._lock

    # ---- workspaces ------------------------------------------------------------------------

    def add_workspace(
        self,
        team_id: str,
        team_name: str,
        bot_token: str,
        bot_user_id: str = "UBOT",
        locale: str = "en-US",
        *,
        domain: str | None = None,
        scopes: tuple[str, ...] = DEFAULT_SCOPES,
    ) -> Workspace:
        with self._lock:
            if team_id in self._workspaces:
                raise ValueError(f"workspace {team_id} already exists")
            workspace = Workspace(
                lock=self._lock,
                team_id=team_id,
                team_name=team_name,
                bot_token=bot_token,
                bot_user_id=bot_user_id,
                locale=locale,
                app_id=self.app_id,
                domain=domain,
                scopes=scopes,
            )
            self._workspaces[team_id] = workspace
            self._tokens[bot_token] = (team_id, bot_user_id)
            return workspace

    def workspace(self, team_id: str) -> Workspace:
        return self._workspaces[team_id]

    @property
    def workspaces(self) -> list[Workspace]:
        with self._lock:
            return list(self._workspaces.values())

    # ---- server ----------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> SlackStandIn:
        with self._lock:
            if self._server is None:
                self._server = HttpServer(self, host, port)
        return self

    def stop(self) -> None:
        with self._lock:
            server, self._server = self._server, None
        if server is not None:
            server.stop()

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the Slack stand-in is not started")
        return self._server.root

    @property
    def url(self) -> str:
        """The ``base_url`` for slack_sdk (which wants the trailing slash)."""
        return self.root_url + "api/"

    def upload_url(self, team_id: str, file_id: str) -> str:
        return f"{self.root_url}upload/v1/{team_id}/{file_id}"

    # ---- triggers and OAuth ------------------------------------------------------------------

    def issue_trigger_id(self, team_id: str, user_id: str) -> str:
        """A trigger_id as Slack puts in an interaction payload: usable once, for ``trigger_ttl`` seconds."""
        with self._lock:
            if team_id not in self._workspaces:
                raise KeyError(team_id)
            self._trigger_seq += 1
            trigger_id = f"{self._trigger_seq}.{int(time.time())}.{secrets.token_hex(16)}"
            self._triggers[trigger_id] = _Trigger(team_id, user_id, self.clock())
            return trigger_id

    def exchange_trigger(self, team_id: str, trigger_id: Any) -> str:
        """The user a trigger was issued for; raises Slack's error when it cannot be used."""
        if not trigger_id:
            raise ApiError(
                "invalid_arguments", ["[ERROR] missing required field: trigger_id [json-pointer:/trigger_id]"]
            )
        with self._lock:
            trigger = self._triggers.get(str(trigger_id))
            if trigger is None or trigger.team_id != team_id or not TRIGGER_FORMAT.match(str(trigger_id)):
                raise ApiError("invalid_trigger_id")
            if trigger.used:
                raise ApiError("exchanged_trigger_id")
            if self.clock() - trigger.issued_at > self.trigger_ttl:
                raise ApiError("expired_trigger_id")
            trigger.used = True
            return trigger.user_id

    def issue_response_url(self, team_id: str, channel_id: str, user_id: str, *, original_ts: str | None = None) -> str:
        """A response_url as Slack puts in a slash command or block_actions payload (from the message
        ``original_ts``, which replace_original and delete_original then act on)."""
        key = self.response_urls.issue(self._workspaces[team_id], channel_id, user_id, original_ts)
        return f"{self.root_url}response/{key}"

    def oauth_code(self, team_id: str, user_id: str, *, redirect_uri: str | None = None) -> str:
        """A code as Slack appends to the redirect URL after a user approves the install."""
        with self._lock:
            if team_id not in self._workspaces:
                raise KeyError(team_id)
            code = f"{team_id}.{secrets.token_hex(12)}"
            self._codes[code] = _OAuthCode(team_id, user_id, redirect_uri)
            return code

    def exchange_oauth_code(
        self, *, client_id: Any, client_secret: Any, code: Any, redirect_uri: Any
    ) -> dict[str, Any]:
        # Error names from the oauth.v2.access reference, Errors table.
        if not client_id:
            raise ApiError("invalid_client_id")
        if client_id != self.client_id:
            raise ApiError("invalid_client_id")
        if client_secret != self.client_secret:
            raise ApiError("bad_client_secret")
        with self._lock:
            grant = self._codes.get(str(code)) if code else None
            if grant is None or grant.used:
                raise ApiError("invalid_code")
            if grant.redirect_uri is not None and redirect_uri != grant.redirect_uri:
                raise ApiError("bad_redirect_uri")
            grant.used = True
            ws = self._workspaces[grant.team_id]
            user_token = f"xoxp-{ws.team_id}-{grant.user_id}-{secrets.token_hex(8)}"
            self._tokens[user_token] = (ws.team_id, grant.user_id)
        return {
            "app_id": ws.app_id,
            "authed_user": {
                "id": grant.user_id,
                "scope": "identify",
                "access_token": user_token,
                "token_type": "user",
            },
            "scope": ",".join(ws.scopes),
            "token_type": "bot",
            "access_token": ws.bot_token,
            "bot_user_id": ws.bot_user_id,
            "team": {"id": ws.team_id, "name": ws.team_name},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    # ---- fault injection -----------------------------------------------------------------------

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with HTTP 429, as Slack does past its tier limit."""
        with self._lock:
            self._rate_limits[method] = [times, retry_after]

    def fail(self, method: str, error: str, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with ``{"ok": false, "error": error}``."""
        with self._lock:
            self._failures.setdefault(method, []).append((error, times))

    def fail_after_doing(self, method: str, times: int = 1) -> None:
        """Carry out the next ``times`` calls of ``method``, then answer 500 ``fatal_error``: Slack's answer
        when "some aspect of the operation succeeded before the error was raised" (a message posted, say)."""
        with self._lock:
            self._fatal_after[method] = self._fatal_after.get(method, 0) + times

    def call_after_doing(self, method: str, callback: Callable[[], None]) -> None:
        """Carry out the next call of ``method``, then run ``callback`` before answering: a test's way to
        kill the caller between Slack doing the work and the caller hearing of it."""
        with self._lock:
            self._after_doing.setdefault(method, []).append(callback)

    def _injected(self, method: str) -> tuple[int, dict[str, str], dict[str, Any]] | None:
        limit = self._rate_limits.get(method)
        if limit is not None and limit[0] > 0:
            limit[0] -= 1
            # Slack's rate-limit answer: 429, Retry-After in seconds, error "ratelimited".
            return 429, {"Retry-After": str(limit[1])}, {"ok": False, "error": "ratelimited"}
        queue = self._failures.get(method)
        if queue:
            error, remaining = queue[0]
            if remaining <= 1:
                queue.pop(0)
            else:
                queue[0] = (error, remaining - 1)
            return 200, {}, {"ok": False, "error": error}
        return None

    # ---- the API ---------------------------------------------------------------------------

    def handle_api(
        self, method: str, args: dict[str, Any], token: str | None, basic_auth: tuple[str, str] | None
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one Web API call and record it. Returns (HTTP status, extra headers, JSON body bytes)."""
        team_id: str | None = None
        status = 200
        headers: dict[str, str] = {}
        with self._lock:
            try:
                if method == "oauth.v2.access":
                    client_id, client_secret = basic_auth or (args.get("client_id"), args.get("client_secret"))
                    injected = self._injected(method)
                    if injected is not None:
                        status, headers, body = injected
                    else:
                        body = {
                            "ok": True,
                            **self.exchange_oauth_code(
                                client_id=client_id,
                                client_secret=client_secret,
                                code=args.get("code"),
                                redirect_uri=args.get("redirect_uri"),
                            ),
                        }
                else:
                    handler = methods.METHODS.get(method)
                    if handler is None:
                        raise ApiError("unknown_method")
                    if not token:
                        raise ApiError("not_authed")
                    owner = self._tokens.get(token)
                    if owner is None:
                        raise ApiError("invalid_auth")
                    team_id, user_id = owner
                    injected = self._injected(method)
                    if injected is not None:
                        status, headers, body = injected
                    else:
                        ctx = Context(self, self._workspaces[team_id], args, token, user_id)
                        body = {"ok": True, **handler(ctx)}
                        waiting = self._after_doing.get(method)
                        if waiting:
                            waiting.pop(0)()
                        if self._fatal_after.get(method):
                            self._fatal_after[method] -= 1
                            status, body = 500, {"ok": False, "error": "fatal_error"}
            except ApiError as refused:
                body = refused.body()
            except Exception:
                # A bug in the stand-in must not look like a Slack answer the app could handle.
                log.exception("Slack stand-in failed on %s", method)
                status, body = 500, {"ok": False, "error": "fatal_error"}
            # Serialised under the lock: bodies reference live views and messages other calls may change.
            answer = json.dumps(body)
            self._calls.append(
                Call(
                    method=method,
                    args=_decoded(args),
                    token=token,
                    team_id=team_id,
                    ok=bool(body.get("ok")),
                    error=body.get("error"),
                    time=time.time(),
                    status=status,
                    response_json=answer,
                )
            )
        return status, headers, answer.encode()

    def accept_upload(self, team_id: str, file_id: str, data: bytes) -> bool:
        """Bytes posted to an upload URL from files.getUploadURLExternal."""
        with self._lock:
            workspace = self._workspaces.get(team_id)
            file = workspace.find_file(file_id) if workspace else None
            if file is None or file.completed:
                return False
            file.data = bytes(data)
            return True

    def user_upload(self, team_id: str, user_id: str, filename: str, data: bytes) -> dict[str, Any]:
        """A member uploads a file in a modal's file input: the file object Slack puts in the view's state
        (``{"type": "file_input", "files": [this]}``)."""
        with self._lock:
            ws = self._workspaces[team_id]
            file = File(
                id=ws.next_file_id(),
                filename=filename,
                length=len(data),
                user=user_id,
                team_id=team_id,
                created=time.time(),
                data=bytes(data),
                completed=True,
            )
            ws.store_file(file)
            return methods.file_object(self, ws, file)

    def download(self, path: str, token: str | None) -> tuple[int, bytes, str]:
        """GET of a file's url_private(_download), as files.slack.com answers it: the bytes for a token of the
        file's workspace holding files:read; otherwise Slack's sign-in page (HTTP 200, HTML), not an error."""
        team_and_file = path.split("/", 1)[0]
        team_id, _, file_id = team_and_file.rpartition("-")
        sign_in = (200, b"<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in</body></html>",
                   "text/html; charset=utf-8")  # fmt: skip
        with self._lock:
            owner = self._tokens.get(token or "")
            ws = self._workspaces.get(team_id)
            file = ws.find_file(file_id) if ws is not None else None
            if owner is None or ws is None or owner[0] != team_id or "files:read" not in ws.scopes:
                return sign_in
            if file is None or file.data is None:
                return 404, b"file not found", "text/plain; charset=utf-8"
            content_type = mimetypes.guess_type(file.filename)[0] or "application/octet-stream"
            return 200, file.data, content_type

    # ---- what tests read -----------------------------------------------------------------------

    def calls(self, method: str | None = None, team_id: str | None = None) -> list[Call]:
        with self._lock:
            return [
                c
                for c in self._calls
                if (method is None or c.method == method) and (team_id is None or c.team_id == team_id)
            ]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.005) -> Any:
        """Poll ``predicate`` until it returns something truthy and return that (the app works after its ack)."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() >= deadline:
                raise TimeoutError(f"condition not met within {timeout} s")
            time.sleep(interval)

    def reset(self) -> None:
        """Forget calls, messages, views, files and injected faults; keep workspaces, users and channels."""
        with self._lock:
            self._clear()
            self.response_urls.clear()
            for workspace in self._workspaces.values():
                workspace.reset()
            # User tokens came from OAuth exchanges, which are forgotten too.
            self._tokens = {ws.bot_token: (ws.team_id, ws.bot_user_id) for ws in self._workspaces.values()}


def _decoded(args: dict[str, Any]) -> dict[str, Any]:
    decoded = dict(args)
    for name in JSON_ARGS:
        value = decoded.get(name)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            with contextlib.suppress(ValueError):
                decoded[name] = json.loads(value)
    return decoded
