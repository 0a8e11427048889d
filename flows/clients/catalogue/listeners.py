"""The services catalogue's listeners: the "Services" button of the billing settings modal pushes one
modal that shows the list, or the form for one service (add, edit, archive), in turn. The push is trigger-bound
(bot.work_queue): a light modal at once, the list once read.

Only billing admins change the catalogue; the check is made in the lazy part, from the database and
Slack, so a forged or stale submission from anyone else changes nothing and says why.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import modals
from bot.acks import ack_now
from bot.i18n import t
from bot.permissions import is_billing_admin
from bot.services import Services
from bot.slack_users import locale_of
from bot.typed_numbers import whole_number
from bot.work_queue import after_opens, trigger_bound
from flows.clients import ids as f
from flows.clients import logic as client_logic
from flows.clients import validation as client_forms
from flows.clients.catalogue import views as services_views

log = logging.getLogger(__name__)


class CatalogueListeners:
    """The catalogue modal's buttons and its service form, over the app's Services."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def _page(
        self, client: WebClient, team_id: str, user_id: str, locale: str, banner: str | None = None
    ) -> dict[str, Any]:
        with self.services.db.session() as session:
            currency = client_logic.practice_currency(session, team_id)
            catalogue = client_logic.active_services(session, team_id)
            rates = client_logic.active_tax_rates(session, team_id)
            # Archived rates still name the tax of services that use them until those are edited.
            used = {s.tax_rate_id for s in catalogue if s.tax_rate_id is not None} - {r.id for r in rates}
            rates += client_logic.tax_rates_by_id(session, team_id, used)
        may_edit = is_billing_admin(self.services.db, client, team_id, user_id)
        return services_views.catalog_view(
            services_views.CatalogPage(locale, currency, catalogue, rates, may_edit, banner)
        )

    def _refuse(self, client: WebClient, view_id: str, team_id: str, user_id: str, locale: str) -> None:
        """Back to the list, which says only billing admins change the catalogue."""
        modals.update_view(
            client, view_id, self._page(client, team_id, user_id, locale, t(locale, "services.forbidden"))
        )

    @trigger_bound
    def open_clicked(self, body: dict[str, Any], client: WebClient) -> None:
        """Pushed over the billing settings modal: a light modal at once, the list once read."""
        shown = modals.open_loading(client, body["trigger_id"], push=True)
        if shown is None:
            return

        def fill() -> None:
            team_id, user_id = body["team"]["id"], body["user"]["id"]
            locale = locale_of(self.services, client, team_id, user_id)
            modals.fill(client, shown, self._page(client, team_id, user_id, locale))

        after_opens(fill)

    def form_clicked(self, body: dict[str, Any], client: WebClient) -> None:
        """Add or Edit: the catalogue view becomes the form (views.update keeps the stack as it is)."""
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(self.services, client, team_id, user_id)
        view_id = body["view"]["id"]
        if not is_billing_admin(self.services.db, client, team_id, user_id):
            self._refuse(client, view_id, team_id, user_id, locale)
            return
        action = body["actions"][0]
        with self.services.db.session() as session:
            currency = client_logic.practice_currency(session, team_id)
            rates = client_logic.active_tax_rates(session, team_id)
            service = None
            if action["action_id"] == f.SERVICE_EDIT_ACTION:
                service_id = whole_number(action.get("value"))
                service = client_logic.get_service(session, team_id, service_id) if service_id is not None else None
                if service is None or not service.active:
                    currency = None  # gone meanwhile: back to the list, which says so
        if currency is None:
            banner = t(locale, "services.gone") if action["action_id"] == f.SERVICE_EDIT_ACTION else None
            modals.update_view(client, view_id, self._page(client, team_id, user_id, locale, banner))
            return
        form = services_views.service_form_view(locale, currency=currency, rates=rates, service=service)
        modals.update_view(client, view_id, form)

    def back_clicked(self, body: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(self.services, client, team_id, user_id)
        modals.update_view(client, body["view"]["id"], self._page(client, team_id, user_id, locale))

    def archive_clicked(self, body: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(self.services, client, team_id, user_id)
        view_id = body["view"]["id"]
        if not is_billing_admin(self.services.db, client, team_id, user_id):
            self._refuse(client, view_id, team_id, user_id, locale)
            return
        service_id = whole_number(body["actions"][0].get("value"))
        archived = (
            client_logic.archive_service(self.services.db, team_id, service_id) if service_id is not None else None
        )
        banner = t(locale, "services.archived", name=archived.name) if archived else t(locale, "services.gone")
        modals.update_view(client, view_id, self._page(client, team_id, user_id, locale, banner))

    def _validated(
        self, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> tuple[str, str | None, client_forms.ServiceForm | None, dict[str, str]]:
        team_id = body["team"]["id"]
        locale = locale_of(self.services, client, team_id, body["user"]["id"])
        with self.services.db.session() as session:
            currency = client_logic.practice_currency(session, team_id)
            rate_ids = {r.id for r in client_logic.active_tax_rates(session, team_id) if r.id is not None}
        if currency is None:
            return locale, None, None, {f.SERVICE_NAME: t(locale, "services.no_settings")}
        values = view.get("state", {}).get("values", {})
        form, errors = client_forms.service_form(values, locale, currency=currency, tax_rate_ids=rate_ids)
        return locale, currency, form, errors

    def validate_service(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        locale, _, form, errors = self._validated(body, view, client)
        if form is None:
            ack(response_action="errors", errors=errors)
        else:
            ack(response_action="update", view=services_views.saving_view(locale))

    def save_service(self, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale, currency, form, _ = self._validated(body, view, client)
        if form is None or currency is None:
            return
        view_id = view["id"]
        if not is_billing_admin(self.services.db, client, team_id, user_id):
            self._refuse(client, view_id, team_id, user_id, locale)
            return
        service_id = modals.metadata(view).get("service")
        if isinstance(service_id, int):
            changed = client_logic.update_service(self.services.db, team_id, service_id, form, currency)
            banner = t(locale, "services.updated", name=form.name) if changed else t(locale, "services.gone")
        else:
            # The same modal serves one add after another; its hash names this very submission.
            key = f"{view_id}:{view.get('hash') or ''}"
            client_logic.add_service(self.services.db, team_id, form, currency, key)
            banner = t(locale, "services.added", name=form.name)
        modals.update_view(client, view_id, self._page(client, team_id, user_id, locale, banner))


def register(app: App, services: Services) -> None:
    listeners = CatalogueListeners(services)
    app.action(f.SERVICES_OPEN_ACTION)(ack=ack_now, lazy=[listeners.open_clicked])
    app.action(f.SERVICE_ADD_ACTION)(ack=ack_now, lazy=[listeners.form_clicked])
    app.action(f.SERVICE_EDIT_ACTION)(ack=ack_now, lazy=[listeners.form_clicked])
    app.action(f.SERVICES_BACK_ACTION)(ack=ack_now, lazy=[listeners.back_clicked])
    app.action(f.SERVICE_ARCHIVE_ACTION)(ack=ack_now, lazy=[listeners.archive_clicked])
    app.view(f.SERVICES_FORM_CALLBACK)(ack=listeners.validate_service, lazy=[listeners.save_service])
