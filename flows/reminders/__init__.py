"""Payment reminders: `/billing reminders` (and the checklist button) sets the rules; the scheduler's sweep
reminds each open invoice exactly once per rule; the team's digest and the invoice message carry the buttons.

Parts: ``rules`` (which rule an invoice is at, when), ``logic`` (settings, holds, what is due), ``claims``
(the exactly-once ledger), ``sweep`` (claim → Stripe email → Slack digest), ``digest`` and ``views`` (Block
Kit), ``validation`` (the modal's submission), ``listeners`` (the modal, the buttons, the sweep job).
"""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services
from flows.reminders.listeners import SWEEP_EVERY_SECONDS, home_section
from flows.reminders.summary import MonthlySummaries, summaries_for
from flows.reminders.sweep import Sweeper, sweeper_for

SLASH_COMMANDS: tuple[str, ...] = ()  # `/billing reminders` is the hub's command; it calls open_step
SHORTCUTS: tuple[str, ...] = ()
EVENTS: tuple[str, ...] = ()

__all__ = [
    "SWEEP_EVERY_SECONDS",
    "MonthlySummaries",
    "Sweeper",
    "home_section",
    "register",
    "summaries_for",
    "sweeper_for",
]


def register(app: App, services: Services) -> None:
    from flows.reminders import listeners

    listeners.register(app, services)
