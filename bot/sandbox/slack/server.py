"""HTTP plumbing: loopback server that decodes Web API requests the way Slack accepts them.

The stdlib ThreadingHTTPServer is enough here: slack_sdk's urllib client opens one connection per
call, so a thread per connection costs about what the TCP handshake does, and it keeps the stand-in
free of an event loop that would have to share a process with the app's own.
"""

from __future__ import annotations

import base64
import binascii
import email.parser
import email.policy
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from .response_urls import ResponseUrls

API_PREFIX = "/api/"
UPLOAD_PREFIX = "/upload/v1/"
RESPONSE_PREFIX = "/response/"
FILES_PREFIX = "/files-pri/"  # files.slack.com's private file URLs
JSON_TYPE = "application/json; charset=utf-8"


class StandIn(Protocol):
    """What the server hands requests to: ``standin.SlackStandIn``, which builds the server (so not imported)."""

    @property
    def response_urls(self) -> ResponseUrls: ...

    def handle_api(
        self, method: str, args: dict[str, Any], token: str | None, basic_auth: tuple[str, str] | None
    ) -> tuple[int, dict[str, str], bytes]: ...

    def accept_upload(self, team_id: str, file_id: str, data: bytes) -> bool: ...

    def download(self, path: str, token: str | None) -> tuple[int, bytes, str]: ...


def parse_multipart(content_type: str, body: bytes) -> list[tuple[str, str | None, bytes]]:
    """(field name, filename, bytes) for each part of a multipart/form-data body."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    parts: list[tuple[str, str | None, bytes]] = []
    if not message.is_multipart():
        return parts
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition") or ""
        filename = part.get_filename()
        payload = part.get_payload(decode=True) or b""
        parts.append((str(name), filename, payload if isinstance(payload, bytes) else bytes(payload)))
    return parts


def decode_args(content_type: str, body: bytes, query: str) -> dict[str, Any]:
    """Arguments from the query string and a form, JSON or multipart body, as Slack merges them."""
    args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    kind = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return args
    if kind == "application/json":
        decoded = json.loads(body)
        if isinstance(decoded, dict):
            args.update(decoded)
    elif kind == "multipart/form-data":
        for name, filename, payload in parse_multipart(content_type, body):
            args[name] = payload if filename is not None else payload.decode("utf-8", "replace")
    else:
        args.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return args


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 so clients that keep connections alive (httpx, aiohttp) can; urllib asks to close.
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        # Per-request logging would dominate the cost of a call and bury test output.
        pass

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status: int, payload: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _send_json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(body).encode(), JSON_TYPE, headers)

    def _credentials(self, args: dict[str, Any]) -> tuple[str | None, tuple[str, str] | None]:
        header = self.headers.get("Authorization") or ""
        scheme, _, value = header.partition(" ")
        token: str | None = None
        basic: tuple[str, str] | None = None
        if scheme.lower() == "bearer" and value.strip():
            token = value.strip()
        elif scheme.lower() == "basic":
            try:
                client_id, _, secret = base64.b64decode(value.strip()).decode().partition(":")
                basic = (client_id, secret)
            except (binascii.Error, UnicodeDecodeError):
                basic = ("", "")
        body_token = args.pop("token", None)
        if token is None and isinstance(body_token, str) and body_token:
            token = body_token
        return token, basic

    def _handle(self) -> None:
        url = urlsplit(self.path)
        body = self._body()
        standin = self.server.standin
        if url.path.startswith(UPLOAD_PREFIX):
            self._handle_upload(url.path[len(UPLOAD_PREFIX) :], body)
            return
        if url.path.startswith(FILES_PREFIX) and self.command == "GET":
            token, _ = self._credentials({})
            status, payload, content_type = standin.download(url.path[len(FILES_PREFIX) :], token)
            self._send(status, payload, content_type)
            return
        if url.path.startswith(RESPONSE_PREFIX):
            status, reply = standin.response_urls.post(url.path[len(RESPONSE_PREFIX) :], body)
            self._send(status, reply.encode(), "text/plain; charset=utf-8")
            return
        if not url.path.startswith(API_PREFIX):
            self._send(404, b"not found", "text/plain; charset=utf-8")
            return
        method = url.path[len(API_PREFIX) :]
        try:
            args = decode_args(self.headers.get("Content-Type") or "", body, url.query)
        except ValueError:
            # Slack's answer for a body it cannot read (common errors table).
            self._send_json(200, {"ok": False, "error": "invalid_form_data"})
            return
        token, basic = self._credentials(args)
        status, headers, answer = standin.handle_api(method, args, token, basic)
        self._send(status, answer, JSON_TYPE, headers)

    def _handle_upload(self, rest: str, body: bytes) -> None:
        team_id, _, file_id = rest.partition("/")
        content_type = self.headers.get("Content-Type") or ""
        data = body
        if content_type.lower().startswith("multipart/form-data"):
            parts = parse_multipart(content_type, body)
            files = [payload for _, filename, payload in parts if filename is not None]
            data = files[0] if files else (parts[0][2] if parts else b"")
        if self.server.standin.accept_upload(team_id, file_id, data):
            # files.slack.com answers a successful upload with this plain-text line.
            self._send(200, f"OK - {len(data)}".encode(), "text/plain; charset=utf-8")
        else:
            self._send(404, b"file not found", "text/plain; charset=utf-8")

    def do_POST(self) -> None:
        self._handle()

    def do_GET(self) -> None:
        self._handle()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Bench runs 32 concurrent clients, each opening a fresh connection per call.
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], standin: StandIn) -> None:
        self.standin = standin
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up before its answer (an app stopped mid-burst) is not the stand-in's error.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class HttpServer:
    """A running server bound to loopback; ``stop`` waits for it to close its socket."""

    def __init__(self, standin: StandIn, host: str, port: int) -> None:
        self._server = _Server((host, port), standin)
        # The socket's own address (what server_address holds), typed str and int rather than str | bytes.
        self.host: str
        self.port: int
        self.host, self.port = self._server.socket.getsockname()[:2]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="slack-standin", daemon=True
        )
        self._thread.start()

    @property
    def root(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
