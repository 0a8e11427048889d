"""The HTTP edge under hostile input: bodies too big, malformed signature headers, clocks off, deep JSON,
keep-alive after a refusal, and control characters typed into what Slack sends us.

Everything goes through the real server over real HTTP; nothing unsigned may be parsed or cost memory.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlmodel import select

from bot.clean_input import clean_text
from bot.models import Client, Invoice, InvoiceLine
from bot.server import SLACK_MAX_BODY_BYTES, STRIPE_MAX_BODY_BYTES
from flows.invoices import ids
from tests.conftest import ADMIN, SIGNING_SECRET, STRIPE_WEBHOOK_SECRET, TEAM_ID, Billbot
from tests.flows.clients.test_clients import add_clients
from tests.flows.clients.test_clients import command as client_command
from tests.flows.help.test_help import post as post_message
from tests.flows.invoices.test_modal import Practice, filled, line_keys, open_modal, submit, type_in, wait_text
from tests.harness.slack_requests import sign
from tests.harness.stripe_signing import stripe_signature

ROUTES = ("/slack/events", "/stripe/webhook")
MB = 1024 * 1024
CHUNK = b"x" * 65536  # one buffer, yielded again and again: the client holds 64 KB, whatever it sends


# -- helpers ------------------------------------------------------------------------------------------------


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/self/status")


def _reset_peak_rss() -> None:
    # Linux: writing 5 to clear_refs resets VmHWM (the peak RSS) to the current RSS.
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


def _chunks(total: int) -> Iterator[bytes]:
    for _ in range(total // len(CHUNK)):
        yield CHUNK


def _event(event_id: str = "evt_edge", obj: Any = None) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": "customer.created",
            "api_version": "2026-08-27",
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": obj if obj is not None else {"id": "cus_1", "object": "customer"}},
        }
    ).encode()


def _stripe_post(client: httpx.Client, bb: Billbot, payload: bytes, signature: str | bytes) -> httpx.Response:
    headers: dict[str, str | bytes] = {"Content-Type": "application/json", "Stripe-Signature": signature}
    return client.post(f"{bb.app.url}/stripe/webhook", content=payload, headers=headers)


def _slack_post(
    client: httpx.Client, bb: Billbot, body: bytes, content_type: str = "application/json", **headers: str | bytes
) -> httpx.Response:
    ts = str(int(time.time()))
    sent: dict[str, str | bytes] = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": sign(SIGNING_SECRET, int(ts), body),
    }
    sent.update({name.replace("_", "-"): value for name, value in headers.items()})
    return client.post(f"{bb.app.url}/slack/events", content=body, headers=sent)


def _url_verification() -> bytes:
    return json.dumps({"type": "url_verification", "token": "t", "challenge": "still-here"}).encode()


# -- 1. bodies too big cost nothing -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ROUTES)
def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(billbot: Billbot, path: str) -> None:
    """Only the headers are sent: the 413 must come at once, without waiting for (or reading) 256 MB."""
    with socket.create_connection(("127.0.0.1", billbot.app.port), timeout=3) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {256 * MB}\r\n\r\n".encode()
        )
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_big_unsigned_body_does_not_grow_the_server(billbot: Billbot, path: str, declared: bool) -> None:
    headers = {"Content-Type": "application/json"}
    if declared:
        headers["Content-Length"] = str(64 * MB)  # else httpx sends the generator chunked, length unknown
    with httpx.Client(timeout=30) as client:
        client.get(f"{billbot.app.url}/healthz")  # the connection and the route warmed up first
        _reset_peak_rss()
        before = _status_kb("VmRSS")
        response = client.post(f"{billbot.app.url}{path}", content=_chunks(64 * MB), headers=headers)
        growth_mb = (_status_kb("VmHWM") - before) / 1024
    assert response.status_code == 413
    assert growth_mb < 10, f"peak RSS grew by {growth_mb:.1f} MB for a 64 MB unsigned body"
    assert httpx.get(f"{billbot.app.url}/healthz", timeout=5).status_code == 200


def test_bodies_at_the_limit_are_still_read(billbot: Billbot) -> None:
    """The limits refuse only what is over them: a signed Slack body of exactly the limit is parsed (404: no
    listener for it), and a Stripe body of exactly its limit reaches the signature check (400: not an event)."""
    padding = SLACK_MAX_BODY_BYTES - len(b'{"type": "x", "p": ""}')
    with httpx.Client(timeout=10) as client:
        slack_body = json.dumps({"type": "x", "p": "x" * padding}).encode()
        assert len(slack_body) == SLACK_MAX_BODY_BYTES
        assert _slack_post(client, billbot, slack_body).status_code == 404
        stripe_body = b"x" * STRIPE_MAX_BODY_BYTES
        assert _stripe_post(client, billbot, stripe_body, stripe_signature(stripe_body, "whsec_x")).status_code == 400
        assert _stripe_post(client, billbot, stripe_body + b"x", "t=1,v1=0").status_code == 413


# -- 2. malformed signature headers are refused, not a 500 ------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Request-Timestamp": "abc"},
        {"X-Slack-Request-Timestamp": "1796218276.922"},
        {"X-Slack-Request-Timestamp": ""},
        {"X-Slack-Request-Timestamp": "9" * 5000},
        {"X-Slack-Signature": "v0=é".encode("latin-1")},
        {"X-Slack-Signature": ("v0=" + "é" * 64).encode()},
    ],
    ids=["letters", "decimal", "empty", "5000-digits", "latin1-signature", "utf8-signature"],
)
def test_malformed_slack_signature_headers_are_401(billbot: Billbot, headers: dict[str, str | bytes]) -> None:
    with httpx.Client(timeout=10) as client:
        response = _slack_post(client, billbot, _url_verification(), **headers)
    assert response.status_code == 401


@pytest.mark.parametrize(
    "signature",
    [
        lambda ts: f"t={ts},v1={'é' * 64}".encode(),
        lambda ts: f"t={ts},v1={'é' * 64}".encode("latin-1"),
        lambda ts: f"t={ts},v1=00,v1={'€' * 20}".encode(),
    ],
    ids=["utf8-signature", "latin1-signature", "second-signature"],
)
def test_malformed_stripe_signature_headers_are_refused_like_bad_signatures(billbot: Billbot, signature: Any) -> None:
    received: list[dict[str, Any]] = []
    billbot.app.services.stripe_events.on("customer.created", received.append)
    with httpx.Client(timeout=10) as client:
        response = _stripe_post(client, billbot, _event(), signature(int(time.time())))
    assert response.status_code == 400
    assert received == []


# -- 3. timestamps outside the tolerance, in both directions ----------------------------------------------


def test_a_signed_stripe_event_dated_ten_minutes_ahead_is_refused(billbot: Billbot) -> None:
    received: list[dict[str, Any]] = []
    billbot.app.services.stripe_events.on("customer.created", received.append)
    payload = _event()
    signature = stripe_signature(payload, STRIPE_WEBHOOK_SECRET, timestamp=int(time.time()) + 600)
    with httpx.Client(timeout=10) as client:
        assert _stripe_post(client, billbot, payload, signature).status_code == 400
        assert received == []
        # The same event, signed now, goes through: the refusal left no claim behind.
        assert (
            _stripe_post(client, billbot, payload, stripe_signature(payload, STRIPE_WEBHOOK_SECRET)).status_code == 200
        )
    assert len(received) == 1


def test_every_timestamp_in_the_stripe_header_must_be_within_the_tolerance(billbot: Billbot) -> None:
    """stripe's verifier reads only the first t=; a second one, in the future, must not slip through."""
    received: list[dict[str, Any]] = []
    billbot.app.services.stripe_events.on("customer.created", received.append)
    payload = _event()
    good = stripe_signature(payload, STRIPE_WEBHOOK_SECRET)
    with httpx.Client(timeout=10) as client:
        response = _stripe_post(client, billbot, payload, f"{good},t={int(time.time()) + 600}")
    assert response.status_code == 400
    assert received == []


