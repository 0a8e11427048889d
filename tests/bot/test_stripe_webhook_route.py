"""POST /stripe/webhook: only Stripe-signed events get through, each one is handled once."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from tests.conftest import STRIPE_WEBHOOK_SECRET, Billbot
from tests.harness.stripe_signing import stripe_signature


def event(event_id: str = "evt_1", event_type: str = "account.updated") -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "account": "acct_1",
            "api_version": "2026-08-27",
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": {"id": "acct_1", "object": "account", "charges_enabled": True}},
        }
    ).encode()


def deliver(billbot: Billbot, payload: bytes, signature: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return httpx.post(f"{billbot.app.url}/stripe/webhook", content=payload, headers=headers, timeout=10)


@pytest.fixture
def received(billbot: Billbot) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    billbot.app.services.stripe_events.on("account.updated", seen.append)
    return seen


def test_signed_event_reaches_its_handler(billbot: Billbot, received: list[dict[str, Any]]) -> None:
    payload = event()
    response = deliver(billbot, payload, stripe_signature(payload, STRIPE_WEBHOOK_SECRET))
    assert response.status_code == 200
    assert [e["id"] for e in received] == ["evt_1"]


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "t=1,v1=deadbeef",
        stripe_signature(event(), "whsec_someone_else"),
        stripe_signature(event(), STRIPE_WEBHOOK_SECRET, timestamp=int(time.time()) - 3600),  # replayed
        stripe_signature(event(), STRIPE_WEBHOOK_SECRET, timestamp=int(time.time()) + 600),  # dated ahead
        stripe_signature(event("evt_other"), STRIPE_WEBHOOK_SECRET),  # signature of another body
    ],
    ids=["missing", "garbage", "other-secret", "replayed", "future", "other-body"],
)
def test_unsigned_or_forged_event_is_refused_and_changes_nothing(
    billbot: Billbot, received: list[dict[str, Any]], signature: str | None
) -> None:
    response = deliver(billbot, event(), signature)
    assert response.status_code == 400
    assert received == []
    # The refused event left no claim behind: once properly signed, it is handled.
    payload = event()
    assert deliver(billbot, payload, stripe_signature(payload, STRIPE_WEBHOOK_SECRET)).status_code == 200
    assert len(received) == 1


def test_redelivered_event_is_handled_once(billbot: Billbot, received: list[dict[str, Any]]) -> None:
    payload = event("evt_dup")
    for _ in range(3):
        response = deliver(billbot, payload, stripe_signature(payload, STRIPE_WEBHOOK_SECRET))
        assert response.status_code == 200
    assert len(received) == 1


def test_failing_handler_makes_stripe_retry_and_the_retry_is_handled(billbot: Billbot) -> None:
    attempts: list[str] = []

    def flaky(evt: dict[str, Any]) -> None:
        attempts.append(evt["id"])
        if len(attempts) == 1:
            raise RuntimeError("database hiccup")

    billbot.app.services.stripe_events.on("invoice.paid", flaky)
    payload = event("evt_flaky", "invoice.paid")
    first = deliver(billbot, payload, stripe_signature(payload, STRIPE_WEBHOOK_SECRET))
    assert first.status_code == 500
    retry = deliver(billbot, payload, stripe_signature(payload, STRIPE_WEBHOOK_SECRET))
    assert retry.status_code == 200
    assert attempts == ["evt_flaky", "evt_flaky"]


def test_event_nobody_handles_is_acknowledged(billbot: Billbot) -> None:
    payload = event("evt_2", "customer.created")
    assert deliver(billbot, payload, stripe_signature(payload, STRIPE_WEBHOOK_SECRET)).status_code == 200


def test_signed_garbage_is_refused(billbot: Billbot) -> None:
    payload = b"not json at all"
    assert deliver(billbot, payload, stripe_signature(payload, STRIPE_WEBHOOK_SECRET)).status_code == 400
