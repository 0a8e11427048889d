"""``StripeEmulator``: the public handle tests, the playground and the CLI use."""

from __future__ import annotations

import json
from typing import Any

from . import (
    billing,
    connect,
    credit_notes,
    events,
    files,
    invoice_payments,
    pages,
    payment_intents,
    payment_methods,
    payment_records,
    payments,
    refunds,
)
from .app import App, Fault
from .server import HttpServer
from .webhooks import WebhookDispatcher


class StripeEmulator:
    """A stateful local Stripe on loopback; point ``STRIPE_API_BASE`` (api, connect, files) at ``url``."""

    def __init__(
        self,
        api_key: str = "sk_test_emulator",
        connect_client_id: str = "ca_emulator",
        webhook_endpoints: list[tuple[str, str]] | None = None,
        *,
        account_link_ttl: float = 300.0,
        webhook_backoff: float = 0.1,
        webhook_max_attempts: int = 5,
    ) -> None:
        self._webhooks = WebhookDispatcher(backoff=webhook_backoff, max_attempts=webhook_max_attempts)
        for url, secret in webhook_endpoints or []:
            self._webhooks.add_endpoint(url, secret)
        self.app = App(
            api_key=api_key,
            connect_client_id=connect_client_id,
            account_link_ttl=account_link_ttl,
            webhooks=self._webhooks,
        )
        for module in (
            connect,
            billing,
            invoice_payments,
            payment_records,
            credit_notes,
            payment_methods,
            payment_intents,
            refunds,
            payments,
            files,
            events,
            pages,
        ):
            self.app.add_routes(module.routes())
        connect.new_account(
            self.app,
            self.app.platform_account_id,
            {"type": "standard", "business_profile": {"name": "Billbot platform"}},
            onboarded=True,
        )
        self._server: HttpServer | None = None
        self.url = ""

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> StripeEmulator:
        self._server = HttpServer(self.app, host, port)
        bound_host, bound_port = self._server.address
        self.url = f"http://{bound_host}:{bound_port}"
        self.app.base_url = self.url
        self._webhooks.start()
        self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        self._webhooks.stop()

    def __enter__(self) -> StripeEmulator:
        return self if self._server else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- configuration --------------------------------------------------------------------------

    @property
    def api_key(self) -> str:
        return self.app.api_key

    @property
    def connect_client_id(self) -> str:
        return self.app.connect_client_id

    @property
    def platform_account_id(self) -> str:
        return self.app.platform_account_id

    @property
    def account_link_ttl(self) -> float:
        return self.app.account_link_ttl

    @account_link_ttl.setter
    def account_link_ttl(self, seconds: float) -> None:
        self.app.account_link_ttl = seconds

    def add_webhook_endpoint(self, url: str, secret: str) -> None:
        self._webhooks.add_endpoint(url, secret)

    # --- test helpers ---------------------------------------------------------------------------

    def complete_onboarding(self, account_id: str, *, leave_due: list[str] | None = None) -> dict[str, Any]:
        """Act as the account holder finishing Stripe's onboarding form (same effect as the page)."""
        with self.app.store.lock:
            return connect.set_onboarding(self.app, account_id, leave_due)

    def events(self, type: str | None = None, account: str | None = None) -> list[dict[str, Any]]:
        """Events, oldest first, optionally of one type and for one account (default: every account)."""
        with self.app.store.lock:
            found: list[tuple[int, dict[str, Any]]] = []
            for (scope, kind), ids in self.app.store.by_scope.items():
                if kind != "event" or (account is not None and scope != account):
                    continue
                for event_id in ids:
                    record = self.app.store.objects[event_id]
                    if type is None or record.state["type"] == type:
                        found.append((record.state["seq"], json.loads(record.state["json"])))
        found.sort(key=lambda pair: pair[0])
        return [event for _, event in found]

    def wait_for_deliveries(self, timeout: float = 5.0) -> None:
        self._webhooks.wait_idle(timeout)

    @property
    def delivery_attempts(self) -> list[Any]:
        """Every webhook POST made so far (event id, url, attempt number, HTTP status or None)."""
        return list(self._webhooks.attempts)

    def fail_next(
        self,
        method: str,
        path_prefix: str,
        *,
        status: int = 500,
        error_type: str = "api_error",
        count: int = 1,
    ) -> None:
        """Answer the next ``count`` matching requests with a Stripe error, before any state changes."""
        with self.app.store.lock:
            self.app.faults.append(Fault(method.upper(), path_prefix, status, error_type, count))

    def seed_customers(self, count: int, *, account: str | None = None) -> list[str]:
        """Bulk-insert customers straight into the store (no HTTP, no events); for benchmarks."""
        from .protocol import new_id

        scope = account or self.platform_account_id
        ids = []
        with self.app.store.lock:
            now = self.app.now()
            for i in range(count):
                customer_id = new_id("cus_", 14)
                self.app.store.add(
                    "customer",
                    customer_id,
                    scope,
                    {
                        "id": customer_id,
                        "created": now,
                        "email": f"bulk{i}@example.com",
                        "name": f"Bulk {i}",
                        "metadata": {},
                        "invoice_prefix": new_id("", 8).upper(),
                    },
                )
                ids.append(customer_id)
        return ids
