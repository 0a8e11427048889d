"""Refunds as plain functions: our InvoiceRefund rows, the credit note on Stripe, and Stripe's word on them.

A refund is written first (``record_request``: one row per submission, found again by its request key), then
made on Stripe as Stripe recommends for invoices: a credit note on the paid invoice whose ``refund_amount``
refunds the invoice's payment (or, for an invoice paid outside Stripe, whose ``out_of_band_amount`` records the
money given back outside Stripe). The credit note's idempotency key is the row's, so a retry after Stripe
failed midway, a double click or a replay never refunds twice.

What was refunded is read back from Stripe (``sync``): the invoice's credit notes and their refunds. A row's
status only moves forward (pending → succeeded → failed or canceled: Stripe's refunds can fail after they
succeeded, never the other way) in a compare-and-set, so an old event never undoes a newer state and exactly
one caller learns of each change. ``Invoice.amount_refunded`` is the sum of the rows that succeeded, counted in
the same transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.db import Database
from bot.models import Invoice, InvoicePayment, InvoiceRefund, saved_id, utcnow
from bot.stripe_gateway import GatewayError, StripeGateway
from flows.invoices.payments.logic import was_marked_paid
from flows.invoices.refunds.validation import RefundForm

log = logging.getLogger(__name__)

# Rows that hold part of what was paid: being made, or made. A failed or canceled refund gives its amount back.
HOLDING = ("pending", "succeeded")
RANK = {"pending": 0, "succeeded": 1, "failed": 2, "canceled": 2}
METADATA_KEY = "billbot_refund"


@dataclass(frozen=True)
class Transition:
    """A status one refund row has just taken on, handed to the one caller that made the change."""

    refund: InvoiceRefund
    before: str
    invoice: Invoice


@dataclass(frozen=True)
class Pushed:
    """What making the refund on Stripe came to: Stripe's error (kept on the row), and the changes it made."""

    refund: InvoiceRefund
    invoice: Invoice
    error: str | None
    transitions: list[Transition]
    note_number: str | None = None  # the credit note's number, when this call made it ("…-CN-01")


# -- reading ------------------------------------------------------------------------------------------------


def refunds_of(invoice_id: int, *, db: Database) -> list[InvoiceRefund]:
    with db.session() as session:
        return _rows(session, invoice_id)


def _rows(session: Session, invoice_id: int) -> list[InvoiceRefund]:
    query = select(InvoiceRefund).where(InvoiceRefund.invoice_id == invoice_id).order_by(col(InvoiceRefund.id))
    return list(session.exec(query).all())


def get_refund(refund_id: int, *, db: Database) -> InvoiceRefund | None:
    with db.session() as session:
        return session.get(InvoiceRefund, refund_id)


def get_invoice(invoice_id: int, *, db: Database) -> Invoice | None:
    with db.session() as session:
        return session.get(Invoice, invoice_id)


def held(refunds: list[InvoiceRefund]) -> int:
    return sum(row.amount for row in refunds if row.status in HOLDING)


def left_to_refund(invoice: Invoice, refunds: list[InvoiceRefund]) -> int:
    """What is paid and not yet refunded or being refunded."""
    return max(paid_amount(invoice) - held(refunds), 0)


def paid_amount(invoice: Invoice) -> int:
    return invoice.amount_paid if invoice.amount_paid else (invoice.total if invoice.status == "paid" else 0)


def paid_outside(invoice: Invoice, *, db: Database) -> bool:
    """Paid outside Stripe: marked as paid, or paid only by payments recorded outside it (no charge to refund)."""
    if was_marked_paid(db, invoice):
        return True
    with db.session() as session:
        sources = set(session.exec(select(InvoicePayment.source).where(InvoicePayment.invoice_id == invoice.id)))
    return bool(sources) and sources == {"outside"}


