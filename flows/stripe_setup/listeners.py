"""The set-up flow's listeners: the modal (from `/billing setup` or the checklist), its Set up payments button,
Stripe's account.updated, and the browser pages Stripe sends people back to."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import blocks, modals
from bot.acks import ack_now
from bot.checklist import StepContext
from bot.i18n import t
from bot.models import StripeAccount
from bot.permissions import is_billing_admin
from bot.services import Services
from bot.slack_clients import client_for
from bot.slack_users import locale_of
from bot.stripe_gateway import GatewayError
from bot.work_queue import after_opens, trigger_bound
from flows.stripe_setup import ids, logic, views
from flows.stripe_setup.links import Links, Onboarding
from flows.stripe_setup.notify import Notifier
from flows.stripe_setup.pages import SetupPages

log = logging.getLogger(__name__)


class StripeSetupListeners:
    """The set-up flow's acks and lazy work, Stripe's account.updated, and the pages it serves, over the app's
    Services."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.links = Links(services.settings)
        self.notifier = Notifier(services, self.links)
        self.pages = SetupPages(services, self.links, self.notifier)

    @property
    def platform(self) -> bool:
        return logic.platform_mode(self.services.settings)

    @property
    def _offers_oauth(self) -> bool:
        return not self.platform and self.services.stripe.oauth_configured

    def _oauth_url(self, team_id: str, user_id: str, locale: str, view_id: str | None) -> str | None:
        if not self._offers_oauth:
            return None
        # The modal's view id rides in the state: the callback redraws that modal once connected.
        state = self.links.oauth_state(team_id, user_id, locale, view_id)
        return self.services.stripe.oauth_authorize_url(state=state, redirect_uri=self.links.oauth_redirect_uri)

    def _modal(
        self,
        locale: str,
        row: StripeAccount | None,
        team_id: str,
        user_id: str,
        view_id: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """The set-up modal; ``view_id``: the view it is (or will be) shown in, if known."""
        oauth_url = self._oauth_url(team_id, user_id, locale, view_id) if row is None else None
        return views.status_modal(locale, row, platform=self.platform, oauth_url=oauth_url, **kwargs)

    def _refuse(self, step: StepContext) -> bool:
        """True (after telling them) when this person may not set up payments, or nobody can on this server."""
        title, close = t(step.locale, "stripe_setup.title"), t(step.locale, "common.close")
        if not is_billing_admin(self.services.db, step.client, step.team_id, step.user_id):
            step.tell(title, t(step.locale, "stripe_setup.not_allowed"), close)
            return True
        if not self.services.stripe.configured:
            step.tell(title, t(step.locale, "stripe_setup.not_configured"), close)
            return True
        return False

    # -- the modal ------------------------------------------------------------------------------------------

    def open_step(self, step: StepContext) -> None:
        """From `/billing setup` or a checklist button: the status as we have it, then as Stripe has it."""
        if self._refuse(step):
            return
        row = logic.get_row(self.services.db, step.team_id)
        known = step.shown.view_id if step.shown is not None else None
        view = self._modal(step.locale, row, step.team_id, step.user_id, known)
        view_id = step.open(view)  # the fresh status below replaces the modal in place
        if row is None:
            if known is None and self._offers_oauth:
                # Its OAuth link now names this view, so that connecting an existing account redraws it.
                self.notifier.update_modal(
                    step.client, view_id, self._modal(step.locale, row, step.team_id, step.user_id, view_id)
                )
            return
        # A webhook can go missing (a server without a public address, say); opening the modal catches up.
        try:
            fresh, change = logic.refresh(self.services.db, self.services.stripe, row)
        except GatewayError as exc:
            log.warning("status of %s not refreshed: %s", step.team_id, exc)
            return
        self.notifier.announce(fresh, change)
        if logic.AccountStatus.of(fresh) != logic.AccountStatus.of(row):
            view = self._modal(step.locale, fresh, step.team_id, step.user_id, view_id)
            self.notifier.update_modal(step.client, view_id, view)

    def start_setup(self, body: dict[str, Any], client: WebClient) -> None:
        """ "Set up payments" / "Continue set-up": the account (made once), then a fresh onboarding link."""
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        services = self.services
        locale = locale_of(services, client, team_id, user_id)
        view = body.get("view") or {}
        in_modal = view.get("type") == "modal"
        step = StepContext(client, body["trigger_id"], team_id, user_id, locale, in_modal)
        if self._refuse(step):
            return
        view_id = view.get("id") if view.get("callback_id") == ids.CALLBACK_ID else None

        def show(**kwargs: Any) -> None:
            if view_id is not None:
                current = logic.get_row(services.db, team_id)
                view = self._modal(locale, current, team_id, user_id, view_id, **kwargs)
                self.notifier.update_modal(client, view_id, view)

        show(working=True)
        try:
            row, created = logic.ensure_account(services.settings, services.db, services.stripe, team_id, user_id)
        except GatewayError as exc:
            log.warning("payments set-up for %s failed at Stripe: %s", team_id, exc)
            show(error=self._error_text(locale, exc, "stripe_setup.error.account"))
            return
        if created is None:  # an account from before (or the platform's): where does it stand now?
            try:
                row, change = logic.refresh(services.db, services.stripe, row)
            except GatewayError as exc:
                log.warning("status of %s not read: %s", team_id, exc)
                show(error=self._error_text(locale, exc, "stripe_setup.error.status"))
                return
            self.notifier.announce(row, change)
        if not logic.can_make_onboarding_link(row) or (row.charges_enabled and not logic.due_list(row)):
            show()
            return
        token = self.links.onboarding_token(Onboarding(team_id, row.account_id, user_id, locale, view_id))
        try:
            url = logic.onboarding_link(
                services.stripe, row, refresh_url=self.links.refresh_url(token), return_url=self.links.return_url(token)
            )
        except GatewayError as exc:
            log.warning("no Account Link for %s: %s", team_id, exc)
            show(error=self._error_text(locale, exc, "stripe_setup.error.link"))
            return
        show(onboarding_url=url)

    @staticmethod
    def _error_text(locale: str, exc: GatewayError, key: str) -> str:
        if exc.retryable:
            return t(locale, key) + " " + t(locale, "stripe_setup.error.try_again")
        return t(locale, key) + " " + t(locale, "stripe_setup.error.refused", reason=exc.code or str(exc))

    # -- Stripe's word --------------------------------------------------------------------------------------

    def on_account_updated(self, event: dict[str, Any]) -> None:
        """Keep each owning workspace's status current and tell whoever started set-up what changed."""
        account_id: str | None = event.get("account")  # absent: the platform key's own account
        rows = logic.owners_of(self.services.db, account_id)
        if not rows:
            log.info("account.updated %s for %s, which no workspace uses: ignored", event.get("id"), account_id)
            return
        # Events can arrive out of order; Stripe's current answer cannot be stale.
        status = logic.AccountStatus.from_stripe(self.services.stripe.retrieve_account(account_id))
        for row in rows:
            updated, change = logic.record_status(self.services.db, row.team_id, account_id, status)
            if updated is not None:
                self.notifier.announce(updated, change)

    def on_deauthorized(self, event: dict[str, Any]) -> None:
        """account.application.deauthorized: the practice (or Stripe) cut Billbot off from an account.

        The same as Disconnect, once: the row goes, the other flows are told, and whoever started set-up hears of
        it unless the disconnect was our own (its claim is in the ledger before Stripe is asked)."""
        account_id: str | None = event.get("account")
        if account_id is None:
            return
        for row in logic.owners_of(self.services.db, account_id):
            ours = not self.services.db.claim_once(row.team_id, logic.DISCONNECT_CLAIM, logic.disconnect_key(row))
            removed = logic.remove_row(self.services.db, row.team_id, account_id)
            self._disconnected(row.team_id, account_id, revoked=True)
            if removed is not None and not ours and removed.started_by:
                self._tell_deauthorized(removed.team_id, removed.started_by, account_id)

    def _tell_deauthorized(self, team_id: str, user_id: str, account_id: str) -> None:
        client = client_for(self.services, team_id)
        if client is None:
            return
        text, dm_blocks = views.deauthorized_dm(locale_of(self.services, client, team_id, user_id), account_id)
        try:
            client.chat_postMessage(channel=user_id, text=text, blocks=dm_blocks)
        except SlackApiError as exc:
            log.warning("could not DM %s about the disconnected account: %s", user_id, exc.response.get("error"))

    def _disconnected(self, team_id: str, account_id: str | None, *, revoked: bool) -> None:
        for hook in self.services.on_stripe_disconnected:
            try:
                hook(team_id, account_id, revoked)
            except Exception:
                # The row is gone either way; a hook's own work is idempotent and retried by its own flow.
                log.exception("a stripe-disconnected hook failed for %s", team_id)

    # -- Disconnect -----------------------------------------------------------------------------------------

    @trigger_bound
    def disconnect_clicked(self, body: dict[str, Any], client: WebClient) -> None:
        """The confirmation, pushed over the set-up modal: it says what happens to the open invoices."""
        in_modal = (body.get("view") or {}).get("type") == "modal"
        shown = modals.open_loading(client, body["trigger_id"], push=in_modal)
        if shown is None:
            return
        after_opens(lambda: self._fill_disconnect(body, client, shown))

    def _fill_disconnect(self, body: dict[str, Any], client: WebClient, shown: modals.Shown) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(self.services, client, team_id, user_id)
        title, close = t(locale, "stripe_setup.disconnect.title"), t(locale, "common.close")
        if not is_billing_admin(self.services.db, client, team_id, user_id):
            refused = t(locale, "stripe_setup.not_allowed")
            modals.fill(client, shown, blocks.notice_modal(title, refused, callback_id="notice", close=close))
            return
        action = (body.get("actions") or [{}])[0]
        row = logic.get_row(self.services.db, team_id)
        if row is None or row.account_id != action.get("value") or row.connection == logic.PLATFORM:
            notice_text = t(locale, "stripe_setup.disconnect.already")
            modals.fill(client, shown, blocks.notice_modal(title, notice_text, callback_id="notice", close=close))
            return
        parent = (body.get("view") or {}).get("id")
        metadata = json.dumps({"account": row.account_id, "parent": parent})
        view = views.disconnect_modal(
            locale,
            row,
            open_invoices=logic.open_invoice_count(self.services.db, team_id, row.account_id),
            revoked=logic.access_revoked_on_disconnect(row),
            metadata=metadata,
        )
        modals.fill(client, shown, view)

    def disconnect_confirmed(self, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        """Stripe's deauthorization (accounts connected by OAuth) or just letting go, then the row; once."""
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(self.services, client, team_id, user_id)
        if not is_billing_admin(self.services.db, client, team_id, user_id):
            return  # the confirmation is only ever shown to billing admins; a forged submission does nothing
        found = modals.metadata(view)
        account_id, parent = found.get("account"), found.get("parent")
        if not isinstance(account_id, str) or not account_id:
            return
        before = logic.get_row(self.services.db, team_id)
        revoked = before is not None and logic.access_revoked_on_disconnect(before)
        try:
            removed = logic.disconnect(self.services.db, self.services.stripe, team_id, account_id)
        except GatewayError as exc:
            log.warning("disconnecting %s from %s failed at Stripe: %s", account_id, team_id, exc)
            if isinstance(parent, str):
                error = self._error_text(locale, exc, "stripe_setup.disconnect.failed")
                view = self._modal(locale, before, team_id, user_id, parent, error=error)
                self.notifier.update_modal(client, parent, view)
            return
        if removed is not None:  # to one caller; Stripe's deauthorized event tells the hooks again, for OAuth
            self._disconnected(team_id, account_id, revoked=revoked)
        if isinstance(parent, str):
            current = logic.get_row(self.services.db, team_id)
            notice = views.disconnected_notice(locale, account_id, revoked=revoked) if current is None else None
            view = self._modal(locale, current, team_id, user_id, parent, notice=notice)
            self.notifier.update_modal(client, parent, view)


def register(app: App, services: Services) -> None:
    listeners = StripeSetupListeners(services)
    services.checklist.provide("stripe_setup", is_done=logic.is_done, open_step=listeners.open_step)
    app.action(ids.START_ACTION)(ack=ack_now, lazy=[listeners.start_setup])
    for action_id in ids.LINK_ACTIONS:
        app.action(action_id)(ack_now)  # a link button: the browser opens it, there is nothing to do
    services.stripe_events.on("account.updated", listeners.on_account_updated)
    app.action(ids.DISCONNECT_ACTION)(ack=ack_now, lazy=[listeners.disconnect_clicked])
    app.view(ids.DISCONNECT_CALLBACK_ID)(ack=ack_now, lazy=[listeners.disconnect_confirmed])
    services.stripe_events.on("account.application.deauthorized", listeners.on_deauthorized)
    # The pages this flow serves on bot.server's Stripe routes.
    services.pages["stripe_return"] = listeners.pages.stripe_return
    services.pages["stripe_refresh"] = listeners.pages.stripe_refresh
    services.pages["stripe_oauth_callback"] = listeners.pages.oauth_callback
