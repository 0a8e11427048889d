"""(stub until the week view lands)"""

from __future__ import annotations

from typing import Any

from bot.services import Services


def home_section(services: Services, client: object, team_id: str, user_id: str, locale: str) -> list[Any]:
    del services, client, team_id, user_id, locale
    return []
