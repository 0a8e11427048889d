"""Autopay through the harness: the client record's switch, the daily DM and its buttons, the scheduled charge
(once across racing schedulers and a crashed one), and a declined card falling back to the payment link."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import stripe
from sqlalchemy import update
from sqlmodel import select

from bot.models import AutopayCharge, Client, Invoice, StripeAccount, table_of
from bot.sandbox.slack import check_message
from bot.sandbox.slack.records import Message
from bot.services import Services
from flows.autopay import ids
from flows.autopay.charging import idempotency_key
from flows.autopay.listeners import AutopayListeners
from tests.conftest import ADMIN, FRENCH_USER, MEMBER, TEAM_ID, Billbot
from tests.flows.clients.test_clients import click_and_wait, command
from tests.flows.invoices.test_payments import connect, make_client, make_invoice, settle, stripe_invoice

TOKYO_USER = "U0TOKYO"  # a practitioner (no admin) whose Slack is in Tokyo time
NAME = "Élodie Martin"


# -- the scene ---------------------------------------------------------------------------------------------


def sweeper(bb: Billbot) -> Any:
    """The autopay job the scheduler runs (a bound method taking an optional ``now``)."""
    return next(job for job in bb.app.services.jobs if job.name == "autopay_sweep").run


def with_card(bb: Billbot, card: str = "pm_card_visa", creator: str = MEMBER) -> tuple[str, int]:
    """A connected practice and a client whose first invoice made their Stripe customer, with a card on file."""
    account = connect(bb)
    client_id = make_client(bb)
    make_invoice(bb, client_id, user=creator)  # before autopay: never charged automatically
    with bb.app.services.db.session() as session:
        client = session.get(Client, client_id)
        assert client is not None
        client.default_payment_method = card
        session.add(client)
    return account, client_id


def switch_on(bb: Billbot, client_id: int, user: str = ADMIN) -> Message:
    return click_and_wait(bb, ids.TOGGLE_ACTION, f"on:{client_id}", user)


def charge_row(bb: Billbot, invoice_id: int) -> AutopayCharge:
    with bb.app.services.db.session() as session:
        found = session.get(AutopayCharge, invoice_id)
    assert found is not None
    return found


def all_rows(bb: Billbot) -> list[AutopayCharge]:
    with bb.app.services.db.session() as session:
        return list(session.exec(select(AutopayCharge)))


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("UTC"))


def planned(bb: Billbot, invoice: Invoice) -> datetime:
    """The sweep plans the new invoice's charge; its time."""
    sweeper(bb)()
    return aware(charge_row(bb, invoice.id or 0).charge_at)


def dm_of(bb: Billbot, user: str) -> list[Message]:
    return [m for m in bb.workspace.dm(user) if any(b.get("block_id") == "autopay_title" for b in m.blocks or [])]


def dm_click(bb: Billbot, action_id: str, invoice: Invoice, message: Message, user: str) -> None:
    """A button of the daily DM, as Slack sends it: with the message it is in."""
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "practice"},
        "user": {"id": user, "team_id": TEAM_ID},
        "api_app_id": "A_BILLBOT",
        "trigger_id": bb.slack.issue_trigger_id(TEAM_ID, user),
        "container": {"type": "message", "channel_id": message.channel, "message_ts": message.ts},
        "channel": {"id": message.channel},
        "message": {"ts": message.ts, "text": message.text, "blocks": message.blocks},
        "response_url": bb.slack.issue_response_url(TEAM_ID, message.channel, user, original_ts=message.ts),
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": f"autopay_actions_{invoice.id}",
                "value": str(invoice.id),
                "text": {"type": "plain_text", "text": action_id},
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    assert bb.requests.interact(payload).status_code == 200


def paid_events(bb: Billbot, invoice: Invoice) -> list[dict[str, Any]]:
    return [e for e in bb.stripe.events("invoice.paid") if e["data"]["object"]["id"] == invoice.stripe_invoice_id]


def wait_state(bb: Billbot, invoice: Invoice, state: str) -> AutopayCharge:
    return bb.slack.wait_for(lambda: (row := charge_row(bb, invoice.id or 0)).state == state and row, timeout=10)


