"""What the practice is still owed, for the App Home: open invoices' balance due per currency (bot.figures'
outstanding figure, the one `/billing report` shows), and the invoices paid in part. Read from our rows
(mirrored from Stripe after each payment and webhook)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select

from bot import figures
from bot.db import Database
from bot.models import Invoice

OPEN = ("open", "uncollectible")


@dataclass(frozen=True)
class Owed:
    currency: str
    count: int
    balance: int


@dataclass(frozen=True)
class PartPaid:
    number: str
    currency: str
    paid: int
    balance: int


def owed(db: Database, team_id: str) -> list[Owed]:
    with db.session() as session:
        found = figures.outstanding(session, team_id, figures.practice_today(session, team_id))
    return [Owed(currency, row.outstanding_count, row.outstanding) for currency, row in sorted(found.items())]


def part_paid(db: Database, team_id: str, limit: int = 5) -> list[PartPaid]:
    """Open invoices with part of them paid, the most recently changed first."""
    with db.session() as session:
        rows = session.exec(
            select(Invoice)
            .where(Invoice.team_id == team_id, col(Invoice.status).in_(OPEN), col(Invoice.amount_paid) > 0)
            .order_by(col(Invoice.updated_at).desc(), col(Invoice.id).desc())
            .limit(limit)
        ).all()
    return [PartPaid(i.number, i.currency, i.amount_paid, i.amount_remaining) for i in rows]
