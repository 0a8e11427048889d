"""Corrections' listeners: the invoice message's **Correct** and **Change due date**, and the due-date modal.

Both buttons open a modal, so they are trigger-bound (bot.work_queue): a light modal at once, then the reads (who
clicked, the invoice as it is now) and the real modal, or a notice with the reason it is refused (the same reason
also said privately in the channel). **Correct** opens the invoice modal itself, prefilled; its Create goes through
the modal's own submission (flows.invoices.modal.listeners) with the old invoice's id. The due-date modal's
submission is checked in its ack and done durably after it, down invoice creation's path.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import modals
from bot.acks import ack_now
from bot.i18n import t
from bot.models import Invoice
from bot.services import Services
from bot.slack_users import locale_of, member_today
from bot.stripe_gateway import GatewayError
from bot.typed_numbers import whole_number
from bot.work_queue import after_opens, trigger_bound
from flows.invoices.correction import ids, logic, validation, views
from flows.invoices.creation import logic as creation
from flows.invoices.creation import store
from flows.invoices.modal import logic as modal_logic
from flows.invoices.modal import views as modal_views

log = logging.getLogger(__name__)


class CorrectionListeners:
    """The two buttons' openers and the due-date modal's ack and work, over the app's Services."""

    def __init__(self, services: Services) -> None:
        self.services = services

    # -- the buttons -----------------------------------------------------------------------------------------

    @trigger_bound
    def correct_clicked(self, body: dict[str, Any], client: WebClient) -> None:
        shown = modals.open_loading(client, body["trigger_id"])
        if shown is not None:
            after_opens(lambda: self._fill(body, client, shown, due_date=False))

    @trigger_bound
    def due_date_clicked(self, body: dict[str, Any], client: WebClient) -> None:
        shown = modals.open_loading(client, body["trigger_id"])
        if shown is not None:
            after_opens(lambda: self._fill(body, client, shown, due_date=True))

    def _fill(self, body: dict[str, Any], client: WebClient, shown: modals.Shown, *, due_date: bool) -> None:
        services = self.services
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(services, client, team_id, user_id)
        channel = _channel(body)
        invoice_id = whole_number((body.get("actions") or [{}])[0].get("value"), minimum=1)
        reason = (
            t(locale, "correction.refused.gone")
            if invoice_id is None
            else validation.refused(services.db, client, team_id, user_id, invoice_id, locale)
        )
        if reason is not None:
            modals.fill(client, shown, views.notice(locale, reason))
            self._tell(client, channel, user_id, reason)
            return
        assert invoice_id is not None
        bundle = logic.load(team_id, invoice_id, db=services.db)
        assert bundle is not None
        if due_date:
            modals.fill(client, shown, views.due_date_modal(bundle.invoice, locale, channel_id=channel))
            return
        catalog = modal_logic.load_catalog(team_id, db=services.db)
        draft = logic.prefill(bundle, catalog, locale)
        # The invoice modal itself: its lines, totals and Create work as for a new invoice.
        modals.fill(client, shown, modal_views.invoice_modal(draft, catalog, locale))

    def _tell(self, client: WebClient, channel: str | None, user_id: str, text: str) -> None:
        try:
            if channel:
                client.chat_postEphemeral(channel=channel, user=user_id, text=text)
        except SlackApiError as exc:
            log.warning("could not tell %s: %s", user_id, exc.response.get("error"))

    # -- the due-date modal ----------------------------------------------------------------------------------

    def _due_submission(
        self, body: dict[str, Any], view: dict[str, Any], client: WebClient, *, resuming: bool = False
    ) -> tuple[str, store.InvoiceBundle | None, date | None, dict[str, str]]:
        """(locale, the invoice, the new due date, errors); ``resuming``: a run of this very submission made its
        new invoice already, so the old one being replaced is no refusal."""
        services = self.services
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(services, client, team_id, user_id)
        invoice_id = whole_number(str(modals.metadata(view).get("invoice")), minimum=1)
        reason = (
            t(locale, "correction.refused.gone")
            if invoice_id is None
            else None
            if resuming
            else validation.refused(services.db, client, team_id, user_id, invoice_id, locale)
        )
        bundle = logic.load(team_id, invoice_id, db=services.db) if invoice_id is not None else None
        if reason is not None or bundle is None:
            return locale, None, None, {ids.DUE_BLOCK: reason or t(locale, "correction.refused.gone")}
        today = member_today(services.db, client, team_id, user_id)
        due, errors = validation.new_due_date(view, bundle.invoice, today, locale)
        return locale, bundle, due, errors

    def due_date_validate(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        locale, _, _, errors = self._due_submission(body, view, client)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack(response_action="update", view=views.notice(locale, t(locale, "invoice_modal.creating")))

    def due_date_submitted(self, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        picked = validation.picked_date(view)
        key = f"{view['id']}:due:{picked.isoformat() if picked else ''}"
        resuming = store.find_by_request_key(team_id, key, db=self.services.db) is not None
        locale, bundle, due, errors = self._due_submission(body, view, client, resuming=resuming)
        if errors or bundle is None or due is None:
            return  # the ack showed these errors; the modal stays open for the person to fix them
        invoice = bundle.invoice
        if logic.changes_in_place(invoice):
            self._change_in_place(client, view["id"], locale, invoice, due)
            return
        try:
            outcome = creation.create_invoice(
                self.services,
                client,
                team_id=team_id,
                user_id=user_id,
                locale=locale,
                form=logic.same_lines(bundle, due),
                request_key=key,
                channel_id=logic.where_to_post(invoice),
                replaces_id=invoice.id,
            )
        except Exception:
            # Our database or Slack, not Stripe: the work queue runs this again with the same request key.
            modals.update_view(client, view["id"], views.notice(locale, t(locale, "invoice_modal.failed")))
            raise
        if outcome.error is not None:
            text = t(locale, "invoice_modal.failed_with", error=outcome.error)
            shown = modal_views.status_modal(locale, text, retry_invoice_id=outcome.invoice.id)
        else:
            text = t(locale, "correction.due.reissued", number=outcome.invoice.number, old=invoice.number)
            shown = views.notice(locale, text + "\n" + views.due_changed_text(locale, outcome.invoice, due))
        modals.update_view(client, view["id"], shown)

    def _change_in_place(self, client: WebClient, view_id: str, locale: str, invoice: Invoice, due: date) -> None:
        try:
            logic.change_draft_due_date(self.services, invoice, due)
        except GatewayError as exc:
            text = t(locale, "invoice_modal.failed_with", error=str(exc)[:300])
            modals.update_view(client, view_id, views.notice(locale, text))
            return
        modals.update_view(client, view_id, views.notice(locale, views.due_changed_text(locale, invoice, due)))


def _channel(body: dict[str, Any]) -> str | None:
    found = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    return found if isinstance(found, str) and found else None


def register(app: App, services: Services) -> None:
    listeners = CorrectionListeners(services)
    app.action(ids.CORRECT)(ack=ack_now, lazy=[listeners.correct_clicked])
    app.action(ids.CHANGE_DUE_DATE)(ack=ack_now, lazy=[listeners.due_date_clicked])
    app.view(ids.DUE_CALLBACK)(ack=listeners.due_date_validate, lazy=[listeners.due_date_submitted])
