"""Record a payment received outside Stripe, part payments (recorded or charged on the card) and the balance due,
through the harness: signed clicks and submissions in, the Slack stand-in's modals and messages and the Stripe
emulator's invoice, payment records and invoice payments out (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.documents.present import present
from bot.documents.source import document_for_invoice
from bot.modals import LOADING_CALLBACK_ID
from bot.models import Invoice, InvoicePayment
from bot.sandbox.slack import check_view
from bot.slack_users import set_workspace_locale
from flows.invoices import ids as action_ids
from flows.invoices.creation.logic import create_invoice
from flows.invoices.forms import InvoiceForm, LineForm
from flows.invoices.payments import ids
from flows.invoices.payments.recording import apply_amounts
from tests.conftest import ADMIN, FRENCH_USER, TEAM_ID, Billbot
from tests.flows.invoices.test_payments import (
    CHANNEL,
    CREATOR,
    buttons,
    click,
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
    web,
)


@pytest.fixture
def scene(billbot: Billbot) -> tuple[Billbot, str, int, Invoice]:
    """A connected practice, a client with an email and one open invoice of €120.00 posted in CHANNEL."""
    return set_scene(billbot)


# -- the person's side: the modal, filled in as Slack sends it back ------------------------------------------


def open_modal(
    bb: Billbot, invoice: Invoice, user: str = CREATOR, action: str = action_ids.MARK_PAID
) -> dict[str, Any]:
    """Press the message's button; the modal the person ends up looking at (the light one filled)."""
    before = {v["id"] for v in bb.workspace.views(user)}
    click(bb, action, invoice, user)

    def opened() -> dict[str, Any] | None:
        stack = bb.workspace.views(user)
        top = stack[-1] if stack else None
        return top if top and top["id"] not in before and top["callback_id"] != LOADING_CALLBACK_ID else None

    view: dict[str, Any] = wait(bb, opened)
    return view


def modal_of(bb: Billbot, user: str, callback_id: str = ids.RECORD_CALLBACK) -> dict[str, Any]:
    """The person's top modal once it is ``callback_id`` (after a click elsewhere: a reminders digest)."""
    found: dict[str, Any] = wait(
        bb, lambda: (s := bb.workspace.views(user)) and s[-1]["callback_id"] == callback_id and s[-1]
    )
    return found


def today_of(view: dict[str, Any]) -> date:
    """The person's today, as the modal preselects it (their Slack time zone)."""
    picker = next(b for b in view["blocks"] if b.get("block_id") == ids.DATE_BLOCK)["element"]
    return date.fromisoformat(picker["initial_date"])


def values(
    method: str = "cash", day: date | None = None, part: str | None = None, reference: str | None = None
) -> dict[str, Any]:
    how = ids.PART if part is not None else ids.ALL
    state: dict[str, Any] = {
        ids.METHOD_BLOCK: {ids.METHOD_BLOCK: {"type": "static_select", "selected_option": {"value": method}}},
        ids.HOW_BLOCK: {ids.HOW_BLOCK: {"type": "radio_buttons", "selected_option": {"value": how}}},
        ids.AMOUNT_BLOCK: {ids.AMOUNT_BLOCK: {"type": "plain_text_input", "value": part}},
        ids.REFERENCE_BLOCK: {ids.REFERENCE_BLOCK: {"type": "plain_text_input", "value": reference}},
    }
    if day is not None:
        state[ids.DATE_BLOCK] = {ids.DATE_BLOCK: {"type": "datepicker", "selected_date": day.isoformat()}}
    return state


def charge_values(part: str | None = None) -> dict[str, Any]:
    how = ids.PART if part is not None else ids.ALL
    return {
        ids.HOW_BLOCK: {ids.HOW_BLOCK: {"type": "radio_buttons", "selected_option": {"value": how}}},
        ids.AMOUNT_BLOCK: {ids.AMOUNT_BLOCK: {"type": "plain_text_input", "value": part}},
    }


