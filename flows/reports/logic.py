"""Who may see the practice's figures, and which figures a typed period asks for."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient

from bot.db import Database
from bot.figures import (
    Figures,
    Period,
    PeriodError,
    Series,
    parse,
    period_figures,
    practice_timezone,
    practice_today,
    series,
    steps_of,
)
from bot.i18n import t
from bot.permissions import Access, access


@dataclass(frozen=True)
class Asked:
    """A report asked for: its figures, or why the period could not be read."""

    figures: Figures | None
    error: PeriodError | None


def reader(db: Database, client: WebClient, team_id: str, user_id: str) -> Access:
    return access(db, client, team_id, user_id)


def may_see_reports(who: Access) -> bool:
    """The practice's balances and figures: billing admins, and members where the practice lets them see
    client details (the same rule as the help channel's answers about balances)."""
    return who.client_details


def shows_names(who: Access) -> bool:
    """A file uploaded to Slack names clients only where the practice widened its privacy setting: by default
    Slack holds no client name (health information), so the CSV shows initials, as channel cards do."""
    return who.privacy.members_see_client_details


def ask(db: Database, team_id: str, text: str) -> Asked:
    with db.session() as session:
        try:
            period = parse(text, practice_today(session, team_id))
        except PeriodError as exc:
            return Asked(None, exc)
        return Asked(period_figures(session, team_id, period), None)


def figures_for(db: Database, team_id: str, period: Period) -> Figures:
    with db.session() as session:
        return period_figures(session, team_id, period)


def charts(db: Database, team_id: str, period: Period, locale: str, label: str) -> list[tuple[str, str, bytes, str]]:
    """(currency, title, PNG, alt text) of each currency with anything to draw."""
    from flows.reports import chart  # matplotlib is loaded only when a chart is asked for

    with db.session() as session:
        tz = practice_timezone(session, team_id)
        unit, found = series(session, team_id, period, tz)
        figures = period_figures(session, team_id, period, tz=tz)
    drawn = []
    currencies = {row.currency for row in found} | {row.currency for row in figures.currencies if row.overdue}
    for currency in sorted(currencies):
        steps = next((row for row in found if row.currency == currency), None)
        if steps is None:
            _unit, empty = steps_of(period)
            steps = Series(currency, empty, [0] * len(empty), [0] * len(empty))
        title = t(locale, "reports.chart.title", currency=currency.upper(), period=label)
        of = figures.of(currency)
        drawn.append((currency, title, chart.render(steps, unit, of, locale, title),
                      chart.alt_text(steps, unit, of, locale, title)))  # fmt: skip
    return drawn
