"""The reminders flow's listeners: the settings modal, the buttons on digests and invoice messages, and the
scheduler's sweep job."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import metrics, modals
from bot.acks import ack_now
from bot.blocks import Block
from bot.checklist import StepContext
from bot.i18n import format_date, t
from bot.models import Invoice, saved_id, utcnow
from bot.permissions import is_billing_admin
from bot.services import Job, Services
from bot.slack_users import locale_of, member
from bot.stripe_gateway import GatewayError
from bot.timezones import zone
from flows.reminders import ids, logic, validation, views
from flows.reminders.digest import SNOOZE_DAYS
from flows.reminders.summary import SUMMARY_EVERY_SECONDS, summaries_for
from flows.reminders.sweep import sweeper_for

log = logging.getLogger(__name__)

SWEEP_EVERY_SECONDS = 300
# A button's team, user, locale, channel, invoice and client, once the clicker may act on it.
_Click = tuple[str, str, str, str | None, Invoice, Any]


def _timezone(services: Services, client: WebClient, team_id: str, user_id: str) -> str:
    """The admin's own Slack time zone: reminders go out at their time of day."""
    name = member(services.db, client, team_id, user_id).tz or "UTC"
    return zone(name).key


def home_section(services: Services, client: WebClient, team_id: str, user_id: str, locale: str) -> list[Block]:
    """For the admin who set reminders up: the next reminders due and the last ones sent (else nothing)."""
    settings = logic.load_settings(services.db, team_id)
    if settings is None or settings.updated_by != user_id:
        return []
    now = utcnow()
    upcoming = logic.upcoming(services.db, team_id, now)
    sent = logic.recently_sent(services.db, team_id)
    return views.home_blocks(locale, settings.timezone, upcoming, sent)


