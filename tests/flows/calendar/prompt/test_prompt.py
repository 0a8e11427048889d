"""The session-end prompt through the harness: the sweep's DM (once, after the end and the feed's delay, only for
what is due), racing and crashed schedulers, and each button (signed clicks to the app, the Slack stand-in's DM
updated in place, the Stripe emulator invoicing and charging for real)."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import update

from bot.models import CalendarEvent, table_of
from bot.sandbox.slack import check_message
from bot.services import Services
from flows.calendar.prompt import ids
from flows.calendar.prompt.logic import Prompts
from tests.conftest import FRENCH_USER, MEMBER, Billbot
from tests.flows.calendar.prompt.scene import (
    ENDS,
    NAME,
    TITLE,
    buttons,
    event_row,
    practice,
    prompts,
    session_at,
    shown,
    sweeper,
    the_prompt,
)

# -- when the DM comes ---------------------------------------------------------------------------------------


def test_the_prompt_comes_once_after_the_end_and_the_feeds_delay(billbot: Billbot) -> None:
    bb = billbot
    scene = practice(bb, delay=5)
    event_id = session_at(scene)
    sweeper(bb)(now=ENDS - timedelta(minutes=10))  # the session is still on
    sweeper(bb)(now=ENDS + timedelta(minutes=4))  # over, but within the delay
    assert prompts(bb) == [] and event_row(scene, event_id).prompt_state == "none"

    sweeper(bb)(now=ENDS + timedelta(minutes=5, seconds=1))
    dm = the_prompt(bb)
    assert check_message(dm.text, dm.blocks) == []
    text = shown(dm)
    assert f"Session with *{NAME}* ended at 10:50\u202fAM." in text  # the feed's zone (Paris), the practitioner's words
    assert "Dec 3, 2026" in text and "Consultation" in text and "€80.00" in text
    assert TITLE not in text and "anxiété" not in text  # the event's title may hold health details
    assert set(buttons(dm)) == {ids.SEND_ACTION, ids.SKIP_ACTION}  # no card on file, no no-show service
    row = event_row(scene, event_id)
    assert (row.prompt_state, row.prompt_channel, row.prompt_ts) == ("sent", dm.channel, dm.ts)

    for minutes in (6, 30, 120):
        sweeper(bb)(now=ENDS + timedelta(minutes=minutes))
    assert len(prompts(bb)) == 1


def test_the_buttons_offer_the_card_and_the_no_show_fee_only_where_they_apply(billbot: Billbot) -> None:
    bb = billbot
    scene = practice(bb, card="pm_card_visa", no_show=True)
    session_at(scene)
    sweeper(bb)(now=ENDS + timedelta(minutes=6))
    labels = buttons(the_prompt(bb))
    assert labels == {
        ids.CHARGE_ACTION: "Charge card on file",
        ids.SEND_ACTION: "Send invoice",
        ids.NO_SHOW_ACTION: "No-show fee",
        ids.SKIP_ACTION: "Skip",
    }


def test_no_prompt_when_off_unmatched_cancelled_or_already_invoiced(billbot: Billbot) -> None:
    bb = billbot
    scene = practice(bb, prompt_on=False)
    off = session_at(scene)
    sweeper(bb)(now=ENDS + timedelta(minutes=6))
    assert prompts(bb) == [] and event_row(scene, off).prompt_state == "skipped"

    with scene.db.session() as session:
        session.execute(update(table_of(CalendarEvent)).values(prompt_state="none"))
        from bot.models import CalendarFeed

        feed = session.get(CalendarFeed, scene.feed_id)
        assert feed is not None
        feed.prompt_on_end = True
        session.add(feed)
    session_at(scene, ENDS + timedelta(minutes=1), matched=False)  # waits in the "to sort" list
    session_at(scene, ENDS + timedelta(minutes=2), status="cancelled")
    from tests.flows.invoices.test_payments import make_invoice

    invoiced = session_at(scene, ENDS + timedelta(minutes=3))
    appointment = event_row(scene, invoiced).appointment_id
    assert appointment is not None
    make_invoice(bb, scene.client_id, appointment_ids=(appointment,))  # invoiced from the client's record
    with scene.db.session() as session:  # the first one's practitioner is now asked: it is the one prompt
        session.execute(update(table_of(CalendarEvent)).where(table_of(CalendarEvent).c.id == off).values(
            prompt_state="skipped"))  # fmt: skip
    sweeper(bb)(now=ENDS + timedelta(minutes=10))
    assert prompts(bb) == []
    with scene.db.session() as session:
        from sqlmodel import select

        states = {row.prompt_state for row in session.exec(select(CalendarEvent))}
    assert states == {"skipped"}


def test_sessions_that_ended_over_a_day_ago_are_skipped_not_prompted(billbot: Billbot) -> None:
    """Connecting last year's calendar must not DM a prompt per session."""
    bb = billbot
    scene = practice(bb)
    old = [session_at(scene, ENDS - timedelta(days=days)) for days in (2, 30, 300)]
    recent = session_at(scene, ENDS - timedelta(hours=20))
    sweeper(bb)(now=ENDS + timedelta(minutes=6))
    assert {event_row(scene, e).prompt_state for e in old} == {"skipped"}
    assert event_row(scene, recent).prompt_state == "sent"
    assert len(prompts(bb)) == 1


