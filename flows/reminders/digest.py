"""The team's digest: one message per channel per sweep (due soon, due today, overdue), split cleanly.

Posted in a channel, so it shows each client's initials (bot.initials, letters only: nothing to escape), the
invoice number and the amount; names stay with the invoice's creator and billing admins (the invoice card's
Details button). Each invoice carries its buttons: Send reminder now and Snooze 3 days (this flow's), Mark as
paid (the invoice message's own, handled by flows.invoices.payments, which works from any message since the
button carries our invoice id).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot import blocks
from bot.blocks import Block
from bot.i18n import format_date, format_money, t
from bot.initials import initials
from flows.invoices import MARK_PAID_ACTION
from flows.reminders import ids
from flows.reminders.rules import category

CATEGORIES = ("soon", "today", "overdue")
SNOOZE_DAYS = 3


@dataclass(frozen=True)
class DigestItem:
    row_id: int  # the claim this line reports
    invoice_id: int
    number: str
    client: str
    amount: int  # what is left to pay, in minor units
    currency: str
    due_date: date
    rule: int
    emailed: bool
    # When an earlier sweep sent a digest with this line and heard nothing back (None: never tried).
    attempted_at: datetime | None = None


def _when(item: DigestItem, locale: str) -> str:
    days = abs(item.rule)
    one = "_one" if days == 1 else ""
    if item.rule < 0:
        return t(locale, f"reminders.digest.due_in{one}", days=days, date=format_date(item.due_date, locale))
    if item.rule == 0:
        return t(locale, "reminders.digest.due_today")
    return t(locale, f"reminders.digest.overdue_by{one}", days=days, date=format_date(item.due_date, locale))


def item_blocks(item: DigestItem, locale: str) -> list[Block]:
    amount = format_money(item.amount, item.currency, locale)
    line = f"*{initials(item.client)}* · {item.number} · {amount}\n{_when(item, locale)}"
    if item.emailed:
        line += "\n" + t(locale, "reminders.digest.emailed")
    value = str(item.invoice_id)
    # The invoice's own Record payment modal (all of it preselected, or a part): it is its own confirmation.
    mark = blocks.button(t(locale, "reminders.digest.mark_paid"), MARK_PAID_ACTION, value=value)
    return [
        blocks.section(line, block_id=f"reminder_{item.row_id}"),
        blocks.actions(
            blocks.button(t(locale, "reminders.digest.send_now"), ids.SEND_NOW_ACTION, value=value, style="primary"),
            blocks.button(t(locale, "reminders.digest.snooze", days=SNOOZE_DAYS), ids.SNOOZE_ACTION, value=value),
            mark,
            block_id=f"reminder_actions_{item.row_id}",
        ),
    ]


@dataclass(frozen=True)
class DigestPart:
    text: str  # the notification's text, and what screen readers say
    blocks: list[Block]
    row_ids: list[int]


def digest_parts(items: list[DigestItem], locale: str) -> list[DigestPart]:
    """The digest as messages of at most 50 blocks each; an invoice's line never parts from its buttons."""
    ordered = sorted(items, key=lambda i: (CATEGORIES.index(category(i.rule)), i.due_date, i.number))
    room = blocks.MESSAGE_BLOCKS_MAX - 1  # each part opens with its title
    chunks: list[tuple[list[Block], list[int]]] = []
    current: list[Block] = []
    rows: list[int] = []
    last: str | None = None
    for item in ordered:
        kind = category(item.rule)
        heading = [blocks.header(t(locale, f"reminders.digest.{kind}"))] if kind != last or not current else []
        body = item_blocks(item, locale)
        if current and len(current) + len(heading) + len(body) > room:
            chunks.append((current, rows))
            current, rows = [], []
            heading = [blocks.header(t(locale, f"reminders.digest.{kind}"))]
        current.extend(heading + body)
        rows.append(item.row_id)
        last = kind
    if current:
        chunks.append((current, rows))
    parts = []
    for index, (content, row_ids) in enumerate(chunks, start=1):
        title = t(locale, "reminders.digest.title", count=len(items))
        if len(chunks) > 1:
            title = t(locale, "reminders.digest.title_part", count=len(items), part=index, parts=len(chunks))
        parts.append(DigestPart(text=title, blocks=[blocks.section(f"*{title}*"), *content], row_ids=row_ids))
    return parts


# Each digest message names the claims it reports in Slack's message metadata (bot.slack_posts), so a sweep
# that never heard back from chat.postMessage finds the message in the channel instead of posting it twice.
DIGEST_CLAIM = "reminder_digest"
