"""Block Kit and text for the report: the figures per currency, the refusal, the usage."""

from __future__ import annotations

from bot import blocks
from bot.blocks import Block
from bot.figures import AGING, CurrencyFigures, Figures, Period, PeriodError
from bot.i18n import format_date, format_money, plural, t, tax_rate_label
from flows.reports import ids

SERVICES_SHOWN = 10  # per currency; the CSV has every line
PRACTITIONERS_SHOWN = 10


def period_label(period: Period, locale: str) -> str:
    if period.kind == "month":
        return format_date(period.start, locale, "MMMM y")
    if period.kind == "year":
        return str(period.start.year)
    return f"{format_date(period.start, locale)} – {format_date(period.last_day, locale)}"


def usage_text(locale: str, error: PeriodError | None = None) -> str:
    usage = t(locale, "reports.usage")
    return f"{t(locale, error.key, **error.params)} {usage}" if error is not None else usage


def refused_text(locale: str) -> str:
    return t(locale, "reports.refused")


def _money(amount: int, currency: str, locale: str) -> str:
    return format_money(amount, currency, locale)


def _currency_blocks(row: CurrencyFigures, locale: str) -> list[Block]:
    cur = row.currency

    def money(amount: int) -> str:
        return _money(amount, cur, locale)

    main = [
        t(locale, "reports.collected", net=money(row.net_collected), collected=money(row.collected),
          refunded=money(row.refunded)),
        plural(locale, "reports.invoiced", row.invoiced_count, amount=money(row.invoiced),
               tax=money(row.invoiced_tax)),
        plural(locale, "reports.outstanding", row.outstanding_count, amount=money(row.outstanding)),
        plural(locale, "reports.overdue", row.overdue_count, amount=money(row.overdue))
        if row.overdue_count else t(locale, "reports.overdue.none"),
    ]  # fmt: skip
    result: list[Block] = [blocks.section(t(locale, "reports.currency", currency=cur.upper()) + "\n" + "\n".join(main))]
    if row.overdue_count:
        aging = [t(locale, f"reports.aging.{n}", amount=money(row.aging[n])) for n in range(len(AGING))]
        result.append(blocks.context(" · ".join(aging)))
    if row.taxes:
        lines = [
            t(locale, "reports.tax.line", rate=tax_rate_label(tax.name, tax.percentage, locale), tax=money(tax.tax),
              base=money(tax.base))
            for tax in row.taxes
        ]  # fmt: skip
        result.append(blocks.section(t(locale, "reports.taxes") + "\n" + "\n".join(lines)))
    if row.services:
        lines = [
            t(locale, "reports.service.line", service=blocks.escape_mrkdwn(s.name or t(locale, "reports.service.none")),
              quantity=s.quantity, amount=money(s.amount))
            for s in row.services[:SERVICES_SHOWN]
        ]  # fmt: skip
        if len(row.services) > SERVICES_SHOWN:
            lines.append(plural(locale, "reports.service.more", len(row.services) - SERVICES_SHOWN))
        result.append(blocks.section(t(locale, "reports.services") + "\n" + "\n".join(lines)))
    if row.practitioners:
        lines = [
            plural(locale, "reports.practitioner.line", p.count, amount=money(p.amount),
                   who=f"<@{p.user_id}>" if p.user_id else t(locale, "reports.practitioner.unknown"))
            for p in row.practitioners[:PRACTITIONERS_SHOWN]
        ]  # fmt: skip
        result.append(blocks.section(t(locale, "reports.practitioners") + "\n" + "\n".join(lines)))
    return result


def report_blocks(figures: Figures, locale: str) -> list[Block]:
    label = period_label(figures.period, locale)
    result: list[Block] = [
        blocks.header(t(locale, "reports.title", period=label)),
        blocks.context(
            t(locale, "reports.subtitle", start=format_date(figures.period.start, locale),
              end=format_date(figures.period.last_day, locale), timezone=figures.timezone)
        ),
    ]  # fmt: skip
    if figures.empty:
        result.append(blocks.section(t(locale, "reports.empty", period=label)))
        return result
    for row in figures.currencies:
        if not row.empty:
            result.append(blocks.divider())
            result.extend(_currency_blocks(row, locale))
    if figures.unbilled_sessions or figures.unbilled_sessions_to_date:
        values = [_money(r.unbilled_value, r.currency, locale) for r in figures.currencies if r.unbilled_value]
        value = t(locale, "reports.unbilled.value", amounts=" + ".join(values)) if values else ""
        lines = []
        if figures.unbilled_sessions:
            lines.append(plural(locale, "reports.unbilled", figures.unbilled_sessions, value=value))
        lines.append(plural(locale, "reports.unbilled.to_date", figures.unbilled_sessions_to_date))
        result += [blocks.divider(), blocks.section("\n".join(lines))]
    value = figures.period.encode()
    export = blocks.button(t(locale, "reports.export"), ids.EXPORT_ACTION, value=value)
    chart = blocks.button(t(locale, "reports.chart"), ids.CHART_ACTION, value=value)
    result.append(blocks.actions(export, chart, block_id=ids.EXPORT_BLOCK))
    return result


def fallback_text(figures: Figures, locale: str) -> str:
    """The notification's text (and a screen reader's first line): the headline figures of each currency."""
    label = period_label(figures.period, locale)
    parts = [
        t(locale, "reports.fallback.currency", currency=row.currency.upper(),
          net=_money(row.net_collected, row.currency, locale), invoiced=_money(row.invoiced, row.currency, locale),
          outstanding=_money(row.outstanding, row.currency, locale))
        for row in figures.currencies if not row.empty
    ]  # fmt: skip
    if not parts:
        return t(locale, "reports.empty", period=label)
    return t(locale, "reports.fallback", period=label, summary="; ".join(parts))
