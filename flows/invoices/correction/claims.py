"""The old invoice taken by its correction, in the transaction that writes the new invoice's draft.

``replaced_by_id`` is set on the old invoice as the new one is drafted, under a compare-and-set: two corrections
of one invoice at once make one new invoice, not two. A correction left as a draft (Stripe failed and the modal
was closed) does not block the invoice for good: a later correction takes over, and the one left behind can no
longer be finalized (``stripe.before_finalize``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

from bot.models import Invoice

CORRECTABLE = ("open", "uncollectible", "draft")


class CorrectionRefused(ValueError):
    """The invoice can no longer be corrected (paid, void, or replaced by another correction meanwhile)."""


def take_original(session: Session, team_id: str, original_id: int, invoice_id: int) -> None:
    """Point the original at ``invoice_id``, its correction; CorrectionRefused when it is not to be corrected."""
    original = session.get(Invoice, original_id)
    if original is None or original.team_id != team_id:
        raise CorrectionRefused(f"invoice {original_id} is not one of {team_id}'s")
    if original.status not in CORRECTABLE or original.amount_paid:
        raise CorrectionRefused(f"invoice {original_id} is {original.status} (paid {original.amount_paid})")
    current = original.replaced_by_id
    if current is not None:
        replacement = session.get(Invoice, current)
        if replacement is not None and replacement.status != "draft":
            raise CorrectionRefused(f"invoice {original_id} is already replaced by {current}")
    same = col(Invoice.replaced_by_id).is_(None) if current is None else col(Invoice.replaced_by_id) == current
    result: Any = session.execute(
        update(Invoice).where(col(Invoice.id) == original_id, same).values(replaced_by_id=invoice_id)
    )
    if result.rowcount != 1:
        raise CorrectionRefused(f"invoice {original_id} was taken by another correction meanwhile")
