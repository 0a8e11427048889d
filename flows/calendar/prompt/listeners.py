"""(stub until this part of the calendar lands)"""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services


def register(app: App, services: Services) -> None:
    del app, services