def test_a_signed_slack_request_dated_ten_minutes_ahead_is_refused(billbot: Billbot) -> None:
    """slack_sdk compares with abs(): this guards that a future timestamp stays refused."""
    body = urlencode({"command": "/billing", "team_id": TEAM_ID, "user_id": ADMIN}).encode()
    response = billbot.requests.post(body, "application/x-www-form-urlencoded", timestamp=int(time.time()) + 600)
    assert response.status_code == 401
    assert [c.method for c in billbot.slack.calls(team_id=TEAM_ID) if c.method != "auth.test"] == []


# -- 4. signed JSON nested far too deep is a 400 ------------------------------------------------------------


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [100, 1000, 100_000])
def test_a_signed_event_nested_too_deep_is_a_400(billbot: Billbot, depth: int) -> None:
    body = f'{{"type": "event_callback", "team_id": "{TEAM_ID}", "event_id": "Ev1", "event": {_nested(depth)}}}'
    with httpx.Client(timeout=10) as client:
        assert _slack_post(client, billbot, body.encode()).status_code == 400


@pytest.mark.parametrize("depth", [100, 1000, 100_000])
def test_a_signed_payload_field_nested_too_deep_is_a_400(billbot: Billbot, depth: int) -> None:
    payload = f'{{"type": "block_actions", "team": {{"id": "{TEAM_ID}"}}, "actions": {_nested(depth)}}}'
    body = urlencode({"payload": payload}).encode()
    with httpx.Client(timeout=10) as client:
        assert _slack_post(client, billbot, body, "application/x-www-form-urlencoded").status_code == 400


@pytest.mark.parametrize("depth", [1000, 100_000])
def test_a_signed_stripe_event_nested_too_deep_is_refused(billbot: Billbot, depth: int) -> None:
    payload = _event(obj="DEEP").replace(b'"DEEP"', _nested(depth).encode())
    with httpx.Client(timeout=10) as client:
        assert (
            _stripe_post(client, billbot, payload, stripe_signature(payload, STRIPE_WEBHOOK_SECRET)).status_code == 400
        )


