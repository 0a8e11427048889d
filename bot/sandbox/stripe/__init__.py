"""A faithful local Stripe for Billbot's tests and playground (the project's issue 3).

``StripeEmulator`` serves Stripe's wire protocol on loopback for the endpoints Billbot uses;
point ``STRIPE_API_BASE`` (api, connect and files base addresses) at ``emulator.url``.
"""

from __future__ import annotations

import threading

from .emulator import StripeEmulator

__all__ = ["StripeEmulator", "serve_forever"]


def serve_forever(host: str, port: int, webhook_url: str | None, webhook_secret: str | None) -> None:
    """Run an emulator in the foreground until Ctrl-C (``billbot stripe-emulator``)."""
    endpoints = [(webhook_url, webhook_secret or "whsec_emulator")] if webhook_url else []
    emulator = StripeEmulator(webhook_endpoints=endpoints).start(host=host, port=port)
    print(f"Stripe emulator listening on {emulator.url}")
    print(f"  STRIPE_API_BASE={emulator.url}")
    print(f"  API key:           {emulator.api_key}")
    print(f"  Connect client id: {emulator.connect_client_id}")
    print(f"  Platform account:  {emulator.platform_account_id}")
    if webhook_url:
        print(f"  Webhooks ->        {webhook_url} (secret {webhook_secret or 'whsec_emulator'})")
    print("Press Ctrl-C to stop.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
