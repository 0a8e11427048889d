"""`/client`: the practice's clients (list, search, new), a client's record and sessions; and the services
catalogue (flows.clients.catalogue registers its own listeners, called from here).

Listeners stay thin: acks answer at once (a modal's ack validates, so errors come back inline). The lazy parts
that open a modal are trigger-bound (bot.work_queue): a light modal at once, filled once read. The others, run
from the durable work queue, read and save through ``client_logic`` and answer through the
command's response_url, ephemeral: a client's record holds contact details and sessions. The list and the
records go to billing admins only, unless the practice lets every member see client details.

The invoice modal belongs to the invoices flow: it is opened through ``services.invoice_modal``
(bot/flow_hooks.py), never by importing that flow.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot import countries, modals, view_state
from bot.acks import ack_now
from bot.i18n import t
from bot.permissions import access, is_billing_admin
from bot.services import Services
from bot.slack_users import ensure_workspace, locale_of, member_today
from bot.typed_numbers import whole_number
from bot.work_queue import after_opens, trigger_bound
from flows.clients import change_listeners, open_records
from flows.clients import changes as change_logic
from flows.clients import ids as f
from flows.clients import logic as client_logic
from flows.clients import validation as client_forms
from flows.clients import views as client_views
from flows.clients.catalogue import listeners as catalogue
from flows.clients.views import new_client_modal

log = logging.getLogger(__name__)

__all__ = ["ClientListeners", "register"]

NEW_WORD = "new"


class ClientListeners:
    """`/client`, the buttons of the list and the record, and the new client and session modals."""

    def __init__(self, services: Services) -> None:
        self.services = services

    # -- /client ------------------------------------------------------------------------------------------

    @trigger_bound
    def new_client_command(self, command: dict[str, Any], client: WebClient) -> None:
        """`/client new [name]`: the new client modal, on a light one at once (its language is read after)."""
        shown = modals.open_loading(client, command["trigger_id"])
        if shown is None:
            return

        def fill() -> None:
            team_id, user_id = command["team_id"], command["user_id"]
            ensure_workspace(self.services.db, team_id, command.get("team_domain"))
            locale = locale_of(self.services, client, team_id, user_id)
            _, rest = _words(command)
            modal = new_client_modal(
                locale,
                initial_name=rest[: client_forms.NAME_MAX] or None,
                channel_id=command.get("channel_id"),
                response_url=command.get("response_url"),
            )
            modals.fill(client, shown, modal)

        after_opens(fill)

    def client_command(self, command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """`/client [words]` but `new`: the list, a search or a record, through the response_url (durable)."""
        team_id, user_id = command["team_id"], command["user_id"]
        ensure_workspace(self.services.db, team_id, command.get("team_domain"))
        locale = locale_of(self.services, client, team_id, user_id)
        text = " ".join((command.get("text") or "").split())
        if not self._sees_clients(client, team_id, user_id):
            _refuse(respond, locale)
            return
        if not text or text.lower() == f.ARCHIVED_WORD:
            archived = bool(text)
            self._show_list(respond, team_id, locale, query="", offset=0, replace=False, archived=archived)
            return
        with self.services.db.session() as session:
            found = client_logic.exact_match(session, team_id, text)
            matches = [] if found else client_logic.search_clients(session, team_id, text, limit=2)
        if found is None and len(matches) == 1:
            found = matches[0]
        if found is not None:
            assert found.id is not None
            may_change = self._may_change(client, team_id, user_id)
            _answer(respond, self._record_message(team_id, locale, found.id, may_change), replace=False)
        else:
            self._show_list(respond, team_id, locale, query=text, offset=0, replace=False)

    def _show_list(
        self,
        respond: Respond,
        team_id: str,
        locale: str,
        *,
        query: str,
        offset: int,
        replace: bool,
        archived: bool = False,
    ) -> None:
        with self.services.db.session() as session:
            total = client_logic.count_clients(session, team_id, query, archived=archived)
            if total and offset >= total:  # clients were removed since the page was drawn
                offset = max(total - client_views.PAGE_SIZE, 0)
            page = client_logic.search_clients(
                session, team_id, query, limit=client_views.PAGE_SIZE, offset=offset, archived=archived
            )
        if page:
            message = client_views.client_list(locale, page, query=query, offset=offset, total=total, archived=archived)
        elif archived:
            message = client_views.plain_message(t(locale, "client.list.none_archived"))
        else:
            message = client_views.no_clients(locale, query)
        _answer(respond, message, replace=replace)

    def _record_message(self, team_id: str, locale: str, client_id: int, may_change: bool = True) -> dict[str, Any]:
        """``may_change``: the reader is a billing admin (the record's Edit and session menus are theirs)."""
        with self.services.db.session() as session:
            record = client_logic.load_record(
                session,
                team_id,
                client_id,
                invoices_shown=client_views.INVOICES_SHOWN,
                sessions_shown=client_views.SESSIONS_SHOWN,
            )
        if record is None:
            return client_views.plain_message(t(locale, "client.gone"))
        if record.client.merged_into_id is not None:
            with self.services.db.session() as session:
                kept = change_logic.merged_into(session, team_id, client_id)
            if kept is not None and kept.id is not None and kept.id != client_id:
                # An old button of the duplicate: the kept one.
                return self._record_message(team_id, locale, kept.id, may_change)
        message = client_views.client_record(locale, record, may_change=may_change)
        for part in self.services.client_record_parts:  # other flows' lines on the record (autopay's switch)
            message["blocks"].extend(part(locale, record.client))
        return message

    def redraw_record(self, response_url: str, team_id: str, locale: str, client_id: int) -> None:
        """The record the person clicked from, drawn again in place once changed (edit, archive, a session)."""
        _post_to_response_url(response_url, self._record_message(team_id, locale, client_id), replace=True)

    def sessions_invoiced(self, web: WebClient, team_id: str, user_id: str, appointment_ids: tuple[int, ...]) -> None:
        """``services.on_sessions_invoiced``: the records the invoicer has open for those clients, redrawn."""
        shown = open_records.shown_for_sessions(self.services.db, team_id, user_id, appointment_ids)
        if not shown or not self._sees_clients(web, team_id, user_id):
            return
        locale = locale_of(self.services, web, team_id, user_id)
        may_change = self._may_change(web, team_id, user_id)
        for client_id, response_url in shown:
            message = self._record_message(team_id, locale, client_id, may_change)
            _post_to_response_url(response_url, message, replace=True)

    def _may_change(self, client: WebClient, team_id: str, user_id: str) -> bool:
        return is_billing_admin(self.services.db, client, team_id, user_id)

    def _sees_clients(self, client: WebClient, team_id: str, user_id: str) -> bool:
        return access(self.services.db, client, team_id, user_id).client_details

    # -- buttons on the list and the record ------------------------------------------------------------------

    def page_clicked(self, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        parsed = client_views.parse_page_value(body["actions"][0].get("value"))
        if parsed is None:
            return
        query, offset = parsed
        archived = client_views.page_is_archived(body["actions"][0].get("value"))
        locale = locale_of(self.services, client, team_id, user_id)
        if not self._sees_clients(client, team_id, user_id):
            _refuse(respond, locale)
            return
        self._show_list(respond, team_id, locale, query=query, offset=offset, replace=True, archived=archived)

    def open_clicked(self, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        client_id = whole_number(body["actions"][0].get("value"))
        if client_id is None:
            return
        locale = locale_of(self.services, client, team_id, user_id)
        if not self._sees_clients(client, team_id, user_id):
            _refuse(respond, locale)
        else:
            may_change = self._may_change(client, team_id, user_id)
            _answer(respond, self._record_message(team_id, locale, client_id, may_change), replace=False)

    @trigger_bound
    def new_client_clicked(self, body: dict[str, Any], client: WebClient) -> None:
        shown = modals.open_loading(client, body["trigger_id"])
        if shown is None:
            return

        def fill() -> None:
            locale = locale_of(self.services, client, body["team"]["id"], body["user"]["id"])
            name = (body["actions"][0].get("value") or "").strip()[: client_forms.NAME_MAX]
            modal = new_client_modal(
                locale, initial_name=name or None, channel_id=_channel(body), response_url=body.get("response_url")
            )
            modals.fill(client, shown, modal)

        after_opens(fill)

    @trigger_bound
    def add_session_clicked(self, body: dict[str, Any], client: WebClient) -> None:
        shown = modals.open_loading(client, body["trigger_id"])
        if shown is not None:
            after_opens(lambda: self._fill_session(body, client, shown))

    def _fill_session(self, body: dict[str, Any], client: WebClient, shown: modals.Shown) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(self.services, client, team_id, user_id)
        client_id = whole_number(body["actions"][0].get("value"))
        with self.services.db.session() as session:
            found = client_logic.get_client(session, team_id, client_id) if client_id is not None else None
            services_offered = client_logic.active_services(session, team_id)
        if found is None:
            view = client_views.notice_modal(locale, "client.session.title", t(locale, "client.gone"))
        else:
            view = client_views.session_modal(
                locale,
                found,
                services_offered,
                today=member_today(self.services.db, client, team_id, user_id),
                channel_id=_channel(body),
                response_url=body.get("response_url"),
            )
        modals.fill(client, shown, view)

    @trigger_bound
    def invoice_clicked(self, body: dict[str, Any], client: WebClient) -> None:
        self._start_invoice(body, client, with_sessions=False)

    @trigger_bound
    def invoice_sessions_clicked(self, body: dict[str, Any], client: WebClient) -> None:
        self._start_invoice(body, client, with_sessions=True)

    def _start_invoice(self, body: dict[str, Any], client: WebClient, *, with_sessions: bool) -> None:
        # What to show (the invoice modal, or why not) needs reads: the trigger_id is used at once on a light modal.
        shown = modals.open_loading(client, body["trigger_id"])
        if shown is not None:
            after_opens(lambda: self._fill_invoice(body, client, shown, with_sessions=with_sessions))

    def _fill_invoice(
        self, body: dict[str, Any], client: WebClient, shown: modals.Shown, *, with_sessions: bool
    ) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(self.services, client, team_id, user_id)
        invoice_modal = self.services.invoice_modal
        if invoice_modal is None:
            log.warning("no invoice modal to open from a client's record: the invoices flow is not registered")
            text = t(locale, "common.coming_soon", feature=t(locale, "client.record.new_invoice"))
            modals.fill(client, shown, client_views.notice_modal(locale, "client.record.new_invoice", text))
            return
        client_id = whole_number(body["actions"][0].get("value"))
        appointment_ids: tuple[int, ...] = ()
        with self.services.db.session() as session:
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
            modals.fill(client, shown, view)
            return
        if with_sessions and not appointment_ids:
            text = t(locale, "client.record.nothing_to_invoice", name=found.name)
            modals.fill(client, shown, client_views.notice_modal(locale, "client.record.new_invoice", text))
            return
        response_url = body.get("response_url")
        if with_sessions and client_id is not None and isinstance(response_url, str) and response_url:
            # The record stays open behind the invoice modal: redrawn once these sessions are invoiced.
            open_records.remember(self.services.db, team_id, user_id, client_id, response_url)
        invoice_modal.open(
            client,
            trigger_id=body["trigger_id"],
            team_id=team_id,
            user_id=user_id,
            locale=locale,
            channel_id=_channel(body),
            client_id=client_id,
            appointment_ids=appointment_ids,
            shown=shown,
        )

    # -- the client form's country -------------------------------------------------------------------------

    def country_chosen(self, body: dict[str, Any], client: WebClient) -> None:
        """A country chosen in a client form (new or edit): its postal code field redrawn as required or not."""
        view = body.get("view") or {}
        if view.get("type") != "modal" or not view.get("id"):
            return
        locale = locale_of(self.services, client, body["team"]["id"], body["user"]["id"])
        country = view_state.selected(view.get("state", {}).get("values", {}), f.COUNTRY)
        if country is not None and not countries.is_country(country):
            country = None  # a forged value: the form says so on Save
        redrawn = client_views.with_country(view, locale, country)
        # The hash: a modal changed meanwhile (Save pressed, another choice) is not overwritten with this one.
        modals.update_view(client, view["id"], redrawn, view_hash=view.get("hash"))

    # -- the new client modal -------------------------------------------------------------------------------

    def validate_client(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        locale = locale_of(self.services, client, body["team"]["id"], body["user"]["id"])
        form, errors = client_forms.client_form(view.get("state", {}).get("values", {}), locale)
        if form is None:
            ack(response_action="errors", errors=errors)
        elif modals.metadata(view).get("parent"):
            ack()  # back to the invoice modal, which the lazy part tells about the new client
        else:
            saving = client_views.notice_modal(locale, "client.new.title", t(locale, "client.saving"))
            ack(response_action="update", view=saving)

    def save_client(self, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(self.services, client, team_id, user_id)
        form, _ = client_forms.client_form(view.get("state", {}).get("values", {}), locale)
        if form is None:
            return  # the ack showed the errors
        request_key = f"view:{view['id']}"
        client_id = client_logic.create_client(self.services.db, team_id, user_id, form, request_key=request_key)
        metadata = modals.metadata(view)
        parent = metadata.get("parent")
        if isinstance(parent, str) and parent:
            self._tell_invoice_modal(client, team_id, user_id, locale, parent, client_id)
            return
        done = client_views.notice_modal(locale, "client.new.title", t(locale, "client.saved", name=form.name))
        modals.update_view(client, view["id"], done)
        response_url = metadata.get("ru")
        # The record holds the practice's data (invoices, balances): only for those who may see it.
        if isinstance(response_url, str) and response_url and self._sees_clients(client, team_id, user_id):
            message = self._record_message(team_id, locale, client_id, self._may_change(client, team_id, user_id))
            _post_to_response_url(response_url, message, replace=False)

    def _tell_invoice_modal(
        self, client: WebClient, team_id: str, user_id: str, locale: str, parent_view_id: str, client_id: int
    ) -> None:
        invoice_modal = self.services.invoice_modal
        if invoice_modal is None:
            # Only the invoice modal pushes this one; without the invoices flow the client is saved, no more.
            log.warning("a client saved from an invoice modal, but the invoices flow is not registered")
            return
        invoice_modal.client_created(
            client, team_id=team_id, user_id=user_id, locale=locale, parent_view_id=parent_view_id, client_id=client_id
        )

    # -- the session modal ----------------------------------------------------------------------------------

    def _session_values(
        self, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> tuple[str, client_forms.SessionForm | None, dict[str, str]]:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(self.services, client, team_id, user_id)
        with self.services.db.session() as session:
            ids = {s.id for s in client_logic.active_services(session, team_id) if s.id is not None}
        today = member_today(self.services.db, client, team_id, user_id)
        form, errors = client_forms.session_form(
            view.get("state", {}).get("values", {}), locale, service_ids=ids, today=today
        )
        return locale, form, errors

    def validate_session(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        _, form, errors = self._session_values(body, view, client)
        if form is None:
            ack(response_action="errors", errors=errors)
        else:
            ack()

    def save_session(self, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale, form, _ = self._session_values(body, view, client)
        metadata = modals.metadata(view)
        client_id = metadata.get("client")
        if form is None or not isinstance(client_id, int):
            return
        saved = client_logic.add_appointment(
            self.services.db, team_id, user_id, client_id, form, request_key=f"view:{view['id']}"
        )
        response_url = metadata.get("ru")
        redraw = saved is not None and isinstance(response_url, str) and bool(response_url)
        if redraw and isinstance(response_url, str) and self._sees_clients(client, team_id, user_id):
            # The record the user clicked from, redrawn with the new session.
            message = self._record_message(team_id, locale, client_id, self._may_change(client, team_id, user_id))
            _post_to_response_url(response_url, message, replace=True)


def register(app: App, services: Services) -> None:
    listeners = ClientListeners(services)
    # `/client new` opens a modal (trigger-bound), the rest answers through the response_url (durable): Bolt runs
    # every lazy part of a listener, so they are two listeners, told apart in the ack (replays match the same way).
    app.command("/client", matchers=[_asks_for_new])(ack=ack_now, lazy=[listeners.new_client_command])
    app.command("/client", matchers=[_asks_for_clients])(ack=ack_now, lazy=[listeners.client_command])
    app.action(f.LIST_MORE_ACTION)(ack=ack_now, lazy=[listeners.page_clicked])
    app.action(f.LIST_PREVIOUS_ACTION)(ack=ack_now, lazy=[listeners.page_clicked])
    app.action(f.OPEN_RECORD_ACTION)(ack=ack_now, lazy=[listeners.open_clicked])
    app.action(f.NEW_CLIENT_ACTION)(ack=ack_now, lazy=[listeners.new_client_clicked])
    app.action(f.ADD_SESSION_ACTION)(ack=ack_now, lazy=[listeners.add_session_clicked])
    app.action(f.NEW_INVOICE_ACTION)(ack=ack_now, lazy=[listeners.invoice_clicked])
    app.action(f.INVOICE_SESSIONS_ACTION)(ack=ack_now, lazy=[listeners.invoice_sessions_clicked])
    app.action(f.COUNTRY)(ack=ack_now, lazy=[listeners.country_chosen])
    app.view(f.NEW_CLIENT_CALLBACK)(ack=listeners.validate_client, lazy=[listeners.save_client])
    app.view(f.SESSION_CALLBACK)(ack=listeners.validate_session, lazy=[listeners.save_session])
    services.on_sessions_invoiced.append(listeners.sessions_invoiced)
    catalogue.register(app, services)
    change_listeners.register(app, services, listeners.redraw_record)


def _words(command: dict[str, Any]) -> tuple[str, str]:
    """The command's first word and the rest, spaces collapsed."""
    word, _, rest = " ".join((command.get("text") or "").split()).partition(" ")
    return word, rest


def _asks_for_new(command: dict[str, Any]) -> bool:
    return _words(command)[0].lower() == NEW_WORD


def _asks_for_clients(command: dict[str, Any]) -> bool:
    return not _asks_for_new(command)


def _answer(respond: Respond, message: dict[str, Any], *, replace: bool) -> None:
    response = respond(**message, response_type="ephemeral", replace_original=replace)
    if response.status_code != 200:
        # Slack refused it (or the response_url expired): say so in the logs rather than lose it silently.
        log.warning("response_url answered %s: %s", response.status_code, response.body)


def _refuse(respond: Respond, locale: str) -> None:
    _answer(respond, client_views.plain_message(t(locale, "privacy.client_details.forbidden")), replace=False)


def _post_to_response_url(url: str, message: dict[str, Any], *, replace: bool) -> None:
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


def _channel(body: dict[str, Any]) -> str | None:
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    return channel if isinstance(channel, str) else None
