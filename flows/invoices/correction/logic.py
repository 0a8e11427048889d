"""Corrections as plain functions over our rows: who may correct what, the invoice modal prefilled from an
invoice, a due-date change as a form, and the old invoice retired once its correction is on Stripe."""

from __future__ import annotations

import logging
from datetime import date

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import update
from sqlmodel import col

from bot.db import Database
from bot.i18n import t
from bot.models import Appointment, Invoice, utcnow
from bot.permissions import is_billing_admin
from bot.services import Services
from flows.invoices import ids as invoice_ids
from flows.invoices.correction import links
from flows.invoices.correction.claims import CORRECTABLE
from flows.invoices.creation import store
from flows.invoices.creation.stripe import due_timestamp
from flows.invoices.forms import InvoiceForm, LineForm
from flows.invoices.message.posting import is_private, thread_locale, update_invoice_message
from flows.invoices.modal.draft import ClientChoice, Draft, LineDraft
from flows.invoices.modal.logic import Catalog, price_text

log = logging.getLogger(__name__)

REPLIED = "invoice_replaced_reply"  # the old invoice's thread is told once


def load(team_id: str, invoice_id: int, *, db: Database) -> store.InvoiceBundle | None:
    bundle = store.load(invoice_id, db=db)
    return bundle if bundle is not None and bundle.invoice.team_id == team_id else None


def number_of(invoice_id: int | None, *, db: Database) -> str:
    if invoice_id is None:
        return ""
    with db.session() as session:
        found = session.get(Invoice, invoice_id)
    return found.number if found else ""


def refusal(invoice: Invoice, locale: str, *, db: Database) -> str | None:
    """Why this invoice can't be corrected now, in words; None when it can."""
    number = invoice.number
    if invoice.status == "void" and invoice.replaced_by_id is not None:
        return t(locale, "correction.refused.replaced", number=number, new=number_of(invoice.replaced_by_id, db=db))
    if invoice.status not in CORRECTABLE:
        return t(locale, f"correction.refused.{'paid' if invoice.status == 'paid' else 'closed'}", number=number)
    if invoice.amount_paid:
        return t(locale, "correction.refused.part_paid", number=number)
    if invoice.replaced_by_id is not None:
        with db.session() as session:
            replacement = session.get(Invoice, invoice.replaced_by_id)
        if replacement is not None and replacement.status != "draft":
            return t(locale, "correction.refused.in_progress", number=number, new=replacement.number)
    return None


def may_correct(db: Database, web: WebClient, team_id: str, user_id: str, invoice: Invoice) -> bool:
    """The invoice's creator and billing admins: those who may void it (flows.invoices.payments)."""
    return invoice.created_by == user_id or is_billing_admin(db, web, team_id, user_id)


def where_to_post(invoice: Invoice) -> str | None:
    """The old invoice's channel for the new one; a DM's (the old creator's) is not the corrector's: theirs."""
    return None if is_private(invoice.channel_id) else invoice.channel_id


def prefill(bundle: store.InvoiceBundle, catalog: Catalog, locale: str) -> Draft:
    """The invoice modal as the invoice stands: client, lines, due date and memo, titled as its correction."""
    invoice = bundle.invoice
    lines = tuple(
        LineDraft(
            key=key,
            service_date=line.service_date.isoformat(),
            # A service since archived is left out (its name stays the line's description); a rate since archived
            # is kept, so the modal says so rather than drop the tax without a word.
            service=str(line.service_id) if catalog.service(line.service_id) else None,
            description=line.description,
            quantity=str(line.quantity),
            price=price_text(line.unit_amount, invoice.currency, locale),
            tax=str(line.tax_rate_id) if line.tax_rate_id is not None else invoice_ids.NONE_VALUE,
        )
        for key, line in enumerate(bundle.lines, start=1)
    )
    assert bundle.client.id is not None and invoice.id is not None
    return Draft(
        channel_id=where_to_post(invoice),
        lines=lines,
        next_key=len(lines) + 1,
        client=ClientChoice(bundle.client.id, bundle.client.name),
        due_date=invoice.due_date.isoformat(),
        memo=invoice.memo or "",
        replaces=invoice.id,
        replaces_number=invoice.number,
    )


