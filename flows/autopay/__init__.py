"""Autopay: a client's new invoices charged to their card on file without a click, after a day's notice.

A billing admin switches it on from the client's record (only when the client has a card on file). The sweep
(the scheduler, every minute) gives each new open invoice of such a client an AutopayCharge row, charged at the
practitioner's time of day the day after their daily DM listed it; the DM (one a day, to the invoice's creator)
offers Hold, Edit and Charge now. The row is the claim: scheduled → charging (with a lease) → charged, declined
(the client is emailed the payment link instead), held or cancelled; Stripe's invoices.pay carries one
idempotency key per invoice, so a retaken claim never charges twice.

Parts: ``timing`` (when the DM and the charge are), ``store`` (the rows and their claims), ``charging`` (Stripe),
``views`` (Block Kit), ``listeners`` (the buttons, the record's toggle, the sweep job).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.services import Services

SLASH_COMMANDS: tuple[str, ...] = ()
SHORTCUTS: tuple[str, ...] = ()
EVENTS: tuple[str, ...] = ()

__all__ = ["EVENTS", "SHORTCUTS", "SLASH_COMMANDS", "register"]


def register(app: App, services: Services) -> None:
    from flows.autopay import listeners

    listeners.register(app, services)
