"""The monthly summary through the harness: the opt-in in `/billing reminders`, the job at moments chosen by
the test (no sleeping), what Slack received in the channel (the message and the chart's file), and the claims."""

from __future__ import annotations

import json
import threading
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import select

from bot.figures import month, period_figures
from bot.i18n import format_money
from bot.models import MonthlySummary, ReminderSettings
from bot.sandbox.slack.records import Message
from bot.services import Services
from bot.slack_users import set_workspace_locale
from flows.reminders import ids, summaries_for
from flows.reminders.logic import SettingsForm, save_settings
from tests.conftest import ADMIN, FRENCH_USER, TEAM_ID, Billbot
from tests.flows.invoices.test_payments import CREATOR, connect, make_client
from tests.flows.reminders.test_reminders import PARIS, REMINDERS
from tests.flows.reminders.test_settings import open_modal, values
from tests.flows.reports.scene import invoice, pay_on_stripe

CLIENTS = ("Élodie Martin", "Jean-Baptiste Rousseau")
SERVICE = "Séance de psychothérapie"


def _today() -> date:
    return datetime.now(PARIS).date()


def _next_first(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


def opt_in(bb: Billbot, *, summary: bool = True, tell: bool = False, channel: str = REMINDERS) -> None:
    bb.workspace.add_channel(REMINDERS, "reminders", members=[ADMIN, CREATOR, "U0BOT"])
    form = SettingsForm((-3, 0, 7), True, tell, channel, 9 * 60, summary)
    save_settings(bb.app.services.db, TEAM_ID, ADMIN, form, timezone="Europe/Paris", locale="en")


def a_month(bb: Billbot) -> None:
    """This month: two clients, three invoices, one paid on Stripe's page."""
    connect(bb)
    first, second = (make_client(bb, name) for name in CLIENTS)
    paid = invoice(bb, first, (12000,), description=SERVICE)
    invoice(bb, first, (8000,), description=SERVICE)
    invoice(bb, second, (4550,), description=SERVICE)
    pay_on_stripe(bb, paid)


def run(bb: Billbot, now: datetime, services: Services | None = None) -> list[int]:
    return summaries_for(services or bb.app.services).run(now)


def posted(bb: Billbot) -> list[Message]:
    return [m for m in bb.workspace.messages(REMINDERS) if m.metadata]


def everything_said(message: Message) -> str:
    return json.dumps([message.text, message.blocks], ensure_ascii=False)


def claims(bb: Billbot, *, skipped: bool = False) -> list[MonthlySummary]:
    """The claims, without the month skipped when the summary was turned on (unless asked for)."""
    with bb.app.services.db.session() as session:
        found = list(session.exec(select(MonthlySummary).order_by(MonthlySummary.month)))  # type: ignore[arg-type]
    return [c for c in found if skipped or c.state != "skipped"]


def summary_values(*, channel: str | None, tell: bool = False, summary: bool = True) -> dict[str, Any]:
    submitted = values(channel=channel, tell=tell)
    chosen = [{"value": ids.MONTHLY_SUMMARY_VALUE}] if summary else []
    submitted[ids.MONTHLY_SUMMARY] = {ids.MONTHLY_SUMMARY: {"type": "checkboxes", "selected_options": chosen}}
    return submitted


# -- the opt-in ---------------------------------------------------------------------------------------------------


def test_the_opt_in_asks_for_a_channel_in_both_languages_then_saves(billbot: Billbot) -> None:
    from bot.models import BillingSettings

    billbot.workspace.add_usergroup("S0BILLING", "billing", users=[FRENCH_USER])
    with billbot.app.services.db.session() as session:
        session.add(BillingSettings(team_id=TEAM_ID, currency="eur", billing_admin_group="S0BILLING"))
    for user, words in ((ADMIN, "Choose the channel where the monthly summary is posted."),
                        (FRENCH_USER, "Choisissez le canal où publier le bilan mensuel.")):  # fmt: skip
        view = open_modal(billbot, user)
        labels = json.dumps(view, ensure_ascii=False)
        assert ("Post last month's summary on the 1st" if user == ADMIN else "Publier le bilan du mois") in labels
        answer = billbot.requests.submit(view, summary_values(channel=None), user=user).json()
        assert answer == {"response_action": "errors", "errors": {ids.CHANNEL: words}}
        billbot.workspace.close_views(user)
    with billbot.app.services.db.session() as session:
        assert session.get(ReminderSettings, TEAM_ID) is None  # nothing saved
    # With a channel, and the team's digest off: the summary keeps the channel.
    view = open_modal(billbot)
    answer = billbot.requests.submit(view, summary_values(channel=REMINDERS), user=ADMIN).json()
    assert answer["response_action"] == "update"

    def saved() -> ReminderSettings | None:
        with billbot.app.services.db.session() as session:
            return session.get(ReminderSettings, TEAM_ID)

    row = billbot.slack.wait_for(saved)
    assert (row.monthly_summary, row.channel_id, row.tell_team) == (True, REMINDERS, False)
    billbot.slack.wait_for(lambda: [v for v in billbot.workspace.views(ADMIN) if "summary in" in json.dumps(v)])
    billbot.workspace.close_views(ADMIN)
    again = {b.get("block_id"): b for b in open_modal(billbot)["blocks"]}
    assert again[ids.MONTHLY_SUMMARY]["element"]["initial_options"][0]["value"] == ids.MONTHLY_SUMMARY_VALUE


def test_turned_on_late_in_a_month_it_posts_only_that_month_at_the_next_first(billbot: Billbot) -> None:
    billbot.workspace.add_channel(REMINDERS, "reminders", members=[ADMIN, CREATOR, "U0BOT"])
    view = open_modal(billbot)
    billbot.requests.submit(view, summary_values(channel=REMINDERS), user=ADMIN)
    billbot.slack.wait_for(lambda: claims(billbot, skipped=True) or None)
    today = _today()
    # The month before (whose 1st had passed when the box was ticked) is not posted, today nor later today.
    assert run(billbot, _at(today, 23, 50)) == [] and posted(billbot) == []
    (skipped,) = claims(billbot, skipped=True)
    last_month = today.replace(day=1) - timedelta(days=1)
    assert (skipped.month, skipped.state) == (last_month.strftime("%Y-%m"), "skipped")
    assert len(run(billbot, _at(_next_first(today)))) == 1
    (message,) = posted(billbot)
    assert f"Summary of {today.strftime('%B %Y')}" in message.text


# -- the job ------------------------------------------------------------------------------------------------------


def test_the_summary_is_posted_once_at_the_local_time_with_the_figures_and_no_names(billbot: Billbot) -> None:
    opt_in(billbot)
    a_month(billbot)
    first = _next_first(_today())
    assert run(billbot, _at(first - timedelta(days=1), 23, 59)) == []
    assert run(billbot, _at(first, 8, 59)) == [] and posted(billbot) == []
    now = _at(first, 9, 0)
    assert len(run(billbot, now)) == 1
    assert run(billbot, now) == [] and run(billbot, _at(first + timedelta(days=3), 12)) == []  # once
    (message,) = posted(billbot)
    said = everything_said(message)
    today = _today()
    with billbot.app.services.db.session() as session:
        figures = period_figures(session, TEAM_ID, month(today.year, today.month), now=now)
    eur = figures.of("eur")
    assert eur is not None and (eur.net_collected, eur.invoiced, eur.outstanding) == (12000, 24550, 12550)

    def money(amount: int) -> str:
        return format_money(amount, "eur", "en")

    assert f"Summary of {today.strftime('%B %Y')}" in message.text
    assert f"*Collected:* {money(eur.net_collected)} net of refunds" in said
    assert f"*Invoiced:* {money(eur.invoiced)} on 3 invoices" in said
    assert f"*Outstanding now:* {money(eur.outstanding)} on 2 invoices" in said
    files = billbot.workspace.files()
    (chart,) = files
    assert chart.filename == f"summary-eur-{today.strftime('%Y-%m')}.png" and chart.data[:4] == b"\x89PNG"
    assert REMINDERS in chart.channels
    assert f"collected {money(12000)}" in (chart.alt_txt or "")
    for name in (*CLIENTS, "Élodie", "Martin", "Rousseau", SERVICE):
        assert name not in said and name not in (chart.alt_txt or "") and name not in (chart.title or "")
    assert [c.state for c in claims(billbot)] == ["sent"]


def test_two_schedulers_at_once_post_one_summary(billbot: Billbot) -> None:
    opt_in(billbot)
    a_month(billbot)
    now = _at(_next_first(_today()), 9, 5)
    other = Services.build(billbot.app.settings)
    results: list[list[int]] = []
    try:
        threads = [
            threading.Thread(target=lambda s=s: results.append(run(billbot, now, s)))
            for s in (billbot.app.services, other)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        other.close()
    assert sorted(len(r) for r in results) == [0, 1]
    assert len(posted(billbot)) == 1 and len(billbot.workspace.files()) == 1


def test_nothing_is_posted_for_a_workspace_that_did_not_opt_in(billbot: Billbot) -> None:
    opt_in(billbot, summary=False, tell=True)
    a_month(billbot)
    assert run(billbot, _at(_next_first(_today()), 10)) == []
    assert posted(billbot) == [] and billbot.workspace.files() == [] and claims(billbot, skipped=True) == []


def test_a_french_workspace_gets_a_french_summary_with_french_money(billbot: Billbot) -> None:
    opt_in(billbot)
    a_month(billbot)
    set_workspace_locale(billbot.app.services.db, TEAM_ID, "fr")
    assert len(run(billbot, _at(_next_first(_today()), 9))) == 1
    (message,) = posted(billbot)
    said = everything_said(message)
    assert message.text.startswith("Bilan mensuel : ") and " : EUR encaissés " in message.text
    assert f"*Encaissé :* {format_money(12000, 'eur', 'fr')} net des remboursements" in said
    assert f"*Facturé :* {format_money(24550, 'eur', 'fr')} sur 3 factures" in said
    assert "245,50" in said and "€245.50" not in said
    (chart,) = billbot.workspace.files()
    assert "Facturé et encaissé" in (chart.alt_txt or "")
    for name in (*CLIENTS, SERVICE):
        assert name not in said and name not in (chart.alt_txt or "")


def test_a_summary_slack_posted_without_answering_is_found_not_posted_again(billbot: Billbot) -> None:
    opt_in(billbot)
    a_month(billbot)
    first = _next_first(_today())
    # Slack posts the message, then answers 500 fatal_error: the claim waits for the next run.
    billbot.slack.fail_after_doing("chat.postMessage")
    assert run(billbot, _at(first, 9)) == []
    (message,) = posted(billbot)
    assert [c.state for c in claims(billbot)] == ["claimed"]
    assert len(run(billbot, _at(first, 9, 5))) == 1
    assert posted(billbot) == [message]  # found by its metadata, the chart added to it
    assert len(billbot.workspace.files()) == 1
    assert [(c.state, c.ts) for c in claims(billbot)] == [("sent", message.ts)]


def test_a_channel_the_bot_is_not_in_is_told_to_the_admin_once(billbot: Billbot) -> None:
    opt_in(billbot, channel="C_GENERAL")  # the bot is not a member of #general
    a_month(billbot)
    first = _next_first(_today())
    assert run(billbot, _at(first, 9)) == [] and run(billbot, _at(first, 9, 20)) == []
    told = [m for m in billbot.workspace.dm(ADMIN) if "could not post last month's summary" in (m.text or "")]
    assert len(told) == 1 and "not_in_channel" in (told[0].text or "")
    assert [c.state for c in claims(billbot)] == ["failed"]
