"""Database tables. Every row belongs to a Slack workspace: its team id is part of its key."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Column, DateTime, Index, Numeric, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

TEAM_ID_LENGTH = 32


def utcnow() -> datetime:
    return datetime.now(UTC)


def _timestamp(**kwargs: object) -> object:
    return Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False, **kwargs))


class Workspace(SQLModel, table=True):
    """A Slack workspace that installed Billbot (one row in single-workspace mode)."""

    __tablename__ = "workspaces"

    team_id: str = Field(primary_key=True, max_length=TEAM_ID_LENGTH)
    name: str | None = Field(default=None, max_length=255)
    # The language the bot falls back to when a user's own Slack locale is unknown.
    default_locale: str | None = Field(default=None, max_length=8)
    created_at: datetime = _timestamp()  # type: ignore[assignment]


class SlackUser(SQLModel, table=True):
    """What users.info told us about a member, cached so the hot path never waits on Slack."""

    __tablename__ = "slack_users"

    team_id: str = Field(primary_key=True, max_length=TEAM_ID_LENGTH)
    user_id: str = Field(primary_key=True, max_length=32)
    locale: str | None = Field(default=None, max_length=16)
    is_admin: bool = False
    is_owner: bool = False
    tz: str | None = Field(default=None, max_length=64)
    fetched_at: datetime = _timestamp()  # type: ignore[assignment]


class HandledRequest(SQLModel, table=True):
    """The claim-once ledger: an event id, a click, a reminder, each claimed by exactly one worker."""

    __tablename__ = "handled_requests"
    __table_args__ = (UniqueConstraint("team_id", "kind", "key", name="uq_handled_requests_team_kind_key"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=TEAM_ID_LENGTH)
    kind: str = Field(max_length=32)
    key: str = Field(max_length=255)
    created_at: datetime = _timestamp(index=True)  # type: ignore[assignment]


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
    created_at: datetime = _timestamp()  # type: ignore[assignment]
    available_at: datetime = _timestamp()  # type: ignore[assignment]
    # A worker's lease: while it is in the future, no other worker takes the row.
    claimed_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
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
    created_at: datetime = _timestamp()  # type: ignore[assignment]
    updated_at: datetime = _timestamp()  # type: ignore[assignment]


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
    updated_by: str | None = Field(default=None, max_length=32)
    updated_at: datetime = _timestamp()  # type: ignore[assignment]


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
    created_at: datetime = _timestamp()  # type: ignore[assignment]


# Bolt's installation and OAuth state stores keep their rows in our database (several processes share
# them); their tables join our metadata so that Alembic creates and migrates them with ours.
SLACK_BOTS = SQLAlchemyInstallationStore.build_bots_table(SQLModel.metadata, "slack_bots")
SLACK_INSTALLATIONS = SQLAlchemyInstallationStore.build_installations_table(SQLModel.metadata, "slack_installations")
SLACK_OAUTH_STATES = SQLAlchemyOAuthStateStore.build_oauth_states_table(SQLModel.metadata, "slack_oauth_states")
