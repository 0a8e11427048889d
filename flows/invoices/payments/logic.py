"""Getting paid, as plain functions over our rows: Stripe's word on an invoice moves our row forward, once.

Stripe's events arrive in any order and more than once, and a button's own result races the webhook that
reports the same change. Both come through ``apply_stripe_invoice``: a status only ever moves forward
(open → uncollectible → paid or void; paid and void are final) and the move is a compare-and-set in the
database, so exactly one caller learns of each change and is the one to tell Slack about it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from bot.db import Database
from bot.models import Client, HandledRequest, Invoice, saved_id, utcnow

log = logging.getLogger(__name__)

# How far along an invoice is; Stripe never takes one back, and neither do we.
RANK = {"draft": 0, "open": 1, "uncollectible": 2, "paid": 3, "void": 3}
FINAL = frozenset({"paid", "void"})
COLLECTABLE = ("open", "uncollectible")
# Stripe's invoice no longer says whether a payment was made outside Stripe: "Mark as paid" notes it here,
# before asking Stripe, so whichever of the button and the webhook records the change words it right.
MARKED_PAID = "invoice_marked_paid"


@dataclass(frozen=True)
class Change:
    """A status our row has just taken on, handed to the one caller that made the change."""

    invoice: Invoice
    before: str
    paid_out_of_band: bool


def moves_forward(current: str, new: str) -> bool:
    if current in FINAL or new not in RANK:
        return False
    return RANK[new] > RANK.get(current, 0)


def load(db: Database, team_id: str, invoice_id: int) -> tuple[Invoice, Client] | None:
    with db.session() as session:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None or invoice.team_id != team_id:
            return None
        client = session.get(Client, invoice.client_id)
        return (invoice, client) if client is not None else None


def get_invoice(db: Database, invoice_id: int) -> Invoice | None:
    with db.session() as session:
        return session.get(Invoice, invoice_id)


def find_by_stripe(db: Database, stripe_invoice_id: str, account_id: str | None) -> Invoice | None:
    """Our invoice for a Stripe invoice on that account; None for one we did not make (or another account's)."""
    with db.session() as session:
        invoice = session.exec(select(Invoice).where(Invoice.stripe_invoice_id == stripe_invoice_id)).first()
    if invoice is None or invoice.stripe_account_id != account_id:
        return None
    return invoice


def _timestamp(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value else None


def apply_stripe_invoice(db: Database, stripe_invoice: dict[str, Any], account_id: str | None) -> Change | None:
    """Record Stripe's status for the invoice when it moves ours forward; the Change, to this caller only."""
    invoice = find_by_stripe(db, str(stripe_invoice["id"]), account_id)
    if invoice is None:
        log.info("Stripe invoice %s on %s is not one of ours: ignored", stripe_invoice.get("id"), account_id)
        return None
    new_status = str(stripe_invoice.get("status"))
    if not moves_forward(invoice.status, new_status):
        return None
    transitions = stripe_invoice.get("status_transitions") or {}
    values: dict[str, Any] = {
        "status": new_status,
        "amount_paid": int(stripe_invoice.get("amount_paid") or 0),
        "amount_remaining": int(stripe_invoice.get("amount_remaining") or 0),
        "updated_at": utcnow(),
    }
    if new_status == "paid":
        values["paid_at"] = _timestamp(transitions.get("paid_at")) or utcnow()
    with db.write_lock(), db.session() as session:
        # The status we read is part of the condition: of two callers racing with the same news, one updates.
        result = session.execute(
            update(Invoice).where(col(Invoice.id) == invoice.id, col(Invoice.status) == invoice.status).values(**values)
        )
        if int(getattr(result, "rowcount", 0) or 0) != 1:
            return None
    fresh = get_invoice(db, saved_id(invoice))
    assert fresh is not None
    out_of_band = new_status == "paid" and (bool(stripe_invoice.get("paid_out_of_band")) or was_marked_paid(db, fresh))
    return Change(fresh, invoice.status, out_of_band)


def note_marked_paid(db: Database, invoice: Invoice) -> None:
    db.claim_once(invoice.team_id, MARKED_PAID, str(invoice.id))


def forget_marked_paid(db: Database, invoice: Invoice) -> None:
    db.release(invoice.team_id, MARKED_PAID, str(invoice.id))


def was_marked_paid(db: Database, invoice: Invoice) -> bool:
    with db.session() as session:
        found = session.exec(
            select(HandledRequest.id).where(
                HandledRequest.team_id == invoice.team_id,
                HandledRequest.kind == MARKED_PAID,
                HandledRequest.key == str(invoice.id),
            )
        ).first()
    return found is not None


def claim_payment_failure(db: Database, invoice: Invoice, attempt_count: int) -> bool:
    """True once per failed attempt on an invoice still awaiting payment (a late failure after paid: False)."""
    current = get_invoice(db, saved_id(invoice))
    if current is None or current.status not in COLLECTABLE:
        return False
    return db.claim_once(invoice.team_id, "invoice_payment_failed", f"{invoice.id}:{attempt_count}")


def save_default_card(db: Database, client_id: int, payment_method_id: str) -> list[Invoice]:
    """Remember the client's card; their invoices still awaiting payment (whose buttons change)."""
    with db.write_lock(), db.session() as session:
        client = session.get(Client, client_id)
        if client is None:
            return []
        client.default_payment_method = payment_method_id
        session.add(client)
    with db.session() as session:
        statement = select(Invoice).where(
            Invoice.team_id == client.team_id,
            Invoice.client_id == client_id,
            col(Invoice.status).in_(COLLECTABLE),
        )
        return list(session.exec(statement.order_by(col(Invoice.id))))
