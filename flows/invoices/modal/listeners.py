"""The invoice modal's listeners: `/invoice`, the "New invoice" shortcut and the buttons on a client's record
(through ``services.invoice_modal``, set here) open it; `/invoice` followed by words is listing's answer.

Opening it (and pushing "New client" from it) is trigger-bound (bot.work_queue): a light modal at once, filled
once the catalogue and the draft are read. Listeners stay thin. The client select's options are answered in
the request itself (Slack waits 3 s for them); every change to the modal (a line added or removed, a service
chosen, a number typed) is acknowledged at once and the modal is rebuilt by a lazy part from the state Slack
sends, then updated with the view's hash so an older rebuild never overwrites a newer one. Create validates
in the ack (database reads only) and hands the slow part, our invoice row and Stripe, to ``creation`` after
the ack.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import date, timedelta
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from sqlmodel import col, delete

from bot import blocks, modals
from bot.acks import ack_now
from bot.flow_hooks import InvoiceModalHooks
from bot.i18n import t
from bot.models import InvoiceModalSnapshot, utcnow
from bot.services import Services
from bot.slack_users import ensure_workspace, locale_of, member_today
from bot.typed_numbers import whole_number
from bot.work_queue import after_opens, trigger_bound
from flows.clients import new_client_modal
from flows.invoices import ids
from flows.invoices.correction import validation as correction
from flows.invoices.creation import logic as creation
from flows.invoices.forms import InvoiceForm
from flows.invoices.listing import logic as listing
from flows.invoices.modal import logic, validation, views
from flows.invoices.modal.draft import ClientChoice, Draft, from_view
from flows.invoices.modal.views import MAX_LINES

# How a change inside the modal turns the draft Slack sent into the next one.
Change = Callable[[Draft, logic.Catalog, str, dict[str, Any], WebClient], Draft]

SNAPSHOT_DAYS = 1  # a "New client" modal left open longer than this comes back to a modal we no longer rebuild


class ModalListeners:
    """The invoice modal's acks and lazy work, and its opener for other flows, over the app's Services."""

    def __init__(self, services: Services) -> None:
        self.services = services

    # -- opening it -----------------------------------------------------------------------------------------

    def invoice_command(self, command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """`/invoice <words>`: listing's answer through the response_url, durable like any answer that must exist."""
        services = self.services
        team_id, user_id = command["team_id"], command["user_id"]
        ensure_workspace(services.db, team_id, command.get("team_domain"))
        locale = locale_of(services, client, team_id, user_id)
        text = (command.get("text") or "").strip()
        listing.answer(services, client, team_id=team_id, user_id=user_id, locale=locale, text=text, respond=respond)

    @trigger_bound
    def invoice_modal_command(self, command: dict[str, Any], client: WebClient) -> None:
        """`/invoice` alone: the modal, on a light one at once (the reads come after)."""
        shown = modals.open_loading(client, command["trigger_id"])
        if shown is None:
            return

        def fill() -> None:
            team_id, user_id = command["team_id"], command["user_id"]
            ensure_workspace(self.services.db, team_id, command.get("team_domain"))
            locale = locale_of(self.services, client, team_id, user_id)
            self.open(
                client,
                trigger_id=command["trigger_id"],
                team_id=team_id,
                user_id=user_id,
                locale=locale,
                channel_id=command.get("channel_id"),
                shown=shown,
            )

        after_opens(fill)

    @trigger_bound
    def new_invoice_shortcut(self, body: dict[str, Any], client: WebClient) -> None:
        shown = modals.open_loading(client, body["trigger_id"])
        if shown is None:
            return

        def fill() -> None:
            team_id, user_id = body["team"]["id"], body["user"]["id"]
            ensure_workspace(self.services.db, team_id)
            locale = locale_of(self.services, client, team_id, user_id)
            # A global shortcut has no channel: the invoice goes to the user's DM with the bot.
            self.open(
                client, trigger_id=body["trigger_id"], team_id=team_id, user_id=user_id, locale=locale, shown=shown
            )

        after_opens(fill)

    def open(
        self,
        client: WebClient,
        *,
        trigger_id: str,
        team_id: str,
        user_id: str,
        locale: str,
        channel_id: str | None = None,
        client_id: int | None = None,
        appointment_ids: tuple[int, ...] = (),
        push: bool = False,
        shown: modals.Shown | None = None,
    ) -> None:
        """Open (or, from inside a modal, push) the invoice modal; ``client_id``/``appointment_ids`` prefill it.

        ``channel_id`` is where the invoice message goes once created (None: the user's DM with the bot). The
        trigger_id is used at once on a light modal, filled after the reads; ``shown`` is one the caller opened.
        """

        def fill(shown: modals.Shown) -> None:
            services = self.services
            catalog = logic.load_catalog(team_id, db=services.db)
            draft = logic.new_draft(
                db=services.db,
                team_id=team_id,
                locale=locale,
                today=member_today(services.db, client, team_id, user_id),
                max_lines=MAX_LINES,
                channel_id=channel_id,
                client_id=client_id,
                appointment_ids=tuple(appointment_ids),
                catalog=catalog,
            )
            # The view keeps the light modal's id: "New client" snapshots what was typed under it.
            modals.fill(client, shown, views.invoice_modal(draft, catalog, locale))

        if shown is not None:
            fill(shown)
            return
        opened = modals.open_loading(client, trigger_id, push=push)
        if opened is not None:
            after_opens(lambda: fill(opened))

    def client_created(
        self, client: WebClient, *, team_id: str, user_id: str, locale: str, parent_view_id: str, client_id: int
    ) -> None:
        """The "New client" modal pushed from the invoice modal saved ``client_id``: choose it in the invoice modal.

        Everything typed in the invoice modal before "New client" was pressed is kept (from its snapshot).
        """
        services = self.services
        with services.db.session() as session:
            snapshot = session.get(InvoiceModalSnapshot, (team_id, parent_view_id))
            if snapshot is None:
                return
            view = {
                "private_metadata": snapshot.private_metadata,
                "state": {"values": json.loads(snapshot.state_values)},
            }
            session.delete(snapshot)
        choice = logic.client_choice(team_id, client_id, db=services.db)
        if choice is None:
            return
        draft = from_view(view, MAX_LINES)
        # A new block id for the client select: Slack would otherwise keep showing what it held before.
        draft = replace(draft, client=choice, client_revision=draft.client_revision + 1)
        catalog = logic.load_catalog(team_id, db=services.db)
        modals.update_view(client, parent_view_id, views.invoice_modal(draft, catalog, locale))

    # -- the client select's options ------------------------------------------------------------------------

    def suggest_clients(self, ack: Ack, body: dict[str, Any]) -> None:
        team_id = (body.get("team") or {}).get("id") or (body.get("view") or {}).get("team_id") or ""
        query = str(body.get("value") or "")
        found = logic.search(team_id, query, db=self.services.db)
        options = [blocks.option(name, str(client_id), description=email or None) for client_id, name, email in found]
        ack(options=options[: blocks.SELECT_OPTIONS_MAX])

    # -- changes inside the modal ---------------------------------------------------------------------------

    def add_line(self, body: dict[str, Any], client: WebClient) -> None:
        self._rebuild(body, client, self._with_new_line)

    def remove_line(self, body: dict[str, Any], client: WebClient) -> None:
        self._rebuild(body, client, _without_line)

    def service_chosen(self, body: dict[str, Any], client: WebClient) -> None:
        self._rebuild(body, client, _filled_from_service)

    def amounts_changed(self, body: dict[str, Any], client: WebClient) -> None:
        self._rebuild(body, client, _unchanged)

    def _rebuild(self, body: dict[str, Any], client: WebClient, change: Change) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        view = body.get("view") or {}
        if view.get("callback_id") != ids.CALLBACK or not view.get("id"):
            return
        locale = locale_of(self.services, client, team_id, user_id)
        catalog = logic.load_catalog(team_id, db=self.services.db)
        draft = change(from_view(view, MAX_LINES), catalog, locale, body, client)
        modals.update_view(client, view["id"], views.invoice_modal(draft, catalog, locale), view.get("hash"))

    def _with_new_line(
        self, draft: Draft, catalog: logic.Catalog, locale: str, body: dict[str, Any], client: WebClient
    ) -> Draft:
        if len(draft.lines) >= MAX_LINES:
            return draft
        last = draft.lines[-1].service_date if draft.lines else None
        if last:
            return draft.new_line(date.fromisoformat(last))
        return draft.new_line(member_today(self.services.db, client, body["team"]["id"], body["user"]["id"]))

    @trigger_bound
    def new_client_clicked(self, body: dict[str, Any], client: WebClient) -> None:
        view = body.get("view") or {}
        if view.get("callback_id") != ids.CALLBACK or not view.get("id"):
            return
        shown = modals.open_loading(client, body["trigger_id"], push=True)
        if shown is not None:
            after_opens(lambda: self._fill_new_client(body, view, client, shown))

    def _fill_new_client(
        self, body: dict[str, Any], view: dict[str, Any], client: WebClient, shown: modals.Shown
    ) -> None:
        """Keep what was typed in the invoice modal (its snapshot), then show the "New client" form.

        Saved before the form is shown, so its submission always finds the snapshot. Lost in a crash only with
        the form itself, which the person then never saw.
        """
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(self.services, client, team_id, user_id)
        state = json.dumps((view.get("state") or {}).get("values") or {}, separators=(",", ":"))
        with self.services.db.session() as session:
            session.exec(
                delete(InvoiceModalSnapshot).where(
                    col(InvoiceModalSnapshot.saved_at) < utcnow() - timedelta(days=SNAPSHOT_DAYS)
                )
            )
            snapshot = session.get(InvoiceModalSnapshot, (team_id, view["id"]))
            if snapshot is None:
                snapshot = InvoiceModalSnapshot(
                    team_id=team_id, view_id=view["id"], private_metadata="", state_values=""
                )
            snapshot.private_metadata = view.get("private_metadata") or ""
            snapshot.state_values = state
            snapshot.saved_at = utcnow()
            session.add(snapshot)
        modals.fill(client, shown, new_client_modal(locale, parent_view_id=view["id"]))

    # -- Create ---------------------------------------------------------------------------------------------

    def _checked(self, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> tuple[
        str, Draft, InvoiceForm | None, dict[str, str]
    ]:  # fmt: skip
        services = self.services
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(services, client, team_id, user_id)
        draft = from_view(view, MAX_LINES)
        catalog = logic.load_catalog(team_id, db=services.db)
        chosen = logic.client_to_invoice(team_id, draft.client.id, db=services.db) if draft.client else None
        form, errors = validation.validate(
            draft, catalog, chosen, locale, member_today(services.db, client, team_id, user_id)
        )
        return locale, draft, form, errors

    def validate_submission(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        locale, draft, form, errors = self._checked(body, view, client)
        if form is not None and draft.replaces is not None:
            # A correction: the invoice it replaces may have been paid, or corrected by someone else, meanwhile.
            refused = correction.refused(
                self.services.db, client, body["team"]["id"], body["user"]["id"], draft.replaces, locale
            )
            form, errors = (None, {ids.client_block(draft.client_revision): refused}) if refused else (form, errors)
        if form is None:
            ack(response_action="errors", errors=errors)
            return
        ack(response_action="update", view=views.creating_modal(locale))

    def create(self, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale, draft, form, _ = self._checked(body, view, client)
        if form is None:
            self._offer_email(client, team_id, locale, view, draft)
            return  # the ack answered with these errors; the form stays open for the user to fix them
        try:
            outcome = creation.create_invoice(
                self.services,
                client,
                team_id=team_id,
                user_id=user_id,
                locale=locale,
                form=form,
                request_key=request_key(view["id"], form),
                channel_id=draft.channel_id,
                replaces_id=draft.replaces,
            )
        except Exception:
            # Slack or our database failing, not Stripe (creation reports that in the outcome): the work queue
            # runs this again with the same request key, which resumes the same invoice and updates the modal.
            modals.update_view(client, view["id"], views.status_modal(locale, t(locale, "invoice_modal.failed")))
            raise
        self._show_outcome(client, view["id"], locale, outcome, draft.client)

    def _offer_email(self, client: WebClient, team_id: str, locale: str, view: dict[str, Any], draft: Draft) -> None:
        """A client without an email: the modal offers "Add an email" (the clients flow's edit modal, pushed)."""
        if self.services.client_edit is None or draft.client is None:
            return
        chosen = logic.client_to_invoice(team_id, draft.client.id, db=self.services.db)
        if chosen is None or chosen.email or chosen.id is None:
            return
        modal = views.invoice_modal(draft, logic.load_catalog(team_id, db=self.services.db), locale)
        modals.update_view(client, view["id"], _with_add_email(modal, locale, chosen.id, chosen.name))

    @trigger_bound
    def add_email_clicked(self, body: dict[str, Any], client: WebClient) -> None:
        client_id = whole_number(body["actions"][0].get("value"))
        if self.services.client_edit is None or client_id is None:
            return
        self.services.client_edit.open(
            client, trigger_id=body["trigger_id"], team_id=body["team"]["id"], user_id=body["user"]["id"],
            client_id=client_id, push=True,
        )  # fmt: skip

    def retry(self, body: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        view = body.get("view") or {}
        invoice_id = whole_number(body["actions"][0].get("value"))
        if invoice_id is None or not view.get("id"):
            return
        locale = locale_of(self.services, client, team_id, user_id)
        metadata = view.get("private_metadata") or ""
        modals.update_view(client, view["id"], views.creating_modal(locale, metadata))
        try:
            outcome = creation.retry_invoice(
                self.services, client, team_id=team_id, user_id=user_id, locale=locale, invoice_id=invoice_id
            )
        except Exception:
            failed = views.status_modal(
                locale, t(locale, "invoice_modal.failed"), retry_invoice_id=invoice_id, metadata=metadata
            )
            modals.update_view(client, view["id"], failed)
            raise
        self._show_outcome(client, view["id"], locale, outcome, None)

    def _show_outcome(
        self, client: WebClient, view_id: str, locale: str, outcome: creation.Outcome, chosen: ClientChoice | None
    ) -> None:
        invoice = outcome.invoice
        if outcome.error is not None:
            text = t(locale, "invoice_modal.failed_with", error=outcome.error)
            view = views.status_modal(locale, text, retry_invoice_id=invoice.id)
        else:
            # Where it went in the end: creation falls back to the DM when the bot cannot post in the channel.
            channel_id = invoice.channel_id if invoice.channel_id and not invoice.channel_id.startswith("D") else None
            name = (
                chosen.label if chosen else logic.client_name(invoice.team_id, invoice.client_id, db=self.services.db)
            )
            text = views.created_text(
                locale,
                number=invoice.number,
                total=invoice.total,
                currency=invoice.currency,
                client_name=name,
                channel_id=channel_id,
                due=invoice.due_date,
            )
            view = views.status_modal(locale, text)
        modals.update_view(client, view_id, view)


def _without_line(draft: Draft, catalog: logic.Catalog, locale: str, body: dict[str, Any], client: WebClient) -> Draft:
    key = whole_number(body["actions"][0].get("value"))
    return draft.without_line(key) if key is not None else draft


def _filled_from_service(
    draft: Draft, catalog: logic.Catalog, locale: str, body: dict[str, Any], client: WebClient
) -> Draft:
    where = ids.parse_line_block(str(body["actions"][0].get("block_id") or ""))
    line = draft.line(where[0]) if where else None
    if line is None:
        return draft
    filled = logic.filled_from_service(line, catalog.service(line.service_id), catalog, locale)
    return draft.replace_line(filled)


def _unchanged(draft: Draft, catalog: logic.Catalog, locale: str, body: dict[str, Any], client: WebClient) -> Draft:
    return draft


def _with_add_email(modal: dict[str, Any], locale: str, client_id: int, name: str) -> dict[str, Any]:
    """The modal with "Add an email" beside "New client", and why (the clients flow opens the edit modal)."""
    for position, block in enumerate(modal["blocks"]):
        if block.get("block_id") == ids.CLIENT_ACTIONS_BLOCK:
            label = t(locale, "invoice_modal.add_email")
            block["elements"].append(blocks.button(label, ids.ADD_EMAIL_ACTION, value=str(client_id), style="primary"))
            notice = t(locale, "invoice_modal.add_email.notice", name=blocks.escape_mrkdwn(name))
            modal["blocks"].insert(position + 1, blocks.context(notice))
            break
    return modal


def request_key(view_id: str, form: InvoiceForm) -> str:
    """Names one submission: Slack's retry or a second press of Create with the same form makes one invoice."""
    digest = hashlib.sha256(json.dumps(asdict(form), default=str, sort_keys=True).encode()).hexdigest()[:16]
    return f"{view_id}:{digest}"


def _asks_for_modal(command: dict[str, Any]) -> bool:
    return not (command.get("text") or "").strip()


def _asks_for_listing(command: dict[str, Any]) -> bool:
    return not _asks_for_modal(command)


def register(app: App, services: Services) -> None:
    listeners = ModalListeners(services)
    # How other flows open the modal (a client's record, a help answer) without importing this flow.
    services.invoice_modal = InvoiceModalHooks(open=listeners.open, client_created=listeners.client_created)
    # The modal (no text) is trigger-bound, the listing (words) durable: Bolt runs every lazy part of a listener,
    # so the two are two listeners, told apart in the ack by the command's text (replays match the same way).
    app.command("/invoice", matchers=[_asks_for_modal])(ack=ack_now, lazy=[listeners.invoice_modal_command])
    app.command("/invoice", matchers=[_asks_for_listing])(ack=ack_now, lazy=[listeners.invoice_command])
    app.shortcut("new_invoice")(ack=ack_now, lazy=[listeners.new_invoice_shortcut])
    app.options(ids.CLIENT_ACTION)(listeners.suggest_clients)
    app.action(ids.ADD_LINE_ACTION)(ack=ack_now, lazy=[listeners.add_line])
    app.action(ids.REMOVE_LINE_ACTION)(ack=ack_now, lazy=[listeners.remove_line])
    app.action(ids.line_action(ids.LINE_SERVICE))(ack=ack_now, lazy=[listeners.service_chosen])
    for field in (ids.LINE_QUANTITY, ids.LINE_PRICE, ids.LINE_TAX):
        app.action(ids.line_action(field))(ack=ack_now, lazy=[listeners.amounts_changed])
    app.action(ids.NEW_CLIENT_ACTION)(ack=ack_now, lazy=[listeners.new_client_clicked])
    app.action(ids.ADD_EMAIL_ACTION)(ack=ack_now, lazy=[listeners.add_email_clicked])
    app.view(ids.CALLBACK)(ack=listeners.validate_submission, lazy=[listeners.create])
    app.action(ids.RETRY_ACTION)(ack=ack_now, lazy=[listeners.retry])
