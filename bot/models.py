"""Database tables. Every row belongs to a Slack workspace: its team id is part of its key."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Protocol

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import BigInteger, Column, DateTime, Index, LargeBinary, Numeric, Table, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

TEAM_ID_LENGTH = 32


def utcnow() -> datetime:
    return datetime.now(UTC)


class _Saved(Protocol):
    @property
    def id(self) -> int | None: ...


def saved_id(row: _Saved) -> int:
    """The id of a row read from (or flushed to) the database, where it is never None (SQLModel types it optional)."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} was never saved: it has no id")
    return row.id


def table_of(model: type[SQLModel]) -> Table:
    """A table model's Core table, for statements over columns (SQLModel sets ``__table__`` without typing it)."""
    table = model.__dict__["__table__"]
    assert isinstance(table, Table)
    return table


def _timestamp(*, index: bool | None = None) -> Any:
    """A timezone-aware UTC time, set when the row is made.

    Typed Any, as sqlmodel's own Field is, so `created_at: datetime = _timestamp()` checks.
    """
    return Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False, index=index))


class Workspace(SQLModel, table=True):
    """A Slack workspace that installed Billbot (one row in single-workspace mode)."""

    __tablename__ = "workspaces"

    team_id: str = Field(primary_key=True, max_length=TEAM_ID_LENGTH)
    name: str | None = Field(default=None, max_length=255)
    # The language the bot falls back to when a user's own Slack locale is unknown.
    default_locale: str | None = Field(default=None, max_length=8)
    created_at: datetime = _timestamp()
    # Set by app_uninstalled (or a revoked bot token), cleared by a re-install: while set, nothing is
    # scheduled for or posted to the workspace. Its data stays, for the practice's records.
    uninstalled_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


class SlackUser(SQLModel, table=True):
    """What users.info told us about a member, cached so the hot path never waits on Slack."""

    __tablename__ = "slack_users"

    team_id: str = Field(primary_key=True, max_length=TEAM_ID_LENGTH)
    user_id: str = Field(primary_key=True, max_length=32)
    locale: str | None = Field(default=None, max_length=16)
    is_admin: bool = False
    is_owner: bool = False
    tz: str | None = Field(default=None, max_length=64)
    fetched_at: datetime = _timestamp()


class HandledRequest(SQLModel, table=True):
    """The claim-once ledger: an event id, a click, a reminder, each claimed by exactly one worker."""

    __tablename__ = "handled_requests"
    __table_args__ = (UniqueConstraint("team_id", "kind", "key", name="uq_handled_requests_team_kind_key"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=TEAM_ID_LENGTH)
    kind: str = Field(max_length=32)
    key: str = Field(max_length=255)
    created_at: datetime = _timestamp(index=True)


class PendingWork(SQLModel, table=True):
    """Work Slack has already been told "ok" for: written before the ack, done by a worker after it.

    Holding the signed request itself (not a summary) lets the worker replay it through the Bolt app,
    so a crash between the ack and the work loses nothing: the row is still here for the next worker.
    """

    __tablename__ = "pending_work"
    __table_args__ = (Index("ix_pending_work_ready", "failed", "available_at"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=TEAM_ID_LENGTH)
    function: str = Field(max_length=128)
    body: str = Field(sa_column=Column(Text, nullable=False))
    headers: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _timestamp()
    available_at: datetime = _timestamp()
    # A worker's lease: while it is in the future, no other worker takes the row.
    claimed_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    # The worker holding that lease: only it starts the job and renews the lease while the job runs.
    claimed_by: str | None = Field(default=None, max_length=32)
    attempts: int = 0
    failed: bool = False
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class StripeAccount(SQLModel, table=True):
    """The Stripe account a workspace is paid through, and what Stripe last said about it."""

    __tablename__ = "stripe_accounts"
    __table_args__ = (UniqueConstraint("account_id", name="uq_stripe_accounts_account_id"),)

    team_id: str = Field(primary_key=True, max_length=TEAM_ID_LENGTH)
    # None when the platform key is the practice's own account (STRIPE_CONNECT_ACCOUNT_TYPE=none).
    account_id: str | None = Field(default=None, max_length=64)
    # How it was connected: "express", "standard" or "custom" (created by Billbot), "oauth" (an existing
    # account the practice connected), "platform" (no Connect).
    connection: str = Field(max_length=16)
    charges_enabled: bool = False
    payouts_enabled: bool = False
    details_submitted: bool = False
    # JSON list of Stripe's requirements.currently_due.
    requirements_due: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))
    # Who started set-up: told by DM when payments become enabled or Stripe needs more.
    started_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class BillingSettings(SQLModel, table=True):
    """A workspace's billing settings: currency, billing address, who may change them."""

    __tablename__ = "billing_settings"

    team_id: str = Field(primary_key=True, max_length=TEAM_ID_LENGTH)
    currency: str = Field(max_length=3)  # ISO 4217, lower case as Stripe writes it
    address_line1: str | None = Field(default=None, max_length=200)
    address_line2: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)
    country: str | None = Field(default=None, max_length=2)  # ISO 3166-1 alpha-2
    # Members of this Slack user group may set up payments and change billing settings, besides admins.
    billing_admin_group: str | None = Field(default=None, max_length=32)
    # Privacy (off by default: Slack holds health information only on plans with a BAA). Every member, not
    # only billing admins and an invoice's creator, sees client details, balances and invoice lines.
    members_see_client_details: bool = False
    # Invoice cards posted in a channel show the client's full name and the lines, not just initials.
    full_channel_cards: bool = False
    updated_by: str | None = Field(default=None, max_length=32)
    updated_at: datetime = _timestamp()


