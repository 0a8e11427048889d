"""The App Home writes a reminder's moment as every other message writes dates: "Dec 25, 2026, 9:00 AM" in
English, "25 déc. 2026, 09:00" in French; never Babel's short "12/25/26, 9:00 AM"."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bot.i18n import format_date
from flows.reminders.logic import SettingsForm, save_settings
from tests.conftest import ADMIN, FRENCH_USER, TEAM_ID, Billbot
from tests.flows.reminders.test_reminders import CREATOR, REMINDERS, at, invoices, sweep

SHORT_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b")


@pytest.mark.parametrize(("user", "locale", "nine"), [(ADMIN, "en", "9:00\u202fAM"), (FRENCH_USER, "fr", "09:00")])
def test_the_app_homes_reminders_write_dates_as_everything_else(
    billbot: Billbot, user: str, locale: str, nine: str
) -> None:
    billbot.workspace.add_channel(REMINDERS, "reminders", members=[ADMIN, CREATOR, "U0BOT"])
    form = SettingsForm((-3, 0, 7), True, True, REMINDERS, 9 * 60)
    save_settings(billbot.app.services.db, TEAM_ID, user, form, timezone="Europe/Paris", locale=locale)
    first, _ = invoices(billbot, 2)
    sweep(billbot, at(first.due_date - timedelta(days=3)))
    billbot.requests.event({"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home"})
    home = billbot.slack.wait_for(lambda: billbot.workspace.home(user))
    by_id = {b.get("block_id"): b.get("text", {}).get("text", "") for b in home["blocks"] if b.get("block_id")}
    upcoming, sent = by_id["reminders_next"], by_id["reminders_last"]
    # The next one goes on the due date at 9:00 in Paris, the last one went three days before.
    assert f"{format_date(first.due_date, locale)}, {nine}" in upcoming, upcoming
    assert f"{format_date(first.due_date - timedelta(days=3), locale)}, " in sent, sent
    assert not SHORT_DATE.search(upcoming + sent)
