"""A member who may see client records (the practice allows it) but not change them sees a record without the Edit
button, its "More" menu or a session's Edit/Delete menu, which would only refuse them; a billing admin has them
(issue 20). An invoiced session's "why not" button stays: it explains rather than refuses."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.models import Appointment, Invoice
from flows.clients import ids as f
from tests.conftest import ADMIN, FRENCH_USER, MEMBER, TEAM_ID, Billbot
from tests.flows.clients.test_clients import add_clients, add_service, command, let_members_see_clients


def action_ids(message: Any) -> set[str]:
    found: set[str] = set()
    for block in message.blocks or []:
        elements = block.get("elements", []) if block["type"] == "actions" else [block.get("accessory") or {}]
        found |= {str(e["action_id"]) for e in elements if e.get("action_id")}
    return found


def seed(bb: Billbot) -> None:
    [client_id] = add_clients(bb, "Anne Martin")
    service_id = add_service(bb)
    with bb.app.services.db.session() as session:
        invoice = Invoice(
            team_id=TEAM_ID, number="INV-0001", request_key="k", client_id=client_id, currency="eur", status="open",
            due_date=date(2026, 4, 1), total=8000, subtotal=8000, amount_remaining=8000,
        )  # fmt: skip
        session.add(invoice)
        session.flush()
        for day, invoice_id in ((1, invoice.id), (2, None)):
            session.add(
                Appointment(
                    team_id=TEAM_ID, client_id=client_id, held_on=date(2026, 3, day), service_id=service_id,
                    description="Consultation", invoice_id=invoice_id,
                )
            )  # fmt: skip


@pytest.mark.parametrize("user", [MEMBER, FRENCH_USER])
def test_a_member_sees_the_record_without_controls_that_would_refuse_them(billbot: Billbot, user: str) -> None:
    let_members_see_clients(billbot)
    seed(billbot)
    record = command(billbot, "Anne", user=user)
    shown = action_ids(record)
    assert f.EDIT_CLIENT_ACTION not in shown and f.MORE_ACTION not in shown
    overflows = [b for b in record.blocks if (b.get("accessory") or {}).get("type") == "overflow"]
    assert overflows == []  # the uninvoiced session has no Edit/Delete menu
    locked = [b for b in record.blocks if (b.get("accessory") or {}).get("action_id") == f.SESSION_ACTION]
    assert len(locked) == 1  # the invoiced one still says why it cannot change
    assert {f.ADD_SESSION_ACTION, f.NEW_INVOICE_ACTION, f.INVOICE_SESSIONS_ACTION} <= shown


def test_a_billing_admin_has_them(billbot: Billbot) -> None:
    seed(billbot)
    record = command(billbot, "Anne", user=ADMIN)
    shown = action_ids(record)
    assert {f.EDIT_CLIENT_ACTION, f.MORE_ACTION, f.SESSION_ACTION} <= shown
    assert any((b.get("accessory") or {}).get("type") == "overflow" for b in record.blocks)
