"""The overview: the App Home tab, the `/billing` hub and its sub-commands, and the checklist buttons.

The button that opens a checklist step, ``OPEN_STEP_ACTION``, is bot.checklist's: help answers show it too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.services import Services

SLASH_COMMANDS = ("/billing",)
SHORTCUTS: tuple[str, ...] = ()
EVENTS = ("app_home_opened",)

__all__ = ["EVENTS", "SHORTCUTS", "SLASH_COMMANDS", "register"]


def register(app: App, services: Services) -> None:
    from flows.home import listeners

    listeners.register(app, services)
