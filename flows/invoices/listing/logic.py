"""`/invoice list [open|paid|overdue]` and `/invoice INV-0042`: answered only to the asker (ephemeral), with what
the asker may see (bot.permissions.Access): client names for those allowed, initials for everyone else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from slack_bolt import Respond
from slack_sdk import WebClient
from sqlalchemy import func
from sqlmodel import col, select

from bot.db import Database
from bot.models import Client, Invoice
from bot.permissions import access
from bot.services import Services
from bot.slack_users import member_today
from flows.invoices.creation import store
from flows.invoices.listing import views
from flows.invoices.message.private_card import card_for

# What the asker may type, in English or French, for each list.
LIST_WORDS = frozenset({"list", "liste", "ls"})
FILTERS = {
    "all": None,
    "tout": None,
    "toutes": None,
    "open": "open",
    "ouvertes": "open",
    "ouverte": "open",
    "unpaid": "open",
    "impayées": "open",
    "impayees": "open",
    "paid": "paid",
    "payées": "paid",
    "payees": "paid",
    "overdue": "overdue",
    "retard": "overdue",
    "en retard": "overdue",
}
LIST_MAX = 40  # rows in one answer: well under a message's 50 blocks and 3,000 characters per section


@dataclass(frozen=True)
class Listed:
    rows: list[tuple[Invoice, str]]  # newest first, with the client's name
    total: int  # how many match, of which ``rows`` shows the first


def answer(
    services: Services, client: WebClient, *, team_id: str, user_id: str, locale: str, text: str, respond: Respond
) -> None:
    words = text.strip().lower().split(maxsplit=1)
    today = member_today(services.db, client, team_id, user_id)
    if words and words[0] in LIST_WORDS:
        wanted = words[1].strip() if len(words) > 1 else "all"
        if wanted not in FILTERS:
            respond(**views.usage(locale), response_type="ephemeral")
            return
        which = FILTERS[wanted]
        listed = find_invoices(team_id, which, today, db=services.db)
        reader = access(services.db, client, team_id, user_id)
        rows = [(invoice, name, reader.invoice_details(invoice)) for invoice, name in listed.rows]
        respond(**views.list_message(rows, listed.total, which, locale, today), response_type="ephemeral")
        return
    number = store.parse_number(text)
    if number is None:
        respond(**views.usage(locale), response_type="ephemeral")
        return
    bundle = find_by_number(team_id, number, db=services.db)
    if bundle is None:
        respond(**views.unknown_number(number, locale), response_type="ephemeral")
        return
    reader = access(services.db, client, team_id, user_id)
    respond(**card_for(bundle, reader, locale, today, buttons=True, db=services.db), response_type="ephemeral")


def find_invoices(team_id: str, which: str | None, today: date, limit: int = LIST_MAX, *, db: Database) -> Listed:
    conditions = [col(Invoice.team_id) == team_id]
    if which == "open":
        conditions.append(col(Invoice.status) == "open")
    elif which == "paid":
        conditions.append(col(Invoice.status) == "paid")
    elif which == "overdue":
        conditions += [col(Invoice.status) == "open", col(Invoice.due_date) < today]
    with db.session() as session:
        total = session.exec(select(func.count()).select_from(Invoice).where(*conditions)).one()
        query = (
            select(Invoice, Client.name)
            .join(Client, col(Client.id) == col(Invoice.client_id))
            .where(*conditions)
            .order_by(col(Invoice.created_at).desc(), col(Invoice.id).desc())
            .limit(limit)
        )
        rows = [(invoice, name) for invoice, name in session.exec(query).all()]
    return Listed(rows=rows, total=int(total))


def find_by_number(team_id: str, number: str, *, db: Database) -> store.InvoiceBundle | None:
    with db.session() as session:
        invoice = session.exec(select(Invoice).where(Invoice.team_id == team_id, Invoice.number == number)).first()
        return store.bundle_of(session, invoice) if invoice is not None else None
