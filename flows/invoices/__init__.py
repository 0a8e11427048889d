"""Invoices, from the modal to a paid invoice (clients and the services catalogue are flows.clients).

One package, several parts, each with its own register():
- ``modal``: the invoice modal (`/invoice`, the "New invoice" shortcut, the buttons on a client's record);
- ``creation``: our invoice row first, then Stripe, then the invoice message;
- ``payments``: the message's buttons (payment link, payment method, charge, mark paid, void) and the
  Stripe webhooks that move an invoice along;
- ``listing``: `/invoice list [open|paid|overdue]` and `/invoice INV-0042`;
- ``private_card``: one invoice as one reader may see it, and the channel card's Details button.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.services import Services
from bot.slack_users import ensure_workspace, locale_for
from flows.invoices import creation, listing, modal, payments, private_card
from flows.invoices.action_ids import MARK_PAID as MARK_PAID_ACTION
from flows.invoices.modal import on_client_created, open_invoice_modal

SLASH_COMMANDS = ("/invoice",)
SHORTCUTS = ("new_invoice",)
EVENTS: tuple[str, ...] = ()

# For other flows: MARK_PAID_ACTION, the invoice message's "Mark as paid" button (a reminder digest shows it too).
__all__ = [
    "EVENTS",
    "MARK_PAID_ACTION",
    "SHORTCUTS",
    "SLASH_COMMANDS",
    "on_client_created",
    "open_invoice_modal",
    "register",
]


def register(app: App, services: Services) -> None:
    def ack_now(ack: Ack) -> None:
        ack()

    def invoice_command(command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        team_id, user_id = command["team_id"], command["user_id"]
        ensure_workspace(services.db, team_id, command.get("team_domain"))
        locale = locale_for(services.db, client, team_id, user_id, services.settings.default_locale)
        text = (command.get("text") or "").strip()
        if not text:
            modal.open_invoice_modal(
                services,
                client,
                trigger_id=command["trigger_id"],
                team_id=team_id,
                user_id=user_id,
                locale=locale,
                channel_id=command.get("channel_id"),
            )
        else:
            listing.answer(
                services, client, team_id=team_id, user_id=user_id, locale=locale, text=text, respond=respond
            )

    def new_invoice_shortcut(body: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        ensure_workspace(services.db, team_id)
        locale = locale_for(services.db, client, team_id, user_id, services.settings.default_locale)
        # A global shortcut has no channel: the invoice goes to the user's DM with the bot.
        modal.open_invoice_modal(
            services, client, trigger_id=body["trigger_id"], team_id=team_id, user_id=user_id, locale=locale
        )

    app.command("/invoice")(ack=ack_now, lazy=[invoice_command])
    app.shortcut("new_invoice")(ack=ack_now, lazy=[new_invoice_shortcut])
    modal.register(app, services)
    creation.register(app, services)
    payments.register(app, services)
    private_card.register(app, services)
