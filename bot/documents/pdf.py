"""Invoice → PDF with fpdf2 (pure Python: ``pip install`` is all a machine needs), in three designs.

The page is laid out here rather than converted from the HTML: HTML-to-PDF converters either need system
libraries (WeasyPrint) or take several times our budget per page, and an invoice's layout is simple enough
to draw directly. Both renderers print the same ``present()`` words, so they never disagree.

Fonts: PDF's built-in Helvetica and Times cover Western European text (Windows-1252) and cost nothing to
embed; a document with any other character (a client named "Łukasz" or "李") is set in the bundled DejaVu
Sans instead, which is slower to embed but prints every script Billbot's users are likely to type.
"""

from __future__ import annotations

import io
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.util import Padding
from PIL import Image

from bot.documents.model import InvoiceDocument
from bot.documents.present import Presented, present, rgb

FONT_DIR = Path(__file__).resolve().parent.parent / "templates" / "invoice" / "fonts"
PAGE_W = 210.0
MARGIN = 18.0
CONTENT_W = PAGE_W - 2 * MARGIN
# Date, service, quantity, unit price, tax, amount (mm): they add up to CONTENT_W.
COLUMNS = (22.0, 62.0, 14.0, 28.0, 22.0, 26.0)
NUMERIC = (False, False, True, True, False, True)
LINE_H = 4.6
# A wrapped line measured as it is drawn: 1.5 mm each side, none above or below (CSS order: top, right, bottom, left).
_CELL_PADDING = Padding(0, 1.5, 0, 1.5)
GREY = (102, 102, 102)
INK = (26, 26, 26)
# Babel's French number formats use narrow and thin no-break spaces, which Windows-1252 lacks.
_SPACES = str.maketrans({"\u202f": "\u00a0", "\u2009": "\u00a0"})


def render_invoice_pdf(data: InvoiceDocument, locale: str) -> bytes:
    doc = present(data, locale)
    pdf = _InvoicePdf(doc, unicode=not _fits_core_fonts(doc))
    pdf.draw()
    return bytes(pdf.output())


def _texts(doc: Presented) -> list[str]:
    texts = [
        doc.title,
        doc.practice_name,
        doc.client_name,
        doc.footer or "",
        doc.status_note or "",
        doc.pay_label or "",
    ]
    texts += [*doc.practice_lines, *doc.client_lines, *doc.labels.values(), doc.payment_url or ""]
    texts += [part for pair in doc.meta for part in pair]
    for row in (doc.headings, *doc.rows):
        texts += [row.date, row.description, row.quantity, row.unit_price, row.tax, row.amount]
    texts += [part for total in doc.totals for part in (total.label, total.amount)]
    return texts


def _fits_core_fonts(doc: Presented) -> bool:
    try:
        "\n".join(_texts(doc)).translate(_SPACES).encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


