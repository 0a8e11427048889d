"""Block Kit of the invoice modal: the form itself, "Creating invoice…", and the result (or the error and Retry)."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot import blocks, money
from bot.blocks import Block, Element
from bot.i18n import format_date, format_money, t, tax_rate_label
from bot.typed_numbers import whole_number
from flows.invoices import ids
from flows.invoices.modal.draft import Draft, LineDraft
from flows.invoices.modal.logic import Catalog
from flows.invoices.totals import Rate, Totals, totals

# A line is its heading (with Remove), date, service, description, quantity, unit price and tax rate.
BLOCKS_PER_LINE = 7
# Around the lines: setup notice, client, "New client", due date, memo, "Add a line" (or the limit), totals.
FIXED_BLOCKS = 7
# Kept free under Slack's 100, so a block added to the modal later cannot push a full modal over the limit.
SPARE_BLOCKS = 10
MAX_LINES = (blocks.VIEW_BLOCKS_MAX - FIXED_BLOCKS - SPARE_BLOCKS) // BLOCKS_PER_LINE
MEMO_MAX = 500
DESCRIPTION_MAX = 200  # InvoiceLine.description
PRICE_INPUT_MAX = 20
QUANTITY_MAX = 10_000


def invoice_modal(draft: Draft, catalog: Catalog, locale: str) -> dict[str, Any]:
    content: list[Block] = []
    notices = setup_notices(catalog, locale)
    if draft.sessions_left_out:
        notices.append(t(locale, "invoice_modal.sessions_left_out", count=draft.sessions_left_out, max=MAX_LINES))
    if notices:
        content.append({**blocks.context(*notices), "block_id": ids.NOTICE_BLOCK})
    content.append(_client_input(draft, locale))
    content.append(
        blocks.actions(
            blocks.button(t(locale, "invoice_modal.new_client"), ids.NEW_CLIENT_ACTION, value="new"),
            block_id=ids.CLIENT_ACTIONS_BLOCK,
        )
    )
    content.append(
        blocks.input_block(
            t(locale, "invoice_modal.due_date"),
            blocks.datepicker(ids.DUE_BLOCK, initial_date=draft.due_date),
            block_id=ids.DUE_BLOCK,
        )
    )
    content.append(
        blocks.input_block(
            t(locale, "invoice_modal.memo"),
            blocks.plain_text_input(ids.MEMO_BLOCK, initial_value=draft.memo, max_length=MEMO_MAX, multiline=True),
            block_id=ids.MEMO_BLOCK,
            optional=True,
            hint=t(locale, "invoice_modal.memo_hint"),
        )
    )
    computed = running_totals(draft, catalog)
    for position, line in enumerate(draft.lines):
        amount = computed.lines[position] if computed and catalog.currency else None
        content.extend(_line_blocks(line, position + 1, len(draft.lines) > 1, catalog, locale, amount))
    if len(draft.lines) < MAX_LINES:
        add = blocks.button(t(locale, "invoice_modal.add_line"), ids.ADD_LINE_ACTION, value="add")
        content.append(blocks.actions(add, block_id=ids.LINES_ACTIONS_BLOCK))
    else:
        content.append({**blocks.context(t(locale, "invoice_modal.limit", max=MAX_LINES)), "block_id": ids.LIMIT_BLOCK})
    content.append(blocks.section(totals_text(computed, catalog, locale), block_id=ids.TOTALS_BLOCK))
    title = (
        t(locale, "correction.modal.title", number=draft.replaces_number)
        if draft.replaces is not None
        else t(locale, "invoice_modal.title")
    )
    return blocks.modal(
        title,
        content,
        callback_id=ids.CALLBACK,
        close=t(locale, "invoice_modal.cancel"),
        submit=t(locale, "invoice_modal.create"),
        private_metadata=draft.metadata(),
    )


def setup_notices(catalog: Catalog, locale: str) -> list[str]:
    notices = []
    if not catalog.stripe_ready:
        notices.append(t(locale, "invoice_modal.notice.stripe"))
    if catalog.currency is None:
        notices.append(t(locale, "invoice_modal.notice.settings"))
    return notices


def _client_input(draft: Draft, locale: str) -> Block:
    initial = blocks.option(draft.client.label, str(draft.client.id)) if draft.client else None
    select = blocks.external_select(
        ids.CLIENT_ACTION,
        initial_option=initial,
        placeholder=t(locale, "invoice_modal.client_placeholder"),
        min_query_length=0,
    )
    return blocks.input_block(
        t(locale, "invoice_modal.client"), select, block_id=ids.client_block(draft.client_revision)
    )


def _line_blocks(
    line: LineDraft, number: int, removable: bool, catalog: Catalog, locale: str, amount: Any
) -> list[Block]:
    key = line.key
    heading = t(locale, "invoice_modal.line", number=number)
    if amount is not None and catalog.currency:
        heading += "  ·  " + format_money(amount.amount, catalog.currency, locale)
    remove = (
        blocks.button(t(locale, "invoice_modal.remove_line"), ids.REMOVE_LINE_ACTION, value=str(key))
        if removable
        else None
    )
    result = [
        blocks.section(f"*{heading}*", accessory=remove, block_id=ids.line_block(key, ids.LINE_HEAD)),
        blocks.input_block(
            t(locale, "invoice_modal.line_date"),
            blocks.datepicker(ids.line_action(ids.LINE_DATE), initial_date=line.service_date),
            block_id=ids.line_block(key, ids.LINE_DATE),
        ),
    ]
    if catalog.services:
        result.append(_service_block(line, catalog, locale))
    result.append(
        blocks.input_block(
            t(locale, "invoice_modal.description"),
            blocks.plain_text_input(
                ids.line_action(ids.LINE_DESCRIPTION), initial_value=line.description, max_length=DESCRIPTION_MAX
            ),
            block_id=ids.line_block(key, ids.LINE_DESCRIPTION),
            optional=True,
            hint=t(locale, "invoice_modal.description_hint") if catalog.services else None,
        )
    )
    result.append(
        blocks.dispatching(
            blocks.input_block(
                t(locale, "invoice_modal.quantity"),
                blocks.number_input(
                    ids.line_action(ids.LINE_QUANTITY),
                    initial_value=line.quantity,
                    min_value="1",
                    max_value=str(QUANTITY_MAX),
                ),
                block_id=ids.line_block(key, ids.LINE_QUANTITY),
            ),
            "on_enter_pressed",
            "on_character_entered",
        )
    )
    result.append(_price_block(line, catalog, locale))
    if catalog.rates:
        result.append(_tax_block(line, catalog, locale))
    return result


def _service_block(line: LineDraft, catalog: Catalog, locale: str) -> Block:
    options = [blocks.option(t(locale, "invoice_modal.no_service"), ids.NONE_VALUE)]
    for service in catalog.services[: blocks.SELECT_OPTIONS_MAX - 1]:
        label = service.name
        if service.currency == catalog.currency:
            label += " · " + format_money(service.unit_amount, service.currency, locale)
        elif catalog.currency:
            # Priced in the practice's former currency (prices are never converted): no price to fill in.
            label += " · " + t(locale, "invoice_modal.service_no_price", currency=catalog.currency.upper())
        options.append(blocks.option(label, str(service.id)))
    chosen = next((o for o in options if o["value"] == line.service), None)
    select = blocks.static_select(
        ids.line_action(ids.LINE_SERVICE),
        options=options,
        initial_option=chosen,
        placeholder=t(locale, "invoice_modal.service_placeholder"),
    )
    return blocks.dispatching(
        blocks.input_block(
            t(locale, "invoice_modal.service"),
            select,
            block_id=ids.line_block(line.key, ids.LINE_SERVICE),
            optional=True,
        )
    )


def _price_block(line: LineDraft, catalog: Catalog, locale: str) -> Block:
    currency_code = (catalog.currency or "").upper()
    price_label = (
        t(locale, "invoice_modal.unit_price", currency=currency_code)
        if currency_code
        else t(locale, "invoice_modal.unit_price_plain")
    )
    return blocks.dispatching(
        blocks.input_block(
            price_label,
            blocks.plain_text_input(
                ids.line_action(ids.LINE_PRICE),
                initial_value=line.price,
                max_length=PRICE_INPUT_MAX,
                placeholder=t(locale, "invoice_modal.price_placeholder"),
            ),
            block_id=ids.line_block(line.key, ids.LINE_PRICE, line.revision),
        ),
        "on_enter_pressed",
        "on_character_entered",
    )


def _tax_block(line: LineDraft, catalog: Catalog, locale: str) -> Block:
    rate_options = [blocks.option(t(locale, "invoice_modal.no_tax"), ids.NONE_VALUE)]
    for rate in catalog.rates[: blocks.SELECT_OPTIONS_MAX - 1]:
        kind = t(locale, "invoice_modal.inclusive" if rate.inclusive else "invoice_modal.exclusive")
        label = tax_rate_label(rate.name, rate.percentage, locale)
        rate_options.append(blocks.option(f"{label} ({kind})", str(rate.id)))
    chosen_rate = next((o for o in rate_options if o["value"] == (line.tax or ids.NONE_VALUE)), rate_options[0])
    return blocks.dispatching(
        blocks.input_block(
            t(locale, "invoice_modal.tax"),
            blocks.static_select(ids.line_action(ids.LINE_TAX), options=rate_options, initial_option=chosen_rate),
            block_id=ids.line_block(line.key, ids.LINE_TAX, line.revision),
            optional=True,
        )
    )


def running_totals(draft: Draft, catalog: Catalog) -> Totals | None:
    """The totals of what is typed so far; a line whose quantity or price does not read yet counts as zero."""
    if catalog.currency is None:
        return None
    rows: list[tuple[int, int, Rate | None]] = []
    for line in draft.lines:
        quantity = whole_number(line.quantity) or 0
        try:
            unit = money.parse_amount(line.price, catalog.currency) if line.price.strip() else 0
        except ValueError:
            unit = 0
        chosen = catalog.rate(line.tax_rate_id)
        rows.append((min(quantity, QUANTITY_MAX), max(unit, 0), chosen.rate if chosen else None))
    return totals(rows)


def totals_text(computed: Totals | None, catalog: Catalog, locale: str) -> str:
    if computed is None or catalog.currency is None:
        return t(locale, "invoice_modal.totals_unknown")
    currency = catalog.currency
    return "\n".join(
        [
            t(locale, "invoice_modal.subtotal", amount=format_money(computed.subtotal, currency, locale)),
            t(locale, "invoice_modal.tax_total", amount=format_money(computed.tax, currency, locale)),
            t(locale, "invoice_modal.total", amount=format_money(computed.total, currency, locale)),
        ]
    )


# -- after Create ---------------------------------------------------------------------------------------------


def status_modal(locale: str, text: str, *, retry_invoice_id: int | None = None, metadata: str = "") -> dict[str, Any]:
    content: list[Block] = [blocks.section(text, block_id="status")]
    if retry_invoice_id is not None:
        retry: Element = blocks.button(
            t(locale, "invoice_modal.retry"), ids.RETRY_ACTION, value=str(retry_invoice_id), style="primary"
        )
        content.append(blocks.actions(retry, block_id="status_retry"))
    return blocks.modal(
        t(locale, "invoice_modal.title"),
        content,
        callback_id=ids.RESULT_CALLBACK,
        close=t(locale, "common.close"),
        private_metadata=metadata,
    )


def creating_modal(locale: str, metadata: str = "") -> dict[str, Any]:
    return status_modal(locale, t(locale, "invoice_modal.creating"), metadata=metadata)


def created_text(locale: str, *, number: str, total: int, currency: str, client_name: str, channel_id: str | None,
                 due: date) -> str:  # fmt: skip
    where = (
        t(locale, "invoice_modal.posted_channel", channel=f"<#{channel_id}>")
        if channel_id
        else t(locale, "invoice_modal.posted_dm")
    )
    return t(
        locale,
        "invoice_modal.created",
        number=number,
        client=client_name,
        total=format_money(total, currency, locale),
        where=where,
        due=_date(due, locale),
    )


def _date(value: date, locale: str) -> str:
    return format_date(value, locale)