# -- 5. a refused request does not break the keep-alive connection ------------------------------------------


def test_a_bad_request_leaves_the_keep_alive_connection_serving(billbot: Billbot) -> None:
    now = int(time.time())
    bad: list[Any] = [
        lambda c: _slack_post(c, billbot, _url_verification(), X_Slack_Request_Timestamp="abc"),
        lambda c: _slack_post(c, billbot, _url_verification(), X_Slack_Signature="v0=é".encode("latin-1")),
        lambda c: _slack_post(c, billbot, b'{"event": ' + _nested(1000).encode() + b"}"),
        lambda c: _slack_post(c, billbot, b"{not json"),
        lambda c: _slack_post(c, billbot, _url_verification(), X_Slack_Signature="v0=" + "0" * 64),
        lambda c: _stripe_post(c, billbot, _event(), f"t={now},v1={'é' * 64}".encode()),
        lambda c: _stripe_post(c, billbot, _event(), stripe_signature(_event(), STRIPE_WEBHOOK_SECRET, now + 600)),
    ]
    with httpx.Client(timeout=10) as client:
        for send in bad:
            refused = send(client)
            assert 400 <= refused.status_code < 500
            assert refused.headers.get("connection") != "close"
            good = _slack_post(client, billbot, _url_verification())
            assert good.status_code == 200 and "still-here" in good.text
            # The same TCP connection answered both: the refusal did not close it.
            assert _local_address(refused) == _local_address(good)


def _local_address(response: httpx.Response) -> Any:
    return response.extensions["network_stream"].get_extra_info("client_addr")


# -- 6. control characters typed into Slack are stripped once, at the edge ----------------------------------


def test_clean_text_keeps_tabs_and_newlines_and_strips_the_rest() -> None:
    assert clean_text("a\x00b\x07c\x1f\x0bd\ud800e\tf\ng\rh") == "abcde\tf\ng\rh"
    same = "nothing to strip, é ü 日本"
    assert clean_text(same) is same


def test_control_characters_in_memo_and_line_description_still_make_the_invoice(billbot: Billbot) -> None:
    practice = Practice(billbot)
    client_id = practice.client("Élodie Dupré")
    view = open_modal(billbot)
    values = filled(billbot, practice, view, client_id, "Élodie Dupré")
    type_in(values, view, line_keys(view)[0], ids.LINE_DESCRIPTION, "Consul\x00tation\ud800")
    values[ids.MEMO_BLOCK] = {ids.MEMO_BLOCK: {"type": "plain_text_input", "value": "Notes\x00\x1b privées\nligne 2"}}
    assert submit(billbot, view, values)["response_action"] == "update"
    wait_text(billbot, view["id"], "INV-0001")
    services = billbot.app.services
    with services.db.session() as session:
        [invoice] = session.exec(select(Invoice)).all()
        [line] = session.exec(select(InvoiceLine)).all()
        assert invoice.memo == "Notes privées\nligne 2"
        assert line.description == "Consultation"
    assert billbot.slack.wait_for(lambda: services.work.counts() == {"pending": 0, "failed": 0})


def test_a_nul_in_client_search_text_still_finds_the_client(billbot: Billbot) -> None:
    add_clients(billbot, "Élodie Dupré", "Marc Petit")
    message = client_command(billbot, "Élo\x00die")  # urlencoded as %00, as Slack sends it
    assert message.blocks[0]["text"]["text"] == "Élodie Dupré"
    assert billbot.slack.wait_for(lambda: billbot.app.services.work.counts() == {"pending": 0, "failed": 0})


def test_a_nul_in_a_dm_to_the_bot_still_gets_its_answer(billbot: Billbot) -> None:
    """A NUL typed inside a client's name must not change the answer (it broke the name match)."""
    with billbot.app.services.db.session() as session:
        jane = Client(team_id=TEAM_ID, name="Jane Doe", name_key="jane doe")
        session.add(jane)
        session.flush()
        session.add(Invoice(team_id=TEAM_ID, number="INV-0042", request_key="INV-0042", client_id=jane.id,
                            currency="eur", status="open", due_date=date.today(), total=8000, subtotal=8000,
                            amount_remaining=8000, amount_paid=0))  # fmt: skip
    dm = billbot.workspace.im_channel(ADMIN).id
    asked = post_message(billbot, "How much does Ja\x00ne owe?\x00", channel=dm, channel_type="im")

    def bot_answers() -> list[Any]:
        seen = [*billbot.workspace.thread(dm, asked), *billbot.workspace.ephemeral(dm, ADMIN)]
        return [m for m in seen if m.user == "U0BOT" and m.thread_ts == asked]

    answer = billbot.slack.wait_for(bot_answers)[0]
    assert "Jane Doe owes €80.00" in answer.text
    assert billbot.slack.wait_for(lambda: billbot.app.services.work.counts() == {"pending": 0, "failed": 0})
