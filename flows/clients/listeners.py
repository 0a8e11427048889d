"""`/client`: the practice's clients (list, search, new), a client's record and sessions; and the services
catalogue (flows.clients.catalogue registers its own listeners, called from here).

Listeners stay thin: acks answer at once (a modal's ack validates, so errors come back inline), the lazy
parts, run from the durable work queue, read and save through ``client_logic`` and answer through the
command's response_url, ephemeral: a client's record holds contact details and sessions. The list and the
records go to billing admins only, unless the practice lets every member see client details.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot import modals
from bot.i18n import t
from bot.permissions import access
from bot.services import Services
from bot.slack_users import ensure_workspace, locale_for, member
from flows.clients import ids as f
from flows.clients import logic as client_logic
from flows.clients import validation as client_forms
from flows.clients import views as client_views
from flows.clients.catalogue import listeners as catalogue
from flows.clients.views import new_client_modal
from flows.invoices import on_client_created, open_invoice_modal

log = logging.getLogger(__name__)

__all__ = ["new_client_modal", "register"]

NEW_WORD = "new"


def register(app: App, services: Services) -> None:
    def locale_of(client: WebClient, team_id: str, user_id: str) -> str:
        return locale_for(services.db, client, team_id, user_id, services.settings.default_locale)

    def today_for(client: WebClient, team_id: str, user_id: str) -> date:
        """Today where the user is: a session typed in the evening in Paris is not dated tomorrow (UTC)."""
        tz_name = member(services.db, client, team_id, user_id).tz
        try:
            zone = ZoneInfo(tz_name) if tz_name else None
        except (ZoneInfoNotFoundError, ValueError):
            zone = None
        return datetime.now(zone).date()

    def sees_clients(client: WebClient, team_id: str, user_id: str) -> bool:
        return access(services.db, client, team_id, user_id).client_details

    def refuse(respond: Respond, locale: str) -> None:
        answer(respond, client_views.plain_message(t(locale, "privacy.client_details.forbidden")), replace=False)

    # -- /client ------------------------------------------------------------------------------------------

    def ack_now(ack: Ack) -> None:
        ack()

    def client_command(command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        team_id, user_id = command["team_id"], command["user_id"]
        ensure_workspace(services.db, team_id, command.get("team_domain"))
        locale = locale_of(client, team_id, user_id)
        text = " ".join((command.get("text") or "").split())
        word, _, rest = text.partition(" ")
        if word.lower() == NEW_WORD:
            modal = new_client_modal(
                locale,
                initial_name=rest[: client_forms.NAME_MAX] or None,
                channel_id=command.get("channel_id"),
                response_url=command.get("response_url"),
            )
            client.views_open(trigger_id=command["trigger_id"], view=modal)
            return
        if not sees_clients(client, team_id, user_id):
            refuse(respond, locale)
            return
        if not text:
            show_list(respond, team_id, locale, query="", offset=0, replace=False)
            return
        with services.db.session() as session:
            found = client_logic.exact_match(session, team_id, text)
            matches = [] if found else client_logic.search_clients(session, team_id, text, limit=2)
        if found is None and len(matches) == 1:
            found = matches[0]
        if found is not None:
            assert found.id is not None
            show_record(respond, team_id, locale, found.id, replace=False)
        else:
            show_list(respond, team_id, locale, query=text, offset=0, replace=False)

    def show_list(respond: Respond, team_id: str, locale: str, *, query: str, offset: int, replace: bool) -> None:
        with services.db.session() as session:
            total = client_logic.count_clients(session, team_id, query)
            if total and offset >= total:  # clients were removed since the page was drawn
                offset = max(total - client_views.PAGE_SIZE, 0)
            page = client_logic.search_clients(session, team_id, query, limit=client_views.PAGE_SIZE, offset=offset)
        message = (
            client_views.client_list(locale, page, query=query, offset=offset, total=total)
            if page
            else client_views.no_clients(locale, query)
        )
        answer(respond, message, replace=replace)

    def show_record(respond: Respond, team_id: str, locale: str, client_id: int, *, replace: bool) -> None:
        answer(respond, record_message(team_id, locale, client_id), replace=replace)

    def answer(respond: Respond, message: dict[str, Any], *, replace: bool) -> None:
        response = respond(**message, response_type="ephemeral", replace_original=replace)
        if response.status_code != 200:
            # Slack refused it (or the response_url expired): say so in the logs rather than lose it silently.
            log.warning("response_url answered %s: %s", response.status_code, response.body)

    def record_message(team_id: str, locale: str, client_id: int) -> dict[str, Any]:
        with services.db.session() as session:
            record = client_logic.load_record(
                session,
                team_id,
                client_id,
                invoices_shown=client_views.INVOICES_SHOWN,
                sessions_shown=client_views.SESSIONS_SHOWN,
            )
        if record is None:
            return client_views.plain_message(t(locale, "client.gone"))
        return client_views.client_record(locale, record)

    # -- buttons on the list and the record ------------------------------------------------------------------

    def page_clicked(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        parsed = client_views.parse_page_value(body["actions"][0].get("value"))
        if parsed is None:
            return
        query, offset = parsed
        if not sees_clients(client, team_id, user_id):
            refuse(respond, locale_of(client, team_id, user_id))
            return
        show_list(respond, team_id, locale_of(client, team_id, user_id), query=query, offset=offset, replace=True)

    def open_clicked(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        client_id = _int(body["actions"][0].get("value"))
        if client_id is not None and not sees_clients(client, team_id, user_id):
            refuse(respond, locale_of(client, team_id, user_id))
        elif client_id is not None:
            show_record(respond, team_id, locale_of(client, team_id, user_id), client_id, replace=False)

    def new_client_clicked(body: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(client, team_id, user_id)
        name = (body["actions"][0].get("value") or "").strip()[: client_forms.NAME_MAX]
        modal = new_client_modal(
            locale, initial_name=name or None, channel_id=_channel(body), response_url=body.get("response_url")
        )
        client.views_open(trigger_id=body["trigger_id"], view=modal)

    def add_session_clicked(body: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(client, team_id, user_id)
        client_id = _int(body["actions"][0].get("value"))
        with services.db.session() as session:
            found = client_logic.get_client(session, team_id, client_id) if client_id is not None else None
            catalogue = client_logic.active_services(session, team_id)
        if found is None:
            view = client_views.notice_modal(locale, "client.session.title", t(locale, "client.gone"))
        else:
            view = client_views.session_modal(
                locale,
                found,
                catalogue,
                today=today_for(client, team_id, user_id),
                channel_id=_channel(body),
                response_url=body.get("response_url"),
            )
        client.views_open(trigger_id=body["trigger_id"], view=view)

    def invoice_clicked(body: dict[str, Any], client: WebClient) -> None:
        start_invoice(body, client, with_sessions=False)

    def invoice_sessions_clicked(body: dict[str, Any], client: WebClient) -> None:
        start_invoice(body, client, with_sessions=True)

    def start_invoice(body: dict[str, Any], client: WebClient, *, with_sessions: bool) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(client, team_id, user_id)
        client_id = _int(body["actions"][0].get("value"))
        appointment_ids: tuple[int, ...] = ()
        with services.db.session() as session:
            found = client_logic.get_client(session, team_id, client_id) if client_id is not None else None
            if found is not None and with_sessions:
                # Read now, not from the record as drawn: a session invoiced meanwhile is not offered twice.
                appointment_ids = tuple(
                    a.id
                    for a in client_logic.uninvoiced_appointments(session, team_id, client_id or 0)
                    if a.id is not None
                )
        if found is None:
            view = client_views.notice_modal(locale, "client.record.new_invoice", t(locale, "client.gone"))
            client.views_open(trigger_id=body["trigger_id"], view=view)
            return
        if with_sessions and not appointment_ids:
            text = t(locale, "client.record.nothing_to_invoice", name=found.name)
            view = client_views.notice_modal(locale, "client.record.new_invoice", text)
            client.views_open(trigger_id=body["trigger_id"], view=view)
            return
        open_invoice_modal(
            services,
            client,
            trigger_id=body["trigger_id"],
            team_id=team_id,
            user_id=user_id,
            locale=locale,
            channel_id=_channel(body),
            client_id=client_id,
            appointment_ids=appointment_ids,
        )

    # -- the new client modal -------------------------------------------------------------------------------

    def validate_client(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        locale = locale_of(client, body["team"]["id"], body["user"]["id"])
        form, errors = client_forms.client_form(view.get("state", {}).get("values", {}), locale)
        if form is None:
            ack(response_action="errors", errors=errors)
        elif modals.metadata(view).get("parent"):
            ack()  # back to the invoice modal, which the lazy part tells about the new client
        else:
            saving = client_views.notice_modal(locale, "client.new.title", t(locale, "client.saving"))
            ack(response_action="update", view=saving)

    def save_client(body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(client, team_id, user_id)
        form, _ = client_forms.client_form(view.get("state", {}).get("values", {}), locale)
        if form is None:
            return  # the ack showed the errors
        client_id = client_logic.create_client(services.db, team_id, user_id, form, request_key=f"view:{view['id']}")
        metadata = modals.metadata(view)
        parent = metadata.get("parent")
        if isinstance(parent, str) and parent:
            on_client_created(
                services,
                client,
                team_id=team_id,
                user_id=user_id,
                locale=locale,
                parent_view_id=parent,
                client_id=client_id,
            )
            return
        done = client_views.notice_modal(locale, "client.new.title", t(locale, "client.saved", name=form.name))
        modals.update_view(client, view["id"], done)
        response_url = metadata.get("ru")
        # The record holds the practice's data (invoices, balances): only for those who may see it.
        if isinstance(response_url, str) and response_url and sees_clients(client, team_id, user_id):
            post_to_response_url(response_url, record_message(team_id, locale, client_id), replace=False)

    # -- the session modal ----------------------------------------------------------------------------------

    def session_values(
        body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> tuple[str, client_forms.SessionForm | None, dict[str, str]]:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(client, team_id, user_id)
        with services.db.session() as session:
            ids = {s.id for s in client_logic.active_services(session, team_id) if s.id is not None}
        form, errors = client_forms.session_form(
            view.get("state", {}).get("values", {}), locale, service_ids=ids, today=today_for(client, team_id, user_id)
        )
        return locale, form, errors

    def validate_session(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        _, form, errors = session_values(body, view, client)
        if form is None:
            ack(response_action="errors", errors=errors)
        else:
            ack()

    def save_session(body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale, form, _ = session_values(body, view, client)
        metadata = modals.metadata(view)
        client_id = metadata.get("client")
        if form is None or not isinstance(client_id, int):
            return
        saved = client_logic.add_appointment(
            services.db, team_id, user_id, client_id, form, request_key=f"view:{view['id']}"
        )
        response_url = metadata.get("ru")
        redraw = saved is not None and isinstance(response_url, str) and bool(response_url)
        if redraw and isinstance(response_url, str) and sees_clients(client, team_id, user_id):
            # The record the user clicked from, redrawn with the new session.
            post_to_response_url(response_url, record_message(team_id, locale, client_id), replace=True)

    # -- helpers -----------------------------------------------------------------------------------------------

    def post_to_response_url(url: str, message: dict[str, Any], *, replace: bool) -> None:
        try:
            response = WebhookClient(url).send(
                text=message["text"],
                blocks=message["blocks"],
                response_type="ephemeral",
                replace_original=replace,
            )
        except OSError as exc:
            log.info("response_url post failed: %s", exc)
            return
        if response.status_code != 200:
            # Expired (30 minutes) or used up (5 posts): the saved row stays; `/client` shows it again.
            log.info("response_url answered %s: %s", response.status_code, response.body)

    app.command("/client")(ack=ack_now, lazy=[client_command])
    app.action(f.LIST_MORE_ACTION)(ack=ack_now, lazy=[page_clicked])
    app.action(f.LIST_PREVIOUS_ACTION)(ack=ack_now, lazy=[page_clicked])
    app.action(f.OPEN_RECORD_ACTION)(ack=ack_now, lazy=[open_clicked])
    app.action(f.NEW_CLIENT_ACTION)(ack=ack_now, lazy=[new_client_clicked])
    app.action(f.ADD_SESSION_ACTION)(ack=ack_now, lazy=[add_session_clicked])
    app.action(f.NEW_INVOICE_ACTION)(ack=ack_now, lazy=[invoice_clicked])
    app.action(f.INVOICE_SESSIONS_ACTION)(ack=ack_now, lazy=[invoice_sessions_clicked])
    app.view(f.NEW_CLIENT_CALLBACK)(ack=validate_client, lazy=[save_client])
    app.view(f.SESSION_CALLBACK)(ack=validate_session, lazy=[save_session])
    catalogue.register(app, services)


def _channel(body: dict[str, Any]) -> str | None:
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    return channel if isinstance(channel, str) else None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