def same_lines(bundle: store.InvoiceBundle, due_date: date) -> InvoiceForm:
    """A due-date change: the invoice's own lines, client, currency and memo, due on ``due_date``."""
    invoice = bundle.invoice
    lines = tuple(
        LineForm(
            service_date=line.service_date,
            description=line.description,
            quantity=line.quantity,
            unit_amount=line.unit_amount,
            service_id=line.service_id,
            tax_rate_id=line.tax_rate_id,
        )
        for line in bundle.lines
    )
    return InvoiceForm(
        client_id=invoice.client_id, currency=invoice.currency, due_date=due_date, lines=lines, memo=invoice.memo
    )


def changes_in_place(invoice: Invoice) -> bool:
    """Still a draft (ours only, or on Stripe too): its due date changes in place, no new invoice."""
    return invoice.status == "draft"


def change_draft_due_date(services: Services, invoice: Invoice, due_date: date) -> None:
    """Stripe's ``invoices.update(due_date)``, which it allows on drafts only; then our row."""
    assert invoice.id is not None
    if invoice.stripe_invoice_id is not None:
        services.stripe.update_draft_due_date(
            invoice.stripe_account_id, invoice.stripe_invoice_id, due_date=due_timestamp(due_date, utcnow())
        )
    store.save_invoice(invoice.id, due_date=due_date, db=services.db)


def retire(services: Services, invoice_id: int) -> None:
    """The correction is open on Stripe: the old invoice is void here and its sessions move to the correction.

    Done as soon as Stripe has finalized the correction, before its message is posted, so Stripe's
    ``invoice.voided`` for the old one, arriving a moment later, finds it void already and says nothing more.
    """
    bundle = store.load(invoice_id, db=services.db)
    assert bundle is not None
    invoice = bundle.invoice
    if invoice.replaces_id is None:
        return
    with services.db.write_lock(), services.db.session() as session:
        old = session.get(Invoice, invoice.replaces_id)
        if old is None or old.replaced_by_id != invoice_id:
            log.warning("invoice %s: %s is not replaced by it any more", invoice_id, invoice.replaces_id)
            return
        if old.status != "void":
            old.status, old.amount_remaining, old.updated_at = "void", 0, utcnow()
            session.add(old)
        session.execute(update(Appointment).where(col(Appointment.invoice_id) == old.id).values(invoice_id=invoice_id))


def announce(services: Services, web: WebClient, invoice_id: int) -> None:
    """Once the correction is posted: the old message links to it, and its thread is told."""
    bundle = store.load(invoice_id, db=services.db)
    if bundle is not None and bundle.invoice.replaces_id is not None:
        _tell_old_message(services, web, bundle.invoice)


def _tell_old_message(services: Services, web: WebClient, invoice: Invoice) -> None:
    """The old message shows "Replaced by" and loses its buttons; its thread is told once."""
    assert invoice.replaces_id is not None
    try:
        update_invoice_message(
            web, invoice.replaces_id, db=services.db, default_locale=services.settings.default_locale
        )
    except SlackApiError as exc:
        log.warning("invoice message %s not updated: %s", invoice.replaces_id, exc.response.get("error"))
    with services.db.session() as session:
        old = session.get(Invoice, invoice.replaces_id)
    if old is None or not old.channel_id or not old.message_ts:
        return
    if not services.db.claim_once(old.team_id, REPLIED, str(old.id)):
        return
    text = t(
        thread_locale(services, old), "correction.thread.replaced", number=old.number, new=links.linked(web, invoice)
    )
    try:
        web.chat_postMessage(channel=old.channel_id, thread_ts=old.message_ts, text=text)
    except SlackApiError as exc:
        log.warning("thread reply on invoice %s failed: %s", old.id, exc.response.get("error"))
