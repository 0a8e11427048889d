"""Stripe's invoice and Checkout webhooks: each moves our invoice forward once, whatever order they arrive in."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest

from bot.models import Invoice
from flows.invoices import ids as action_ids
from tests.conftest import STRIPE_WEBHOOK_SECRET, Billbot
from tests.flows.invoices.test_payments import (
    buttons,
    client_row,
    connect,
    events,
    make_client,
    make_invoice,
    message,
    replies,
    row,
    save_card,
    set_scene,
    settle,
    stripe_api,
    stripe_invoice,
    wait,
)
from tests.harness.stripe_signing import stripe_signature


@pytest.fixture
def scene(billbot: Billbot) -> tuple[Billbot, str, int, Invoice]:
    return set_scene(billbot)


def deliver(bb: Billbot, event: dict[str, Any], *, event_id: str | None = None) -> httpx.Response:
    """Stripe delivering ``event`` (under a new id when given: another event with the same news)."""
    sent = copy.deepcopy(event)
    if event_id is not None:
        sent["id"] = event_id
    payload = json.dumps(sent).encode()
    headers = {"Content-Type": "application/json", "Stripe-Signature": stripe_signature(payload, STRIPE_WEBHOOK_SECRET)}
    response = httpx.post(f"{bb.app.url}/stripe/webhook", content=payload, headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return response


def pay_on_hosted_page(bb: Billbot, invoice: Invoice, card: str = "4242424242424242") -> httpx.Response:
    return httpx.post(invoice.hosted_invoice_url or "", data={"card_number": card}, timeout=10)


def test_client_pays_on_the_hosted_page(scene: tuple[Billbot, str, int, Invoice]) -> None:
    bb, _, _, invoice = scene
    assert pay_on_hosted_page(bb, invoice).status_code == 200
    wait(bb, lambda: row(bb, invoice.id).status == "paid")  # type: ignore[arg-type]
    paid = row(bb, invoice.id)  # type: ignore[arg-type]
    assert (paid.amount_paid, paid.amount_remaining) == (12000, 0) and paid.paid_at is not None
    paid_buttons = {action_ids.DOWNLOAD_PDF, "invoice_refund"}  # Refund: flows.invoices.refunds
    updated = wait(bb, lambda: set(buttons(message(bb, invoice))) == paid_buttons and message(bb, invoice))
    assert updated.edited and "Paid" in json.dumps(updated.blocks)
    settle(bb)
    assert replies(bb, invoice) == [f"Invoice {invoice.number} is paid: €120.00 received."]


def test_a_replayed_or_repeated_event_changes_nothing(scene: tuple[Billbot, str, int, Invoice]) -> None:
    bb, _, _, invoice = scene
    pay_on_hosted_page(bb, invoice)
    wait(bb, lambda: replies(bb, invoice))
    settle(bb)
    paid_event = events(bb, "invoice.paid", invoice)[0]
    edits = len(message(bb, invoice).edits)
    assert deliver(bb, paid_event).json()["duplicate"] is True  # the same event again
    deliver(bb, paid_event, event_id="evt_same_news_again")  # another event saying the same
    settle(bb)
    assert replies(bb, invoice) == [f"Invoice {invoice.number} is paid: €120.00 received."]
    assert len(message(bb, invoice).edits) == edits


def test_events_apply_in_the_order_of_the_invoices_state_not_of_arrival(
    scene: tuple[Billbot, str, int, Invoice],
) -> None:
    bb, _, _, invoice = scene
    # A failed attempt first (on the hosted page), then a payment.
    assert pay_on_hosted_page(bb, invoice, "4000000000000341").status_code == 402
    assert pay_on_hosted_page(bb, invoice).status_code == 200
    wait(bb, lambda: row(bb, invoice.id).status == "paid")  # type: ignore[arg-type]
    settle(bb)
    failed = events(bb, "invoice.payment_failed", invoice)[0]
    paid = events(bb, "invoice.paid", invoice)[0]
    before = replies(bb, invoice)
    # Late news: the failure delivered again after the payment, a void and an uncollectible that lost the race.
    deliver(bb, failed, event_id="evt_late_failure")
    failed_later = copy.deepcopy(failed)
    failed_later["data"]["object"]["attempt_count"] = 5
    deliver(bb, failed_later, event_id="evt_late_failure_2")
    for status, event_type in (
        ("void", "invoice.voided"),
        ("uncollectible", "invoice.marked_uncollectible"),
        ("open", "invoice.paid"),
    ):
        stale = copy.deepcopy(paid)
        stale["type"] = event_type
        stale["data"]["object"]["status"] = status
        deliver(bb, stale, event_id=f"evt_stale_{status}")
    settle(bb)
    assert row(bb, invoice.id).status == "paid"  # type: ignore[arg-type]
    assert replies(bb, invoice) == before
    assert [r for r in before if "failed" in r] == [
        f"A payment for invoice {invoice.number} failed. The invoice is still open."
    ]


def test_uncollectible_can_still_be_paid(scene: tuple[Billbot, str, int, Invoice]) -> None:
    bb, account, _, invoice = scene
    stripe_api(bb).v1.invoices.mark_uncollectible(invoice.stripe_invoice_id or "", None, {"stripe_account": account})  # type: ignore[arg-type]
    wait(bb, lambda: row(bb, invoice.id).status == "uncollectible")  # type: ignore[arg-type]
    wait(bb, lambda: replies(bb, invoice))
    assert action_ids.MARK_PAID in buttons(message(bb, invoice))
    pay_on_hosted_page(bb, invoice)
    wait(bb, lambda: row(bb, invoice.id).status == "paid")  # type: ignore[arg-type]
    settle(bb)
    assert replies(bb, invoice) == [
        f"Invoice {invoice.number} was marked as uncollectible. It can still be paid.",
        f"Invoice {invoice.number} is paid: €120.00 received.",
    ]


def test_events_for_invoices_we_do_not_know_are_ignored(scene: tuple[Billbot, str, int, Invoice]) -> None:
    bb, _, _, invoice = scene
    pay_on_hosted_page(bb, invoice)
    wait(bb, lambda: replies(bb, invoice))
    settle(bb)
    paid = events(bb, "invoice.paid", invoice)[0]
    stranger = copy.deepcopy(paid)
    stranger["data"]["object"]["id"] = "in_not_ours"
    deliver(bb, stranger, event_id="evt_stranger")
    elsewhere = copy.deepcopy(paid)
    elsewhere["account"] = "acct_someone_else"
    deliver(bb, elsewhere, event_id="evt_elsewhere")
    settle(bb)
    assert len(replies(bb, invoice)) == 1


def test_an_invoice_voided_in_stripes_dashboard_is_recorded(scene: tuple[Billbot, str, int, Invoice]) -> None:
    bb, account, _, invoice = scene
    stripe_api(bb).v1.invoices.void_invoice(invoice.stripe_invoice_id or "", None, {"stripe_account": account})  # type: ignore[arg-type]
    wait(bb, lambda: row(bb, invoice.id).status == "void")  # type: ignore[arg-type]
    wait(bb, lambda: set(buttons(message(bb, invoice))) == {action_ids.DOWNLOAD_PDF})
    assert wait(bb, lambda: replies(bb, invoice)) == [
        f"Invoice {invoice.number} was voided. Its sessions can be invoiced again."
    ]


def test_a_saved_card_shows_on_every_open_invoice_of_the_client_once(billbot: Billbot) -> None:
    bb = billbot
    connect(bb)
    client_id = make_client(bb)
    first = make_invoice(bb, client_id)
    second = make_invoice(bb, client_id, locale="fr")
    save_card(bb, first)
    wait(bb, lambda: client_row(bb, client_id).default_payment_method)
    for invoice in (first, second):
        wait(bb, lambda inv=invoice: action_ids.CHARGE_CARD in buttons(message(bb, inv)))  # type: ignore[misc]
    settle(bb)
    completed = bb.stripe.events("checkout.session.completed")[0]
    deliver(bb, completed, event_id="evt_completed_again")
    settle(bb)
    assert replies(bb, first) == ["É. M. saved a card: Charge card on file is now available."]  # initials in a channel
    assert replies(bb, second) == []
    assert stripe_invoice(bb, first.stripe_account_id or "", first).status == "open"


def test_a_checkout_session_that_is_not_ours_is_ignored(scene: tuple[Billbot, str, int, Invoice]) -> None:
    bb, _, client_id, invoice = scene
    save_card(bb, invoice)
    wait(bb, lambda: client_row(bb, client_id).default_payment_method)
    settle(bb)
    completed = copy.deepcopy(bb.stripe.events("checkout.session.completed")[0])
    completed["data"]["object"]["customer"] = "cus_someone_else"
    completed["data"]["object"]["id"] = "cs_other"
    deliver(bb, completed, event_id="evt_not_ours")
    settle(bb)
    assert len(replies(bb, invoice)) == 1