def submit(bb: Billbot, view: dict[str, Any], state: dict[str, Any], user: str = CREATOR) -> dict[str, Any]:
    response = bb.requests.submit(view, state, user=user)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json() if response.content else {}
    return answer


def text(view: dict[str, Any]) -> str:
    return json.dumps(view.get("blocks", view), ensure_ascii=False)


def shows(bb: Billbot, view_id: str, needle: str) -> dict[str, Any]:
    found: dict[str, Any] = wait(bb, lambda: (v := bb.workspace.view(view_id)) and needle in text(v) and v)
    return found


def record(bb: Billbot, invoice: Invoice, state_of: Any, user: str = CREATOR) -> dict[str, Any]:
    """Open Record payment, fill it (``state_of(view)``), submit; the modal once Billbot has answered."""
    view = open_modal(bb, invoice, user)
    answer = submit(bb, view, state_of(view), user)
    assert answer.get("response_action") == "update", answer
    done: dict[str, Any] = wait(
        bb,
        lambda: (
            (v := bb.workspace.view(view["id"]))
            and "⏳" not in text(v)
            and v["callback_id"] == ids.RESULT_CALLBACK
            and v
        ),
    )
    return done


# -- reading what happened -----------------------------------------------------------------------------------


def payments(bb: Billbot) -> list[InvoicePayment]:
    with bb.app.services.db.session() as session:
        return list(session.exec(select(InvoicePayment).order_by(InvoicePayment.id)))  # type: ignore[arg-type]


def payment_records(bb: Billbot, account: str) -> list[Any]:
    return list(stripe_api(bb).v1.payment_records.list(None, {"stripe_account": account}).data)  # type: ignore[arg-type]


def stripe_payments(bb: Billbot, account: str, invoice: Invoice) -> list[Any]:
    listed = stripe_api(bb).v1.invoice_payments.list(
        {"invoice": invoice.stripe_invoice_id or ""}, {"stripe_account": account}
    )  # type: ignore[arg-type]
    return list(reversed(listed.data))


def same_as_stripe(bb: Billbot, account: str, invoice: Invoice) -> tuple[int, int]:
    """Our mirrored figures, asserted equal to Stripe's invoice to the unit."""
    ours = row(bb, saved(invoice))
    theirs = stripe_invoice(bb, account, invoice)
    assert (ours.amount_paid, ours.amount_remaining) == (theirs.amount_paid, theirs.amount_remaining)
    return ours.amount_paid, ours.amount_remaining


def saved(invoice: Invoice) -> int:
    assert invoice.id is not None
    return invoice.id


def make_jpy_invoice(bb: Billbot, client_id: int, amount: int) -> Invoice:
    bb.workspace.add_channel(CHANNEL, "payments", members=[ADMIN, FRENCH_USER, CREATOR, "U0BOT"])
    form = InvoiceForm(
        client_id=client_id,
        currency="jpy",
        due_date=date.today() + timedelta(days=14),
        lines=(LineForm(service_date=date(2026, 11, 2), description="Consultation", quantity=1, unit_amount=amount),),
    )
    outcome = create_invoice(
        bb.app.services,
        web(bb),
        team_id=TEAM_ID,
        user_id=CREATOR,
        locale="en",
        form=form,
        request_key="test-jpy",
        channel_id=CHANNEL,
    )
    assert outcome.error is None, outcome.error
    return row(bb, saved(outcome.invoice))


# -- all of it, a part then the rest ---------------------------------------------------------------------------


