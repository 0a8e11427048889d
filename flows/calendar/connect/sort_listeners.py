"""The "to sort" list: pushed from the calendar modal; each event's client picker and Assign button.

Event titles and client names are the practitioner's and the billing admins' to see: every handler checks
that the clicker owns the event's calendar or is a billing admin, whatever id the payload names.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import blocks, modals, view_state
from bot.acks import ack_now
from bot.i18n import plural, t
from bot.permissions import is_billing_admin
from bot.services import Services
from bot.slack_users import locale_of
from bot.work_queue import after_opens, trigger_bound
from flows.calendar.connect import ids, logic
from flows.calendar.connect.pages import Pages
from flows.calendar.sync.apply import assign_client

log = logging.getLogger(__name__)


def _number(text: object) -> int | None:
    return int(text) if isinstance(text, str) and text.isdigit() else None


class SortListeners:
    def __init__(self, services: Services, pages: Pages) -> None:
        self.services = services
        self.pages = pages

    def _may_sort(self, client: WebClient, team_id: str, user_id: str, owner: str) -> bool:
        return owner == user_id or is_billing_admin(self.services.db, client, team_id, user_id)

    @trigger_bound
    def open_sort(self, body: dict[str, Any], client: WebClient) -> None:
        shown = modals.open_loading(client, body["trigger_id"], push=True)
        if shown is None:
            return
        team_id, user_id = body["team"]["id"], body["user"]["id"]

        def fill() -> None:
            locale = locale_of(self.services, client, team_id, user_id)
            feed = logic.status(team_id, user_id, db=self.services.db)
            if feed is None:  # disconnected in another window meanwhile
                view = self.pages.home(client, team_id, user_id, locale)
            else:
                view = self.pages.sort(client, team_id, user_id, locale, feed.id)
            modals.fill(client, shown, view)

        after_opens(fill)

    def assign(self, body: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        view = body.get("view") or {}
        event_id = _number((body.get("actions") or [{}])[0].get("value"))
        if not view.get("id") or event_id is None:
            return
        locale = locale_of(self.services, client, team_id, user_id)
        db = self.services.db
        feed = logic.event_feed(team_id, event_id, db=db)
        if feed is None or feed.id is None or not self._may_sort(client, team_id, user_id, feed.user_id):
            return  # a forged or stale id: nothing to show anyone
        values = view.get("state", {}).get("values", {})
        client_id = _number(view_state.selected(values, ids.sort_block(event_id), ids.SORT_CLIENT_ACTION))
        banner = self._assigned(team_id, user_id, locale, event_id, client_id)
        modals.update_view(client, view["id"], self.pages.sort(client, team_id, user_id, locale, feed.id, banner))
        parent = view.get("previous_view_id")
        if parent and feed.user_id == user_id:
            # The calendar modal beneath shows one fewer to sort and more sessions.
            modals.update_view(client, parent, self.pages.home(client, team_id, user_id, locale))

    def _assigned(self, team_id: str, user_id: str, locale: str, event_id: int, client_id: int | None) -> str:
        """Assign, and what to say of it."""
        db = self.services.db
        made = 0
        if logic.event_client(team_id, event_id, db=db) is None:
            if client_id is None or not logic.known_client(team_id, client_id, db=db):
                return ":warning: " + t(locale, "calendar.sort.pick_first")
            made = assign_client(
                self.services, team_id=team_id, event_id=event_id, client_id=client_id, user_id=user_id
            )
        given = logic.event_client(team_id, event_id, db=db)
        name = blocks.escape_mrkdwn(logic.client_name(team_id, given, db=db) or "") if given is not None else ""
        if made == 0 and given is not None:
            # A second click (or another window, or the sync) sorted it: say to whom, not "0 sessions made".
            return ":white_check_mark: " + t(locale, "calendar.sort.already", client=name)
        return ":white_check_mark: " + plural(locale, "calendar.sort.assigned", made, client=name)

    def suggest_clients(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """The searching client picker (a practice with many clients): names for whoever may sort only."""
        team_id = (body.get("team") or {}).get("id") or ""
        user_id = (body.get("user") or {}).get("id") or ""
        db = self.services.db
        has_feed = logic.status(team_id, user_id, db=db) is not None
        if not has_feed and not is_billing_admin(db, client, team_id, user_id):
            ack(options=[])
            return
        found = logic.search(team_id, str(body.get("value") or ""), db=db)
        ack(options=[blocks.option(name, str(client_id)) for client_id, name in found][: blocks.SELECT_OPTIONS_MAX])


def register(app: App, services: Services, pages: Pages) -> None:
    listeners = SortListeners(services, pages)
    app.action(ids.OPEN_SORT_ACTION)(ack=ack_now, lazy=[listeners.open_sort])
    app.action(ids.ASSIGN_ACTION)(ack=ack_now, lazy=[listeners.assign])
    # Choosing in the picker sends an action too; the choice is read from the view state on Assign.
    app.action(ids.SORT_CLIENT_ACTION)(ack_now)
    app.options(ids.SORT_CLIENT_ACTION)(listeners.suggest_clients)
