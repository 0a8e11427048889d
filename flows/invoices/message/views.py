"""The invoice message's Block Kit: number, client, lines, totals, due date, status and buttons.

How much it shows depends on who reads it. Practices bill health services, and Slack holds health
information only on plans with a business associate agreement, so a channel card shows by default the
number, the client's initials, the amounts, the dates and the status, with a **Details** button that answers
the invoice's creator and billing admins privately. ``full_card`` adds the client's name and the lines (a
practice that turned full channel cards on, or a reader allowed to see them); ``private`` (one reader allowed
everything: the creator or a billing admin, in their DM or an ephemeral answer) adds the memo and the
session notes too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

from bot import blocks
from bot.blocks import escape_mrkdwn
from bot.i18n import format_date, format_money, t, tax_rate_label
from bot.initials import initials
from bot.models import Client, Invoice, InvoiceLine, InvoiceRefund, TaxRate
from flows.invoices import ids
from flows.invoices.correction import views as correction_views
from flows.invoices.payments.record_views import balance_text
from flows.invoices.payments.views import invoice_actions
from flows.invoices.refunds import views as refund_views

# Room left for the header, totals, memo, notes, notices and buttons under Slack's 50 blocks per message.
LINE_SECTIONS_MAX = 30
NOTES_SHOWN = 10  # session notes on one card; the client's record holds them all


def today_utc() -> date:
    return datetime.now(UTC).date()


def status_label(invoice: Invoice, locale: str, today: date | None = None) -> str:
    if invoice.status == "open" and invoice.due_date < (today or today_utc()):
        return t(locale, "invoice.status.overdue")
    return t(locale, f"invoice.status.{invoice.status}")


def line_text(line: InvoiceLine, currency: str, rates: dict[int, TaxRate], locale: str) -> str:
    text = t(
        locale,
        "invoice.message.line",
        date=format_date(line.service_date, locale),
        description=escape_mrkdwn(line.description),
        quantity=line.quantity,
        unit=format_money(line.unit_amount, currency, locale),
        amount=format_money(line.amount, currency, locale),
    )
    rate = rates.get(line.tax_rate_id) if line.tax_rate_id is not None else None
    if rate is not None:
        key = "invoice.message.line_tax_inclusive" if rate.inclusive else "invoice.message.line_tax"
        text += t(
            locale,
            key,
            rate=escape_mrkdwn(tax_rate_label(rate.name, rate.percentage, locale)),
            tax=format_money(line.tax_amount, currency, locale),
        )
    return text


def chunks(rows: Iterable[str], limit: int = blocks.SECTION_TEXT_MAX) -> list[str]:
    """Rows joined by newlines into texts of at most ``limit`` characters, no row split across two."""
    found: list[str] = []
    current = ""
    for row in rows:
        row = blocks.clip(row, limit)
        if current and len(current) + 1 + len(row) > limit:
            found.append(current)
            current = row
        else:
            current = f"{current}\n{row}" if current else row
    if current:
        found.append(current)
    return found


def shown_name(client: Client, *, full: bool) -> str:
    """The client as this reader may see them: the full name, or the initials."""
    if client.forgotten_at is not None:
        return client.name  # an erased client's placeholder ("client erased"): no initials to make of it
    return client.name if full else initials(client.name)


def summary_text(invoice: Invoice, client: Client, locale: str, today: date | None = None, *, full: bool = True) -> str:
    """The notification text (and the fallback where blocks are not shown)."""
    return t(
        locale,
        "invoice.message.text",
        number=invoice.number,
        client=shown_name(client, full=full),
        total=format_money(invoice.total, invoice.currency, locale),
        due=format_date(invoice.due_date, locale),
        status=status_label(invoice, locale, today),
    )


def invoice_message(
    invoice: Invoice,
    lines: list[InvoiceLine],
    client: Client,
    rates: dict[int, TaxRate],
    locale: str,
    *,
    private: bool = False,
    full_card: bool = False,
    details_button: bool = True,
    notes: list[tuple[date, str]] | None = None,
    notice: str | None = None,
    today: date | None = None,
    refunds: Sequence[InvoiceRefund] = (),
    related: str | None = None,
) -> tuple[str, list[blocks.Block]]:
    """(text fallback, blocks) of the invoice's message; ``notice`` is a line shown above the buttons.

    ``notes``: the invoice's sessions' notes (date, text), shown only when ``private``. ``details_button``:
    offered on a card that hides the name and lines (a channel's), so those allowed can read them. ``related``:
    the line under the header linking a correction and the invoice it replaces (flows.invoices.correction.links).
    """
    currency = invoice.currency
    full = private or full_card
    name = shown_name(client, full=full)
    result: list[blocks.Block] = [
        blocks.header(t(locale, "invoice.message.title", number=invoice.number, client=name)),
        blocks.section(
            t(
                locale,
                "invoice.message.status",
                client=escape_mrkdwn(name),
                status=status_label(invoice, locale, today),
                due=format_date(invoice.due_date, locale),
            )
        ),
        blocks.divider(),
    ]
    if related:
        result.insert(1, blocks.context(related))
    if full:
        rows = [line_text(line, currency, rates, locale) for line in lines]
        sections = chunks(rows)
        if len(sections) > LINE_SECTIONS_MAX:
            shown = sections[: LINE_SECTIONS_MAX - 1]
            shown.append(t(locale, "invoice.message.more_lines", count=len(lines)))
            sections = shown
        result.extend(blocks.section(text) for text in sections)
    elif details_button:
        # Beside the note that says what is hidden, the way for those allowed to read it.
        button = blocks.button(t(locale, "privacy.card.details"), ids.DETAILS, value=str(invoice.id))
        note = t(locale, "privacy.card.lines_hidden")
        result.append(blocks.section(note, accessory=button, block_id=ids.DETAILS_BLOCK_ID))
    result.append(blocks.divider())
    total_rows = [
        t(locale, "invoice.message.subtotal", amount=format_money(invoice.subtotal, currency, locale)),
        t(locale, "invoice.message.tax", amount=format_money(invoice.tax, currency, locale)),
        t(locale, "invoice.message.total", amount=format_money(invoice.total, currency, locale)),
    ]
    paid_part = balance_text(invoice, locale)  # "Paid 40,00 € · Balance due 80,00 €" after a part payment
    if paid_part is not None:
        total_rows.append(paid_part)
    elif invoice.status in ("open", "uncollectible") and 0 < invoice.amount_remaining != invoice.total:
        total_rows.append(
            t(locale, "invoice.message.remaining", amount=format_money(invoice.amount_remaining, currency, locale))
        )
    total_rows += [row for row in [refund_views.refunded_row(invoice, locale)] if row]  # "Refunded … of …"
    result.append(blocks.section("\n".join(total_rows)))
    result.extend(refund_views.refund_blocks(invoice, refunds, locale, private=private))
    if private and invoice.memo:
        result.append(blocks.section(t(locale, "invoice.message.memo", memo=escape_mrkdwn(invoice.memo))))
    if private and notes:
        rows = [
            t(locale, "privacy.card.note", date=format_date(day, locale), note=escape_mrkdwn(note))
            for day, note in notes
        ]
        heading = t(locale, "privacy.card.notes")
        result.extend(blocks.section(text) for text in chunks([heading, *rows[:NOTES_SHOWN]]))
    footer = [t(locale, "invoice.message.created_by", user=invoice.created_by)] if invoice.created_by else []
    if invoice.stripe_number:
        footer.append(t(locale, "invoice.message.stripe_number", number=escape_mrkdwn(invoice.stripe_number)))
    if footer:
        result.append(blocks.context(" · ".join(footer)))
    if notice:
        result.append(blocks.context(notice))
    replaced = invoice.replaced_by_id is not None and invoice.status == "void"
    # A replaced invoice keeps no buttons: everything is done on the invoice that replaced it.
    actions = None if replaced else invoice_actions(invoice, client, locale, client_name=name)
    if actions is not None:
        result.append(actions)
    correcting = correction_views.correction_actions(invoice, locale)
    if correcting is not None:
        result.append(correcting)
    result += [block for block in [refund_views.refund_actions(invoice, refunds, locale)] if block is not None]
    # The buttons last, so trimming to Slack's limit cuts notes, never the way to act on the invoice.
    if len(result) > blocks.MESSAGE_BLOCKS_MAX:
        tail = [block for block in result if block.get("type") == "actions"]
        result = [block for block in result if block.get("type") != "actions"][: blocks.MESSAGE_BLOCKS_MAX - len(tail)]
        result += tail
    return summary_text(invoice, client, locale, today, full=full), result
