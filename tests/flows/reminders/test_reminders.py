"""Payment reminders through the harness: the sweep at moments chosen by the test (no sleeping), Stripe's
invoice.sent events, the digests Slack received, and the claims in the database."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update
from sqlmodel import select

from bot.models import Invoice, InvoiceReminderHold, ReminderSent
from bot.sandbox.slack.limits import check_blocks
from bot.sandbox.slack.records import Message
from bot.services import Services
from bot.slack_users import set_workspace_locale
from flows.reminders import claims, sweeper_for
from flows.reminders.logic import SettingsForm, find_due, save_settings
from flows.reminders.sweep import SweepResult, stripe_key
from tests.conftest import ADMIN, TEAM_ID, Billbot
from tests.flows.invoices.test_payments import CHANNEL, CREATOR, connect, make_client, make_invoice
from tests.flows.invoices.test_record_payment import modal_of, submit, today_of, values

REMINDERS = "C_REMINDERS"
PARIS = ZoneInfo("Europe/Paris")


# -- the scene -------------------------------------------------------------------------------------------------


def turn_on(bb: Billbot, *, offsets: tuple[int, ...] = (-3, 0, 7), email: bool = True, tell: bool = True,
            timezone: str = "Europe/Paris", locale: str = "en", minute: int = 9 * 60,
            channel: str = REMINDERS) -> None:  # fmt: skip
    bb.workspace.add_channel(REMINDERS, "reminders", members=[ADMIN, CREATOR, "U0BOT"])
    form = SettingsForm(offsets, email, tell, channel if tell else None, minute)
    save_settings(bb.app.services.db, TEAM_ID, ADMIN, form, timezone=timezone, locale=locale)


def invoices(bb: Billbot, count: int = 1, *, due: date | None = None) -> list[Invoice]:
    connect(bb)
    client_id = make_client(bb)
    made = [make_invoice(bb, client_id, amounts=(10000 + n,)) for n in range(count)]
    if due is not None:
        set_due(bb, made, due)
    return [row(bb, i.id) for i in made]  # type: ignore[arg-type]


def set_due(bb: Billbot, found: list[Invoice], due: date) -> None:
    with bb.app.services.db.session() as session:
        session.execute(update(Invoice).where(Invoice.id.in_([i.id for i in found])).values(due_date=due))  # type: ignore[union-attr]


def row(bb: Billbot, invoice_id: int) -> Invoice:
    with bb.app.services.db.session() as session:
        found = session.get(Invoice, invoice_id)
    assert found is not None
    return found


def at(day: date, hour: int = 9, minute: int = 0, tz: ZoneInfo = PARIS) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


def sweep(bb: Billbot, now: datetime) -> SweepResult:
    return sweeper_for(bb.app.bolt_app, bb.app.services).run(now)


def emails(bb: Billbot, invoice: Invoice) -> int:
    """How many times Stripe emailed this invoice (each send emits one invoice.sent)."""
    return sum(1 for e in bb.stripe.events("invoice.sent") if e["data"]["object"]["id"] == invoice.stripe_invoice_id)


def digests(bb: Billbot, channel: str = REMINDERS) -> list[Message]:
    return bb.workspace.messages(channel)


def text_of(message: Message) -> str:
    parts = [message.text or ""]
    for block in message.blocks or []:
        if "text" in block:
            parts.append(block["text"]["text"])
        for element in block.get("elements", []):
            if isinstance(element.get("text"), dict):
                parts.append(element["text"]["text"])
    return "\n".join(parts)


def sent_rows(bb: Billbot) -> list[ReminderSent]:
    with bb.app.services.db.session() as session:
        return list(session.exec(select(ReminderSent).order_by(ReminderSent.id)))  # type: ignore[arg-type]


# -- when reminders go out --------------------------------------------------------------------------------------


def test_reminders_go_out_on_the_right_days_at_the_workspaces_time_of_day(billbot: Billbot) -> None:
    turn_on(billbot)
    (invoice,) = invoices(billbot)
    due = invoice.due_date
    before = emails(billbot, invoice)

    assert sweep(billbot, at(due - timedelta(days=4))).claimed == 0
    assert sweep(billbot, at(due - timedelta(days=3), 8, 59)).claimed == 0  # 8:59 in Paris: not yet
    assert digests(billbot) == []

    first = sweep(billbot, at(due - timedelta(days=3)))
    assert (first.claimed, first.emailed, first.digests) == (1, 1, 1)
    assert emails(billbot, invoice) == before + 1
    (digest,) = digests(billbot)
    text = text_of(digest)
    # A channel's digest names each client by initials only.
    assert "Due soon" in text and invoice.number in text and "*É. M.*" in text and "€100.00" in text
    assert "Élodie" not in text
    assert check_blocks(digest.blocks) == []
    actions = [e["action_id"] for b in digest.blocks or [] if b["type"] == "actions" for e in b["elements"]]
    assert actions == ["reminders_send_now", "reminders_snooze", "invoice_mark_paid"]

    # The same day, later sweeps (and other processes) find nothing more to do.
    assert sweep(billbot, at(due - timedelta(days=3), 9, 5)).claimed == 0
    assert sweep(billbot, at(due - timedelta(days=1), 17)).claimed == 0

    assert sweep(billbot, at(due)).emailed == 1
    assert "Due today" in text_of(digests(billbot)[-1])
    assert sweep(billbot, at(due + timedelta(days=7))).emailed == 1
    assert "Overdue" in text_of(digests(billbot)[-1])
    assert sweep(billbot, at(due + timedelta(days=20))).claimed == 0

    assert emails(billbot, invoice) == before + 3
    assert len(digests(billbot)) == 3
    assert [(r.rule, r.state, r.emailed) for r in sent_rows(billbot)] == [
        (-3, "sent", True),
        (0, "sent", True),
        (7, "sent", True),
    ]


def test_the_time_of_day_is_the_workspaces_own(billbot: Billbot) -> None:
    turn_on(billbot, offsets=(0,), timezone="America/Los_Angeles", minute=8 * 60 + 30)
    (invoice,) = invoices(billbot)
    la = ZoneInfo("America/Los_Angeles")
    # 9:00 in Paris is still the night before in Los Angeles.
    assert sweep(billbot, at(invoice.due_date, 8, 29, la)).claimed == 0
    assert sweep(billbot, at(invoice.due_date, 8, 30, la)).claimed == 1


def test_a_reminder_missed_while_down_is_sent_when_back_and_older_ones_are_skipped(billbot: Billbot) -> None:
    turn_on(billbot)
    (invoice,) = invoices(billbot)
    due = invoice.due_date
    before = emails(billbot, invoice)
    # Down from before the first reminder until two days after the due date: the due-date reminder is
    # the one owed now; the "3 days before" one is overtaken, not sent late in a burst.
    result = sweep(billbot, at(due + timedelta(days=2), 14))
    assert (result.claimed, result.emailed) == (1, 1)
    assert [r.rule for r in sent_rows(billbot)] == [0]
    assert "Due today" in text_of(digests(billbot)[-1])
    assert sweep(billbot, at(due + timedelta(days=9))).emailed == 1
    assert [r.rule for r in sent_rows(billbot)] == [0, 7]
    assert emails(billbot, invoice) == before + 2


def test_invoices_made_after_a_rules_day_are_not_reminded_for_it(billbot: Billbot) -> None:
    turn_on(billbot)
    (invoice,) = invoices(billbot, due=date.today() + timedelta(days=1))
    # "3 days before" fell before the invoice existed: nothing owed until the due date.
    assert sweep(billbot, at(date.today(), 23)).claimed == 0
    assert sweep(billbot, at(invoice.due_date)).claimed == 1


def test_paid_voided_and_stopped_invoices_are_never_reminded(billbot: Billbot) -> None:
    turn_on(billbot)
    paid, voided, stopped, open_one = invoices(billbot, 4)
    for action_id, invoice in (("invoice_mark_paid", paid), ("invoice_void", voided), ("reminders_stop", stopped)):
        response = billbot.requests.click(
            action_id, user=CREATOR, value=str(invoice.id), channel=CHANNEL, message_ts=invoice.message_ts
        )
        assert response.status_code == 200
        if action_id == "invoice_mark_paid":  # Record payment: all of it, as its modal preselects
            view = modal_of(billbot, CREATOR)
            submit(billbot, view, values(day=today_of(view)), CREATOR)
    billbot.slack.wait_for(lambda: row(billbot, paid.id).status == "paid" and row(billbot, voided.id).status == "void")  # type: ignore[arg-type]
    billbot.slack.wait_for(
        lambda: any("Reminders stopped" in (m.text or "") for m in billbot.workspace.ephemeral(CHANNEL, CREATOR))
    )
    result = sweep(billbot, at(open_one.due_date))
    assert result.claimed == 1
    assert [r.invoice_id for r in sent_rows(billbot)] == [open_one.id]
    text = text_of(digests(billbot)[-1])
    assert open_one.number in text and paid.number not in text and stopped.number not in text


def test_stop_reminders_is_on_the_invoice_message_and_can_be_undone(billbot: Billbot) -> None:
    turn_on(billbot)
    (invoice,) = invoices(billbot)
    message = billbot.workspace.message(CHANNEL, invoice.message_ts or "")
    assert "reminders_stop" in [
        e["action_id"] for b in message.blocks or [] if b["type"] == "actions" for e in b["elements"]
    ]
    billbot.requests.click(
        "reminders_stop", user=CREATOR, value=str(invoice.id), channel=CHANNEL, message_ts=invoice.message_ts
    )
    note = billbot.slack.wait_for(lambda: billbot.workspace.ephemeral(CHANNEL, CREATOR))[-1]
    assert note.blocks and note.blocks[0]["accessory"]["action_id"] == "reminders_resume"
    assert sweep(billbot, at(invoice.due_date)).claimed == 0
    billbot.requests.click("reminders_resume", user=CREATOR, value=str(invoice.id), channel=CHANNEL)
    billbot.slack.wait_for(lambda: len(billbot.workspace.ephemeral(CHANNEL, CREATOR)) == 2)
    assert sweep(billbot, at(invoice.due_date, 10)).claimed == 1


def test_someone_else_cannot_stop_an_invoices_reminders(billbot: Billbot) -> None:
    turn_on(billbot)
    (invoice,) = invoices(billbot)
    from tests.conftest import FRENCH_USER

    billbot.requests.click("reminders_stop", user=FRENCH_USER, value=str(invoice.id), channel=CHANNEL)
    note = billbot.slack.wait_for(lambda: billbot.workspace.ephemeral(CHANNEL, FRENCH_USER))[-1]
    assert "Seule la personne" in (note.text or "")
    with billbot.app.services.db.session() as session:
        assert session.get(InvoiceReminderHold, invoice.id) is None


def test_snooze_from_the_digest_holds_reminders_three_days(billbot: Billbot) -> None:
    turn_on(billbot)
    (invoice,) = invoices(billbot, due=date.today() + timedelta(days=1))
    billbot.requests.click("reminders_snooze", user=CREATOR, value=str(invoice.id), channel=REMINDERS)
    note = billbot.slack.wait_for(lambda: billbot.workspace.ephemeral(REMINDERS, CREATOR))[-1]
    assert "No reminders for" in (note.text or "")
    today = datetime.now(PARIS).date()
    assert sweep(billbot, at(invoice.due_date)).claimed == 0  # snoozed
    assert sweep(billbot, at(today + timedelta(days=3))).claimed == 1  # the due-date reminder, once it ends


def test_send_reminder_now_emails_once_however_many_clicks(billbot: Billbot) -> None:
    turn_on(billbot)
    (invoice,) = invoices(billbot)
    before = emails(billbot, invoice)
    for _ in range(2):
        billbot.requests.click("reminders_send_now", user=CREATOR, value=str(invoice.id), channel=REMINDERS)
    billbot.slack.wait_for(lambda: len(billbot.workspace.ephemeral(REMINDERS, CREATOR)) == 2)
    notes = sorted(m.text or "" for m in billbot.workspace.ephemeral(REMINDERS, CREATOR))
    assert any("emailed to Élodie Martin" in n for n in notes)
    assert any("already sent by hand today" in n for n in notes)
    assert emails(billbot, invoice) == before + 1


def test_mark_as_paid_from_the_digest_uses_the_invoices_own_flow(billbot: Billbot) -> None:
    turn_on(billbot)
    (invoice,) = invoices(billbot)
    sweep(billbot, at(invoice.due_date))
    digest = digests(billbot)[-1]
    billbot.requests.click(
        "invoice_mark_paid", user=ADMIN, value=str(invoice.id), channel=REMINDERS, message_ts=digest.ts
    )
    view = modal_of(billbot, ADMIN)
    submit(billbot, view, values(day=today_of(view)), ADMIN)
    billbot.slack.wait_for(lambda: row(billbot, invoice.id).status == "paid")  # type: ignore[arg-type]
    assert sweep(billbot, at(invoice.due_date + timedelta(days=7))).claimed == 0


def test_after_a_part_payment_the_reminder_asks_for_the_balance(billbot: Billbot) -> None:
    turn_on(billbot)
    (invoice,) = invoices(billbot)
    billbot.requests.click(
        "invoice_mark_paid", user=ADMIN, value=str(invoice.id), channel=CHANNEL, message_ts=invoice.message_ts
    )
    view = modal_of(billbot, ADMIN)
    assert submit(billbot, view, values("cash", today_of(view), part="40"), ADMIN)["response_action"] == "update"
    billbot.slack.wait_for(lambda: row(billbot, invoice.id).amount_remaining == 6000)  # type: ignore[arg-type]
    sweep(billbot, at(invoice.due_date))
    digest = text_of(digests(billbot)[-1])
    assert "€60.00" in digest and "€100.00" not in digest  # an invoice of €100.00, €40.00 paid
    # Stripe's own reminder email asks for what its invoice has left, the same balance.
    stripe_left = billbot.app.services.stripe.retrieve_invoice(
        invoice.stripe_account_id, invoice.stripe_invoice_id or ""
    )
    assert stripe_left["amount_remaining"] == 6000


# -- exactly once ------------------------------------------------------------------------------------------------


def test_two_sweeps_at_once_send_each_reminder_once(billbot: Billbot) -> None:
    turn_on(billbot)
    made = invoices(billbot, 6)
    before = sum(emails(billbot, i) for i in made)
    now = at(made[0].due_date)
    # A second scheduler: its own Services, its own connections to the same database.
    other = Services.build(billbot.app.settings)
    results: list[SweepResult] = []
    try:
        runs = [sweeper_for(billbot.app.bolt_app, billbot.app.services), sweeper_for(billbot.app.bolt_app, other)]
        threads = [threading.Thread(target=lambda s=s: results.append(s.run(now))) for s in runs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        other.close()
    assert sum(r.claimed for r in results) == 6
    assert sum(emails(billbot, i) for i in made) == before + 6
    shown = "\n".join(text_of(m) for m in digests(billbot))
    assert all(shown.count(i.number + " ") == 1 for i in made)
    assert {r.state for r in sent_rows(billbot)} == {"sent"}


def test_a_sweep_that_died_after_claiming_is_finished_by_the_next_once(billbot: Billbot) -> None:
    turn_on(billbot)
    (invoice,) = invoices(billbot)
    db = billbot.app.services.db
    now = at(invoice.due_date).astimezone(UTC)
    before = emails(billbot, invoice)
    # The dead sweep got as far as its claim and Stripe's email, and no further.
    (claimed,) = claims.claim(db, find_due(db, now), now)
    billbot.app.services.stripe.send_invoice(
        invoice.stripe_account_id, invoice.stripe_invoice_id or "", idempotency_key=stripe_key(invoice.id, 0)
    )  # type: ignore[arg-type]
    assert sweep(billbot, now + timedelta(minutes=1)).claimed == 0  # its lease still holds
    resumed = sweep(billbot, now + claims.LEASE + timedelta(minutes=1))
    assert resumed.claimed == 1 and resumed.digests == 1
    assert emails(billbot, invoice) == before + 1  # Stripe's idempotency key: the retry was not a second email
    assert [(r.id, r.state) for r in sent_rows(billbot)] == [(claimed, "sent")]


def test_stripe_down_is_retried_by_the_next_sweep(billbot: Billbot) -> None:
    turn_on(billbot)
    (invoice,) = invoices(billbot)
    before = emails(billbot, invoice)
    billbot.stripe.fail_next("POST", f"/v1/invoices/{invoice.stripe_invoice_id}/send", count=3)
    first = sweep(billbot, at(invoice.due_date))
    assert (first.claimed, first.emailed, first.retrying) == (1, 0, 1)
    assert digests(billbot) == []
    second = sweep(billbot, at(invoice.due_date, 9, 5))
    assert (second.claimed, second.emailed, second.digests) == (1, 1, 1)
    assert emails(billbot, invoice) == before + 1


def test_a_digest_slack_posted_without_answering_is_found_not_posted_again(billbot: Billbot) -> None:
    turn_on(billbot, email=False)
    (invoice,) = invoices(billbot)
    # Slack posts the message, then answers 500 fatal_error ("some aspect of the operation succeeded").
    billbot.slack.fail_after_doing("chat.postMessage")
    first = sweep(billbot, at(invoice.due_date))
    assert (first.digests, first.retrying) == (0, 1)
    (posted,) = digests(billbot)
    assert [r.state for r in sent_rows(billbot)] == ["claimed"]

    second = sweep(billbot, at(invoice.due_date, 9, 5))
    assert (second.claimed, second.posted, second.digests) == (1, 1, 0)
    assert digests(billbot) == [posted]  # found in the channel by its metadata, not posted twice
    assert [(r.state, r.digest_ts) for r in sent_rows(billbot)] == [("sent", posted.ts)]


def test_a_digest_that_cannot_be_looked_for_is_posted_again_rather_than_lost(billbot: Billbot) -> None:
    turn_on(billbot, email=False)
    (invoice,) = invoices(billbot)
    billbot.slack.fail_after_doing("chat.postMessage")
    sweep(billbot, at(invoice.due_date))
    billbot.slack.fail("conversations.history", "ratelimited")
    second = sweep(billbot, at(invoice.due_date, 9, 5))
    assert second.digests == 1
    _first, again = digests(billbot)
    assert [(r.state, r.digest_ts) for r in sent_rows(billbot)] == [("sent", again.ts)]


def test_a_digest_that_never_reached_slack_is_posted_by_the_next_sweep(billbot: Billbot) -> None:
    turn_on(billbot, email=False)
    (invoice,) = invoices(billbot)
    billbot.slack.fail("chat.postMessage", "internal_error")  # refused: nothing was posted
    assert sweep(billbot, at(invoice.due_date)).retrying == 1
    assert digests(billbot) == []
    second = sweep(billbot, at(invoice.due_date, 9, 5))
    assert second.digests == 1
    (posted,) = digests(billbot)
    assert [(r.state, r.digest_ts) for r in sent_rows(billbot)] == [("sent", posted.ts)]


def test_a_rate_limited_digest_is_posted_after_retry_after(billbot: Billbot) -> None:
    turn_on(billbot, email=False)
    (invoice,) = invoices(billbot)
    billbot.slack.rate_limit("chat.postMessage", times=1, retry_after=1)
    result = sweep(billbot, at(invoice.due_date))
    assert (result.digests, result.retrying) == (1, 0)
    assert len(digests(billbot)) == 1
    assert [r.state for r in sent_rows(billbot)] == ["sent"]


def test_a_channel_the_bot_is_not_in_is_reported_to_the_admin(billbot: Billbot) -> None:
    turn_on(billbot, channel="C_GENERAL")  # the bot is not a member of #general
    (invoice,) = invoices(billbot)
    result = sweep(billbot, at(invoice.due_date))
    assert result.emailed == 1
    dm = billbot.workspace.dm(ADMIN)
    assert any("not a member" in (m.text or "") for m in dm)
    assert [(r.state, r.last_error) for r in sent_rows(billbot)] == [("sent", "slack: not_in_channel")]


def test_the_digest_speaks_the_workspaces_language_not_its_savers(billbot: Billbot) -> None:
    """A channel's digest is read by everyone there: it follows the workspace's language (/billing settings)."""
    turn_on(billbot, locale="fr")  # saved by someone whose Slack is in French
    (invoice,) = invoices(billbot)
    sweep(billbot, at(invoice.due_date - timedelta(days=3)))
    assert "Payment reminders" in text_of(digests(billbot)[-1])  # the workspace's language: English by default
    set_workspace_locale(billbot.app.services.db, TEAM_ID, "fr")
    sweep(billbot, at(invoice.due_date))
    text = text_of(digests(billbot)[-1])
    assert "Relances de paiement" in text and "Relancer maintenant" in text
    assert "100,00" in text


def test_digest_blocks_stay_within_slacks_limits(billbot: Billbot) -> None:
    turn_on(billbot, email=False)
    made = invoices(billbot, 26)
    result = sweep(billbot, at(made[0].due_date))
    assert result.posted == 26 and result.digests == 2
    messages = digests(billbot)
    for message in messages:
        assert len(message.blocks or []) <= 50
        assert check_blocks(message.blocks) == []
        # Every invoice's line is followed by its own buttons, in the same message.
        blocks: list[dict[str, Any]] = message.blocks or []
        for index, block in enumerate(blocks):
            if block.get("block_id", "").startswith("reminder_") and block["type"] == "section":
                assert blocks[index + 1]["block_id"] == f"reminder_actions_{block['block_id'][9:]}"
    shown = "\n".join(text_of(m) for m in messages)
    assert all(shown.count(i.number + " ") == 1 for i in made)
    assert "(1/2)" in text_of(messages[0]) and "(2/2)" in text_of(messages[1])


@pytest.mark.parametrize("state", ["paid", "void"])
def test_an_invoice_paid_between_claim_and_send_is_skipped(billbot: Billbot, state: str) -> None:
    turn_on(billbot)
    (invoice,) = invoices(billbot)
    db = billbot.app.services.db
    now = at(invoice.due_date).astimezone(UTC)
    claims.claim(db, find_due(db, now), now)  # a sweep that died holding the claim
    with db.session() as session:
        session.execute(update(Invoice).where(Invoice.id == invoice.id).values(status=state))  # type: ignore[arg-type]
    before = emails(billbot, invoice)
    result = sweep(billbot, now + claims.LEASE + timedelta(minutes=1))
    assert (result.claimed, result.skipped, result.emailed) == (1, 1, 0)
    assert emails(billbot, invoice) == before
    assert [r.state for r in sent_rows(billbot)] == ["skipped"]
