"""A correction on Stripe, as invoice creation's push makes it (flows.invoices.creation.stripe calls these).

Stripe's own mechanism first: ``invoices.create(from_invoice={"action": "revision", "invoice": old})`` makes a
draft that starts as a copy of the old invoice and, once finalized, voids it (Stripe links the two with
``from_invoice`` / ``latest_revision``). The copy's lines are the old ones: they are deleted, and the corrected
lines added as on any new invoice. Where a revision does not apply (the old invoice is a draft, on another
Stripe account, for another client or currency, or Stripe refuses to revise it), the new invoice is made as any
other and the old one is voided just before the new one is finalized: never two open invoices for one bill.

Each step is safe to run again: the revision's key is derived from our new invoice's id, lines already ours are
kept, and what is already void or deleted is left as it is.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.db import Database
from bot.models import Invoice
from bot.services import Services
from bot.stripe_gateway import GatewayError

log = logging.getLogger(__name__)

REVISABLE = ("open", "uncollectible")  # Stripe revises these only


def original_of(invoice: Invoice, *, db: Database) -> Invoice:
    with db.session() as session:
        found = session.get(Invoice, invoice.replaces_id)
    if found is None or found.team_id != invoice.team_id:
        raise GatewayError(f"the invoice {invoice.number} replaces is gone", code="replaced_missing", status=404)
    return found


def revisable(original: Invoice, invoice: Invoice, account_id: str | None) -> bool:
    """Whether Stripe can make the new invoice as a revision of the original (same account, customer, currency)."""
    return (
        original.stripe_invoice_id is not None
        and original.status in REVISABLE
        and original.stripe_account_id == account_id
        and original.client_id == invoice.client_id
        and original.currency == invoice.currency
    )


def create_revision(
    services: Services, invoice: Invoice, account_id: str | None, *, due_date: int, metadata: dict[str, str]
) -> dict[str, Any] | None:
    """The new invoice as Stripe's revision of the one it replaces; None where a revision does not apply."""
    original = original_of(invoice, db=services.db)
    if not revisable(original, invoice, account_id):
        return None
    try:
        return services.stripe.revise_invoice(
            account_id,
            str(original.stripe_invoice_id),
            due_date=due_date,
            metadata=metadata,
            idempotency_key=f"billbot:{invoice.team_id}:invoice:{invoice.id}:revision",
        )
    except GatewayError as exc:
        if exc.retryable:
            raise
        # Refused for good (paid in part meanwhile, say): a new invoice, the old one voided before it is final.
        log.info("invoice %s: Stripe does not revise %s (%s): void and reissue", invoice.id, original.id, exc.code)
        return None


def drop_copied_lines(services: Services, invoice: Invoice, account_id: str | None, stripe_invoice_id: str) -> None:
    """Delete the lines a revision copied from its original (ours carry our invoice's id in their metadata)."""
    for item in services.stripe.list_invoice_items(account_id, stripe_invoice_id):
        if (item.get("metadata") or {}).get("billbot_invoice_id") == str(invoice.id):
            continue
        try:
            services.stripe.delete_invoice_item(account_id, str(item["id"]))
        except GatewayError as exc:
            if exc.code != "resource_missing":
                raise


def before_finalize(services: Services, invoice: Invoice, account_id: str | None, stripe_invoice_id: str) -> None:
    """Still the correction of its original? Then, unless Stripe revises it, the original is voided now."""
    original = original_of(invoice, db=services.db)
    if original.replaced_by_id != invoice.id:
        raise GatewayError(
            f"{original.number} is being corrected by another invoice now", code="superseded", status=409
        )
    current = services.stripe.retrieve_invoice(account_id, stripe_invoice_id)
    if current.get("from_invoice"):
        return  # a revision: Stripe voids the original as it finalizes this one
    retire_on_stripe(services, original)


def retire_on_stripe(services: Services, original: Invoice) -> None:
    """Void the original on its own Stripe account (delete it if it is still a draft there); paid: refused."""
    if original.stripe_invoice_id is None:
        return  # a draft on our side only
    account = original.stripe_account_id
    try:
        theirs = services.stripe.retrieve_invoice(account, original.stripe_invoice_id)
    except GatewayError as exc:
        if exc.code == "resource_missing":
            return  # a draft deleted by an earlier run
        raise
    status = theirs.get("status")
    if status == "void":
        return
    if status == "draft":
        services.stripe.delete_draft_invoice(account, original.stripe_invoice_id)
    elif status in REVISABLE:
        services.stripe.void_invoice(
            account,
            original.stripe_invoice_id,
            idempotency_key=f"billbot:{original.team_id}:invoice:{original.id}:void-replaced",
        )
    else:
        raise GatewayError(
            f"{original.number} is {status} on Stripe: it can't be replaced", code=str(status), status=400
        )
