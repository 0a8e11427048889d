"""The invoice document: HTML and PDF from our rows, in three designs and two languages, and its upload to Slack."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from PIL import Image

from bot.documents import Address, Branding, DocumentLine, InvoiceDocument, render_invoice_html, render_invoice_pdf
from bot.documents.model import TEMPLATES
from bot.documents.raster import first_page_png, pdf_text
from bot.documents.source import InvoiceNotFound, document_for_invoice
from bot.documents.upload import upload_invoice_pdf
from bot.i18n import format_money
from bot.models import UTC, BillingSettings, Client, Invoice, InvoiceLine, InvoiceTemplate, TaxRate
from tests.conftest import TEAM_ID, Billbot

ISSUED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _flat(text: str) -> str:
    """PDF text with every kind of space made one plain space (French money uses no-break spaces)."""
    return re.sub(r"[\s\u00a0\u202f\u2009]+", " ", text)


def make_invoice(
    bb: Billbot,
    *,
    client_name: str = "Élodie Martin",
    lines: int = 3,
    currency: str = "eur",
    locale: str = "fr",
    paid: int = 0,
    template: InvoiceTemplate | None = None,
) -> int:
    """An open invoice of ``lines`` lines, half of them taxed at 20 % (exclusive): the rows issue 5 writes."""
    with bb.app.services.db.session() as session:
        session.add(
            BillingSettings(
                team_id=TEAM_ID, currency=currency, address_line1="12 rue de la Paix", city="Paris",
                postal_code="75002", country="FR",
            )
        )  # fmt: skip
        if template is not None:
            session.add(template)
        rate = TaxRate(team_id=TEAM_ID, name="TVA", percentage=Decimal("20.0000"))
        client = Client(
            team_id=TEAM_ID, name=client_name, name_key=client_name.lower(), email="elodie@example.com",
            address_line1="3 allée des Tilleuls", city="Lyon", postal_code="69003", country="FR",
        )  # fmt: skip
        session.add(rate)
        session.add(client)
        session.flush()
        unit = 7550 if currency != "jpy" else 8000
        rows = []
        for i in range(lines):
            taxed = i % 2 == 0
            amount = unit * (i % 3 + 1)
            rows.append((i, amount, (amount * 20 + 50) // 100 if taxed else 0, rate.id if taxed else None))
        subtotal = sum(r[1] for r in rows)
        tax = sum(r[2] for r in rows)
        invoice = Invoice(
            team_id=TEAM_ID, number="INV-0007", request_key="k1", client_id=client.id, currency=currency,
            status="paid" if paid and paid >= subtotal + tax else "open", due_date=date(2026, 4, 1),
            subtotal=subtotal, tax=tax, total=subtotal + tax, amount_paid=paid,
            amount_remaining=subtotal + tax - paid, locale=locale, created_at=ISSUED,
            hosted_invoice_url="https://invoice.stripe.com/i/acct_1/test_abc",
        )  # fmt: skip
        session.add(invoice)
        session.flush()
        for i, amount, tax_amount, rate_id in rows:
            session.add(
                InvoiceLine(
                    team_id=TEAM_ID, invoice_id=invoice.id, position=i, service_date=date(2026, 2, 1) + timedelta(i),
                    description=f"Séance n°{i + 1}", quantity=i % 3 + 1, unit_amount=unit, amount=amount,
                    tax_rate_id=rate_id, tax_amount=tax_amount,
                )
            )  # fmt: skip
        assert invoice.id is not None
        return invoice.id


def invoice_row(bb: Billbot, invoice_id: int) -> Invoice:
    with bb.app.services.db.session() as session:
        row = session.get(Invoice, invoice_id)
        assert row is not None
        return row


def test_pdf_opens_and_prints_the_number_every_line_and_the_invoices_own_totals(billbot: Billbot) -> None:
    invoice_id = make_invoice(billbot, lines=5, paid=1000)
    data = document_for_invoice(TEAM_ID, invoice_id, db=billbot.app.services.db)
    pdf = render_invoice_pdf(data, "fr")
    assert pdf.startswith(b"%PDF-")
    text = _flat("\n".join(pdf_text(pdf)))
    invoice = invoice_row(billbot, invoice_id)
    assert "INV-0007" in text
    assert "FACTURE" in text and "Facturé à Élodie Martin" in text
    for n in range(1, 6):
        assert f"Séance n°{n}" in text
    # The totals printed are the invoice's, formatted for French: computed nowhere but in issue 5's rows.
    for label, amount in (
        ("Sous-total", invoice.subtotal),
        ("TVA 20 %", invoice.tax),
        ("Total", invoice.total),
        ("Montant payé", invoice.amount_paid),
        ("Montant dû", invoice.amount_remaining),
    ):
        assert f"{label} {_flat(format_money(amount, 'eur', 'fr'))}" in text, (label, text)
    assert data.subtotal == invoice.subtotal and data.total == invoice.total
    assert sum(tax.amount for tax in data.taxes) == invoice.tax
    assert "2 mars 2026" in text  # issue date, in the practice's language
    assert "1 avril 2026" in text  # due date
    assert "12 rue de la Paix" in text and "75002 Paris" in text and "France" in text
    assert "3 allée des Tilleuls" in text and "69003 Lyon" in text
    assert "https://invoice.stripe.com/i/acct_1/test_abc" in text


def test_english_invoice_formats_money_and_dates_for_english(billbot: Billbot) -> None:
    invoice_id = make_invoice(billbot, locale="en", client_name="Jane Doe")
    data = document_for_invoice(TEAM_ID, invoice_id, db=billbot.app.services.db)
    text = _flat("\n".join(pdf_text(render_invoice_pdf(data, "en"))))
    invoice = invoice_row(billbot, invoice_id)
    assert "Invoice" in text and "Billed to" in text
    assert f"Total {format_money(invoice.total, 'eur', 'en')}" in text
    assert "€" in text and "March 2, 2026" in text and "VAT" not in text and "TVA 20%" in text


def test_zero_decimal_currency_prints_without_decimals(billbot: Billbot) -> None:
    invoice_id = make_invoice(billbot, currency="jpy", locale="en")
    data = document_for_invoice(TEAM_ID, invoice_id, db=billbot.app.services.db)
    text = _flat("\n".join(pdf_text(render_invoice_pdf(data, "en"))))
    assert "¥8,000" in text and "¥8,000.00" not in text


def test_client_named_script_prints_as_text_in_html(billbot: Billbot) -> None:
    invoice_id = make_invoice(billbot, client_name='<script>alert("x")</script>')
    data = document_for_invoice(TEAM_ID, invoice_id, db=billbot.app.services.db)
    html = render_invoice_html(data, "fr")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert '<script>alert("x")</script>' in "\n".join(pdf_text(render_invoice_pdf(data, "fr")))


def test_html_shows_every_line_the_totals_and_the_payment_link(billbot: Billbot) -> None:
    invoice_id = make_invoice(billbot, lines=4)
    data = document_for_invoice(TEAM_ID, invoice_id, db=billbot.app.services.db)
    html = render_invoice_html(data, "fr")
    invoice = invoice_row(billbot, invoice_id)
    assert '<html lang="fr">' in html and "INV-0007" in html
    for n in range(1, 5):
        assert f"Séance n°{n}" in html
    assert format_money(invoice.total, "eur", "fr") in html
    assert 'href="https://invoice.stripe.com/i/acct_1/test_abc"' in html


def test_missing_or_foreign_invoice_is_not_found(billbot: Billbot) -> None:
    invoice_id = make_invoice(billbot)
    with pytest.raises(InvoiceNotFound):
        document_for_invoice("T0OTHER", invoice_id, db=billbot.app.services.db)
    with pytest.raises(InvoiceNotFound):
        document_for_invoice(TEAM_ID, invoice_id + 100, db=billbot.app.services.db)


def test_paid_invoice_says_so_and_offers_no_payment_link(billbot: Billbot) -> None:
    invoice_id = make_invoice(billbot, lines=1, paid=10**9)
    with billbot.app.services.db.session() as session:
        row = session.get(Invoice, invoice_id)
        assert row is not None
        row.amount_paid, row.amount_remaining, row.status = row.total, 0, "paid"
        session.add(row)
    data = document_for_invoice(TEAM_ID, invoice_id, db=billbot.app.services.db)
    text = "\n".join(pdf_text(render_invoice_pdf(data, "fr")))
    assert "Payée" in text and "invoice.stripe.com" not in text


def test_template_colours_logo_and_footer_are_used(billbot: Billbot) -> None:
    logo = io.BytesIO()
    Image.new("RGB", (300, 100), (200, 30, 30)).save(logo, format="PNG")
    template = InvoiceTemplate(
        team_id=TEAM_ID, template="modern", practice_name="Cabinet Dupont", primary_color="#2a9d8f",
        secondary_color="#e0f2f0", footer="SIRET 123 456 789 00010", logo=logo.getvalue(), logo_mime="image/png",
    )  # fmt: skip
    invoice_id = make_invoice(billbot, template=template)
    data = document_for_invoice(TEAM_ID, invoice_id, db=billbot.app.services.db)
    assert data.practice_name == "Cabinet Dupont" and data.branding.template == "modern"
    html = render_invoice_html(data, "fr")
    assert "--primary: #2a9d8f" in html and 'src="data:image/png;base64,' in html
    assert "SIRET 123 456 789 00010" in html
    pdf = render_invoice_pdf(data, "fr")
    assert "SIRET 123 456 789 00010" in "\n".join(pdf_text(pdf))
    # The modern design's band is the theme colour: the top of the first page is teal, not white.
    page = Image.open(io.BytesIO(first_page_png(pdf, 400))).convert("RGB")
    assert page.getpixel((5, 5)) == (0x2A, 0x9D, 0x8F)
    assert page.getpixel((5, 300)) == (255, 255, 255)


def _document(template: str, client: str = "Jane Doe", lines: int = 3) -> InvoiceDocument:
    made = tuple(
        DocumentLine(date(2026, 1, 1) + timedelta(i), f"Session {i + 1}", 1, 12345, 12345, "Tax 10%", 1235)
        for i in range(lines)
    )
    return InvoiceDocument(
        practice_name="Practice", number="INV-0001", currency="usd", issue_date=date(2026, 1, 31),
        due_date=date(2026, 3, 2), client_name=client, subtotal=12345 * lines, total=13580 * lines,
        amount_paid=0, amount_due=13580 * lines, lines=made, practice_address=Address("1 Main St", city="Boston"),
        branding=Branding(template=template),
    )  # fmt: skip


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("locale", ["en", "fr"])
def test_every_design_renders_in_both_languages(template: str, locale: str) -> None:
    data = _document(template)
    text = _flat("\n".join(pdf_text(render_invoice_pdf(data, locale))))
    assert ("Invoice" if locale == "en" else "Facture") in text.title()
    assert "Session 3" in text and _flat(format_money(3 * 13580, "usd", locale)) in text
    assert f'class="page {template}"' in render_invoice_html(data, locale)


def test_the_three_designs_look_different() -> None:
    pages = {template: first_page_png(render_invoice_pdf(_document(template), "en"), 300) for template in TEMPLATES}
    assert len(set(pages.values())) == 3


def test_names_outside_western_european_letters_print_in_the_unicode_font() -> None:
    data = _document("classic", client="Łukasz Wiśniewski 李小龍")
    text = "\n".join(pdf_text(render_invoice_pdf(data, "en")))
    assert "Łukasz Wiśniewski 李小龍" in text or "Łukasz Wiśniewski" in text


def test_long_invoice_breaks_onto_more_pages_and_keeps_every_line() -> None:
    data = _document("modern", lines=60)
    pages = pdf_text(render_invoice_pdf(data, "en"))
    assert len(pages) >= 2
    text = "\n".join(pages)
    for n in range(1, 61):
        assert f"Session {n}\n" in text or f"Session {n} " in text or text.endswith(f"Session {n}")
    assert "Page 1 of" in pages[0]


def test_download_pdf_uploads_the_invoice_to_slack_in_the_thread(billbot: Billbot) -> None:
    invoice_id = make_invoice(billbot, lines=2)
    client = billbot.app.bolt_app.client
    client.conversations_join(channel="C_GENERAL")
    message = client.chat_postMessage(channel="C_GENERAL", text="Invoice INV-0007")
    file_id = upload_invoice_pdf(
        billbot.app.services, client, team_id=TEAM_ID, invoice_id=invoice_id, channel_id="C_GENERAL",
        thread_ts=message["ts"], locale="fr",
    )  # fmt: skip
    assert [c.method for c in billbot.slack.calls() if c.method.startswith("files.")] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    (uploaded,) = billbot.workspace.files()
    assert uploaded.id == file_id and uploaded.filename == "INV-0007.pdf" and uploaded.title == "Facture INV-0007"
    assert uploaded.data is not None and "INV-0007" in "\n".join(pdf_text(uploaded.data))
    replies = billbot.workspace.thread("C_GENERAL", message["ts"])
    assert any(file_id in reply.files for reply in replies)