def test_record_all_of_it_in_cash(scene: tuple[Billbot, str, int, Invoice]) -> None:
    bb, account, _, invoice = scene
    view = open_modal(bb, invoice)
    assert check_view(view) == [] and view["callback_id"] == ids.RECORD_CALLBACK
    how = next(b for b in view["blocks"] if b.get("block_id") == ids.HOW_BLOCK)["element"]
    assert how["initial_option"]["value"] == ids.ALL and "All of it: €120.00" in text(view)
    answer = submit(bb, view, values(day=today_of(view)))
    assert answer["response_action"] == "update"
    shows(bb, view["id"], f"invoice {invoice.number} is paid")
    wait(bb, lambda: row(bb, saved(invoice)).status == "paid")
    assert same_as_stripe(bb, account, invoice) == (12000, 0)
    paid = stripe_api(bb).v1.invoices.retrieve(invoice.stripe_invoice_id or "", None, {"stripe_account": account})  # type: ignore[arg-type]
    assert paid.amount_paid_off_stripe == 12000
    [record_] = payment_records(bb, account)
    assert record_.amount_requested.value == 12000 and record_.payment_method_details.custom.display_name == "Cash"
    [ours] = payments(bb)
    assert (ours.source, ours.method, ours.amount, ours.paid_on) == ("outside", "cash", 12000, today_of(view))
    assert ours.stripe_payment_record_id == record_.id and ours.stripe_invoice_payment_id is not None
    wait(bb, lambda: action_ids.MARK_PAID not in buttons(message(bb, invoice)))  # nothing left to record
    settle(bb)
    assert replies(bb, invoice) == [f"Invoice {invoice.number} was marked as paid (paid outside Stripe)."]
    assert len(events(bb, "invoice.paid", invoice)) == 1


@pytest.mark.parametrize(
    ("method", "reference"), [("cheque", "CHQ 0042"), ("bank_transfer", "VIR-2026-11"), ("other", None)]
)
def test_a_part_then_the_rest(scene: tuple[Billbot, str, int, Invoice], method: str, reference: str | None) -> None:
    bb, account, _, invoice = scene
    record(bb, invoice, lambda v: values(method, today_of(v), part="40", reference=reference))
    wait(bb, lambda: row(bb, saved(invoice)).amount_paid == 4000)
    assert same_as_stripe(bb, account, invoice) == (4000, 8000)
    assert row(bb, saved(invoice)).status == "open"
    card = wait(
        bb,
        lambda: (
            "Balance due €80.00" in json.dumps(message(bb, invoice).blocks, ensure_ascii=False) and message(bb, invoice)
        ),
    )
    assert "Paid €40.00 · Balance due €80.00" in json.dumps(card.blocks, ensure_ascii=False)
    assert action_ids.MARK_PAID in buttons(card)  # still open: the rest can be recorded
    [first] = payment_records(bb, account)
    shown_method = {"cheque": "Cheque", "bank_transfer": "Bank transfer", "other": "Other"}[method]
    assert first.payment_method_details.custom.display_name == shown_method
    if reference:
        assert first.processor_details.custom.payment_reference == reference
    wait(bb, lambda: replies(bb, invoice))
    assert replies(bb, invoice) == [
        f"A payment of €40.00 ({shown_method}) was recorded on invoice {invoice.number}. Balance due: €80.00."
    ]
    second = open_modal(bb, invoice)
    assert "All of it: €80.00" in text(second)
    submit(bb, second, values("cash", today_of(second)))
    wait(bb, lambda: row(bb, saved(invoice)).status == "paid")
    assert same_as_stripe(bb, account, invoice) == (12000, 0)
    kinds = [(p.payment.type, p.amount_paid) for p in stripe_payments(bb, account, invoice)]
    assert kinds == [("payment_record", 4000), ("payment_record", 8000)]
    settle(bb)
    assert replies(bb, invoice)[-1] == f"Invoice {invoice.number} was marked as paid (paid outside Stripe)."
    assert [p.amount for p in payments(bb)] == [4000, 8000]


# -- once, whatever Slack and Stripe do ------------------------------------------------------------------------


