"""Fetching a calendar's address safely: the address is typed by a person and fetched by the server.

Only https (http too in the local sandbox); the host is resolved and every address it resolves to must be
public (no loopback, private, link-local, multicast, reserved or unspecified address, IPv4 or IPv6, IPv4-mapped
included) unless the sandbox allows local feeds. Redirects are followed here, one hop at a time, each hop
checked the same way, at most ``max_redirects``. The connection goes to the address that was checked (the URL's
host is replaced by it; the Host header and TLS's server name keep the real name, so the certificate is still
verified against it): a DNS answer that changes between the check and the connection cannot sneak in. One
deadline covers the whole fetch, and the body is cut at ``max_bytes``.

The address is a secret (whoever has it reads the calendar): it is never logged, nor put in a problem.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from bot import log as secrets
from bot.settings import Settings
from flows.calendar.feed.problems import FeedProblem

log = logging.getLogger(__name__)

USER_AGENT = "Billbot calendar sync (+https://github.com/billbot; reads a practice's iCalendar feed)"
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class FetchLimits:
    timeout_seconds: float
    max_bytes: int
    max_redirects: int
    allow_local: bool
    # Origins ("http://127.0.0.1:8080") read even though local or plain http, whatever allow_local says: a
    # sandbox's own calendar host, and the tests that show a redirect from it to a private address refused.
    trusted_origins: frozenset[str] = frozenset()


def limits_from(settings: Settings) -> FetchLimits:
    return FetchLimits(
        timeout_seconds=float(settings.calendar_timeout_seconds),
        max_bytes=settings.calendar_max_bytes,
        max_redirects=5,
        allow_local=settings.calendar_local_feeds,
    )


@dataclass(frozen=True)
class Fetched:
    body: bytes | None  # None: the feed answered 304 Not Modified
    etag: str | None
    last_modified: str | None


def normalise_address(url: str) -> str:
    """``webcal://`` (what Apple and Google hand out) is https; surrounding spaces are a paste's."""
    cleaned = url.strip()
    if cleaned[:9].lower() == "webcal://":
        cleaned = "https://" + cleaned[9:]
    return cleaned


def check_address(url: str, *, allow_local: bool) -> None:
    """The address's syntax and scheme, without the network (the modal calls it within Slack's 3 seconds)."""
    _split(normalise_address(url), allow_local=allow_local)


def _split(url: str, *, allow_local: bool) -> tuple[str, str, int]:
    """(scheme, host, port) of an acceptable address, else the FeedProblem saying why."""
    if not url or any(c.isspace() for c in url):
        raise FeedProblem("calendar.error.address")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise FeedProblem("calendar.error.address") from error
    scheme = parts.scheme.lower()
    if scheme and (scheme not in ("http", "https") or (scheme == "http" and not allow_local)):
        raise FeedProblem("calendar.error.scheme")
    if not scheme or not parts.hostname:
        raise FeedProblem("calendar.error.address")
    if parts.username is not None or parts.password is not None:
        raise FeedProblem("calendar.error.address")  # credentials in the address would be sent to any host
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80)


def is_public(address: IPAddress) -> bool:
    """Whether an address is on the public internet (an IPv4-mapped IPv6 address is judged as its IPv4)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if isinstance(address, ipaddress.IPv6Address) and address.sixtofour is not None:
        address = address.sixtofour
    return not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def _resolve(host: str, port: int, *, allow_local: bool, deadline: float) -> IPAddress:
    """The address to connect to: every address the host resolves to must be acceptable, the first is used."""
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        found = [literal]
    else:
        if time.monotonic() >= deadline:
            raise FeedProblem("calendar.error.timeout")
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError, OSError) as error:
            raise FeedProblem("calendar.error.unreachable") from error
        found = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
        if not found:
            raise FeedProblem("calendar.error.unreachable")
    if not allow_local and not all(is_public(address) for address in found):
        raise FeedProblem("calendar.error.private_address")
    return found[0]


def _origin(url: str) -> str:
    try:
        parts = urlsplit(url)
        return f"{parts.scheme.lower()}://{(parts.hostname or '').lower()}:{parts.port or ''}".rstrip(":")
    except ValueError:
        return ""


def _pinned(url: str, address: IPAddress) -> str:
    """``url`` with its host replaced by the checked address (the port and path kept)."""
    parts = urlsplit(url)
    host = f"[{address}]" if isinstance(address, ipaddress.IPv6Address) else str(address)
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


_masked: set[str] = set()


def _mask(url: str) -> None:
    """The address's path and query are the calendar's secret: masked in every log line from now on, httpx's
    own "HTTP Request: GET …" at DEBUG included."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return
    secret = parts.path + (f"?{parts.query}" if parts.query else "")
    if len(secret) >= secrets.MIN_EXACT_SECRET and secret not in _masked:
        _masked.add(secret)
        secrets.mask_values([secret])


