"""The charge itself: Stripe's invoices.pay with the card on file, once per invoice; a decline falls back to the
payment link (Stripe emails the invoice) and tells the practitioner."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

from bot.models import Client, Invoice
from bot.services import Services
from bot.slack_clients import client_for
from bot.slack_users import locale_of
from bot.stripe_gateway import GatewayError
from flows.autopay import store, views

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    state: str  # charged, declined, cancelled, retry
    reason: str | None = None


def idempotency_key(invoice: Invoice) -> str:
    """One per invoice: a retaken claim, Charge now and the scheduled charge all send it, so Stripe charges once."""
    return f"billbot-autopay-{invoice.id}"


def charge(services: Services, invoice_id: int) -> Outcome:
    """Charge a claimed row (state charging); records the outcome on the row."""
    with services.db.session() as session:
        invoice = session.get(Invoice, invoice_id)
        client = session.get(Client, invoice.client_id) if invoice is not None else None
    if invoice is None or client is None or invoice.status != "open" or not invoice.stripe_invoice_id:
        store.finish(services.db, invoice_id, "cancelled", "the invoice is no longer open")
        return Outcome("cancelled")
    row = store.get(services.db, invoice_id)
    card = client.default_payment_method if client.stripe_account_id == invoice.stripe_account_id else None
    if not card:
        return _declined(services, invoice, client, "no card on file")
    try:
        paid = services.stripe.pay_invoice(
            invoice.stripe_account_id,
            invoice.stripe_invoice_id,
            payment_method=card,
            idempotency_key=idempotency_key(invoice),
        )
    except GatewayError as exc:
        if exc.code == "card_declined" or exc.status == 402:
            return _declined(services, invoice, client, str(exc)[:300])
        if exc.retryable and (row is None or row.attempts < store.MAX_ATTEMPTS):
            log.warning("autopay of invoice %s: Stripe unreachable (%s); retried next sweep", invoice_id, exc)
            store.retry_later(services.db, invoice_id, str(exc)[:2000])
            return Outcome("retry", str(exc))
        return _refused(services, invoice, client, exc)
    log.info("autopay charged invoice %s (%s)", invoice_id, paid.get("status"))
    # The invoice's row and message follow Stripe's invoice.paid, as for every payment.
    store.finish(services.db, invoice_id, "charged")
    return Outcome("charged")


def _refused(services: Services, invoice: Invoice, client: Client, exc: GatewayError) -> Outcome:
    """Stripe refused for another reason: maybe the invoice was paid meanwhile; else the link, as for a decline."""
    try:
        current = services.stripe.retrieve_invoice(invoice.stripe_account_id, invoice.stripe_invoice_id or "")
    except GatewayError:
        current = {}
    if current.get("status") in ("paid", "void", "uncollectible"):
        store.finish(services.db, saved(invoice), "cancelled", f"the invoice is {current.get('status')}")
        return Outcome("cancelled")
    return _declined(services, invoice, client, str(exc)[:300])


def saved(invoice: Invoice) -> int:
    assert invoice.id is not None
    return invoice.id


def _declined(services: Services, invoice: Invoice, client: Client, reason: str) -> Outcome:
    """The client gets the payment link (once, with the Send payment link button's own key and claim), and the
    practitioner a DM saying so."""
    sent = _send_link(services, invoice, client)
    _tell_declined(services, invoice, client, reason, sent)
    store.finish(services.db, saved(invoice), "declined", reason)
    return Outcome("declined", reason)


def _send_link(services: Services, invoice: Invoice, client: Client) -> str:
    """'sent', 'already' (the link went before), 'no_email' or 'failed'."""
    if not client.email:
        return "no_email"
    if not services.db.claim_once(invoice.team_id, "invoice_link_sent", str(invoice.id)):
        return "already"
    try:
        services.stripe.send_invoice(
            invoice.stripe_account_id,
            invoice.stripe_invoice_id or "",
            idempotency_key=f"billbot-invoice-{invoice.id}-send",
        )
    except GatewayError as exc:
        services.db.release(invoice.team_id, "invoice_link_sent", str(invoice.id))
        log.warning("autopay fallback: invoice %s not sent: %s", invoice.id, exc)
        return "failed"
    return "sent"


def _tell_declined(services: Services, invoice: Invoice, client: Client, reason: str, sent: str) -> None:
    user = invoice.created_by
    web = client_for(services, invoice.team_id)
    if web is None or not user:
        return
    locale = locale_of(services, web, invoice.team_id, user)
    text = views.declined_dm(locale, invoice, client, reason, sent)
    try:
        web.chat_postMessage(channel=user, text=text)
    except SlackApiError as exc:
        log.warning("autopay decline of invoice %s not told: %s", invoice.id, exc.response.get("error"))
