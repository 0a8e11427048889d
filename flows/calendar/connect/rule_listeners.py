"""The service keyword rules: pushed from the calendar modal; its submit adds a rule, each Remove button
takes one away. Rules are the workspace's: billing admins and practitioners with a calendar manage them."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import blocks, modals
from bot.acks import ack_now
from bot.i18n import t
from bot.permissions import is_billing_admin
from bot.services import Services
from bot.slack_users import locale_of
from bot.work_queue import after_opens, trigger_bound
from flows.calendar.connect import ids, logic
from flows.calendar.connect.pages import Pages
from flows.calendar.connect.validation import rule_form


class RuleListeners:
    def __init__(self, services: Services, pages: Pages) -> None:
        self.services = services
        self.pages = pages

    def _may_manage(self, client: WebClient, team_id: str, user_id: str) -> bool:
        db = self.services.db
        return logic.status(team_id, user_id, db=db) is not None or is_billing_admin(db, client, team_id, user_id)

    @trigger_bound
    def open_rules(self, body: dict[str, Any], client: WebClient) -> None:
        shown = modals.open_loading(client, body["trigger_id"], push=True)
        if shown is None:
            return
        team_id, user_id = body["team"]["id"], body["user"]["id"]

        def fill() -> None:
            locale = locale_of(self.services, client, team_id, user_id)
            if self._may_manage(client, team_id, user_id):
                view = self.pages.rules(team_id, locale)
            else:
                view = self.pages.home(client, team_id, user_id, locale)
            modals.fill(client, shown, view)

        after_opens(fill)

    def add_ack(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        """Add: checked and saved before the answer (one small write), so a duplicate is an inline error."""
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(self.services, client, team_id, user_id)
        revision = modals.metadata(view).get("rev")
        revision = revision if isinstance(revision, int) else 0
        if not self._may_manage(client, team_id, user_id):
            ack(response_action="update", view=self.pages.home(client, team_id, user_id, locale))
            return
        services = {s.id for s in logic.services(team_id, db=self.services.db)}
        values = view.get("state", {}).get("values", {})
        form, errors = rule_form(values, locale, revision=revision, services=services)
        if form is not None and not logic.add_rule(team_id, user_id, form, db=self.services.db):
            errors = {ids.rule_block(revision, ids.RULE_KEYWORD): t(locale, "calendar.rules.error.duplicate")}
            form = None
        if form is None:
            ack(response_action="errors", errors=errors)
            return
        banner = ":white_check_mark: " + t(locale, "calendar.rules.added", keyword=blocks.escape_mrkdwn(form.keyword))
        ack(response_action="update", view=self.pages.rules(team_id, locale, revision + 1, banner))

    def remove(self, body: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        view = body.get("view") or {}
        value = (body.get("actions") or [{}])[0].get("value")
        if not view.get("id") or not isinstance(value, str) or not value.isdigit():
            return
        if not self._may_manage(client, team_id, user_id):
            return
        locale = locale_of(self.services, client, team_id, user_id)
        removed = logic.remove_rule(team_id, int(value), db=self.services.db)
        banner = ":white_check_mark: " + t(locale, "calendar.rules.removed") if removed else None
        revision = modals.metadata(view).get("rev")
        page = self.pages.rules(team_id, locale, revision if isinstance(revision, int) else 0, banner)
        modals.update_view(client, view["id"], page)


def register(app: App, services: Services, pages: Pages) -> None:
    listeners = RuleListeners(services, pages)
    app.action(ids.OPEN_RULES_ACTION)(ack=ack_now, lazy=[listeners.open_rules])
    app.view(ids.RULES_CALLBACK)(listeners.add_ack)
    app.action(ids.REMOVE_RULE_ACTION)(ack=ack_now, lazy=[listeners.remove])
