"""What an invoice document shows: plain data, read from our rows once, rendered to HTML or PDF.

Amounts are integers of the currency's minor unit, as everywhere else; the renderers format them with
``bot.i18n.format_money`` in the document's language and never add anything up themselves, so the totals a
document prints are exactly the invoice's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

TEMPLATES = ("classic", "modern", "minimal")
DEFAULT_TEMPLATE = "classic"
DEFAULT_PRIMARY = "#1f4e79"
DEFAULT_SECONDARY = "#dce6f0"


@dataclass(frozen=True)
class Address:
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2; printed by name in the document's language

    @property
    def empty(self) -> bool:
        return not any((self.line1, self.line2, self.city, self.region, self.postal_code, self.country))


@dataclass(frozen=True)
class Branding:
    """The practice's invoice template: design, colours ("#rrggbb"), logo and footer."""

    template: str = DEFAULT_TEMPLATE
    primary_color: str = DEFAULT_PRIMARY
    secondary_color: str = DEFAULT_SECONDARY
    logo: bytes | None = None
    logo_mime: str | None = None  # image/png or image/jpeg
    footer: str | None = None


@dataclass(frozen=True)
class DocumentLine:
    service_date: date
    description: str
    quantity: int
    unit_amount: int
    amount: int  # quantity × unit amount, as the invoice line holds it
    tax_label: str | None = None  # e.g. "TVA 20 %"; None when the line is not taxed
    tax_amount: int = 0


@dataclass(frozen=True)
class TaxTotal:
    label: str
    amount: int


@dataclass(frozen=True)
class InvoiceDocument:
    practice_name: str
    number: str
    currency: str
    issue_date: date
    due_date: date
    client_name: str
    subtotal: int
    total: int
    amount_paid: int
    amount_due: int
    lines: tuple[DocumentLine, ...] = ()
    amount_refunded: int = 0  # refunds and credit for money given back outside Stripe
    taxes: tuple[TaxTotal, ...] = ()
    practice_address: Address = field(default_factory=Address)
    client_email: str | None = None
    client_address: Address = field(default_factory=Address)
    payment_url: str | None = None
    status: str = "open"  # Stripe's words: draft, open, paid, void, uncollectible
    branding: Branding = field(default_factory=Branding)
