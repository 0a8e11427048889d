"""One invoice as one reader may see it: `/invoice INV-0042` (listing), and the channel card's **Details** button
(message.listeners).

The channel card shows the number, the client's initials, amounts, dates and status. What else a reader gets
follows bot.permissions.Access: the client's name and the lines for the invoice's creator, billing admins (and
every member when the practice allows it); the memo and session notes for the creator and billing admins.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import col, select

from bot.db import Database
from bot.i18n import t
from bot.models import Appointment
from bot.permissions import Access
from flows.invoices.creation import store
from flows.invoices.message.views import invoice_message

Message = dict[str, Any]


def session_notes(team_id: str, invoice_id: int, *, db: Database) -> list[tuple[date, str]]:
    """The notes of the sessions this invoice bills, oldest first (sessions without a note left out)."""
    with db.session() as session:
        query = (
            select(col(Appointment.held_on), col(Appointment.notes))
            .where(Appointment.team_id == team_id, Appointment.invoice_id == invoice_id)
            .where(col(Appointment.notes).is_not(None))
            .order_by(col(Appointment.held_on), col(Appointment.id))
        )
        return [(held_on, notes) for held_on, notes in session.exec(query).all() if notes and notes.strip()]


def card_for(
    bundle: store.InvoiceBundle, reader: Access, locale: str, today: date, *, buttons: bool, db: Database
) -> Message:
    """The invoice for ``reader`` alone (an ephemeral answer); ``buttons``: with the payment buttons."""
    invoice = bundle.invoice
    assert invoice.id is not None
    private = reader.private_notes(invoice)
    notes = session_notes(invoice.team_id, invoice.id, db=db) if private else None
    if reader.invoice_details(invoice):
        text, blocks = invoice_message(
            invoice, bundle.lines, bundle.client, bundle.rates, locale, private=private, full_card=True,
            notes=notes, today=today, refunds=bundle.refunds,
        )  # fmt: skip
    else:
        text, blocks = invoice_message(
            invoice, bundle.lines, bundle.client, bundle.rates, locale, details_button=False,
            notice=t(locale, "privacy.invoice.limited"), today=today, refunds=bundle.refunds,
        )  # fmt: skip
    if not buttons:
        blocks = [block for block in blocks if block.get("type") != "actions"]
    return {"text": text, "blocks": blocks}
