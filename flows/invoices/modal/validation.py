"""The invoice modal's submission → an InvoiceForm, or one message per wrong field keyed by its block id."""

from __future__ import annotations

from datetime import date

from bot import money
from bot.i18n import format_money, t
from bot.models import Client
from bot.typed_numbers import Refusal, is_ascii_digits, read_whole_number
from flows.invoices import ids
from flows.invoices.forms import InvoiceForm, LineForm
from flows.invoices.modal.draft import Draft, LineDraft
from flows.invoices.modal.logic import Catalog
from flows.invoices.modal.views import DESCRIPTION_MAX, MEMO_MAX, QUANTITY_MAX

# Stripe's largest amount for one invoice item or invoice: eight digits of the minor unit.
AMOUNT_MAX = 99_999_999

Errors = dict[str, str]


def validate(
    draft: Draft, catalog: Catalog, client: Client | None, locale: str, today: date
) -> tuple[InvoiceForm | None, Errors]:
    errors: Errors = {}
    client_block = ids.client_block(draft.client_revision)
    # Setup problems come first, on the first field: nothing else can be fixed from inside this modal.
    setup = []
    if not catalog.stripe_ready:
        setup.append(t(locale, "invoice_modal.error.stripe"))
    if catalog.currency is None:
        setup.append(t(locale, "invoice_modal.error.settings"))
    if setup:
        errors[client_block] = " ".join(setup)
    elif draft.client is None or client is None:
        errors[client_block] = t(locale, "invoice_modal.error.client")
    elif not client.email:
        errors[client_block] = t(locale, "invoice_modal.error.client_email", name=client.name)

    due = _date(draft.due_date)
    if due is None:
        errors[ids.DUE_BLOCK] = t(locale, "common.error.required")
    elif due < today:
        errors[ids.DUE_BLOCK] = t(locale, "invoice_modal.error.due_past")
    memo = draft.memo.strip()
    if len(memo) > MEMO_MAX:
        errors[ids.MEMO_BLOCK] = t(locale, "common.error.too_long", limit=MEMO_MAX, length=len(memo))

    lines: list[LineForm] = []
    if not draft.lines:
        errors.setdefault(client_block, t(locale, "invoice_modal.error.no_lines"))
    for line in draft.lines:
        parsed = _line(line, catalog, locale, errors)
        if parsed is not None:
            lines.append(parsed)
    if lines and len(lines) == len(draft.lines):
        total = sum(line.quantity * line.unit_amount for line in lines)
        if total > AMOUNT_MAX:
            last = draft.lines[-1]
            errors[ids.line_block(last.key, ids.LINE_PRICE, last.revision)] = t(
                locale, "invoice_modal.error.invoice_too_large", max=_max(catalog, locale)
            )
    if errors:
        return None, errors
    assert catalog.currency and client is not None and client.id is not None and due is not None
    form = InvoiceForm(
        client_id=client.id,
        currency=catalog.currency,
        due_date=due,
        lines=tuple(lines),
        memo=memo or None,
        appointment_ids=draft.appointment_ids,
    )
    return form, {}


def _line(line: LineDraft, catalog: Catalog, locale: str, errors: Errors) -> LineForm | None:
    before = len(errors)
    service_date = _date(line.service_date)
    if service_date is None:
        errors[ids.line_block(line.key, ids.LINE_DATE)] = t(locale, "common.error.required")

    service = catalog.service(line.service_id)
    if line.service_id is not None and service is None:
        errors[ids.line_block(line.key, ids.LINE_SERVICE)] = t(locale, "invoice_modal.error.service_gone")
    description = " ".join(line.description.split())
    if not description and service is not None:
        description = service.name
    if not description:
        errors[ids.line_block(line.key, ids.LINE_DESCRIPTION)] = t(
            locale, "invoice_modal.error.description" if catalog.services else "common.error.required"
        )
    elif len(description) > DESCRIPTION_MAX:
        errors[ids.line_block(line.key, ids.LINE_DESCRIPTION)] = t(
            locale, "common.error.too_long", limit=DESCRIPTION_MAX, length=len(description)
        )

    quantity: int | None = None
    read = read_whole_number(line.quantity, minimum=1, maximum=QUANTITY_MAX)
    quantity_block = ids.line_block(line.key, ids.LINE_QUANTITY)
    if read is Refusal.EMPTY:
        errors[quantity_block] = t(locale, "common.error.required")
    elif isinstance(read, Refusal):
        errors[quantity_block] = t(locale, "invoice_modal.error.quantity", max=QUANTITY_MAX)
    else:
        quantity = read

    unit_amount: int | None = None
    price_block = ids.line_block(line.key, ids.LINE_PRICE, line.revision)
    priced_otherwise = service is not None and catalog.currency is not None and service.currency != catalog.currency
    if priced_otherwise and service is not None and catalog.currency is not None and not line.price.strip():
        # Its price is in another currency and none was typed: say why rather than just "required".
        currency = catalog.currency.upper()
        errors[price_block] = t(locale, "invoice_modal.error.service_no_price", service=service.name, currency=currency)
    if catalog.currency is not None and price_block not in errors:
        unit_amount = _price(line.price, catalog, locale, price_block, errors)
        if unit_amount is not None and quantity is not None and quantity * unit_amount > AMOUNT_MAX:
            errors[price_block] = t(locale, "invoice_modal.error.line_too_large", max=_max(catalog, locale))
    rate = catalog.rate(line.tax_rate_id)
    if line.tax_rate_id is not None and rate is None:
        errors[ids.line_block(line.key, ids.LINE_TAX, line.revision)] = t(locale, "invoice_modal.error.rate_gone")
    if len(errors) > before or service_date is None or quantity is None or unit_amount is None:
        return None
    return LineForm(
        service_date=service_date,
        description=description,
        quantity=quantity,
        unit_amount=unit_amount,
        service_id=service.id if service else None,
        tax_rate_id=rate.id if rate else None,
    )


def _price(text: str, catalog: Catalog, locale: str, block_id: str, errors: Errors) -> int | None:
    assert catalog.currency is not None
    raw = text.strip()
    if not raw:
        errors[block_id] = t(locale, "common.error.required")
        return None
    try:
        amount = money.parse_amount(raw, catalog.currency)
    except ValueError:
        places = money.exponent(catalog.currency)
        key = "invoice_modal.error.price"
        if _looks_numeric(raw):
            key = "invoice_modal.error.price_decimals" if places else "invoice_modal.error.price_no_decimals"
        errors[block_id] = t(locale, key, currency=catalog.currency.upper(), places=places)
        return None
    if amount <= 0:
        errors[block_id] = t(locale, "invoice_modal.error.price_positive")
        return None
    if amount > AMOUNT_MAX:
        errors[block_id] = t(locale, "invoice_modal.error.price_too_large", max=_max(catalog, locale))
        return None
    return amount


def _looks_numeric(text: str) -> bool:
    cleaned = text.replace(" ", "").replace("\u00a0", "").replace("\u202f", "").replace(",", ".")
    return is_ascii_digits(cleaned.replace(".", "", cleaned.count(".")))


def _max(catalog: Catalog, locale: str) -> str:
    assert catalog.currency is not None
    return format_money(AMOUNT_MAX, catalog.currency, locale)


def _date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
