"""Helpers for the tests of changing a client (edit, merge, archive, forget) and their sessions."""

from __future__ import annotations

import time
from typing import Any

import stripe
from sqlmodel import select

from bot.models import Appointment, Client, Invoice
from flows.clients import ids as f
from tests.conftest import ADMIN, TEAM_ID, Billbot
from tests.flows.clients.test_clients import CHANNEL, click_in_message, client_values, command
from tests.flows.invoices.test_creation import Practice
from tests.harness.views import filled_view


def edit_values(language: str | None = "en", **fields: Any) -> dict[str, Any]:
    values = client_values(**fields)
    option = {"text": {"type": "plain_text", "text": language}, "value": language} if language else None
    values[f.LANGUAGE] = {f.LANGUAGE: {"type": "static_select", "selected_option": option}}
    return values


def choose(bb: Billbot, action_id: str, value: str, user: str = ADMIN) -> Any:
    """An option chosen in an overflow menu of an ephemeral message (the record's "More", a session's "⋯")."""
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "practice"},
        "user": {"id": user, "team_id": TEAM_ID},
        "api_app_id": "A_BILLBOT",
        "trigger_id": bb.slack.issue_trigger_id(TEAM_ID, user),
        "container": {"type": "message", "channel_id": CHANNEL, "is_ephemeral": True, "message_ts": "1.000"},
        "channel": {"id": CHANNEL, "name": "general"},
        "response_url": bb.slack.issue_response_url(TEAM_ID, CHANNEL, user),
        "actions": [
            {
                "type": "overflow",
                "action_id": action_id,
                "block_id": "b",
                "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value},
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return bb.requests.interact(payload)


def open_modal_by_click(bb: Billbot, action_id: str, value: str, callback_id: str, user: str = ADMIN) -> dict[str, Any]:
    click_in_message(bb, action_id, value, user)
    view: dict[str, Any] = filled_view(bb.slack, bb.workspace, user, callback_id=callback_id)
    return view


def open_modal_by_menu(bb: Billbot, action_id: str, value: str, callback_id: str, user: str = ADMIN) -> dict[str, Any]:
    choose(bb, action_id, value, user)
    view: dict[str, Any] = filled_view(bb.slack, bb.workspace, user, callback_id=callback_id)
    return view


def top_view(bb: Billbot, user: str = ADMIN) -> dict[str, Any]:
    stack = bb.workspace.views(user)
    return dict(stack[-1]) if stack else {}


def view_text(view: dict[str, Any]) -> str:
    import json

    return json.dumps(view.get("blocks"), ensure_ascii=False)


def wait_top_text(bb: Billbot, needle: str, user: str = ADMIN) -> dict[str, Any]:
    found: dict[str, Any] = bb.slack.wait_for(lambda: needle in view_text(top_view(bb, user)) and top_view(bb, user))
    return found


def record(bb: Billbot, name: str, user: str = ADMIN) -> Any:
    return command(bb, name, user=user)


def client_row(bb: Billbot, client_id: int) -> Client:
    with bb.app.services.db.session() as session:
        row = session.get(Client, client_id)
        assert row is not None
        session.expunge(row)
        return row


def appointments(bb: Billbot) -> list[Appointment]:
    with bb.app.services.db.session() as session:
        return list(session.exec(select(Appointment).order_by(Appointment.id)))  # type: ignore[arg-type]


def invoices(bb: Billbot) -> list[Invoice]:
    with bb.app.services.db.session() as session:
        return list(session.exec(select(Invoice).order_by(Invoice.id)))  # type: ignore[arg-type]


def give_customer(practice: Practice, client_id: int) -> str:
    """A Stripe customer for the client, on the practice's account, as the first invoice would make."""
    row = client_row(practice.bb, client_id)
    made = practice.services.stripe.create_customer(
        practice.account, name=row.name, email=row.email, idempotency_key=f"test-customer-{client_id}", metadata={}
    )
    with practice.services.db.session() as session:
        stored = session.get(Client, client_id)
        assert stored is not None
        stored.stripe_customer_id, stored.stripe_account_id = made["id"], practice.account
        session.add(stored)
    return str(made["id"])


def stripe_customer(practice: Practice, customer_id: str) -> dict[str, Any]:
    client = stripe.StripeClient(practice.bb.stripe.api_key, base_addresses={"api": practice.bb.stripe.url})
    found = client.v1.customers.retrieve(customer_id, None, {"stripe_account": practice.account})
    return found.to_dict()


def settle(bb: Billbot, timeout: float = 30.0) -> None:
    """The durable queue empty (retries included), so "nothing more happened" is not read too early."""
    bb.slack.wait_for(lambda: bb.app.services.work.counts() == {"pending": 0, "failed": 0}, timeout=timeout)
