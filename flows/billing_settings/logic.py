"""Saving billing settings and tax rates, and mirroring each rate as a Stripe TaxRate.

Every operation can be run again with the same arguments and ends in the same place, because the work
queue runs lazy work at least once and the user may press Retry after Stripe failed:

- Stripe objects are created with idempotency keys derived from the operation (the view and the exact
  values for a new rate, the local row id for a rate mirrored later), so a second run gets the same object;
- Stripe goes first, the database last, in one transaction that also claims the operation in the
  ``handled_requests`` ledger. A failure at Stripe leaves our rows as they were; at worst a new rate
  exists in Stripe that no row points at yet, and the retry adopts it (same key, same object).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.db import Database
from bot.models import BillingSettings, HandledRequest, Service, StripeAccount, TaxRate, utcnow
from bot.services import Services
from bot.slack_users import set_workspace_locale
from flows.billing_settings.validation import RateForm, SettingsForm

log = logging.getLogger(__name__)

OPERATION_KIND = "tax_rate_op"


class RateGone(Exception):
    """The rate was archived or replaced meanwhile (another admin, another window)."""


@dataclass(frozen=True)
class Account:
    """Where the practice's rates live in Stripe; ``account_id`` None is the platform's own account."""

    account_id: str | None


def is_done(session: Session, team_id: str) -> bool:
    """The checklist step is done once a currency and a billing address are saved."""
    row = session.get(BillingSettings, team_id)
    return bool(row and row.currency and row.address_line1 and row.city and row.country)


def load_settings(team_id: str, *, db: Database) -> BillingSettings | None:
    with db.session() as session:
        return session.get(BillingSettings, team_id)


def active_rates(team_id: str, *, db: Database) -> list[TaxRate]:
    with db.session() as session:
        query = select(TaxRate).where(TaxRate.team_id == team_id, col(TaxRate.active)).order_by(col(TaxRate.id))
        return list(session.exec(query).all())


def get_rate(team_id: str, rate_id: int, *, db: Database) -> TaxRate | None:
    with db.session() as session:
        row = session.get(TaxRate, rate_id)
    return row if row is not None and row.team_id == team_id else None


def stripe_account(team_id: str, *, db: Database) -> Account | None:
    """The workspace's Stripe account, or None while payments are not set up."""
    with db.session() as session:
        row = session.get(StripeAccount, team_id)
    return Account(row.account_id) if row is not None else None


# -- settings ---------------------------------------------------------------------------------------------


def save_settings(services: Services, team_id: str, user_id: str, form: SettingsForm) -> None:
    """Mirror any rate still waiting for Stripe, then write the settings: a Stripe failure saves nothing new."""
    mirror_pending_tax_rates(services, team_id)
    with services.db.write_lock(), services.db.session() as session:
        row = session.get(BillingSettings, team_id) or BillingSettings(team_id=team_id, currency=form.currency)
        row.currency = form.currency
        row.address_line1 = form.address_line1
        row.address_line2 = form.address_line2
        row.city = form.city
        row.region = form.region
        row.postal_code = form.postal_code
        row.country = form.country
        if form.billing_admin_group is not None:
            row.billing_admin_group = form.billing_admin_group or None
        if form.members_see_client_details is not None:
            row.members_see_client_details = form.members_see_client_details
        if form.full_channel_cards is not None:
            row.full_channel_cards = form.full_channel_cards
        row.updated_by = user_id
        row.updated_at = utcnow()
        session.add(row)
    if form.channel_locale is not None:
        set_workspace_locale(services.db, team_id, form.channel_locale)


def services_priced_otherwise(team_id: str, currency: str, *, db: Database) -> dict[str, int]:
    """How many of the catalogue's active services are priced in each currency other than ``currency``.

    Prices are per currency and never converted: after a currency change these services have no price
    in the new one until the practice sets it (the invoice modal says so on each of them)."""
    with db.session() as session:
        query = select(Service.currency).where(Service.team_id == team_id, col(Service.active).is_(True))
        found: dict[str, int] = {}
        for priced_in in session.exec(query).all():
            if priced_in.lower() != currency.lower():
                found[priced_in.lower()] = found.get(priced_in.lower(), 0) + 1
    return found


# -- tax rates --------------------------------------------------------------------------------------------


def mirror_pending_tax_rates(services: Services, team_id: str) -> int:
    """Create in Stripe every active rate that has no Stripe mirror yet; how many were created.

    For the set-up flow to call once the workspace's StripeAccount row exists (rates saved before payments
    were set up are kept locally until then). Safe to call again at any point: each row's key is its id,
    and a row's percentage never changes (an edit makes a new row), so the id names the version too.
    """
    account = stripe_account(team_id, db=services.db)
    if account is None:
        return 0
    with services.db.session() as session:
        query = select(TaxRate).where(
            TaxRate.team_id == team_id, col(TaxRate.active), col(TaxRate.stripe_tax_rate_id).is_(None)
        )
        pending = list(session.exec(query.order_by(col(TaxRate.id))).all())
    for row in pending:
        assert row.id is not None
        created = _create_in_stripe(services, account, row_form(row), f"billbot:{team_id}:tax_rate:{row.id}")
        # One commit per row: a failure on the third rate keeps the first two, and the next run goes on.
        with services.db.write_lock(), services.db.session() as session:
            fresh = session.get(TaxRate, row.id)
            if fresh is not None and fresh.stripe_tax_rate_id is None:
                fresh.stripe_tax_rate_id = created
                fresh.stripe_account_id = account.account_id
                session.add(fresh)
    return len(pending)