def paid_outside_on_stripe(gateway: StripeGateway, invoice: Invoice, *, db: Database) -> bool:
    """Stripe's word on it (the invoice's ``amount_paid_off_stripe``: marked paid, or payment records), whoever
    recorded the payment; our own records when Stripe cannot be read."""
    try:
        current = gateway.retrieve_invoice(invoice.stripe_account_id, invoice.stripe_invoice_id or "")
    except GatewayError as exc:
        log.info("invoice %s not read from Stripe: %s", invoice.id, exc)
        return paid_outside(invoice, db=db)
    paid = int(current.get("amount_paid") or 0)
    return paid > 0 and int(current.get("amount_paid_off_stripe") or 0) >= paid


def refundable(invoice: Invoice) -> bool:
    return invoice.status == "paid" and bool(invoice.stripe_invoice_id)


# -- writing the request (before the ack) ------------------------------------------------------------------------


def record_request(
    invoice_id: int, form: RefundForm, *, team_id: str, user_id: str, request_key: str, db: Database
) -> InvoiceRefund | None:
    """The refund row for this submission: made now, or found (a retry, a double click); None when what is left
    to refund no longer covers it (another refund got there first)."""
    existing = find_request(team_id, request_key, db=db)
    if existing is not None:
        return existing
    invoice = get_invoice(invoice_id, db=db)
    if invoice is None or invoice.team_id != team_id or not refundable(invoice):
        return None
    outside = paid_outside(invoice, db=db)
    try:
        with db.write_lock(), db.session() as session:
            _lock_invoice(session, invoice_id)
            if form.amount > left_to_refund(invoice, _rows(session, invoice_id)):
                return None
            row = InvoiceRefund(
                team_id=team_id, invoice_id=invoice_id, amount=form.amount, currency=invoice.currency,
                outside=outside, reason=form.reason, note=form.note, request_key=request_key, created_by=user_id,
            )  # fmt: skip
            session.add(row)
            session.flush()
            return row
    except IntegrityError:
        # The same submission, written by its twin a moment earlier: that row is this one.
        return find_request(team_id, request_key, db=db)


def find_request(team_id: str, request_key: str, *, db: Database) -> InvoiceRefund | None:
    with db.session() as session:
        query = select(InvoiceRefund).where(InvoiceRefund.team_id == team_id, InvoiceRefund.request_key == request_key)
        return session.exec(query).first()


def _lock_invoice(session: Session, invoice_id: int) -> None:
    """Take the invoice's write lock first (a row lock on PostgreSQL, the writer lock on SQLite), so two writers of
    its refunds never both count what is left from the same reading."""
    session.execute(update(Invoice).where(col(Invoice.id) == invoice_id).values(updated_at=utcnow()))


# -- Stripe -----------------------------------------------------------------------------------------------


def idempotency_key(refund: InvoiceRefund) -> str:
    return f"billbot-refund-{refund.id}-credit-note"


def push(gateway: StripeGateway, refund_id: int, *, db: Database) -> Pushed | None:
    """Make the refund on Stripe (once: the row's idempotency key), then read back what Stripe holds."""
    refund = get_refund(refund_id, db=db)
    invoice = get_invoice(refund.invoice_id, db=db) if refund is not None else None
    if refund is None or invoice is None:
        return None
    if refund.stripe_credit_note_id is None and refund.status == "pending":
        refund = _settle_outside(gateway, refund, invoice, db=db)
        try:
            note = gateway.create_credit_note(
                invoice.stripe_account_id,
                invoice.stripe_invoice_id or "",
                amount=refund.amount,
                reason=refund.reason,
                refund_amount=0 if refund.outside else refund.amount,
                out_of_band_amount=refund.amount if refund.outside else 0,
                metadata={METADATA_KEY: str(refund.id), "billbot_invoice": str(invoice.id)},
                idempotency_key=idempotency_key(refund),
            )
        except GatewayError as exc:
            log.warning("refund %s of invoice %s: Stripe refused (%s): %s", refund.id, invoice.id, exc.code, exc)
            # The credit note may exist all the same (an answer lost on the way back): the sync finds it.
            transitions = _sync_quietly(gateway, invoice, db=db)
            fresh = _keep_error(refund_id, str(exc)[:500], db=db)
            current = get_invoice(saved_id(invoice), db=db) or invoice
            return Pushed(fresh, current, fresh.last_error, transitions)
        _save_note(refund_id, note, db=db)
        number = str(note.get("number") or "") or None
    else:
        number = None
    transitions = sync(gateway, invoice, db=db)
    fresh = get_refund(refund_id, db=db) or refund
    return Pushed(fresh, get_invoice(saved_id(invoice), db=db) or invoice, None, transitions, number)


