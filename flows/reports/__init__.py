"""Reports: `/billing report [period]`, the practice's figures for a period, privately, and its Export CSV.

The figures are bot.figures' (the App Home and the help channel read the same); this flow decides who may see
them, words them in the asker's language and currency formats, and writes the accountant's files. The hub's
`/billing` command routes `report` here, as it routes `help` to the help flow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from slack_bolt import App, Respond
    from slack_sdk import WebClient

    from bot.db import Database
    from bot.figures import Period
    from bot.services import Services

SLASH_COMMANDS: tuple[str, ...] = ()  # `/billing report` is the hub's command; it calls answer_command
SHORTCUTS: tuple[str, ...] = ()
EVENTS: tuple[str, ...] = ()

__all__ = ["EVENTS", "SHORTCUTS", "SLASH_COMMANDS", "answer_command", "charts", "period_label", "register"]


def register(app: App, services: Services) -> None:
    from flows.reports import listeners

    listeners.register(app, services)


def answer_command(
    services: Services, client: WebClient, command: dict[str, Any], respond: Respond, *, text: str, locale: str
) -> None:
    """`/billing report <text>`: the report, privately, or the refusal or the usage in the asker's language."""
    from flows.reports import listeners

    listeners.answer_command(services, client, command, respond, text=text, locale=locale)


def charts(db: Database, team_id: str, period: Period, locale: str, label: str) -> list[tuple[str, str, bytes, str]]:
    """(currency, title, PNG, alt text stating every figure drawn) of each currency with anything to draw: the
    report's chart, for other flows to post (the reminders flow's monthly summary)."""
    from flows.reports import logic

    return logic.charts(db, team_id, period, locale, label)


def period_label(period: Period, locale: str) -> str:
    """A period named as the report names it ("November 2026", "novembre 2026")."""
    from flows.reports import views

    return views.period_label(period, locale)
