"""A calendar host on loopback for the calendar tests: named ICS feeds a test can change while it runs.

``/feeds/<name>.ics`` serves the bytes last given to ``set_feed`` with an ETag and a Last-Modified, and
answers 304 to a matching If-None-Match (or, without one, an If-Modified-Since not older than the body). The
bad hosts a practice may paste: ``/slow`` (answers after ``slow_seconds``), ``/drip`` (sends its headers, then
a byte now and then, past any deadline), ``/loop`` (redirects to itself through ``/loop2``), ``/missing``
(404), ``/gone`` (410), ``/error`` (500), ``/big`` (a body over ``big_bytes``, sent without a length, as a
stream), ``/big-declared`` (the same with its Content-Length), ``/to-private`` (a redirect to a cloud metadata
address), ``/to-file`` (a redirect to a file:// address), ``/redirect/<name>.ics`` (a redirect to that feed),
``/html`` (a web page, not a calendar). ``hits(path)`` counts the requests per path.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_BIG_BYTES = 10 * 1024 * 1024 + 64 * 1024
EMPTY_CALENDAR = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Billbot tests//EN\r\nEND:VCALENDAR\r\n"


@dataclass
class Feed:
    body: bytes
    etag: str
    modified: datetime
    send_validators: bool


class _Quiet(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        del request, client_address  # a client that hangs up at its cap or deadline is what the tests want


class IcsServer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._feeds: dict[str, Feed] = {}
        self._hits: Counter[str] = Counter()
        self.slow_seconds = 6.0
        self.big_bytes = DEFAULT_BIG_BYTES
        self.user_agents: list[str] = []
        server = self
        self._stopping = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                del format, args  # quiet: the tests read hits(), not a log

            def do_GET(self) -> None:
                server._handle(self)

        self._httpd = _Quiet(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="ics-server", daemon=True)

    # -- the test's side -------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def feed_url(self, name: str) -> str:
        return self.url(f"/feeds/{name}.ics")

    def set_feed(self, name: str, body: bytes, *, validators: bool = True) -> str:
        """Serve ``body`` at ``/feeds/<name>.ics`` (from now on); without validators, no ETag/Last-Modified."""
        with self._lock:
            previous = self._feeds.get(name)
            modified = datetime.now(UTC).replace(microsecond=0)
            if previous is not None and previous.body == body:
                modified = previous.modified
            elif previous is not None and modified <= previous.modified:
                # HTTP dates have whole seconds: a change within the same second must still look newer.
                modified = previous.modified + timedelta(seconds=1)
            etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
            self._feeds[name] = Feed(body=body, etag=etag, modified=modified, send_validators=validators)
        return self.feed_url(name)

    def hits(self, path: str) -> int:
        with self._lock:
            return self._hits[path]

    def reset_hits(self) -> None:
        with self._lock:
            self._hits.clear()

    def start(self) -> IcsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    # -- the server's side -----------------------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?", 1)[0]
        with self._lock:
            self._hits[path] += 1
            self.user_agents.append(request.headers.get("User-Agent", ""))
        if path.startswith("/feeds/") and path.endswith(".ics"):
            self._serve_feed(request, path[len("/feeds/") : -len(".ics")])
        elif path.startswith("/redirect/") and path.endswith(".ics"):
            self._redirect(request, "/feeds/" + path[len("/redirect/") :])
        elif path == "/slow":
            if not self._stopping.wait(self.slow_seconds):
                _send(request, 200, EMPTY_CALENDAR)
        elif path == "/drip":
            self._drip(request)
        elif path == "/loop":
            self._redirect(request, "/loop2")
        elif path == "/loop2":
            self._redirect(request, "/loop")
        elif path == "/missing":
            _send(request, 404, b"Not Found", content_type="text/plain")
        elif path == "/gone":
            _send(request, 410, b"Gone", content_type="text/plain")
        elif path == "/error":
            _send(request, 500, b"Internal Server Error", content_type="text/plain")
        elif path == "/big":
            self._big(request, declare=False)
        elif path == "/big-declared":
            self._big(request, declare=True)
        elif path == "/to-private":
            self._redirect(request, "https://169.254.169.254/latest/meta-data/")
        elif path == "/to-file":
            self._redirect(request, "file:///etc/passwd")
        elif path == "/html":
            _send(request, 200, b"<!doctype html><title>Calendar</title><p>Sign in", content_type="text/html")
        else:
            _send(request, 404, b"Not Found", content_type="text/plain")

    def _serve_feed(self, request: BaseHTTPRequestHandler, name: str) -> None:
        with self._lock:
            feed = self._feeds.get(name)
        if feed is None:
            _send(request, 404, b"Not Found", content_type="text/plain")
            return
        headers = {}
        if feed.send_validators:
            headers = {"ETag": feed.etag, "Last-Modified": format_datetime(feed.modified, usegmt=True)}
            if _not_modified(request, feed):
                request.send_response(304)
                for key, value in headers.items():
                    request.send_header(key, value)
                request.send_header("Content-Length", "0")
                request.end_headers()
                return
        _send(request, 200, feed.body, headers=headers)

    def _redirect(self, request: BaseHTTPRequestHandler, location: str) -> None:
        request.send_response(302)
        request.send_header("Location", location)
        request.send_header("Content-Length", "0")
        request.end_headers()

    def _drip(self, request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "text/calendar")
        request.send_header("Content-Length", str(len(EMPTY_CALENDAR) * 1000))
        request.end_headers()
        request.wfile.write(EMPTY_CALENDAR[:16])
        request.wfile.flush()
        deadline = time.monotonic() + self.slow_seconds
        try:
            while time.monotonic() < deadline and not self._stopping.wait(0.2):
                request.wfile.write(b"\r\n")
                request.wfile.flush()
        except OSError:
            return  # the client gave up, as it should

    def _big(self, request: BaseHTTPRequestHandler, *, declare: bool) -> None:
        event = (
            b"BEGIN:VEVENT\r\nUID:big-%d@tests\r\nDTSTART:20260105T090000Z\r\nDTEND:20260105T100000Z\r\n"
            b"SUMMARY:Filler\r\nEND:VEVENT\r\n"
        )
        request.send_response(200)
        request.send_header("Content-Type", "text/calendar")
        if declare:
            request.send_header("Content-Length", str(self.big_bytes))
        else:
            request.send_header("Transfer-Encoding", "chunked")
        request.end_headers()
        sent = 0
        number = 0
        try:
            while sent < self.big_bytes:
                chunk = b"".join(event % (number + n) for n in range(200))
                number += 200
                chunk = chunk[: self.big_bytes - sent]
                if declare:
                    request.wfile.write(chunk)
                else:
                    request.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
            if not declare:
                request.wfile.write(b"0\r\n\r\n")
        except OSError:
            return  # the client stopped reading at its cap


def _not_modified(request: BaseHTTPRequestHandler, feed: Feed) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        return feed.etag in [tag.strip() for tag in if_none_match.split(",")] or if_none_match.strip() == "*"
    since = request.headers.get("If-Modified-Since")
    if since:
        try:
            return feed.modified <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


def _send(
    request: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    *,
    content_type: str = "text/calendar; charset=utf-8",
    headers: dict[str, str] | None = None,
) -> None:
    request.send_response(status)
    request.send_header("Content-Type", content_type)
    request.send_header("Content-Length", str(len(body)))
    for key, value in (headers or {}).items():
        request.send_header(key, value)
    request.end_headers()
    try:
        request.wfile.write(body)
    except OSError:
        return