class TaxRate(SQLModel, table=True):
    """A tax rate of the practice, mirrored as a Stripe TaxRate on its account.

    Stripe's tax rates cannot change their percentage: an edit archives this row (and its Stripe
    mirror) and adds a new one that ``replaces_id`` it, so invoices already made keep their old rate.
    """

    __tablename__ = "tax_rates"
    __table_args__ = (Index("ix_tax_rates_team_active", "team_id", "active"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=TEAM_ID_LENGTH)
    name: str = Field(max_length=50)  # Stripe's display_name limit
    percentage: Decimal = Field(sa_column=Column(Numeric(7, 4), nullable=False))
    inclusive: bool = False
    description: str | None = Field(default=None, max_length=200)
    country: str | None = Field(default=None, max_length=2)
    stripe_tax_rate_id: str | None = Field(default=None, max_length=64)
    stripe_account_id: str | None = Field(default=None, max_length=64)
    active: bool = True
    replaces_id: int | None = Field(default=None, foreign_key="tax_rates.id")
    created_at: datetime = _timestamp()


def _money() -> Any:
    """An amount in the currency's minor unit (cents, yen…): an integer, never a float.

    Typed Any, as sqlmodel's own Field is, so `total: int = _money()` checks.
    """
    return Field(default=0, sa_column=Column(BigInteger, nullable=False))


class Client(SQLModel, table=True):
    """Someone the practice bills. Their Stripe customer is made on first invoice and reused after."""

    __tablename__ = "clients"
    __table_args__ = (
        Index("ix_clients_team_name_key", "team_id", "name_key"),
        # The modal submission that created it: Slack's retry of the same submission finds this row.
        UniqueConstraint("team_id", "request_key", name="uq_clients_team_request_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=TEAM_ID_LENGTH)
    name: str = Field(max_length=200)
    # The name folded for search and sorting (lower case, accents removed): "Élodie" is found by "elo".
    name_key: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    address_line1: str | None = Field(default=None, max_length=200)
    address_line2: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)
    country: str | None = Field(default=None, max_length=2)
    # The Stripe customer, on the account it was made on (a practice that reconnects gets a new one there).
    stripe_customer_id: str | None = Field(default=None, max_length=64)
    stripe_account_id: str | None = Field(default=None, max_length=64)
    # The card saved through "Add payment method", charged by "Charge card on file".
    default_payment_method: str | None = Field(default=None, max_length=64)
    created_by: str | None = Field(default=None, max_length=32)
    request_key: str | None = Field(default=None, max_length=128)
    created_at: datetime = _timestamp()
    # The language of what Billbot and Stripe send them (Stripe's preferred_locales); None: the practice's.
    preferred_locale: str | None = Field(default=None, max_length=8)
    # Archived: out of the pickers and searches, still named on their invoices.
    archived_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    # Forgotten on request (GDPR erasure): name and contact details erased, the row kept for its invoices' sake.
    forgotten_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    # Merged into another client (a duplicate): its invoices and sessions moved there.
    merged_into_id: int | None = Field(default=None, foreign_key="clients.id")
    # New invoices are charged to the card on file without a click, after the practitioner's hold window.
    autopay: bool = False


class Service(SQLModel, table=True):
    """An entry of the practice's catalogue: what an invoice line or a session is for, at what price."""

    __tablename__ = "services"
    __table_args__ = (Index("ix_services_team_active", "team_id", "active"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=TEAM_ID_LENGTH)
    name: str = Field(max_length=100)
    unit_amount: int = _money()
    currency: str = Field(max_length=3)
    tax_rate_id: int | None = Field(default=None, foreign_key="tax_rates.id")
    active: bool = True
    created_at: datetime = _timestamp()


class Appointment(SQLModel, table=True):
    """A client's session (appointment). Once invoiced it points at its invoice; a voided invoice frees it."""

    __tablename__ = "appointments"
    __table_args__ = (Index("ix_appointments_team_client", "team_id", "client_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=TEAM_ID_LENGTH)
    client_id: int = Field(foreign_key="clients.id")
    held_on: date
    service_id: int | None = Field(default=None, foreign_key="services.id")
    # The service's name when the session was recorded, so renaming a service does not rewrite history.
    description: str = Field(max_length=100)
    duration_minutes: int | None = None
    # Private to the practice: never posted in a channel, never sent to Stripe.
    notes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    invoice_id: int | None = Field(default=None, foreign_key="invoices.id")
    created_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = _timestamp()
    # "typed" (entered in a client's record) or "calendar" (imported from a CalendarFeed; see CalendarEvent).
    source: str = Field(default="typed", max_length=16, sa_column_kwargs={"server_default": "typed"})
    # When it began (UTC), where known: a calendar's sessions have it; ``held_on`` is that day in the feed's zone.
    starts_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    # The practitioner whose session it is (Slack user id); None: the practice's.
    practitioner_id: str | None = Field(default=None, max_length=32)
    # An invoiced session whose calendar event was then cancelled ("cancelled") or moved ("moved"): shown
    # flagged, never changed or deleted, since its invoice stands.
    calendar_flag: str | None = Field(default=None, max_length=16)


class CalendarFeed(SQLModel, table=True):
    """A practitioner's calendar, read from its secret iCalendar (ICS) address or from an uploaded file.

    ``url`` is a secret (whoever has it reads the calendar): never logged, never shown back whole. The
    scheduler re-syncs a feed once ``next_sync_at`` has passed, claiming it first (``sync_claimed_until``)
    so that one scheduler of several does it.
    """

    __tablename__ = "calendar_feeds"
    __table_args__ = (
        UniqueConstraint("team_id", "user_id", name="uq_calendar_feeds_team_user"),
        Index("ix_calendar_feeds_next_sync_at", "next_sync_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=TEAM_ID_LENGTH)
    user_id: str = Field(max_length=32)  # the practitioner whose calendar it is, who connected it
    source: str = Field(default="url", max_length=16)  # "url" (re-synced) or "file" (an upload, read once)
    url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # HTTP validators of the last body read (a 304 costs nothing) and its digest (an unchanged 200 neither).
    etag: str | None = Field(default=None, max_length=256)
    last_modified: str | None = Field(default=None, max_length=64)
    body_sha256: str | None = Field(default=None, max_length=64)
    # Sessions of events no rule matches to a service get this one (None: left for the invoice to choose).
    default_service_id: int | None = Field(default=None, foreign_key="services.id")
    # The session-end prompt's "No-show fee" invoices this service (no button without one).
    no_show_service_id: int | None = Field(default=None, foreign_key="services.id")
    # The session-end prompt: a DM to the practitioner this many minutes after a matched session ends.
    prompt_on_end: bool = False
    prompt_delay_minutes: int = 5
    timezone: str = Field(default="UTC", max_length=64)  # the practitioner's, from Slack: days and times
    locale: str = Field(default="en", max_length=8)  # the practitioner's: the prompt's and the failure DM's
    # "ok", or "failing" after a sync that could not read the feed (last_error_key says why, in i18n keys).
    status: str = Field(default="ok", max_length=16)
    last_error_key: str | None = Field(default=None, max_length=64)
    last_error_params: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # JSON object
    # The failure was told to the practitioner (a DM once per run of failures, not every 15 minutes).
    failure_told: bool = False
    last_synced_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    next_sync_at: datetime = _timestamp()
    sync_claimed_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class CalendarEvent(SQLModel, table=True):
    """One occurrence of a feed's event (a recurring event has one row per occurrence in the sync window).

    ``occurrence_key`` is the occurrence's original start (its RECURRENCE-ID), "" for a single event, so a
    moved occurrence keeps its row. Matched to a client, it has a session (``appointment_id``); unmatched,
    it waits in the "to sort" list. ``summary`` and ``attendee_emails`` may be health information: shown
    to the practitioner and billing admins only.
    """

    __tablename__ = "calendar_events"
    __table_args__ = (
        UniqueConstraint("feed_id", "uid", "occurrence_key", name="uq_calendar_events_feed_uid_occurrence"),
        Index("ix_calendar_events_team_starts_at", "team_id", "starts_at"),
        Index("ix_calendar_events_prompt_state_ends_at", "prompt_state", "ends_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=TEAM_ID_LENGTH)
    feed_id: int = Field(foreign_key="calendar_feeds.id")
    uid: str = Field(max_length=255)
    occurrence_key: str = Field(default="", max_length=64)
    starts_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    ends_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    all_day: bool = False
    summary: str = Field(default="", max_length=255)
    attendee_emails: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))  # JSON
    # "confirmed", "cancelled" (STATUS:CANCELLED) or "removed" (no longer in the feed).
    status: str = Field(default="confirmed", max_length=16)
    # A digest of what the feed says of it: an unchanged occurrence is skipped without comparing fields.
    content_sha256: str = Field(default="", max_length=64)
    client_id: int | None = Field(default=None, foreign_key="clients.id")
    service_id: int | None = Field(default=None, foreign_key="services.id")
    # How the client was found: "email", "name", "rule" (a remembered assignment) or "manual" (to-sort click).
    matched_by: str | None = Field(default=None, max_length=16)
    appointment_id: int | None = Field(default=None, foreign_key="appointments.id")
    # The session-end prompt: "none" (not due or off), "claimed" (being sent), "sent", "done" (a button was
    # pressed; ``prompt_action`` says which) or "skipped" (off, unmatched or invoiced when it came due).
    prompt_state: str = Field(default="none", max_length=16)
    prompt_claimed_until: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    prompt_channel: str | None = Field(default=None, max_length=32)
    prompt_ts: str | None = Field(default=None, max_length=32)
    prompt_action: str | None = Field(default=None, max_length=16)
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class CalendarClientRule(SQLModel, table=True):
    """ "This recurring event is this client's": remembered when an event is sorted by hand."""

    __tablename__ = "calendar_client_rules"
    __table_args__ = (UniqueConstraint("feed_id", "uid", name="uq_calendar_client_rules_feed_uid"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=TEAM_ID_LENGTH)
    feed_id: int = Field(foreign_key="calendar_feeds.id")
    uid: str = Field(max_length=255)
    client_id: int = Field(foreign_key="clients.id")
    created_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = _timestamp()


class CalendarServiceRule(SQLModel, table=True):
    """A keyword of an event's title that names the service: "Bilan" → the "Initial assessment" service."""

    __tablename__ = "calendar_service_rules"
    __table_args__ = (UniqueConstraint("team_id", "keyword_key", name="uq_calendar_service_rules_team_keyword"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=TEAM_ID_LENGTH)
    keyword: str = Field(max_length=100)
    keyword_key: str = Field(max_length=100)  # folded as client names are (lower case, no accents)
    service_id: int = Field(foreign_key="services.id")
    created_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = _timestamp()


class InvoiceCounter(SQLModel, table=True):
    """The last invoice number given in a workspace; incremented in one UPDATE so numbers never repeat."""

    __tablename__ = "invoice_counters"

    team_id: str = Field(primary_key=True, max_length=TEAM_ID_LENGTH)
    last_number: int = 0


class Invoice(SQLModel, table=True):
    """Our invoice: written first (status draft), then mirrored on Stripe. Amounts in minor units."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("team_id", "number", name="uq_invoices_team_number"),
        # The submission that created it: Slack's retry or a double click finds this row, not a new one.
        UniqueConstraint("team_id", "request_key", name="uq_invoices_team_request_key"),
        UniqueConstraint("stripe_invoice_id", name="uq_invoices_stripe_invoice_id"),
        Index("ix_invoices_team_status", "team_id", "status"),
        Index("ix_invoices_team_client", "team_id", "client_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=TEAM_ID_LENGTH)
    number: str = Field(max_length=16)  # INV-0001, per workspace
    request_key: str = Field(max_length=128)
    client_id: int = Field(foreign_key="clients.id")
    currency: str = Field(max_length=3)
    # draft (ours only, or Stripe failed midway), open, paid, void, uncollectible: Stripe's words.
    status: str = Field(default="draft", max_length=16)
    due_date: date
    memo: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    subtotal: int = _money()
    tax: int = _money()
    total: int = _money()
    amount_paid: int = _money()
    amount_remaining: int = _money()
    stripe_account_id: str | None = Field(default=None, max_length=64)
    stripe_invoice_id: str | None = Field(default=None, max_length=64)
    stripe_number: str | None = Field(default=None, max_length=64)
    hosted_invoice_url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    invoice_pdf: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Why the last push to Stripe failed, shown with Retry; None once it went through.
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Where its message lives (a channel, or the creator's DM), updated in place as it changes.
    channel_id: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    locale: str = Field(default="en", max_length=8)
    created_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()
    paid_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    # Money given back (refunds through Stripe that went through, and credit for money returned outside Stripe).
    amount_refunded: int = _money()
    # A correction: this invoice replaces an earlier one (Stripe's revision), or was replaced by a later one.
    replaces_id: int | None = Field(default=None, foreign_key="invoices.id")
    replaced_by_id: int | None = Field(default=None, foreign_key="invoices.id")


class InvoicePayment(SQLModel, table=True):
    """A payment towards an invoice, whole or part: through Stripe, or received outside it and recorded here.

    A payment recorded outside Stripe is reported to Stripe (a PaymentRecord attached to the invoice), so
    Stripe's amount_remaining, the hosted page and the reminders ask only for the balance.
    """

    __tablename__ = "invoice_payments"
    __table_args__ = (
        UniqueConstraint("team_id", "request_key", name="uq_invoice_payments_team_request_key"),
        UniqueConstraint("stripe_invoice_payment_id", name="uq_invoice_payments_stripe_invoice_payment_id"),
        Index("ix_invoice_payments_team_invoice", "team_id", "invoice_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=TEAM_ID_LENGTH)
    invoice_id: int = Field(foreign_key="invoices.id")
    source: str = Field(max_length=16)  # "stripe" or "outside"
    method: str = Field(max_length=16)  # card, cash, cheque, bank_transfer, other
    amount: int = _money()
    currency: str = Field(max_length=3)
    paid_on: date
    reference: str | None = Field(default=None, max_length=100)
    stripe_payment_record_id: str | None = Field(default=None, max_length=64)
    stripe_payment_intent_id: str | None = Field(default=None, max_length=64)
    stripe_invoice_payment_id: str | None = Field(default=None, max_length=64)
    request_key: str | None = Field(default=None, max_length=128)
    created_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = _timestamp()


class InvoiceRefund(SQLModel, table=True):
    """Money given back on a paid invoice: a Stripe credit note with its refund, or credit for money returned
    outside Stripe (the credit note's out-of-band amount). Written before Stripe is called, like invoices."""

    __tablename__ = "invoice_refunds"
    __table_args__ = (
        UniqueConstraint("team_id", "request_key", name="uq_invoice_refunds_team_request_key"),
        Index("ix_invoice_refunds_team_invoice", "team_id", "invoice_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=TEAM_ID_LENGTH)
    invoice_id: int = Field(foreign_key="invoices.id")
    amount: int = _money()
    currency: str = Field(max_length=3)
    outside: bool = False  # given back outside Stripe
    reason: str | None = Field(default=None, max_length=32)  # Stripe's reasons
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # private to the practice
    # pending (written, or Stripe's refund still pending), succeeded, failed, canceled: Stripe's words.
    status: str = Field(default="pending", max_length=16)
    stripe_credit_note_id: str | None = Field(default=None, max_length=64)
    stripe_refund_id: str | None = Field(default=None, max_length=64)
    failure_reason: str | None = Field(default=None, max_length=64)
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    request_key: str | None = Field(default=None, max_length=128)
    created_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class AutopayCharge(SQLModel, table=True):
    """An invoice of an autopay client, to be charged to the card on file at ``charge_at`` unless held.

    The row is the claim, as for reminders: one scheduler moves it from scheduled to charging, and Stripe's
    idempotency key (per invoice) keeps a second attempt after a crash from charging twice.
    """

    __tablename__ = "autopay_charges"
    __table_args__ = (Index("ix_autopay_charges_state_charge_at", "state", "charge_at"),)

    invoice_id: int = Field(primary_key=True, foreign_key="invoices.id")
    team_id: str = Field(max_length=TEAM_ID_LENGTH)
    charge_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    # scheduled, held, charging, charged, declined (fell back to the payment link), cancelled.
    state: str = Field(default="scheduled", max_length=16)
    # When the practitioner's daily DM listed it (Hold / Edit / Charge now).
    notified_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    claimed_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    updated_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class InvoiceLine(SQLModel, table=True):
    """One line of an invoice, and the Stripe invoice item that mirrors it."""

    __tablename__ = "invoice_lines"
    __table_args__ = (UniqueConstraint("invoice_id", "position", name="uq_invoice_lines_invoice_position"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=TEAM_ID_LENGTH)
    invoice_id: int = Field(foreign_key="invoices.id")
    position: int
    service_date: date
    description: str = Field(max_length=200)
    service_id: int | None = Field(default=None, foreign_key="services.id")
    quantity: int
    unit_amount: int = _money()
    amount: int = _money()  # quantity × unit amount, tax included when inclusive
    tax_rate_id: int | None = Field(default=None, foreign_key="tax_rates.id")
    tax_amount: int = _money()
    stripe_invoice_item_id: str | None = Field(default=None, max_length=64)


class ClientRecordShown(SQLModel, table=True):
    """A client's record a person has open (an ephemeral message), and the response_url that redraws it.

    Kept when the person starts invoicing the record's sessions, so that once they are invoiced the record
    stops offering them; Slack keeps a response_url 30 minutes, so older rows are of no use.
    """

    __tablename__ = "client_records_shown"

    team_id: str = Field(primary_key=True, max_length=TEAM_ID_LENGTH)
    user_id: str = Field(primary_key=True, max_length=32)
    client_id: int = Field(primary_key=True)
    response_url: str = Field(sa_column=Column(Text, nullable=False))
    shown_at: datetime = _timestamp(index=True)


class InvoiceModalSnapshot(SQLModel, table=True):
    """An open invoice modal's shape and typed values, kept while a "New client" modal sits on top of it.

    Slack offers no way to read a view back: when the new client is saved, the invoice modal is rebuilt
    from this row with that client chosen and everything typed before still there.
    """

    __tablename__ = "invoice_modal_snapshots"

    team_id: str = Field(primary_key=True, max_length=TEAM_ID_LENGTH)
    view_id: str = Field(primary_key=True, max_length=32)
    private_metadata: str = Field(sa_column=Column(Text, nullable=False))
    state_values: str = Field(sa_column=Column(Text, nullable=False))  # the view's state.values, as JSON
    saved_at: datetime = _timestamp(index=True)


class InvoiceTemplate(SQLModel, table=True):
    """How a workspace's invoices look: design, logo, colours, footer, and the default payment terms.

    The logo is kept here (already checked and resized to what Stripe accepts) so that every process can
    render a PDF without a shared disk; ``stripe_logo_file_id`` is that logo once uploaded to Stripe.
    """

    __tablename__ = "invoice_templates"

    team_id: str = Field(primary_key=True, max_length=TEAM_ID_LENGTH)
    template: str = Field(default="classic", max_length=16)
    practice_name: str | None = Field(default=None, max_length=100)
    primary_color: str = Field(default="#1f4e79", max_length=7)  # "#rrggbb", as Stripe's branding takes it
    secondary_color: str = Field(default="#dce6f0", max_length=7)
    footer: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    payment_terms_days: int = 30
    logo: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    logo_mime: str | None = Field(default=None, max_length=32)
    # Names the logo's bytes, so saving the same logo again does not upload it to Stripe again.
    logo_sha256: str | None = Field(default=None, max_length=64)
    stripe_logo_file_id: str | None = Field(default=None, max_length=64)
    stripe_account_id: str | None = Field(default=None, max_length=64)
    updated_by: str | None = Field(default=None, max_length=32)
    updated_at: datetime = _timestamp()


# Bolt's installation and OAuth state stores keep their rows in our database (several processes share
# them); their tables join our metadata so that Alembic creates and migrates them with ours.
SLACK_BOTS = SQLAlchemyInstallationStore.build_bots_table(SQLModel.metadata, "slack_bots")
SLACK_INSTALLATIONS = SQLAlchemyInstallationStore.build_installations_table(SQLModel.metadata, "slack_installations")
SLACK_OAUTH_STATES = SQLAlchemyOAuthStateStore.build_oauth_states_table(SQLModel.metadata, "slack_oauth_states")


class HelpSettings(SQLModel, table=True):
    """Where the help handler listens, and who takes over when it cannot answer."""

    __tablename__ = "help_settings"

    team_id: str = Field(primary_key=True, max_length=TEAM_ID_LENGTH)
    # JSON list of channel ids whose every top-level message is a question for the bot.
    channels: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))
    # Hand-over: the user group pinged in the question's thread, and/or the channel told with a link to it.
    support_group: str | None = Field(default=None, max_length=32)
    support_channel: str | None = Field(default=None, max_length=32)
    updated_by: str | None = Field(default=None, max_length=32)
    updated_at: datetime = _timestamp()


class HelpQuestion(SQLModel, table=True):
    """A question the help handler answered: what it matched and what the asker thought of it.

    The question's text is not kept: it may name a client or an amount.
    """

    __tablename__ = "help_questions"
    __table_args__ = (UniqueConstraint("team_id", "channel_id", "message_ts", name="uq_help_questions_message"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=TEAM_ID_LENGTH)
    channel_id: str = Field(max_length=32)
    message_ts: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    topic: str = Field(max_length=40)  # a knowledge-base topic, "human", or "data" (answered from the database)
    score: float = 0.0
    language: str = Field(max_length=8)
    helpful: bool | None = None
    handed_over: bool = False
    asked_at: datetime = _timestamp()


# -- payment reminders (flows/reminders) ---------------------------------------------------------------------


class ReminderSettings(SQLModel, table=True):
    """When a workspace's clients are reminded of unpaid invoices, and how."""

    __tablename__ = "reminder_settings"

    team_id: str = Field(primary_key=True, max_length=TEAM_ID_LENGTH)
    # JSON list of days from the due date, ascending: -3 is three days before, 0 the due date, 7 a week after.
    offsets: str = Field(default="[-3, 0, 7]", sa_column=Column(Text, nullable=False, server_default="[-3, 0, 7]"))
    email_client: bool = True  # Stripe re-sends the invoice email
    tell_team: bool = True  # one digest per sweep in channel_id
    channel_id: str | None = Field(default=None, max_length=32)
    send_minute: int = 540  # the time of day, in minutes after midnight in ``timezone``
    timezone: str = Field(default="UTC", max_length=64)
    locale: str = Field(default="en", max_length=8)  # the digest's language
    # Last month's figures and chart posted in channel_id on the 1st at send_minute (MonthlySummary claims it).
    monthly_summary: bool = False
    # Reminders that came due before this moment are never sent: turning reminders on does not fire a
    # burst of them for invoices that were already late.
    active_since: datetime = _timestamp()
    updated_by: str | None = Field(default=None, max_length=32)
    updated_at: datetime = _timestamp()


class ReminderSent(SQLModel, table=True):
    """One reminder of one invoice under one rule: the row is the claim, inserted before anything is sent.

    The unique (invoice, rule) lets exactly one scheduler insert it; a claim whose sweep died before
    finishing is taken over once ``claimed_until`` has passed (Stripe's idempotency key, per invoice and
    rule, keeps the email from going twice).
    """

    __tablename__ = "reminders_sent"
    __table_args__ = (
        UniqueConstraint("invoice_id", "rule", name="uq_reminders_sent_invoice_rule"),
        Index("ix_reminders_sent_state_claimed_until", "state", "claimed_until"),
        Index("ix_reminders_sent_team_due_at", "team_id", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=TEAM_ID_LENGTH)
    invoice_id: int = Field(foreign_key="invoices.id")
    rule: int  # the rule's days from the due date
    due_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    # claimed (being sent), sent, skipped (paid, voided, held or overtaken by the next rule meanwhile), failed.
    state: str = Field(default="claimed", max_length=16)
    claimed_until: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    attempts: int = 0
    emailed: bool = False
    digest_channel: str | None = Field(default=None, max_length=32)
    digest_ts: str | None = Field(default=None, max_length=32)
    # Set before the digest carrying this line goes to Slack: a sweep that finds it set without ``sent``
    # (no answer came back, or the sweep died) looks in the channel before posting the line again.
    digest_attempted_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = _timestamp()
    sent_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


class MonthlySummary(SQLModel, table=True):
    """The claim on one workspace's summary of one month, inserted before it is posted: exactly one post per
    workspace per month across schedulers. A claim whose poster died is taken over after ``claimed_until``,
    looking in the channel for the message (its metadata names the claim) before posting again."""

    __tablename__ = "monthly_summaries"
    __table_args__ = (UniqueConstraint("team_id", "month", name="uq_monthly_summaries_team_month"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=TEAM_ID_LENGTH)
    month: str = Field(max_length=7)  # "YYYY-MM": the month summarized
    # claimed (being posted), sent, skipped (turned on after that month's 1st: not posted), failed.
    state: str = Field(default="claimed", max_length=16)
    channel: str | None = Field(default=None, max_length=32)
    ts: str | None = Field(default=None, max_length=32)
    claimed_until: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    created_at: datetime = _timestamp()


class InvoiceReminderHold(SQLModel, table=True):
    """An invoice kept out of reminders: stopped from its message, or snoozed from a digest."""

    __tablename__ = "invoice_reminder_holds"

    invoice_id: int = Field(primary_key=True, foreign_key="invoices.id")
    team_id: str = Field(max_length=TEAM_ID_LENGTH)
    stopped: bool = False
    snoozed_until: date | None = None  # no reminder before this day (the workspace's time zone)
    updated_by: str | None = Field(default=None, max_length=32)
    updated_at: datetime = _timestamp()


# The sweep reads open invoices by due date across every workspace at once (bench/sweep.py).
Index(
    "ix_invoices_status_due_date",
    table_of(Invoice).c.status,
    table_of(Invoice).c.due_date,
    table_of(Invoice).c.team_id,
)

# A period's figures (bot.figures) read one workspace's rows by the day they belong to.
Index("ix_invoices_team_created_at", table_of(Invoice).c.team_id, table_of(Invoice).c.created_at)
Index("ix_invoices_team_paid_at", table_of(Invoice).c.team_id, table_of(Invoice).c.paid_at)
Index("ix_invoice_payments_team_paid_on", table_of(InvoicePayment).c.team_id, table_of(InvoicePayment).c.paid_on)
Index("ix_invoice_refunds_team_created_at", table_of(InvoiceRefund).c.team_id, table_of(InvoiceRefund).c.created_at)
Index("ix_appointments_team_held_on", table_of(Appointment).c.team_id, table_of(Appointment).c.held_on)
