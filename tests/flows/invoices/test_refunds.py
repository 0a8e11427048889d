"""Refunds on a paid invoice, through the harness: the Refund button's modal, the credit note on the Stripe
emulator, the message, thread, PDF and `/invoice INV-n` figures, and the refund webhooks (on SQLite and PostgreSQL)."""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from bot.documents.present import present
from bot.documents.source import document_for_invoice
from bot.i18n import format_money
from bot.models import Invoice, InvoiceRefund
from bot.slack_users import set_workspace_locale
from flows.invoices.creation.logic import create_invoice
from flows.invoices.forms import InvoiceForm, LineForm
from flows.invoices.refunds import ids
from tests.conftest import ADMIN, MEMBER, TEAM_ID, Billbot
from tests.flows.invoices.test_payments import (
    CHANNEL,
    CREATOR,
    buttons,
    click,
    connect,
    make_client,
    message,
    replies,
    row,
    settle,
    stripe_api,
    wait,
    web,
)
from tests.flows.invoices.test_webhooks import deliver
from tests.harness.views import filled_view

FRENCH_ADMIN = "U0FRADMIN"
REFUND_FAILS = "4000000000005126"  # Stripe's pm_card_refundFail: the refund succeeds, then fails
_keys = iter(range(1, 1_000_000))


# -- the scene: a paid invoice posted in CHANNEL -------------------------------------------------------------


def paid_invoice(
    bb: Billbot,
    *,
    currency: str = "eur",
    amounts: tuple[int, ...] = (12000,),
    card: str | None = "4242424242424242",
    locale: str = "en",
) -> Invoice:
    """A connected practice's invoice, created by the real flow and paid on Stripe's hosted page with ``card``
    (None: left open)."""
    connect(bb)
    bb.workspace.add_channel(CHANNEL, "payments", members=[ADMIN, MEMBER, FRENCH_ADMIN, "U0BOT"])
    client_id = make_client(bb)
    lines = tuple(
        LineForm(service_date=date(2026, 11, 2), description="Consultation", quantity=1, unit_amount=amount)
        for amount in amounts
    )
    form = InvoiceForm(client_id=client_id, currency=currency, due_date=date.today() + timedelta(days=14), lines=lines)
    outcome = create_invoice(
        bb.app.services, web(bb), team_id=TEAM_ID, user_id=CREATOR, locale=locale, form=form,
        request_key=f"refund-test-{next(_keys)}", channel_id=CHANNEL,
    )  # fmt: skip
    assert outcome.error is None, outcome.error
    invoice = row(bb, outcome.invoice.id or 0)
    if card is not None:
        paid = httpx.post(invoice.hosted_invoice_url or "", data={"card_number": card}, timeout=10)
        assert paid.status_code == 200, paid.text
        wait(bb, lambda: row(bb, invoice.id or 0).status == "paid")
        settle(bb)
    return row(bb, invoice.id or 0)


def values(amount: str, reason: str = "order_change", note: str = "") -> dict[str, Any]:
    return {
        ids.AMOUNT_BLOCK: {ids.AMOUNT_ACTION: {"type": "plain_text_input", "value": amount}},
        ids.REASON_BLOCK: {
            ids.REASON_ACTION: {"type": "static_select", "selected_option": {"value": reason} if reason else None}
        },
        ids.NOTE_BLOCK: {ids.NOTE_ACTION: {"type": "plain_text_input", "value": note or None}},
    }


def open_refund(bb: Billbot, invoice: Invoice, user: str = ADMIN, callback_id: str = ids.CALLBACK) -> dict[str, Any]:
    bb.workspace.set_stack(user, [])
    click(bb, ids.REFUND, invoice, user)
    return filled_view(bb.slack, bb.workspace, user, callback_id=callback_id)


def submit(bb: Billbot, view: dict[str, Any], form: dict[str, Any], user: str = ADMIN) -> dict[str, Any]:
    response = bb.requests.submit(view, form, user=user)
    assert response.status_code == 200, response.text
    return dict(response.json()) if response.content else {}


