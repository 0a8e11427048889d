"""The only module that imports ``stripe``.

Every call that acts for a practice takes its connected account id (None for the platform's own account)
and every create takes an idempotency key, so a retried request can never charge or create twice.
"""

from __future__ import annotations

from typing import Any

import stripe

from bot.settings import Settings


class WebhookRejected(Exception):
    """The payload is not a Stripe event signed with our secret."""


class StripeGateway:
    def __init__(self, settings: Settings) -> None:
        self._webhook_secret = settings.stripe_webhook_secret
        self._client: stripe.StripeClient | None = None
        if settings.stripe_api_key:
            base = settings.stripe_api_base
            addresses: dict[str, str | None] = {"api": base, "connect": base, "files": base} if base else {}
            self._client = stripe.StripeClient(
                settings.stripe_api_key,
                base_addresses=addresses,  # type: ignore[arg-type]
                max_network_retries=2,
            )

    @property
    def configured(self) -> bool:
        return self._client is not None

    @property
    def webhooks_configured(self) -> bool:
        return self._webhook_secret is not None

    def verify_webhook(self, payload: bytes, signature_header: str | None) -> dict[str, Any]:
        """The event as a plain dict, or WebhookRejected when the signature or the body is not right."""
        if self._webhook_secret is None:
            raise WebhookRejected("STRIPE_WEBHOOK_SECRET is not set")
        if not signature_header:
            raise WebhookRejected("no Stripe-Signature header")
        try:
            event = stripe.Webhook.construct_event(payload, signature_header, self._webhook_secret)
        except (ValueError, stripe.SignatureVerificationError) as exc:
            raise WebhookRejected(str(exc)) from exc
        return event.to_dict()