def test_a_double_submit_and_slacks_retry_record_once(scene: tuple[Billbot, str, int, Invoice]) -> None:
    bb, account, _, invoice = scene
    view = open_modal(bb, invoice)
    state = values(day=today_of(view), part="30")
    for _ in range(3):  # a double press, then Slack's retry of the same submission
        assert submit(bb, view, state)["response_action"] == "update"
    shows(bb, view["id"], "Balance due: €90.00")
    settle(bb)
    assert len(payments(bb)) == 1 and len(payment_records(bb, account)) == 1
    assert same_as_stripe(bb, account, invoice) == (3000, 9000)
    assert len(replies(bb, invoice)) == 1


def test_stripe_failing_midway_shows_retry_and_retry_records_once(scene: tuple[Billbot, str, int, Invoice]) -> None:
    bb, account, _, invoice = scene
    view = open_modal(bb, invoice)
    # The report goes through; attaching it fails (three times: the client retries a 500 twice).
    bb.stripe.fail_next("POST", f"/v1/invoices/{invoice.stripe_invoice_id}/attach_payment", count=3)
    submit(bb, view, values(day=today_of(view), part="50"))
    failed = shows(bb, view["id"], ids.RETRY_ACTION)
    assert "press Retry" in text(failed)
    [pending] = payments(bb)
    assert pending.stripe_payment_record_id is not None and pending.stripe_invoice_payment_id is None
    assert same_as_stripe(bb, account, invoice) == (0, 12000)
    retry = next(b for b in failed["blocks"] if b["type"] == "actions")["elements"][0]
    bb.requests.click(ids.RETRY_ACTION, user=CREATOR, value=retry["value"], view=failed)
    shows(bb, view["id"], "Balance due: €70.00")
    settle(bb)
    assert same_as_stripe(bb, account, invoice) == (5000, 7000)
    assert len(payment_records(bb, account)) == 1 and len(payments(bb)) == 1
    assert len(stripe_payments(bb, account, invoice)) == 1


# -- each bad field: an inline error, nothing written ------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "block", "message_"),
    [
        ({"day": 1}, ids.DATE_BLOCK, "The date cannot be in the future."),
        ({"day": -1}, ids.DATE_BLOCK, "The date cannot be before the invoice was made"),
        ({"part": "0"}, ids.AMOUNT_BLOCK, "The amount must be more than 0."),
        ({"part": "120.01"}, ids.AMOUNT_BLOCK, "The amount cannot be more than the balance due (€120.00)."),
        ({"part": "12,3x"}, ids.AMOUNT_BLOCK, "Type an amount such as €120.00."),
        ({"part": "10.005"}, ids.AMOUNT_BLOCK, "Type an amount such as €120.00."),
        ({"part": ""}, ids.AMOUNT_BLOCK, "Type the amount received."),
        ({"method": "crypto"}, ids.METHOD_BLOCK, "Choose how it was paid."),
        ({"reference": "x" * 101}, ids.REFERENCE_BLOCK, "The reference can have up to 100 characters."),
    ],
)
def test_each_bad_field_is_an_inline_error_and_nothing_is_written(
    scene: tuple[Billbot, str, int, Invoice], change: dict[str, Any], block: str, message_: str
) -> None:
    bb, account, _, invoice = scene
    view = open_modal(bb, invoice)
    change = dict(change)  # the parameters are shared by the SQLite and PostgreSQL runs
    day = today_of(view) + timedelta(days=change.pop("day", 0))
    answer = submit(bb, view, values(day=day, **change))
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [block] and answer["errors"][block].startswith(message_)
    settle(bb)
    assert payments(bb) == [] and payment_records(bb, account) == []
    assert same_as_stripe(bb, account, invoice) == (0, 12000)


