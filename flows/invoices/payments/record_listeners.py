"""Record a payment (received outside Stripe) and charge part of an invoice on the card: the modals' listeners.

"Mark as paid" opens the Record payment modal (trigger-bound, a light modal first). Its submission is
checked in the ack (an inline error per bad field, nothing written) and, when good, our ``InvoicePayment``
row is written before Slack hears "ok", under a key naming the modal (Slack's retry and a double press find
that row). The durable part then reports it to Stripe and attaches it to the invoice, each call keyed by the
row; Stripe failing midway leaves the row and a Retry button, which resumes the same payment.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time
from typing import Any, Protocol

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import modals
from bot.acks import ack_now
from bot.i18n import t
from bot.models import Client, Invoice, InvoicePayment, saved_id
from bot.permissions import is_billing_admin
from bot.services import Services
from bot.slack_users import locale_of, member, member_today
from bot.stripe_gateway import GatewayError
from bot.timezones import zone
from bot.typed_numbers import whole_number
from bot.work_queue import after_opens, trigger_bound
from flows.invoices import ids as invoice_ids
from flows.invoices.message.posting import thread_locale
from flows.invoices.payments import ids, logic, record_views, recording
from flows.invoices.payments.logic import COLLECTABLE, Change
from flows.invoices.payments.record_validation import Limits, read_charge, read_record
from flows.invoices.payments.views import status_word

log = logging.getLogger(__name__)

DECLINED = frozenset({"card_declined", "authentication_required", "expired_card", "insufficient_funds"})


class Plumbing(Protocol):
    """What the payment buttons' listeners (listeners.PaymentsListeners) lend these: replies and re-renders."""

    services: Services

    def client_for(self, team_id: str) -> WebClient: ...

    def reply(self, web: WebClient, invoice: Invoice, text: str) -> None: ...

    def refresh_message(self, web: WebClient, invoice_id: int) -> None: ...

    def announce(self, web: WebClient, change: Change) -> None: ...


def request_key(view: dict[str, Any]) -> str:
    """One payment per modal: Slack's retry of the submission, or a second press, names the same row."""
    return f"payment:{view.get('id')}"


def _stamp(day: Any) -> int:
    """A paid-on date as Stripe's timestamp: noon UTC keeps the day in most zones, never later than now."""
    noon = datetime.combine(day, time(12), UTC)
    return int(min(noon, datetime.now(UTC)).timestamp())


