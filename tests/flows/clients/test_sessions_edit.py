"""Editing and deleting a client's sessions from their record, through the harness: each session's menu, the
modal prefilled, its rules, the record redrawn; an invoiced session locked (its button says why); retries;
French; non-admins."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.models import Appointment, BillingSettings
from flows.clients import ids as f
from tests.conftest import ADMIN, FRENCH_USER, MEMBER, TEAM_ID, Billbot
from tests.flows.clients.changing import (
    appointments,
    choose,
    open_modal_by_menu,
    record,
    settle,
    view_text,
    wait_top_text,
)
from tests.flows.clients.test_clients import (
    CHANNEL,
    _select,
    add_clients,
    add_service,
    blocks_text,
    let_members_see_clients,
    session_values,
)
from tests.flows.invoices.test_creation import Practice, line, make_practice


def add_session(bb: Billbot, client_id: int, service_id: int, notes: str | None = "Slept badly") -> int:
    with bb.app.services.db.session() as session:
        row = Appointment(team_id=TEAM_ID, client_id=client_id, held_on=date(2026, 3, 4), service_id=service_id,
                          description="Consultation", duration_minutes=50, notes=notes)  # fmt: skip
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def session_menu(message: Any, appointment_id: int) -> dict[str, Any]:
    block = next(b for b in message.blocks if b.get("block_id") == f"session_{appointment_id}")
    return dict(block["accessory"])


def newest(bb: Billbot, before: int, user: str = ADMIN) -> Any:
    found = bb.slack.wait_for(
        lambda: len(bb.workspace.ephemeral(CHANNEL, user)) > before and bb.workspace.ephemeral(CHANNEL, user)
    )
    return found[-1]


def test_edit_a_session_from_the_record(billbot: Billbot) -> None:
    [client_id] = add_clients(billbot, "Anne")
    consultation = add_service(billbot, "Consultation")
    bilan = add_service(billbot, "Bilan", 15000)
    appointment_id = add_session(billbot, client_id, consultation)
    shown = record(billbot, "Anne")
    menu = session_menu(shown, appointment_id)
    assert menu["type"] == "overflow"
    assert [o["text"]["text"] for o in menu["options"]] == ["Edit", "Delete"]

    view = open_modal_by_menu(billbot, f.SESSION_ACTION, f"{f.SESSION_EDIT}:{appointment_id}", f.SESSION_EDIT_CALLBACK)
    assert view["title"]["text"] == "Edit session" and "Slept badly" in view_text(view)
    date_block = next(b for b in view["blocks"] if b.get("block_id") == f.SESSION_DATE)
    assert date_block["element"]["initial_date"] == "2026-03-04"
    before = len(billbot.workspace.ephemeral(CHANNEL, ADMIN))
    values = session_values("2026-03-05", bilan, "60", "Slept better")
    assert billbot.requests.submit(view, values, user=ADMIN).content == b""
    redrawn = newest(billbot, before)
    assert "Bilan · 60 min" in blocks_text(redrawn) and "Slept" not in blocks_text(redrawn)
    [row] = appointments(billbot)
    assert (row.held_on, row.service_id, row.description, row.duration_minutes, row.notes) == (
        date(2026, 3, 5), bilan, "Bilan", 60, "Slept better",
    )  # fmt: skip
    billbot.requests.submit(view, values, user=ADMIN)  # Slack's retry: the same values, nothing else
    settle(billbot)
    assert len(appointments(billbot)) == 1


@pytest.mark.parametrize(
    ("values", "block_id"),
    [
        (session_values(held_on=None), f.SESSION_DATE),
        (session_values(duration="0"), f.SESSION_DURATION),
        (session_values(notes="x" * 3001), f.SESSION_NOTES),
        (session_values(service=999999), f.SESSION_SERVICE),
    ],
)
def test_a_bad_field_is_refused_and_nothing_changes(billbot: Billbot, values: dict[str, Any], block_id: str) -> None:
    [client_id] = add_clients(billbot, "Anne")
    service_id = add_service(billbot)
    appointment_id = add_session(billbot, client_id, service_id)
    record(billbot, "Anne")
    view = open_modal_by_menu(billbot, f.SESSION_ACTION, f"{f.SESSION_EDIT}:{appointment_id}", f.SESSION_EDIT_CALLBACK)
    values = dict(values)
    if block_id != f.SESSION_SERVICE:
        values[f.SESSION_SERVICE] = {f.SESSION_SERVICE: _select(str(service_id))}
    answer = billbot.requests.submit(view, values, user=ADMIN).json()
    assert answer["response_action"] == "errors" and list(answer["errors"]) == [block_id]
    settle(billbot)
    [row] = appointments(billbot)
    assert (row.held_on, row.notes) == (date(2026, 3, 4), "Slept badly")


def test_delete_a_session(billbot: Billbot) -> None:
    [client_id] = add_clients(billbot, "Anne")
    service_id = add_service(billbot)
    appointment_id = add_session(billbot, client_id, service_id)
    record(billbot, "Anne")
    view = open_modal_by_menu(
        billbot, f.SESSION_ACTION, f"{f.SESSION_DELETE}:{appointment_id}", f.SESSION_DELETE_CALLBACK
    )
    assert "Delete the session of Mar 4, 2026 (Consultation)?" in view_text(view)
    before = len(billbot.workspace.ephemeral(CHANNEL, ADMIN))
    assert billbot.requests.submit(view, {}, user=ADMIN).content == b""
    redrawn = newest(billbot, before)
    assert "No sessions" in blocks_text(redrawn) or "no sessions" in blocks_text(redrawn).lower()
    assert appointments(billbot) == []
    billbot.requests.submit(view, {}, user=ADMIN)  # a retry finds nothing to delete, and says nothing wrong
    settle(billbot)


def test_an_invoiced_session_cannot_be_edited_or_deleted(billbot: Billbot) -> None:
    practice: Practice = make_practice(billbot)
    client_id = practice.add_client("Anne")
    service_id = add_service(billbot)
    appointment_id = add_session(billbot, client_id, service_id)
    outcome = practice.create(practice.form(client_id, [line()], appointment_ids=(appointment_id,)))
    number = outcome.invoice.number
    shown = record(billbot, "Anne")
    locked = session_menu(shown, appointment_id)
    assert locked["type"] == "button" and locked["text"]["text"] == f"On {number}: correct the invoice"
    billbot.requests.interact(_button_payload(billbot, locked["value"]))
    wait_top_text(billbot, f"correct or void {number} instead")
    # Forged edit and delete menus on it (an old record, a crafted payload) change nothing.
    choose(billbot, f.SESSION_ACTION, f"{f.SESSION_DELETE}:{appointment_id}")
    wait_top_text(billbot, "cannot be changed here")
    for callback, values in ((f.SESSION_EDIT_CALLBACK, session_values("2026-03-09", service_id)),
                             (f.SESSION_DELETE_CALLBACK, {})):  # fmt: skip
        forged = {"type": "modal", "id": f"V_{callback}", "callback_id": callback, "blocks": [],
                  "private_metadata": f'{{"session":{appointment_id},"client":{client_id}}}'}  # fmt: skip
        billbot.requests.submit(forged, values, user=ADMIN)
    settle(billbot)
    [row] = appointments(billbot)
    assert row.held_on == date(2026, 3, 4) and row.invoice_id == outcome.invoice.id


def _button_payload(bb: Billbot, value: str) -> dict[str, Any]:
    import time

    return {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "practice"},
        "user": {"id": ADMIN, "team_id": TEAM_ID},
        "api_app_id": "A_BILLBOT",
        "trigger_id": bb.slack.issue_trigger_id(TEAM_ID, ADMIN),
        "container": {"type": "message", "channel_id": CHANNEL, "is_ephemeral": True, "message_ts": "1.000"},
        "channel": {"id": CHANNEL, "name": "general"},
        "response_url": bb.slack.issue_response_url(TEAM_ID, CHANNEL, ADMIN),
        "actions": [{"type": "button", "action_id": f.SESSION_ACTION, "block_id": "b", "value": value,
                     "text": {"type": "plain_text", "text": "x"}, "action_ts": f"{time.time():.6f}"}],
    }  # fmt: skip


def test_french_session_menu(billbot: Billbot) -> None:
    billbot.workspace.add_usergroup("S0BILLING", "billing", users=[FRENCH_USER])
    with billbot.app.services.db.session() as session:
        session.add(BillingSettings(team_id=TEAM_ID, currency="eur", billing_admin_group="S0BILLING"))
    [client_id] = add_clients(billbot, "Anne")
    appointment_id = add_session(billbot, client_id, add_service(billbot))
    shown = record(billbot, "Anne", user=FRENCH_USER)
    assert [o["text"]["text"] for o in session_menu(shown, appointment_id)["options"]] == ["Modifier", "Supprimer"]
    view = open_modal_by_menu(
        billbot, f.SESSION_ACTION, f"{f.SESSION_EDIT}:{appointment_id}", f.SESSION_EDIT_CALLBACK, user=FRENCH_USER
    )
    assert view["title"]["text"] == "Modifier la séance"


def test_a_member_cannot_change_sessions(billbot: Billbot) -> None:
    let_members_see_clients(billbot)
    [client_id] = add_clients(billbot, "Anne")
    service_id = add_service(billbot)
    appointment_id = add_session(billbot, client_id, service_id)
    record(billbot, "Anne", user=MEMBER)
    choose(billbot, f.SESSION_ACTION, f"{f.SESSION_DELETE}:{appointment_id}", user=MEMBER)
    wait_top_text(billbot, "Only billing admins", user=MEMBER)
    forged = {"type": "modal", "id": "V_FORGED", "callback_id": f.SESSION_DELETE_CALLBACK, "blocks": [],
              "private_metadata": f'{{"session":{appointment_id}}}'}  # fmt: skip
    billbot.requests.submit(forged, {}, user=MEMBER)
    settle(billbot)
    assert len(appointments(billbot)) == 1