def test_jpy_has_no_decimals_and_equals_stripe_to_the_yen(billbot: Billbot) -> None:
    bb = billbot
    account = connect(bb)
    invoice = make_jpy_invoice(bb, make_client(bb), 12345)
    view = open_modal(bb, invoice)
    assert "All of it: ¥12,345" in text(view)
    answer = submit(bb, view, values(day=today_of(view), part="5000.5"))
    assert answer["errors"] == {ids.AMOUNT_BLOCK: "Type a whole amount, without decimals, such as ¥12,345."}
    assert payments(bb) == []
    record(bb, invoice, lambda v: values(day=today_of(v), part="5000"))
    wait(bb, lambda: row(bb, saved(invoice)).amount_paid == 5000)
    assert same_as_stripe(bb, account, invoice) == (5000, 7345)
    record(bb, invoice, lambda v: values(day=today_of(v)))
    wait(bb, lambda: row(bb, saved(invoice)).status == "paid")
    assert same_as_stripe(bb, account, invoice) == (12345, 0)


# -- French, and who may ------------------------------------------------------------------------------------------


def test_in_french(billbot: Billbot) -> None:
    bb = billbot
    set_workspace_locale(bb.app.services.db, TEAM_ID, "fr")  # a French practice: what its channels read is French too
    account = connect(bb)
    invoice = make_invoice(bb, make_client(bb, "Chloé Dubois"), user=FRENCH_USER, locale="fr")
    assert buttons(message(bb, invoice))[action_ids.MARK_PAID]["text"]["text"] == "Enregistrer un paiement"
    view = open_modal(bb, invoice, FRENCH_USER)
    shown = text(view)
    assert "La totalité : 120,00\u00a0€" in shown and "Espèces" in shown and "Virement bancaire" in shown
    assert json.dumps(view["title"], ensure_ascii=False).count("Enregistrer un paiement") == 1
    future = submit(bb, view, values(day=today_of(view) + timedelta(days=1), part="40,50"), FRENCH_USER)
    assert future["errors"] == {ids.DATE_BLOCK: "La date ne peut pas être dans le futur."}
    submit(bb, view, values("cheque", today_of(view), part="40,50", reference="Chèque 7"), FRENCH_USER)
    shows(bb, view["id"], "Solde dû : 79,50\u00a0€")
    wait(bb, lambda: replies(bb, invoice))
    assert replies(bb, invoice) == [
        f"Un paiement de 40,50\u00a0€ (Chèque) a été enregistré sur la facture {invoice.number}. "
        "Solde dû : 79,50\u00a0€."
    ]
    card = wait(
        bb, lambda: "Solde dû" in json.dumps(message(bb, invoice).blocks, ensure_ascii=False) and message(bb, invoice)
    )
    assert "Payé 40,50\u00a0€ · Solde dû 79,50\u00a0€" in json.dumps(card.blocks, ensure_ascii=False)
    assert same_as_stripe(bb, account, invoice) == (4050, 7950)


def test_someone_who_may_not_is_told_in_the_modal_and_nothing_is_written(
    scene: tuple[Billbot, str, int, Invoice],
) -> None:
    bb, account, _, invoice = scene
    view = open_modal(bb, invoice, FRENCH_USER)  # neither the creator nor a billing admin
    assert view["callback_id"] == ids.RESULT_CALLBACK
    assert f"Seule la personne qui a créé la facture {invoice.number}" in text(view)
    # A submission forged for that invoice is refused in the ack too.
    forged = dict(view, callback_id=ids.RECORD_CALLBACK, private_metadata=json.dumps({"invoice": invoice.id}))
    answer = submit(bb, forged, values(day=date.today()), FRENCH_USER)
    assert answer["response_action"] == "update" and "Seule la personne" in text(answer["view"])
    settle(bb)
    assert payments(bb) == [] and payment_records(bb, account) == []
    admin = open_modal(bb, invoice, ADMIN)  # a billing admin who did not create it may
    assert admin["callback_id"] == ids.RECORD_CALLBACK


def test_a_paid_invoice_offers_no_recording(scene: tuple[Billbot, str, int, Invoice]) -> None:
    bb, _, _, invoice = scene
    record(bb, invoice, lambda v: values(day=today_of(v)))
    wait(bb, lambda: row(bb, saved(invoice)).status == "paid")
    stale = open_modal(bb, invoice)  # pressed on an old copy of the message
    assert stale["callback_id"] == ids.RESULT_CALLBACK and "is paid" in text(stale)


