"""The Block Kit of `/invoice list` and of its messages (usage, unknown number)."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot import blocks
from bot.blocks import escape_mrkdwn
from bot.i18n import format_date, format_money, t
from bot.initials import initials
from bot.models import Invoice
from flows.invoices.message.views import chunks, status_label
from flows.invoices.payments.record_views import balance_text

Message = dict[str, Any]


Row = tuple[Invoice, str, bool]  # an invoice, its client's name, and whether the asker may see that name


def row_text(invoice: Invoice, client_name: str, locale: str, today: date, *, named: bool = True) -> str:
    text = t(
        locale,
        "invoice.list.row",
        number=invoice.number,
        client=escape_mrkdwn(client_name if named else initials(client_name)),
        total=format_money(invoice.total, invoice.currency, locale),
        due=format_date(invoice.due_date, locale),
        status=status_label(invoice, locale, today),
    )
    balance = balance_text(invoice, locale)  # "Paid 40,00 € · Balance due 80,00 €" after a part payment
    return f"{text} · {balance}" if balance else text


def list_message(rows: list[Row], total: int, which: str | None, locale: str, today: date) -> Message:
    title = t(locale, f"invoice.list.title.{which or 'all'}")
    if not rows:
        text = t(locale, f"invoice.list.empty.{which or 'all'}")
        return {"text": text, "blocks": [blocks.header(title), blocks.section(text)]}
    result: list[blocks.Block] = [blocks.header(title)]
    texts = (row_text(inv, name, locale, today, named=named) for inv, name, named in rows)
    result.extend(blocks.section(text) for text in chunks(texts))
    if total > len(rows):
        result.append(blocks.context(t(locale, "invoice.list.showing", shown=len(rows), total=total)))
    if not all(named for _, _, named in rows):
        result.append(blocks.context(t(locale, "privacy.list.limited")))
    result.append(blocks.context(t(locale, "invoice.list.hint")))
    return {"text": title, "blocks": result[: blocks.MESSAGE_BLOCKS_MAX]}


def usage(locale: str) -> Message:
    text = t(locale, "invoice.usage")
    return {"text": text, "blocks": [blocks.section(text)]}


def unknown_number(number: str, locale: str) -> Message:
    text = t(locale, "invoice.unknown_number", number=number)
    return {"text": text, "blocks": [blocks.section(text)]}