class RemindersListeners:
    """The reminders flow's acks and lazy work, and its sweep job, over the app's Services."""

    def __init__(self, app: App, services: Services) -> None:
        self.services = services
        self.sweeper = sweeper_for(app, services)
        self.summaries = summaries_for(services)

    def open_step(self, step: StepContext) -> None:
        if not is_billing_admin(self.services.db, step.client, step.team_id, step.user_id):
            step.tell(
                t(step.locale, "reminders.title"), t(step.locale, "reminders.forbidden"), t(step.locale, "common.close")
            )
            return
        saved = logic.load_settings(self.services.db, step.team_id)
        timezone = _timezone(self.services, step.client, step.team_id, step.user_id)
        step.open(views.settings_modal(step.locale, saved, timezone))

    # -- the settings modal ----------------------------------------------------------------------------------

    def validate(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        locale = locale_of(self.services, client, body["team"]["id"], body["user"]["id"])
        form, errors = validation.settings_form(view.get("state", {}).get("values", {}), locale)
        if form is None:
            ack(response_action="errors", errors=errors)
            return
        ack(response_action="update", view=views.notice_modal(locale, t(locale, "reminders.saving")))

    def save(self, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(self.services, client, team_id, user_id)
        form, _ = validation.settings_form(view.get("state", {}).get("values", {}), locale)
        if form is None:
            return  # the ack showed the errors
        if not is_billing_admin(self.services.db, client, team_id, user_id):
            modals.update_view(client, view["id"], views.notice_modal(locale, t(locale, "reminders.forbidden")))
            return
        timezone = _timezone(self.services, client, team_id, user_id)
        logic.save_settings(self.services.db, team_id, user_id, form, timezone=timezone, locale=locale)
        modals.update_view(client, view["id"], views.notice_modal(locale, views.saved_text(locale, form, timezone)))
        self.services.checklist.step_changed(client, team_id, user_id, view)

    # -- buttons on the digest and on the invoice message ------------------------------------------------------

    def _clicked(
        self, body: dict[str, Any], client: WebClient
    ) -> tuple[str, str, str, str | None, Invoice, Any] | None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(self.services, client, team_id, user_id)
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        try:
            invoice_id = int((body.get("actions") or [{}])[0].get("value") or "")
        except ValueError:
            return None
        found = logic.load_invoice(self.services.db, team_id, invoice_id)
        if found is None:
            self._tell(client, channel, user_id, t(locale, "reminders.not_found"))
            return None
        invoice, client_row, _ = found
        if invoice.created_by != user_id and not is_billing_admin(self.services.db, client, team_id, user_id):
            self._tell(client, channel, user_id, t(locale, "reminders.refused", number=invoice.number))
            return None
        return team_id, user_id, locale, channel, invoice, client_row

    def _tell(
        self, client: WebClient, channel: str | None, user_id: str, text: str, blocks: list[Block] | None = None
    ) -> None:
        try:
            if channel:
                client.chat_postEphemeral(channel=channel, user=user_id, text=text, blocks=blocks)
            else:
                client.chat_postMessage(channel=user_id, text=text, blocks=blocks)
        except SlackApiError as exc:
            log.warning("could not tell %s: %s", user_id, exc.response.get("error"))

    def _today_of(self, team_id: str) -> Any:
        settings = logic.load_settings(self.services.db, team_id)
        return utcnow().astimezone(zone(settings.timezone if settings else None)).date()

    def send_now(self, body: dict[str, Any], client: WebClient) -> None:
        found = self._clicked(body, client)
        if found is None:
            return
        team_id, user_id, locale, channel, invoice, client_row = found
        if invoice.status != "open" or not invoice.stripe_invoice_id:
            self._tell(client, channel, user_id, t(locale, "reminders.not_open", number=invoice.number))
            return
        if not client_row.email:
            self._tell(client, channel, user_id, t(locale, "reminders.no_email", client=client_row.name))
            return
        today = self._today_of(team_id).isoformat()
        # One reminder by hand per invoice per day: a double click or Slack's retry sends one email.
        if not self.services.db.claim_once(team_id, "reminder_now", f"{invoice.id}:{today}"):
            self._tell(client, channel, user_id, t(locale, "reminders.already_today", number=invoice.number))
            return
        try:
            self.services.stripe.send_invoice(
                invoice.stripe_account_id,
                invoice.stripe_invoice_id,
                idempotency_key=f"billbot-reminder-{invoice.id}-now-{today}",
            )
        except GatewayError as exc:
            self.services.db.release(team_id, "reminder_now", f"{invoice.id}:{today}")
            log.warning("reminder of invoice %s refused by Stripe: %s", invoice.id, exc)
            self._tell(client, channel, user_id, t(locale, "reminders.stripe_failed", reason=str(exc)[:300]))
            return
        metrics.REMINDERS.labels("email").inc()  # a reminder by hand is a reminder sent too
        self._tell(
            client, channel, user_id, t(locale, "reminders.sent_now", number=invoice.number, client=client_row.name)
        )

    def snooze(self, body: dict[str, Any], client: WebClient) -> None:
        found = self._clicked(body, client)
        if found is None:
            return
        team_id, user_id, locale, channel, invoice, _ = found
        until = self._today_of(team_id) + timedelta(days=SNOOZE_DAYS)
        logic.hold(self.services.db, team_id, saved_id(invoice), user_id, snoozed_until=until)
        self._tell(
            client,
            channel,
            user_id,
            t(locale, "reminders.snoozed", number=invoice.number, date=format_date(until, locale)),
        )

    def stop(self, body: dict[str, Any], client: WebClient) -> None:
        found = self._clicked(body, client)
        if found is None:
            return
        team_id, user_id, locale, channel, invoice, _ = found
        logic.hold(self.services.db, team_id, saved_id(invoice), user_id, stopped=True)
        text = t(locale, "reminders.stopped", number=invoice.number)
        self._tell(client, channel, user_id, text, views.stopped_blocks(locale, text, saved_id(invoice)))

    def resume(self, body: dict[str, Any], client: WebClient) -> None:
        found = self._clicked(body, client)
        if found is None:
            return
        team_id, user_id, locale, channel, invoice, _ = found
        logic.hold(self.services.db, team_id, saved_id(invoice), user_id, stopped=False)
        self._tell(client, channel, user_id, t(locale, "reminders.resumed", number=invoice.number))

    def sweep(self) -> None:
        try:
            self.sweeper.run()
        except Exception:
            # One failed sweep must not stop the scheduler; the next one finds the same work in the database.
            log.exception("reminders sweep failed")

    def monthly_summary(self) -> None:
        try:
            self.summaries.run()
        except Exception:
            # The next run finds the same claims and settings in the database.
            log.exception("monthly summary run failed")


def register(app: App, services: Services) -> None:
    listeners = RemindersListeners(app, services)
    services.checklist.provide("reminders", is_done=logic.is_done, open_step=listeners.open_step)
    app.view(ids.SETTINGS_CALLBACK)(ack=listeners.validate, lazy=[listeners.save])
    app.action(ids.SEND_NOW_ACTION)(ack=ack_now, lazy=[listeners.send_now])
    app.action(ids.SNOOZE_ACTION)(ack=ack_now, lazy=[listeners.snooze])
    app.action(ids.STOP_ACTION)(ack=ack_now, lazy=[listeners.stop])
    app.action(ids.RESUME_ACTION)(ack=ack_now, lazy=[listeners.resume])
    services.jobs.append(Job(name="reminders_sweep", run=listeners.sweep, every_seconds=SWEEP_EVERY_SECONDS))
    services.jobs.append(
        Job(name="monthly_summary", run=listeners.monthly_summary, every_seconds=SUMMARY_EVERY_SECONDS)
    )
