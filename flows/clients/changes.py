"""Changing a client and their sessions: edit, merge, archive, forget (GDPR erasure), edit and delete a session.

Plain functions over the database, testable without Slack. Each write that a submission starts is claimed once
in the ``handled_requests`` ledger in the same transaction (Slack's retries and the work queue's replays find
the claim and change nothing twice). The Stripe side (the customer mirrored or deleted) is
``flows.clients.stripe_mirror``'s, run after these commit, so a Stripe failure never loses what was saved here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from bot.db import Database
from bot.i18n import t
from bot.models import Appointment, Client, HandledRequest, Invoice, InvoiceModalSnapshot, Service, utcnow
from flows.clients.logic import fold_name, get_client
from flows.clients.validation import ClientForm, SessionForm

# Invoices still to settle: a forgotten client could no longer be asked for them (no email, no customer).
UNSETTLED = ("draft", "open")


def _claim(session: Session, team_id: str, kind: str, key: str) -> None:
    session.add(HandledRequest(team_id=team_id, kind=kind, key=key[:255]))
    session.flush()


# -- edit --------------------------------------------------------------------------------------------------


def save_edit(db: Database, team_id: str, client_id: int, form: ClientForm, language: str, *, request_key: str) -> bool:
    """Write the edit once per ``request_key``; False when that submission was already saved (or no such client).

    Only the first run writes: a replay of an older submission must not undo a newer edit saved since.
    """
    with db.write_lock():
        try:
            with db.session() as session:
                row = get_client(session, team_id, client_id)
                if row is None or row.forgotten_at is not None:
                    return False
                _claim(session, team_id, "client_edit", request_key)
                row.name, row.name_key = form.name, fold_name(form.name)
                row.email, row.phone = form.email, form.phone
                row.address_line1, row.address_line2 = form.address_line1, form.address_line2
                row.city, row.region, row.postal_code, row.country = (
                    form.city,
                    form.region,
                    form.postal_code,
                    form.country,
                )
                row.preferred_locale = language
                session.add(row)
                return True
        except IntegrityError:
            return False


def invoice_ids_with_messages(db: Database, team_id: str, client_id: int) -> list[int]:
    """The client's invoices that have a message in Slack (to re-render once the client changed)."""
    with db.session() as session:
        statement = select(Invoice.id).where(
            Invoice.team_id == team_id, Invoice.client_id == client_id, col(Invoice.message_ts).is_not(None)
        )
        return [i for i in session.exec(statement) if i is not None]


# -- archive -----------------------------------------------------------------------------------------------


def set_archived(db: Database, team_id: str, client_id: int, *, archived: bool) -> Client | None:
    """Archive (out of the pickers and searches) or bring back; the client, or None if not this workspace's."""
    with db.write_lock(), db.session() as session:
        row = get_client(session, team_id, client_id)
        if row is None or row.forgotten_at is not None or row.merged_into_id is not None:
            return None
        if archived and row.archived_at is None:
            row.archived_at = utcnow()
        elif not archived:
            row.archived_at = None
        session.add(row)
        session.flush()
        session.expunge(row)
        return row


# -- merge -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Merged:
    kept: str
    duplicate: str
    invoices: int
    sessions: int


def merge(db: Database, team_id: str, kept_id: int, duplicate_id: int, *, request_key: str) -> Merged | None:
    """Move the duplicate's invoices and sessions to the kept client and mark it merged; once per request.

    The kept client keeps its Stripe customer; the duplicate's customer stays on Stripe, where its invoices
    were made (a finalised Stripe invoice cannot change customer, and Stripe cannot merge customers).
    """
    if kept_id == duplicate_id:
        return None
    with db.write_lock():
        try:
            with db.session() as session:
                kept = get_client(session, team_id, kept_id)
                duplicate = get_client(session, team_id, duplicate_id)
                if kept is None or duplicate is None or not mergeable(kept) or not mergeable(duplicate):
                    return None
                _claim(session, team_id, "client_merge", request_key)
                invoices = session.exec(
                    update(Invoice)
                    .where(col(Invoice.team_id) == team_id, col(Invoice.client_id) == duplicate_id)
                    .values(client_id=kept_id)
                ).rowcount
                sessions = session.exec(
                    update(Appointment)
                    .where(col(Appointment.team_id) == team_id, col(Appointment.client_id) == duplicate_id)
                    .values(client_id=kept_id)
                ).rowcount
                # The kept client takes what only the duplicate had: an email, a phone, an address.
                for name in ("email", "phone"):
                    if not getattr(kept, name) and getattr(duplicate, name):
                        setattr(kept, name, getattr(duplicate, name))
                if not kept.address_line1 and duplicate.address_line1:
                    for name in ("address_line1", "address_line2", "city", "region", "postal_code", "country"):
                        setattr(kept, name, getattr(duplicate, name))
                duplicate.merged_into_id = kept_id
                session.add(kept)
                session.add(duplicate)
                return Merged(kept.name, duplicate.name, int(invoices or 0), int(sessions or 0))
        except IntegrityError:
            return None


def mergeable(row: Client) -> bool:
    return row.forgotten_at is None and row.merged_into_id is None


