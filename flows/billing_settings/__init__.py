"""Billing settings: `/billing settings` and the checklist button open one modal with the practice's
currency, tax rates (each mirrored as a Stripe TaxRate), billing address and billing-admin user group.

Listeners stay thin: the acks validate (errors come back inline, keyed by block id) and the lazy parts,
run from the durable work queue, check who is asking, save through ``logic`` and update the views.

For other flows: ``mirror_pending_tax_rates(services, team_id)``. (A rate as shown is
bot.i18n.format_percent; the address's country menu is bot.countries.country_select.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flows.billing_settings.logic import mirror_pending_tax_rates

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.services import Services

SLASH_COMMANDS: tuple[str, ...] = ()  # `/billing settings` is the hub's command; it calls open_step
SHORTCUTS: tuple[str, ...] = ()
EVENTS: tuple[str, ...] = ()

__all__ = [
    "EVENTS",
    "SHORTCUTS",
    "SLASH_COMMANDS",
    "mirror_pending_tax_rates",
    "register",
]


def register(app: App, services: Services) -> None:
    from flows.billing_settings import listeners

    listeners.register(app, services)
