"""The report's chart, drawn server-side with matplotlib (Agg, no display): per currency, invoiced beside
collected per week, month or year of the period, and what is overdue now by how late. Sized for Slack's
preview (about 480 pixels wide in a message): few, large labels. Its alt text states every figure drawn, so a
screen reader gets the numbers."""

from __future__ import annotations

import io
import re
from datetime import date

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from bot.figures import AGING, CurrencyFigures, Series
from bot.i18n import format_date, format_money, t
from bot.money import exponent

INVOICED_COLOUR = "#9db4cc"
COLLECTED_COLOUR = "#1f4e79"
AGING_COLOURS = ("#f2c14e", "#f08a4b", "#d7263d", "#7a0b1d")
ALT_TEXT_MAX = 1000  # files.completeUploadExternal's alt_txt
_ZERO_CENTS = re.compile(r"[.,]0+(?=[^\d]*$)")


def step_label(start: date, unit: str, locale: str) -> str:
    if unit == "week":
        return format_date(start, locale, "d MMM")
    if unit == "month":
        return format_date(start, locale, "MMM")
    return format_date(start, locale, "y")


def _short_money(major: float, currency: str, locale: str) -> str:
    """An axis tick: whole units, no cents ("€1,200", "1 200 €")."""
    minor = round(major) * 10 ** exponent(currency)
    return _ZERO_CENTS.sub("", format_money(minor, currency, locale))


def render(series: Series, unit: str, figures: CurrencyFigures | None, locale: str, title: str) -> bytes:
    """The chart as PNG bytes."""
    cur = series.currency
    scale = 10 ** exponent(cur)
    figure = Figure(figsize=(9, 4), dpi=120)
    FigureCanvasAgg(figure)
    figure.suptitle(title, fontsize=15, fontweight="bold", x=0.02, ha="left")
    grid = figure.add_gridspec(1, 2, width_ratios=(2.2, 1.3), wspace=0.3, left=0.1, right=0.98, bottom=0.17, top=0.8)
    bars = figure.add_subplot(grid[0, 0])
    positions = list(range(len(series.steps)))
    width = 0.4
    bars.bar([p - width / 2 for p in positions], [v / scale for v in series.invoiced], width,
             color=INVOICED_COLOUR, label=t(locale, "reports.chart.invoiced"))  # fmt: skip
    bars.bar([p + width / 2 for p in positions], [v / scale for v in series.collected], width,
             color=COLLECTED_COLOUR, label=t(locale, "reports.chart.collected"))  # fmt: skip
    labels = [step_label(start, unit, locale) for start, _ in series.steps]
    every = max(1, len(labels) // 8)  # at most eight labels: readable at preview size
    bars.set_xticks(positions[::every], labels[::every], fontsize=11)
    bars.yaxis.set_major_locator(MaxNLocator(4))
    bars.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: _short_money(v, cur, locale)))
    bars.tick_params(axis="y", labelsize=11)
    bars.legend(fontsize=11, frameon=False, loc="upper left", ncols=2, bbox_to_anchor=(0, 1.16))
    for side in ("top", "right"):
        bars.spines[side].set_visible(False)
    aging = figure.add_subplot(grid[0, 1])
    amounts = [v / scale for v in (figures.aging if figures else [0] * len(AGING))]
    names = [t(locale, f"reports.chart.aging.{n}") for n in range(len(AGING))]
    aging.bar(range(len(AGING)), amounts, color=AGING_COLOURS)
    aging.set_xticks(range(len(AGING)), names, fontsize=11)
    aging.set_title(t(locale, "reports.chart.overdue"), fontsize=12, loc="left")
    aging.yaxis.set_major_locator(MaxNLocator(3))
    aging.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: _short_money(v, cur, locale)))
    aging.tick_params(axis="y", labelsize=11)
    for side in ("top", "right"):
        aging.spines[side].set_visible(False)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def alt_text(series: Series, unit: str, figures: CurrencyFigures | None, locale: str, title: str) -> str:
    """Every figure the chart draws, in words."""
    cur = series.currency
    steps = [
        t(locale, "reports.chart.alt.step", step=step_label(start, unit, locale),
          invoiced=format_money(invoiced, cur, locale), collected=format_money(collected, cur, locale))
        for (start, _), invoiced, collected in zip(series.steps, series.invoiced, series.collected, strict=True)
    ]  # fmt: skip
    aging = [
        t(locale, f"reports.aging.{n}", amount=format_money(amount, cur, locale))
        for n, amount in enumerate(figures.aging if figures else [0] * len(AGING))
    ]
    text = t(locale, f"reports.chart.alt.{unit}", title=title, steps="; ".join(steps), aging="; ".join(aging))
    return text if len(text) <= ALT_TEXT_MAX else text[: ALT_TEXT_MAX - 1] + "…"
