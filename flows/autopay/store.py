"""Autopay's rows: which invoices get one, the daily DM's listing claims and the charge claims.

A row moves scheduled → charging → charged | declined, or to held / cancelled. Every move is a compare-and-set
UPDATE on the state (and lease) read, so of several schedulers, workers or clicks exactly one wins each row.
While scheduled, ``claimed_until`` is the lease of a DM being posted; while charging, the lease of the charge.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col

from bot.db import Database
from bot.models import AutopayCharge, Client, Invoice, ReminderSettings, table_of, utcnow
from flows.autopay.timing import DEFAULT_MINUTE, MIN_NOTICE, aware

_CHARGES = table_of(AutopayCharge)
LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 5
PENDING = ("scheduled", "held")


@dataclass(frozen=True)
class Line:
    """A charge as the DM shows it."""

    charge: AutopayCharge
    invoice: Invoice
    client: Client


def send_minute(db: Database, team_id: str) -> int:
    """The practice's time of day (the reminders' one), minutes after midnight."""
    with db.session() as session:
        settings = session.get(ReminderSettings, team_id)
    return settings.send_minute if settings is not None else DEFAULT_MINUTE


def new_invoices(db: Database) -> list[Invoice]:
    """Open invoices of autopay clients with a card on the invoice's own account, that have no row yet."""
    query = (
        select(Invoice)
        .join(Client, col(Client.id) == col(Invoice.client_id))
        .outerjoin(AutopayCharge, col(AutopayCharge.invoice_id) == col(Invoice.id))
        .where(
            col(Invoice.status) == "open",
            col(Invoice.stripe_invoice_id).is_not(None),
            col(Client.autopay).is_(True),
            col(Client.default_payment_method).is_not(None),
            col(Client.stripe_account_id).is_not_distinct_from(col(Invoice.stripe_account_id)),
            col(AutopayCharge.invoice_id).is_(None),
        )
    )
    with db.session() as session:
        return list(session.scalars(query))


def add(db: Database, rows: Iterable[tuple[Invoice, datetime, str]]) -> int:
    """Insert (invoice, charge_at, state) rows no one inserted first; how many this call added."""
    values = [
        {
            "invoice_id": invoice.id,
            "team_id": invoice.team_id,
            "charge_at": charge_at,
            "state": state,
            "attempts": 0,
            "created_at": utcnow(),
            "updated_at": utcnow(),
        }
        for invoice, charge_at, state in rows
    ]
    if not values:
        return 0
    insert = postgresql_insert if db.is_postgres else sqlite_insert
    statement = insert(_CHARGES).values(values).on_conflict_do_nothing(index_elements=["invoice_id"])
    with db.write_lock(), db.session() as session:
        return int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]


def get(db: Database, invoice_id: int) -> AutopayCharge | None:
    with db.session() as session:
        return session.get(AutopayCharge, invoice_id)


def lines(db: Database, invoice_ids: Iterable[int]) -> list[Line]:
    ids = list(invoice_ids)
    query = (
        select(AutopayCharge, Invoice, Client)
        .join(Invoice, col(Invoice.id) == col(AutopayCharge.invoice_id))
        .join(Client, col(Client.id) == col(Invoice.client_id))
        .where(col(AutopayCharge.invoice_id).in_(ids))
        .order_by(col(AutopayCharge.charge_at), col(Invoice.id))
    )
    with db.session() as session:
        return [Line(charge, invoice, client) for charge, invoice, client in session.execute(query).all()]


def _cas(db: Database, invoice_id: int, where: list[Any], **values: object) -> bool:
    statement = (
        update(_CHARGES).where(_CHARGES.c.invoice_id == invoice_id, *where).values(updated_at=utcnow(), **values)
    )
    with db.write_lock(), db.session() as session:
        return bool(session.execute(statement).rowcount == 1)  # type: ignore[attr-defined]


# -- the daily DM -------------------------------------------------------------------------------------------


def put_off(db: Database, now: datetime, later: dict[int, datetime]) -> None:
    """Charges whose time came without a timely DM: a day later (``later``: invoice id → the new time)."""
    for invoice_id, charge_at in later.items():
        _cas(db, invoice_id, [_CHARGES.c.state == "scheduled", _CHARGES.c.charge_at <= now], charge_at=charge_at)


def overdue_unannounced(db: Database, now: datetime) -> list[AutopayCharge]:
    """Scheduled charges at or past their time that no DM listed at least MIN_NOTICE before."""
    query = select(AutopayCharge).where(col(AutopayCharge.state) == "scheduled", col(AutopayCharge.charge_at) <= now)
    with db.session() as session:
        found = list(session.scalars(query))
    return [c for c in found if c.notified_at is None or aware(c.notified_at) > aware(c.charge_at) - MIN_NOTICE]


def claim_listing(db: Database, now: datetime) -> list[int]:
    """Scheduled charges due within a day and not yet listed: this caller posts their DM (a lease while it does)."""
    query = select(_CHARGES.c.invoice_id, _CHARGES.c.claimed_until).where(
        _CHARGES.c.state == "scheduled",
        _CHARGES.c.notified_at.is_(None),
        _CHARGES.c.charge_at <= now + timedelta(days=1),
        or_(_CHARGES.c.claimed_until.is_(None), _CHARGES.c.claimed_until < now),
    )
    with db.engine.connect() as conn:
        candidates = conn.execute(query).all()
    won = []
    for invoice_id, until in candidates:
        lease = _CHARGES.c.claimed_until.is_(None) if until is None else _CHARGES.c.claimed_until == until
        if _cas(db, int(invoice_id), [_CHARGES.c.state == "scheduled", lease], claimed_until=now + LEASE):
            won.append(int(invoice_id))
    return won


