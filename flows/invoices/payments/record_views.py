"""The Record payment and Charge modals, their outcome, and the balance line every invoice view shows."""

from __future__ import annotations

import json
from datetime import date

from bot import blocks
from bot.i18n import format_money, t
from bot.models import Client, Invoice
from flows.invoices.payments import ids
from flows.invoices.payments.recording import METHODS


def balance_text(invoice: Invoice, locale: str) -> str | None:
    """ "Paid 40,00 € · Balance due 80,00 €" once part of an invoice still open is paid; None before."""
    if invoice.status not in ("open", "uncollectible") or invoice.amount_paid <= 0:
        return None
    paid = format_money(invoice.amount_paid, invoice.currency, locale)
    due = format_money(invoice.amount_remaining, invoice.currency, locale)
    return t(locale, "record.balance", paid=paid, due=due)


def _metadata(invoice: Invoice, channel_id: str | None) -> str:
    return json.dumps({"invoice": invoice.id, "channel": channel_id}, separators=(",", ":"))


def _summary(invoice: Invoice, client: Client, balance: int, locale: str) -> blocks.Block:
    text = t(
        locale,
        "record.summary",
        number=invoice.number,
        client=blocks.escape_mrkdwn(client.name),
        total=format_money(invoice.total, invoice.currency, locale),
        due=format_money(balance, invoice.currency, locale),
    )
    return blocks.section(text, block_id=ids.SUMMARY_BLOCK)


def _amount_blocks(invoice: Invoice, balance: int, locale: str) -> list[blocks.Block]:
    whole = blocks.option(t(locale, "record.how.all", amount=format_money(balance, invoice.currency, locale)), ids.ALL)
    part = blocks.option(t(locale, "record.how.part"), ids.PART)
    return [
        blocks.input_block(
            t(locale, "record.how"),
            blocks.radio_buttons(ids.HOW_BLOCK, [whole, part], initial_option=whole),
            block_id=ids.HOW_BLOCK,
        ),
        blocks.text_field(
            t(locale, "record.amount"),
            ids.AMOUNT_BLOCK,
            max_length=20,
            optional=True,
            placeholder=format_money(balance, invoice.currency, locale),
            hint=t(locale, "record.amount.hint"),
        ),
    ]


def record_modal(
    invoice: Invoice, client: Client, balance: int, locale: str, *, today: date, channel_id: str | None
) -> dict[str, object]:
    """Record a payment received outside Stripe: how, when, how much (all of it preselected), a reference."""
    options = [blocks.option(t(locale, f"record.method.{m}"), m) for m in METHODS]
    content: list[blocks.Block] = [
        _summary(invoice, client, balance, locale),
        blocks.input_block(
            t(locale, "record.method"),
            blocks.static_select(ids.METHOD_BLOCK, options=options, initial_option=options[0]),
            block_id=ids.METHOD_BLOCK,
        ),
        blocks.input_block(
            t(locale, "record.date"),
            blocks.datepicker(ids.DATE_BLOCK, initial_date=today.isoformat()),
            block_id=ids.DATE_BLOCK,
        ),
        *_amount_blocks(invoice, balance, locale),
        blocks.text_field(
            t(locale, "record.reference"),
            ids.REFERENCE_BLOCK,
            max_length=ids.REFERENCE_MAX,
            optional=True,
            placeholder=t(locale, "record.reference.placeholder"),
        ),
    ]
    return blocks.modal(
        t(locale, "record.title"),
        content,
        callback_id=ids.RECORD_CALLBACK,
        submit=t(locale, "record.submit"),
        close=t(locale, "record.cancel"),
        private_metadata=_metadata(invoice, channel_id),
    )


def charge_modal(
    invoice: Invoice, client: Client, balance: int, locale: str, *, channel_id: str | None
) -> dict[str, object]:
    """Charge the card on file: the balance, or a part of it (a part payment leaves a balance)."""
    content: list[blocks.Block] = [
        _summary(invoice, client, balance, locale),
        blocks.context(t(locale, "record.charge.text", client=client.name)),
        *_amount_blocks(invoice, balance, locale),
    ]
    return blocks.modal(
        t(locale, "record.charge.title"),
        content,
        callback_id=ids.CHARGE_CALLBACK,
        submit=t(locale, "record.charge.submit"),
        close=t(locale, "record.cancel"),
        private_metadata=_metadata(invoice, channel_id),
    )


def result_modal(locale: str, text: str, *, retry_payment_id: int | None = None) -> dict[str, object]:
    """While the payment goes to Stripe, and after: one line, and Retry when Stripe failed midway."""
    retry = None
    if retry_payment_id is not None:
        retry = blocks.button(t(locale, "record.retry"), ids.RETRY_ACTION, value=str(retry_payment_id), style="primary")
    return blocks.notice_modal(
        t(locale, "record.title"), text, callback_id=ids.RESULT_CALLBACK, close=t(locale, "record.close"), retry=retry
    )


def recorded_text(invoice: Invoice, amount: int, method: str, locale: str) -> str:
    """What the thread reads once a payment is in: how much, how, and the balance left (or paid in full)."""
    shown = format_money(amount, invoice.currency, locale)
    how = t(locale, f"record.method.{method}")
    if invoice.status == "paid":
        return t(locale, "record.thread.paid", number=invoice.number, amount=shown, method=how)
    due = format_money(invoice.amount_remaining, invoice.currency, locale)
    return t(locale, "record.thread.part", number=invoice.number, amount=shown, method=how, due=due)