# -- part payments on the card on file ---------------------------------------------------------------------------


def test_charge_part_on_the_card_then_the_rest(scene: tuple[Billbot, str, int, Invoice]) -> None:
    bb, account, _, invoice = scene
    save_card(bb, invoice)
    wait(bb, lambda: action_ids.CHARGE_CARD in buttons(message(bb, invoice)))
    view = open_modal(bb, invoice, action=action_ids.CHARGE_CARD)
    assert view["callback_id"] == ids.CHARGE_CALLBACK and check_view(view) == []
    assert "All of it: €120.00" in text(view)
    too_much = submit(bb, view, charge_values("200"))
    assert too_much["errors"] == {ids.AMOUNT_BLOCK: "The amount cannot be more than the balance due (€120.00)."}
    for _ in range(2):  # a double press charges once
        submit(bb, view, charge_values("50"))
    shows(bb, view["id"], "Balance due: €70.00")
    wait(bb, lambda: row(bb, saved(invoice)).amount_paid == 5000)
    assert same_as_stripe(bb, account, invoice) == (5000, 7000)
    [part] = stripe_payments(bb, account, invoice)
    assert (part.payment.type, part.amount_paid, part.status) == ("payment_intent", 5000, "paid")
    [ours] = payments(bb)
    assert (ours.source, ours.method, ours.stripe_payment_intent_id) == ("stripe", "card", part.payment.payment_intent)
    rest = open_modal(bb, invoice, action=action_ids.CHARGE_CARD)
    assert "All of it: €70.00" in text(rest)
    submit(bb, rest, charge_values())
    wait(bb, lambda: row(bb, saved(invoice)).status == "paid")
    assert same_as_stripe(bb, account, invoice) == (12000, 0)
    settle(bb)
    assert replies(bb, invoice)[-1] == f"Invoice {invoice.number} is paid: €120.00 received."


def test_a_declined_part_charge_leaves_the_balance(scene: tuple[Billbot, str, int, Invoice]) -> None:
    bb, account, _, invoice = scene
    save_card(bb, invoice, "4000 0000 0000 0341")  # saves fine, declines when charged
    wait(bb, lambda: action_ids.CHARGE_CARD in buttons(message(bb, invoice)))
    view = open_modal(bb, invoice, action=action_ids.CHARGE_CARD)
    submit(bb, view, charge_values("50"))
    declined = shows(bb, view["id"], "declined")
    assert "Nothing was charged" in text(declined)
    settle(bb)
    assert payments(bb) == []
    assert same_as_stripe(bb, account, invoice) == (0, 12000)


# -- Stripe's word, in state order ----------------------------------------------------------------------------


def test_an_older_invoice_updated_never_undoes_a_newer_balance(scene: tuple[Billbot, str, int, Invoice]) -> None:
    bb, account, _, invoice = scene
    record(bb, invoice, lambda v: values(day=today_of(v), part="40"))
    record(bb, invoice, lambda v: values(day=today_of(v), part="30"))
    wait(bb, lambda: row(bb, saved(invoice)).amount_paid == 7000)
    settle(bb)
    older = [e for e in events(bb, "invoice.updated", invoice) if e["data"]["object"]["amount_paid"] == 4000]
    assert older and apply_amounts(bb.app.services.db, older[0]["data"]["object"], row(bb, saved(invoice))) is None
    assert same_as_stripe(bb, account, invoice) == (7000, 5000)
    assert all(p.stripe_invoice_payment_id for p in payments(bb))


# -- the balance wherever the invoice is shown --------------------------------------------------------------------


def ephemeral_answer(bb: Billbot, words: str, user: str = ADMIN) -> str:
    before = len(bb.workspace.ephemeral("C_GENERAL", user))
    bb.requests.command("/invoice", words, user=user)
    answers = wait(
        bb,
        lambda: len(bb.workspace.ephemeral("C_GENERAL", user)) > before and bb.workspace.ephemeral("C_GENERAL", user),
    )
    return json.dumps(answers[-1].blocks, ensure_ascii=False)


