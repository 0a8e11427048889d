"""The overview's listeners: `/billing` (the hub and its sub-commands), the App Home tab, the checklist buttons."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import col, select

from bot import blocks, modals
from bot.acks import ack_now
from bot.checklist import OPEN_STEP_ACTION, STEP_KEYS, StepContext
from bot.i18n import t
from bot.models import Appointment
from bot.permissions import is_billing_admin
from bot.services import Services
from bot.slack_users import ensure_workspace, locale_of
from bot.work_queue import after_opens, trigger_bound
from flows.home import balances, views

log = logging.getLogger(__name__)

# `/billing <word>`: the word names the checklist step it opens, or the help flow.
SUBCOMMAND_STEPS = {
    "setup": "stripe_setup",
    "settings": "billing_settings",
    "template": "invoice_template",
    "reminders": "reminders",
}
HELP_SUBCOMMAND = "help"
REPORT_SUBCOMMAND = "report"
CALENDAR_SUBCOMMAND = "calendar"


class HomeListeners:
    """The overview's lazy work, over the app's Services."""

    def __init__(self, services: Services) -> None:
        self.services = services

    @trigger_bound
    def billing_command(self, command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        word = (command.get("text") or "").strip().split(" ")[0].lower()
        if not word:
            # The hub is a modal whatever the reads find: the trigger_id is used at once on a light one, filled
            # once nobody else is waiting for theirs. A step's sub-command may answer privately instead (a
            # refusal), so it opens its own modal.
            shown = modals.open_loading(client, command["trigger_id"])
            if shown is not None:
                after_opens(lambda: self._fill_hub(command, client, shown))
            return
        services = self.services
        team_id, user_id = command["team_id"], command["user_id"]
        ensure_workspace(services.db, team_id, command.get("team_domain"))
        locale = locale_of(services, client, team_id, user_id)
        if word in SUBCOMMAND_STEPS:

            def tell(text: str) -> None:
                respond(text=text, response_type="ephemeral")

            step = StepContext(client, command["trigger_id"], team_id, user_id, locale, in_modal=False, respond=tell)
            self._open_step(step, SUBCOMMAND_STEPS[word])
        elif word == HELP_SUBCOMMAND:
            from flows import help as help_flow

            help_flow.open_settings(
                services, client, trigger_id=command["trigger_id"], team_id=team_id, user_id=user_id, locale=locale
            )
        elif word == CALENDAR_SUBCOMMAND:
            from flows import calendar

            calendar.open_connect(
                services, client, trigger_id=command["trigger_id"], team_id=team_id, user_id=user_id, locale=locale
            )
        elif word == REPORT_SUBCOMMAND:
            from flows import reports

            period = (command.get("text") or "").strip()[len(word) :].strip()
            reports.answer_command(services, client, command, respond, text=period, locale=locale)
        else:
            # response_url reaches the user wherever they typed, even where the bot is not a member.
            respond(text=t(locale, "billing.usage", word=word[:50]), response_type="ephemeral")

    def _fill_hub(self, command: dict[str, Any], client: WebClient, shown: modals.Shown) -> None:
        team_id = command["team_id"]
        ensure_workspace(self.services.db, team_id, command.get("team_domain"))
        locale = locale_of(self.services, client, team_id, command["user_id"])
        may_change = is_billing_admin(self.services.db, client, team_id, command["user_id"])
        modals.fill(client, shown, views.hub_modal(locale, self._statuses(team_id), may_change=may_change))

    def publish_home(self, event: dict[str, Any], context: dict[str, Any], client: WebClient) -> None:
        if event.get("tab") != "home":
            return
        services = self.services
        team_id, user_id = context["team_id"], event["user"]
        ensure_workspace(services.db, team_id)
        self._publish(client, team_id, user_id, locale_of(services, client, team_id, user_id))

    def sessions_invoiced(self, web: WebClient, team_id: str, user_id: str, appointment_ids: tuple[int, ...]) -> None:
        """``services.on_sessions_invoiced``: a calendar's sessions were invoiced, so the Homes that show them
        (the invoicer's, and each practitioner's whose sessions they are) are drawn again: no stale Invoice button."""
        with self.services.db.session() as session:
            practitioners = session.exec(
                select(Appointment.practitioner_id).where(
                    Appointment.team_id == team_id,
                    Appointment.source == "calendar",
                    col(Appointment.id).in_(appointment_ids),
                )
            ).all()
        if not practitioners:
            return  # typed sessions only: the week view shows none of them
        for user in sorted({user_id, *(p for p in practitioners if p)}):
            self._publish(web, team_id, user, locale_of(self.services, web, team_id, user))

    def _publish(self, client: WebClient, team_id: str, user_id: str, locale: str) -> None:
        services = self.services
        admin = is_billing_admin(services.db, client, team_id, user_id)
        view = views.home_view(locale, self._statuses(team_id), may_change=admin)
        if services.checklist.opener("reminders") is not None:
            from flows import reminders

            # The admin who set reminders up sees the next ones due and the last ones sent.
            extra = reminders.home_section(services, client, team_id, user_id, locale)
            view["blocks"] = (view["blocks"] + extra)[: blocks.VIEW_BLOCKS_MAX]
        if admin:
            # What the practice is still owed (balances are the billing admins' to see).
            owed = balances.owed(services.db, team_id)
            extra = views.balance_blocks(locale, owed, balances.part_paid(services.db, team_id))
            view["blocks"] = (view["blocks"] + extra)[: blocks.VIEW_BLOCKS_MAX]
        from flows import calendar

        # This week's and last week's sessions, for their practitioner and the billing admins (private view).
        extra = calendar.home_section(services, client, team_id, user_id, locale)
        view["blocks"] = (view["blocks"] + extra)[: blocks.VIEW_BLOCKS_MAX]
        client.views_publish(user_id=user_id, view=view)

    @trigger_bound
    def open_step_button(self, body: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        key = body["actions"][0].get("value", "")
        if key not in STEP_KEYS:
            return
        in_modal = body.get("container", {}).get("type") == "view" and body.get("view", {}).get("type") == "modal"
        # From a button every answer is a modal (a refusal too): the trigger_id is used at once on a light one.
        shown = modals.open_loading(client, body["trigger_id"], push=in_modal)
        if shown is None:
            return

        def fill() -> None:
            locale = locale_of(self.services, client, team_id, user_id)
            step = StepContext(client, body["trigger_id"], team_id, user_id, locale, in_modal, shown=shown)
            self._open_step(step, key)

        after_opens(fill)

    def redraw_checklist(self, client: WebClient, team_id: str, user_id: str, hub_view_id: str | None) -> None:
        """A step was saved: the hub it was pushed on and the user's App Home show it done."""
        locale = locale_of(self.services, client, team_id, user_id)
        statuses = self._statuses(team_id)
        if hub_view_id is not None:
            may_change = is_billing_admin(self.services.db, client, team_id, user_id)
            modals.update_view(client, hub_view_id, views.hub_modal(locale, statuses, may_change=may_change))
        self._publish(client, team_id, user_id, locale)

    def _statuses(self, team_id: str) -> list[Any]:
        with self.services.db.session() as session:
            return self.services.checklist.statuses(session, team_id)

    def _open_step(self, step: StepContext, key: str) -> None:
        opener = self.services.checklist.opener(key)
        try:
            if opener is None:
                step.open(views.coming_soon_modal(step.locale, f"step.{key}"))
            else:
                opener(step)
        except SlackApiError as exc:
            log.warning("opening the %s step failed: %s", key, exc.response.get("error"))


def register(app: App, services: Services) -> None:
    listeners = HomeListeners(services)
    services.checklist.on_change(listeners.redraw_checklist)
    services.on_sessions_invoiced.append(listeners.sessions_invoiced)
    app.command("/billing")(ack=ack_now, lazy=[listeners.billing_command])
    app.event("app_home_opened")(ack=ack_now, lazy=[listeners.publish_home])
    app.action(OPEN_STEP_ACTION)(ack=ack_now, lazy=[listeners.open_step_button])
