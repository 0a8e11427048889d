"""Correcting an open invoice and changing its due date, through the harness: clicks and submissions in, our rows,
the emulator's invoices (Stripe's revisions) and the Slack messages out, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.models import Appointment, BillingSettings, Invoice
from bot.sandbox.slack.limits import check_blocks
from bot.slack_users import set_workspace_locale
from flows.invoices import ids as invoice_ids
from flows.invoices.correction import ids
from flows.reminders import claims
from flows.reminders.logic import find_due
from tests.conftest import ADMIN, FRENCH_USER, MEMBER, TEAM_ID, Billbot
from tests.flows.invoices.test_payments import (
    CHANNEL,
    CREATOR,
    buttons,
    connect,
    ephemerals,
    make_client,
    make_invoice,
    message,
    row,
    settle,
    stripe_api,
    wait,
    web,
)
from tests.flows.reminders.test_reminders import at, emails, sweep, turn_on
from tests.harness.invoice_modal import initial_state
from tests.harness.views import filled_view

Scene = tuple[Billbot, str, int, Invoice]


def set_up(bb: Billbot) -> str:
    """A practice billing in euros on a connected Stripe account (its id)."""
    account = connect(bb)
    with bb.app.services.db.session() as session:
        session.add(BillingSettings(team_id=TEAM_ID, currency="eur"))
    return account


@pytest.fixture
def scene(billbot: Billbot) -> Scene:
    """A connected practice, a client, one open invoice of €120.00 (one line) posted in CHANNEL by CREATOR."""
    account = set_up(billbot)
    client_id = make_client(billbot)
    return billbot, account, client_id, make_invoice(billbot, client_id)


# -- acting as the person would ---------------------------------------------------------------------------------


def press(bb: Billbot, action_id: str, invoice: Invoice, user: str = ADMIN) -> None:
    response = bb.requests.click(
        action_id, user=user, value=str(invoice.id), channel=CHANNEL, message_ts=invoice.message_ts
    )
    assert response.status_code == 200, response.text


def open_correction(bb: Billbot, invoice: Invoice, user: str = ADMIN) -> dict[str, Any]:
    press(bb, ids.CORRECT, invoice, user)
    return filled_view(bb.slack, bb.workspace, user, callback_id=invoice_ids.CALLBACK)


def line_block(view: dict[str, Any], field: str) -> tuple[str, str]:
    for block in view["blocks"]:
        parsed = invoice_ids.parse_line_block(block.get("block_id", ""))
        if parsed is not None and parsed[1] == field and block["type"] == "input":
            return block["block_id"], block["element"]["action_id"]
    raise AssertionError(f"no {field} input in the modal")


def typed(view: dict[str, Any], **fields: str) -> dict[str, Any]:
    """The modal's state as prefilled, with ``fields`` (price, qty, desc) of its first line typed over."""
    values = initial_state(view)
    for field, text in fields.items():
        block_id, action_id = line_block(view, field)
        values[block_id] = {action_id: {"type": "plain_text_input", "value": text}}
    return values


def submit(bb: Billbot, view: dict[str, Any], values: dict[str, Any], user: str = ADMIN) -> dict[str, Any]:
    response = bb.requests.submit(view, values, user=user)
    assert response.status_code == 200, response.text
    return json.loads(response.content or b"{}")


def invoices(bb: Billbot) -> list[Invoice]:
    with bb.app.services.db.session() as session:
        return list(session.exec(select(Invoice).order_by(Invoice.id)).all())  # type: ignore[arg-type]


def replaced(bb: Billbot, old: Invoice) -> tuple[Invoice, Invoice]:
    """(the old invoice, its correction) once the correction is open and posted and the old message says so."""

    def done() -> tuple[Invoice, Invoice] | None:
        before = row(bb, old.id or 0)
        if before.replaced_by_id is None or before.status != "void":
            return None
        new = row(bb, before.replaced_by_id)
        if new.status != "open" or not new.message_ts:
            return None
        # The old message links to the new one, and the old thread is told: the correction's last steps.
        thread = [m.text or "" for m in bb.workspace.thread(CHANNEL, before.message_ts or "")]
        if f"|{new.number}>" not in text_of(message(bb, before)) or not any(new.number in t for t in thread):
            return None
        return before, new

    found: tuple[Invoice, Invoice] = wait(bb, done, timeout=20)
    return found


def text_of(msg: Any) -> str:
    return json.dumps(msg.blocks or [], ensure_ascii=False) + (msg.text or "")


