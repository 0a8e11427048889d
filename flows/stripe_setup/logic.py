"""Payments set-up as plain functions over the stripe_accounts table and the Stripe gateway (no Slack here).

One code path serves every mode: with Connect, a workspace's row names its connected account; without
(STRIPE_CONNECT_ACCOUNT_TYPE=none) the row's account id is None and every call acts on the platform key's
own account.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from bot.db import Database
from bot.models import HandledRequest, Invoice, StripeAccount, utcnow
from bot.settings import Settings
from bot.stripe_gateway import GatewayError, StripeGateway

log = logging.getLogger(__name__)

PLATFORM = "platform"
OAUTH = "oauth"
# Where the holder of an account Billbot did not create finishes Stripe's questions: Stripe makes
# onboarding links only for accounts the platform created.
DASHBOARD_URL = "https://dashboard.stripe.com/"


class AlreadyConnected(Exception):
    """The workspace already takes payments through another Stripe account."""


class AccountTaken(Exception):
    """The Stripe account is already connected to another workspace."""


@dataclass(frozen=True)
class AccountStatus:
    """What Billbot keeps of Stripe's answer about an account; equal statuses mean nothing to tell."""

    charges_enabled: bool = False
    payouts_enabled: bool = False
    details_submitted: bool = False
    requirements_due: tuple[str, ...] = ()

    @classmethod
    def from_stripe(cls, account: dict[str, Any]) -> AccountStatus:
        requirements = account.get("requirements") or {}
        return cls(
            charges_enabled=bool(account.get("charges_enabled")),
            payouts_enabled=bool(account.get("payouts_enabled")),
            details_submitted=bool(account.get("details_submitted")),
            requirements_due=tuple(sorted(set(requirements.get("currently_due") or []))),
        )

    @classmethod
    def of(cls, row: StripeAccount) -> AccountStatus:
        return cls(row.charges_enabled, row.payouts_enabled, row.details_submitted, tuple(due_list(row)))

    def due_json(self) -> str:
        return json.dumps(list(self.requirements_due))


class Change(Enum):
    """What the admin who started set-up hears about a new status."""

    NONE = "none"
    ENABLED = "enabled"
    NEEDS_INFO = "needs_info"


def change_between(old: AccountStatus, new: AccountStatus) -> Change:
    if new.charges_enabled and not old.charges_enabled:
        return Change.ENABLED
    # While the holder is still filling in Stripe's form, what is due is just the rest of the form; after
    # they submitted it, anything new on the list is Stripe asking for more.
    newly_due = set(new.requirements_due) - set(old.requirements_due)
    if new.requirements_due and new.details_submitted and (newly_due or not old.details_submitted):
        return Change.NEEDS_INFO
    return Change.NONE


def due_list(row: StripeAccount) -> list[str]:
    try:
        due = json.loads(row.requirements_due or "[]")
    except ValueError:
        return []
    return [str(item) for item in due] if isinstance(due, list) else []


def platform_mode(settings: Settings) -> bool:
    return settings.stripe_connect_account_type == "none"


def get_row(db: Database, team_id: str) -> StripeAccount | None:
    with db.session() as session:
        return session.get(StripeAccount, team_id)


def is_done(session: Session, team_id: str) -> bool:
    row = session.get(StripeAccount, team_id)
    return row is not None and row.charges_enabled


def owners_of(db: Database, account_id: str | None) -> list[StripeAccount]:
    """The rows an account.updated event is about: one per connected account, any platform-mode rows."""
    with db.session() as session:
        if account_id is None:
            query = select(StripeAccount).where(
                col(StripeAccount.account_id).is_(None),
                col(StripeAccount.connection) == PLATFORM,
            )
        else:
            query = select(StripeAccount).where(col(StripeAccount.account_id) == account_id)
        return list(session.scalars(query))