def _settle_outside(gateway: StripeGateway, refund: InvoiceRefund, invoice: Invoice, *, db: Database) -> InvoiceRefund:
    """Whether the money goes back through Stripe (a refund of its payment) or went back outside it (out-of-band
    credit), as Stripe holds the invoice's payments: a paid invoice's never change, so every retry sends the same."""
    outside = paid_outside_on_stripe(gateway, invoice, db=db)
    if outside == refund.outside:
        return refund
    with db.write_lock(), db.session() as session:
        row = session.get(InvoiceRefund, saved_id(refund))
        assert row is not None
        row.outside = outside
        session.add(row)
        return row


def _sync_quietly(gateway: StripeGateway, invoice: Invoice, *, db: Database) -> list[Transition]:
    try:
        return sync(gateway, invoice, db=db)
    except GatewayError as exc:
        log.info("invoice %s: credit notes not read back: %s", invoice.id, exc)
        return []


def _keep_error(refund_id: int, error: str, *, db: Database) -> InvoiceRefund:
    """Stripe's error on the row, shown with Retry, unless the credit note was found made after all."""
    with db.write_lock(), db.session() as session:
        session.execute(
            update(InvoiceRefund)
            .where(col(InvoiceRefund.id) == refund_id, col(InvoiceRefund.stripe_credit_note_id).is_(None))
            .values(last_error=error, updated_at=utcnow())
        )
    found = get_refund(refund_id, db=db)
    assert found is not None
    return found


def _save_note(refund_id: int, note: dict[str, Any], *, db: Database) -> None:
    links = note.get("refunds") or []
    with db.write_lock(), db.session() as session:
        session.execute(
            update(InvoiceRefund)
            .where(col(InvoiceRefund.id) == refund_id)
            .values(
                stripe_credit_note_id=str(note["id"]),
                stripe_refund_id=_refund_id(links[0]) if links else None,
                last_error=None,
                updated_at=utcnow(),
            )
        )


def _refund_id(link: dict[str, Any]) -> str:
    refund = link.get("refund")
    return str(refund.get("id") if isinstance(refund, dict) else refund)


@dataclass(frozen=True)
class _Fact:
    """One credit note as Stripe holds it: how much it gave back and where that money stands."""

    note_id: str
    row_id: int | None
    amount: int  # refunded plus given back outside Stripe
    outside: bool
    reason: str | None
    status: str
    refund_id: str | None
    failure_reason: str | None


def read_stripe(gateway: StripeGateway, invoice: Invoice) -> list[_Fact]:
    """The invoice's credit notes that gave money back, and the state of each one's refunds."""
    facts = []
    for note in gateway.list_credit_notes(invoice.stripe_account_id, invoice.stripe_invoice_id or ""):
        links = note.get("refunds") or []
        out_of_band = int(note.get("out_of_band_amount") or 0)
        amount = out_of_band + sum(int(link.get("amount_refunded") or 0) for link in links)
        if amount <= 0:
            continue  # credit before payment, or to the customer's balance: no money given back
        refunds = [
            link["refund"] if isinstance(link.get("refund"), dict) and "status" in link["refund"]
            else gateway.retrieve_refund(invoice.stripe_account_id, _refund_id(link))
            for link in links
        ]  # fmt: skip
        statuses = {str(r.get("status")) for r in refunds}
        failed = next((r for r in refunds if r.get("status") in ("failed", "canceled")), None)
        if note.get("status") == "void":
            status = "canceled"
        elif failed is not None:
            status = str(failed["status"])
        elif statuses <= {"succeeded"}:
            status = "succeeded"
        else:
            status = "pending"
        row_id = str((note.get("metadata") or {}).get(METADATA_KEY) or "")
        facts.append(
            _Fact(
                note_id=str(note["id"]), row_id=int(row_id) if row_id.isdigit() else None, amount=amount,
                outside=out_of_band > 0 and not links, reason=note.get("reason"), status=status,
                refund_id=_refund_id(links[0]) if links else None,
                failure_reason=str(failed.get("failure_reason") or "unknown") if failed else None,
            )
        )  # fmt: skip
    return facts


