"""Creating an invoice: our draft row first, then Stripe, then the invoice message where the user asked.

The modal's submit (``flows.invoices.modal.listeners``) calls ``create_invoice`` from its lazy listener, and its
Retry button ``retry_invoice``. Both can run any number of times for the same submission and end in the same
place: one invoice row per ``request_key`` (``store``), one Stripe invoice per row (``stripe``), one message
per invoice (``flows.invoices.message.posting``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk import WebClient

from bot.i18n import t
from bot.models import Invoice
from bot.services import Services
from flows.invoices.correction import logic as correction
from flows.invoices.creation import store
from flows.invoices.creation.stripe import PushFailure, push
from flows.invoices.forms import InvoiceForm
from flows.invoices.message.posting import post_invoice_message

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    invoice: Invoice  # as stored: status "draft" when Stripe failed midway
    error: str | None = None  # localized, for the modal (shown with Retry); None on success


def create_invoice(
    services: Services,
    web: WebClient,
    *,
    team_id: str,
    user_id: str,
    locale: str,
    form: InvoiceForm,
    request_key: str,
    channel_id: str | None,
    replaces_id: int | None = None,
) -> Outcome:
    """Create the invoice the modal submitted; the same ``request_key`` again resumes the same invoice.

    ``replaces_id``: a correction of that invoice (flows.invoices.correction), which it voids once made.
    """
    invoice, created = store.create_draft(
        db=services.db,
        team_id=team_id,
        user_id=user_id,
        locale=locale,
        form=form,
        request_key=request_key,
        channel_id=channel_id,
        replaces_id=replaces_id,
    )
    if created:
        log.info("invoice %s (%s) drafted for %s by %s", invoice.id, invoice.number, team_id, user_id)
    assert invoice.id is not None
    outcome = _finish(services, web, invoice.id, user_id, locale)
    _tell_sessions_invoiced(services, web, invoice.id, team_id, user_id)
    return outcome


def retry_invoice(
    services: Services, web: WebClient, *, team_id: str, user_id: str, locale: str, invoice_id: int
) -> Outcome:
    """Resume a draft Stripe failed on: what was made at Stripe is kept, the rest is made; one message."""
    bundle = store.load(invoice_id, db=services.db)
    if bundle is None or bundle.invoice.team_id != team_id:
        raise ValueError(f"invoice {invoice_id} is not one of {team_id}'s")
    outcome = _finish(services, web, invoice_id, user_id, locale)
    _tell_sessions_invoiced(services, web, invoice_id, team_id, user_id)
    return outcome


def _tell_sessions_invoiced(services: Services, web: WebClient, invoice_id: int, team_id: str, user_id: str) -> None:
    """Run ``services.on_sessions_invoiced`` for the sessions this invoice bills (committed by now), if any.

    After ``_finish`` so that a redrawn view shows the invoice as Stripe left it; on every run (a resumed
    submission, a Retry) because a listener only redraws, and a crash may have come between linking and here.
    """
    ids = store.linked_session_ids(invoice_id, db=services.db)
    if not ids:
        return
    for listener in services.on_sessions_invoiced:
        try:
            listener(web, team_id, user_id, ids)
        except Exception:  # a redraw that fails must not fail an invoice that exists
            log.exception("invoice %s: a sessions-invoiced listener failed", invoice_id)


def _finish(services: Services, web: WebClient, invoice_id: int, user_id: str, locale: str) -> Outcome:
    failure = push(services, invoice_id)
    bundle = store.load(invoice_id, db=services.db)
    assert bundle is not None
    if failure is not None:
        return Outcome(bundle.invoice, failure_text(failure, bundle.invoice, locale))
    correcting = bundle.invoice.replaces_id is not None
    if correcting:
        correction.retire(services, invoice_id)  # the old invoice void and its sessions moved, at once
    post_invoice_message(services, web, bundle, user_id)
    if correcting:
        correction.announce(services, web, invoice_id)  # after the post: the old message links to the new one
    fresh = store.load(invoice_id, db=services.db)
    assert fresh is not None
    return Outcome(fresh.invoice)


def failure_text(failure: PushFailure, invoice: Invoice, locale: str) -> str:
    what = t(locale, f"invoice.error.{failure.step}", detail=failure.detail, position=failure.position or "")
    return t(locale, "invoice.error.kept", what=what, number=invoice.number)
