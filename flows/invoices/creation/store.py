"""Our side of invoice creation: the draft row, its number and lines, and what Stripe gave back.

The draft is written in one transaction (number, invoice, lines, sessions), before anything is sent to
Stripe, so that whatever happens there the practice's invoice exists, with its number, and can be retried.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.db import Database
from bot.models import (
    Appointment,
    BillingSettings,
    Client,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    InvoiceRefund,
    TaxRate,
    utcnow,
)
from bot.typed_numbers import whole_number
from flows.invoices.correction.claims import take_original
from flows.invoices.forms import InvoiceForm
from flows.invoices.totals import Rate, totals

log = logging.getLogger(__name__)

NUMBER_PREFIX = "INV-"
NUMBER_MAX = 999_999_999  # nine digits: what `/invoice INV-…` looks up


@dataclass(frozen=True)
class InvoiceBundle:
    """An invoice with what its message and its Stripe mirror are made of."""

    invoice: Invoice
    lines: list[InvoiceLine]
    client: Client
    rates: dict[int, TaxRate]  # the lines' tax rates, by our id
    full_cards: bool = False  # the practice shows the client's name and the lines on channel cards
    refunds: tuple[InvoiceRefund, ...] = ()  # money given back on it (flows/invoices/refunds), oldest first


def format_number(number: int) -> str:
    return f"{NUMBER_PREFIX}{number:04d}"


def parse_number(text_: str) -> str | None:
    """``INV-0042``, ``inv-42`` or ``42`` → ``INV-0042``; None when it is not an invoice number."""
    raw = text_.strip().upper()
    if raw.startswith(NUMBER_PREFIX):
        raw = raw[len(NUMBER_PREFIX) :]
    elif raw.startswith("#"):
        raw = raw[1:]
    number = whole_number(raw, maximum=NUMBER_MAX)
    return None if number is None else format_number(number)


def next_number(session: Session, team_id: str) -> int:
    """The workspace's next invoice number, taken in this transaction.

    One UPDATE … RETURNING reads and increments the counter: PostgreSQL holds the row lock until this
    transaction ends, SQLite its single writer lock, so two creators can never both get the same number,
    and a transaction that rolls back gives its number back with it.
    """
    bump = text("UPDATE invoice_counters SET last_number = last_number + 1 WHERE team_id = :t RETURNING last_number")
    number = session.execute(bump, {"t": team_id}).scalar()
    if number is None:
        # The workspace's first invoice. Two first invoices at once: one insert wins, the other does nothing.
        dialect = session.get_bind().dialect.name
        insert: Any = postgres_insert if dialect == "postgresql" else sqlite_insert
        session.execute(
            insert(InvoiceCounter)
            .values(team_id=team_id, last_number=0)
            .on_conflict_do_nothing(index_elements=["team_id"])
        )
        number = session.execute(bump, {"t": team_id}).scalar()
    assert number is not None
    return int(number)


def find_by_request_key(team_id: str, request_key: str, *, db: Database) -> Invoice | None:
    with db.session() as session:
        query = select(Invoice).where(Invoice.team_id == team_id, Invoice.request_key == request_key)
        return session.exec(query).first()


def team_rates(session: Session, team_id: str, ids: set[int]) -> dict[int, TaxRate]:
    if not ids:
        return {}
    query = select(TaxRate).where(TaxRate.team_id == team_id, col(TaxRate.id).in_(ids))
    return {row.id: row for row in session.exec(query).all() if row.id is not None}


def create_draft(
    *,
    team_id: str,
    user_id: str,
    locale: str,
    form: InvoiceForm,
    request_key: str,
    channel_id: str | None,
    db: Database,
    replaces_id: int | None = None,
) -> tuple[Invoice, bool]:
    """(the draft, True) when this call made it; (the invoice made earlier for ``request_key``, False)."""
    existing = find_by_request_key(team_id, request_key, db=db)
    if existing is not None:
        return existing, False
    if not form.lines:
        raise ValueError("an invoice needs at least one line")
    try:
        with db.write_lock(), db.session() as session:
            # The counter first: the transaction takes its write lock before it reads anything.
            number = next_number(session, team_id)
            client = session.get(Client, form.client_id)
            if client is None or client.team_id != team_id:
                raise ValueError(f"client {form.client_id} is not one of {team_id}'s clients")
            rate_ids = {line.tax_rate_id for line in form.lines if line.tax_rate_id is not None}
            rates = team_rates(session, team_id, rate_ids)
            if set(rates) != rate_ids:
                raise ValueError(f"tax rates {sorted(rate_ids - set(rates))} are not {team_id}'s")
            computed = totals(
                [
                    (line.quantity, line.unit_amount, _rate(rates[line.tax_rate_id]) if line.tax_rate_id else None)
                    for line in form.lines
                ]
            )
            invoice = Invoice(
                team_id=team_id,
                number=format_number(number),
                request_key=request_key,
                client_id=form.client_id,
                currency=form.currency.lower(),
                status="draft",
                due_date=form.due_date,
                memo=(form.memo or "").strip() or None,
                subtotal=computed.subtotal,
                tax=computed.tax,
                total=computed.total,
                amount_remaining=computed.total,
                channel_id=channel_id,
                locale=locale,
                created_by=user_id,
                replaces_id=replaces_id,
            )
            session.add(invoice)
            session.flush()
            assert invoice.id is not None
            if replaces_id is not None:
                take_original(session, team_id, replaces_id, invoice.id)  # one correction of it at a time
            for position, (line, amounts) in enumerate(zip(form.lines, computed.lines, strict=True), start=1):
                session.add(
                    InvoiceLine(
                        team_id=team_id,
                        invoice_id=invoice.id,
                        position=position,
                        service_date=line.service_date,
                        description=line.description,
                        service_id=line.service_id,
                        quantity=line.quantity,
                        unit_amount=line.unit_amount,
                        amount=amounts.amount,
                        tax_rate_id=line.tax_rate_id,
                        tax_amount=amounts.tax,
                    )
                )
            if form.appointment_ids:
                _link_sessions(session, team_id, form.client_id, invoice.id, form.appointment_ids)
    except IntegrityError:
        # The same submission, made by a concurrent worker a moment earlier: its invoice is the one.
        raced = find_by_request_key(team_id, request_key, db=db)
        if raced is None:
            raise
        return raced, False
    return invoice, True


def _rate(row: TaxRate) -> Rate:
    return Rate(percentage=row.percentage, inclusive=row.inclusive)


def _link_sessions(session: Session, team_id: str, client_id: int, invoice_id: int, ids: tuple[int, ...]) -> None:
    result: Any = session.execute(
        update(Appointment)
        .where(
            col(Appointment.id).in_(ids),
            col(Appointment.team_id) == team_id,
            col(Appointment.client_id) == client_id,
            col(Appointment.invoice_id).is_(None),
        )
        .values(invoice_id=invoice_id)
    )
    if result.rowcount != len(set(ids)):
        # Another invoice took some of them meanwhile, or they are not this client's: the lines stay as typed.
        log.warning("invoice %s: %d of %d sessions were linked", invoice_id, result.rowcount, len(set(ids)))


# -- reading ----------------------------------------------------------------------------------------------


def linked_session_ids(invoice_id: int, *, db: Database) -> tuple[int, ...]:
    """The sessions (appointments) this invoice bills, by id."""
    with db.session() as session:
        query = select(Appointment.id).where(Appointment.invoice_id == invoice_id).order_by(col(Appointment.id))
        return tuple(row for row in session.exec(query).all() if row is not None)


def load(invoice_id: int, *, db: Database) -> InvoiceBundle | None:
    with db.session() as session:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None:
            return None
        return bundle_of(session, invoice)


def bundle_of(session: Session, invoice: Invoice) -> InvoiceBundle:
    lines = list(
        session.exec(
            select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id).order_by(col(InvoiceLine.position))
        ).all()
    )
    client = session.get(Client, invoice.client_id)
    assert client is not None
    rates = team_rates(session, invoice.team_id, {line.tax_rate_id for line in lines if line.tax_rate_id})
    settings = session.get(BillingSettings, invoice.team_id)
    full_cards = settings is not None and settings.full_channel_cards
    refunds = tuple(
        session.exec(
            select(InvoiceRefund).where(InvoiceRefund.invoice_id == invoice.id).order_by(col(InvoiceRefund.id))
        ).all()
    )
    return InvoiceBundle(
        invoice=invoice, lines=lines, client=client, rates=rates, full_cards=full_cards, refunds=refunds
    )


# -- what Stripe gave back --------------------------------------------------------------------------------


def save_invoice(invoice_id: int, *, db: Database, **fields: Any) -> Invoice:
    """Set ``fields`` on the invoice (one short transaction per step, so a failure later keeps them)."""
    with db.write_lock(), db.session() as session:
        invoice = session.get(Invoice, invoice_id)
        assert invoice is not None
        for name, value in fields.items():
            setattr(invoice, name, value)
        invoice.updated_at = utcnow()
        session.add(invoice)
        return invoice


def save_line_item(line_id: int, item_id: str, *, db: Database) -> None:
    with db.write_lock(), db.session() as session:
        line = session.get(InvoiceLine, line_id)
        assert line is not None
        line.stripe_invoice_item_id = item_id
        session.add(line)


def save_customer(client_id: int, customer_id: str, account_id: str | None, *, db: Database) -> None:
    with db.write_lock(), db.session() as session:
        client = session.get(Client, client_id)
        assert client is not None
        if client.stripe_account_id != account_id:
            # A new account (after a disconnect): the card saved on the old one cannot be charged from this one.
            client.default_payment_method = None
        client.stripe_customer_id = customer_id
        client.stripe_account_id = account_id
        session.add(client)