def on_stripe(bb: Billbot, account: str, invoice: Invoice) -> Any:
    return stripe_api(bb).v1.invoices.retrieve(invoice.stripe_invoice_id or "", None, {"stripe_account": account})  # type: ignore[arg-type]


def stripe_invoices(bb: Billbot, account: str) -> list[Any]:
    return list(stripe_api(bb).v1.invoices.list({"limit": 100}, {"stripe_account": account}).data)  # type: ignore[arg-type]


def top_view(bb: Billbot, user: str) -> dict[str, Any]:
    return bb.workspace.views(user)[-1]


# -- Correct ----------------------------------------------------------------------------------------------------


def test_the_modal_opens_prefilled_and_titled_as_a_correction(scene: Scene) -> None:
    bb, _, _, invoice = scene
    view = open_correction(bb, invoice)
    assert view["title"]["text"] == "Correct INV-0001" and view["submit"]["text"] == "Create"
    values = initial_state(view)
    client = next(v for k, v in values.items() if k.startswith("client."))
    assert client[invoice_ids.CLIENT_ACTION]["selected_option"]["text"]["text"] == "Élodie Martin"
    assert values[invoice_ids.DUE_BLOCK][invoice_ids.DUE_BLOCK]["selected_date"] == invoice.due_date.isoformat()
    block_id, action_id = line_block(view, invoice_ids.LINE_PRICE)
    assert values[block_id][action_id]["value"] == "120.00"
    block_id, action_id = line_block(view, invoice_ids.LINE_DESCRIPTION)
    assert values[block_id][action_id]["value"] == "Consultation"
    block_id, action_id = line_block(view, invoice_ids.LINE_DATE)
    assert values[block_id][action_id]["selected_date"] == "2026-11-02"


def test_a_correction_is_stripes_revision_linked_both_ways(scene: Scene) -> None:
    bb, account, _, invoice = scene
    view = open_correction(bb, invoice)
    answer = submit(bb, view, typed(view, price="150.00", qty="2"))
    assert answer.get("response_action") == "update", answer
    old, new = replaced(bb, invoice)

    assert new.number == "INV-0002" and new.replaces_id == old.id and old.replaced_by_id == new.id
    assert (new.total, new.status, old.status, old.amount_remaining) == (30000, "open", "void", 0)
    original, revision = on_stripe(bb, account, old), on_stripe(bb, account, new)
    assert original.status == "void" and original.latest_revision == revision.id
    assert revision.status == "open" and revision.total == 30000 and revision.amount_due == 30000
    assert revision.from_invoice.invoice == original.id and revision.from_invoice.action == "revision"
    assert revision.number == f"{original.number}-1"  # Stripe numbers a revision after its original
    assert [(item.quantity, item.amount) for item in revision.lines.data] == [(2, 30000)]  # the copy's line went
    assert revision.metadata["billbot_invoice_id"] == str(new.id)

    new_message, old_message = message(bb, new), message(bb, old)
    permalink = web(bb).chat_getPermalink(channel=CHANNEL, message_ts=old.message_ts or "")
    assert f"INV-0002, replaces <{permalink['permalink']}|INV-0001>" in text_of(new_message)
    assert "Replaced by <" in text_of(old_message) and "|INV-0002>" in text_of(old_message)
    assert buttons(old_message) == {} and check_blocks(old_message.blocks or []) == []
    assert {ids.CORRECT, ids.CHANGE_DUE_DATE, invoice_ids.SEND_LINK} <= set(buttons(new_message))
    settle(bb)  # Stripe's invoice.voided for the original has come and gone
    thread = [m.text or "" for m in bb.workspace.thread(CHANNEL, old.message_ts or "") if m.ts != old.message_ts]
    assert len(thread) == 1 and "replaced by" in thread[0] and "INV-0002" in thread[0]  # not "voided" besides
    wait(bb, lambda: "INV-0002" in top_view(bb, ADMIN)["blocks"][0]["text"]["text"])  # the modal says it is done


