"""A sample invoice for the template preview (and the bench): made-up client and lines, the practice's own look."""

from __future__ import annotations

from datetime import date, timedelta

from bot.documents.model import Address, Branding, DocumentLine, InvoiceDocument, TaxTotal
from bot.i18n import t


def sample_document(
    locale: str,
    branding: Branding,
    *,
    practice_name: str,
    practice_address: Address,
    currency: str = "eur",
    terms_days: int = 30,
    lines: int = 2,
    today: date | None = None,
) -> InvoiceDocument:
    today = today or date.today()
    unit = 8000 if currency.lower() not in ("jpy", "krw") else 8000_00
    made = []
    for i in range(lines):
        description = t(locale, "document.sample.service" if i % 2 == 0 else "document.sample.service2")
        made.append(
            DocumentLine(
                service_date=today - timedelta(days=7 * (lines - i)),
                description=description,
                quantity=1,
                unit_amount=unit,
                amount=unit,
                tax_label=f"{t(locale, 'document.sample.tax')} 20 %" if locale == "fr" else "Tax 20%",
                tax_amount=unit // 5,
            )
        )
    subtotal = sum(line.amount for line in made)
    tax = sum(line.tax_amount for line in made)
    return InvoiceDocument(
        practice_name=practice_name,
        practice_address=practice_address,
        number="INV-0042",
        currency=currency,
        issue_date=today,
        due_date=today + timedelta(days=terms_days),
        client_name=t(locale, "document.sample.client"),
        client_address=Address("1 Sample Street", None, "Springfield", None, "12345", None),
        lines=tuple(made),
        taxes=(TaxTotal(made[0].tax_label or "", tax),) if made else (),
        subtotal=subtotal,
        total=subtotal + tax,
        amount_paid=0,
        amount_due=subtotal + tax,
        payment_url="https://invoice.stripe.com/i/sample",
        branding=branding,
    )
