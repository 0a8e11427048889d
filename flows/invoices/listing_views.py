"""The Block Kit of `/invoice list` and of its messages (usage, unknown number)."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot import blocks
from bot.i18n import format_date, format_money, t
from bot.models import Invoice
from flows.invoices.invoice_message import chunks, escape, status_label

Message = dict[str, Any]


def row_text(invoice: Invoice, client_name: str, locale: str, today: date) -> str:
    return t(
        locale,
        "invoice.list.row",
        number=invoice.number,
        client=escape(client_name),
        total=format_money(invoice.total, invoice.currency, locale),
        due=format_date(invoice.due_date, locale),
        status=status_label(invoice, locale, today),
    )


def list_message(rows: list[tuple[Invoice, str]], total: int, which: str | None, locale: str, today: date) -> Message:
    title = t(locale, f"invoice.list.title.{which or 'all'}")
    if not rows:
        text = t(locale, f"invoice.list.empty.{which or 'all'}")
        return {"text": text, "blocks": [blocks.header(title), blocks.section(text)]}
    result: list[blocks.Block] = [blocks.header(title)]
    result.extend(blocks.section(text) for text in chunks(row_text(inv, name, locale, today) for inv, name in rows))
    if total > len(rows):
        result.append(blocks.context(t(locale, "invoice.list.showing", shown=len(rows), total=total)))
    result.append(blocks.context(t(locale, "invoice.list.hint")))
    return {"text": title, "blocks": result[: blocks.MESSAGE_BLOCKS_MAX]}


def usage(locale: str) -> Message:
    text = t(locale, "invoice.usage")
    return {"text": text, "blocks": [blocks.section(text)]}


def unknown_number(number: str, locale: str) -> Message:
    text = t(locale, "invoice.unknown_number", number=number)
    return {"text": text, "blocks": [blocks.section(text)]}
