"""Telling people in Slack what Stripe said: the DM to whoever started set-up, and a modal left open."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.models import StripeAccount
from bot.services import Services
from bot.slack_clients import client_for
from bot.slack_users import locale_of
from bot.stripe_gateway import GatewayError
from flows.stripe_setup import logic, views
from flows.stripe_setup.links import Links, Onboarding

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, services: Services, links: Links) -> None:
        self._services = services
        self._links = links

    def continue_url(self, row: StripeAccount, user_id: str, locale: str, view_id: str | None) -> str:
        """Where to finish set-up: a fresh Account Link, or Stripe's Dashboard for accounts it has none for."""
        if not logic.can_make_onboarding_link(row):
            return logic.DASHBOARD_URL
        token = self._links.onboarding_token(Onboarding(row.team_id, row.account_id, user_id, locale, view_id))
        try:
            return logic.onboarding_link(
                self._services.stripe,
                row,
                refresh_url=self._links.refresh_url(token),
                return_url=self._links.return_url(token),
            )
        except GatewayError as exc:
            # Our refresh page makes the Account Link when the link is followed, so the DM still works.
            log.warning("no Account Link for %s (%s); the DM links to the refresh page", row.team_id, exc)
            return self._links.refresh_url(token)

    def announce(self, row: StripeAccount, change: logic.Change) -> None:
        """DM whoever started set-up, once per change (logic.record_status hands each change to one caller),
        and let the other flows know when payments become enabled."""
        if change is logic.Change.ENABLED:
            for hook in self._services.on_payments_enabled:
                try:
                    hook(row.team_id)
                except Exception:
                    # The status is recorded; a hook's own work (its claims, its idempotency keys) is retried
                    # by its own flow, not by replaying this change.
                    log.exception("a payments-enabled hook failed for %s", row.team_id)
        if change is logic.Change.NONE or row.started_by is None:
            return
        client = client_for(self._services, row.team_id)
        if client is None:
            return  # Billbot was removed from the workspace: no one to tell there
        locale = locale_of(self._services, client, row.team_id, row.started_by)
        if change is logic.Change.ENABLED:
            text, blocks = views.enabled_dm(locale)
        else:
            url = self.continue_url(row, row.started_by, locale, None)
            text, blocks = views.needs_info_dm(
                locale, logic.due_list(row), url, on_dashboard=url == logic.DASHBOARD_URL
            )
        try:
            # A user id as the channel: Slack opens (or reuses) the bot's DM with that person.
            client.chat_postMessage(channel=row.started_by, text=text, blocks=blocks)
        except SlackApiError as exc:
            # The change is recorded either way; retrying the whole event would not bring this DM back.
            log.warning("could not DM %s about payments set-up: %s", row.started_by, exc.response.get("error"))

    def update_modal(self, client: WebClient | None, view_id: str, view: dict[str, Any]) -> dict[str, Any] | None:
        """Replace an open set-up modal; the view as Slack now has it, or None when it has been closed meanwhile
        (or Slack refused), or when there is no client (Billbot uninstalled from the workspace)."""
        if client is None:
            return None
        try:
            updated = client.views_update(view_id=view_id, view=view)
        except SlackApiError as exc:
            log.info("set-up modal %s not updated: %s", view_id, exc.response.get("error"))
            return None
        shown = updated.get("view")
        return shown if isinstance(shown, dict) else {"id": view_id}
