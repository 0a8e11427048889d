"""Payment reminders: `/billing reminders` (and the checklist button) sets the rules; the scheduler's sweep
reminds each open invoice exactly once per rule; the team's digest and the invoice message carry the buttons.

Parts: ``rules`` (which rule an invoice is at, when), ``logic`` (settings, holds, what is due), ``claims``
(the exactly-once ledger), ``sweep`` (claim → Stripe email → Slack digest), ``digest`` and ``views`` (Block
Kit), ``validation`` (the modal's submission).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import modals
from bot.blocks import Block
from bot.checklist import StepContext
from bot.i18n import format_date, t
from bot.models import Invoice, utcnow
from bot.permissions import is_billing_admin
from bot.services import Job, Services
from bot.slack_clients import client_for
from bot.slack_users import locale_for, member
from bot.stripe_gateway import GatewayError
from bot.timezones import zone
from flows.reminders import ids, logic, validation, views
from flows.reminders.digest import SNOOZE_DAYS
from flows.reminders.sweep import Sweeper

log = logging.getLogger(__name__)

SLASH_COMMANDS: tuple[str, ...] = ()  # `/billing reminders` is the hub's command; it calls open_step
SHORTCUTS: tuple[str, ...] = ()
EVENTS: tuple[str, ...] = ()
SWEEP_EVERY_SECONDS = 300

__all__ = ["Sweeper", "home_section", "register", "sweeper_for"]


def sweeper_for(app: App, services: Services) -> Sweeper:
    """The sweep as the scheduler runs it, posting with each workspace's own bot token (``app`` is unused: the
    clients come from bot.slack_clients; kept so the scheduler and tests build it the same way)."""
    return Sweeper(services, lambda team_id: client_for(services, team_id))


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


def register(app: App, services: Services) -> None:
    db = services.db

    def locale_of(client: WebClient, team_id: str, user_id: str) -> str:
        return locale_for(db, client, team_id, user_id, services.settings.default_locale)

    def open_step(step: StepContext) -> None:
        if not is_billing_admin(db, step.client, step.team_id, step.user_id):
            step.tell(
                t(step.locale, "reminders.title"), t(step.locale, "reminders.forbidden"), t(step.locale, "common.close")
            )
            return
        saved = logic.load_settings(db, step.team_id)
        timezone = _timezone(services, step.client, step.team_id, step.user_id)
        step.open(views.settings_modal(step.locale, saved, timezone))

    # -- the settings modal ----------------------------------------------------------------------------------

    def validate(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        locale = locale_of(client, body["team"]["id"], body["user"]["id"])
        form, errors = validation.settings_form(view.get("state", {}).get("values", {}), locale)
        if form is None:
            ack(response_action="errors", errors=errors)
            return
        ack(response_action="update", view=views.notice_modal(locale, t(locale, "reminders.saving")))

    def save(body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(client, team_id, user_id)
        form, _ = validation.settings_form(view.get("state", {}).get("values", {}), locale)
        if form is None:
            return  # the ack showed the errors
        if not is_billing_admin(db, client, team_id, user_id):
            modals.update_view(client, view["id"], views.notice_modal(locale, t(locale, "reminders.forbidden")))
            return
        timezone = _timezone(services, client, team_id, user_id)
        logic.save_settings(db, team_id, user_id, form, timezone=timezone, locale=locale)
        modals.update_view(client, view["id"], views.notice_modal(locale, views.saved_text(locale, form, timezone)))

    # -- buttons on the digest and on the invoice message ------------------------------------------------------

    def clicked(body: dict[str, Any], client: WebClient) -> tuple[str, str, str, str | None, Invoice, Any] | None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(client, team_id, user_id)
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        try:
            invoice_id = int((body.get("actions") or [{}])[0].get("value") or "")
        except ValueError:
            return None
        found = logic.load_invoice(db, team_id, invoice_id)
        if found is None:
            tell(client, channel, user_id, t(locale, "reminders.not_found"))
            return None
        invoice, client_row, _ = found
        if invoice.created_by != user_id and not is_billing_admin(db, client, team_id, user_id):
            tell(client, channel, user_id, t(locale, "reminders.refused", number=invoice.number))
            return None
        return team_id, user_id, locale, channel, invoice, client_row

    def tell(client: WebClient, channel: str | None, user_id: str, text: str,
             blocks: list[Block] | None = None) -> None:  # fmt: skip
        try:
            if channel:
                client.chat_postEphemeral(channel=channel, user=user_id, text=text, blocks=blocks)
            else:
                client.chat_postMessage(channel=user_id, text=text, blocks=blocks)
        except SlackApiError as exc:
            log.warning("could not tell %s: %s", user_id, exc.response.get("error"))

    def today_of(team_id: str) -> Any:
        settings = logic.load_settings(db, team_id)
        return utcnow().astimezone(zone(settings.timezone if settings else None)).date()

    def send_now(body: dict[str, Any], client: WebClient) -> None:
        found = clicked(body, client)
        if found is None:
            return
        team_id, user_id, locale, channel, invoice, client_row = found
        if invoice.status != "open" or not invoice.stripe_invoice_id:
            tell(client, channel, user_id, t(locale, "reminders.not_open", number=invoice.number))
            return
        if not client_row.email:
            tell(client, channel, user_id, t(locale, "reminders.no_email", client=client_row.name))
            return
        today = today_of(team_id).isoformat()
        # One reminder by hand per invoice per day: a double click or Slack's retry sends one email.
        if not db.claim_once(team_id, "reminder_now", f"{invoice.id}:{today}"):
            tell(client, channel, user_id, t(locale, "reminders.already_today", number=invoice.number))
            return
        try:
            services.stripe.send_invoice(
                invoice.stripe_account_id,
                invoice.stripe_invoice_id,
                idempotency_key=f"billbot-reminder-{invoice.id}-now-{today}",
            )
        except GatewayError as exc:
            db.release(team_id, "reminder_now", f"{invoice.id}:{today}")
            log.warning("reminder of invoice %s refused by Stripe: %s", invoice.id, exc)
            tell(client, channel, user_id, t(locale, "reminders.stripe_failed", reason=str(exc)[:300]))
            return
        tell(client, channel, user_id, t(locale, "reminders.sent_now", number=invoice.number, client=client_row.name))

    def snooze(body: dict[str, Any], client: WebClient) -> None:
        found = clicked(body, client)
        if found is None:
            return
        team_id, user_id, locale, channel, invoice, _ = found
        until = today_of(team_id) + timedelta(days=SNOOZE_DAYS)
        logic.hold(db, team_id, invoice.id, user_id, snoozed_until=until)  # type: ignore[arg-type]
        tell(
            client,
            channel,
            user_id,
            t(locale, "reminders.snoozed", number=invoice.number, date=format_date(until, locale)),
        )

    def stop(body: dict[str, Any], client: WebClient) -> None:
        found = clicked(body, client)
        if found is None:
            return
        team_id, user_id, locale, channel, invoice, _ = found
        logic.hold(db, team_id, invoice.id, user_id, stopped=True)  # type: ignore[arg-type]
        text = t(locale, "reminders.stopped", number=invoice.number)
        tell(client, channel, user_id, text, views.stopped_blocks(locale, text, invoice.id))  # type: ignore[arg-type]

    def resume(body: dict[str, Any], client: WebClient) -> None:
        found = clicked(body, client)
        if found is None:
            return
        team_id, user_id, locale, channel, invoice, _ = found
        logic.hold(db, team_id, invoice.id, user_id, stopped=False)  # type: ignore[arg-type]
        tell(client, channel, user_id, t(locale, "reminders.resumed", number=invoice.number))

    def ack_now(ack: Ack) -> None:
        ack()

    services.checklist.provide("reminders", is_done=logic.is_done, open_step=open_step)
    app.view(ids.SETTINGS_CALLBACK)(ack=validate, lazy=[save])
    app.action(ids.SEND_NOW_ACTION)(ack=ack_now, lazy=[send_now])
    app.action(ids.SNOOZE_ACTION)(ack=ack_now, lazy=[snooze])
    app.action(ids.STOP_ACTION)(ack=ack_now, lazy=[stop])
    app.action(ids.RESUME_ACTION)(ack=ack_now, lazy=[resume])

    sweeper = sweeper_for(app, services)

    def sweep() -> None:
        try:
            sweeper.run()
        except Exception:
            # One failed sweep must not stop the scheduler; the next one finds the same work in the database.
            log.exception("reminders sweep failed")

    services.jobs.append(Job(name="reminders_sweep", run=sweep, every_seconds=SWEEP_EVERY_SECONDS))