def announced(bb: Billbot, invoice: Invoice, user: str = MEMBER) -> tuple[datetime, Message]:
    """Plan the charge, sweep at the daily DM's time: the charge's time and the DM."""
    charge_at = planned(bb, invoice)
    sweeper(bb)(now=charge_at - timedelta(days=1) + timedelta(minutes=1))
    return charge_at, bb.slack.wait_for(lambda: dm_of(bb, user))[-1]


# -- the switch on the client's record ---------------------------------------------------------------------


def test_the_record_offers_autopay_only_with_a_card_and_a_client_without_one_cannot_be_switched_on(
    billbot: Billbot,
) -> None:
    bb = billbot
    connect(bb)
    bare = make_client(bb, name="Jean Dupont")
    record = command(bb, "Jean Dupont")
    text = json.dumps(record.blocks, ensure_ascii=False)
    assert "Autopay needs a card on file" in text and ids.TOGGLE_ACTION not in text

    refused = switch_on(bb, bare)  # a stale or forged click: refused, nothing changes
    assert "has no card on file, so autopay stays off" in (refused.text or "")
    with bb.app.services.db.session() as session:
        assert session.get(Client, bare).autopay is False  # type: ignore[union-attr]

    _, client_id = with_card_for(bb, NAME)
    record = command(bb, NAME)
    assert check_message(record.text, record.blocks) == []
    assert ids.TOGGLE_ACTION in json.dumps(record.blocks) and "Autopay is off" in json.dumps(record.blocks)
    told = switch_on(bb, client_id)
    assert "Autopay is on for Élodie Martin" in (told.text or "")
    again = switch_on(bb, client_id)  # a double click: still on, once
    assert "Autopay is on" in (again.text or "")
    # The invoice made before autopay is left alone: only new invoices are charged automatically.
    assert [row.state for row in all_rows(bb)] == ["cancelled"]


def with_card_for(bb: Billbot, name: str) -> tuple[str, int]:
    client_id = make_client(bb, name=name)
    make_invoice(bb, client_id)
    with bb.app.services.db.session() as session:
        client = session.get(Client, client_id)
        assert client is not None
        client.default_payment_method = "pm_card_visa"
        session.add(client)
    return "", client_id


def test_a_member_who_is_not_a_billing_admin_cannot_switch_autopay(billbot: Billbot) -> None:
    _, client_id = with_card(billbot)
    told = switch_on(billbot, client_id, user=MEMBER)
    assert "Only workspace admins and owners" in (told.text or "")
    with billbot.app.services.db.session() as session:
        assert session.get(Client, client_id).autopay is False  # type: ignore[union-attr]


# -- the daily DM ----------------------------------------------------------------------------------------


def test_the_dm_lists_tomorrows_charges_at_the_practitioners_time_in_their_time_zone(billbot: Billbot) -> None:
    bb = billbot
    bb.workspace.add_user(user_id=TOKYO_USER, name="kenji", locale="en-US", tz="Asia/Tokyo")
    bb.workspace.add_channel("C_PAYMENTS", "payments", members=[ADMIN, TOKYO_USER, "U0BOT"])
    _, client_id = with_card(bb, creator=TOKYO_USER)
    switch_on(bb, client_id)
    invoice = make_invoice(bb, client_id, user=TOKYO_USER)
    charge_at = planned(bb, invoice)
    local = charge_at.astimezone(ZoneInfo("Asia/Tokyo"))
    made = aware(invoice.created_at).astimezone(ZoneInfo("Asia/Tokyo"))
    assert (local.hour, local.minute) == (9, 0)  # the time of day (09:00 by default) where the practitioner is
    assert timedelta(days=1) <= local - made <= timedelta(days=2)

    sweeper(bb)(now=charge_at - timedelta(days=1) - timedelta(minutes=1))
    assert dm_of(bb, TOKYO_USER) == []  # not before the practitioner's time of day
    sweeper(bb)(now=charge_at - timedelta(days=1) + timedelta(minutes=1))
    dm = bb.slack.wait_for(lambda: dm_of(bb, TOKYO_USER))
    assert len(dm) == 1
    assert check_message(dm[0].text, dm[0].blocks) == []
    text = json.dumps(dm[0].blocks, ensure_ascii=False)
    assert "Tomorrow's automatic charges (1)" in text and "Asia/Tokyo" in text
    assert f"*{invoice.number}* · É. M. · €120.00" in text and "9:00" in text
    assert NAME not in text  # initials, as the cards show
    actions = {e["action_id"] for b in dm[0].blocks or [] if b["type"] == "actions" for e in b["elements"]}
    assert actions == {ids.HOLD_ACTION, ids.EDIT_ACTION, ids.CHARGE_NOW_ACTION}

    sweeper(bb)(now=charge_at - timedelta(hours=2))  # later that day: no second DM
    assert len(dm_of(bb, TOKYO_USER)) == 1


