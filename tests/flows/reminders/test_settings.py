"""The reminders step through the harness: `/billing reminders`, its modal's validation, who may save, the App Home."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlmodel import select

from bot.models import ReminderSettings
from bot.sandbox.slack import check_view
from flows.reminders import ids
from tests.conftest import ADMIN, FRENCH_USER, MEMBER, TEAM_ID, Billbot
from tests.flows.reminders.test_reminders import REMINDERS, at, invoices, sweep, turn_on
from tests.harness.views import filled_view


def values(*, before: str | None = "3", on_due: bool = True, after: str | None = "7", email: bool = True,
           tell: bool = True, channel: str | None = REMINDERS,
           time: str | None = "09:00") -> dict[str, Any]:  # fmt: skip
    def chosen(*pairs: tuple[str, bool]) -> dict[str, Any]:
        return {"type": "checkboxes", "selected_options": [{"value": v} for v, on in pairs if on]}

    return {
        ids.DAYS_BEFORE: {ids.DAYS_BEFORE: {"type": "plain_text_input", "value": before}},
        ids.ON_DUE_DATE: {ids.ON_DUE_DATE: chosen((ids.ON_DUE_DATE_VALUE, on_due))},
        ids.DAYS_AFTER: {ids.DAYS_AFTER: {"type": "plain_text_input", "value": after}},
        ids.DELIVERY: {ids.DELIVERY: chosen((ids.EMAIL_CLIENT_VALUE, email), (ids.TELL_TEAM_VALUE, tell))},
        ids.CHANNEL: {ids.CHANNEL: {"type": "conversations_select", "selected_conversation": channel}},
        ids.SEND_TIME: {ids.SEND_TIME: {"type": "timepicker", "selected_time": time}},
    }


def open_modal(bb: Billbot, user: str = ADMIN) -> dict[str, Any]:
    bb.requests.command("/billing", "reminders", user=user)
    return filled_view(bb.slack, bb.workspace, user)  # type: ignore[no-any-return]


def saved(bb: Billbot) -> list[ReminderSettings]:
    with bb.app.services.db.session() as session:
        return list(session.exec(select(ReminderSettings)))


def test_the_modal_opens_with_the_defaults_a_practice_expects(billbot: Billbot) -> None:
    view = open_modal(billbot)
    assert view["callback_id"] == ids.SETTINGS_CALLBACK and check_view(view) == []
    by_id = {b.get("block_id"): b for b in view["blocks"]}
    assert by_id[ids.DAYS_BEFORE]["element"]["initial_value"] == "3"
    assert by_id[ids.DAYS_AFTER]["element"]["initial_value"] == "7"
    assert by_id[ids.ON_DUE_DATE]["element"]["initial_options"][0]["value"] == ids.ON_DUE_DATE_VALUE
    assert len(by_id[ids.DELIVERY]["element"]["initial_options"]) == 2
    assert by_id[ids.SEND_TIME]["element"]["initial_time"] == "09:00"
    assert "Europe/Paris" in by_id[ids.SEND_TIME]["hint"]["text"]  # the admin's own Slack time zone


def test_saving_the_modal_keeps_the_rules_and_confirms(billbot: Billbot) -> None:
    view = open_modal(billbot)
    response = billbot.requests.submit(view, values(before="7, 3", after="7 14 30", time="08:30"), user=ADMIN)
    assert json.loads(response.content)["response_action"] == "update"
    billbot.slack.wait_for(lambda: saved(billbot))
    (row,) = saved(billbot)
    assert json.loads(row.offsets) == [-7, -3, 0, 7, 14, 30]
    assert (row.email_client, row.tell_team, row.channel_id, row.send_minute) == (True, True, REMINDERS, 510)
    assert (row.timezone, row.locale, row.updated_by) == ("Europe/Paris", "en", ADMIN)
    notice = billbot.slack.wait_for(
        lambda: [v for v in billbot.workspace.views(ADMIN) if "Reminders saved" in json.dumps(v)]
    )[-1]
    assert "14 days after the due date" in json.dumps(notice) and "08:30" in json.dumps(notice)
    # Opened again, the modal shows what was saved.
    billbot.workspace.close_views(ADMIN)
    again = {b.get("block_id"): b for b in open_modal(billbot)["blocks"]}
    assert again[ids.DAYS_BEFORE]["element"]["initial_value"] == "7, 3"
    assert again[ids.DAYS_AFTER]["element"]["initial_value"] == "7, 14, 30"


def test_bad_input_shows_errors_under_each_field_and_saves_nothing(billbot: Billbot) -> None:
    view = open_modal(billbot)
    cases = [
        (values(before="three"), ids.DAYS_BEFORE, "whole numbers"),
        (values(after="0"), ids.DAYS_AFTER, "from 1 to 365"),
        (values(after="400"), ids.DAYS_AFTER, "from 1 to 365"),
        (values(before="", on_due=False, after=""), ids.ON_DUE_DATE, "at least one reminder"),
        (values(email=False, tell=False), ids.DELIVERY, "Choose how reminders go out"),
        (values(channel=None), ids.CHANNEL, "Choose the channel"),
        (values(time=None), ids.SEND_TIME, "time of day"),
        (values(after=", ".join(str(d) for d in range(1, 25))), ids.DAYS_AFTER, "At most 20"),
    ]
    for submitted, block_id, words in cases:
        response = billbot.requests.submit(view, submitted, user=ADMIN)
        answer = json.loads(response.content)
        assert answer["response_action"] == "errors", submitted
        assert words in answer["errors"][block_id], answer
    assert saved(billbot) == []


def test_days_in_other_digits_are_refused_in_both_languages_and_spaces_around_are_not(billbot: Billbot) -> None:
    billbot.workspace.add_usergroup("S0BILLING", "billing", users=[FRENCH_USER])
    from bot.models import BillingSettings

    with billbot.app.services.db.session() as session:
        session.add(BillingSettings(team_id=TEAM_ID, currency="eur", billing_admin_group="S0BILLING"))
    for user, message in (
        (ADMIN, "Enter whole numbers of days from 1 to 365, separated by commas (e.g. 7, 3)."),
        (FRENCH_USER, "Saisissez des nombres entiers de jours, de 1 à 365, séparés par des virgules (par ex. 7, 3)."),
    ):
        view = open_modal(billbot, user)
        # str.isdigit() takes the first three, which int() then refuses; int() reads the next two as 3 and 12.
        for typed in ("²", "①", "1²", "٣", "１２", "-1", "1.5", "7, ٣"):
            for field in (ids.DAYS_BEFORE, ids.DAYS_AFTER):
                submitted = values(before=typed) if field == ids.DAYS_BEFORE else values(after=typed)
                response = billbot.requests.submit(view, submitted, user=user)
                assert response.status_code == 200, typed
                assert response.json() == {"response_action": "errors", "errors": {field: message}}, typed
        # A time of day is Slack's timepicker's, "HH:MM" in ASCII; anything else is not a time.
        answer = billbot.requests.submit(view, values(time="0٩:00"), user=user).json()
        assert list(answer["errors"]) == [ids.SEND_TIME]
        billbot.workspace.close_views(user)
    billbot.slack.wait_for(lambda: billbot.app.services.work.counts() == {"pending": 0, "failed": 0})
    assert saved(billbot) == []
    view = open_modal(billbot)
    assert (
        billbot.requests.submit(view, values(before=" 3 ", after=" 7 , 14 "), user=ADMIN).json()["response_action"]
        == "update"
    )
    (row,) = billbot.slack.wait_for(lambda: saved(billbot))
    assert json.loads(row.offsets) == [-3, 0, 7, 14]


def test_email_only_needs_no_channel(billbot: Billbot) -> None:
    view = open_modal(billbot)
    billbot.requests.submit(view, values(tell=False, channel=None), user=ADMIN)
    row = billbot.slack.wait_for(lambda: saved(billbot))[0]
    assert (row.email_client, row.tell_team, row.channel_id) == (True, False, None)


def test_the_modal_speaks_french(billbot: Billbot) -> None:
    billbot.workspace.add_usergroup("S0BILLING", "billing", users=[FRENCH_USER])
    from bot.models import BillingSettings

    with billbot.app.services.db.session() as session:
        session.add(BillingSettings(team_id=TEAM_ID, currency="eur", billing_admin_group="S0BILLING"))
    view = open_modal(billbot, FRENCH_USER)
    assert view["title"]["text"] == "Relances de factures"
    answer = json.loads(billbot.requests.submit(view, values(before="trois"), user=FRENCH_USER).content)
    assert "nombres entiers" in answer["errors"][ids.DAYS_BEFORE]


def test_members_who_are_not_billing_admins_are_refused(billbot: Billbot) -> None:
    billbot.requests.command("/billing", "reminders", user=MEMBER)
    note = billbot.slack.wait_for(lambda: billbot.workspace.ephemeral("C_GENERAL", MEMBER))[-1]
    assert "Only billing admins" in (note.text or "")
    assert billbot.workspace.views(MEMBER) == []
    # A forged submission of the modal is refused after the ack too: nothing saved.
    view = open_modal(billbot)
    billbot.requests.submit(view, values(), user=MEMBER)
    billbot.slack.wait_for(
        lambda: any("Only billing admins" in json.dumps(c.args) for c in billbot.slack.calls("views.update"))
    )
    assert saved(billbot) == []


def test_the_checklist_counts_the_step_once_saved(billbot: Billbot) -> None:
    turn_on(billbot)
    billbot.requests.command("/billing", user=ADMIN)
    hub = filled_view(billbot.slack, billbot.workspace, ADMIN)
    step = next(b for b in hub["blocks"] if b.get("block_id") == "step_reminders")
    assert ":white_check_mark:" in step["text"]["text"]


def test_app_home_shows_the_admin_the_next_reminders_and_the_last_sent(billbot: Billbot) -> None:
    turn_on(billbot)
    first, _ = invoices(billbot, 2)
    sweep(billbot, at(first.due_date - timedelta(days=3)))
    billbot.requests.event({"type": "app_home_opened", "user": ADMIN, "channel": "D0ADMIN", "tab": "home"})
    home = billbot.slack.wait_for(lambda: billbot.workspace.home(ADMIN))
    assert check_view(home) == []
    by_id = {b.get("block_id"): b.get("text", {}).get("text", "") for b in home["blocks"] if b.get("block_id")}
    assert "Next reminders due" in by_id["reminders_next"] and "on the due date" in by_id["reminders_next"]
    assert first.number in by_id["reminders_last"] and "3 days before the due date" in by_id["reminders_last"]
    # Another member's App Home has the checklist, not the reminders.
    billbot.requests.event({"type": "app_home_opened", "user": MEMBER, "channel": "D0MEMBER", "tab": "home"})
    other = billbot.slack.wait_for(lambda: billbot.workspace.home(MEMBER))
    assert "reminders_next" not in json.dumps(other)
