"""A practice with invoices made, paid, part paid, refunded and voided through the real flows on the Stripe
emulator, for the report tests; and the report as the asker sees it."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import httpx

from bot.models import BillingSettings, Invoice
from bot.sandbox.slack.records import Message
from flows.invoices.creation.logic import create_invoice
from flows.invoices.forms import InvoiceForm, LineForm
from tests.conftest import ADMIN, TEAM_ID, Billbot
from tests.flows.invoices.test_payments import CHANNEL, CREATOR, row, settle, wait, web

_keys = itertools.count(1)
REPORT_CHANNEL = "C_GENERAL"


def invoice(bb: Billbot, client_id: int, amounts: tuple[int, ...], *, currency: str = "eur",
            user: str = CREATOR, description: str = "Consultation") -> Invoice:  # fmt: skip
    bb.workspace.add_channel(CHANNEL, "payments", members=[ADMIN, CREATOR, "U0BOT"])
    lines = tuple(
        LineForm(service_date=date.today(), description=description, quantity=1, unit_amount=amount)
        for amount in amounts
    )
    form = InvoiceForm(client_id=client_id, currency=currency, due_date=date.today() + timedelta(days=14),
                       lines=lines)  # fmt: skip
    outcome = create_invoice(
        bb.app.services, web(bb), team_id=TEAM_ID, user_id=user, locale="en", form=form,
        request_key=f"report-{next(_keys)}", channel_id=CHANNEL,
    )  # fmt: skip
    assert outcome.error is None, outcome.error
    return row(bb, outcome.invoice.id or 0)


def pay_on_stripe(bb: Billbot, found: Invoice) -> Invoice:
    paid = httpx.post(found.hosted_invoice_url or "", data={"card_number": "4242424242424242"}, timeout=10)
    assert paid.status_code == 200, paid.text
    wait(bb, lambda: row(bb, found.id or 0).status == "paid")
    settle(bb)
    return row(bb, found.id or 0)


def widen_privacy(bb: Billbot) -> None:
    with bb.app.services.db.session() as session:
        settings = session.get(BillingSettings, TEAM_ID) or BillingSettings(team_id=TEAM_ID, currency="eur")
        settings.members_see_client_details = True
        session.add(settings)


def ask(bb: Billbot, text: str, user: str = ADMIN) -> Message:
    """`/billing report <text>`; the private answer the asker gets."""
    before = len(bb.workspace.ephemeral(REPORT_CHANNEL, user))
    response = bb.requests.command("/billing", f"report {text}".strip(), user=user, channel=REPORT_CHANNEL)
    assert response.status_code == 200 and response.content == b""
    found: list[Message] = wait(bb, lambda: bb.workspace.ephemeral(REPORT_CHANNEL, user)[before:] or None)
    return found[-1]


def text_of(message: Message) -> str:
    parts = [message.text or ""]
    for block in message.blocks or []:
        if "text" in block:
            parts.append(block["text"]["text"])
        for element in block.get("elements", []):
            text = element.get("text")
            parts.append(text["text"] if isinstance(text, dict) else str(text or ""))
    return "\n".join(parts)


def export_button(message: Message) -> dict[str, Any]:
    for block in message.blocks or []:
        for element in block.get("elements", []):
            if element.get("action_id") == "reports_export_csv":
                return dict(element)
    raise AssertionError("no Export CSV button")
