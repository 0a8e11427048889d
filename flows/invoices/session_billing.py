"""Invoicing given sessions without the modal, for other flows (``services.invoice_sessions``, bot/flow_hooks.py):
the calendar's session-end prompt.

Nothing here is new invoice logic. The lines are the invoice modal's own "Invoice uninvoiced sessions" prefill
(``modal.logic.new_draft``), checked by the modal's own validation and created by the modal's creation path under
the caller's request key, so one key makes one invoice and a second call resumes it. Collecting it goes through
the invoice message's own paths: Send payment link's email (``payments.emailing``, once per invoice) or Charge card
on file's payment (``payments.record_listeners``: one InvoicePayment row per key, every Stripe call keyed by it).
"""

from __future__ import annotations

from dataclasses import replace

from slack_bolt import App
from slack_sdk import WebClient
from sqlmodel import col, select

from bot.flow_hooks import SessionsInvoiced
from bot.i18n import t
from bot.models import Appointment, Client, Invoice, saved_id
from bot.services import Services
from bot.slack_users import member_today
from bot.stripe_gateway import GatewayError
from flows.invoices.creation import logic as creation
from flows.invoices.creation import store
from flows.invoices.message.posting import thread_locale
from flows.invoices.modal import logic as modal_logic
from flows.invoices.modal import validation
from flows.invoices.modal.draft import Draft
from flows.invoices.modal.views import MAX_LINES
from flows.invoices.payments import recording
from flows.invoices.payments.emailing import email_once
from flows.invoices.payments.listeners import PaymentsListeners
from flows.invoices.payments.record_listeners import DECLINED, RecordListeners

COLLECT = ("send", "charge")


def _result(outcome: str, invoice: Invoice, **fields: str | None) -> SessionsInvoiced:
    return SessionsInvoiced(
        outcome=outcome,
        invoice_id=saved_id(invoice),
        number=invoice.number,
        total=invoice.total,
        currency=invoice.currency,
        status=invoice.status,
        **fields,
    )