def test_the_balance_shows_in_the_listing_the_detail_and_the_pdf(scene: tuple[Billbot, str, int, Invoice]) -> None:
    bb, account, _, invoice = scene
    record(bb, invoice, lambda v: values("cash", today_of(v), part="40"))
    wait(bb, lambda: row(bb, saved(invoice)).amount_paid == 4000)
    assert "Paid €40.00 · Balance due €80.00" in ephemeral_answer(bb, "list open")
    assert "Paid €40.00 · Balance due €80.00" in ephemeral_answer(bb, invoice.number)
    doc = document_for_invoice(TEAM_ID, saved(invoice), db=bb.app.services.db)
    totals = {(total.label, total.amount) for total in present(doc, "en").totals}
    assert {("Amount paid", "€40.00"), ("Amount due", "€80.00")} <= totals
    french = {(total.label, total.amount) for total in present(doc, "fr").totals}
    assert ("Montant payé", "40,00\u00a0€") in french
    assert same_as_stripe(bb, account, invoice) == (4000, 8000)


def test_the_app_home_shows_billing_admins_the_balance_due(scene: tuple[Billbot, str, int, Invoice]) -> None:
    bb, _, _, invoice = scene
    record(bb, invoice, lambda v: values("cash", today_of(v), part="40"))
    wait(bb, lambda: row(bb, saved(invoice)).amount_paid == 4000)

    def home_of(user: str) -> str:
        before = len(bb.slack.calls("views.publish"))
        bb.requests.event({"type": "app_home_opened", "user": user, "channel": "D0X", "tab": "home"})
        wait(bb, lambda: len(bb.slack.calls("views.publish")) > before)
        return json.dumps(bb.workspace.home(user), ensure_ascii=False)

    shown = home_of(ADMIN)
    assert "€80.00 due on 1 open invoice" in shown
    assert f"{invoice.number} · Paid €40.00 · Balance due €80.00" in shown
    assert "Balance due" not in home_of(CREATOR)  # a member who is no billing admin: no balances


def test_a_part_charge_failing_midway_resumes_the_same_payment_intent(scene: tuple[Billbot, str, int, Invoice]) -> None:
    bb, account, _, invoice = scene
    save_card(bb, invoice)
    wait(bb, lambda: action_ids.CHARGE_CARD in buttons(message(bb, invoice)))
    view = open_modal(bb, invoice, action=action_ids.CHARGE_CARD)
    # The PaymentIntent is made; attaching it to the invoice fails (three times: the client retries a 500 twice).
    bb.stripe.fail_next("POST", f"/v1/invoices/{invoice.stripe_invoice_id}/attach_payment", count=3)
    submit(bb, view, charge_values("25"))
    failed = shows(bb, view["id"], ids.RETRY_ACTION)
    [pending] = payments(bb)
    assert pending.stripe_payment_intent_id is not None
    assert same_as_stripe(bb, account, invoice) == (0, 12000)
    retry = next(b for b in failed["blocks"] if b["type"] == "actions")["elements"][0]
    bb.requests.click(ids.RETRY_ACTION, user=CREATOR, value=retry["value"], view=failed)
    shows(bb, view["id"], "Balance due: €95.00")
    settle(bb)
    assert same_as_stripe(bb, account, invoice) == (2500, 9500)
    [part] = stripe_payments(bb, account, invoice)
    assert part.payment.payment_intent == pending.stripe_payment_intent_id  # the same intent, charged once
    intents = stripe_api(bb).v1.payment_intents.retrieve(
        pending.stripe_payment_intent_id, None, {"stripe_account": account}
    )  # type: ignore[arg-type]
    assert (intents.status, intents.amount_received) == ("succeeded", 2500)
