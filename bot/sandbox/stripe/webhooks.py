"""Webhook delivery: Stripe-signed POSTs to the configured endpoints, retried with backoff.

Deliveries run on one background thread, never under the store lock, so a slow receiver
cannot stall the API. Retries are scheduled on a heap so a failing endpoint does not hold
back the others. Backoff is short (0.1 s doubling) so tests see retries quickly.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import http.client
import itertools
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


def signature_header(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` value Stripe would send (scheme v1: HMAC-SHA256 of "t.payload")."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


@dataclass(order=True)
class _Delivery:
    due: float
    seq: int
    url: str = field(compare=False)
    secret: str = field(compare=False)
    event_id: str = field(compare=False)
    payload: str = field(compare=False)
    attempt: int = field(compare=False, default=1)


@dataclass
class Attempt:
    event_id: str
    url: str
    attempt: int
    status: int | None  # None when the receiver could not be reached


class WebhookDispatcher:
    def __init__(self, *, backoff: float = 0.1, max_attempts: int = 5, timeout: float = 5.0) -> None:
        self.endpoints: list[tuple[str, str]] = []
        self.backoff = backoff
        self.max_attempts = max_attempts
        self.timeout = timeout
        self.attempts: list[Attempt] = []
        self._heap: list[_Delivery] = []
        self._seq = itertools.count()
        self._in_flight = 0
        self._cond = threading.Condition()
        self._stopped = False
        self._thread: threading.Thread | None = None

    def add_endpoint(self, url: str, secret: str) -> None:
        with self._cond:
            self.endpoints.append((url, secret))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="stripe-emulator-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def enqueue(self, event_id: str, payload: str) -> int:
        """Queue one delivery per endpoint; returns how many (the event's ``pending_webhooks``)."""
        with self._cond:
            now = time.monotonic()
            for url, secret in self.endpoints:
                heapq.heappush(self._heap, _Delivery(now, next(self._seq), url, secret, event_id, payload))
            self._cond.notify_all()
            return len(self.endpoints)

    def wait_idle(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._heap or self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{len(self._heap) + self._in_flight} webhook deliveries still pending")
                self._cond.wait(remaining)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (not self._heap or self._heap[0].due > time.monotonic()):
                    wait = self._heap[0].due - time.monotonic() if self._heap else None
                    self._cond.wait(wait)
                if self._stopped:
                    return
                delivery = heapq.heappop(self._heap)
                self._in_flight += 1
            status = self._post(delivery)
            with self._cond:
                self._in_flight -= 1
                self.attempts.append(Attempt(delivery.event_id, delivery.url, delivery.attempt, status))
                failed = status is None or not 200 <= status < 300
                if failed and delivery.attempt < self.max_attempts:
                    delivery.due = time.monotonic() + self.backoff * 2 ** (delivery.attempt - 1)
                    delivery.attempt += 1
                    delivery.seq = next(self._seq)
                    heapq.heappush(self._heap, delivery)
                self._cond.notify_all()

    def _post(self, delivery: _Delivery) -> int | None:
        parts = urlsplit(delivery.url)
        conn_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        body = delivery.payload.encode()
        try:
            conn = conn_class(parts.hostname or "127.0.0.1", parts.port, timeout=self.timeout)
            try:
                conn.request(
                    "POST",
                    (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
                    body=body,
                    headers={
                        "Content-Type": "application/json; charset=utf-8",
                        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                        "Stripe-Signature": signature_header(delivery.payload, delivery.secret),
                    },
                )
                response = conn.getresponse()
                response.read()
                return response.status
            finally:
                conn.close()
        except OSError:
            return None