def test_french_dm(billbot: Billbot) -> None:
    bb = billbot
    _, client_id = with_card(bb, creator=FRENCH_USER)
    switch_on(bb, client_id)
    invoice = make_invoice(bb, client_id, user=FRENCH_USER, locale="fr")
    _, dm = announced(bb, invoice, FRENCH_USER)
    text = json.dumps(dm.blocks, ensure_ascii=False)
    assert "Prélèvements automatiques de demain (1)" in text
    assert "120,00" in text and "€" in text and "Europe/Paris" in text
    labels = {e["text"]["text"] for b in dm.blocks or [] if b["type"] == "actions" for e in b["elements"]}
    assert labels == {"Suspendre", "Modifier", "Débiter maintenant"}


# -- the buttons -----------------------------------------------------------------------------------------


def test_hold_stops_the_charge(billbot: Billbot) -> None:
    bb = billbot
    account, client_id = with_card(bb)
    switch_on(bb, client_id)
    invoice = make_invoice(bb, client_id)
    charge_at, dm = announced(bb, invoice)
    dm_click(bb, ids.HOLD_ACTION, invoice, dm, MEMBER)
    dm_click(bb, ids.HOLD_ACTION, invoice, dm, MEMBER)  # a double click
    wait_state(bb, invoice, "held")
    redrawn = bb.slack.wait_for(lambda: "Held by" in json.dumps(bb.workspace.message(dm.channel, dm.ts).blocks))
    assert redrawn
    sweeper(bb)(now=charge_at + timedelta(minutes=1))
    settle(bb)
    assert charge_row(bb, invoice.id or 0).state == "held"
    assert stripe_invoice(bb, account, invoice).status == "open"
    assert paid_events(bb, invoice) == []


def test_charge_now_charges_once_under_a_double_click(billbot: Billbot) -> None:
    bb = billbot
    account, client_id = with_card(bb)
    switch_on(bb, client_id)
    invoice = make_invoice(bb, client_id)
    charge_at, dm = announced(bb, invoice)
    dm_click(bb, ids.CHARGE_NOW_ACTION, invoice, dm, MEMBER)
    dm_click(bb, ids.CHARGE_NOW_ACTION, invoice, dm, MEMBER)
    row = wait_state(bb, invoice, "charged")
    assert row.attempts == 1
    settle(bb)
    assert stripe_invoice(bb, account, invoice).status == "paid"
    assert len(paid_events(bb, invoice)) == 1
    sweeper(bb)(now=charge_at + timedelta(minutes=1))  # the scheduled time comes: nothing more
    settle(bb)
    assert len(paid_events(bb, invoice)) == 1
    with bb.app.services.db.session() as session:
        assert session.get(Invoice, invoice.id).status == "paid"  # type: ignore[union-attr]


def test_edit_holds_the_charge_and_says_how_to_correct_it(billbot: Billbot) -> None:
    bb = billbot
    _, client_id = with_card(bb)
    switch_on(bb, client_id)
    invoice = make_invoice(bb, client_id)
    _, dm = announced(bb, invoice)
    dm_click(bb, ids.EDIT_ACTION, invoice, dm, MEMBER)
    wait_state(bb, invoice, "held")
    told = bb.slack.wait_for(lambda: bb.workspace.ephemeral(dm.channel, MEMBER))
    assert f"{invoice.number} is held" in (told[-1].text or "")