def sync(gateway: StripeGateway, invoice: Invoice, *, db: Database) -> list[Transition]:
    """Our rows and ``amount_refunded`` as Stripe holds them now; the status changes this call made."""
    facts = read_stripe(gateway, invoice)
    invoice_id = saved_id(invoice)
    moved: list[tuple[InvoiceRefund, str]] = []
    with db.write_lock(), db.session() as session:
        _lock_invoice(session, invoice_id)
        rows = _rows(session, invoice_id)
        for fact in facts:
            row = _match(rows, fact)
            if row is None:
                # Made on Stripe's Dashboard: recorded, so the message and the sums count it too.
                row = InvoiceRefund(
                    team_id=invoice.team_id, invoice_id=invoice_id, amount=fact.amount, currency=invoice.currency,
                    outside=fact.outside, reason=fact.reason, request_key=f"stripe:{fact.note_id}",
                    stripe_credit_note_id=fact.note_id,
                )  # fmt: skip
                session.add(row)
                session.flush()
                rows.append(row)
            before = row.status
            _apply(row, fact)
            session.add(row)
            if row.status != before:
                moved.append((row, before))
        fresh = session.get(Invoice, invoice_id)
        assert fresh is not None
        fresh.amount_refunded = sum(row.amount for row in rows if row.status == "succeeded")
        session.add(fresh)
        session.flush()
        return [Transition(row, before, fresh) for row, before in moved]


def _match(rows: list[InvoiceRefund], fact: _Fact) -> InvoiceRefund | None:
    return next(
        (row for row in rows if row.stripe_credit_note_id == fact.note_id or (fact.row_id and row.id == fact.row_id)),
        None,
    )


def _apply(row: InvoiceRefund, fact: _Fact) -> None:
    row.stripe_credit_note_id = fact.note_id
    row.stripe_refund_id = row.stripe_refund_id or fact.refund_id
    row.last_error = None
    if RANK.get(fact.status, 0) > RANK.get(row.status, 0):
        # Forward only: an event read late, or a sync that read Stripe before another, changes nothing back.
        row.status = fact.status
        row.failure_reason = fact.failure_reason
    row.updated_at = utcnow()


# -- finding the invoice a webhook is about -------------------------------------------------------------------


def invoice_by_stripe(stripe_invoice_id: str, account_id: str | None, *, db: Database) -> Invoice | None:
    with db.session() as session:
        invoice = session.exec(select(Invoice).where(Invoice.stripe_invoice_id == stripe_invoice_id)).first()
    return invoice if invoice is not None and invoice.stripe_account_id == account_id else None


def invoice_of_refund(
    gateway: StripeGateway, refund_ids: list[str], payment_intent: str | None, account_id: str | None, *, db: Database
) -> Invoice | None:
    """Our invoice for a refund or a charge: by a refund we made, else by the payment Stripe says it paid."""
    if refund_ids:
        with db.session() as session:
            row = session.exec(select(InvoiceRefund).where(col(InvoiceRefund.stripe_refund_id).in_(refund_ids))).first()
        invoice = get_invoice(row.invoice_id, db=db) if row is not None else None
        if invoice is not None and invoice.stripe_account_id == account_id:
            return invoice
    if not payment_intent:
        return None
    stripe_invoice = gateway.invoice_of_payment_intent(account_id, payment_intent)
    return invoice_by_stripe(stripe_invoice, account_id, db=db) if stripe_invoice else None
