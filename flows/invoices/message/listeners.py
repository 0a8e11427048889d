"""The invoice message's own listener: the channel card's **Details** button (its payment buttons are payments')."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.acks import ack_now
from bot.i18n import t
from bot.permissions import access
from bot.services import Services
from bot.slack_users import locale_of, member_today
from bot.typed_numbers import whole_number
from flows.invoices import ids
from flows.invoices.creation import store
from flows.invoices.message.posting import update_invoice_message
from flows.invoices.message.private_card import Message, card_for

log = logging.getLogger(__name__)


class MessageListeners:
    """The Details button's lazy work, over the app's Services."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def details_clicked(self, body: dict[str, Any], client: WebClient) -> None:
        services = self.services
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        if not isinstance(channel, str) or not channel:
            return
        locale = locale_of(services, client, team_id, user_id)
        # The value comes back from outside: ASCII digits within an id's range, or nothing is looked up.
        invoice_id = whole_number((body.get("actions") or [{}])[0].get("value"), minimum=1)
        if invoice_id is None:
            return
        bundle = store.load(invoice_id, db=services.db)
        reader = access(services.db, client, team_id, user_id)
        if bundle is None or bundle.invoice.team_id != team_id:
            message: Message = {"text": t(locale, "privacy.details.gone")}
        elif not reader.invoice_details(bundle.invoice):
            message = {"text": t(locale, "privacy.details.forbidden", number=bundle.invoice.number)}
        else:
            today = member_today(services.db, client, team_id, user_id)
            # The card above keeps the buttons: this answer is for reading only.
            message = card_for(bundle, reader, locale, today, buttons=False, db=services.db)
        try:
            client.chat_postEphemeral(channel=channel, user=user_id, **message)
        except SlackApiError as exc:
            log.warning("invoice details for %s not shown: %s", user_id, exc.response.get("error"))


def register(app: App, services: Services) -> None:
    listeners = MessageListeners(services)
    # For the clients flow: a client renamed, merged or erased is shown anew on their invoices' messages.
    services.refresh_invoice_message = lambda web, invoice_id: update_invoice_message(
        web, invoice_id, db=services.db, default_locale=services.settings.default_locale
    )
    app.action(ids.DETAILS)(ack=ack_now, lazy=[listeners.details_clicked])