def add_rate(services: Services, team_id: str, form: RateForm, operation: str) -> None:
    """A new rate; ``operation`` names this one request (the view it came from and its values)."""
    account = stripe_account(team_id, db=services.db)
    stripe_id = None
    if account is not None:
        stripe_id = _create_in_stripe(services, account, form, f"billbot:{team_id}:tax_rate:add:{operation}")
    row = _new_row(team_id, form, account, stripe_id)
    _commit_once(team_id, f"add:{operation}", [row], db=services.db)


def replace_rate(services: Services, team_id: str, rate_id: int, form: RateForm, operation: str) -> None:
    """An edit: Stripe rates are immutable, so the new one is created and the old one archived.

    Creating first and archiving second means a failure in between leaves the old rate usable everywhere;
    the database only switches over once both have happened.
    """
    old = get_rate(team_id, rate_id, db=services.db)
    key = f"replace:{rate_id}:{operation}"
    if old is None:
        raise RateGone(rate_id)
    if not old.active:
        if _claimed(team_id, key, db=services.db):
            return  # this very edit already went through (a replay)
        raise RateGone(rate_id)
    if row_form(old) == form:
        return
    account = stripe_account(team_id, db=services.db)
    stripe_id = None
    if account is not None:
        stripe_id = _create_in_stripe(
            services, account, form, f"billbot:{team_id}:tax_rate:replace:{rate_id}:{operation}"
        )
    if old.stripe_tax_rate_id is not None:
        services.stripe.archive_tax_rate(old.stripe_account_id, old.stripe_tax_rate_id)
    new = _new_row(team_id, form, account, stripe_id, replaces_id=rate_id)
    _commit_once(team_id, key, [new], archive=rate_id, db=services.db)


def archive_rate(services: Services, team_id: str, rate_id: int) -> TaxRate:
    """Archive a rate here and in Stripe; invoices that used it keep it (Stripe never deletes a rate)."""
    row = get_rate(team_id, rate_id, db=services.db)
    if row is None:
        raise RateGone(rate_id)
    if not row.active:
        return row
    if row.stripe_tax_rate_id is not None:
        services.stripe.archive_tax_rate(row.stripe_account_id, row.stripe_tax_rate_id)
    with services.db.write_lock(), services.db.session() as session:
        fresh = session.get(TaxRate, rate_id)
        assert fresh is not None
        fresh.active = False
        session.add(fresh)
    return row


def row_form(row: TaxRate) -> RateForm:
    return RateForm(row.name, row.percentage, row.inclusive, row.description, row.country)


def _create_in_stripe(services: Services, account: Account, form: RateForm, idempotency_key: str) -> str:
    created = services.stripe.create_tax_rate(
        account.account_id,
        display_name=form.name,
        percentage=form.percentage,
        inclusive=form.inclusive,
        idempotency_key=idempotency_key[:255],
        description=form.description,
        country=form.country,
    )
    return str(created["id"])


def _new_row(
    team_id: str, form: RateForm, account: Account | None, stripe_id: str | None, replaces_id: int | None = None
) -> TaxRate:
    return TaxRate(
        team_id=team_id,
        name=form.name,
        percentage=form.percentage,
        inclusive=form.inclusive,
        description=form.description,
        country=form.country,
        stripe_tax_rate_id=stripe_id,
        stripe_account_id=account.account_id if account is not None and stripe_id is not None else None,
        replaces_id=replaces_id,
    )


def _commit_once(team_id: str, key: str, rows: Sequence[TaxRate], *, archive: int | None = None, db: Database) -> bool:
    """Write the rows and claim ``key`` in one transaction; False when a previous run already did."""
    try:
        with db.write_lock(), db.session() as session:
            session.add(HandledRequest(team_id=team_id, kind=OPERATION_KIND, key=key[:255]))
            session.flush()  # the claim first: a replay stops here, before touching any rate
            if archive is not None:
                old = session.get(TaxRate, archive)
                if old is None or not old.active:
                    raise RateGone(archive)
                old.active = False
                session.add(old)
            for row in rows:
                session.add(row)
    except IntegrityError:
        log.info("tax rate operation %s already done", key)
        return False
    return True


def _claimed(team_id: str, key: str, *, db: Database) -> bool:
    with db.session() as session:
        query = select(HandledRequest.id).where(
            HandledRequest.team_id == team_id, HandledRequest.kind == OPERATION_KIND, HandledRequest.key == key[:255]
        )
        return session.exec(query).first() is not None
