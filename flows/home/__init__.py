"""The overview: the App Home tab, the `/billing` hub and its sub-commands, and the checklist buttons.

For other flows: ``OPEN_STEP_ACTION``, the button that opens a checklist step (its value is the step's key).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flows.home.ids import OPEN_STEP_ACTION

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.services import Services

SLASH_COMMANDS = ("/billing",)
SHORTCUTS: tuple[str, ...] = ()
EVENTS = ("app_home_opened",)

__all__ = ["EVENTS", "OPEN_STEP_ACTION", "SHORTCUTS", "SLASH_COMMANDS", "register"]


def register(app: App, services: Services) -> None:
    from flows.home import listeners

    listeners.register(app, services)
