"""A client's record left open behind the invoice modal is drawn again once its sessions are invoiced: it no
longer offers "Invoice uninvoiced sessions (2)" nor says "No invoices yet" (issue 20, stale screens)."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import pytest

from bot.models import Appointment, StripeAccount
from flows.clients import ids as f
from flows.invoices import ids as invoice_ids
from tests.conftest import ADMIN, FRENCH_USER, TEAM_ID, Billbot
from tests.flows.clients.test_clients import (
    CHANNEL,
    add_clients,
    add_service,
    blocks_text,
    button,
    command,
    let_members_see_clients,
)
from tests.flows.invoices.test_creation import make_practice
from tests.harness.invoice_modal import initial_state
from tests.harness.views import filled_view

CASES = {
    ADMIN: ("No invoices yet", "Invoice uninvoiced sessions (2)"),
    FRENCH_USER: ("Aucune facture pour l’instant", "Facturer les séances non facturées (2)"),
}


def click_on_record(bb: Billbot, record: Any, action_id: str, value: str, user: str) -> None:
    """A button of the record, with the response_url Slack gives a click on that very message."""
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "practice"},
        "user": {"id": user, "team_id": TEAM_ID},
        "api_app_id": "A_BILLBOT",
        "trigger_id": bb.slack.issue_trigger_id(TEAM_ID, user),
        "container": {"type": "message", "channel_id": CHANNEL, "is_ephemeral": True, "message_ts": record.ts},
        "channel": {"id": CHANNEL, "name": "general"},
        "response_url": bb.slack.issue_response_url(TEAM_ID, CHANNEL, user, original_ts=record.ts),
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b",
                "value": value,
                "text": {"type": "plain_text", "text": action_id},
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    assert bb.requests.interact(payload).status_code == 200


def the_record(bb: Billbot, user: str, ts: str) -> Any:
    return next(m for m in bb.workspace.ephemeral(CHANNEL, user) if m.ts == ts)


@pytest.mark.parametrize("user", [ADMIN, FRENCH_USER])
def test_the_open_record_is_redrawn_once_its_sessions_are_invoiced(billbot: Billbot, user: str) -> None:
    no_invoices, offer = CASES[user]
    make_practice(billbot)
    with billbot.app.services.db.session() as session:
        account = session.get(StripeAccount, TEAM_ID)
        assert account is not None
        account.charges_enabled = True  # payments set up: the invoice modal takes the submission
        session.add(account)
    let_members_see_clients(billbot)  # FRENCH_USER is a member
    [client_id] = add_clients(billbot, "Anne Martin")
    service_id = add_service(billbot, "Consultation", 8000)
    with billbot.app.services.db.session() as session:
        for day in (3, 4):
            session.add(
                Appointment(team_id=TEAM_ID, client_id=client_id, held_on=date(2026, 3, day), service_id=service_id,
                            description="Consultation", duration_minutes=50)
            )  # fmt: skip
    record = command(billbot, "Anne", user=user)
    assert no_invoices in blocks_text(record) and offer in blocks_text(record)

    click_on_record(billbot, record, f.INVOICE_SESSIONS_ACTION, str(client_id), user)
    view = filled_view(billbot.slack, billbot.workspace, user, callback_id=invoice_ids.CALLBACK, timeout=30.0)
    submitted = billbot.requests.submit(view, initial_state(view), user=user)
    assert submitted.status_code == 200 and b"errors" not in submitted.content, submitted.content

    def redrawn() -> Any:
        shown = the_record(billbot, user, record.ts)
        return shown if "INV-0001" in blocks_text(shown) else None

    shown = billbot.slack.wait_for(redrawn, timeout=30.0)
    assert button(shown, f.INVOICE_SESSIONS_ACTION) is None  # nothing left to invoice
    assert offer not in blocks_text(shown) and no_invoices not in blocks_text(shown)
    assert len(billbot.workspace.ephemeral(CHANNEL, user)) == 1  # in place, not a second record
