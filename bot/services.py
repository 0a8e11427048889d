"""What the flows share: settings, the database, Stripe, the checklist and the Stripe event router."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient

from bot.checklist import Checklist
from bot.db import Database
from bot.flow_hooks import ClientEditHooks, InvoiceModalHooks, InvoiceSessions, RefreshInvoiceMessage
from bot.models import Client
from bot.settings import Settings
from bot.stripe_events import StripeEvents
from bot.stripe_gateway import StripeGateway
from bot.work_queue import WorkQueue


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[], None]
    every_seconds: int


@dataclass
class Services:
    settings: Settings
    db: Database
    stripe: StripeGateway
    stripe_events: StripeEvents
    work: WorkQueue
    checklist: Checklist = field(default_factory=Checklist)
    # Browser pages a flow serves on the contract's routes (see bot.server.STRIPE_PAGES): query → (status, html).
    pages: dict[str, Callable[[dict[str, str]], tuple[int, str]]] = field(default_factory=dict)
    # Periodic work the scheduler runs: (name, function, every so many seconds).
    jobs: list[Job] = field(default_factory=list)
    # Called with the team id once a workspace's Stripe account can take payments (e.g. to mirror the tax
    # rates saved before it could); the set-up flow calls them, other flows register them.
    on_payments_enabled: list[Callable[[str], None]] = field(default_factory=list)
    # Called with (team id, the account id left, whether Billbot lost access to it) once a workspace stops using
    # a Stripe account (Disconnect, or Stripe's account.application.deauthorized); at least once, so idempotent.
    on_stripe_disconnected: list[Callable[[str, str | None, bool], None]] = field(default_factory=list)
    # Called with (web client, team id, the user who invoiced, the appointment ids) once an invoice that bills
    # sessions has linked them, after the commit (e.g. to redraw a client's record); the invoices flow calls
    # them, maybe more than once for one invoice (a retry), and logs a listener's error rather than raising it.
    on_sessions_invoiced: list[Callable[[WebClient, str, str, tuple[int, ...]], None]] = field(default_factory=list)
    # Blocks another flow adds to a client's record (autopay's switch): called with (locale, the Client row).
    client_record_parts: list[Callable[[str, Client], list[dict[str, Any]]]] = field(default_factory=list)
    # The invoice modal, for the flows that open it; set by the invoices flow (bot/flow_hooks.py).
    invoice_modal: InvoiceModalHooks | None = None
    # The client edit modal, for the invoice modal's "Add an email"; set by the clients flow.
    client_edit: ClientEditHooks | None = None
    # Re-render an invoice's message (its client changed); set by the invoices flow.
    refresh_invoice_message: RefreshInvoiceMessage | None = None
    # An invoice for given sessions, made and sent or charged without a modal (the calendar's session-end
    # prompt); set by the invoices flow.
    invoice_sessions: InvoiceSessions | None = None

    def close(self) -> None:
        self.work.close()
        self.db.dispose()

    @classmethod
    def build(cls, settings: Settings) -> Services:
        db = Database(settings.database_url)
        return cls(
            settings=settings,
            db=db,
            stripe=StripeGateway(settings),
            stripe_events=StripeEvents(db),
            work=WorkQueue(db, lease=timedelta(seconds=settings.work_lease_seconds)),
        )
