"""Payments towards an invoice, whole or part, as rows of ours first and Stripe's objects after.

A payment received outside Stripe (cash, a cheque, a bank transfer) is our ``InvoicePayment`` row, written
before Slack hears "ok", then reported to Stripe as a Payment Record and attached to the invoice, which
lowers its amount_remaining (a part) or pays it (all of it). A part charged on the card on file is a row too,
then a PaymentIntent attached to the invoice. Every Stripe call carries a key made of the row's id, so a
retry after a crash or a failure resumes the same payment and never makes a second one.

The invoice's amount_paid and amount_remaining are Stripe's, mirrored: they only grow and shrink in one
direction while the invoice is open (money in), so an older event can never undo a newer figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.db import Database
from bot.models import Invoice, InvoicePayment, saved_id, utcnow

OUTSIDE = "outside"
THROUGH_STRIPE = "stripe"
METHODS = ("cash", "cheque", "bank_transfer", "other")
CARD = "card"


@dataclass(frozen=True)
class PaymentForm:
    """What the Record payment (or Charge) modal asked for, checked."""

    method: str
    paid_on: date
    amount: int
    reference: str | None


def pending_total(db: Database, invoice: Invoice, *, besides: int | None = None) -> int:
    """Money recorded here and not yet attached on Stripe (so not yet in Stripe's amount_remaining)."""
    with db.session() as session:
        statement = select(func.coalesce(func.sum(InvoicePayment.amount), 0)).where(
            InvoicePayment.team_id == invoice.team_id,
            InvoicePayment.invoice_id == saved_id(invoice),
            col(InvoicePayment.stripe_invoice_payment_id).is_(None),
        )
        if besides is not None:
            statement = statement.where(col(InvoicePayment.id) != besides)
        return int(session.exec(statement).one())


def balance_due(invoice: Invoice) -> int:
    """What the client still owes, as Stripe last told us (the total until Stripe has said anything)."""
    if invoice.status in ("paid", "void"):
        return 0
    return invoice.amount_remaining if invoice.amount_remaining or invoice.amount_paid else invoice.total


def balance_left(db: Database, invoice: Invoice, *, besides: int | None = None) -> int:
    """The balance a new payment may pay at most: Stripe's, less what we recorded and Stripe has not yet."""
    return max(balance_due(invoice) - pending_total(db, invoice, besides=besides), 0)


def find_by_request(db: Database, team_id: str, request_key: str) -> InvoicePayment | None:
    with db.session() as session:
        return session.exec(
            select(InvoicePayment).where(InvoicePayment.team_id == team_id, InvoicePayment.request_key == request_key)
        ).first()


def get_payment(db: Database, payment_id: int) -> InvoicePayment | None:
    with db.session() as session:
        return session.get(InvoicePayment, payment_id)


def save_payment(
    db: Database,
    *,
    invoice: Invoice,
    form: PaymentForm,
    source: str,
    request_key: str,
    user_id: str,
) -> InvoicePayment:
    """The payment's row, once per request key: Slack's retry or a second press finds the first one."""
    found = find_by_request(db, invoice.team_id, request_key)
    if found is not None:
        return found
    row = InvoicePayment(
        team_id=invoice.team_id,
        invoice_id=saved_id(invoice),
        source=source,
        method=form.method,
        amount=form.amount,
        currency=invoice.currency,
        paid_on=form.paid_on,
        reference=form.reference,
        request_key=request_key,
        created_by=user_id,
    )
    try:
        with db.write_lock(), db.session() as session:
            session.add(row)
    except IntegrityError:
        # Another process wrote it between our read and our insert (the unique key decided).
        again = find_by_request(db, invoice.team_id, request_key)
        assert again is not None
        return again
    return row


def note_stripe_ids(
    db: Database,
    payment_id: int,
    *,
    payment_record: str | None = None,
    payment_intent: str | None = None,
    invoice_payment: str | None = None,
) -> InvoicePayment:
    with db.write_lock(), db.session() as session:
        row = session.get(InvoicePayment, payment_id)
        assert row is not None
        if payment_record:
            row.stripe_payment_record_id = payment_record
        if payment_intent:
            row.stripe_payment_intent_id = payment_intent
        if invoice_payment and row.stripe_invoice_payment_id is None:
            row.stripe_invoice_payment_id = invoice_payment
        session.add(row)
        return row


def drop_payment(db: Database, payment_id: int) -> None:
    """Stripe refused the payment for good (the invoice was paid meanwhile, a card declined): it is not money in."""
    with db.write_lock(), db.session() as session:
        row = session.get(InvoicePayment, payment_id)
        if row is not None and row.stripe_invoice_payment_id is None:
            session.delete(row)


def invoice_payment_of(
    stripe_invoice: dict[str, Any], *, payment_record: str | None, payment_intent: str | None
) -> str | None:
    """The id of the invoice_payment Stripe made for our record or intent, from an invoice with ``payments``."""
    for item in (stripe_invoice.get("payments") or {}).get("data") or []:
        payment = item.get("payment") or {}
        if payment_record and payment.get("payment_record") == payment_record:
            return str(item["id"])
        intent = payment.get("payment_intent")
        if isinstance(intent, dict):
            intent = intent.get("id")
        if payment_intent and intent == payment_intent:
            return str(item["id"])
    return None


def link_invoice_payment(db: Database, obj: dict[str, Any]) -> InvoicePayment | None:
    """``invoice_payment.paid``: our row for it gets Stripe's id (once); None when it is none of ours."""
    payment = obj.get("payment") or {}
    record, intent = payment.get("payment_record"), payment.get("payment_intent")
    if isinstance(intent, dict):
        intent = intent.get("id")
    with db.session() as session:
        statement = select(InvoicePayment)
        if record:
            statement = statement.where(InvoicePayment.stripe_payment_record_id == str(record))
        elif intent:
            statement = statement.where(InvoicePayment.stripe_payment_intent_id == str(intent))
        else:
            return None
        row = session.exec(statement).first()
    if row is None:
        return None
    return note_stripe_ids(db, saved_id(row), invoice_payment=str(obj["id"]))


def apply_amounts(db: Database, stripe_invoice: dict[str, Any], invoice: Invoice) -> Invoice | None:
    """Stripe's amount_paid / amount_remaining on an invoice still open; the fresh row when they moved forward.

    Money in only adds to amount_paid while the invoice is open, so a figure lower than ours is an older
    event arriving late, and is ignored. A status change goes through ``logic.apply_stripe_invoice`` instead.
    """
    if str(stripe_invoice.get("status")) != invoice.status or invoice.status in ("paid", "void"):
        return None
    paid = int(stripe_invoice.get("amount_paid") or 0)
    remaining = int(stripe_invoice.get("amount_remaining") or 0)
    if paid <= invoice.amount_paid:
        return None
    with db.write_lock(), db.session() as session:
        result = session.execute(
            update(Invoice)
            .where(
                col(Invoice.id) == invoice.id,
                col(Invoice.status) == invoice.status,
                col(Invoice.amount_paid) < paid,
            )
            .values(amount_paid=paid, amount_remaining=remaining, updated_at=utcnow())
        )
        if int(getattr(result, "rowcount", 0) or 0) != 1:
            return None
    with db.session() as session:
        return session.get(Invoice, invoice.id)


def payments_of(db: Database, invoice: Invoice) -> list[InvoicePayment]:
    with db.session() as session:
        statement = select(InvoicePayment).where(
            InvoicePayment.team_id == invoice.team_id, InvoicePayment.invoice_id == saved_id(invoice)
        )
        return list(session.exec(statement.order_by(col(InvoicePayment.id))))
