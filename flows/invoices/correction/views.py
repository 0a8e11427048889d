"""Block Kit of corrections: the invoice message's **Correct** and **Change due date**, the due-date modal, and
the notices a refused click gets."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from bot import blocks
from bot.i18n import format_date, t
from bot.models import Invoice
from flows.invoices.correction import ids

OFFERED_ON = ("open", "uncollectible")  # Stripe revises these; a paid or void invoice has no correction


def correction_actions(invoice: Invoice, locale: str) -> blocks.Block | None:
    """The buttons under an open invoice's message (the old one of a correction keeps none).

    A draft Stripe holds too (Stripe failed at finalizing it; `/invoice INV-0042` shows it) offers only a new due
    date, which Stripe changes in place on a draft.
    """
    value = str(invoice.id)
    due = blocks.button(t(locale, "correction.button.due_date"), ids.CHANGE_DUE_DATE, value=value)
    if invoice.status == "draft" and invoice.stripe_invoice_id and invoice.replaced_by_id is None:
        return blocks.actions(due, block_id=ids.ACTIONS_BLOCK_ID)
    if invoice.status not in OFFERED_ON or not invoice.stripe_invoice_id or invoice.amount_paid:
        return None
    correct = blocks.button(t(locale, "correction.button.correct"), ids.CORRECT, value=value)
    return blocks.actions(correct, due, block_id=ids.ACTIONS_BLOCK_ID)


def due_date_modal(invoice: Invoice, locale: str, *, channel_id: str | None) -> dict[str, Any]:
    metadata = json.dumps({"invoice": invoice.id, "channel": channel_id}, separators=(",", ":"))
    how = "correction.due.draft" if invoice.status == "draft" else "correction.due.revision"
    content: list[blocks.Block] = [
        blocks.section(
            t(locale, "correction.due.current", number=invoice.number, due=format_date(invoice.due_date, locale))
        ),
        blocks.input_block(
            t(locale, "correction.due.label"),
            blocks.datepicker(ids.DUE_BLOCK, initial_date=invoice.due_date.isoformat()),
            block_id=ids.DUE_BLOCK,
        ),
        blocks.context(t(locale, how, number=invoice.number)),
    ]
    return blocks.modal(
        t(locale, "correction.due.title"),
        content,
        callback_id=ids.DUE_CALLBACK,
        close=t(locale, "invoice_modal.cancel"),
        submit=t(locale, "correction.due.submit"),
        private_metadata=metadata,
    )


def notice(locale: str, text: str) -> dict[str, Any]:
    return blocks.notice_modal(
        t(locale, "correction.notice.title"), text, callback_id=ids.NOTICE_CALLBACK, close=t(locale, "common.close")
    )


def due_changed_text(locale: str, invoice: Invoice, due: date) -> str:
    return t(locale, "correction.due.changed", number=invoice.number, due=format_date(due, locale))
