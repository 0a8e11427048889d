"""Saving the invoice template, pushing its logo and colours to Stripe's branding, and the sample preview.

Stripe goes first and our row last: when Stripe fails, nothing of the new template is saved and the user
can retry. Every Stripe call carries an idempotency key derived from what it sends (the logo's hash, the
colours), so the work queue running a save twice, or Retry, never uploads or changes anything twice.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Literal

from sqlmodel import Session

from bot.db import Database
from bot.documents.model import Branding
from bot.documents.pdf import render_invoice_pdf
from bot.documents.raster import first_page_png
from bot.documents.sample import sample_document
from bot.documents.source import practice_address, practice_name
from bot.models import BillingSettings, InvoiceTemplate, StripeAccount, utcnow
from bot.services import Services
from flows.invoice_template.logo import Logo
from flows.invoice_template.validation import DEFAULT_TERMS, TemplateForm

log = logging.getLogger(__name__)

StripeOutcome = Literal["pushed", "platform", "not_connected"]


def payment_terms_days(session: Session, team_id: str) -> int:
    """Days from issue to due date for a new invoice: the practice's choice, else 30."""
    row = session.get(InvoiceTemplate, team_id)
    return row.payment_terms_days if row is not None else DEFAULT_TERMS


def is_done(session: Session, team_id: str) -> bool:
    """The checklist step is done once a template is saved."""
    return session.get(InvoiceTemplate, team_id) is not None


def load(team_id: str, *, db: Database) -> InvoiceTemplate | None:
    with db.session() as session:
        return session.get(InvoiceTemplate, team_id)


def default_practice_name(team_id: str, *, db: Database) -> str:
    with db.session() as session:
        return practice_name(session, team_id)


@dataclass(frozen=True)
class Saved:
    row: InvoiceTemplate
    stripe: StripeOutcome


def save(services: Services, team_id: str, user_id: str, form: TemplateForm, logo: Logo | None) -> Saved:
    """Push to Stripe, then write the row. ``logo`` is the new logo (None keeps or, with remove_logo, drops it)."""
    current = load(team_id, db=services.db)
    logo_data, logo_mime = (current.logo, current.logo_mime) if current is not None else (None, None)
    if logo is not None:
        logo_data, logo_mime = logo.data, logo.mime
    elif form.remove_logo:
        logo_data = logo_mime = None
    sha = hashlib.sha256(logo_data).hexdigest() if logo_data else None
    outcome, file_id, account_id = _push(services, team_id, current, form, logo_data, logo_mime, sha)
    with services.db.write_lock(), services.db.session() as session:
        row = session.get(InvoiceTemplate, team_id) or InvoiceTemplate(team_id=team_id)
        row.template = form.template
        row.practice_name = form.practice_name
        row.primary_color = form.primary_color
        row.secondary_color = form.secondary_color
        row.footer = form.footer
        row.payment_terms_days = form.payment_terms_days
        row.logo, row.logo_mime, row.logo_sha256 = logo_data, logo_mime, sha
        if outcome == "pushed":
            row.stripe_logo_file_id, row.stripe_account_id = file_id, account_id
        elif sha != (current.logo_sha256 if current is not None else None):
            row.stripe_logo_file_id = row.stripe_account_id = None  # the logo changed and is not in Stripe yet
        row.updated_by = user_id
        row.updated_at = utcnow()
        session.add(row)
        session.flush()
        session.refresh(row)
        session.expunge(row)
    return Saved(row, outcome)


def push_saved_branding(services: Services, team_id: str) -> None:
    """For on_payments_enabled: a template saved before payments were set up reaches Stripe now."""
    row = load(team_id, db=services.db)
    if row is None:
        return
    form = TemplateForm(
        row.template, row.practice_name, row.primary_color, row.secondary_color, row.footer,
        row.payment_terms_days, None, False,
    )  # fmt: skip
    outcome, file_id, account_id = _push(services, team_id, row, form, row.logo, row.logo_mime, row.logo_sha256)
    if outcome == "pushed":
        with services.db.write_lock(), services.db.session() as session:
            fresh = session.get(InvoiceTemplate, team_id)
            if fresh is not None and fresh.logo_sha256 == row.logo_sha256:
                fresh.stripe_logo_file_id, fresh.stripe_account_id = file_id, account_id
                session.add(fresh)


def _push(
    services: Services,
    team_id: str,
    current: InvoiceTemplate | None,
    form: TemplateForm,
    logo_data: bytes | None,
    logo_mime: str | None,
    sha: str | None,
) -> tuple[StripeOutcome, str | None, str | None]:
    """(outcome, Stripe file id of the logo, account id). Raises GatewayError when Stripe fails."""
    with services.db.session() as session:
        account = session.get(StripeAccount, team_id)
    if account is None:
        return "not_connected", None, None
    if account.account_id is None:
        # The platform's own account: Stripe offers no API to brand it; its Dashboard does.
        return "platform", None, None
    account_id = account.account_id
    file_id: str | None = None
    logo_param: str | None = None
    if logo_data and sha:
        reusable = (
            current is not None
            and current.logo_sha256 == sha
            and current.stripe_account_id == account_id
            and current.stripe_logo_file_id
        )
        if reusable:
            assert current is not None
            file_id = current.stripe_logo_file_id
        else:
            uploaded = services.stripe.upload_business_logo(
                account_id,
                data=logo_data,
                filename="logo.png" if logo_mime == "image/png" else "logo.jpg",
                idempotency_key=f"billbot:{team_id}:logo:{account_id}:{sha[:40]}",
            )
            file_id = str(uploaded["id"])
        logo_param = file_id
    # Without a logo, the one Stripe has stays: its API cannot unset settings.branding.logo (an empty value is
    # refused), so removing the logo takes it off Billbot's PDFs only.
    what = f"{logo_param}:{form.primary_color}:{form.secondary_color}"
    services.stripe.update_branding(
        account_id,
        primary_color=form.primary_color,
        secondary_color=form.secondary_color,
        logo_file_id=logo_param,
        idempotency_key=f"billbot:{team_id}:branding:{hashlib.sha256(what.encode()).hexdigest()[:32]}",
    )
    return "pushed", file_id, account_id


def preview_png(team_id: str, locale: str, form: TemplateForm, logo: Logo | None, *, db: Database) -> bytes:
    """A sample invoice with the form's choices (nothing saved), its first page as a PNG."""
    current = load(team_id, db=db)
    logo_data, logo_mime = (current.logo, current.logo_mime) if current is not None else (None, None)
    if logo is not None:
        logo_data, logo_mime = logo.data, logo.mime
    elif form.remove_logo:
        logo_data = logo_mime = None
    with db.session() as session:
        settings = session.get(BillingSettings, team_id)
        address = practice_address(session, team_id)
        fallback_name = practice_name(session, team_id)
    branding = Branding(form.template, form.primary_color, form.secondary_color, logo_data, logo_mime, form.footer)
    document = sample_document(
        locale,
        branding,
        practice_name=form.practice_name or fallback_name,
        practice_address=address,
        currency=settings.currency if settings is not None else ("eur" if locale == "fr" else "usd"),
        terms_days=form.payment_terms_days,
        lines=3,
    )
    return first_page_png(render_invoice_pdf(document, locale))
