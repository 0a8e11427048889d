"""The calendar modals as they stand now, read from our rows: each listener redraws through these."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.services import Services
from bot.slack_users import member
from flows.calendar.connect import logic, views
from flows.calendar.connect.validation import ConnectForm


class Pages:
    """Builds each calendar view for one member, over the app's Services."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def tz(self, client: WebClient, team_id: str, user_id: str) -> str:
        return member(self.services.db, client, team_id, user_id).tz or "UTC"

    def home(self, client: WebClient, team_id: str, user_id: str, locale: str, banner: str | None = None) -> views.View:
        """The calendar modal: the connected view when the member has a feed, else the connect form."""
        db = self.services.db
        feed = logic.status(team_id, user_id, db=db)
        services = logic.services(team_id, db=db)
        if feed is None:
            return views.connect_modal(views.ConnectPage(locale, services, banner=banner))
        page = views.ConnectedPage(locale, self.tz(client, team_id, user_id), feed, services, banner)
        return views.connected_modal(page)

    def connect_again(self, team_id: str, locale: str, form: ConnectForm, problem: str) -> views.View:
        """The connect form back after a failed try: what was entered kept, the reason under its field."""
        services = logic.services(team_id, db=self.services.db)
        page = views.ConnectPage(
            locale, services, form.url, form.settings, problem=problem, problem_on_file=form.file is not None
        )
        return views.connect_modal(page)

    def sort(
        self, client: WebClient, team_id: str, user_id: str, locale: str, feed_id: int, banner: str | None = None
    ) -> views.View:
        db = self.services.db
        groups = logic.to_sort(feed_id, db=db)
        clients = logic.client_choices(team_id, db=db)
        page = views.SortPage(locale, self.tz(client, team_id, user_id), feed_id, groups, clients, banner)
        return views.sort_modal(page)

    def rules(self, team_id: str, locale: str, revision: int = 0, banner: str | None = None) -> views.View:
        db = self.services.db
        page = views.RulesPage(locale, logic.rules(team_id, db=db), logic.services(team_id, db=db), revision, banner)
        return views.rules_modal(page)
