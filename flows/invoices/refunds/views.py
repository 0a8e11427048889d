"""Refunds' Block Kit: the modal, what the invoice message gains (the refunded figure, a refund in progress or
failed with Retry, the Refund button), and the thread replies (number and amounts only: the channel reads them)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from bot import blocks
from bot.blocks import escape_mrkdwn
from bot.i18n import format_money, t
from bot.models import Invoice, InvoiceRefund
from flows.invoices.refunds import ids
from flows.invoices.refunds.logic import left_to_refund, paid_amount
from flows.invoices.refunds.validation import NOTE_MAX, REASONS, typed_amount

RETRIES_SHOWN = 3  # failed-midway refunds offered again on one message (there is rarely more than one)


def money_of(amount: int, invoice: Invoice, locale: str) -> str:
    return format_money(amount, invoice.currency, locale)


_money = money_of


def nothing_left(invoice: Invoice, refunds: list[InvoiceRefund], locale: str) -> str:
    refunded = sum(row.amount for row in refunds if row.status in ("pending", "succeeded"))
    paid = paid_amount(invoice)
    return t(
        locale, "refunds.nothing_left", number=invoice.number, refunded=_money(refunded, invoice, locale),
        paid=_money(paid, invoice, locale),
    )  # fmt: skip


# -- the modal ---------------------------------------------------------------------------------------------------


def refund_modal(
    invoice: Invoice, refunds: list[InvoiceRefund], locale: str, *, outside: bool, channel_id: str | None
) -> dict[str, object]:
    left = left_to_refund(invoice, refunds)
    refunded = sum(row.amount for row in refunds if row.status in ("pending", "succeeded"))
    figures = {
        "number": invoice.number,
        "paid": _money(paid_amount(invoice), invoice, locale),
        "refunded": _money(refunded, invoice, locale),
        "left": _money(left, invoice, locale),
    }
    intro = t(locale, "refunds.modal.intro_outside" if outside else "refunds.modal.intro", **figures)
    currency = invoice.currency.upper()
    amount_label = "refunds.modal.amount_outside" if outside else "refunds.modal.amount"
    reasons = [blocks.option(t(locale, f"refunds.reason.{reason}"), reason) for reason in REASONS]
    metadata = json.dumps({"invoice": str(invoice.id), "channel": channel_id}, separators=(",", ":"))
    return blocks.modal(
        t(locale, "refunds.modal.title"),
        [
            blocks.section(intro),
            blocks.input_block(
                t(locale, amount_label, currency=currency),
                blocks.plain_text_input(ids.AMOUNT_ACTION, initial_value=typed_amount(left, invoice.currency, locale)),
                block_id=ids.AMOUNT_BLOCK,
            ),
            blocks.input_block(
                t(locale, "refunds.modal.reason"),
                blocks.static_select(ids.REASON_ACTION, options=reasons, placeholder=t(locale, "refunds.modal.reason")),
                block_id=ids.REASON_BLOCK,
            ),
            blocks.input_block(
                t(locale, "refunds.modal.note"),
                blocks.plain_text_input(ids.NOTE_ACTION, multiline=True, max_length=NOTE_MAX),
                block_id=ids.NOTE_BLOCK,
                optional=True,
                hint=t(locale, "refunds.modal.note_hint"),
            ),
        ],
        callback_id=ids.CALLBACK,
        submit=t(locale, "refunds.modal.submit_outside" if outside else "refunds.modal.submit"),
        close=t(locale, "refunds.modal.close"),
        private_metadata=metadata,
    )


def result_modal(locale: str, text: str, *, retry_refund_id: int | None = None) -> dict[str, object]:
    """What became of the submission: working, done, or Stripe's error with Retry."""
    content: list[blocks.Block] = [blocks.section(text)]
    if retry_refund_id is not None:
        content.append(
            blocks.actions(blocks.button(t(locale, "refunds.button.retry"), ids.RETRY, value=str(retry_refund_id)))
        )
    return blocks.modal(
        t(locale, "refunds.modal.title"),
        content,
        callback_id=ids.RESULT_CALLBACK,
        close=t(locale, "refunds.modal.done"),
    )


def outcome_text(
    invoice: Invoice, refund: InvoiceRefund, locale: str, error: str | None, note_number: str | None = None
) -> str:
    figures = {"amount": _money(refund.amount, invoice, locale), "number": invoice.number}
    if error is not None:
        return t(locale, "refunds.failed_with", error=error, **figures)
    note = note_number or refund.stripe_credit_note_id or ""
    if refund.status == "succeeded":
        return t(locale, "refunds.done_outside" if refund.outside else "refunds.done", credit_note=note, **figures)
    if refund.status in ("failed", "canceled"):
        return thread_failed(invoice, refund, locale)
    return t(locale, "refunds.pending", credit_note=note, **figures)


