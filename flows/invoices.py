"""Invoices and clients. Until the invoice flow is built, its entry points say so plainly."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.i18n import t
from bot.services import Services
from bot.slack_users import locale_for
from flows.home.views import coming_soon_modal

SLASH_COMMANDS = ("/invoice", "/client")
SHORTCUTS = ("new_invoice",)
EVENTS: tuple[str, ...] = ()

_FEATURE_KEYS = {"/invoice": "feature.invoices", "/client": "feature.clients"}


def register(app: App, services: Services) -> None:
    def ack_now(ack: Ack) -> None:
        ack()

    def coming_soon_command(command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        locale = locale_for(
            services.db, client, command["team_id"], command["user_id"], services.settings.default_locale
        )
        feature = t(locale, _FEATURE_KEYS[command["command"]])
        respond(text=t(locale, "common.coming_soon", feature=feature), response_type="ephemeral")

    def coming_soon_shortcut(body: dict[str, Any], client: WebClient) -> None:
        locale = locale_for(
            services.db, client, body["team"]["id"], body["user"]["id"], services.settings.default_locale
        )
        client.views_open(trigger_id=body["trigger_id"], view=coming_soon_modal(locale, "feature.invoices"))

    for name in SLASH_COMMANDS:
        app.command(name)(ack=ack_now, lazy=[coming_soon_command])
    app.shortcut("new_invoice")(ack=ack_now, lazy=[coming_soon_shortcut])