class _InvoicePdf(FPDF):
    def __init__(self, doc: Presented, *, unicode: bool) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.doc = doc
        self.primary = rgb(doc.primary)
        self.secondary = rgb(doc.secondary)
        self.on_primary = rgb(doc.on_primary)
        if unicode:
            self.add_font("dejavu", "", str(FONT_DIR / "DejaVuSans.ttf"))
            self.add_font("dejavu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
            self.family = "dejavu"
        else:
            self.core_fonts_encoding = "windows-1252"
            self.family = "times" if doc.template == "classic" else "helvetica"
        self.set_margins(MARGIN, 16, MARGIN)
        self.set_title(f"{doc.title} {doc.meta[0][1]}")
        self.set_creator("Billbot")
        self.set_lang(doc.locale)
        self.footer_lines: list[str] = []
        self.alias_nb_pages()

    # -- plumbing ----------------------------------------------------------------------------------------

    def text_of(self, text: str) -> str:
        return text.translate(_SPACES) if self.family != "dejavu" else text

    def font(self, size: float, bold: bool = False, colour: tuple[int, int, int] = INK) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.set_text_color(*colour)

    def put(self, w: float, h: float, text: str, align: str = "L", **kwargs: object) -> None:
        self.cell(w, h, self.text_of(text), align=align, **kwargs)  # type: ignore[arg-type]

    def lines_of(self, w: float, text: str) -> list[str]:
        found = self.multi_cell(w, LINE_H, self.text_of(text), dry_run=True, output="LINES", padding=_CELL_PADDING)
        if not isinstance(found, list):
            return [text]
        if self.family == "dejavu":
            return list(found)
        # fpdf2 hands back core-font lines already encoded (Windows-1252 bytes read as Latin-1): undo that,
        # so they can go through cell() like any other text.
        return [line.encode("latin-1").decode("cp1252") for line in found]

    def _footer_lines(self) -> list[str]:
        if not self.doc.footer:
            return []
        self.font(8)
        lines: list[str] = []
        for paragraph in self.doc.footer.splitlines() or [""]:
            lines += self.lines_of(CONTENT_W, paragraph) if paragraph.strip() else [""]
        return lines[:12]

    def footer(self) -> None:
        self.set_y(-(10 + LINE_H * len(self.footer_lines)))
        self.font(8, colour=GREY)
        if self.footer_lines:
            self.set_draw_color(221, 221, 221)
            self.line(MARGIN, self.get_y() - 1.5, PAGE_W - MARGIN, self.get_y() - 1.5)
            for line in self.footer_lines:
                self.put(CONTENT_W, LINE_H, line, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        page = self.doc.labels["page"].format(page=self.page_no(), pages="{nb}")
        self.put(CONTENT_W, LINE_H, page, align="R")

    def logo(self, x: float, y: float, max_w: float, max_h: float, align: str = "L") -> float:
        """Draws the logo fitted in max_w × max_h; returns its height (0 without a logo)."""
        if not self.doc.logo:
            return 0.0
        try:
            with Image.open(io.BytesIO(self.doc.logo)) as image:
                width, height = image.size
        except OSError:
            return 0.0  # a logo we cannot read leaves the invoice without one rather than without a PDF
        scale = min(max_w / width, max_h / height)
        w, h = width * scale, height * scale
        left = {"L": x, "C": x + (max_w - w) / 2, "R": x + max_w - w}[align]
        self.image(io.BytesIO(self.doc.logo), x=left, y=y, w=w, h=h)
        return h

    # -- the page ----------------------------------------------------------------------------------------

    def draw(self) -> None:
        self.add_page()
        # Measured on the first page (fpdf2 measures text on a page), before anything could break onto a second.
        self.footer_lines = self._footer_lines()
        self.set_auto_page_break(True, margin=14 + LINE_H * len(self.footer_lines))
        {"classic": self.classic_header, "modern": self.modern_header, "minimal": self.minimal_header}[
            self.doc.template
        ]()
        self.parties()
        if self.doc.status_note:
            self.ln(2)
            self.font(11, bold=True, colour=self.primary)
            self.set_draw_color(*self.primary)
            self.put(self.get_string_width(self.text_of(self.doc.status_note)) + 8, 7, self.doc.status_note,
                     align="C", border=1, new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip
        self.ln(6)
        self.line_items()
        self.totals()
        self.payment()

    def sender_block(self, x: float, width: float, align: str) -> None:
        self.set_xy(x, self.get_y())
        self.font(12, bold=True)
        self.put(width, 6, self.doc.practice_name, align=align, new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.font(9, colour=GREY)
        for line in self.doc.practice_lines:
            self.put(width, LINE_H, line, align=align, new_x=XPos.LEFT, new_y=YPos.NEXT)

    def classic_header(self) -> None:
        y = self.get_y()
        h = self.logo(MARGIN, y, CONTENT_W, 20, align="C")
        self.set_y(y + h + (3 if h else 0))
        self.sender_block(MARGIN, CONTENT_W, "C")
        self.ln(3)
        self.set_draw_color(*self.primary)
        self.set_line_width(0.5)
        self.line(MARGIN, self.get_y(), PAGE_W - MARGIN, self.get_y())
        self.set_line_width(0.2)
        self.line(MARGIN, self.get_y() + 1.2, PAGE_W - MARGIN, self.get_y() + 1.2)
        self.ln(6)
        self.font(20, colour=self.primary)
        self.set_char_spacing(3)
        self.put(CONTENT_W, 10, self.doc.title.upper(), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_char_spacing(0)

    def modern_header(self) -> None:
        self.set_fill_color(*self.primary)
        self.rect(0, 0, PAGE_W, 30, style="F")
        self.set_xy(MARGIN, 9)
        self.font(24, colour=self.on_primary)
        self.put(CONTENT_W / 2, 12, self.doc.title)
        self.font(12, colour=self.on_primary)
        self.put(CONTENT_W / 2, 12, self.doc.meta[0][1], align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        top = 38.0
        h = self.logo(MARGIN, top, 60, 20)
        self.set_y(top)
        self.sender_block(MARGIN + CONTENT_W / 2, CONTENT_W / 2, "R")
        self.set_y(max(self.get_y(), top + h))

    def minimal_header(self) -> None:
        self.set_fill_color(*self.primary)
        self.rect(0, 0, PAGE_W, 1.6, style="F")
        top = self.get_y()
        self.font(22)
        self.put(CONTENT_W / 2, 10, self.doc.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.font(10, colour=GREY)
        self.put(CONTENT_W / 2, 5, self.doc.meta[0][1], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        left_bottom = self.get_y()
        h = self.logo(MARGIN + CONTENT_W / 2, top, CONTENT_W / 2, 16, align="R")
        self.set_y(top + h + (2 if h else 0))
        self.sender_block(MARGIN + CONTENT_W / 2, CONTENT_W / 2, "R")
        self.set_y(max(self.get_y(), left_bottom))

    def parties(self) -> None:
        self.ln(8)
        top = self.get_y()
        half = CONTENT_W / 2
        self.font(9, colour=GREY)
        self.put(half, 5, self.doc.labels["billed_to"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.font(11, bold=True)
        self.multi_cell(half - 4, 5.5, self.text_of(self.doc.client_name), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.font(10)
        for line in self.doc.client_lines:
            self.put(half, 5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        left_bottom = self.get_y()
        self.set_y(top)
        x = MARGIN + half + 10
        for i, (label, value) in enumerate(self.doc.meta):
            self.set_x(x)
            self.font(9.5, colour=GREY)
            self.put(36, 5.5, label)
            self.font(9.5, bold=i == len(self.doc.meta) - 1)
            self.put(half - 46, 5.5, value, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_y(max(left_bottom, self.get_y()))

    def table_header(self) -> None:
        design = self.doc.template
        h = self.doc.headings
        cells = (h.date, h.description, h.quantity, h.unit_price, h.tax, h.amount)
        if design == "modern":
            self.set_fill_color(*self.primary)
            self.font(9, bold=True, colour=self.on_primary)
        elif design == "classic":
            self.set_fill_color(*self.secondary)
            self.font(9.5, bold=True)
        else:
            self.font(9, colour=GREY)
        y = self.get_y()
        if design != "minimal":
            self.rect(MARGIN, y, CONTENT_W, 8, style="F")
        for text, width, numeric in zip(cells, COLUMNS, NUMERIC, strict=True):
            self.set_x(self.get_x() + 1.5)
            self.put(width - 3, 8, text, align="R" if numeric else "L")
            self.set_x(self.get_x() + 1.5)
        self.set_draw_color(*(self.primary if design == "classic" else INK))
        if design != "modern":
            self.line(MARGIN, y + 8, PAGE_W - MARGIN, y + 8)
        self.set_xy(MARGIN, y + 8)

    def line_items(self) -> None:
        self.table_header()
        for index, row in enumerate(self.doc.rows):
            self.font(9.5)
            cells = (row.date, row.description, row.quantity, row.unit_price, row.tax, row.amount)
            wrapped = [self.lines_of(w, text) for w, text in zip(COLUMNS, cells, strict=True)]
            height = max(len(lines) for lines in wrapped) * LINE_H + 3
            if self.will_page_break(height):
                self.add_page()
                self.table_header()
            y = self.get_y()
            if self.doc.template == "modern" and index % 2 == 1:
                self.set_fill_color(*self.secondary)
                self.rect(MARGIN, y, CONTENT_W, height, style="F")
            self.font(9.5)
            x = MARGIN
            for lines, width, numeric in zip(wrapped, COLUMNS, NUMERIC, strict=True):
                for n, line in enumerate(lines):
                    self.set_xy(x + 1.5, y + 1.5 + n * LINE_H)
                    self.cell(width - 3, LINE_H, line, align="R" if numeric else "L")
                x += width
            if self.doc.template == "classic":
                self.set_draw_color(229, 229, 229)
                self.line(MARGIN, y + height, PAGE_W - MARGIN, y + height)
            self.set_xy(MARGIN, y + height)

    def totals(self) -> None:
        self.ln(4)
        width = 84.0
        x = PAGE_W - MARGIN - width
        if self.will_page_break(7 * len(self.doc.totals)):
            self.add_page()
        for total in self.doc.totals:
            if total.strong and self.doc.template != "modern":
                self.set_draw_color(*(self.primary if self.doc.template == "classic" else INK))
                self.line(x, self.get_y(), PAGE_W - MARGIN, self.get_y())
            colour = self.primary if total.strong and self.doc.template == "modern" else INK
            self.set_x(x)
            self.font(11 if total.strong else 10, bold=total.strong, colour=colour)
            self.put(width - 36, 6.5, total.label)
            self.put(36, 6.5, total.amount, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def payment(self) -> None:
        if not self.doc.payment_url or not self.doc.pay_label:
            return
        self.ln(8)
        self.font(10)
        label = self.text_of(self.doc.pay_label) + " "
        self.cell(self.get_string_width(label), 6, label)
        self.font(10, bold=True, colour=self.primary)
        self.multi_cell(0, 6, self.text_of(self.doc.payment_url), link=self.doc.payment_url)
