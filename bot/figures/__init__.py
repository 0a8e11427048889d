"""A period's figures (what came in, what was invoiced, what is owed and how late), computed once for the
report, the App Home, the help channel's answers and the accountant's CSV. Pure functions over our rows."""

from __future__ import annotations

from bot.figures.compute import (
    AGING,
    CurrencyFigures,
    Figures,
    PractitionerFigure,
    ServiceFigure,
    TaxFigure,
    day_start,
    outstanding,
    overdue_over,
    period_figures,
    practice_timezone,
    practice_today,
)
from bot.figures.period import Period, PeriodError, month, parse, year
from bot.figures.rows import LineRow, MoneyRow, line_rows, money_rows
from bot.figures.series import Series, series, steps_of

__all__ = [
    "AGING",
    "CurrencyFigures",
    "Figures",
    "LineRow",
    "MoneyRow",
    "Period",
    "PeriodError",
    "PractitionerFigure",
    "Series",
    "ServiceFigure",
    "TaxFigure",
    "day_start",
    "line_rows",
    "money_rows",
    "month",
    "outstanding",
    "overdue_over",
    "parse",
    "period_figures",
    "practice_timezone",
    "practice_today",
    "series",
    "steps_of",
    "year",
]