def merged_into(session: Session, team_id: str, client_id: int) -> Client | None:
    """The client a merged one now lives in (following a chain of merges, at most a few long)."""
    row = get_client(session, team_id, client_id)
    for _ in range(10):
        if row is None or row.merged_into_id is None:
            return row
        row = get_client(session, team_id, row.merged_into_id)
    return row


# -- forget (GDPR erasure) ---------------------------------------------------------------------------------


def unsettled_numbers(session: Session, team_id: str, client_id: int) -> list[str]:
    statement = (
        select(Invoice.number)
        .where(Invoice.team_id == team_id, Invoice.client_id == client_id, col(Invoice.status).in_(UNSETTLED))
        .order_by(col(Invoice.number))
    )
    return list(session.exec(statement))


@dataclass(frozen=True)
class Forgotten:
    # The Stripe customer to delete (on its account); None when they had none or it is already done.
    customer_id: str | None
    account_id: str | None


def forget(db: Database, team_id: str, client_id: int, *, locale: str, now: datetime | None = None) -> Forgotten | None:
    """Erase the client's name, contact details and session notes, keeping the row for their invoices' sake.

    None when they cannot be forgotten (not this workspace's, merged, or invoices still to settle). Run again
    on a forgotten client it answers the Stripe customer still to delete (the erasure itself is done once).
    """
    with db.write_lock(), db.session() as session:
        row = get_client(session, team_id, client_id)
        if row is None or row.merged_into_id is not None:
            return None
        if row.forgotten_at is not None:
            return Forgotten(row.stripe_customer_id, row.stripe_account_id)
        if unsettled_numbers(session, team_id, client_id):
            return None
        old_name, old_email = row.name, row.email
        placeholder = t(locale, "client.erased")
        row.name, row.name_key = placeholder, fold_name(placeholder)
        row.email = row.phone = None
        row.address_line1 = row.address_line2 = row.city = row.region = row.postal_code = row.country = None
        row.default_payment_method = None
        row.autopay = False
        row.forgotten_at = now or utcnow()
        session.add(row)
        session.exec(
            update(Appointment)
            .where(col(Appointment.team_id) == team_id, col(Appointment.client_id) == client_id)
            .values(notes=None)
        )
        _drop_snapshots_naming(session, team_id, [old_name, old_email])
        return Forgotten(row.stripe_customer_id, row.stripe_account_id)


def _drop_snapshots_naming(session: Session, team_id: str, words: list[str | None]) -> None:
    """What was typed in an invoice modal left open (kept for its "New client" push) may name the client."""
    patterns = []
    for word in words:
        if word:
            patterns.append(word)
            patterns.append(json.dumps(word)[1:-1])  # as json.dumps stores it: "\u00c9lodie"
    if not patterns:
        return
    snapshots = col(InvoiceModalSnapshot.state_values)
    session.exec(
        delete(InvoiceModalSnapshot).where(
            col(InvoiceModalSnapshot.team_id) == team_id, or_(*(snapshots.contains(p) for p in patterns))
        )
    )


def customer_deleted(db: Database, team_id: str, client_id: int) -> None:
    """Their Stripe customer is gone: forget its id too."""
    with db.write_lock(), db.session() as session:
        row = get_client(session, team_id, client_id)
        if row is not None and row.forgotten_at is not None:
            row.stripe_customer_id = None
            session.add(row)


# -- sessions ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionLock:
    """Why a session cannot be changed here: it is on this invoice (correct the invoice instead)."""

    invoice_number: str


def session_lock(session: Session, appointment: Appointment) -> SessionLock | None:
    if appointment.invoice_id is None:
        return None
    invoice = session.get(Invoice, appointment.invoice_id)
    if invoice is None or invoice.status == "void":  # a voided invoice frees its sessions
        return None
    return SessionLock(invoice.number)


def get_appointment(session: Session, team_id: str, appointment_id: int) -> Appointment | None:
    found = session.get(Appointment, appointment_id)
    return found if found is not None and found.team_id == team_id else None


def edit_appointment(
    db: Database, team_id: str, appointment_id: int, form: SessionForm
) -> Appointment | SessionLock | None:
    """Change a session not on an invoice; its lock if it is on one (checked again here, not only when drawn)."""
    with db.write_lock(), db.session() as session:
        row = get_appointment(session, team_id, appointment_id)
        service = session.get(Service, form.service_id)
        if row is None or service is None or service.team_id != team_id:
            return None
        lock = session_lock(session, row)
        if lock is not None:
            return lock
        row.held_on, row.service_id, row.description = form.held_on, service.id, service.name
        row.duration_minutes, row.notes = form.duration_minutes, form.notes
        session.add(row)
        session.flush()
        session.expunge(row)
        return row


def delete_appointment(db: Database, team_id: str, appointment_id: int) -> int | SessionLock | None:
    """Delete a session not on an invoice; its client's id, its lock, or None (gone already: a retry)."""
    with db.write_lock(), db.session() as session:
        row = get_appointment(session, team_id, appointment_id)
        if row is None:
            return None
        lock = session_lock(session, row)
        if lock is not None:
            return lock
        client_id = row.client_id
        session.delete(row)
        return client_id
