"""Set up payments (`/billing setup` and its checklist button): a Stripe account for the practice.

The listeners are thin: each click is acknowledged at once and its work (Stripe calls, modal updates)
runs from the durable work queue, at least once; logic.py makes that safe to repeat. The flow serves the
pages Stripe sends a browser back to (/stripe/return, /stripe/refresh, /stripe/oauth/callback).

For other flows: a flow whose own Stripe links land on /stripe/return marks them with a query parameter
``name`` and puts its page in ``services.pages[RETURN_PAGE_PREFIX + name]``; the return page hands such a
request to it, whatever order the flows registered in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flows.stripe_setup.pages import RETURN_PAGE_PREFIX

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.services import Services

SLASH_COMMANDS: tuple[str, ...] = ()  # `/billing setup` is the hub's command; it calls open_step
SHORTCUTS: tuple[str, ...] = ()
EVENTS: tuple[str, ...] = ()

__all__ = ["EVENTS", "RETURN_PAGE_PREFIX", "SHORTCUTS", "SLASH_COMMANDS", "register"]


def register(app: App, services: Services) -> None:
    from flows.stripe_setup import listeners

    listeners.register(app, services)
