"""(stub until this part of the calendar lands)"""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services


def register(app: App, services: Services) -> None:
    del app, services


def open_connect(
    services: Services, client: object, *, trigger_id: str, team_id: str, user_id: str, locale: str
) -> None:
    del services, client, trigger_id, team_id, user_id, locale