# -- several schedulers, and one that died -------------------------------------------------------------------


def test_two_schedulers_at_once_send_one_dm(billbot: Billbot) -> None:
    bb = billbot
    scene = practice(bb)
    events = [session_at(scene, ENDS - timedelta(minutes=n)) for n in range(4)]
    # Two schedulers, each with its own engine, as two processes would have.
    others = [Services.build(bb.app.settings) for _ in range(2)]
    racers = [Prompts(services) for services in others]
    start = threading.Barrier(len(racers))

    def run(racer: Prompts) -> None:
        start.wait()
        racer.sweep(now=ENDS + timedelta(minutes=6))

    threads = [threading.Thread(target=run, args=(racer,)) for racer in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for services in others:
        services.close()
    assert len(prompts(bb)) == len(events)  # one DM per session, not two
    assert len(bb.slack.calls("chat.postMessage")) == len(events)
    assert {event_row(scene, e).prompt_state for e in events} == {"sent"}


def test_a_claim_whose_sender_died_after_posting_is_retaken_and_not_posted_again(billbot: Billbot) -> None:
    bb = billbot
    scene = practice(bb)
    event_id = session_at(scene)
    moment = ENDS + timedelta(minutes=6)
    sweeper(bb)(now=moment)
    dm = the_prompt(bb)
    events = table_of(CalendarEvent)
    with scene.db.session() as session:  # the sender died between Slack's answer and recording it
        session.execute(update(events).where(events.c.id == event_id).values(
            prompt_state="claimed", prompt_channel=None, prompt_ts=None,
            prompt_claimed_until=moment + timedelta(minutes=5)))  # fmt: skip
    sweeper(bb)(now=moment + timedelta(minutes=2))  # its lease still runs: left alone
    assert event_row(scene, event_id).prompt_state == "claimed"
    sweeper(bb)(now=moment + timedelta(minutes=6))  # the lease ran out: retaken, the DM found by its metadata
    row = event_row(scene, event_id)
    assert (row.prompt_state, row.prompt_ts) == ("sent", dm.ts)
    assert len(prompts(bb)) == 1
    assert bb.slack.calls("conversations.history")


def test_a_claim_whose_sender_died_before_posting_is_posted_by_the_next_sweep(billbot: Billbot) -> None:
    bb = billbot
    scene = practice(bb)
    event_id = session_at(scene)
    moment = ENDS + timedelta(minutes=6)
    events = table_of(CalendarEvent)
    with scene.db.session() as session:
        session.execute(update(events).where(events.c.id == event_id).values(
            prompt_state="claimed", prompt_claimed_until=moment))  # fmt: skip
    sweeper(bb)(now=moment + timedelta(seconds=1))
    assert event_row(scene, event_id).prompt_state == "sent"
    assert len(prompts(bb)) == 1


def test_slack_failing_after_posting_is_retaken_next_sweep_without_a_second_dm(billbot: Billbot) -> None:
    bb = billbot
    scene = practice(bb)
    event_id = session_at(scene)
    bb.slack.fail_after_doing("chat.postMessage")  # posted, then Slack's 500 fatal_error
    sweeper(bb)(now=ENDS + timedelta(minutes=6))
    assert event_row(scene, event_id).prompt_state == "claimed"
    sweeper(bb)(now=ENDS + timedelta(minutes=7))
    assert event_row(scene, event_id).prompt_state == "sent"
    assert len(prompts(bb)) == 1


def test_slack_refusing_the_post_is_posted_by_the_next_sweep(billbot: Billbot) -> None:
    bb = billbot
    scene = practice(bb)
    event_id = session_at(scene)
    bb.slack.fail("chat.postMessage", "internal_error")
    sweeper(bb)(now=ENDS + timedelta(minutes=6))
    assert prompts(bb) == [] and event_row(scene, event_id).prompt_state == "claimed"
    sweeper(bb)(now=ENDS + timedelta(minutes=7))
    assert event_row(scene, event_id).prompt_state == "sent"
    assert len(prompts(bb)) == 1


# -- French ------------------------------------------------------------------------------------------------


def test_a_french_practitioner_gets_the_prompt_in_french(billbot: Billbot) -> None:
    bb = billbot
    scene = practice(bb, user=FRENCH_USER, locale="fr", card="pm_card_visa", no_show=True)
    session_at(scene)
    sweeper(bb)(now=ENDS + timedelta(minutes=6))
    dm = the_prompt(bb, FRENCH_USER)
    text = shown(dm)
    assert f"Séance avec *{NAME}* terminée à 10:50." in text
    assert "3 déc. 2026" in text and "80,00\xa0€" in text  # French money: comma, no-break space, € after
    assert set(buttons(dm).values()) == {"Débiter la carte enregistrée", "Envoyer la facture", "Frais d'absence",
                                         "Ignorer"}  # fmt: skip
    assert MEMBER not in {m.channel for m in prompts(bb, FRENCH_USER)}