# -- on the invoice message ----------------------------------------------------------------------------------


def refunded_row(invoice: Invoice, locale: str) -> str | None:
    """ "Refunded 40,00 € of 120,00 €", under the totals, once anything was refunded."""
    if not invoice.amount_refunded:
        return None
    return t(
        locale,
        "refunds.message.refunded",
        refunded=_money(invoice.amount_refunded, invoice, locale),
        paid=_money(paid_amount(invoice), invoice, locale),
    )


def _failed_midway(refunds: Sequence[InvoiceRefund]) -> list[InvoiceRefund]:
    return [row for row in refunds if row.status == "pending" and row.last_error and not row.stripe_credit_note_id]


def refund_blocks(
    invoice: Invoice, refunds: Sequence[InvoiceRefund], locale: str, *, private: bool
) -> list[blocks.Block]:
    """Refunds in progress or failed midway (amounts and Stripe's error); the practice's notes when ``private``."""
    rows = []
    for row in refunds:
        amount = _money(row.amount, invoice, locale)
        if row.status == "pending" and row.last_error and not row.stripe_credit_note_id:
            rows.append(t(locale, "refunds.message.error", amount=amount, error=escape_mrkdwn(row.last_error)))
        elif row.status == "pending":
            rows.append(t(locale, "refunds.message.pending", amount=amount))
    found: list[blocks.Block] = [blocks.context(text) for text in rows[-5:]]
    notes = [row for row in refunds if row.note] if private else []
    if notes:
        lines = [t(locale, "refunds.message.notes")]
        lines += [
            t(locale, "refunds.message.note", amount=_money(row.amount, invoice, locale), note=escape_mrkdwn(row.note))
            for row in notes
            if row.note
        ]
        found.append(blocks.section("\n".join(lines)))
    return found


def refund_actions(invoice: Invoice, refunds: Sequence[InvoiceRefund], locale: str) -> blocks.Block | None:
    """Refund (while something is left to refund on a paid invoice) and Retry for each refund Stripe failed."""
    elements: list[blocks.Element] = []
    if invoice.status == "paid" and invoice.stripe_invoice_id and left_to_refund(invoice, list(refunds)) > 0:
        elements.append(blocks.button(t(locale, "refunds.button.refund"), ids.REFUND, value=str(invoice.id)))
    for row in _failed_midway(refunds)[:RETRIES_SHOWN]:
        elements.append(blocks.button(t(locale, "refunds.button.retry"), ids.RETRY, value=str(row.id)))
    return blocks.actions(*elements, block_id=ids.ACTIONS_BLOCK) if elements else None


# -- the thread (the channel reads it: number and amounts) ----------------------------------------------------


def thread_reply(invoice: Invoice, refund: InvoiceRefund, refunds: list[InvoiceRefund], locale: str) -> str | None:
    """The reply for a refund that has just succeeded or failed; None for a state not worth a reply."""
    if refund.status == "succeeded":
        key = "refunds.thread.credited_outside" if refund.outside else "refunds.thread.refunded"
        return t(
            locale,
            key,
            amount=_money(refund.amount, invoice, locale),
            number=invoice.number,
            refunded=_money(invoice.amount_refunded, invoice, locale),
            paid=_money(paid_amount(invoice), invoice, locale),
        )
    if refund.status in ("failed", "canceled"):
        return thread_failed(invoice, refund, locale, left=left_to_refund(invoice, refunds))
    return None


def thread_failed(invoice: Invoice, refund: InvoiceRefund, locale: str, *, left: int | None = None) -> str:
    reason = refund.failure_reason or "unknown"
    why = t(locale, f"refunds.failure.{reason}")
    if why.startswith("refunds.failure."):
        why = t(locale, "refunds.failure.unknown")
    return t(
        locale,
        "refunds.thread.failed",
        amount=_money(refund.amount, invoice, locale),
        number=invoice.number,
        why=why,
        left=_money(left if left is not None else refund.amount, invoice, locale),
    )


def thread_error(invoice: Invoice, refund: InvoiceRefund, error: str, locale: str) -> str:
    return t(
        locale,
        "refunds.thread.error",
        amount=_money(refund.amount, invoice, locale),
        number=invoice.number,
        error=error,
    )
