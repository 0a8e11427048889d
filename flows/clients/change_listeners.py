"""Changing a client from their record: Edit, the "More" menu (merge, archive or unarchive, forget), and each
session's menu (edit, delete, or why not). Billing admins only.

Openers are trigger-bound (a light modal at once, filled once read); saves run from the durable work queue
after the modal's ack validated them, each claimed once (``flows.clients.changes``), then the Stripe customer
is mirrored or deleted (``flows.clients.stripe_mirror``): a Stripe failure raises, and the queue runs the work
again with what was saved kept. The record the person clicked from is redrawn through its response_url.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot import blocks, modals, view_state
from bot.acks import ack_now
from bot.flow_hooks import ClientEditHooks
from bot.i18n import t
from bot.permissions import is_billing_admin
from bot.services import Services
from bot.slack_users import locale_of, member_today
from bot.stripe_gateway import GatewayError
from bot.typed_numbers import whole_number
from bot.work_queue import after_opens, trigger_bound
from flows.clients import change_views as cviews
from flows.clients import changes, stripe_mirror
from flows.clients import ids as f
from flows.clients import logic as client_logic
from flows.clients import validation as client_forms
from flows.clients import views as client_views

log = logging.getLogger(__name__)

__all__ = ["ChangeListeners", "register"]


class RecordPoster(Protocol):
    def __call__(self, response_url: str, team_id: str, locale: str, client_id: int) -> None:
        """Redraw the client's record where the person clicked from (if they may see it)."""


