"""The monthly summary's message: last month's figures per currency, for a channel. Counts and amounts only:
no client name, no service line, no memo (a channel sees the least; health information stays out of Slack)."""

from __future__ import annotations

from bot import blocks
from bot.blocks import Block
from bot.figures import AGING, CurrencyFigures, Figures
from bot.i18n import format_money, plural, t


def _currency_lines(row: CurrencyFigures, locale: str) -> list[str]:
    def money(amount: int) -> str:
        return format_money(amount, row.currency, locale)

    lines = [
        t(locale, "reminders.summary.currency", currency=row.currency.upper()),
        t(locale, "reminders.summary.collected", net=money(row.net_collected), refunded=money(row.refunded)),
        plural(locale, "reminders.summary.invoiced", row.invoiced_count, amount=money(row.invoiced)),
        plural(locale, "reminders.summary.outstanding", row.outstanding_count, amount=money(row.outstanding)),
    ]
    if row.overdue_count:
        lines.append(plural(locale, "reminders.summary.overdue", row.overdue_count, amount=money(row.overdue)))
        aging = [
            plural(locale, f"reminders.summary.aging.{n}", row.aging_counts[n], amount=money(row.aging[n]))
            for n in range(len(AGING))
        ]
        lines.append("      " + " · ".join(aging))
    else:
        lines.append(t(locale, "reminders.summary.overdue.none"))
    if row.unbilled_value:
        lines.append(t(locale, "reminders.summary.unbilled_value", amount=money(row.unbilled_value)))
    return lines


def summary_text(figures: Figures, locale: str, label: str) -> str:
    """The notification's text: the title and each currency's net collected."""
    parts = [
        t(locale, "reminders.summary.fallback.part", currency=row.currency.upper(),
          net=format_money(row.net_collected, row.currency, locale))
        for row in figures.currencies if not row.empty
    ]  # fmt: skip
    title = t(locale, "reminders.summary.title", period=label)
    return t(locale, "reminders.summary.fallback", title=title, parts=", ".join(parts)) if parts else title


def summary_blocks(figures: Figures, locale: str, label: str) -> list[Block]:
    result: list[Block] = [blocks.header(t(locale, "reminders.summary.title", period=label))]
    shown = [row for row in figures.currencies if not row.empty]
    for row in shown[: blocks.MESSAGE_BLOCKS_MAX - 3]:
        result.append(blocks.section("\n".join(_currency_lines(row, locale))))
    if figures.unbilled_sessions:
        result.append(blocks.section(plural(locale, "reminders.summary.unbilled", figures.unbilled_sessions)))
    if not shown and not figures.unbilled_sessions:
        result.append(blocks.section(t(locale, "reminders.summary.empty", period=label)))
    result.append(blocks.context(t(locale, "reminders.summary.footer")))
    return result
