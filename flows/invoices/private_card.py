"""One invoice as one reader may see it: `/invoice INV-0042`, and the channel card's **Details** button.

The channel card shows the number, the client's initials, amounts, dates and status. What else a reader gets
follows bot.permissions.Access: the client's name and the lines for the invoice's creator, billing admins (and
every member when the practice allows it); the memo and session notes for the creator and billing admins.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import col, select

from bot.i18n import t
from bot.models import Appointment
from bot.permissions import Access, access
from bot.services import Services
from bot.slack_users import locale_for, member_today
from bot.typed_numbers import whole_number
from flows.invoices import action_ids
from flows.invoices import creation_store as store
from flows.invoices.invoice_message import invoice_message

log = logging.getLogger(__name__)

Message = dict[str, Any]


def session_notes(services: Services, team_id: str, invoice_id: int) -> list[tuple[date, str]]:
    """The notes of the sessions this invoice bills, oldest first (sessions without a note left out)."""
    with services.db.session() as session:
        query = (
            select(col(Appointment.held_on), col(Appointment.notes))
            .where(Appointment.team_id == team_id, Appointment.invoice_id == invoice_id)
            .where(col(Appointment.notes).is_not(None))
            .order_by(col(Appointment.held_on), col(Appointment.id))
        )
        return [(held_on, notes) for held_on, notes in session.exec(query).all() if notes and notes.strip()]


def card_for(
    services: Services, bundle: store.InvoiceBundle, reader: Access, locale: str, today: date, *, buttons: bool
) -> Message:
    """The invoice for ``reader`` alone (an ephemeral answer); ``buttons``: with the payment buttons."""
    invoice = bundle.invoice
    assert invoice.id is not None
    private = reader.private_notes(invoice)
    notes = session_notes(services, invoice.team_id, invoice.id) if private else None
    if reader.invoice_details(invoice):
        text, blocks = invoice_message(
            invoice, bundle.lines, bundle.client, bundle.rates, locale, private=private, full_card=True,
            notes=notes, today=today,
        )  # fmt: skip
    else:
        text, blocks = invoice_message(
            invoice, bundle.lines, bundle.client, bundle.rates, locale, details_button=False,
            notice=t(locale, "privacy.invoice.limited"), today=today,
        )  # fmt: skip
    if not buttons:
        blocks = [block for block in blocks if block.get("type") != "actions"]
    return {"text": text, "blocks": blocks}


def register(app: App, services: Services) -> None:
    def ack_now(ack: Ack) -> None:
        ack()

    def details_clicked(body: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        if not isinstance(channel, str) or not channel:
            return
        locale = locale_for(services.db, client, team_id, user_id, services.settings.default_locale)
        # The value comes back from outside: ASCII digits within an id's range, or nothing is looked up.
        invoice_id = whole_number((body.get("actions") or [{}])[0].get("value"), minimum=1)
        if invoice_id is None:
            return
        bundle = store.load(services, invoice_id)
        reader = access(services.db, client, team_id, user_id)
        if bundle is None or bundle.invoice.team_id != team_id:
            message: Message = {"text": t(locale, "privacy.details.gone")}
        elif not reader.invoice_details(bundle.invoice):
            message = {"text": t(locale, "privacy.details.forbidden", number=bundle.invoice.number)}
        else:
            today = member_today(services.db, client, team_id, user_id)
            # The card above keeps the buttons: this answer is for reading only.
            message = card_for(services, bundle, reader, locale, today, buttons=False)
        try:
            client.chat_postEphemeral(channel=channel, user=user_id, **message)
        except SlackApiError as exc:
            log.warning("invoice details for %s not shown: %s", user_id, exc.response.get("error"))

    app.action(action_ids.DETAILS)(ack=ack_now, lazy=[details_clicked])
