"""An invoice document put into words: every label, amount and date as the reader sees it.

The HTML and the PDF both print this, so the two never disagree on a figure or a translation.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from babel import Locale

from bot.documents.model import DEFAULT_PRIMARY, DEFAULT_SECONDARY, TEMPLATES, Address, InvoiceDocument
from bot.i18n import format_date, format_money, normalise_locale, t

_BABEL = {"en": "en_US", "fr": "fr_FR"}


@dataclass(frozen=True)
class Row:
    date: str
    description: str
    quantity: str
    unit_price: str
    tax: str
    amount: str


@dataclass(frozen=True)
class Total:
    label: str
    amount: str
    strong: bool = False


@dataclass(frozen=True)
class Presented:
    locale: str
    template: str
    primary: str
    secondary: str
    on_primary: str  # black or white, whichever reads better on the primary colour
    title: str
    practice_name: str
    practice_lines: tuple[str, ...]
    client_name: str
    client_lines: tuple[str, ...]
    meta: tuple[tuple[str, str], ...]  # (label, value): number, dates, amount due
    headings: Row
    rows: tuple[Row, ...]
    totals: tuple[Total, ...]
    status_note: str | None
    pay_label: str | None
    payment_url: str | None
    footer: str | None
    logo: bytes | None
    logo_mime: str | None
    labels: dict[str, str]


def present(doc: InvoiceDocument, locale: str) -> Presented:
    locale = normalise_locale(locale)
    brand = doc.branding

    def money(amount: int) -> str:
        return format_money(amount, doc.currency, locale)

    rows = tuple(
        Row(
            date=format_date(line.service_date, locale, "medium"),
            description=line.description,
            quantity=str(line.quantity),
            unit_price=money(line.unit_amount),
            tax=line.tax_label or "—",
            amount=money(line.amount),
        )
        for line in doc.lines
    )
    totals = [Total(t(locale, "document.subtotal"), money(doc.subtotal))]
    totals += [Total(tax.label, money(tax.amount)) for tax in doc.taxes]
    totals.append(Total(t(locale, "document.total"), money(doc.total), strong=True))
    if doc.amount_paid:
        totals.append(Total(t(locale, "document.amount_paid"), money(doc.amount_paid)))
    if doc.amount_refunded:
        totals.append(Total(t(locale, "document.amount_refunded"), money(doc.amount_refunded)))
    totals.append(Total(t(locale, "document.amount_due"), money(doc.amount_due), strong=True))
    client_lines = list(address_lines(doc.client_address, locale))
    if doc.client_email:
        client_lines.append(doc.client_email)
    meta = (
        (t(locale, "document.number"), doc.number),
        (t(locale, "document.issue_date"), format_date(doc.issue_date, locale, "long")),
        (t(locale, "document.due_date"), format_date(doc.due_date, locale, "long")),
        (t(locale, "document.amount_due"), money(doc.amount_due)),
    )
    status_note = None
    if doc.status == "paid":
        status_note = t(locale, "document.status.paid")
    elif doc.status == "void":
        status_note = t(locale, "document.status.void")
    payable = doc.payment_url and doc.amount_due > 0 and doc.status == "open"
    primary = _colour(brand.primary_color, DEFAULT_PRIMARY)
    return Presented(
        locale=locale,
        template=brand.template if brand.template in TEMPLATES else TEMPLATES[0],
        primary=primary,
        secondary=_colour(brand.secondary_color, DEFAULT_SECONDARY),
        on_primary=readable_on(primary),
        title=t(locale, "document.title"),
        practice_name=doc.practice_name,
        practice_lines=tuple(address_lines(doc.practice_address, locale)),
        client_name=doc.client_name,
        client_lines=tuple(client_lines),
        meta=meta,
        headings=Row(
            t(locale, "document.col.date"),
            t(locale, "document.col.service"),
            t(locale, "document.col.quantity"),
            t(locale, "document.col.unit_price"),
            t(locale, "document.col.tax"),
            t(locale, "document.col.amount"),
        ),
        rows=rows,
        totals=tuple(totals),
        status_note=status_note,
        pay_label=t(locale, "document.pay_online") if payable else None,
        payment_url=doc.payment_url if payable else None,
        footer=(brand.footer or "").strip() or None,
        logo=brand.logo,
        logo_mime=brand.logo_mime,
        labels={
            "billed_to": t(locale, "document.billed_to"),
            "from": t(locale, "document.from"),
            "page": t(locale, "document.page"),
        },
    )


def address_lines(address: Address, locale: str) -> list[str]:
    if address.empty:
        return []
    lines = [line for line in (address.line1, address.line2) if line]
    city = " ".join(part for part in (address.postal_code, address.city) if part)
    if city:
        lines.append(city)
    if address.region:
        lines.append(address.region)
    if address.country:
        lines.append(country_name(address.country, locale))
    return lines


@cache
def _territories(locale: str) -> dict[str, str]:
    return dict(Locale.parse(_BABEL[normalise_locale(locale)]).territories)


def country_name(code: str, locale: str) -> str:
    return _territories(locale).get(code.upper(), code.upper())


def _colour(value: str, default: str) -> str:
    value = (value or "").strip().lower()
    if len(value) == 7 and value[0] == "#" and all(c in "0123456789abcdef" for c in value[1:]):
        return value
    return default


def rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def readable_on(colour: str) -> str:
    """White or near-black text on ``colour``, by WCAG relative luminance."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb(colour))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#ffffff" if luminance < 0.2 else "#1a1a1a"
