"""A PDF's first page as a PNG (the template preview) and its text (what a reader extracts), with PDFium."""

from __future__ import annotations

import io

import pypdfium2

PREVIEW_WIDTH_PX = 1240  # A4 at 150 dpi: sharp in Slack's viewer, about 100 to 250 KB


def first_page_png(pdf: bytes, width_px: int = PREVIEW_WIDTH_PX) -> bytes:
    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        scale = width_px / page.get_width()  # PDF points to pixels
        image = page.render(scale=scale).to_pil()
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        return out.getvalue()
    finally:
        document.close()


def pdf_text(pdf: bytes) -> list[str]:
    """The text of each page."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()
