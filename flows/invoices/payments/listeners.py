"""Getting paid, the listeners: the invoice message's buttons and the Stripe webhooks that move an invoice along.

Each click is acknowledged at once; its work runs from the durable work queue, at least once. Nothing is
sent, charged or voided twice because every Stripe call carries an idempotency key derived from our
invoice (and, for a charge, the card and the attempt), and because Slack hears of each change once:
``logic.apply_stripe_invoice`` hands a change to exactly one caller, whether a button's own
result or the webhook reporting it got there first.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot import blocks
from bot.acks import ack_now
from bot.documents.upload import upload_invoice_pdf
from bot.i18n import normalise_locale, t
from bot.initials import initials
from bot.models import Client, Invoice, saved_id
from bot.permissions import is_billing_admin, privacy
from bot.services import Services
from bot.slack_clients import web_client
from bot.slack_users import locale_of
from bot.stripe_gateway import GatewayError
from bot.typed_numbers import whole_number
from flows.invoices import ids
from flows.invoices.message.posting import is_private, thread_locale, update_invoice_message
from flows.invoices.payments import logic, pages, record_listeners, views
from flows.invoices.payments.emailing import email_once
from flows.invoices.payments.logic import COLLECTABLE, Change
from flows.stripe_setup import RETURN_PAGE_PREFIX

log = logging.getLogger(__name__)

INVOICE_EVENTS = ("invoice.paid", "invoice.voided", "invoice.marked_uncollectible")


@dataclass(frozen=True)
class _Click:
    web: WebClient
    team_id: str
    user_id: str
    locale: str
    channel_id: str | None
    action_ts: str
    invoice: Invoice
    client: Client


class PaymentsListeners:
    """The payment buttons' lazy work and the Stripe webhooks' handlers, over the app's Services."""

    def __init__(self, app: App, services: Services) -> None:
        self.app = app  # its installation store: a workspace's client outside a Slack request
        self.services = services

    # -- Slack plumbing -------------------------------------------------------------------------------------

    def client_for(self, team_id: str) -> WebClient:
        """A Web API client for the workspace, outside any Slack request (Stripe's webhooks)."""
        store = self.app.installation_store
        if store is None:
            return self.app.client  # single workspace: the app's client carries SLACK_BOT_TOKEN
        bot = store.find_bot(enterprise_id=None, team_id=team_id)
        return web_client(self.services, bot.bot_token if bot else None)

    def tell(self, click: _Click, text: str) -> None:
        """Only the person who clicked sees it: links, email addresses and decline reasons stay with them."""
        channel = click.channel_id or click.invoice.channel_id
        try:
            if channel:
                click.web.chat_postEphemeral(channel=channel, user=click.user_id, text=text)
            else:
                click.web.chat_postMessage(channel=click.user_id, text=text)
        except SlackApiError as exc:
            log.warning("could not tell %s: %s", click.user_id, exc.response.get("error"))

    def reply(self, web: WebClient, invoice: Invoice, text: str) -> None:
        """A thread reply under the invoice message, in the invoice's language."""
        if not invoice.channel_id or not invoice.message_ts:
            return
        try:
            web.chat_postMessage(channel=invoice.channel_id, thread_ts=invoice.message_ts, text=text)
        except SlackApiError as exc:
            log.warning("thread reply on invoice %s failed: %s", invoice.id, exc.response.get("error"))

    def refresh_message(self, web: WebClient, invoice_id: int) -> None:
        """Re-render the invoice message in place: its status and the buttons left."""
        try:
            update_invoice_message(
                web, invoice_id, db=self.services.db, default_locale=self.services.settings.default_locale
            )
        except SlackApiError as exc:
            log.warning("invoice message %s not updated: %s", invoice_id, exc.response.get("error"))

    def announce(self, web: WebClient, change: Change) -> None:
        invoice = change.invoice
        self.refresh_message(web, saved_id(invoice))
        if invoice.status == "void" and invoice.replaced_by_id is not None:
            return  # voided by its correction, whose sessions they now are: flows.invoices.correction tells the thread
        self.reply(
            web,
            invoice,
            views.status_reply(invoice, thread_locale(self.services, invoice), out_of_band=change.paid_out_of_band),
        )

    # -- who clicked what ----------------------------------------------------------------------------------------

    def begin(self, body: dict[str, Any], web: WebClient, *, needs_open: bool = True) -> _Click | None:
        """The click's invoice, once we know this person may act on it (else they are told, and that is all)."""
        action = (body.get("actions") or [{}])[0]
        channel_id = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        return self.begin_for(
            web,
            team_id=body["team"]["id"],
            user_id=body["user"]["id"],
            channel_id=channel_id,
            value=action.get("value"),
            action_ts=str(action.get("action_ts") or ""),
            needs_open=needs_open,
        )

    def begin_for(
        self,
        web: WebClient,
        *,
        team_id: str,
        user_id: str,
        channel_id: str | None,
        value: Any,
        action_ts: str,
        needs_open: bool = True,
    ) -> _Click | None:
        services = self.services
        locale = locale_of(services, web, team_id, user_id)
        # A button's value is text; the send-link confirmation's metadata carries the id as a JSON number.
        invoice_id = whole_number(str(value) if isinstance(value, int) else value)
        if invoice_id is None:
            log.warning("invoice button with value %r ignored", value)
            return None
        found = logic.load(services.db, team_id, invoice_id)
        if found is None:
            if channel_id:
                web.chat_postEphemeral(channel=channel_id, user=user_id, text=t(locale, "payments.not_found"))
            return None
        invoice, client = found
        click = _Click(web, team_id, user_id, locale, channel_id, action_ts, invoice, client)
        if invoice.created_by != user_id and not is_billing_admin(services.db, web, team_id, user_id):
            self.tell(click, t(locale, "payments.refused", number=invoice.number))
            return None
        if needs_open and (invoice.status not in COLLECTABLE or not invoice.stripe_invoice_id):
            self.tell(
                click,
                t(
                    locale,
                    "payments.not_open",
                    number=invoice.number,
                    status=views.status_word(invoice.status, locale),
                ),
            )
            self.refresh_message(web, saved_id(invoice))  # that copy showed stale buttons
            return None
        return click

    # -- the buttons' lazy work ------------------------------------------------------------------------------

    def send_link_clicked(self, body: dict[str, Any], client: WebClient) -> None:
        click = self.begin(body, client)
        if click is not None:
            self.confirm_send_link(click, body["trigger_id"])

    def send_link_confirmed(self, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        try:
            metadata = json.loads(view.get("private_metadata") or "{}")
        except ValueError:
            return
        if not isinstance(metadata, dict):
            return
        click = self.begin_for(
            client,
            team_id=body["team"]["id"],
            user_id=body["user"]["id"],
            channel_id=metadata.get("channel") if isinstance(metadata.get("channel"), str) else None,
            value=metadata.get("invoice"),
            action_ts=str(view.get("id") or ""),
        )
        if click is not None:
            self.send_link(click)

    def download_pdf_clicked(self, body: dict[str, Any], client: WebClient) -> None:
        click = self.begin(body, client, needs_open=False)
        if click is not None and self.download_pdf(click):
            self.say_where_the_pdf_went(click, body)

    def add_payment_method_clicked(self, body: dict[str, Any], client: WebClient) -> None:
        click = self.begin(body, client)
        if click is not None:
            self.add_payment_method(click)

    def void_clicked(self, body: dict[str, Any], client: WebClient) -> None:
        click = self.begin(body, client)
        if click is not None:
            self.void(click)

    # -- what each button does, once the click is known to be allowed --------------------------------------

    def stripe_failed(self, click: _Click, exc: GatewayError) -> None:
        log.warning("invoice %s: Stripe refused (%s): %s", click.invoice.id, exc.code, exc)
        key = "payments.stripe_down" if exc.retryable else "payments.stripe_refused"
        self.tell(click, t(click.locale, key, reason=str(exc)[:300]))

    def catch_up(self, click: _Click) -> Invoice:
        """Stripe's current status of the invoice, recorded (and announced) if ours was behind."""
        invoice = click.invoice
        try:
            current = self.services.stripe.retrieve_invoice(invoice.stripe_account_id, invoice.stripe_invoice_id or "")
        except GatewayError as exc:
            log.warning("invoice %s not read back from Stripe: %s", invoice.id, exc)
            return invoice
        change = logic.apply_stripe_invoice(self.services.db, current, invoice.stripe_account_id)
        if change is not None:
            self.announce(click.web, change)
            return change.invoice
        return invoice

    def confirm_send_link(self, click: _Click, trigger_id: str) -> None:
        if not click.client.email:
            self.tell(click, t(click.locale, "payments.no_email", client=click.client.name))
            return
        view = views.send_link_modal(click.invoice, click.client, click.locale, channel_id=click.channel_id)
        try:
            click.web.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as exc:
            log.warning("send-link confirmation not opened: %s", exc.response.get("error"))

    def download_pdf(self, click: _Click) -> bool:
        """The invoice as the practice's template renders it, in the clicker's DM: it holds the client's address.

        True once sent; False when Slack refused it (the person is told why)."""
        invoice, locale = click.invoice, click.locale
        try:
            dm = click.web.chat_postMessage(
                channel=click.user_id, text=t(locale, "payments.pdf.sent", number=invoice.number)
            )
            upload_invoice_pdf(
                self.services,
                click.web,
                team_id=click.team_id,
                invoice_id=saved_id(invoice),
                channel_id=str(dm["channel"]),
                thread_ts=str(dm["ts"]),
                locale=locale,
            )
        except SlackApiError as exc:
            log.warning("PDF of invoice %s not uploaded: %s", invoice.id, exc.response.get("error"))
            self.tell(click, t(locale, "payments.pdf.failed", number=invoice.number, reason=exc.response.get("error")))
            return False
        return True

    def say_where_the_pdf_went(self, click: _Click, body: dict[str, Any]) -> None:
        """Where the person clicked, only to them: the file went to their DM, with the way there."""
        where = blocks.app_messages_link(click.team_id, body.get("api_app_id"), t(click.locale, "payments.pdf.where"))
        text = t(click.locale, "payments.pdf.sent_where", number=click.invoice.number, where=where)
        response_url = body.get("response_url")
        if not isinstance(response_url, str) or not response_url:
            self.tell(click, text)
            return
        # The response_url reaches the clicker even in a channel Billbot has left since the card was posted.
        try:
            answered = WebhookClient(response_url).send(text=text, response_type="ephemeral", replace_original=False)
        except OSError as exc:
            log.info("response_url post failed: %s", exc)
            self.tell(click, text)
            return
        if answered.status_code != 200:
            log.info("response_url answered %s: %s", answered.status_code, answered.body)
            self.tell(click, text)

    def send_link(self, click: _Click) -> None:
        invoice, client, locale = click.invoice, click.client, click.locale
        if not client.email:
            self.tell(click, t(locale, "payments.no_email", client=client.name))
            return
        # One email per invoice from this button; the reminders re-send later ones on their schedule.
        try:
            sent = email_once(self.services, invoice)
        except GatewayError as exc:
            self.stripe_failed(click, exc)
            self.catch_up(click)
            return
        if sent is not None:
            url = sent.get("hosted_invoice_url") or invoice.hosted_invoice_url or ""
            self.reply(
                click.web,
                invoice,
                t(
                    thread_locale(self.services, invoice),
                    "payments.thread.link_sent",
                    number=invoice.number,
                    user=click.user_id,
                ),
            )
            self.tell(click, t(locale, "payments.link_sent", number=invoice.number, email=client.email, url=url))
            return
        self.tell(
            click,
            t(
                locale,
                "payments.link_already_sent",
                number=invoice.number,
                email=client.email,
                url=invoice.hosted_invoice_url or "",
            ),
        )

    def add_payment_method(self, click: _Click) -> None:
        invoice, client, locale = click.invoice, click.client, click.locale
        # The client's customer must be on the invoice's own account (after a disconnect it can be on the new one).
        if not client.stripe_customer_id or client.stripe_account_id != invoice.stripe_account_id:
            self.tell(click, t(locale, "payments.no_customer", client=client.name))
            return
        public = self.services.settings.public_url.rstrip("/")
        lang = normalise_locale(invoice.locale)

        def back(saved: str) -> str:
            return f"{public}/stripe/return?{urlencode({pages.CARD_SAVED: saved, 'lang': lang})}"

        metadata = {"billbot_team": click.team_id, "billbot_client": str(client.id), "billbot_invoice": str(invoice.id)}
        try:
            session = self.services.stripe.create_setup_session(
                client.stripe_account_id,
                customer_id=client.stripe_customer_id,
                currency=invoice.currency.lower(),
                success_url=back("1"),
                cancel_url=back("0"),
                metadata=metadata,
                locale=lang,
                # Slack's retry of this click gets the same session; another click, a fresh one.
                idempotency_key=f"billbot-invoice-{invoice.id}-setup-{click.user_id}-{click.action_ts}",
            )
        except GatewayError as exc:
            self.stripe_failed(click, exc)
            return
        self.tell(click, t(locale, "payments.setup_link", client=client.name, url=session.get("url") or ""))

    def void(self, click: _Click) -> None:
        invoice = click.invoice
        try:
            voided = self.services.stripe.void_invoice(
                invoice.stripe_account_id,
                invoice.stripe_invoice_id or "",
                idempotency_key=f"billbot-invoice-{invoice.id}-void",
            )
        except GatewayError as exc:
            self.stripe_failed(click, exc)
            self.catch_up(click)
            return
        change = logic.apply_stripe_invoice(self.services.db, voided, invoice.stripe_account_id)
        if change is not None:
            self.announce(click.web, change)

    # -- Stripe's word --------------------------------------------------------------------------------------

    def on_invoice_event(self, event: dict[str, Any]) -> None:
        """invoice.paid / voided / marked_uncollectible: our row, the message and a thread reply, once."""
        change = logic.apply_stripe_invoice(self.services.db, event["data"]["object"], event.get("account"))
        if change is not None:
            self.announce(self.client_for(change.invoice.team_id), change)

    def on_payment_failed(self, event: dict[str, Any]) -> None:
        obj = event["data"]["object"]
        invoice = logic.find_by_stripe(self.services.db, str(obj["id"]), event.get("account"))
        if invoice is None:
            log.info("invoice.payment_failed for %s, not one of ours: ignored", obj.get("id"))
            return
        # A failure reported after the invoice was paid or voided changes nothing (claim_payment_failure).
        if logic.claim_payment_failure(self.services.db, invoice, int(obj.get("attempt_count") or 0)):
            web = self.client_for(invoice.team_id)
            self.reply(
                web,
                invoice,
                t(thread_locale(self.services, invoice), "payments.thread.payment_failed", number=invoice.number),
            )

    def on_checkout_completed(self, event: dict[str, Any]) -> None:
        """A client saved a card through "Add payment method": it becomes their default for invoices."""
        session = event["data"]["object"]
        metadata = session.get("metadata") or {}
        if session.get("mode") != "setup" or "billbot_client" not in metadata:
            return
        account = event.get("account")
        services = self.services
        with services.db.session() as db_session:
            client = db_session.get(Client, int(metadata["billbot_client"]))
        if (
            client is None
            or client.team_id != metadata.get("billbot_team")
            or client.stripe_customer_id != session.get("customer")
            or client.stripe_account_id != account
        ):
            log.info("checkout.session.completed %s matches none of our clients: ignored", session.get("id"))
            return
        intent = services.stripe.retrieve_setup_intent(account, str(session["setup_intent"]))
        card = intent.get("payment_method")
        if isinstance(card, dict):
            card = card.get("id")
        if not card:
            log.warning("setup intent %s of session %s has no payment method", intent.get("id"), session.get("id"))
            return
        services.stripe.set_default_payment_method(account, client.stripe_customer_id or "", str(card))
        open_invoices = logic.save_default_card(services.db, saved_id(client), str(card))
        web = self.client_for(client.team_id)
        for invoice in open_invoices:
            if invoice.message_ts:
                self.refresh_message(web, saved_id(invoice))
        asked_from = next((i for i in open_invoices if str(i.id) == metadata.get("billbot_invoice")), None)
        if asked_from is not None and services.db.claim_once(client.team_id, "invoice_card_saved", str(session["id"])):
            # The thread is the channel's to read: initials, as on the card, unless the practice shows names.
            named = is_private(asked_from.channel_id) or privacy(services.db, client.team_id).full_channel_cards
            shown = client.name if named else initials(client.name)
            self.reply(
                web, asked_from, t(thread_locale(self.services, asked_from), "payments.thread.card_saved", client=shown)
            )


def register(app: App, services: Services) -> None:
    listeners = PaymentsListeners(app, services)
    app.action(ids.SEND_LINK)(ack=ack_now, lazy=[listeners.send_link_clicked])
    app.view(ids.SEND_LINK_CONFIRM_CALLBACK)(ack=ack_now, lazy=[listeners.send_link_confirmed])
    app.action(ids.ADD_PAYMENT_METHOD)(ack=ack_now, lazy=[listeners.add_payment_method_clicked])
    app.action(ids.VOID)(ack=ack_now, lazy=[listeners.void_clicked])
    app.action(ids.DOWNLOAD_PDF)(ack=ack_now, lazy=[listeners.download_pdf_clicked])
    # "Mark as paid" opens Record payment, "Charge card on file" the amount to charge (record_listeners).
    record_listeners.register(app, services, listeners)

    for event_type in INVOICE_EVENTS:
        services.stripe_events.on(event_type, listeners.on_invoice_event)
    services.stripe_events.on("invoice.payment_failed", listeners.on_payment_failed)
    services.stripe_events.on("checkout.session.completed", listeners.on_checkout_completed)

    # Where the client's browser lands after saving a card: /stripe/return, the set-up flow's page, hands the
    # links carrying ``card_saved`` (see add_payment_method) to this one, whatever order the flows registered in.
    services.pages[RETURN_PAGE_PREFIX + pages.CARD_SAVED] = pages.card_saved_page
