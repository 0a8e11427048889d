"""Our rows → an InvoiceDocument: the invoice, its lines, its client, the practice's address and template."""

from __future__ import annotations

from sqlmodel import Session, col, select

from bot.db import Database
from bot.documents.model import Address, Branding, DocumentLine, InvoiceDocument, TaxTotal
from bot.i18n import t, tax_rate_label
from bot.models import BillingSettings, Client, Invoice, InvoiceLine, InvoiceTemplate, TaxRate, Workspace

_BABEL = {"en": "en_US", "fr": "fr_FR"}


class InvoiceNotFound(LookupError):
    """No invoice with that id in that workspace."""


def branding(session: Session, team_id: str) -> Branding:
    """The workspace's saved template, or the default one."""
    row = session.get(InvoiceTemplate, team_id)
    if row is None:
        return Branding()
    return Branding(
        template=row.template,
        primary_color=row.primary_color,
        secondary_color=row.secondary_color,
        logo=row.logo,
        logo_mime=row.logo_mime,
        footer=row.footer,
    )


def practice_name(session: Session, team_id: str) -> str:
    row = session.get(InvoiceTemplate, team_id)
    if row is not None and row.practice_name:
        return row.practice_name
    workspace = session.get(Workspace, team_id)
    return workspace.name if workspace is not None and workspace.name else ""


def practice_address(session: Session, team_id: str) -> Address:
    row = session.get(BillingSettings, team_id)
    if row is None:
        return Address()
    return Address(row.address_line1, row.address_line2, row.city, row.region, row.postal_code, row.country)


def tax_label(rate: TaxRate, locale: str) -> str:
    key = "document.tax_label.inclusive" if rate.inclusive else "document.tax_label"
    return t(locale, key, rate=tax_rate_label(rate.name, rate.percentage, locale))


def document_for_invoice(team_id: str, invoice_id: int, *, db: Database) -> InvoiceDocument:
    with db.session() as session:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None or invoice.team_id != team_id:
            raise InvoiceNotFound(invoice_id)
        return _document(session, invoice)


def _document(session: Session, invoice: Invoice) -> InvoiceDocument:
    team_id, locale = invoice.team_id, invoice.locale
    query = select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id).order_by(col(InvoiceLine.position))
    rows = list(session.exec(query).all())
    rate_ids = {row.tax_rate_id for row in rows if row.tax_rate_id is not None}
    rates = {r.id: r for r in session.exec(select(TaxRate).where(col(TaxRate.id).in_(rate_ids))).all()}
    lines = []
    taxes: dict[int, int] = {}
    for row in rows:
        rate = rates.get(row.tax_rate_id) if row.tax_rate_id is not None else None
        lines.append(
            DocumentLine(
                service_date=row.service_date,
                description=row.description,
                quantity=row.quantity,
                unit_amount=row.unit_amount,
                amount=row.amount,
                tax_label=tax_label(rate, locale) if rate is not None else None,
                tax_amount=row.tax_amount,
            )
        )
        if rate is not None and rate.id is not None:
            taxes[rate.id] = taxes.get(rate.id, 0) + row.tax_amount
    client = session.get(Client, invoice.client_id)
    client_address = Address()
    if client is not None:
        client_address = Address(
            client.address_line1, client.address_line2, client.city, client.region, client.postal_code, client.country
        )
    return InvoiceDocument(
        practice_name=practice_name(session, team_id),
        practice_address=practice_address(session, team_id),
        number=invoice.number,
        currency=invoice.currency,
        issue_date=invoice.created_at.date(),
        due_date=invoice.due_date,
        client_name=client.name if client is not None else "",
        client_email=client.email if client is not None else None,
        client_address=client_address,
        lines=tuple(lines),
        # One line per rate, in the order the rates first appear; the invoice's own tax total stays the truth.
        taxes=tuple(TaxTotal(tax_label(rates[rate_id], locale), amount) for rate_id, amount in taxes.items()),
        subtotal=invoice.subtotal,
        total=invoice.total,
        amount_paid=invoice.amount_paid,
        amount_due=invoice.amount_remaining,
        amount_refunded=invoice.amount_refunded,
        payment_url=invoice.hosted_invoice_url,
        status=invoice.status,
        branding=branding(session, team_id),
    )
