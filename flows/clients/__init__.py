"""Clients: `/client` (list, search, new), a client's record and sessions, and the services catalogue.

A client's record is an ephemeral answer (contact details and sessions stay with the asker), shown to
billing admins only unless the practice lets every member see client details. Its "New invoice" buttons
open the invoice modal through ``services.invoice_modal`` (bot/flow_hooks.py), which the invoices flow
provides: this flow imports none of it. The invoice modal reads clients and services through the names below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flows.clients.ids import NEW_CLIENT_ACTION, SERVICES_OPEN_ACTION
from flows.clients.logic import active_services, fold_name, search_clients, uninvoiced_appointments
from flows.clients.views import new_client_modal

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.services import Services

SLASH_COMMANDS = ("/client",)
SHORTCUTS: tuple[str, ...] = ()
EVENTS: tuple[str, ...] = ()

__all__ = [
    "EVENTS",
    "NEW_CLIENT_ACTION",
    "SERVICES_OPEN_ACTION",
    "SHORTCUTS",
    "SLASH_COMMANDS",
    "active_services",
    "fold_name",
    "new_client_modal",
    "register",
    "search_clients",
    "uninvoiced_appointments",
]


def register(app: App, services: Services) -> None:
    from flows.clients import listeners

    listeners.register(app, services)