def refund(bb: Billbot, invoice: Invoice, amount: str | None = None, user: str = ADMIN, **form: str) -> InvoiceRefund:
    """Press Refund, submit the modal (its default amount unless given), wait for Stripe's word; the new row."""
    before = {r.id for r in refunds(bb, invoice)}
    view = open_refund(bb, invoice, user)
    answer = submit(bb, view, values(amount if amount is not None else default_amount(view), **form), user)
    assert answer["response_action"] == "update", answer
    new = wait(bb, lambda: [r for r in refunds(bb, invoice) if r.id not in before and r.stripe_credit_note_id])
    settle(bb)
    return next(r for r in refunds(bb, invoice) if r.id == new[0].id)


def default_amount(view: dict[str, Any]) -> str:
    block = next(b for b in view["blocks"] if b.get("block_id") == ids.AMOUNT_BLOCK)
    return str(block["element"].get("initial_value") or "")


def refunds(bb: Billbot, invoice: Invoice) -> list[InvoiceRefund]:
    with bb.app.services.db.session() as session:
        from sqlmodel import col, select

        query = select(InvoiceRefund).where(InvoiceRefund.invoice_id == invoice.id).order_by(col(InvoiceRefund.id))
        return list(session.exec(query).all())


def credit_notes(bb: Billbot, invoice: Invoice) -> list[Any]:
    options = {"stripe_account": invoice.stripe_account_id}
    return list(stripe_api(bb).v1.credit_notes.list({"invoice": invoice.stripe_invoice_id or ""}, options).data)  # type: ignore[arg-type]


def stripe_refunds(bb: Billbot, invoice: Invoice) -> list[Any]:
    options = {"stripe_account": invoice.stripe_account_id}
    found = []
    for note in credit_notes(bb, invoice):
        for link in note.refunds:
            refund_id = link.refund if isinstance(link.refund, str) else link.refund.id
            found.append(stripe_api(bb).v1.refunds.retrieve(refund_id, None, options))  # type: ignore[arg-type]
    return found


def refunded_on_stripe(bb: Billbot, invoice: Invoice) -> int:
    """What Stripe holds as given back: succeeded refunds plus out-of-band credit."""
    refunded = sum(r.amount for r in stripe_refunds(bb, invoice) if r.status == "succeeded")
    return refunded + sum(note.out_of_band_amount or 0 for note in credit_notes(bb, invoice))


def shown(bb: Billbot, invoice: Invoice) -> str:
    return json.dumps(message(bb, invoice).blocks, ensure_ascii=False)


def listing(bb: Billbot, invoice: Invoice, user: str = ADMIN) -> str:
    ws = bb.workspace
    before = len(ws.ephemeral("C_GENERAL", user))
    bb.requests.command("/invoice", invoice.number, user=user)
    answers = wait(bb, lambda: len(ws.ephemeral("C_GENERAL", user)) > before and ws.ephemeral("C_GENERAL", user))
    return json.dumps(answers[-1].blocks, ensure_ascii=False)


def pdf_totals(bb: Billbot, invoice: Invoice, locale: str = "en") -> dict[str, str]:
    presented = present(document_for_invoice(TEAM_ID, invoice.id or 0, db=bb.app.services.db), locale)
    return {total.label: total.amount for total in presented.totals}


# -- the happy paths -----------------------------------------------------------------------------------------


