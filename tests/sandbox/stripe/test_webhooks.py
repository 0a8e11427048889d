"""Webhook deliveries: signed the way stripe.Webhook.construct_event checks, retried on failure."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import stripe

from bot.sandbox.stripe import StripeEmulator

from .conftest import client_for

SECRET = "whsec_test_secret"


class Receiver:
    """A tiny loopback webhook endpoint that can be told to fail its first N requests."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.received: list[tuple[bytes, str]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = 500 if len(receiver.statuses) < receiver.fail_first else 200
                receiver.statuses.append(status)
                if status == 200:
                    receiver.received.append((body, self.headers["Stripe-Signature"]))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/stripe/webhooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def test_events_are_delivered_signed(emu: StripeEmulator, client: stripe.StripeClient, receiver: Receiver) -> None:
    emu.add_webhook_endpoint(receiver.url, SECRET)
    account = client.v1.accounts.create(params={"type": "standard"})
    customer = client.v1.customers.create(params={"email": "w@example.com"}, options={"stripe_account": account.id})
    emu.complete_onboarding(account.id)
    emu.wait_for_deliveries()
    events = [stripe.Webhook.construct_event(body, sig, SECRET) for body, sig in receiver.received]
    by_type = {e.type: e for e in events}
    created = by_type["customer.created"]
    assert created.data.object["id"] == customer.id
    assert created.account == account.id
    assert created.livemode is False and created.api_version == stripe.api_version
    assert by_type["account.updated"].data.previous_attributes["charges_enabled"] is False  # type: ignore[index]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(receiver.received[0][0], receiver.received[0][1], "whsec_wrong")
    assert client.v1.events.retrieve(created.id, options={"stripe_account": account.id}).type == "customer.created"


def test_platform_events_have_no_account(emu: StripeEmulator, client: stripe.StripeClient, receiver: Receiver) -> None:
    emu.add_webhook_endpoint(receiver.url, SECRET)
    client.v1.customers.create()
    emu.wait_for_deliveries()
    event = stripe.Webhook.construct_event(*receiver.received[0], SECRET)
    assert "account" not in event


def test_failed_deliveries_are_retried_with_backoff(client: stripe.StripeClient) -> None:
    receiver = Receiver(fail_first=2)
    emu = StripeEmulator(webhook_endpoints=[(receiver.url, SECRET)]).start()
    try:
        client_for(emu).v1.customers.create()
        emu.wait_for_deliveries()
        assert receiver.statuses == [500, 500, 200]
        assert [(a.attempt, a.status) for a in emu.delivery_attempts] == [(1, 500), (2, 500), (3, 200)]
        assert stripe.Webhook.construct_event(*receiver.received[0], SECRET).type == "customer.created"
    finally:
        emu.stop()
        receiver.close()


def test_unreachable_endpoint_gives_up_after_max_attempts() -> None:
    emu = StripeEmulator(
        webhook_endpoints=[("http://127.0.0.1:9/nowhere", SECRET)], webhook_max_attempts=3, webhook_backoff=0.01
    ).start()
    try:
        client_for(emu).v1.customers.create()
        emu.wait_for_deliveries()
        assert [a.status for a in emu.delivery_attempts] == [None, None, None]
    finally:
        emu.stop()


def test_events_helper_and_api_list(emu: StripeEmulator, client: stripe.StripeClient) -> None:
    client.v1.customers.create()
    client.v1.tax_rates.create(params={"display_name": "VAT", "percentage": 5, "inclusive": False})
    assert [e["type"] for e in emu.events()] == ["customer.created", "tax_rate.created"]
    assert [e.type for e in client.v1.events.list(params={"type": "tax_rate.*"}).data] == ["tax_rate.created"]
    assert emu.events(account=emu.platform_account_id)[0]["type"] == "customer.created"