def test_someone_else_than_the_creator_or_an_admin_is_refused(billbot: Billbot) -> None:
    bb = billbot
    _, client_id = with_card(bb, creator=FRENCH_USER)
    switch_on(bb, client_id)
    invoice = make_invoice(bb, client_id, user=FRENCH_USER)
    _, dm = announced(bb, invoice, FRENCH_USER)
    dm_click(bb, ids.CHARGE_NOW_ACTION, invoice, dm, MEMBER)  # forged: the button is in Claire's DM
    told = bb.slack.wait_for(lambda: bb.workspace.dm(MEMBER))
    assert "Only the invoice's creator and billing admins" in (told[-1].text or "")
    assert charge_row(bb, invoice.id or 0).state == "scheduled"


# -- the scheduled charge ---------------------------------------------------------------------------------


def test_two_schedulers_racing_charge_each_invoice_once(billbot: Billbot) -> None:
    bb = billbot
    account, client_id = with_card(bb)
    switch_on(bb, client_id)
    invoices = [make_invoice(bb, client_id, amounts=(5000 + n,)) for n in range(6)]
    charge_at = planned(bb, invoices[0])
    sweeper(bb)(now=charge_at - timedelta(days=1) + timedelta(minutes=1))
    assert len(bb.slack.wait_for(lambda: dm_of(bb, MEMBER))) == 1  # one DM lists all six

    # Two schedulers, each with its own engine and Stripe client, as two processes would have.
    others = [Services.build(bb.app.settings) for _ in range(2)]
    racers = [AutopayListeners(services) for services in others]
    start = threading.Barrier(len(racers))

    def run(racer: AutopayListeners) -> None:
        start.wait()
        racer.sweep(now=charge_at + timedelta(minutes=1))

    threads = [threading.Thread(target=run, args=(racer,)) for racer in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for services in others:
        services.close()
    settle(bb)
    for invoice in invoices:
        row = charge_row(bb, invoice.id or 0)
        assert (row.state, row.attempts) == ("charged", 1)
        assert stripe_invoice(bb, account, invoice).status == "paid"
        assert len(paid_events(bb, invoice)) == 1


def test_a_claim_abandoned_after_stripe_charged_is_retaken_and_charged_once(billbot: Billbot) -> None:
    bb = billbot
    account, client_id = with_card(bb)
    switch_on(bb, client_id)
    invoice = make_invoice(bb, client_id)
    charge_at, _ = announced(bb, invoice)
    # A scheduler claimed the charge, Stripe charged the card, and the scheduler died before recording it.
    key = idempotency_key(invoice)
    bb.app.services.stripe.pay_invoice(
        account, invoice.stripe_invoice_id or "", payment_method="pm_card_visa", idempotency_key=key
    )
    charges = table_of(AutopayCharge)
    with bb.app.services.db.session() as session:
        session.execute(
            update(charges)
            .where(charges.c.invoice_id == invoice.id)
            .values(state="charging", claimed_until=charge_at - timedelta(minutes=1), attempts=1)
        )
    sweeper(bb)(now=charge_at)  # the lease has run out: taken over
    row = charge_row(bb, invoice.id or 0)
    assert (row.state, row.attempts) == ("charged", 2)
    settle(bb)
    assert len(paid_events(bb, invoice)) == 1  # Stripe answered the retake with the first charge


def test_a_claim_abandoned_before_stripe_is_charged_by_the_next_sweep(billbot: Billbot) -> None:
    bb = billbot
    account, client_id = with_card(bb)
    switch_on(bb, client_id)
    invoice = make_invoice(bb, client_id)
    charge_at, _ = announced(bb, invoice)
    charges = table_of(AutopayCharge)
    with bb.app.services.db.session() as session:
        session.execute(
            update(charges)
            .where(charges.c.invoice_id == invoice.id)
            .values(state="charging", claimed_until=charge_at + timedelta(minutes=5), attempts=1)
        )
    sweeper(bb)(now=charge_at + timedelta(minutes=1))  # its holder's lease still runs: left alone
    assert charge_row(bb, invoice.id or 0).state == "charging"
    sweeper(bb)(now=charge_at + timedelta(minutes=6))
    assert charge_row(bb, invoice.id or 0).state == "charged"
    settle(bb)
    assert stripe_invoice(bb, account, invoice).status == "paid"
    assert len(paid_events(bb, invoice)) == 1


def test_stripe_down_at_the_charge_is_retried_with_the_same_key(billbot: Billbot) -> None:
    bb = billbot
    _, client_id = with_card(bb)
    switch_on(bb, client_id)
    invoice = make_invoice(bb, client_id)
    charge_at, _ = announced(bb, invoice)
    bb.stripe.fail_next("POST", f"/v1/invoices/{invoice.stripe_invoice_id}/pay", status=500, count=3)
    sweeper(bb)(now=charge_at + timedelta(minutes=1))
    row = charge_row(bb, invoice.id or 0)
    assert row.state == "charging" and row.last_error
    sweeper(bb)(now=charge_at + timedelta(minutes=2))
    assert charge_row(bb, invoice.id or 0).state == "charged"
    settle(bb)
    assert len(paid_events(bb, invoice)) == 1


def test_a_charge_no_dm_announced_waits_a_day(billbot: Billbot) -> None:
    bb = billbot
    account, client_id = with_card(bb)
    switch_on(bb, client_id)
    invoice = make_invoice(bb, client_id)
    charge_at = planned(bb, invoice)
    sweeper(bb)(now=charge_at + timedelta(minutes=1))  # the scheduler is back only after the charge's time
    row = charge_row(bb, invoice.id or 0)
    assert row.state == "scheduled" and aware(row.charge_at) >= charge_at + timedelta(days=1)
    assert stripe_invoice(bb, account, invoice).status == "open"


# -- a declined card ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("card", ["pm_card_visa_chargeDeclined"])
def test_a_declined_card_tells_the_practitioner_and_sends_the_payment_link(billbot: Billbot, card: str) -> None:
    bb = billbot
    account, client_id = with_card(bb, card=card)
    switch_on(bb, client_id)
    invoice = make_invoice(bb, client_id)
    charge_at, _ = announced(bb, invoice)
    sweeper(bb)(now=charge_at + timedelta(minutes=1))
    row = charge_row(bb, invoice.id or 0)
    assert row.state == "declined" and row.last_error
    told = bb.slack.wait_for(lambda: [m for m in bb.workspace.dm(MEMBER) if "was declined" in (m.text or "")])
    assert len(told) == 1 and "Stripe emailed the invoice with its payment link" in (told[0].text or "")
    assert NAME not in (told[0].text or "")
    settle(bb)
    sent = [e for e in bb.stripe.events("invoice.sent") if e["data"]["object"]["id"] == invoice.stripe_invoice_id]
    assert len(sent) == 1
    assert stripe_invoice(bb, account, invoice).status == "open"
    sweeper(bb)(now=charge_at + timedelta(minutes=30))  # nothing more
    assert len([m for m in bb.workspace.dm(MEMBER) if "was declined" in (m.text or "")]) == 1


# -- the Stripe account left --------------------------------------------------------------------------------


def test_charges_on_an_account_billbot_lost_access_to_are_cancelled(billbot: Billbot) -> None:
    bb = billbot
    account, client_id = with_card(bb)
    switch_on(bb, client_id)
    invoice = make_invoice(bb, client_id)
    charge_at, _ = announced(bb, invoice)
    with bb.app.services.db.session() as session:  # as if the practice had connected it by OAuth
        session.execute(update(table_of(StripeAccount)).values(connection="oauth"))
    api = stripe.StripeClient(
        bb.stripe.api_key,
        base_addresses={"api": bb.stripe.url, "connect": bb.stripe.url},
        client_id=bb.stripe.connect_client_id,
    )
    api.oauth.deauthorize({"stripe_user_id": account})  # the practice disconnects Billbot from Stripe's side
    wait_state(bb, invoice, "cancelled")
    sweeper(bb)(now=charge_at + timedelta(minutes=1))
    assert charge_row(bb, invoice.id or 0).state == "cancelled"
