"""Signed tokens for the browser round trips: the Connect OAuth ``state``, and the return and refresh links.

A token is ``base64url(json payload) "." base64url(HMAC-SHA256)``. The MAC covers a purpose name too, so a
return-link token can never pass as an OAuth state or the other way round. Tokens carry their own expiry;
single use (OAuth) is enforced by the caller with the database's claim-once ledger.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any

OAUTH_STATE = "oauth_state"
ONBOARDING = "onboarding"

# The key is derived from STRIPE_API_KEY rather than SLACK_SIGNING_SECRET: the Stripe key is set wherever
# this flow can run at all (no Stripe call works without it), while Socket Mode runs without a signing
# secret. Deriving (rather than using the key itself) keeps the raw Stripe key out of any other use and
# lets a new label give a new, unrelated key.
_KEY_LABEL = b"billbot/stripe_setup/signed-tokens/v1"


class TokenError(Exception):
    """The token is not ours, was altered, or has expired; ``reason`` is "invalid" or "expired"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def derive_key(server_secret: str) -> bytes:
    return hmac.new(server_secret.encode(), _KEY_LABEL, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, purpose: str, body: str) -> str:
    return _b64(hmac.new(key, f"{purpose}.{body}".encode(), hashlib.sha256).digest())


def sign(key: bytes, purpose: str, payload: dict[str, Any], *, ttl_seconds: int, now: float | None = None) -> str:
    issued = int(time.time() if now is None else now)
    body = _b64(json.dumps({**payload, "exp": issued + ttl_seconds}, separators=(",", ":")).encode())
    return f"{body}.{_mac(key, purpose, body)}"


def verify(key: bytes, purpose: str, token: str | None, *, now: float | None = None) -> dict[str, Any]:
    """The payload of a genuine, unexpired token; TokenError otherwise (checked in constant time)."""
    if not token or token.count(".") != 1 or len(token) > 2000:
        raise TokenError("invalid")
    body, mac = token.split(".")
    if not hmac.compare_digest(mac, _mac(key, purpose, body)):
        raise TokenError("invalid")
    try:
        payload = json.loads(_unb64(body))
    except (ValueError, binascii.Error) as exc:
        raise TokenError("invalid") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("exp"), int):
        raise TokenError("invalid")
    if (time.time() if now is None else now) > payload["exp"]:
        raise TokenError("expired")
    return payload