class ChangeListeners:
    def __init__(self, services: Services, redraw: RecordPoster) -> None:
        self.services = services
        self.redraw = redraw

    # -- shared ---------------------------------------------------------------------------------------------

    def _admin(self, client: WebClient, team_id: str, user_id: str) -> bool:
        return is_billing_admin(self.services.db, client, team_id, user_id)

    def _notice(self, locale: str, text: str) -> dict[str, Any]:
        return client_views.notice_modal(locale, "client.change.title", text)

    def _redraw_from(self, metadata: dict[str, Any], team_id: str, locale: str, client_id: int) -> None:
        url = metadata.get("ru")
        if isinstance(url, str) and url:
            self.redraw(url, team_id, locale, client_id)

    def _refresh_messages(self, web: WebClient, team_id: str, client_id: int) -> None:
        """The client's invoice messages re-rendered (their name changed): Slack shows what we now hold."""
        refresh = self.services.refresh_invoice_message
        if refresh is None:
            return
        for invoice_id in changes.invoice_ids_with_messages(self.services.db, team_id, client_id):
            refresh(web, invoice_id)

    def _open(self, body: dict[str, Any], client: WebClient, build: Any, *, push: bool = False) -> None:
        """Light modal now; then, for a billing admin, ``build(locale)``'s view (None: "this client is gone")."""
        shown = modals.open_loading(client, body["trigger_id"], push=push)
        if shown is None:
            return

        def fill() -> None:
            team_id, user_id = body["team"]["id"], body["user"]["id"]
            locale = locale_of(self.services, client, team_id, user_id)
            if not self._admin(client, team_id, user_id):
                view = self._notice(locale, t(locale, "client.change.admins_only"))
            else:
                view = build(locale) or self._notice(locale, t(locale, "client.gone"))
            modals.fill(client, shown, view)

        after_opens(fill)

    # -- Edit -----------------------------------------------------------------------------------------------

    @trigger_bound
    def edit_clicked(self, body: dict[str, Any], client: WebClient) -> None:
        client_id = whole_number(body["actions"][0].get("value")) or 0
        self._open(body, client, lambda locale: self._edit_view(body, locale, client_id, pushed=False))

    def open_edit(
        self, client: WebClient, *, trigger_id: str, team_id: str, user_id: str, client_id: int, push: bool = False
    ) -> None:
        """The hook (bot.flow_hooks.ClientEditHooks): the invoice modal's "Add an email" pushes this modal."""
        body = {"trigger_id": trigger_id, "team": {"id": team_id}, "user": {"id": user_id}}
        self._open(body, client, lambda locale: self._edit_view(body, locale, client_id, pushed=push), push=push)

    def _edit_view(self, body: dict[str, Any], locale: str, client_id: int, *, pushed: bool) -> dict[str, Any] | None:
        with self.services.db.session() as session:
            found = client_logic.get_client(session, body["team"]["id"], client_id)
        if found is None or found.forgotten_at is not None or found.merged_into_id is not None:
            return None
        return cviews.edit_modal(locale, found, pushed=pushed, response_url=body.get("response_url"))

    def validate_edit(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        locale = locale_of(self.services, client, body["team"]["id"], body["user"]["id"])
        edited, errors = client_forms.edit_form(view.get("state", {}).get("values", {}), locale)
        if edited is None:
            ack(response_action="errors", errors=errors)
        elif modals.metadata(view).get("pushed"):
            ack()  # back to the modal it was pushed from (the invoice modal), which reads the client afresh
        else:
            ack(response_action="update", view=self._notice(locale, t(locale, "client.saving")))

    def save_edit(self, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(self.services, client, team_id, user_id)
        edited, _ = client_forms.edit_form(view.get("state", {}).get("values", {}), locale)
        metadata = modals.metadata(view)
        client_id = metadata.get("client")
        if edited is None or not isinstance(client_id, int) or not self._admin(client, team_id, user_id):
            return
        form, language = edited
        request_key = f"view:{view['id']}"
        changes.save_edit(self.services.db, team_id, client_id, form, language, request_key=request_key)
        pushed = bool(metadata.get("pushed"))
        try:
            mirrored = stripe_mirror.mirror_edit(self.services, team_id, client_id, request_key=request_key)
        except GatewayError as exc:
            # Saved here; Stripe gets it when the work queue runs this again.
            log.warning("client %s saved, their Stripe customer not updated yet: %s", client_id, exc.code)
            if not pushed:
                modals.update_view(
                    client,
                    view["id"],
                    self._notice(locale, t(locale, "client.change.saved_stripe_later", name=form.name)),
                )
            raise
        self._refresh_messages(client, team_id, client_id)
        if not pushed:
            key = "client.change.saved_stripe" if mirrored else "client.change.saved"
            modals.update_view(client, view["id"], self._notice(locale, t(locale, key, name=form.name)))
        self._redraw_from(metadata, team_id, locale, client_id)

    # -- the "More" menu: merge, forget (modals) and archive, unarchive (saves) --------------------------------

    @trigger_bound
    def more_opened(self, body: dict[str, Any], client: WebClient) -> None:
        chosen = client_views.parse_menu_value(_selected(body))
        if chosen is None:
            return
        verb, client_id = chosen
        team_id = body["team"]["id"]

        def build(locale: str) -> dict[str, Any] | None:
            with self.services.db.session() as session:
                found = client_logic.get_client(session, team_id, client_id)
                if found is None or not changes.mergeable(found):
                    return None
                if verb == f.MERGE:
                    return cviews.merge_modal(locale, found, response_url=body.get("response_url"))
                unsettled = changes.unsettled_numbers(session, team_id, client_id)
            if unsettled:
                return self._notice(locale, cviews.forget_refused_text(locale, found, unsettled))
            return cviews.forget_modal(locale, found, response_url=body.get("response_url"))

        self._open(body, client, build)

    def archive_chosen(self, body: dict[str, Any], client: WebClient) -> None:
        chosen = client_views.parse_menu_value(_selected(body))
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        if chosen is None:
            return
        verb, client_id = chosen
        locale = locale_of(self.services, client, team_id, user_id)
        url = body.get("response_url")
        if not self._admin(client, team_id, user_id):
            if isinstance(url, str):
                _tell(url, t(locale, "client.change.admins_only"))
            return
        changes.set_archived(self.services.db, team_id, client_id, archived=verb == f.ARCHIVE)
        if isinstance(url, str) and url:
            self.redraw(url, team_id, locale, client_id)

    # -- merge ----------------------------------------------------------------------------------------------

    def suggest_duplicates(self, ack: Ack, body: dict[str, Any]) -> None:
        team_id = (body.get("team") or {}).get("id") or ""
        kept = modals.metadata(body.get("view") or {}).get("client")
        with self.services.db.session() as session:
            found = client_logic.search_clients(session, team_id, str(body.get("value") or ""), limit=101)
        ack(options=cviews.duplicate_options([c for c in found if c.id != kept]))

    def validate_merge(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        team_id = body["team"]["id"]
        locale = locale_of(self.services, client, team_id, body["user"]["id"])
        metadata = modals.metadata(view)
        values = view.get("state", {}).get("values", {})
        duplicate_id = whole_number(view_state.selected(values, f.MERGE_DUPLICATE))
        kept_id = metadata.get("client")
        with self.services.db.session() as session:
            kept = client_logic.get_client(session, team_id, kept_id) if isinstance(kept_id, int) else None
            duplicate = client_logic.get_client(session, team_id, duplicate_id) if duplicate_id else None
        if kept is None or duplicate is None or duplicate.id == kept.id or not changes.mergeable(duplicate):
            ack(response_action="errors", errors={f.MERGE_DUPLICATE: t(locale, "client.merge.error")})
            return
        confirm = cviews.merge_confirm_modal(locale, kept, duplicate, response_url=metadata.get("ru"))
        ack(response_action="update", view=confirm)

    def confirm_merge_ack(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        locale = locale_of(self.services, client, body["team"]["id"], body["user"]["id"])
        ack(response_action="update", view=self._notice(locale, t(locale, "client.merge.working")))

    def merge(self, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(self.services, client, team_id, user_id)
        metadata = modals.metadata(view)
        kept_id, duplicate_id = metadata.get("client"), metadata.get("duplicate")
        if not isinstance(kept_id, int) or not isinstance(duplicate_id, int):
            return
        if not self._admin(client, team_id, user_id):
            return
        merged = changes.merge(self.services.db, team_id, kept_id, duplicate_id, request_key=f"view:{view['id']}")
        self._refresh_messages(client, team_id, kept_id)
        if merged is not None:
            text = cviews.merged_text(locale, merged)
        else:  # a replay of this merge (done already), or one of them changed meanwhile
            with self.services.db.session() as session:
                duplicate = client_logic.get_client(session, team_id, duplicate_id)
            done = duplicate is not None and duplicate.merged_into_id == kept_id
            text = t(locale, "client.merge.done_already" if done else "client.merge.error")
        modals.update_view(client, view["id"], self._notice(locale, text))
        self._redraw_from(metadata, team_id, locale, kept_id)

    # -- forget ---------------------------------------------------------------------------------------------

    def validate_forget(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        team_id = body["team"]["id"]
        locale = locale_of(self.services, client, team_id, body["user"]["id"])
        client_id = modals.metadata(view).get("client")
        with self.services.db.session() as session:
            found = client_logic.get_client(session, team_id, client_id) if isinstance(client_id, int) else None
            unsettled = changes.unsettled_numbers(session, team_id, found.id) if found and found.id else []
        if found is None or found.forgotten_at is not None:
            ack(response_action="update", view=self._notice(locale, t(locale, "client.gone")))
        elif unsettled:
            error = cviews.forget_refused_text(locale, found, unsettled)
            ack(response_action="errors", errors={f.FORGET_NAME: blocks.clip(error, 150)})
        elif not client_forms.typed_name_matches(view.get("state", {}).get("values", {}), found.name):
            ack(response_action="errors", errors={f.FORGET_NAME: t(locale, "client.forget.wrong_name")})
        else:
            ack(response_action="update", view=self._notice(locale, t(locale, "client.forget.working")))

    def forget(self, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(self.services, client, team_id, user_id)
        metadata = modals.metadata(view)
        client_id = metadata.get("client")
        if not isinstance(client_id, int) or not self._admin(client, team_id, user_id):
            return
        with self.services.db.session() as session:
            found = client_logic.get_client(session, team_id, client_id)
            typed_ok = found is not None and (
                found.forgotten_at is not None
                or client_forms.typed_name_matches(view.get("state", {}).get("values", {}), found.name)
            )
        if not typed_ok:
            return
        forgotten = changes.forget(self.services.db, team_id, client_id, locale=locale)
        if forgotten is None:
            return  # invoices to settle appeared since the ack: nothing erased, the ack's notice stays
        # Slack first (it shows the name on the invoice messages), then Stripe; each safe to run again.
        self._refresh_messages(client, team_id, client_id)
        stripe_mirror.delete_customer(self.services, team_id, client_id, forgotten)
        modals.update_view(client, view["id"], self._notice(locale, t(locale, "client.forget.done")))
        self._redraw_from(metadata, team_id, locale, client_id)

    # -- sessions -------------------------------------------------------------------------------------------

    @trigger_bound
    def session_chosen(self, body: dict[str, Any], client: WebClient) -> None:
        chosen = client_views.parse_menu_value(_selected(body))
        if chosen is None:
            return
        verb, appointment_id = chosen
        team_id, user_id = body["team"]["id"], body["user"]["id"]

        def build(locale: str) -> dict[str, Any] | None:
            with self.services.db.session() as session:
                row = changes.get_appointment(session, team_id, appointment_id)
                if row is None:
                    return None
                lock = changes.session_lock(session, row)
                owner = client_logic.get_client(session, team_id, row.client_id)
                offered = client_logic.active_services(session, team_id)
            if lock is not None or verb == f.SESSION_LOCKED:
                return self._notice(locale, cviews.locked_text(locale, lock.invoice_number if lock else "?"))
            if verb == f.SESSION_DELETE:
                return cviews.session_delete_modal(locale, row, response_url=body.get("response_url"))
            if owner is None:
                return None
            return client_views.session_modal(
                locale, owner, offered, today=member_today(self.services.db, client, team_id, user_id),
                channel_id=None, response_url=body.get("response_url"), appointment=row,
            )  # fmt: skip

        self._open(body, client, build)

    def _session_form(
        self, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> tuple[str, client_forms.SessionForm | None, dict[str, str]]:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(self.services, client, team_id, user_id)
        with self.services.db.session() as session:
            ids = {s.id for s in client_logic.active_services(session, team_id) if s.id is not None}
            row = modals.metadata(view).get("session")
            current = changes.get_appointment(session, team_id, row) if isinstance(row, int) else None
            if current is not None and current.service_id is not None:
                ids.add(current.service_id)  # its own service, even if archived since, stays choosable
        today = member_today(self.services.db, client, team_id, user_id)
        values = view.get("state", {}).get("values", {})
        form, errors = client_forms.session_form(values, locale, service_ids=ids, today=today)
        return locale, form, errors

    def validate_session_edit(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        _, form, errors = self._session_form(body, view, client)
        if form is None:
            ack(response_action="errors", errors=errors)
        else:
            ack()

    def save_session_edit(self, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale, form, _ = self._session_form(body, view, client)
        metadata = modals.metadata(view)
        appointment_id = metadata.get("session")
        if form is None or not isinstance(appointment_id, int) or not self._admin(client, team_id, user_id):
            return
        saved = changes.edit_appointment(self.services.db, team_id, appointment_id, form)
        if isinstance(saved, changes.SessionLock):
            # Invoiced between the menu and the save: nothing changed; say why where the record was.
            url = metadata.get("ru")
            if isinstance(url, str) and url:
                _tell(url, cviews.locked_text(locale, saved.invoice_number))
        elif saved is not None:
            self._redraw_from(metadata, team_id, locale, saved.client_id)

    def delete_session(self, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(self.services, client, team_id, user_id)
        metadata = modals.metadata(view)
        appointment_id = metadata.get("session")
        if not isinstance(appointment_id, int) or not self._admin(client, team_id, user_id):
            return
        deleted = changes.delete_appointment(self.services.db, team_id, appointment_id)
        url = metadata.get("ru")
        if isinstance(deleted, changes.SessionLock):
            if isinstance(url, str) and url:
                _tell(url, cviews.locked_text(locale, deleted.invoice_number))
        elif isinstance(deleted, int):
            self._redraw_from(metadata, team_id, locale, deleted)


def _tell(url: str, text: str) -> None:
    """A short ephemeral answer where the person clicked (the record's response_url); lost only with that URL."""
    try:
        WebhookClient(url).send(text=text, response_type="ephemeral", replace_original=False)
    except OSError as exc:
        log.info("response_url post failed: %s", exc)


def _selected(body: dict[str, Any]) -> str | None:
    """The chosen menu option's value (or the button's: an invoiced session's button has the menu's action id)."""
    action = (body.get("actions") or [{}])[0]
    value = (action.get("selected_option") or {}).get("value") or action.get("value")
    return value if isinstance(value, str) else None


def _is_archive(body: dict[str, Any]) -> bool:
    chosen = client_views.parse_menu_value(_selected(body))
    return chosen is not None and chosen[0] in (f.ARCHIVE, f.UNARCHIVE)


def _opens_modal(body: dict[str, Any]) -> bool:
    return not _is_archive(body)


def register(app: App, services: Services, redraw: RecordPoster) -> None:
    listeners = ChangeListeners(services, redraw)
    services.client_edit = ClientEditHooks(open=listeners.open_edit)
    app.action(f.EDIT_CLIENT_ACTION)(ack=ack_now, lazy=[listeners.edit_clicked])
    # One menu, two kinds of work: merge and forget open a modal (trigger-bound), archive saves (durable).
    app.action(f.MORE_ACTION, matchers=[_opens_modal])(ack=ack_now, lazy=[listeners.more_opened])
    app.action(f.MORE_ACTION, matchers=[_is_archive])(ack=ack_now, lazy=[listeners.archive_chosen])
    app.action(f.SESSION_ACTION)(ack=ack_now, lazy=[listeners.session_chosen])
    app.options(f.MERGE_DUPLICATE)(listeners.suggest_duplicates)
    app.view(f.EDIT_CLIENT_CALLBACK)(ack=listeners.validate_edit, lazy=[listeners.save_edit])
    app.view(f.MERGE_CALLBACK)(listeners.validate_merge)
    app.view(f.MERGE_CONFIRM_CALLBACK)(ack=listeners.confirm_merge_ack, lazy=[listeners.merge])
    app.view(f.FORGET_CALLBACK)(ack=listeners.validate_forget, lazy=[listeners.forget])
    app.view(f.SESSION_EDIT_CALLBACK)(ack=listeners.validate_session_edit, lazy=[listeners.save_session_edit])
    app.view(f.SESSION_DELETE_CALLBACK)(ack=ack_now, lazy=[listeners.delete_session])