class RecordListeners:
    """The Record payment and Charge modals, over the payment buttons' own plumbing (replies, re-renders)."""

    def __init__(self, payments: Plumbing) -> None:
        self.payments = payments
        self.services = payments.services

    # -- who may, on what -------------------------------------------------------------------------------------

    def allowed(
        self, web: WebClient, team_id: str, user_id: str, value: Any, locale: str
    ) -> tuple[Invoice, Client] | str:
        """The invoice and its client when this person may take a payment on it; else why not, in words."""
        invoice_id = whole_number(str(value) if isinstance(value, int) else value)
        found = logic.load(self.services.db, team_id, invoice_id) if invoice_id is not None else None
        if found is None:
            return t(locale, "payments.not_found")
        invoice, client = found
        if invoice.created_by != user_id and not is_billing_admin(self.services.db, web, team_id, user_id):
            return t(locale, "payments.refused", number=invoice.number)
        if invoice.status not in COLLECTABLE or not invoice.stripe_invoice_id:
            return t(locale, "payments.not_open", number=invoice.number, status=status_word(invoice.status, locale))
        return invoice, client

    def limits(self, web: WebClient, invoice: Invoice, user_id: str, *, besides: int | None = None) -> Limits:
        db = self.services.db
        tz = member(db, web, invoice.team_id, user_id).tz
        return Limits(
            currency=invoice.currency,
            balance=recording.balance_left(db, invoice, besides=besides),
            today=member_today(db, web, invoice.team_id, user_id),
            earliest=invoice.created_at.replace(tzinfo=invoice.created_at.tzinfo or UTC).astimezone(zone(tz)).date(),
        )

    # -- opening the modals (trigger-bound) -----------------------------------------------------------------------

    @trigger_bound
    def record_clicked(self, body: dict[str, Any], client: WebClient) -> None:
        self._open(body, client, charge=False)

    @trigger_bound
    def charge_clicked(self, body: dict[str, Any], client: WebClient) -> None:
        self._open(body, client, charge=True)

    def _open(self, body: dict[str, Any], web: WebClient, *, charge: bool) -> None:
        shown = modals.open_loading(web, body["trigger_id"])
        if shown is None:
            return

        def fill() -> None:
            team_id, user_id = body["team"]["id"], body["user"]["id"]
            locale = locale_of(self.services, web, team_id, user_id)
            action = (body.get("actions") or [{}])[0]
            channel_id = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
            found = self.allowed(web, team_id, user_id, action.get("value"), locale)
            if isinstance(found, str):
                modals.fill(web, shown, record_views.result_modal(locale, found))
                return
            invoice, client = found
            if charge and not self.card_of(invoice, client):
                text = t(locale, "payments.no_card", client=client.name)
                modals.fill(web, shown, record_views.result_modal(locale, text))
                return
            limits = self.limits(web, invoice, user_id)
            if charge:
                view = record_views.charge_modal(invoice, client, limits.balance, locale, channel_id=channel_id)
            else:
                view = record_views.record_modal(
                    invoice, client, limits.balance, locale, today=limits.today, channel_id=channel_id
                )
            modals.fill(web, shown, view)

        after_opens(fill)

    # -- the submission: checked and written in the ack -------------------------------------------------------

    def validate_record(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        self._validate(ack, body, view, client, charge=False)

    def validate_charge(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        self._validate(ack, body, view, client, charge=True)

    def _validate(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], web: WebClient, *, charge: bool) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(self.services, web, team_id, user_id)
        db = self.services.db
        key = request_key(view)
        existing = recording.find_by_request(db, team_id, key)
        if existing is None:
            found = self.allowed(web, team_id, user_id, modals.metadata(view).get("invoice"), locale)
            if isinstance(found, str):
                ack(response_action="update", view=record_views.result_modal(locale, found))
                return
            invoice, client = found
            if charge and not self.card_of(invoice, client):
                ack(
                    response_action="update",
                    view=record_views.result_modal(locale, t(locale, "payments.no_card", client=client.name)),
                )
                return
            values = (view.get("state") or {}).get("values") or {}
            read = read_charge if charge else read_record
            form, errors = read(values, self.limits(web, invoice, user_id), locale)
            if form is None:
                ack(response_action="errors", errors=errors)
                return
            source = recording.THROUGH_STRIPE if charge else recording.OUTSIDE
            recording.save_payment(db, invoice=invoice, form=form, source=source, request_key=key, user_id=user_id)
        ack(response_action="update", view=record_views.result_modal(locale, t(locale, "record.working")))

    # -- the durable part: Stripe, then our rows and Slack -------------------------------------------------------

    def submitted(self, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        row = recording.find_by_request(self.services.db, body["team"]["id"], request_key(view))
        if row is not None:
            self.push(client, saved_id(row), user_id=body["user"]["id"], view_id=str(view["id"]))

    def retry(self, body: dict[str, Any], client: WebClient) -> None:
        payment_id = whole_number((body.get("actions") or [{}])[0].get("value"))
        view_id = (body.get("view") or {}).get("id")
        row = recording.get_payment(self.services.db, payment_id) if payment_id is not None else None
        if row is None or row.team_id != body["team"]["id"] or not view_id:
            return
        user_id = body["user"]["id"]
        locale = locale_of(self.services, client, row.team_id, user_id)
        found = self.allowed(client, row.team_id, user_id, row.invoice_id, locale)
        if isinstance(found, str) and row.stripe_invoice_payment_id is None:
            # No longer open (paid another way meanwhile) or not theirs: say so rather than push a payment.
            modals.update_view(client, str(view_id), record_views.result_modal(locale, found))
            return
        self.push(client, saved_id(row), user_id=user_id, view_id=str(view_id))

    def push(self, web: WebClient, payment_id: int, *, user_id: str, view_id: str) -> None:
        db = self.services.db
        row = recording.get_payment(db, payment_id)
        invoice = logic.get_invoice(db, row.invoice_id) if row is not None else None
        if row is None or invoice is None:
            return
        locale = locale_of(self.services, web, row.team_id, user_id)
        modals.update_view(web, view_id, record_views.result_modal(locale, t(locale, "record.working")))
        try:
            fresh = self.to_stripe(web, row, invoice)
        except GatewayError as exc:
            log.warning("payment %s of invoice %s: Stripe refused (%s): %s", row.id, invoice.id, exc.code, exc)
            if exc.retryable:
                text = t(locale, "record.failed", reason=str(exc)[:300])
                view = record_views.result_modal(locale, text, retry_payment_id=payment_id)
            else:
                recording.drop_payment(db, payment_id)
                if row.source == recording.OUTSIDE:
                    logic.forget_marked_paid(db, invoice)
                key = "record.declined" if exc.code in DECLINED or exc.status == 402 else "record.refused"
                view = record_views.result_modal(locale, t(locale, key, number=invoice.number, reason=str(exc)[:300]))
                self.catch_up(web, invoice)
            modals.update_view(web, view_id, view)
            return
        text = record_views.recorded_text(fresh, row.amount, row.method, locale)
        modals.update_view(web, view_id, record_views.result_modal(locale, text))

    def catch_up(self, web: WebClient, invoice: Invoice) -> None:
        try:
            current = self.services.stripe.retrieve_invoice(invoice.stripe_account_id, invoice.stripe_invoice_id or "")
        except GatewayError:
            return
        self.apply(web, current, invoice)

    def card_of(self, invoice: Invoice, client: Client) -> str | None:
        # A card saved on another Stripe account (after a disconnect) cannot pay this invoice.
        same_account = client.stripe_account_id == invoice.stripe_account_id
        return client.default_payment_method if same_account else None

    def to_stripe(self, web: WebClient, row: InvoicePayment, invoice: Invoice) -> Invoice:
        """Report (or charge) and attach, each once; our invoice as Stripe has it after."""
        db = self.services.db
        whole = row.amount >= recording.balance_due(invoice)
        if row.stripe_invoice_payment_id is None:
            if whole and row.source == recording.OUTSIDE:
                # So that whichever of us and the webhook records "paid" says it was paid outside Stripe.
                logic.note_marked_paid(db, invoice)
            if row.source == recording.OUTSIDE:
                attached = self.attach_outside(row, invoice)
            else:
                attached = self.attach_charge(row, invoice, whole=whole)
            found = recording.invoice_payment_of(
                attached, payment_record=row.stripe_payment_record_id, payment_intent=row.stripe_payment_intent_id
            )
            if found:
                recording.note_stripe_ids(db, saved_id(row), invoice_payment=found)
        else:
            attached = self.services.stripe.retrieve_invoice(invoice.stripe_account_id, invoice.stripe_invoice_id or "")
        fresh = self.apply(web, attached, invoice)
        if fresh.status != "paid" and db.claim_once(row.team_id, "invoice_payment_told", str(row.id)):
            self.payments.reply(
                web,
                fresh,
                record_views.recorded_text(fresh, row.amount, row.method, thread_locale(self.services, fresh)),
            )
        return fresh

    def attach_outside(self, row: InvoicePayment, invoice: Invoice) -> dict[str, Any]:
        gateway, db = self.services.stripe, self.services.db
        account = invoice.stripe_account_id
        record_id = row.stripe_payment_record_id
        if record_id is None:
            with db.session() as session:
                client = session.get(Client, invoice.client_id)
            customer = client.stripe_customer_id if client and client.stripe_account_id == account else None
            record = gateway.report_payment(
                account,
                amount=row.amount,
                currency=row.currency,
                paid_at=_stamp(row.paid_on),
                method_name=t(invoice.locale, f"record.method.{row.method}"),
                reference=row.reference,
                customer_id=customer,
                metadata={
                    "billbot_team": row.team_id,
                    "billbot_invoice": str(invoice.id),
                    "billbot_payment": str(row.id),
                },
                idempotency_key=f"billbot-payment-{row.id}-report",
            )
            record_id = str(record["id"])
            recording.note_stripe_ids(db, saved_id(row), payment_record=record_id)
            row.stripe_payment_record_id = record_id
        return gateway.attach_payment(
            account,
            invoice.stripe_invoice_id or "",
            payment_record=record_id,
            idempotency_key=f"billbot-payment-{row.id}-attach",
        )

    def attach_charge(self, row: InvoicePayment, invoice: Invoice, *, whole: bool) -> dict[str, Any]:
        """The saved card charged: all of it through Stripe's own invoice payment (``invoices.pay``); a part as a
        PaymentIntent attached to the invoice first, then confirmed (Stripe's order for partial payments)."""
        gateway, db = self.services.stripe, self.services.db
        account, stripe_id = invoice.stripe_account_id, invoice.stripe_invoice_id or ""
        with db.session() as session:
            client = session.get(Client, invoice.client_id)
        card = self.card_of(invoice, client) if client is not None else None
        if client is None or not card or not client.stripe_customer_id:
            raise GatewayError("No card on file", code="no_card", status=400)
        if whole:
            return gateway.pay_invoice(
                account, stripe_id, payment_method=card, idempotency_key=f"billbot-payment-{row.id}-pay"
            )
        intent_id = row.stripe_payment_intent_id
        if intent_id is None:
            intent = gateway.charge_part(
                account,
                amount=row.amount,
                currency=row.currency,
                customer_id=client.stripe_customer_id,
                payment_method=card,
                description=f"Payment for Invoice {invoice.number}",
                metadata={
                    "billbot_team": row.team_id,
                    "billbot_invoice": str(invoice.id),
                    "billbot_payment": str(row.id),
                },
                idempotency_key=f"billbot-payment-{row.id}-intent",
            )
            intent_id = str(intent["id"])
            recording.note_stripe_ids(db, saved_id(row), payment_intent=intent_id)
            row.stripe_payment_intent_id = intent_id
        attached = gateway.attach_payment(
            account, stripe_id, payment_intent=intent_id, idempotency_key=f"billbot-payment-{row.id}-attach"
        )
        gateway.confirm_part(account, intent_id, idempotency_key=f"billbot-payment-{row.id}-confirm")
        # The invoice once the charge is in; its payments (with ours) as the attach listed them.
        current = gateway.retrieve_invoice(account, stripe_id)
        current["payments"] = attached.get("payments")
        return current

    def apply(self, web: WebClient, stripe_invoice: dict[str, Any], invoice: Invoice) -> Invoice:
        """Stripe's figures and status on our row; the message re-rendered (and the status told) by who moved it."""
        db = self.services.db
        change = logic.apply_stripe_invoice(db, stripe_invoice, invoice.stripe_account_id)
        if change is not None:
            self.payments.announce(web, change)
            return change.invoice
        moved = recording.apply_amounts(db, stripe_invoice, invoice)
        if moved is not None:
            self.payments.refresh_message(web, saved_id(moved))
            return moved
        return logic.get_invoice(db, saved_id(invoice)) or invoice

    # -- Stripe's word ---------------------------------------------------------------------------------------

    def on_invoice_updated(self, event: dict[str, Any]) -> None:
        """invoice.updated: a part payment's new amount_paid / amount_remaining, applied once and never backwards."""
        obj = event["data"]["object"]
        invoice = logic.find_by_stripe(self.services.db, str(obj.get("id")), event.get("account"))
        if invoice is None:
            return
        moved = recording.apply_amounts(self.services.db, obj, invoice)
        if moved is not None:
            self.payments.refresh_message(self.payments.client_for(moved.team_id), saved_id(moved))

    def on_invoice_payment_paid(self, event: dict[str, Any]) -> None:
        """invoice_payment.paid: our payment row learns Stripe's id for it (so it no longer counts as pending)."""
        recording.link_invoice_payment(self.services.db, event["data"]["object"])


def register(app: App, services: Services, payments: Plumbing) -> None:
    listeners = RecordListeners(payments)
    app.action(invoice_ids.MARK_PAID)(ack=ack_now, lazy=[listeners.record_clicked])
    app.action(invoice_ids.CHARGE_CARD)(ack=ack_now, lazy=[listeners.charge_clicked])
    app.view(ids.RECORD_CALLBACK)(ack=listeners.validate_record, lazy=[listeners.submitted])
    app.view(ids.CHARGE_CALLBACK)(ack=listeners.validate_charge, lazy=[listeners.submitted])
    app.action(ids.RETRY_ACTION)(ack=ack_now, lazy=[listeners.retry])
    services.stripe_events.on("invoice.updated", listeners.on_invoice_updated)
    services.stripe_events.on("invoice_payment.paid", listeners.on_invoice_payment_paid)
