"""Placeholder until the billing settings flow is built: its checklist step shows "coming soon"."""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services

SLASH_COMMANDS: tuple[str, ...] = ()
SHORTCUTS: tuple[str, ...] = ()
EVENTS: tuple[str, ...] = ()


def register(app: App, services: Services) -> None:
    del app, services