def listed(db: Database, invoice_ids: Iterable[int], now: datetime) -> None:
    for invoice_id in invoice_ids:
        _cas(db, invoice_id, [_CHARGES.c.notified_at.is_(None)], notified_at=now, claimed_until=None)


def unlist(db: Database, invoice_ids: Iterable[int]) -> None:
    """The DM did not go out: the next sweep lists them again."""
    for invoice_id in invoice_ids:
        _cas(db, invoice_id, [_CHARGES.c.state == "scheduled", _CHARGES.c.notified_at.is_(None)], claimed_until=None)


# -- charging -----------------------------------------------------------------------------------------------


def claim_due(db: Database, now: datetime) -> list[int]:
    """Charges whose time came (listed in time, not held), and charges whose charger's lease ran out."""
    query = select(_CHARGES.c.invoice_id, _CHARGES.c.state, _CHARGES.c.claimed_until).where(
        or_(
            and_(
                _CHARGES.c.state == "scheduled",
                _CHARGES.c.charge_at <= now,
                _CHARGES.c.notified_at.is_not(None),
            ),
            and_(_CHARGES.c.state == "charging", _CHARGES.c.claimed_until < now),
        )
    )
    with db.engine.connect() as conn:
        candidates = conn.execute(query).all()
    late = {c.invoice_id for c in overdue_unannounced(db, now)}
    won = []
    for invoice_id, state, until in candidates:
        if state == "scheduled" and invoice_id in late:
            continue
        if state == "scheduled":
            where = [_CHARGES.c.state == "scheduled"]
        else:
            where = [_CHARGES.c.state == "charging", _CHARGES.c.claimed_until == until]
        taken = _cas(
            db, int(invoice_id), where, state="charging", claimed_until=now + LEASE, attempts=_CHARGES.c.attempts + 1
        )
        if taken:
            won.append(int(invoice_id))
    return won


def claim_now(db: Database, invoice_id: int, user_id: str) -> bool:
    """Charge now: a scheduled or held charge is this click's (a second click finds it charging)."""
    now = utcnow()
    return _cas(
        db,
        invoice_id,
        [_CHARGES.c.state.in_(PENDING)],
        state="charging",
        claimed_until=now + LEASE,
        attempts=_CHARGES.c.attempts + 1,
        updated_by=user_id,
    )


def hold(db: Database, invoice_id: int, user_id: str) -> bool:
    return _cas(db, invoice_id, [_CHARGES.c.state == "scheduled"], state="held", claimed_until=None, updated_by=user_id)


def finish(db: Database, invoice_id: int, state: str, error: str | None = None) -> None:
    _cas(db, invoice_id, [_CHARGES.c.state == "charging"], state=state, claimed_until=None, last_error=error)


def retry_later(db: Database, invoice_id: int, error: str) -> None:
    """Stripe could not be reached: the lease ends now, so the next sweep takes the charge again (same key)."""
    _cas(db, invoice_id, [_CHARGES.c.state == "charging"], claimed_until=utcnow(), last_error=error)


# -- switching autopay on and off, and accounts left ---------------------------------------------------------


def set_autopay(db: Database, team_id: str, client_id: int, on: bool) -> Client | None:
    """The client with autopay as asked; None if not found, unchanged (autopay off) without a card on file.

    Switching on applies to new invoices only: the client's open invoices get a cancelled row, so the sweep
    leaves them. Switching off cancels the charges not yet made."""
    with db.write_lock(), db.session() as session:
        client = session.get(Client, client_id)
        if client is None or client.team_id != team_id or client.forgotten_at is not None:
            return None
        if on and not client.default_payment_method:
            return client
        client.autopay = on
        session.add(client)
        existing = list(
            session.scalars(
                select(Invoice).where(col(Invoice.client_id) == client_id, col(Invoice.status).in_(("open", "draft")))
            )
        )
    if on:
        add(db, [(invoice, utcnow(), "cancelled") for invoice in existing])
    else:
        for invoice in existing:
            if invoice.id is not None:
                _cas(db, invoice.id, [_CHARGES.c.state.in_(PENDING)], state="cancelled", claimed_until=None)
    return get_client(db, client_id)


def get_client(db: Database, client_id: int) -> Client | None:
    with db.session() as session:
        return session.get(Client, client_id)


def cancel_on_account(db: Database, team_id: str, account_id: str | None) -> int:
    """Charges planned on an account Billbot can no longer reach: cancelled."""
    on_account = select(col(Invoice.id)).where(
        col(Invoice.team_id) == team_id, col(Invoice.stripe_account_id).is_not_distinct_from(account_id)
    )
    statement = (
        update(_CHARGES)
        .where(_CHARGES.c.state.in_(PENDING), _CHARGES.c.invoice_id.in_(on_account))
        .values(state="cancelled", claimed_until=None, updated_at=utcnow())
    )
    with db.write_lock(), db.session() as session:
        return int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]
