"""The reminders modal's submission → a SettingsForm, or errors keyed by block id (shown under each field)."""

from __future__ import annotations

import re
from typing import Any

from bot import view_state
from bot.i18n import t
from bot.typed_numbers import whole_number
from flows.reminders import ids
from flows.reminders.logic import SettingsForm
from flows.reminders.rules import MAX_DAYS, MAX_RULES

_TIME = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")  # [0-9], not \d: ASCII only


def _chosen(values: dict[str, Any], block_id: str) -> set[str]:
    return {str(o.get("value")) for o in view_state.element(values, block_id, block_id).get("selected_options") or []}


def _days(raw: str) -> list[int] | None:
    """ "7, 3" → [7, 3]; None when the text is not whole numbers of days in range."""
    words = [w for w in re.split(r"[\s,;]+", raw) if w]
    days = [whole_number(w, minimum=1, maximum=MAX_DAYS) for w in words]
    return None if None in days else [d for d in days if d is not None]


def settings_form(values: dict[str, Any], locale: str) -> tuple[SettingsForm | None, dict[str, str]]:
    errors: dict[str, str] = {}
    before = _days(view_state.text(values, ids.DAYS_BEFORE, ids.DAYS_BEFORE))
    after = _days(view_state.text(values, ids.DAYS_AFTER, ids.DAYS_AFTER))
    for block_id, parsed in ((ids.DAYS_BEFORE, before), (ids.DAYS_AFTER, after)):
        if parsed is None:
            errors[block_id] = t(locale, "reminders.error.days", max=MAX_DAYS)
    offsets = sorted(
        {-d for d in before or []}
        | {d for d in after or []}
        | ({0} if ids.ON_DUE_DATE_VALUE in _chosen(values, ids.ON_DUE_DATE) else set())
    )
    if not errors and not offsets:
        errors[ids.ON_DUE_DATE] = t(locale, "reminders.error.no_rules")
    elif len(offsets) > MAX_RULES:
        errors[ids.DAYS_AFTER] = t(locale, "reminders.error.too_many", max=MAX_RULES)
    delivery = _chosen(values, ids.DELIVERY)
    email, tell = ids.EMAIL_CLIENT_VALUE in delivery, ids.TELL_TEAM_VALUE in delivery
    if not email and not tell:
        errors[ids.DELIVERY] = t(locale, "reminders.error.no_delivery")
    channel = view_state.element(values, ids.CHANNEL, ids.CHANNEL).get("selected_conversation") or None
    summary = ids.MONTHLY_SUMMARY_VALUE in _chosen(values, ids.MONTHLY_SUMMARY)
    if tell and not channel:
        errors[ids.CHANNEL] = t(locale, "reminders.error.no_channel")
    elif summary and not channel:
        errors[ids.CHANNEL] = t(locale, "reminders.error.summary_channel")
    match = _TIME.match(str(view_state.element(values, ids.SEND_TIME, ids.SEND_TIME).get("selected_time") or ""))
    if match is None:
        errors[ids.SEND_TIME] = t(locale, "reminders.error.time")
    if errors:
        return None, errors
    assert match is not None
    minute = int(match.group(1)) * 60 + int(match.group(2))
    kept = channel if tell or summary else None
    return SettingsForm(tuple(offsets), email, tell, kept, minute, summary), {}
