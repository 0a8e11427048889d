"""The session-end prompt's buttons through the harness: each does its work once (a second press, a double
click and Slack's retry do nothing more), the DM is updated to its outcome, and the session is invoiced."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from bot.models import CalendarEvent, Client, table_of, utcnow
from bot.sandbox.slack import check_message
from bot.sandbox.slack.records import Message
from flows.calendar.prompt import ids
from tests.conftest import FRENCH_USER, MEMBER, Billbot
from tests.flows.calendar.prompt.scene import (
    EMAIL,
    ENDS,
    Practice,
    appointment_of,
    buttons,
    event_row,
    invoices,
    outcome,
    payments,
    practice,
    press,
    send_again,
    session_at,
    shown,
    stripe_invoices,
    sweeper,
    the_prompt,
)
from tests.flows.invoices.test_payments import events, make_invoice, settle


def prompted(bb: Billbot, scene: Practice, user: str = MEMBER) -> tuple[int, Message]:
    event_id = session_at(scene)
    sweeper(bb)(now=ENDS + timedelta(minutes=6))
    return event_id, the_prompt(bb, user)


def test_send_invoice_makes_one_invoice_under_double_clicks_and_slacks_retry(billbot: Billbot) -> None:
    bb = billbot
    scene = practice(bb)
    event_id, dm = prompted(bb, scene)
    first = press(bb, dm, ids.SEND_ACTION)
    press(bb, dm, ids.SEND_ACTION)  # a double click
    send_again(bb, first, retry_num=1)  # Slack re-sends the first click
    done = outcome(bb, dm, "sent to")
    assert check_message(done.text, done.blocks) == []
    settle(bb)
    made = invoices(scene)
    assert len(made) == 1 and len(stripe_invoices(scene)) == 1
    invoice = made[0]
    assert (invoice.status, invoice.total, invoice.request_key) == ("open", 8000, f"calendar-prompt:{event_id}")
    text = shown(bb.workspace.message(dm.channel, dm.ts))
    assert f"Invoice {invoice.number} (€80.00) sent to {EMAIL}, with its payment link." in text
    assert buttons(bb.workspace.message(dm.channel, dm.ts)) == {}  # nothing left to press twice
    assert len(events(bb, "invoice.sent", invoice)) == 1  # Stripe emailed it once
    assert appointment_of(scene, event_id).invoice_id == invoice.id  # the Home and the record show it invoiced
    row = event_row(scene, event_id)
    assert (row.prompt_state, row.prompt_action, row.prompt_claimed_until) == ("done", "send", None)
    # The invoice's own message, with its buttons, is in the practitioner's DM, as the modal's default.
    assert any(invoice.number in (m.text or "") for m in bb.workspace.dm(MEMBER) if m.ts != dm.ts)

    press(bb, dm, ids.SKIP_ACTION)  # Skip on an old copy of the DM, pressed later: nothing
    settle(bb)
    assert len(invoices(scene)) == 1
    assert f"Invoice {invoice.number}" in shown(bb.workspace.message(dm.channel, dm.ts))


def test_charge_card_on_file_charges_once_with_the_clients_card(billbot: Billbot) -> None:
    bb = billbot
    scene = practice(bb, card="pm_card_visa")
    event_id, dm = prompted(bb, scene)
    first = press(bb, dm, ids.CHARGE_ACTION)
    press(bb, dm, ids.CHARGE_ACTION)
    send_again(bb, first, retry_num=1)
    outcome(bb, dm, "Charged €80.00")
    settle(bb)
    made = invoices(scene)
    assert len(made) == 1 and len(stripe_invoices(scene)) == 1
    invoice = made[0]
    assert invoice.status == "paid" and invoice.amount_paid == 8000
    assert len(events(bb, "invoice.paid", invoice)) == 1
    assert events(bb, "invoice.sent", invoice) == []  # charged, not emailed
    assert [(p.source, p.method, p.amount) for p in payments(scene)] == [("stripe", "card", 8000)]
    assert f"invoice {invoice.number} is paid" in shown(bb.workspace.message(dm.channel, dm.ts))
    assert appointment_of(scene, event_id).invoice_id == invoice.id


def test_a_declined_card_says_so_and_leaves_the_invoice_open(billbot: Billbot) -> None:
    bb = billbot
    scene = practice(bb, card="pm_card_visa_chargeDeclined")
    event_id, dm = prompted(bb, scene)
    press(bb, dm, ids.CHARGE_ACTION)
    done = outcome(bb, dm, "declined")
    settle(bb)
    invoice = invoices(scene)[0]
    assert invoice.status == "open" and payments(scene) == []
    assert f"Invoice {invoice.number} stays open" in shown(done)
    press(bb, dm, ids.CHARGE_ACTION)  # pressed again: nothing more is charged
    settle(bb)
    assert len(invoices(scene)) == 1 and len(stripe_invoices(scene)) == 1
    assert event_row(scene, event_id).prompt_action == "charge"


def test_no_show_fee_invoices_the_no_show_service_instead_of_the_sessions(billbot: Billbot) -> None:
    bb = billbot
    scene = practice(bb, no_show=True)
    event_id, dm = prompted(bb, scene)
    press(bb, dm, ids.NO_SHOW_ACTION)
    press(bb, dm, ids.NO_SHOW_ACTION)
    outcome(bb, dm, "No-show fee invoiced")
    settle(bb)
    made = invoices(scene)
    assert len(made) == 1 and len(stripe_invoices(scene)) == 1
    assert made[0].total == 4000
    with scene.db.session() as session:
        from sqlmodel import select

        from bot.models import InvoiceLine

        lines = list(session.exec(select(InvoiceLine)))
    assert [(line.description, line.service_id, line.unit_amount) for line in lines] == [
        ("No-show fee", scene.no_show_id, 4000)
    ]
    assert appointment_of(scene, event_id).invoice_id == made[0].id
    assert "€40.00" in shown(bb.workspace.message(dm.channel, dm.ts))


def test_skip_makes_nothing(billbot: Billbot) -> None:
    bb = billbot
    scene = practice(bb)
    event_id, dm = prompted(bb, scene)
    press(bb, dm, ids.SKIP_ACTION)
    outcome(bb, dm, "Skipped")
    press(bb, dm, ids.SEND_ACTION)  # an old copy's button, pressed after: nothing
    settle(bb)
    assert invoices(scene) == [] and stripe_invoices(scene) == []
    assert appointment_of(scene, event_id).invoice_id is None
    assert (event_row(scene, event_id).prompt_state, event_row(scene, event_id).prompt_action) == ("done", "skip")
    assert "Skipped" in shown(bb.workspace.message(dm.channel, dm.ts))


def test_a_session_invoiced_another_way_before_the_click_is_left_alone(billbot: Billbot) -> None:
    bb = billbot
    scene = practice(bb)
    event_id, dm = prompted(bb, scene)
    other = make_invoice(bb, scene.client_id, appointment_ids=(appointment_of(scene, event_id).id or 0,))
    press(bb, dm, ids.SEND_ACTION)
    done = outcome(bb, dm, "already on invoice")
    assert other.number in shown(done) and buttons(done) == {}
    settle(bb)
    assert [i.id for i in invoices(scene)] == [other.id] and len(stripe_invoices(scene)) == 1
    assert event_row(scene, event_id).prompt_state == "skipped"


def test_a_client_without_an_email_keeps_the_buttons_with_the_reason(billbot: Billbot) -> None:
    bb = billbot
    scene = practice(bb)
    with scene.db.session() as session:
        client = session.get(Client, scene.client_id)
        assert client is not None
        client.email = None
        session.add(client)
    event_id, dm = prompted(bb, scene)
    press(bb, dm, ids.SEND_ACTION)
    told = outcome(bb, dm, "email")
    assert ids.SEND_ACTION in buttons(told)  # fixed, it can be pressed again
    assert event_row(scene, event_id).prompt_state == "sent" and invoices(scene) == []


def test_only_the_practitioner_can_answer(billbot: Billbot) -> None:
    bb = billbot
    scene = practice(bb)
    event_id, dm = prompted(bb, scene)
    press(bb, dm, ids.SEND_ACTION, user=FRENCH_USER)  # a forged click on someone else's DM
    bb.slack.wait_for(lambda: bb.slack.calls("chat.postEphemeral") or bb.workspace.dm(FRENCH_USER))
    settle(bb)
    assert event_row(scene, event_id).prompt_state == "sent" and invoices(scene) == []


def test_stripe_failing_midway_shows_retry_which_finishes_the_same_invoice(billbot: Billbot) -> None:
    bb = billbot
    scene = practice(bb)
    _, dm = prompted(bb, scene)
    bb.stripe.fail_next("POST", "/v1/invoices", status=500, count=3)  # three: the client retries a 500 twice
    press(bb, dm, ids.SEND_ACTION)
    done = outcome(bb, dm, "Retry")  # kept as a draft, with Retry
    assert ids.RETRY_ACTION in buttons(done) and invoices(scene)[0].status == "draft"
    press(bb, done, ids.RETRY_ACTION)
    outcome(bb, dm, "sent to")
    settle(bb)
    assert len(invoices(scene)) == 1 and len(stripe_invoices(scene)) == 1
    assert invoices(scene)[0].status == "open"


def test_a_press_whose_work_raised_is_run_again_by_the_work_queue_and_finishes_once(billbot: Billbot) -> None:
    bb = billbot
    scene = practice(bb)
    _, dm = prompted(bb, scene)
    bb.slack.fail("chat.postMessage", "internal_error")  # the invoice's own message cannot be posted, once
    press(bb, dm, ids.SEND_ACTION)
    outcome(bb, dm, "sent to", timeout=40)  # the queue's retry resumed the same invoice
    settle(bb)
    made = invoices(scene)
    assert len(made) == 1 and len(stripe_invoices(scene)) == 1 and made[0].message_ts
    assert len(events(bb, "invoice.sent", made[0])) == 1


def test_a_press_whose_worker_died_is_resumed_by_its_replay(billbot: Billbot) -> None:
    """The worker claimed the press and died: the queue replays the same request after the lease, which resumes."""
    bb = billbot
    scene = practice(bb)
    event_id, dm = prompted(bb, scene)
    payload = press(bb, dm, ids.SKIP_ACTION, user=FRENCH_USER)  # refused (not theirs): only to get a payload
    payload["user"]["id"] = MEMBER
    payload["actions"][0]["action_id"] = ids.SEND_ACTION
    events_ = table_of(CalendarEvent)
    with scene.db.session() as session:  # claimed by a run that died before doing anything
        lapsed = utcnow() - timedelta(seconds=1)
        session.execute(update(events_).where(events_.c.id == event_id).values(
            prompt_state="done", prompt_action="send", prompt_claimed_until=lapsed))  # fmt: skip
    send_again(bb, payload)
    outcome(bb, dm, "sent to")
    settle(bb)
    assert len(invoices(scene)) == 1 and event_row(scene, event_id).prompt_claimed_until is None


def test_french_outcome_in_french_money(billbot: Billbot) -> None:
    bb = billbot
    scene = practice(bb, user=FRENCH_USER, locale="fr", card="pm_card_visa")
    _, dm = prompted(bb, scene, FRENCH_USER)
    press(bb, dm, ids.CHARGE_ACTION, user=FRENCH_USER)
    done = outcome(bb, dm, "débités")
    invoice = invoices(scene)[0]
    assert f"80,00\xa0€ débités sur la carte enregistrée : la facture {invoice.number} est payée." in shown(done)
    assert invoice.locale == "fr"


def test_a_no_show_service_archived_since_the_dm_keeps_the_buttons_with_the_reason(billbot: Billbot) -> None:
    bb = billbot
    scene = practice(bb, no_show=True)
    event_id, dm = prompted(bb, scene)
    with scene.db.session() as session:
        from bot.models import Service

        fee = session.get(Service, scene.no_show_id)
        assert fee is not None
        fee.active = False
        session.add(fee)
    press(bb, dm, ids.NO_SHOW_ACTION)
    told = outcome(bb, dm, "no longer in your catalogue")
    assert ids.SEND_ACTION in buttons(told) and invoices(scene) == []
    assert event_row(scene, event_id).prompt_state == "sent"
    press(bb, told, ids.SEND_ACTION)  # the session itself can still be invoiced
    outcome(bb, dm, "sent to")
    settle(bb)
    assert [i.total for i in invoices(scene)] == [8000]


def test_a_press_the_work_queue_gave_up_on_is_offered_again_with_retry(billbot: Billbot) -> None:
    bb = billbot
    scene = practice(bb)
    event_id, dm = prompted(bb, scene)
    events_ = table_of(CalendarEvent)
    with scene.db.session() as session:  # pressed, then every attempt of its work died, long ago
        lapsed = utcnow() - timedelta(minutes=20)
        session.execute(update(events_).where(events_.c.id == event_id).values(
            prompt_state="done", prompt_action="send", prompt_claimed_until=lapsed))  # fmt: skip
    sweeper(bb)(now=utcnow())
    sweeper(bb)(now=utcnow())  # once is enough
    offered = outcome(bb, dm, "This did not finish")
    assert buttons(offered) == {ids.RETRY_ACTION: "Retry"}
    press(bb, offered, ids.RETRY_ACTION)
    outcome(bb, dm, "sent to")
    settle(bb)
    assert len(invoices(scene)) == 1 and len(stripe_invoices(scene)) == 1
