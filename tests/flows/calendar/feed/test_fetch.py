"""Fetching a calendar address over real HTTP from the loopback feed server: every bad host a practice may
paste gives its FeedProblem, and a good one costs a 304 once it is known."""

from __future__ import annotations

import time

import pytest

from flows.calendar.feed.fetch import USER_AGENT, FetchLimits, check_address, fetch_feed, is_public
from flows.calendar.feed.problems import FeedProblem
from tests.flows.calendar.ics import fixture
from tests.harness.ics_server import IcsServer

LOCAL = FetchLimits(timeout_seconds=1.5, max_bytes=1024 * 1024, max_redirects=5, allow_local=True)


def problem_of(url: str, limits: FetchLimits = LOCAL) -> FeedProblem:
    with pytest.raises(FeedProblem) as caught:
        fetch_feed(url, etag=None, last_modified=None, limits=limits)
    return caught.value


def test_a_feed_is_read_then_costs_a_304_with_its_etag_or_its_date(ics_server: IcsServer) -> None:
    url = ics_server.set_feed("weekly", fixture("weekly.ics"))
    first = fetch_feed(url, etag=None, last_modified=None, limits=LOCAL)
    assert first.body == fixture("weekly.ics") and first.etag and first.last_modified
    again = fetch_feed(url, etag=first.etag, last_modified=first.last_modified, limits=LOCAL)
    assert again.body is None
    by_date = fetch_feed(url, etag=None, last_modified=first.last_modified, limits=LOCAL)
    assert by_date.body is None
    ics_server.set_feed("weekly", fixture("dst.ics"))
    changed = fetch_feed(url, etag=first.etag, last_modified=first.last_modified, limits=LOCAL)
    assert changed.body == fixture("dst.ics") and changed.etag != first.etag
    assert ics_server.hits("/feeds/weekly.ics") == 4
    assert set(ics_server.user_agents) == {USER_AGENT} and "Billbot" in USER_AGENT


def test_webcal_addresses_and_redirects_within_the_limit_are_followed(ics_server: IcsServer) -> None:
    ics_server.set_feed("weekly", fixture("weekly.ics"))
    fetched = fetch_feed(ics_server.url("/redirect/weekly.ics"), etag=None, last_modified=None, limits=LOCAL)
    assert fetched.body == fixture("weekly.ics")
    assert ics_server.hits("/redirect/weekly.ics") == 1 and ics_server.hits("/feeds/weekly.ics") == 1
    no_redirects = FetchLimits(timeout_seconds=1.5, max_bytes=1024 * 1024, max_redirects=0, allow_local=True)
    assert problem_of(ics_server.url("/redirect/weekly.ics"), no_redirects).key == "calendar.error.redirects"


@pytest.mark.parametrize(
    ("path", "key", "params"),
    [
        ("/missing", "calendar.error.not_found", {}),
        ("/gone", "calendar.error.not_found", {}),
        ("/error", "calendar.error.http_status", {"status": "500"}),
        ("/loop", "calendar.error.redirects", {}),
        ("/big", "calendar.error.too_large", {"limit": "1 MB"}),
        ("/big-declared", "calendar.error.too_large", {"limit": "1 MB"}),
        ("/to-file", "calendar.error.scheme", {}),
    ],
)
def test_bad_hosts_give_their_problem(ics_server: IcsServer, path: str, key: str, params: dict[str, str]) -> None:
    ics_server.big_bytes = 2 * 1024 * 1024
    problem = problem_of(ics_server.url(path))
    assert (problem.key, problem.params) == (key, params)


def test_a_loop_stops_at_the_redirect_limit(ics_server: IcsServer) -> None:
    problem_of(ics_server.url("/loop"))
    assert ics_server.hits("/loop") + ics_server.hits("/loop2") == LOCAL.max_redirects + 1


@pytest.mark.parametrize("path", ["/slow", "/drip"])
def test_a_slow_host_ends_at_the_deadline(ics_server: IcsServer, path: str) -> None:
    began = time.monotonic()
    assert problem_of(ics_server.url(path)).key == "calendar.error.timeout"
    assert time.monotonic() - began < LOCAL.timeout_seconds + 1.5