def ensure_account(
    settings: Settings, db: Database, gateway: StripeGateway, team_id: str, user_id: str
) -> tuple[StripeAccount, dict[str, Any] | None]:
    """The workspace's account row, made on first use; with it the Stripe account when this call created it.

    Two concurrent calls (a double click, a replayed job) end with one Stripe account: they send the same
    idempotency key, so Stripe answers both with the account it made for the first, and the row's primary
    key lets one insert win. The key names the account type, so changing STRIPE_CONNECT_ACCOUNT_TYPE does
    not collide with a key Stripe remembers for the old type. A Stripe failure leaves no row.
    """
    row = get_row(db, team_id)
    if row is not None:
        if row.started_by != user_id:
            # Whoever continues set-up is the one waiting to hear how it ends.
            row = _set_started_by(db, team_id, user_id) or row
        return row, None
    created: dict[str, Any] | None = None
    if platform_mode(settings):
        account_id, connection = None, PLATFORM
    else:
        connection = settings.stripe_connect_account_type
        # After a disconnect the old key would make Stripe answer with the old account: each new start counts.
        generation = disconnects(db, team_id)
        suffix = f"-{generation}" if generation else ""
        created = gateway.create_account(
            connection,
            idempotency_key=f"billbot-account-{team_id}-{connection}{suffix}",
            metadata={"slack_team_id": team_id},
        )
        account_id = str(created["id"])
    status = AccountStatus.from_stripe(created) if created else AccountStatus()
    try:
        with db.write_lock(), db.session() as session:
            session.add(_new_row(team_id, account_id, connection, user_id, status))
    except IntegrityError:
        log.info("set-up for %s raced another; using the account it recorded", team_id)
    row = get_row(db, team_id)
    if row is None:  # pragma: no cover - the insert above or a concurrent one made it
        raise RuntimeError(f"no stripe_accounts row for {team_id} after insert")
    return row, created


def _new_row(
    team_id: str, account_id: str | None, connection: str, user_id: str, status: AccountStatus
) -> StripeAccount:
    return StripeAccount(
        team_id=team_id,
        account_id=account_id,
        connection=connection,
        charges_enabled=status.charges_enabled,
        payouts_enabled=status.payouts_enabled,
        details_submitted=status.details_submitted,
        requirements_due=status.due_json(),
        started_by=user_id,
    )


def _set_started_by(db: Database, team_id: str, user_id: str) -> StripeAccount | None:
    with db.write_lock(), db.session() as session:
        row = session.get(StripeAccount, team_id)
        if row is not None:
            row.started_by = user_id
            row.updated_at = utcnow()
            session.add(row)
        return row


def record_status(
    db: Database, team_id: str, account_id: str | None, status: AccountStatus
) -> tuple[StripeAccount | None, Change]:
    """Store Stripe's latest word on the workspace's account; the change to tell, to exactly one caller.

    The webhook, the return page and an opening modal may all learn of the same new status at once. The
    update only applies where the row still holds the status this caller read, so of several callers with
    the same news exactly one sees a change (and sends the DM); the others find it already recorded.
    """
    for _ in range(10):
        row = get_row(db, team_id)
        if row is None or row.account_id != account_id:
            return None, Change.NONE  # not this workspace's account (any more)
        old = AccountStatus.of(row)
        if old == status:
            return row, Change.NONE
        same_account = (
            col(StripeAccount.account_id).is_(None)
            if account_id is None
            else col(StripeAccount.account_id) == account_id
        )
        statement = (
            update(StripeAccount)
            .where(
                col(StripeAccount.team_id) == team_id,
                same_account,
                col(StripeAccount.charges_enabled) == row.charges_enabled,
                col(StripeAccount.payouts_enabled) == row.payouts_enabled,
                col(StripeAccount.details_submitted) == row.details_submitted,
                col(StripeAccount.requirements_due) == row.requirements_due,
            )
            .values(
                charges_enabled=status.charges_enabled,
                payouts_enabled=status.payouts_enabled,
                details_submitted=status.details_submitted,
                requirements_due=status.due_json(),
                updated_at=utcnow(),
            )
        )
        with db.write_lock(), db.session() as session:
            applied = session.execute(statement).rowcount  # type: ignore[attr-defined]
        if applied:
            return get_row(db, team_id), change_between(old, status)
    raise RuntimeError(f"the stripe_accounts row of {team_id} kept changing under us")


def refresh(db: Database, gateway: StripeGateway, row: StripeAccount) -> tuple[StripeAccount, Change]:
    """Ask Stripe for the account's status now and record it (GatewayError when Stripe cannot say)."""
    status = AccountStatus.from_stripe(gateway.retrieve_account(row.account_id))
    updated, change = record_status(db, row.team_id, row.account_id, status)
    return updated or row, change


def can_make_onboarding_link(row: StripeAccount) -> bool:
    return row.account_id is not None and row.connection not in (OAUTH, PLATFORM)


def onboarding_link(gateway: StripeGateway, row: StripeAccount, *, refresh_url: str, return_url: str) -> str:
    """A fresh Account Link: single use and valid for minutes, so made when someone is about to follow it."""
    if row.account_id is None:
        raise ValueError("the platform's own account has no onboarding link")
    link = gateway.create_account_link(
        row.account_id,
        refresh_url=refresh_url,
        return_url=return_url,
        # Each link is new on purpose; the key only makes the gateway's own retries of this call safe.
        idempotency_key=f"billbot-link-{uuid.uuid4().hex}",
    )
    return str(link["url"])


