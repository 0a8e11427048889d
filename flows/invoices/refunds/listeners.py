"""Refunds, the listeners: the Refund button (its modal opens at once), the submission (the row written before the
ack, Stripe after it from the durable work queue), Retry, and Stripe's refund and credit note webhooks.

Billing admins only: the modal refuses others, and so do the submission's ack and Retry (a payload can be forged).
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import blocks, modals
from bot.acks import ack_now
from bot.i18n import t
from bot.models import Invoice, InvoiceRefund, saved_id
from bot.permissions import is_billing_admin
from bot.services import Services
from bot.slack_clients import web_client
from bot.slack_users import locale_of
from bot.typed_numbers import whole_number
from bot.work_queue import after_opens, trigger_bound
from flows.invoices.message.posting import thread_locale, update_invoice_message
from flows.invoices.refunds import ids, logic, validation, views
from flows.invoices.refunds.logic import Transition

log = logging.getLogger(__name__)

REFUND_EVENTS = ("charge.refunded", "refund.updated")


class RefundListeners:
    """The refund buttons' and modal's work, and the webhooks' handlers, over the app's Services."""

    def __init__(self, app: App, services: Services) -> None:
        self.app = app  # its installation store: a workspace's client outside a Slack request
        self.services = services

    # -- Slack plumbing -------------------------------------------------------------------------------------

    def client_for(self, team_id: str) -> WebClient:
        store = self.app.installation_store
        if store is None:
            return self.app.client  # single workspace: the app's client carries SLACK_BOT_TOKEN
        bot = store.find_bot(enterprise_id=None, team_id=team_id)
        return web_client(self.services, bot.bot_token if bot else None)

    def reply(self, web: WebClient, invoice: Invoice, text: str) -> None:
        if not invoice.channel_id or not invoice.message_ts:
            return
        try:
            web.chat_postMessage(channel=invoice.channel_id, thread_ts=invoice.message_ts, text=text)
        except SlackApiError as exc:
            log.warning("thread reply on invoice %s failed: %s", invoice.id, exc.response.get("error"))

    def refresh(self, web: WebClient, invoice_id: int) -> None:
        try:
            update_invoice_message(
                web, invoice_id, db=self.services.db, default_locale=self.services.settings.default_locale
            )
        except SlackApiError as exc:
            log.warning("invoice message %s not updated: %s", invoice_id, exc.response.get("error"))

    def announce(self, web: WebClient, transitions: list[Transition]) -> None:
        """Each change once (the sync handed it to this caller alone): the message re-rendered, a thread reply."""
        refreshed: set[int] = set()
        for change in transitions:
            invoice = change.invoice
            if saved_id(invoice) not in refreshed:
                self.refresh(web, saved_id(invoice))
                refreshed.add(saved_id(invoice))
            rows = logic.refunds_of(saved_id(invoice), db=self.services.db)
            text = views.thread_reply(invoice, change.refund, rows, thread_locale(self.services, invoice))
            if text is not None:
                self.reply(web, invoice, text)

    def notice(self, locale: str, text: str) -> dict[str, Any]:
        return blocks.notice_modal(
            t(locale, "refunds.modal.title"),
            text,
            callback_id=ids.RESULT_CALLBACK,
            close=t(locale, "refunds.modal.done"),
        )

    # -- the Refund button: the modal, at once -------------------------------------------------------------

    @trigger_bound
    def refund_clicked(self, body: dict[str, Any], client: WebClient) -> None:
        shown = modals.open_loading(client, body["trigger_id"])
        if shown is not None:
            after_opens(lambda: modals.fill(client, shown, self.modal_for(body, client)))

    def modal_for(self, body: dict[str, Any], client: WebClient) -> dict[str, Any]:
        services = self.services
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(services, client, team_id, user_id)
        invoice_id = whole_number((body.get("actions") or [{}])[0].get("value"), minimum=1)
        invoice = logic.get_invoice(invoice_id, db=services.db) if invoice_id is not None else None
        if invoice is None or invoice.team_id != team_id:
            return self.notice(locale, t(locale, "refunds.gone"))
        if not is_billing_admin(services.db, client, team_id, user_id):
            return self.notice(locale, t(locale, "refunds.refused", number=invoice.number))
        if not logic.refundable(invoice):
            status = t(locale, f"payments.status.{invoice.status}")
            return self.notice(locale, t(locale, "refunds.not_paid", number=invoice.number, status=status))
        refunds = logic.refunds_of(saved_id(invoice), db=services.db)
        if logic.left_to_refund(invoice, refunds) <= 0:
            return self.notice(locale, views.nothing_left(invoice, refunds, locale))
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        outside = logic.paid_outside_on_stripe(services.stripe, invoice, db=services.db)
        return views.refund_modal(invoice, refunds, locale, outside=outside, channel_id=channel)

    # -- the submission: checked and written in the ack, made on Stripe after it -------------------------------

    def validate_submission(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        services = self.services
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(services, client, team_id, user_id)
        invoice_id = whole_number(modals.metadata(view).get("invoice"), minimum=1)
        invoice = logic.get_invoice(invoice_id, db=services.db) if invoice_id is not None else None
        if invoice is None or invoice.team_id != team_id or not logic.refundable(invoice):
            ack(response_action="update", view=self.notice(locale, t(locale, "refunds.gone")))
            return
        if not is_billing_admin(services.db, client, team_id, user_id):
            ack(response_action="update", view=self.notice(locale, t(locale, "refunds.refused", number=invoice.number)))
            return
        values = (view.get("state") or {}).get("values") or {}
        left = logic.left_to_refund(invoice, logic.refunds_of(saved_id(invoice), db=services.db))
        form, errors = validation.validate(values, currency=invoice.currency, left=left, locale=locale)
        if form is None:
            ack(response_action="errors", errors=errors)
            return
        key = request_key(view, values)
        row = logic.record_request(
            saved_id(invoice), form, team_id=team_id, user_id=user_id, request_key=key, db=services.db
        )
        if row is None:
            ack(response_action="errors", errors={ids.AMOUNT_BLOCK: t(locale, "refunds.error.changed")})
            return
        working = t(
            locale, "refunds.working", amount=views.money_of(row.amount, invoice, locale), number=invoice.number
        )
        ack(response_action="update", view=views.result_modal(locale, working))

    def submitted(self, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        """The durable part: the row the ack wrote (none: the ack refused the submission), made on Stripe."""
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        values = (view.get("state") or {}).get("values") or {}
        row = logic.find_request(team_id, request_key(view, values), db=self.services.db)
        if row is None:
            return
        locale = locale_of(self.services, client, team_id, user_id)
        self.make(client, row, locale, view_id=str(view["id"]))

    def retry_clicked(self, body: dict[str, Any], client: WebClient) -> None:
        services = self.services
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(services, client, team_id, user_id)
        refund_id = whole_number((body.get("actions") or [{}])[0].get("value"), minimum=1)
        row = logic.get_refund(refund_id, db=services.db) if refund_id is not None else None
        view_id = (body.get("view") or {}).get("id")
        invoice = logic.get_invoice(row.invoice_id, db=services.db) if row is not None else None
        if row is None or invoice is None or row.team_id != team_id:
            self.tell(body, client, locale, t(locale, "refunds.gone"))
            return
        if not is_billing_admin(services.db, client, team_id, user_id):
            self.tell(body, client, locale, t(locale, "refunds.refused", number=invoice.number))
            return
        if view_id:
            amount = views.money_of(row.amount, invoice, locale)
            working = t(locale, "refunds.working", amount=amount, number=invoice.number)
            modals.update_view(client, str(view_id), views.result_modal(locale, working))
        self.make(client, row, locale, view_id=str(view_id) if view_id else None, body=body)

    def tell(self, body: dict[str, Any], client: WebClient, locale: str, text: str) -> None:
        """The clicker alone: in the modal they clicked in, or beside the message."""
        view_id = (body.get("view") or {}).get("id")
        if view_id:
            modals.update_view(client, str(view_id), views.result_modal(locale, text))
            return
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        try:
            if channel:
                client.chat_postEphemeral(channel=channel, user=body["user"]["id"], text=text)
            else:
                client.chat_postMessage(channel=body["user"]["id"], text=text)
        except SlackApiError as exc:
            log.warning("could not tell %s: %s", body["user"]["id"], exc.response.get("error"))

    def make(
        self,
        web: WebClient,
        row: InvoiceRefund,
        locale: str,
        *,
        view_id: str | None,
        body: dict[str, Any] | None = None,
    ) -> None:
        pushed = logic.push(self.services.stripe, saved_id(row), db=self.services.db)
        if pushed is None:
            return
        self.announce(web, pushed.transitions)
        invoice, refund = pushed.invoice, pushed.refund
        if pushed.error is not None:
            # Shown on the message with Retry, and said in the thread: the practice sees nothing was refunded.
            self.refresh(web, saved_id(invoice))
            self.reply(
                web, invoice, views.thread_error(invoice, refund, pushed.error, thread_locale(self.services, invoice))
            )
        text = views.outcome_text(invoice, refund, locale, pushed.error, pushed.note_number)
        retry = saved_id(refund) if pushed.error is not None else None
        if view_id:
            modals.update_view(web, view_id, views.result_modal(locale, text, retry_refund_id=retry))
        elif body is not None:
            self.tell(body, web, locale, text)

    # -- Stripe's word ------------------------------------------------------------------------------------

    def on_credit_note(self, event: dict[str, Any]) -> None:
        note = event["data"]["object"]
        invoice = logic.invoice_by_stripe(str(note.get("invoice") or ""), event.get("account"), db=self.services.db)
        self.sync(invoice, event)

    def on_refund_event(self, event: dict[str, Any]) -> None:
        """charge.refunded (the charge, with its refunds) and refund.updated (one refund, failed ones included)."""
        obj = event["data"]["object"]
        if obj.get("object") == "charge":
            refund_ids = [str(r["id"]) for r in ((obj.get("refunds") or {}).get("data") or []) if r.get("id")]
        else:
            refund_ids = [str(obj["id"])]
        intent = obj.get("payment_intent")
        intent_id = str(intent.get("id") if isinstance(intent, dict) else intent) if intent else None
        invoice = logic.invoice_of_refund(
            self.services.stripe, refund_ids, intent_id, event.get("account"), db=self.services.db
        )
        self.sync(invoice, event)

    def sync(self, invoice: Invoice | None, event: dict[str, Any]) -> None:
        if invoice is None:
            log.info("%s %s is about no invoice of ours: ignored", event.get("type"), event["data"]["object"].get("id"))
            return
        # Stripe's current word, not the event's: an event read late can never take a refund back a state.
        transitions = logic.sync(self.services.stripe, invoice, db=self.services.db)
        if transitions:
            self.announce(self.client_for(invoice.team_id), transitions)


def request_key(view: dict[str, Any], values: dict[str, Any]) -> str:
    """Names one submission: Slack's retry, or Refund pressed twice on the same form, finds the same row."""
    raw = json.dumps(validation.raw_values(values), ensure_ascii=False)
    return f"{view.get('id')}:{hashlib.sha256(raw.encode()).hexdigest()[:16]}"


def register(app: App, services: Services) -> None:
    listeners = RefundListeners(app, services)
    app.action(ids.REFUND)(ack=ack_now, lazy=[listeners.refund_clicked])
    app.view(ids.CALLBACK)(ack=listeners.validate_submission, lazy=[listeners.submitted])
    app.action(ids.RETRY)(ack=ack_now, lazy=[listeners.retry_clicked])
    services.stripe_events.on("credit_note.created", listeners.on_credit_note)
    for event_type in REFUND_EVENTS:
        services.stripe_events.on(event_type, listeners.on_refund_event)