def test_a_full_refund_is_a_credit_note_with_its_refund(billbot: Billbot) -> None:
    bb = billbot
    invoice = paid_invoice(bb)
    assert ids.REFUND in buttons(message(bb, invoice))
    view = open_refund(bb, invoice)
    assert default_amount(view) == "120.00"  # what is left to refund
    assert "€120.00 paid, €0.00 refunded, €120.00 left to refund" in json.dumps(view, ensure_ascii=False)
    made = refund(bb, invoice, note="Client moved abroad", reason="product_unsatisfactory")
    assert (made.status, made.amount, made.outside, made.reason) == (
        "succeeded",
        12000,
        False,
        "product_unsatisfactory",
    )
    notes = credit_notes(bb, invoice)
    assert len(notes) == 1 and notes[0].id == made.stripe_credit_note_id
    assert (notes[0].amount, notes[0].reason, notes[0].out_of_band_amount) == (12000, "product_unsatisfactory", None)
    assert [(r.amount, r.status) for r in stripe_refunds(bb, invoice)] == [(12000, "succeeded")]
    assert row(bb, invoice.id or 0).amount_refunded == refunded_on_stripe(bb, invoice) == 12000
    wait(bb, lambda: "Refunded €120.00 of €120.00" in shown(bb, invoice))
    assert ids.REFUND not in buttons(message(bb, invoice))  # nothing left to refund
    assert "Client moved abroad" not in shown(bb, invoice)  # the note is the practice's, not the channel's
    assert "Client moved abroad" in listing(bb, invoice)  # `/invoice INV-n`, to a billing admin alone
    assert replies(bb, invoice)[-1] == f"€120.00 refunded on invoice {invoice.number}. Refunded €120.00 of €120.00."
    top = bb.workspace.views(ADMIN)[-1]
    assert top["callback_id"] == ids.RESULT_CALLBACK and notes[0].number in json.dumps(top, ensure_ascii=False)


def test_a_partial_refund_then_the_rest(billbot: Billbot) -> None:
    bb = billbot
    invoice = paid_invoice(bb)
    first = refund(bb, invoice, "40,00")
    assert first.amount == 4000 and first.status == "succeeded"
    wait(bb, lambda: "Refunded €40.00 of €120.00" in shown(bb, invoice))
    assert ids.REFUND in buttons(message(bb, invoice))
    view = open_refund(bb, invoice)
    assert default_amount(view) == "80.00"
    rest = refund(bb, invoice)
    assert rest.amount == 8000
    assert [n.amount for n in credit_notes(bb, invoice)] == [8000, 4000]  # newest first
    assert row(bb, invoice.id or 0).amount_refunded == refunded_on_stripe(bb, invoice) == 12000
    wait(bb, lambda: "Refunded €120.00 of €120.00" in shown(bb, invoice))
    assert replies(bb, invoice)[-2:] == [
        f"€40.00 refunded on invoice {invoice.number}. Refunded €40.00 of €120.00.",
        f"€80.00 refunded on invoice {invoice.number}. Refunded €120.00 of €120.00.",
    ]
    notice = open_refund(bb, invoice, callback_id=ids.RESULT_CALLBACK)  # an old copy of the message's button
    assert "Nothing is left to refund" in json.dumps(notice, ensure_ascii=False)


def test_a_double_submit_or_slacks_retry_makes_one_credit_note(billbot: Billbot) -> None:
    bb = billbot
    invoice = paid_invoice(bb)
    view = open_refund(bb, invoice)
    form = values("50")
    for _ in range(3):  # a double click, then Slack's retry of the same submission
        assert submit(bb, view, form)["response_action"] == "update"
    wait(bb, lambda: refunds(bb, invoice) and refunds(bb, invoice)[0].status == "succeeded")
    settle(bb)
    assert len(refunds(bb, invoice)) == 1 and len(credit_notes(bb, invoice)) == 1
    assert row(bb, invoice.id or 0).amount_refunded == refunded_on_stripe(bb, invoice) == 5000
    assert sum("refunded on invoice" in reply for reply in replies(bb, invoice)) == 1