def connect_existing(db: Database, gateway: StripeGateway, team_id: str, user_id: str, code: str) -> StripeAccount:
    """Exchange an OAuth code and record the account it names as the workspace's.

    An unfinished account Billbot created earlier gives way to the connected one; an account that already
    takes payments does not (AlreadyConnected). Stripe lets one account connect to one workspace here.
    """
    existing = get_row(db, team_id)
    if existing is not None and existing.charges_enabled:
        raise AlreadyConnected(existing.account_id or PLATFORM)
    account_id = gateway.oauth_exchange(code)
    try:
        with db.write_lock(), db.session() as session:
            row = session.get(StripeAccount, team_id)
            if row is None:
                session.add(_new_row(team_id, account_id, OAUTH, user_id, AccountStatus()))
            elif row.account_id != account_id:
                if row.charges_enabled:
                    raise AlreadyConnected(row.account_id or PLATFORM)
                # The unfinished account Billbot made is left to Stripe; the row starts over for this one.
                session.delete(row)
                session.flush()
                session.add(_new_row(team_id, account_id, OAUTH, user_id, AccountStatus()))
            else:
                row.started_by = user_id
                session.add(row)
    except IntegrityError as exc:
        raise AccountTaken(account_id) from exc
    row = get_row(db, team_id)
    assert row is not None
    return row


# -- disconnecting -------------------------------------------------------------------------------------------

DISCONNECT_CLAIM = "stripe_disconnect"
# What Stripe answers a deauthorization of an account the platform no longer reaches: already done.
_ALREADY_DEAUTHORIZED = ("invalid_client", "invalid_grant")


def disconnect_key(row: StripeAccount) -> str:
    """One key per connection (an account connected again later is a new connection)."""
    # Digits of the UTC time, the same whether the driver hands it back aware (PostgreSQL) or naive (SQLite).
    return f"{row.account_id or PLATFORM}:{row.created_at.strftime('%Y%m%d%H%M%S%f')}"


def disconnects(db: Database, team_id: str) -> int:
    """How many times the workspace has left a Stripe account (it names the next account's idempotency key)."""
    with db.session() as session:
        query = select(func.count()).where(
            col(HandledRequest.team_id) == team_id, col(HandledRequest.kind) == DISCONNECT_CLAIM
        )
        return int(session.scalar(query) or 0)


def open_invoice_count(db: Database, team_id: str, account_id: str | None) -> int:
    """The open invoices on that account: they stay there, and keep their payment links."""
    with db.session() as session:
        query = select(func.count()).where(
            col(Invoice.team_id) == team_id,
            col(Invoice.stripe_account_id) == account_id,
            col(Invoice.status) == "open",
        )
        return int(session.scalar(query) or 0)


def access_revoked_on_disconnect(row: StripeAccount) -> bool:
    """An account the practice connected by OAuth is deauthorized (Billbot loses access); one Billbot made is
    only no longer used (it stays under the platform, so its open invoices stay manageable from Billbot)."""
    return row.connection == OAUTH


def disconnect(db: Database, gateway: StripeGateway, team_id: str, account_id: str) -> StripeAccount | None:
    """Stop using ``account_id`` for the workspace; the row that was removed, None when it was already gone.

    Safe to repeat (a double click, a replayed job, a crash between the steps): the ledger marks the connection
    as left by us first (so Stripe's account.application.deauthorized that follows is known for ours), Stripe's
    deauthorization of an account already deauthorized counts as done, and the row is removed last.
    """
    row = get_row(db, team_id)
    if row is None or row.account_id != account_id or row.connection == PLATFORM:
        return None
    db.claim_once(team_id, DISCONNECT_CLAIM, disconnect_key(row))
    if access_revoked_on_disconnect(row):
        try:
            gateway.oauth_deauthorize(account_id)
        except GatewayError as exc:
            if exc.code not in _ALREADY_DEAUTHORIZED:
                raise
            log.info("%s was already deauthorized for %s", account_id, team_id)
    return remove_row(db, team_id, account_id)


def remove_row(db: Database, team_id: str, account_id: str | None) -> StripeAccount | None:
    """Delete the workspace's row if it still names that account; the row, to exactly one caller."""
    row = get_row(db, team_id)
    if row is None or row.account_id != account_id:
        return None
    statement = delete(StripeAccount).where(
        col(StripeAccount.team_id) == team_id, col(StripeAccount.account_id) == account_id
    )
    with db.write_lock(), db.session() as session:
        removed = session.execute(statement).rowcount  # type: ignore[attr-defined]
    return row if removed else None
