"""Invoices, from the modal to a paid invoice (clients and the services catalogue are flows.clients).

One package, cut into parts; each part with listeners has one class of them, registered in its
``listeners.register``:
- ``modal/``: the invoice modal: `/invoice` and the "New invoice" shortcut open it (`/invoice` with words is
  listing's), its lines and totals rebuilt as they change, Create and Retry; it also sets
  ``services.invoice_modal`` (bot.flow_hooks), how a client's record and a help answer open it;
- ``creation/``: our invoice row first (``store``), then Stripe (``stripe``), then the invoice message (``logic``);
- ``message/``: the invoice message: its Block Kit (``views``), posting and re-rendering it once per invoice
  (``posting``), one invoice as one reader may see it (``private_card``) and its Details button;
- ``payments/``: the message's buttons (payment link, payment method, charge, mark paid, void, PDF), the Stripe
  webhooks that move an invoice along, and the page a browser lands on after saving a card;
- ``correction/``: **Correct** and **Change due date** on an open invoice: a new invoice replacing it (Stripe's
  revision), linked both ways;
- ``listing/``: `/invoice list [open|paid|overdue]` and `/invoice INV-0042`;
- ``refunds/``: refunding a paid invoice (a Stripe credit note with its refund, or credit for money given back
  outside Stripe), and the refund and credit note webhooks.
``session_billing`` sets ``services.invoice_sessions``: an invoice for given sessions, made and sent or charged
without a modal (the calendar's session-end prompt), through the parts above.
Beside them: ``ids`` (every Block Kit id of the flow), ``forms`` (what the modal hands to creation) and
``totals`` (an invoice's arithmetic, for the modal and for creation).

For other flows: ``MARK_PAID_ACTION``, the invoice message's "Mark as paid" button (a reminder digest shows it too).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flows.invoices.ids import MARK_PAID as MARK_PAID_ACTION

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.services import Services

SLASH_COMMANDS = ("/invoice",)
SHORTCUTS = ("new_invoice",)
EVENTS: tuple[str, ...] = ()

__all__ = [
    "EVENTS",
    "MARK_PAID_ACTION",
    "SHORTCUTS",
    "SLASH_COMMANDS",
    "register",
]


def register(app: App, services: Services) -> None:
    from flows.invoices.correction import listeners as correction
    from flows.invoices.message import listeners as message
    from flows.invoices.modal import listeners as modal
    from flows.invoices.payments import listeners as payments
    from flows.invoices.refunds import listeners as refunds
    from flows.invoices.session_billing import register as session_billing

    modal.register(app, services)
    payments.register(app, services)
    message.register(app, services)
    refunds.register(app, services)
    correction.register(app, services)
    session_billing(app, services)  # services.invoice_sessions, for the calendar's session-end prompt
