"""What a correction's submission must hold: the invoice still correctable by this person, and a due date that
is a real day, not in the past, and not the one it already has. Errors keyed by block id, for Slack to show."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_sdk import WebClient

from bot import view_state
from bot.db import Database
from bot.i18n import t
from bot.models import Invoice
from flows.invoices.correction import ids, logic


def refused(db: Database, web: WebClient, team_id: str, user_id: str, invoice_id: int, locale: str) -> str | None:
    """Why this person can't correct this invoice now (it may have been paid since the modal opened)."""
    bundle = logic.load(team_id, invoice_id, db=db)
    if bundle is None:
        return t(locale, "correction.refused.gone")
    if not logic.may_correct(db, web, team_id, user_id, bundle.invoice):
        return t(locale, "correction.refused.forbidden", number=bundle.invoice.number)
    return logic.refusal(bundle.invoice, locale, db=db)


def picked_date(view: dict[str, Any]) -> date | None:
    raw = view_state.element((view.get("state") or {}).get("values") or {}, ids.DUE_BLOCK, ids.DUE_BLOCK)
    text = raw.get("selected_date")
    try:
        return date.fromisoformat(text) if isinstance(text, str) and text else None
    except ValueError:
        return None


def new_due_date(
    view: dict[str, Any], invoice: Invoice, today: date, locale: str
) -> tuple[date | None, dict[str, str]]:
    due = picked_date(view)
    if due is None:
        return None, {ids.DUE_BLOCK: t(locale, "common.error.required")}
    if due < today:
        return None, {ids.DUE_BLOCK: t(locale, "invoice_modal.error.due_past")}
    if due == invoice.due_date:
        return None, {ids.DUE_BLOCK: t(locale, "correction.error.same_due")}
    return due, {}
