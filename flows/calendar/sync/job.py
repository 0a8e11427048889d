"""The calendar sync job (stub until the sync part lands)."""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services


def register(app: App, services: Services) -> None:
    del app, services