def _host_header(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{parts.port}" if parts.port else host


def _size_words(max_bytes: int) -> str:
    if max_bytes >= 1024 * 1024:
        return f"{max_bytes / (1024 * 1024):.0f} MB"
    return f"{max(1, max_bytes // 1024)} KB"


def fetch_feed(url: str, *, etag: str | None, last_modified: str | None, limits: FetchLimits) -> Fetched:
    """GET the feed with its validators; raise FeedProblem for anything but a readable calendar (or 304)."""
    current = normalise_address(url)
    deadline = time.monotonic() + limits.timeout_seconds
    headers = {"User-Agent": USER_AGENT, "Accept": "text/calendar, */*;q=0.5"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    with httpx.Client(follow_redirects=False, trust_env=False, verify=True) as client:
        for _hop in range(limits.max_redirects + 1):
            _mask(current)
            local_ok = limits.allow_local or _origin(current) in limits.trusted_origins
            scheme, host, port = _split(current, allow_local=local_ok)
            address = _resolve(host, port, allow_local=local_ok, deadline=deadline)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FeedProblem("calendar.error.timeout")
            extensions: dict[str, object] = {
                "timeout": {"connect": remaining, "read": remaining, "write": remaining, "pool": remaining}
            }
            if scheme == "https":
                extensions["sni_hostname"] = host
            request = client.build_request(
                "GET",
                _pinned(current, address),
                headers={**headers, "Host": _host_header(current)},
                extensions=extensions,
            )
            try:
                response = client.send(request, stream=True)
            except httpx.TimeoutException as error:
                raise FeedProblem("calendar.error.timeout") from error
            except httpx.HTTPError as error:
                log.info("calendar fetch: host %s unreachable (%s)", host, type(error).__name__)
                raise FeedProblem("calendar.error.unreachable") from error
            try:
                if response.status_code in _REDIRECT_STATUSES:
                    location = response.headers.get("Location")
                    if not location:
                        raise FeedProblem("calendar.error.http_status", status=str(response.status_code))
                    current = urljoin(current, location.strip())
                    continue
                return _read(response, host=host, deadline=deadline, limits=limits)
            finally:
                response.close()
        raise FeedProblem("calendar.error.redirects")


def _read(response: httpx.Response, *, host: str, deadline: float, limits: FetchLimits) -> Fetched:
    if response.status_code == 304:
        return Fetched(
            body=None, etag=response.headers.get("ETag"), last_modified=response.headers.get("Last-Modified")
        )
    if response.status_code in (404, 410):
        raise FeedProblem("calendar.error.not_found")
    if response.status_code != 200:
        log.info("calendar fetch: host %s answered %s", host, response.status_code)
        raise FeedProblem("calendar.error.http_status", status=str(response.status_code))
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise FeedProblem("calendar.error.too_large", limit=_size_words(limits.max_bytes))
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_bytes():  # as it arrives, so the deadline is checked between reads
            size += len(chunk)
            if size > limits.max_bytes:
                raise FeedProblem("calendar.error.too_large", limit=_size_words(limits.max_bytes))
            if time.monotonic() > deadline:
                raise FeedProblem("calendar.error.timeout")
            chunks.append(chunk)
    except httpx.TimeoutException as error:
        raise FeedProblem("calendar.error.timeout") from error
    except httpx.HTTPError as error:
        raise FeedProblem("calendar.error.unreachable") from error
    return Fetched(
        body=b"".join(chunks),
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
    )
