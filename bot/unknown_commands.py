"""Any slash command no flow answers: the help of the nearest Billbot command, in the asker's language.

Slack only sends the commands of the app's manifest, but a workspace may keep an old one (`/facturation`
from an earlier manifest) and the playground sends whatever is typed: nobody gets Bolt's 404.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient

from bot.acks import ack_now
from bot.i18n import sort_key, t
from bot.services import Services
from bot.slack_users import locale_of

COMMANDS = ("/billing", "/invoice", "/client")
# Words a practice types for each command, in English and French, folded (lower case, no accents).
_ALIASES = {
    "/billing": ("billing", "bill", "bills", "facturation", "setup", "settings", "parametres", "reglages", "stripe"),
    "/invoice": ("invoice", "invoices", "facture", "factures", "inv", "payment", "paiement", "paiements"),
    "/client": ("client", "clients", "customer", "customers", "patient", "patients", "session", "seance"),
}


def nearest_command(typed: str) -> str | None:
    """The Billbot command closest to what was typed, or None when nothing is close."""
    word = sort_key(typed.lstrip("/").strip())
    for command, aliases in _ALIASES.items():
        if word in aliases or any(word.startswith(alias) for alias in aliases if len(alias) >= 5):
            return command
    names = {alias: command for command, aliases in _ALIASES.items() for alias in aliases}
    close = difflib.get_close_matches(word, list(names), n=1, cutoff=0.75)
    return names[close[0]] if close else None


def answer_unknown_command(command: dict[str, Any], client: WebClient, respond: Respond, services: Services) -> None:
    locale = locale_of(services, client, command["team_id"], command.get("user_id"))
    typed = (command.get("command") or "")[:40]
    nearest = nearest_command(typed)
    if nearest is None:
        text = t(locale, "unknown_command.none", typed=typed)
    else:
        text = t(
            locale, "unknown_command.nearest", typed=typed, command=nearest, help=t(locale, f"command_help.{nearest}")
        )
    respond(text=text, response_type="ephemeral")


def register(app: App, services: Services) -> None:
    """Registered after every flow: Bolt tries listeners in order, so only commands nobody took reach it."""

    def answer(command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        answer_unknown_command(command, client, respond, services)

    app.command(re.compile(r"^/"))(ack=ack_now, lazy=[answer])