def test_another_client_is_no_revision_the_old_invoice_is_voided_and_a_new_one_issued(scene: Scene) -> None:
    bb, account, _, invoice = scene
    other = make_client(bb, name="Paul Durand", email="paul@example.com")
    view = open_correction(bb, invoice)
    values = typed(view)
    client_block = next(k for k in values if k.startswith("client."))
    option = {"text": {"type": "plain_text", "text": "Paul Durand", "emoji": True}, "value": str(other)}
    values[client_block] = {invoice_ids.CLIENT_ACTION: {"type": "external_select", "selected_option": option}}
    submit(bb, view, values)
    old, new = replaced(bb, invoice)
    assert new.client_id == other and new.total == invoice.total
    original, reissued = on_stripe(bb, account, old), on_stripe(bb, account, new)
    assert original.status == "void" and original.latest_revision is None  # voided by us, not by a revision
    assert reissued.status == "open" and reissued.from_invoice is None and reissued.customer != original.customer


def test_a_double_submit_or_slacks_retry_makes_one_revision(scene: Scene) -> None:
    bb, account, _, invoice = scene
    view = open_correction(bb, invoice)
    values = typed(view, price="99.00")
    submit(bb, view, values)
    submit(bb, view, values)  # the same submission again: a double click, or Slack's retry
    replaced(bb, invoice)
    settle(bb)
    assert [i.number for i in invoices(bb)] == ["INV-0001", "INV-0002"]
    assert len(stripe_invoices(bb, account)) == 2  # the original and one revision
    assert len([m for m in bb.workspace.messages(CHANNEL) if m.thread_ts is None]) == 2


def test_stripe_failing_midway_keeps_the_draft_and_retry_finishes_it(scene: Scene) -> None:
    bb, account, _, invoice = scene
    view = open_correction(bb, invoice)
    bb.stripe.fail_next("POST", "/v1/invoices/in_", count=3)  # finalizing the revision fails
    submit(bb, view, typed(view, price="80.00"))

    def retry_shown() -> dict[str, Any] | None:
        top = top_view(bb, ADMIN)
        return top if "Retry" in json.dumps(top) else None

    failed = wait(bb, retry_shown, timeout=20)
    draft = invoices(bb)[-1]
    assert draft.status == "draft" and draft.replaces_id == invoice.id
    assert row(bb, invoice.id or 0).status == "open" and on_stripe(bb, account, invoice).status == "open"

    response = bb.requests.click(invoice_ids.RETRY_ACTION, user=ADMIN, value=str(draft.id), view=failed)
    assert response.status_code == 200
    old, new = replaced(bb, invoice)
    assert new.id == draft.id and new.total == 8000
    assert on_stripe(bb, account, old).status == "void" and on_stripe(bb, account, new).total == 8000
    assert len(stripe_invoices(bb, account)) == 2


def test_bad_fields_are_shown_inline_and_nothing_is_written(scene: Scene) -> None:
    bb, account, _, invoice = scene
    view = open_correction(bb, invoice)
    values = typed(view, price="", qty="0")
    values[invoice_ids.DUE_BLOCK] = {
        invoice_ids.DUE_BLOCK: {"type": "datepicker", "selected_date": (date.today() - timedelta(days=2)).isoformat()}
    }
    answer = submit(bb, view, values)
    assert answer["response_action"] == "errors"
    errors = answer["errors"]
    assert errors[invoice_ids.DUE_BLOCK] and errors[line_block(view, invoice_ids.LINE_PRICE)[0]]
    assert errors[line_block(view, invoice_ids.LINE_QUANTITY)[0]]
    settle(bb)
    assert len(invoices(bb)) == 1 and row(bb, invoice.id or 0).replaced_by_id is None
    assert len(stripe_invoices(bb, account)) == 1


def test_a_paid_invoice_offers_no_correction_and_a_forged_click_is_told_why(scene: Scene) -> None:
    bb, _, _, invoice = scene
    bb.app.services.stripe.pay_invoice(  # paid outside Stripe, as Stripe's Dashboard records it
        invoice.stripe_account_id, invoice.stripe_invoice_id or "", paid_out_of_band=True, idempotency_key="paid"
    )
    wait(bb, lambda: row(bb, invoice.id or 0).status == "paid")
    wait(bb, lambda: ids.CORRECT not in buttons(message(bb, invoice)))
    assert ids.CHANGE_DUE_DATE not in buttons(message(bb, invoice))

    for action in (ids.CORRECT, ids.CHANGE_DUE_DATE):  # an old copy of the message, or a forged payload
        before = len(ephemerals(bb, ADMIN))
        press(bb, action, invoice)
        told = wait(bb, lambda b=before: ephemerals(bb, ADMIN)[b:])
        assert "INV-0001 is paid" in told[-1]
        notice = filled_view(bb.slack, bb.workspace, ADMIN, callback_id=ids.NOTICE_CALLBACK)
        assert "is paid" in json.dumps(notice)
    assert len(invoices(bb)) == 1


