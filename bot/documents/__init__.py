"""The invoice document: an invoice's data rendered to HTML (Jinja2) and to PDF (fpdf2), and sent to Slack."""

from bot.documents.html import render_invoice_html
from bot.documents.model import Address, Branding, DocumentLine, InvoiceDocument, TaxTotal
from bot.documents.pdf import render_invoice_pdf

__all__ = [
    "Address",
    "Branding",
    "DocumentLine",
    "InvoiceDocument",
    "TaxTotal",
    "render_invoice_html",
    "render_invoice_pdf",
]
