"""The help settings modal's submission, read into Settings (or the errors Slack shows under its fields)."""

from __future__ import annotations

from typing import Any

from bot import view_state
from bot.i18n import t
from flows.help import ids, logic, views


def settings_form(view: dict[str, Any], locale: str) -> tuple[logic.Settings | None, dict[str, str]]:
    values = view.get("state", {}).get("values", {})
    channels = view_state.element(values, ids.CHANNELS, ids.CHANNELS).get("selected_conversations") or []
    group = view_state.selected(values, ids.SUPPORT_GROUP, ids.SUPPORT_GROUP)
    support_channel = view_state.element(values, ids.SUPPORT_CHANNEL, ids.SUPPORT_CHANNEL).get("selected_conversation")
    if not isinstance(channels, list) or not isinstance(support_channel, str | None):
        return None, {ids.CHANNELS: t(locale, "help.settings.error.too_many", max=views.CHANNELS_MAX)}
    if len(channels) > views.CHANNELS_MAX:
        return None, {ids.CHANNELS: t(locale, "help.settings.error.too_many", max=views.CHANNELS_MAX)}
    unique = list(dict.fromkeys(str(c) for c in channels))
    return logic.Settings(unique, group if group and group != ids.NO_GROUP else None, support_channel or None), {}
