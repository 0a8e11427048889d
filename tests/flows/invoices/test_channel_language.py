"""What everyone in a channel reads follows the workspace's language; what one member reads follows theirs.

A French member creating an invoice in a channel of an English workspace gets their confirmation in French, while
the card, its re-rendering after the payment and its thread replies are in English; once an admin sets the
language of channel messages to French in `/billing settings`, the next card is French.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from bot.models import Invoice
from flows.billing_settings import ids as settings_ids
from flows.invoices import ids
from tests.conftest import ADMIN, FRENCH_USER, Billbot
from tests.flows.billing_settings.test_billing_settings import open_settings, save, settings_values, wait_view
from tests.flows.invoices.test_modal import Practice, filled, invoices, line_keys, submit, text, type_in, wait_text
from tests.harness.views import filled_view

CHANNEL = "C_SHARED"


def create_in_channel(
    bb: Billbot, practice: Practice, client_id: int, user: str, price: str, number: str
) -> dict[str, Any]:
    """The invoice modal from /invoice in the shared channel, filled and created; the modal's last view."""
    assert bb.requests.command("/invoice", user=user, channel=CHANNEL).status_code == 200
    view = filled_view(bb.slack, bb.workspace, user)
    values = filled(bb, practice, view, client_id, "Élodie Dupré")
    type_in(values, view, line_keys(view)[0], ids.LINE_PRICE, price)
    assert submit(bb, view, values, user)["response_action"] == "update"
    return wait_text(bb, view["id"], number)


def card(bb: Billbot, invoice: Invoice) -> str:
    message = bb.workspace.message(CHANNEL, invoice.message_ts or "")
    return json.dumps(message.blocks, ensure_ascii=False)


def the_invoice(bb: Billbot, number: str) -> Invoice:
    found = bb.slack.wait_for(lambda: [i for i in invoices(bb) if i.number == number and i.message_ts])
    invoice: Invoice = found[0]
    return invoice


def test_a_card_in_a_channel_follows_the_workspace_and_the_confirmation_its_creator(billbot: Billbot) -> None:
    bb = billbot
    practice = Practice(bb)
    client_id = practice.client("Élodie Dupré")
    bb.workspace.add_channel(CHANNEL, name="shared", members=[ADMIN, FRENCH_USER, "U0BOT"])

    # The French member's own confirmation is French; the card everyone in the channel reads is English.
    result = create_in_channel(bb, practice, client_id, FRENCH_USER, "80,00", "INV-0001")
    assert "Elle est publiée dans" in text(result), text(result)
    invoice = the_invoice(bb, "INV-0001")
    assert invoice.locale == "fr"  # the creator's language stays the invoice's own (its PDF, the client's email)
    shown = card(bb, invoice)
    assert "Invoice INV-0001" in shown and "Facture" not in shown

    # Paid on Stripe's hosted page: the card re-rendered in place stays English, and so does its thread reply.
    assert httpx.post(invoice.hosted_invoice_url or "", data={"card_number": "4242424242424242"}).status_code == 200
    bb.slack.wait_for(lambda: "Paid" in card(bb, invoice))
    assert "Payée" not in card(bb, invoice)
    replies = bb.slack.wait_for(
        lambda: [
            m.text or "" for m in bb.workspace.thread(CHANNEL, invoice.message_ts or "") if m.ts != invoice.message_ts
        ]
    )
    assert replies[0].startswith("Invoice INV-0001 is paid"), replies

    # A billing admin sets the language of channel messages to French: the next card is French, and the English
    # admin's own confirmation stays English.
    view = open_settings(bb, ADMIN)
    language = next(b for b in view["blocks"] if b.get("block_id") == settings_ids.CHANNEL_LANGUAGE)
    assert language["element"]["initial_option"]["value"] == "en"
    assert {o["text"]["text"] for o in language["element"]["options"]} == {"English", "Français"}
    values = settings_values()
    values[settings_ids.CHANNEL_LANGUAGE] = {
        settings_ids.CHANNEL_LANGUAGE: {"type": "static_select", "selected_option": {"value": "fr"}}
    }
    assert save(bb, view, values)["response_action"] == "update"
    wait_view(bb, view["id"], "Messages in channels: Français")
    while bb.workspace.views(ADMIN):
        bb.workspace.pop_view(ADMIN)  # the person closes the notice
    reopened = open_settings(bb, ADMIN)  # the choice is kept
    language = next(b for b in reopened["blocks"] if b.get("block_id") == settings_ids.CHANNEL_LANGUAGE)
    assert language["element"]["initial_option"]["value"] == "fr"
    bb.workspace.pop_view(ADMIN)

    result = create_in_channel(bb, practice, client_id, ADMIN, "90.00", "INV-0002")
    assert "It is posted in" in text(result)
    second = the_invoice(bb, "INV-0002")
    assert "Facture INV-0002" in card(bb, second) and "Invoice INV-0002" not in card(bb, second)


def test_a_wrong_language_is_refused_in_the_modal_and_nothing_is_saved(billbot: Billbot) -> None:
    Practice(billbot)
    view = open_settings(billbot, ADMIN)
    values = settings_values()
    values[settings_ids.CHANNEL_LANGUAGE] = {
        settings_ids.CHANNEL_LANGUAGE: {"type": "static_select", "selected_option": {"value": "de"}}
    }
    answer = save(billbot, view, values)
    assert answer["response_action"] == "errors" and settings_ids.CHANNEL_LANGUAGE in answer["errors"]