class SessionBilling:
    """``services.invoice_sessions``: over the invoice message's own payment listeners (replies, re-renders)."""

    def __init__(self, app: App, services: Services) -> None:
        self.services = services
        self.payments = PaymentsListeners(app, services)
        self.charges = RecordListeners(self.payments)

    def __call__(
        self,
        web: WebClient,
        *,
        team_id: str,
        user_id: str,
        locale: str,
        appointment_ids: tuple[int, ...],
        request_key: str,
        collect: str = "send",
        service_id: int | None = None,
    ) -> SessionsInvoiced:
        if collect not in COLLECT:
            raise ValueError(f"collect is one of {COLLECT}, not {collect!r}")
        existing = store.find_by_request_key(team_id, request_key, db=self.services.db)
        if existing is None:
            made = self._create(web, team_id, user_id, locale, appointment_ids, request_key, service_id)
            if isinstance(made, SessionsInvoiced):
                return made
            outcome = made
        else:
            # An earlier call's invoice: finished where it stopped (Stripe, the message), nothing made twice.
            outcome = creation.retry_invoice(
                self.services, web, team_id=team_id, user_id=user_id, locale=locale, invoice_id=saved_id(existing)
            )
        invoice = outcome.invoice
        if outcome.error is not None:
            return _result("failed", invoice, message=outcome.error)
        if invoice.status == "paid":
            return _result("done", invoice)
        if collect == "send":
            return self._send(web, invoice, user_id, locale)
        return self._charge(web, invoice, user_id, locale, f"{request_key}:charge")

    def _create(
        self,
        web: WebClient,
        team_id: str,
        user_id: str,
        locale: str,
        appointment_ids: tuple[int, ...],
        request_key: str,
        service_id: int | None,
    ) -> creation.Outcome | SessionsInvoiced:
        db = self.services.db
        with db.session() as session:
            sessions = session.exec(
                select(Appointment).where(Appointment.team_id == team_id, col(Appointment.id).in_(appointment_ids))
            ).all()
            taken = next((a.invoice_id for a in sessions if a.invoice_id is not None), None)
            other = session.get(Invoice, taken) if taken is not None else None
        clients = {a.client_id for a in sessions}
        if len(sessions) != len(set(appointment_ids)) or len(clients) != 1:
            raise ValueError(f"sessions {appointment_ids} are not one client's sessions of {team_id}")
        if other is not None:
            return SessionsInvoiced(outcome="elsewhere", invoice_id=other.id, number=other.number, status=other.status)
        catalog = modal_logic.load_catalog(team_id, db=db)
        today = member_today(db, web, team_id, user_id)
        (client_id,) = clients
        draft = modal_logic.new_draft(
            db=db, team_id=team_id, locale=locale, today=today, max_lines=MAX_LINES, channel_id=None,
            client_id=client_id, appointment_ids=appointment_ids, catalog=catalog,
        )  # fmt: skip
        if service_id is not None:
            draft = _billing(draft, catalog, service_id, locale)
        chosen = modal_logic.client_to_invoice(team_id, client_id, db=db)
        form, errors = validation.validate(draft, catalog, chosen, locale, today)
        if form is None:
            return SessionsInvoiced(outcome="refused", message=" ".join(dict.fromkeys(errors.values())))
        return creation.create_invoice(
            self.services, web, team_id=team_id, user_id=user_id, locale=locale, form=form,
            request_key=request_key, channel_id=None,
        )  # fmt: skip

    def _send(self, web: WebClient, invoice: Invoice, user_id: str, locale: str) -> SessionsInvoiced:
        client = self._client(invoice)
        try:
            sent = email_once(self.services, invoice)
        except GatewayError as exc:
            key = "payments.stripe_down" if exc.retryable else "payments.stripe_refused"
            return _result("failed", invoice, message=t(locale, key, reason=str(exc)[:300]))
        if sent is not None:
            text = t(
                thread_locale(self.services, invoice), "payments.thread.link_sent", number=invoice.number, user=user_id
            )
            self.payments.reply(web, invoice, text)
        return _result("done", invoice, sent_to=client.email)

    def _charge(self, web: WebClient, invoice: Invoice, user_id: str, locale: str, key: str) -> SessionsInvoiced:
        db = self.services.db
        client = self._client(invoice)
        if not self.charges.card_of(invoice, client):
            return _result("declined", invoice, message=t(locale, "payments.no_card", client=client.name))
        row = recording.find_by_request(db, invoice.team_id, key)
        if row is None:
            amount = recording.balance_left(db, invoice)
            today = member_today(db, web, invoice.team_id, user_id)
            form = recording.PaymentForm(method=recording.CARD, paid_on=today, amount=amount, reference=None)
            row = recording.save_payment(
                db, invoice=invoice, form=form, source=recording.THROUGH_STRIPE, request_key=key, user_id=user_id
            )
        try:
            fresh = self.charges.to_stripe(web, row, invoice)
        except GatewayError as exc:
            if exc.retryable:  # the row stays: the next call resumes the same payment with the same keys
                return _result("failed", invoice, message=t(locale, "record.failed", reason=str(exc)[:300]))
            recording.drop_payment(db, saved_id(row))
            self.charges.catch_up(web, invoice)
            refusal = "record.declined" if exc.code in DECLINED or exc.status == 402 else "record.refused"
            return _result(
                "declined", invoice, message=t(locale, refusal, number=invoice.number, reason=str(exc)[:300])
            )
        return _result("done", fresh)

    def _client(self, invoice: Invoice) -> Client:
        with self.services.db.session() as session:
            client = session.get(Client, invoice.client_id)
        assert client is not None
        return client


def _billing(draft: Draft, catalog: modal_logic.Catalog, service_id: int, locale: str) -> Draft:
    """Each line for ``service_id`` (a no-show fee) instead of its session's own service: its name and price."""
    service = catalog.service(service_id)
    if service is None:
        raise ValueError(f"service {service_id} is not one of the practice's active services")
    lines = tuple(
        modal_logic.filled_from_service(replace(line, description=service.name), service, catalog, locale)
        for line in draft.lines
    )
    return replace(draft, lines=lines)


def register(app: App, services: Services) -> None:
    services.invoice_sessions = SessionBilling(app, services)
