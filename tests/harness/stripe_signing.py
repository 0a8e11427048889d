"""Signs a webhook body as Stripe does: ``Stripe-Signature: t=<unix time>,v1=<HMAC-SHA256 of "t.body">``."""

from __future__ import annotations

import hashlib
import hmac
import time


def stripe_signature(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    ts = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{ts}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={ts},v1={digest}"
