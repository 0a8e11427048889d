"""Stripe emailing an invoice with its payment link, once per invoice from Billbot's buttons (the reminders re-send
later ones on their own schedule): the Send payment link button and ``services.invoice_sessions`` share it."""

from __future__ import annotations

from typing import Any

from bot.models import Invoice
from bot.services import Services
from bot.stripe_gateway import GatewayError

LINK_SENT = "invoice_link_sent"  # the ledger's claim: one email per invoice


def email_once(services: Services, invoice: Invoice) -> dict[str, Any] | None:
    """Stripe's invoice when it emailed it now, None if it had before; GatewayError (claim given back) if it failed."""
    if not services.db.claim_once(invoice.team_id, LINK_SENT, str(invoice.id)):
        return None
    try:
        return services.stripe.send_invoice(
            invoice.stripe_account_id,
            invoice.stripe_invoice_id or "",
            idempotency_key=f"billbot-invoice-{invoice.id}-send",
        )
    except GatewayError:
        services.db.release(invoice.team_id, LINK_SENT, str(invoice.id))
        raise