def test_the_secret_part_of_an_address_never_reaches_a_log_line(
    ics_server: IcsServer, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from bot.log import RedactSecrets

    caplog.handler.addFilter(RedactSecrets())  # as the app's own handlers mask every record
    url = ics_server.set_feed("private-a1b2c3d4e5f6", fixture("weekly.ics"))
    with caplog.at_level(logging.DEBUG):
        fetch_feed(url, etag=None, last_modified=None, limits=LOCAL)
        problem_of(url.replace("/feeds/", "/missing/"))
    assert "private-a1b2c3d4e5f6" not in caplog.text
    assert "HTTP Request" in caplog.text  # httpx did log the request, masked


def test_nothing_listening_is_unreachable() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert problem_of(f"http://127.0.0.1:{port}/feed.ics").key == "calendar.error.unreachable"


def test_a_redirect_to_a_private_address_is_refused_at_that_hop(ics_server: IcsServer) -> None:
    # The feed server itself is trusted (as the sandbox's own host would be); where it sends us is not.
    public_only = FetchLimits(
        timeout_seconds=1.5,
        max_bytes=1024 * 1024,
        max_redirects=5,
        allow_local=False,
        trusted_origins=frozenset({ics_server.base_url}),
    )
    ics_server.set_feed("weekly", fixture("weekly.ics"))
    assert fetch_feed(ics_server.feed_url("weekly"), etag=None, last_modified=None, limits=public_only).body
    assert problem_of(ics_server.url("/to-private"), public_only).key == "calendar.error.private_address"
    assert ics_server.hits("/to-private") == 1
    # With the sandbox's allowance, the same hop is followed (and then times out: nothing answers there).
    assert problem_of(ics_server.url("/to-private"), LOCAL).key in (
        "calendar.error.timeout",
        "calendar.error.unreachable",
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/cal.ics",
        "https://localhost/cal.ics",
        "https://10.1.2.3/cal.ics",
        "https://192.168.1.10/cal.ics",
        "https://172.16.0.5/cal.ics",
        "https://169.254.169.254/latest/meta-data/",
        "https://100.64.0.1/cal.ics",
        "https://0.0.0.0/cal.ics",
        "https://224.0.0.1/cal.ics",
        "https://[::1]/cal.ics",
        "https://[fe80::1]/cal.ics",
        "https://[fd00::1]/cal.ics",
        "https://[::ffff:127.0.0.1]/cal.ics",
        "https://[::ffff:10.0.0.1]/cal.ics",
        "https://[::]/cal.ics",
        "webcal://127.0.0.1/cal.ics",
    ],
)
def test_private_addresses_are_refused_without_the_sandbox(url: str) -> None:
    public_only = FetchLimits(timeout_seconds=1.5, max_bytes=1024, max_redirects=5, allow_local=False)
    assert problem_of(url, public_only).key == "calendar.error.private_address"


def test_public_addresses_are_public() -> None:
    import ipaddress

    assert is_public(ipaddress.ip_address("93.184.216.34"))
    assert is_public(ipaddress.ip_address("2606:2800:220:1:248:1893:25c8:1946"))
    assert not is_public(ipaddress.ip_address("::ffff:192.168.0.1"))
    assert not is_public(ipaddress.ip_address("2002:c0a8:0001::1"))  # 6to4 of 192.168.0.1


@pytest.mark.parametrize(
    ("url", "allow_local", "key"),
    [
        ("http://calendar.example.com/cal.ics", False, "calendar.error.scheme"),
        ("ftp://calendar.example.com/cal.ics", True, "calendar.error.scheme"),
        ("file:///etc/passwd", True, "calendar.error.scheme"),
        ("calendar.example.com/cal.ics", False, "calendar.error.address"),
        ("not an address", False, "calendar.error.address"),
        ("", False, "calendar.error.address"),
        ("https://user:secret@calendar.example.com/cal.ics", False, "calendar.error.address"),
        ("https://calendar.example.com:99999/cal.ics", False, "calendar.error.address"),
    ],
)
def test_check_address_refuses_without_the_network(url: str, allow_local: bool, key: str) -> None:
    with pytest.raises(FeedProblem) as caught:
        check_address(url, allow_local=allow_local)
    assert caught.value.key == key


@pytest.mark.parametrize(
    ("url", "allow_local"),
    [
        ("https://calendar.google.com/calendar/ical/abc%40group/private-x/basic.ics", False),
        ("webcal://p42-caldav.icloud.com/published/2/MTIz", False),
        ("  https://outlook.office365.com/owa/calendar/x/reachcalendar.ics  ", False),
        ("http://127.0.0.1:8080/cal.ics", True),
    ],
)
def test_check_address_accepts_what_calendars_hand_out(url: str, allow_local: bool) -> None:
    check_address(url, allow_local=allow_local)