def test_a_void_invoice_cannot_be_corrected(scene: Scene) -> None:
    bb, _, _, invoice = scene
    press(bb, invoice_ids.VOID, invoice, CREATOR)
    wait(bb, lambda: row(bb, invoice.id or 0).status == "void")
    wait(bb, lambda: ids.CORRECT not in buttons(message(bb, invoice)))
    press(bb, ids.CORRECT, invoice)
    told = wait(bb, lambda: ephemerals(bb, ADMIN))
    assert "INV-0001 is void" in told[-1]


def test_someone_who_may_not_void_it_may_not_correct_it(billbot: Billbot) -> None:
    set_up(billbot)
    invoice = make_invoice(billbot, make_client(billbot), user=ADMIN)  # FRENCH_USER neither made it nor is admin
    press(billbot, ids.CORRECT, invoice, FRENCH_USER)
    told = wait(billbot, lambda: ephemerals(billbot, FRENCH_USER))
    assert "Seuls les administrateurs de la facturation" in told[-1]
    assert len(invoices(billbot)) == 1


def test_sessions_billed_on_the_old_invoice_move_to_the_new_one(billbot: Billbot) -> None:
    set_up(billbot)
    client_id = make_client(billbot)
    with billbot.app.services.db.session() as session:
        sessions = [
            Appointment(team_id=TEAM_ID, client_id=client_id, held_on=date(2026, 11, day), description="Séance")
            for day in (2, 9)
        ]
        session.add_all(sessions)
        session.flush()
        session_ids = tuple(s.id or 0 for s in sessions)
    invoice = make_invoice(billbot, client_id, amounts=(6000, 6000), appointment_ids=session_ids)
    view = open_correction(billbot, invoice)
    submit(billbot, view, typed(view, price="65.00"))
    _, new = replaced(billbot, invoice)
    assert new.total == 12500
    with billbot.app.services.db.session() as session:
        moved = session.exec(select(Appointment).where(Appointment.client_id == client_id)).all()
    assert {a.invoice_id for a in moved} == {new.id}


def test_in_french(billbot: Billbot) -> None:
    set_workspace_locale(
        billbot.app.services.db, TEAM_ID, "fr"
    )  # a French practice: what its channels read is French too
    account = set_up(billbot)
    invoice = make_invoice(billbot, make_client(billbot), user=FRENCH_USER, locale="fr")  # its creator may
    view = open_correction(billbot, invoice, FRENCH_USER)
    assert view["title"]["text"] == "Corriger INV-0001"
    block_id, action_id = line_block(view, invoice_ids.LINE_PRICE)
    assert initial_state(view)[block_id][action_id]["value"] == "120,00"
    submit(billbot, view, typed(view, price="130,00"), FRENCH_USER)
    old, new = replaced(billbot, invoice)
    assert "INV-0002, remplace <" in text_of(message(billbot, new))
    assert "Remplacée par <" in text_of(message(billbot, old))
    assert on_stripe(billbot, account, new).total == 13000


# -- Change due date --------------------------------------------------------------------------------------------


def open_due_date(bb: Billbot, invoice: Invoice, user: str = ADMIN) -> dict[str, Any]:
    press(bb, ids.CHANGE_DUE_DATE, invoice, user)
    return filled_view(bb.slack, bb.workspace, user, callback_id=ids.DUE_CALLBACK)


def due_values(day: date) -> dict[str, Any]:
    return {ids.DUE_BLOCK: {ids.DUE_BLOCK: {"type": "datepicker", "selected_date": day.isoformat()}}}


def test_a_due_date_is_checked_inline(scene: Scene) -> None:
    bb, _, _, invoice = scene
    view = open_due_date(bb, invoice)
    assert view["title"]["text"] == "Change due date"
    for day, words in (
        (date.today() - timedelta(days=1), "past"),
        (invoice.due_date, "already the invoice's due date"),
    ):
        answer = submit(bb, view, due_values(day))
        assert answer["response_action"] == "errors" and words in answer["errors"][ids.DUE_BLOCK]
    answer = submit(bb, view, {})
    assert answer["response_action"] == "errors" and answer["errors"][ids.DUE_BLOCK]
    settle(bb)
    assert len(invoices(bb)) == 1