def test_stripe_failing_midway_keeps_the_error_with_retry_and_refunds_once(billbot: Billbot) -> None:
    bb = billbot
    invoice = paid_invoice(bb)
    bb.stripe.fail_next("POST", "/v1/credit_notes", count=3)  # three: the stripe client retries a 500 twice
    view = open_refund(bb, invoice)
    submit(bb, view, values("30"))
    failed = wait(bb, lambda: [r for r in refunds(bb, invoice) if r.last_error])[0]
    settle(bb)
    assert failed.status == "pending" and failed.stripe_credit_note_id is None and credit_notes(bb, invoice) == []
    assert row(bb, invoice.id or 0).amount_refunded == 0
    wait(bb, lambda: "Refund of €30.00 not made" in shown(bb, invoice))
    retry = buttons(message(bb, invoice))[ids.RETRY]
    assert retry["value"] == str(failed.id)
    assert "could not be made" in replies(bb, invoice)[-1] and "Nothing was refunded" in replies(bb, invoice)[-1]
    modal = bb.workspace.views(ADMIN)[-1]
    assert ids.RETRY in json.dumps(modal, ensure_ascii=False)  # the modal offers Retry too
    # While it waits for Retry, its amount is held: the modal offers only the rest.
    assert default_amount(open_refund(bb, invoice)) == "90.00"
    bb.workspace.set_stack(ADMIN, [])
    response = bb.requests.click(
        ids.RETRY, user=ADMIN, value=str(failed.id), channel=CHANNEL, message_ts=invoice.message_ts
    )
    assert response.status_code == 200
    done = wait(bb, lambda: next(r for r in refunds(bb, invoice) if r.id == failed.id).status == "succeeded")
    assert done
    settle(bb)
    again = bb.requests.click(
        ids.RETRY, user=ADMIN, value=str(failed.id), channel=CHANNEL, message_ts=invoice.message_ts
    )
    assert again.status_code == 200  # a second press of a stale Retry
    settle(bb)
    assert len(credit_notes(bb, invoice)) == 1 and len(stripe_refunds(bb, invoice)) == 1
    assert row(bb, invoice.id or 0).amount_refunded == refunded_on_stripe(bb, invoice) == 3000
    assert next(r for r in refunds(bb, invoice) if r.id == failed.id).last_error is None
    wait(bb, lambda: "not made" not in shown(bb, invoice) and ids.RETRY not in buttons(message(bb, invoice)))
    assert sum("refunded on invoice" in reply for reply in replies(bb, invoice)) == 1


@pytest.mark.parametrize(
    ("form", "block", "error"),
    [
        (values(""), ids.AMOUNT_BLOCK, "Enter an amount."),
        (values("0"), ids.AMOUNT_BLOCK, "more than zero"),
        (values("-5"), ids.AMOUNT_BLOCK, "more than zero"),
        (values("abc"), ids.AMOUNT_BLOCK, "Enter an amount in EUR, such as 120.00."),
        (values("1e3"), ids.AMOUNT_BLOCK, "Enter an amount in EUR"),
        (values("40.001"), ids.AMOUNT_BLOCK, "at most 2 decimals"),
        (values("120.01"), ids.AMOUNT_BLOCK, "At most €120.00 is left to refund."),
        (values("40", reason=""), ids.REASON_BLOCK, "Stripe's reasons"),
        (values("40", reason="requested_by_customer"), ids.REASON_BLOCK, "Stripe's reasons"),
        (values("40", note="x" * 501), ids.NOTE_BLOCK, "At most 500 characters."),
    ],
)
def test_each_bad_field_is_an_inline_error_and_nothing_is_written(
    billbot: Billbot, form: dict[str, Any], block: str, error: str
) -> None:
    bb = billbot
    invoice = paid_invoice(bb)
    answer = submit(bb, open_refund(bb, invoice), form)
    assert answer["response_action"] == "errors" and error in answer["errors"][block], answer
    settle(bb)
    assert refunds(bb, invoice) == [] and credit_notes(bb, invoice) == []


def test_zero_decimal_amounts_are_read_as_yen(billbot: Billbot) -> None:
    bb = billbot
    invoice = paid_invoice(bb, currency="jpy", amounts=(12000,))
    view = open_refund(bb, invoice)
    assert default_amount(view) == "12000"
    answer = submit(bb, view, values("40.5"))
    assert "JPY amounts have no decimals." in answer["errors"][ids.AMOUNT_BLOCK]
    made = refund(bb, invoice, "4 000")
    assert made.amount == 4000 and credit_notes(bb, invoice)[0].amount == 4000
    wait(bb, lambda: "Refunded ¥4,000 of ¥12,000" in shown(bb, invoice))


# -- Stripe's word -------------------------------------------------------------------------------------------


