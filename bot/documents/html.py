"""Invoice → HTML, with the practice's Jinja2 template (bot/templates/invoice/<design>.html)."""

from __future__ import annotations

import base64
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.documents.model import InvoiceDocument
from bot.documents.present import present

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"


@cache
def environment() -> Environment:
    # Autoescaping everything, not only files named .html: a client called "<script>" must print as text.
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR), autoescape=True, undefined=StrictUndefined, auto_reload=False
    )


def render_invoice_html(data: InvoiceDocument, locale: str) -> str:
    doc = present(data, locale)
    logo_uri = None
    if doc.logo and doc.logo_mime in ("image/png", "image/jpeg"):
        logo_uri = f"data:{doc.logo_mime};base64,{base64.b64encode(doc.logo).decode('ascii')}"
    template = environment().get_template(f"invoice/{doc.template}.html")
    return template.render(doc=doc, number=data.number, logo_uri=logo_uri)
