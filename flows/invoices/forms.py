"""What the invoice modal hands to invoice creation: a validated form, amounts in minor units."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class LineForm:
    service_date: date
    description: str  # the service's name, or what the user typed
    quantity: int  # at least 1
    unit_amount: int  # minor units of the practice's currency, at least 1
    service_id: int | None = None
    tax_rate_id: int | None = None  # one of the practice's active rates, or no tax


@dataclass(frozen=True)
class InvoiceForm:
    client_id: int
    currency: str  # the practice's currency when the modal was submitted, lower case
    due_date: date
    lines: tuple[LineForm, ...]
    memo: str | None = None
    # The client's sessions this invoice bills (from "Invoice uninvoiced sessions"); each links to it.
    appointment_ids: tuple[int, ...] = ()