def test_a_refund_that_fails_later_gives_the_amount_back_and_says_so(billbot: Billbot) -> None:
    bb = billbot
    invoice = paid_invoice(bb, card=REFUND_FAILS)
    made = refund(bb, invoice, "40")
    failed = wait(bb, lambda: next(r for r in refunds(bb, invoice) if r.id == made.id).status == "failed" and
                  next(r for r in refunds(bb, invoice) if r.id == made.id))  # fmt: skip
    settle(bb)
    assert failed.failure_reason == "expired_or_canceled_card"
    assert [r.status for r in stripe_refunds(bb, invoice)] == ["failed"]
    assert row(bb, invoice.id or 0).amount_refunded == refunded_on_stripe(bb, invoice) == 0
    assert replies(bb, invoice)[-1] == (
        f"The refund of €40.00 on invoice {invoice.number} failed (the card has expired or was cancelled): "
        "it is back in what is left to refund (€120.00)."
    )
    assert "Refunded" not in shown(bb, invoice) and ids.REFUND in buttons(message(bb, invoice))
    assert default_amount(open_refund(bb, invoice)) == "120.00"


def test_events_late_or_repeated_change_nothing(billbot: Billbot) -> None:
    bb = billbot
    invoice = paid_invoice(bb, card=REFUND_FAILS)
    refund(bb, invoice, "40")
    wait(bb, lambda: refunds(bb, invoice)[0].status == "failed")
    settle(bb)
    before = (replies(bb, invoice), len(message(bb, invoice).edits), row(bb, invoice.id or 0).amount_refunded)
    account = invoice.stripe_account_id
    sent = [e for e in bb.stripe.events(account=account) if e["type"] in
            ("charge.refunded", "credit_note.created", "refund.updated")]  # fmt: skip
    assert {e["type"] for e in sent} == {"charge.refunded", "credit_note.created", "refund.updated"}
    for n, event in enumerate(sent):
        assert deliver(bb, event).json()["duplicate"] is True  # the same event again
        deliver(bb, event, event_id=f"evt_again_{n}")  # another event with the same (now old) news
    succeeded = copy.deepcopy(next(e for e in sent if e["type"] == "refund.updated"))
    succeeded["data"]["object"].update(status="succeeded", failure_reason=None)
    deliver(bb, succeeded, event_id="evt_stale_success")  # older than the failure it would undo
    settle(bb)
    assert refunds(bb, invoice)[0].status == "failed"
    assert (replies(bb, invoice), len(message(bb, invoice).edits), row(bb, invoice.id or 0).amount_refunded) == before


def test_a_refund_made_on_stripes_dashboard_is_counted(billbot: Billbot) -> None:
    bb = billbot
    invoice = paid_invoice(bb)
    options = {"stripe_account": invoice.stripe_account_id}
    stripe_api(bb).v1.credit_notes.create(
        {"invoice": invoice.stripe_invoice_id or "", "amount": 2500, "refund_amount": 2500},
        options,  # type: ignore[arg-type]
    )
    wait(bb, lambda: row(bb, invoice.id or 0).amount_refunded == 2500)
    settle(bb)
    assert [(r.amount, r.status, r.created_by) for r in refunds(bb, invoice)] == [(2500, "succeeded", None)]
    wait(bb, lambda: "Refunded €25.00 of €120.00" in shown(bb, invoice))
    assert default_amount(open_refund(bb, invoice)) == "95.00"


# -- paid outside Stripe, French, who may ------------------------------------------------------------------


def test_an_invoice_paid_outside_stripe_is_credited_out_of_band(billbot: Billbot) -> None:
    bb = billbot
    invoice = paid_invoice(bb, card=None)
    # Paid outside Stripe, as Stripe records it (Mark as paid, or a payment recorded outside it, comes to this).
    options = {"stripe_account": invoice.stripe_account_id}
    stripe_api(bb).v1.invoices.pay(invoice.stripe_invoice_id or "", {"paid_out_of_band": True}, options)  # type: ignore[arg-type]
    wait(bb, lambda: row(bb, invoice.id or 0).status == "paid")
    settle(bb)
    invoice = row(bb, invoice.id or 0)
    view = open_refund(bb, invoice)
    assert "paid outside Stripe" in json.dumps(view, ensure_ascii=False) and view["submit"]["text"] == "Record credit"
    made = refund(bb, invoice, "20")
    assert made.outside and made.status == "succeeded"
    note = credit_notes(bb, invoice)[0]
    assert (note.amount, note.out_of_band_amount, list(note.refunds)) == (2000, 2000, [])
    assert row(bb, invoice.id or 0).amount_refunded == refunded_on_stripe(bb, invoice) == 2000
    assert replies(bb, invoice)[-1] == (
        f"€20.00 given back outside Stripe on invoice {invoice.number}, credited by Stripe. Refunded €20.00 of €120.00."
    )