def test_a_due_date_change_is_a_revision_and_the_reminders_follow_it(scene: Scene) -> None:
    bb, account, _, invoice = scene
    turn_on(bb)  # 3 days before, on the day, 7 after; 9:00 in Paris
    db = bb.app.services.db
    old_due = invoice.due_date
    reminded_at = at(old_due - timedelta(days=3)).astimezone(UTC)
    (claimed,) = claims.claim(db, find_due(db, reminded_at), reminded_at)  # a sweep holds the old date's reminder

    new_due = old_due + timedelta(days=10)
    view = open_due_date(bb, invoice)
    answer = submit(bb, view, due_values(new_due))
    assert answer["response_action"] == "update"
    submit(bb, view, due_values(new_due))  # Slack's retry: still one revision
    old, new = replaced(bb, invoice)
    assert (new.due_date, new.total, new.number) == (new_due, invoice.total, "INV-0002")
    revision = on_stripe(bb, account, new)
    assert revision.from_invoice.invoice == old.stripe_invoice_id and revision.total == invoice.total
    assert datetime.fromtimestamp(revision.due_date, UTC).date() == new_due
    assert on_stripe(bb, account, old).status == "void" and len(stripe_invoices(bb, account)) == 2
    wait(bb, lambda: "INV-0002 replaces INV-0001" in json.dumps(top_view(bb, ADMIN)))

    # The claimed reminder of the old date is taken over and skipped: the old invoice is void.
    before = emails(bb, old)
    result = sweep(bb, reminded_at + claims.LEASE + timedelta(minutes=1))
    assert result.skipped >= 1 and emails(bb, old) == before
    assert [d.invoice_id for d in find_due(db, at(old_due).astimezone(UTC))] == []
    follow = at(new_due - timedelta(days=3)).astimezone(UTC)
    assert [(d.invoice_id, d.rule) for d in find_due(db, follow)] == [(new.id, -3)]
    assert claimed is not None


def test_a_member_may_not_change_the_due_date_of_an_invoice_they_did_not_make(scene: Scene) -> None:
    bb, _, _, invoice = scene
    press(bb, ids.CHANGE_DUE_DATE, invoice, FRENCH_USER)
    told = wait(bb, lambda: ephemerals(bb, FRENCH_USER))
    assert "Seuls les administrateurs" in told[-1]
    assert MEMBER == CREATOR  # the creator may: the scene's invoice is theirs
    view = open_due_date(bb, invoice, CREATOR)
    assert view["callback_id"] == ids.DUE_CALLBACK


def test_a_draft_on_stripe_changes_its_due_date_in_place(billbot: Billbot) -> None:
    from flows.invoices.creation.logic import create_invoice, retry_invoice
    from flows.invoices.forms import InvoiceForm, LineForm

    account = set_up(billbot)
    client_id = make_client(billbot)
    billbot.workspace.add_channel(CHANNEL, "payments", members=[ADMIN, FRENCH_USER, MEMBER, "U0BOT"])
    form = InvoiceForm(
        client_id=client_id,
        currency="eur",
        due_date=date.today() + timedelta(days=14),
        lines=(LineForm(service_date=date(2026, 11, 2), description="Consultation", quantity=1, unit_amount=9000),),
    )
    billbot.stripe.fail_next("POST", "/v1/invoices/in_", count=3)  # Stripe fails at finalizing: a draft there
    services, client = billbot.app.services, web(billbot)
    kept = create_invoice(services, client, team_id=TEAM_ID, user_id=ADMIN, locale="en", form=form,
                          request_key="draft-due", channel_id=CHANNEL).invoice  # fmt: skip
    assert kept.status == "draft" and kept.stripe_invoice_id
    new_due = kept.due_date + timedelta(days=5)
    press(billbot, ids.CHANGE_DUE_DATE, kept)
    view = filled_view(billbot.slack, billbot.workspace, ADMIN, callback_id=ids.DUE_CALLBACK)
    assert "still a draft" in json.dumps(view)
    submit(billbot, view, due_values(new_due))
    wait(billbot, lambda: row(billbot, kept.id or 0).due_date == new_due)
    assert datetime.fromtimestamp(on_stripe(billbot, account, kept).due_date, UTC).date() == new_due
    done = retry_invoice(services, client, team_id=TEAM_ID, user_id=ADMIN, locale="en", invoice_id=kept.id or 0)
    assert done.error is None and done.invoice.status == "open" and len(invoices(billbot)) == 1
    assert datetime.fromtimestamp(on_stripe(billbot, account, kept).due_date, UTC).date() == new_due
