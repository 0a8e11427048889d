"""Invoice template: `/billing template` and the checklist button open one modal with the design, logo, theme
colour, footer and payment terms of the practice's invoices; **Preview** sends a sample invoice as an image
by DM; saving pushes the logo and colours to the connected Stripe account's branding.

Listeners stay thin: the ack validates (the logo included: fetched from Slack and checked by its bytes, so a
bad file gets its inline error) and the lazy parts, run from the durable work queue, check who is asking,
save through ``logic`` and update the views.

For other flows: ``payment_terms_days(session, team_id)`` (the default due date of new invoices) and
``DEFAULT_TERMS`` (the terms before a template is saved).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flows.invoice_template.logic import payment_terms_days
from flows.invoice_template.validation import DEFAULT_TERMS

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.services import Services

SLASH_COMMANDS: tuple[str, ...] = ()  # `/billing template` is the hub's command; it calls open_step
SHORTCUTS: tuple[str, ...] = ()
EVENTS: tuple[str, ...] = ()

__all__ = ["DEFAULT_TERMS", "EVENTS", "SHORTCUTS", "SLASH_COMMANDS", "payment_terms_days", "register"]


def register(app: App, services: Services) -> None:
    from flows.invoice_template import listeners

    listeners.register(app, services)