def test_in_french(billbot: Billbot) -> None:
    bb = billbot
    set_workspace_locale(bb.app.services.db, TEAM_ID, "fr")  # a French practice: what its channels read is French too
    bb.workspace.add_user(user_id=FRENCH_ADMIN, name="hélène", locale="fr-FR", is_admin=True)
    invoice = paid_invoice(bb, locale="fr")
    view = open_refund(bb, invoice, FRENCH_ADMIN)
    shown_modal = json.dumps(view, ensure_ascii=False)
    assert view["title"]["text"] == "Rembourser la facture" and "Modification de commande" in shown_modal
    assert default_amount(view) == "120,00"
    answer = submit(bb, view, values("200"), FRENCH_ADMIN)
    assert answer["errors"][ids.AMOUNT_BLOCK] == "Il reste au plus 120,00\u00a0€ à rembourser."
    refund(bb, invoice, "40,00", FRENCH_ADMIN)
    wait(bb, lambda: "Remboursé 40,00\u00a0€ sur 120,00\u00a0€" in shown(bb, invoice))
    assert replies(bb, invoice)[-1] == (
        f"40,00\u00a0€ remboursés sur la facture {invoice.number}. Remboursé 40,00\u00a0€ sur 120,00\u00a0€."
    )
    assert pdf_totals(bb, row(bb, invoice.id or 0), "fr")["Remboursé"] == "40,00\u00a0€"


def test_only_billing_admins_may_refund(billbot: Billbot) -> None:
    bb = billbot
    invoice = paid_invoice(bb)
    notice = open_refund(bb, invoice, CREATOR, callback_id=ids.RESULT_CALLBACK)  # the creator, not an admin
    assert "Only billing admins can refund" in json.dumps(notice, ensure_ascii=False)
    admin_view = open_refund(bb, invoice)
    answer = submit(bb, admin_view, values("10"), user=CREATOR)  # a forged submission from a non-admin
    assert answer["response_action"] == "update" and "Only billing admins" in json.dumps(answer, ensure_ascii=False)
    response = bb.requests.click(ids.RETRY, user=CREATOR, value="1", channel=CHANNEL, message_ts=invoice.message_ts)
    assert response.status_code == 200
    settle(bb)
    assert refunds(bb, invoice) == [] and credit_notes(bb, invoice) == []


# -- our figures are Stripe's, on the message, the PDF and `/invoice INV-n` -----------------------------------


@pytest.mark.parametrize(
    ("currency", "amounts", "refunded"),
    [
        ("eur", (12000,), ("40", "0.01", "79.99")),
        ("eur", (3333, 6667), ("12.34",)),
        ("jpy", (12000,), ("4000", "1")),
        ("jpy", (1005, 995), ("2000",)),
    ],
)
def test_refunded_figures_equal_stripes_to_the_unit(
    billbot: Billbot, currency: str, amounts: tuple[int, ...], refunded: tuple[str, ...]
) -> None:
    bb = billbot
    invoice = paid_invoice(bb, currency=currency, amounts=amounts)
    for amount in refunded:
        refund(bb, invoice, amount)
    invoice = row(bb, invoice.id or 0)
    on_stripe = refunded_on_stripe(bb, invoice)
    assert invoice.amount_refunded == on_stripe == sum(n.amount for n in credit_notes(bb, invoice))
    assert sum(r.amount for r in refunds(bb, invoice)) == on_stripe
    figure = format_money(on_stripe, currency, "en")
    paid = format_money(invoice.amount_paid, currency, "en")
    wait(bb, lambda: f"Refunded {figure} of {paid}" in shown(bb, invoice))
    assert f"Refunded {figure} of {paid}" in listing(bb, invoice)
    assert pdf_totals(bb, invoice)["Refunded"] == figure
