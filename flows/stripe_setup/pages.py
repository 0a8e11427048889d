"""The pages a browser lands on when it comes back from Stripe: return, refresh and the OAuth callback.

Each answers ``(status, html)`` for bot.server's routes, in the language carried by the signed token (the
server's default language when there is no genuine token to read it from). A page that refuses a link
changes nothing: no claim, no Stripe call, no row.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from bot.i18n import t
from bot.models import StripeAccount
from bot.services import Services
from bot.slack_clients import client_for
from bot.stripe_gateway import GatewayError
from flows.stripe_setup import logic, views
from flows.stripe_setup.links import Links, OAuthState, Onboarding
from flows.stripe_setup.notify import Notifier
from flows.stripe_setup.signed import TokenError

log = logging.getLogger(__name__)

OAUTH_STATE_CLAIM = "stripe_oauth_state"
# services.pages[RETURN_PAGE_PREFIX + name]: another flow's page for /stripe/return links carrying ``name``.
RETURN_PAGE_PREFIX = "stripe_return:"

_templates = Environment(loader=PackageLoader("bot", "templates"), autoescape=select_autoescape(default=True))

Page = tuple[int, str]


@dataclass
class _Content:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    button_url: str | None = None
    button_label: str | None = None
    redirect_url: str | None = None


class _Refused(Exception):
    def __init__(self, page: Page) -> None:
        super().__init__(page[0])
        self.page = page


def render(locale: str, content: _Content) -> str:
    return _templates.get_template("stripe/page.html").render(locale=locale, **asdict(content))


class SetupPages:
    def __init__(self, services: Services, links: Links, notifier: Notifier) -> None:
        self._services = services
        self._links = links
        self._notifier = notifier

    # -- shared ---------------------------------------------------------------------------------------------

    def _refusal(self, locale: str, reason: str, status: int = 400) -> Page:
        """A page for a link we will not act on: "invalid", "expired", "used", "stripe_error"…"""
        return status, render(
            locale,
            _Content(t(locale, f"stripe_setup.page.{reason}.title"), [t(locale, f"stripe_setup.page.{reason}")]),
        )

    def _status_paragraphs(self, locale: str, row: StripeAccount) -> tuple[list[str], list[str]]:
        due = logic.due_list(row)
        if row.charges_enabled:
            return [t(locale, "stripe_setup.page.enabled")], []
        if due:
            return [t(locale, "stripe_setup.page.needs_info")], views.plain_requirements(locale, due)
        return [t(locale, "stripe_setup.page.in_review")], []

    def _onboarding(self, query: dict[str, str]) -> tuple[Onboarding, StripeAccount]:
        """The token's details and the workspace's row, or _Refused with the page to show instead."""
        try:
            info = self._links.read_onboarding(query.get("t"))
        except TokenError as exc:
            raise _Refused(self._refusal(self._services.settings.default_locale, exc.reason)) from exc
        row = logic.get_row(self._services.db, info.team_id)
        if row is None or row.account_id != info.account_id:
            # The workspace has moved to another account since this link was made.
            raise _Refused(self._refusal(info.locale, "expired"))
        return info, row

    # -- /stripe/return ---------------------------------------------------------------------------------------

    def stripe_return(self, query: dict[str, str]) -> Page:
        for name in query:
            other = self._services.pages.get(RETURN_PAGE_PREFIX + name)
            if other is not None:
                return other(query)
        try:
            info, row = self._onboarding(query)
        except _Refused as refused:
            return refused.page
        try:
            row, change = logic.refresh(self._services.db, self._services.stripe, row)
        except GatewayError as exc:
            # The account.updated webhook brings the status when Stripe answers again.
            log.warning("status of %s not refreshed on return: %s", info.team_id, exc)
            change = logic.Change.NONE
        self._notifier.announce(row, change)
        if info.view_id:
            platform = logic.platform_mode(self._services.settings)
            view = views.status_modal(info.locale, row, platform=platform)
            self._notifier.update_modal(client_for(self._services, info.team_id), info.view_id, view)
        paragraphs, items = self._status_paragraphs(info.locale, row)
        content = _Content(
            t(info.locale, "stripe_setup.page.back_to_slack.title"),
            [*paragraphs, t(info.locale, "stripe_setup.page.back_to_slack")],
            items,
        )
        return 200, render(info.locale, content)

    # -- /stripe/refresh --------------------------------------------------------------------------------------

    def stripe_refresh(self, query: dict[str, str]) -> Page:
        """Stripe sends an expired or used Account Link here: make a fresh one and go straight to it."""
        try:
            info, row = self._onboarding(query)
        except _Refused as refused:
            return refused.page
        if not logic.can_make_onboarding_link(row):
            url = logic.DASHBOARD_URL
        else:
            token = query["t"]
            try:
                url = logic.onboarding_link(
                    self._services.stripe,
                    row,
                    refresh_url=self._links.refresh_url(token),
                    return_url=self._links.return_url(token),
                )
            except GatewayError as exc:
                log.warning("no fresh Account Link for %s: %s", info.team_id, exc)
                return self._refusal(info.locale, "stripe_error", 502)
        label = t(info.locale, "stripe_setup.continue_on_stripe")
        content = _Content(
            t(info.locale, "stripe_setup.page.redirect.title"),
            [t(info.locale, "stripe_setup.page.redirect")],
            button_url=url,
            button_label=label,
            redirect_url=url,
        )
        return 200, render(info.locale, content)

    # -- /stripe/oauth/callback -------------------------------------------------------------------------------

    def _redraw_after_connect(self, state: OAuthState, row: StripeAccount) -> None:
        """The set-up modal the person connected from shows the account, and their checklists the step done."""
        client = client_for(self._services, state.team_id)
        if client is None:
            return
        shown: dict[str, Any] = {}
        if state.view_id:
            platform = logic.platform_mode(self._services.settings)
            view = views.status_modal(state.locale, row, platform=platform)
            shown = self._notifier.update_modal(client, state.view_id, view) or {}
        # The hub the modal was pushed on (if any) and the App Home; best effort, the connection stands.
        self._services.checklist.step_changed(client, state.team_id, state.user_id, shown)

    def oauth_callback(self, query: dict[str, str]) -> Page:
        services = self._services
        locale = services.settings.default_locale
        if not services.stripe.oauth_configured or logic.platform_mode(services.settings):
            return self._refusal(locale, "unavailable", 404)
        try:
            state = self._links.read_oauth_state(query.get("state"))
        except TokenError as exc:
            if query.get("error") == "access_denied":
                return self._refusal(locale, "denied", 200)  # nothing to protect: nothing will change
            return self._refusal(locale, exc.reason)
        locale = state.locale
        if query.get("error"):
            # access_denied: the person chose not to connect. Anything else is Stripe refusing the request.
            reason = "denied" if query["error"] == "access_denied" else "stripe_error"
            return self._refusal(locale, reason, 200 if reason == "denied" else 400)
        code = query.get("code")
        if not code:
            return self._refusal(locale, "invalid")
        # Claimed before Stripe is asked anything: of two uses of one state, only the first goes on.
        if not services.db.claim_once(state.team_id, OAUTH_STATE_CLAIM, state.nonce):
            return self._refusal(locale, "used")
        try:
            row = logic.connect_existing(services.db, services.stripe, state.team_id, state.user_id, code)
        except logic.AlreadyConnected:
            return self._refusal(locale, "already_connected", 409)
        except logic.AccountTaken:
            return self._refusal(locale, "taken", 409)
        except GatewayError as exc:
            log.warning("Connect OAuth exchange failed for %s: %s", state.team_id, exc)
            if exc.retryable:
                # Stripe never took the code, so reloading this page may still work.
                services.db.release(state.team_id, OAUTH_STATE_CLAIM, state.nonce)
            return self._refusal(locale, "stripe_error", 502)
        try:
            row, change = logic.refresh(services.db, services.stripe, row)
        except GatewayError as exc:
            log.warning("status of %s not read after OAuth: %s", state.team_id, exc)
            change = logic.Change.NONE
        self._notifier.announce(row, change)
        self._redraw_after_connect(state, row)
        paragraphs, items = self._status_paragraphs(locale, row)
        content = _Content(
            t(locale, "stripe_setup.page.connected.title"),
            [*paragraphs, t(locale, "stripe_setup.page.back_to_slack")],
            items,
        )
        return 200, render(locale, content)
