"""Clients and their sessions: plain functions over the database, testable without Slack."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.db import Database
from bot.models import (
    Appointment,
    BillingSettings,
    CalendarEvent,
    CalendarFeed,
    Client,
    HandledRequest,
    Invoice,
    Service,
    TaxRate,
    utcnow,
)
from flows.clients.validation import ClientForm, ServiceForm, SessionForm

S = TypeVar("S", bound=Any)  # a select statement


def fold_name(name: str) -> str:
    """How names are searched and sorted: "Élodie  Dupré" → "elodie dupre"."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())[:200]


def shown(statement: S, *, archived: bool = False) -> S:
    """The clients the pickers and searches offer (the invoice modal's select, `/client`): never a forgotten or
    merged one; archived ones only where asked for (`/client archived`)."""
    statement = statement.where(col(Client.forgotten_at).is_(None), col(Client.merged_into_id).is_(None))
    archived_at = col(Client.archived_at)
    return statement.where(archived_at.is_not(None) if archived else archived_at.is_(None))


def search_clients(
    session: Session, team_id: str, query: str, *, limit: int = 100, offset: int = 0, archived: bool = False
) -> list[Client]:
    """The workspace's clients whose name contains ``query`` (accents and case ignored), by name."""
    statement = shown(select(Client).where(Client.team_id == team_id), archived=archived)
    folded = fold_name(query)
    if folded:
        escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(col(Client.name_key).like(f"%{escaped}%", escape="\\"))
    statement = statement.order_by(col(Client.name_key), col(Client.id)).offset(offset).limit(limit)
    return list(session.exec(statement))


def held(statement: S, now: datetime | None = None) -> S:
    """Sessions that took place: a calendar's sessions still to come are not sessions yet (nor billable)."""
    starts_at = col(Appointment.starts_at)
    return statement.where(starts_at.is_(None) | (starts_at <= (now or utcnow())))


def uninvoiced_appointments(
    session: Session, team_id: str, client_id: int, now: datetime | None = None
) -> list[Appointment]:
    """The client's sessions not yet on an invoice, or only on one that was voided, oldest first (held ones,
    and none cancelled in the calendar)."""
    statement = (
        select(Appointment)
        .outerjoin(Invoice, col(Invoice.id) == col(Appointment.invoice_id))
        .where(Appointment.team_id == team_id, Appointment.client_id == client_id)
        .where((col(Appointment.invoice_id).is_(None)) | (Invoice.status == "void"))
        .where(col(Appointment.calendar_flag).is_(None) | (Appointment.calendar_flag != "cancelled"))
        .order_by(col(Appointment.held_on), col(Appointment.id))
    )
    return list(session.exec(held(statement, now)))


def active_services(session: Session, team_id: str) -> list[Service]:
    """The practice's catalogue as offered for new sessions and invoice lines (archived ones left out), by name."""
    statement = (
        select(Service)
        .where(Service.team_id == team_id, col(Service.active).is_(True))
        .order_by(col(Service.name), col(Service.id))
    )
    return list(session.exec(statement))


def count_clients(session: Session, team_id: str, query: str = "", *, archived: bool = False) -> int:
    statement = shown(select(func.count()).select_from(Client).where(Client.team_id == team_id), archived=archived)
    folded = fold_name(query)
    if folded:
        statement = statement.where(col(Client.name_key).like(f"%{_escape(folded)}%", escape="\\"))
    return int(session.exec(statement).one())


def get_client(session: Session, team_id: str, client_id: int) -> Client | None:
    """The client, only if it belongs to this workspace: ids come back from Slack payloads."""
    found = session.get(Client, client_id)
    return found if found is not None and found.team_id == team_id else None


def exact_match(session: Session, team_id: str, query: str) -> Client | None:
    """The one client whose whole name is ``query`` (accents and case ignored), when there is exactly one."""
    folded = fold_name(query)
    if not folded:
        return None
    statement = shown(select(Client).where(Client.team_id == team_id, Client.name_key == folded))
    found = list(session.exec(statement.limit(2)))
    return found[0] if len(found) == 1 else None


def create_client(db: Database, team_id: str, user_id: str, form: ClientForm, request_key: str) -> int:
    """Save a new client once per ``request_key`` (the modal's view id) and return its id.

    Slack retries a view_submission it got no answer to in time, and the work queue replays lazy work
    after a crash: both come here with the same key and get the client the first one made.
    """
    key = request_key[:128]
    with db.write_lock():
        try:
            with db.session() as session:
                row = Client(
                    team_id=team_id,
                    name=form.name,
                    name_key=fold_name(form.name),
                    email=form.email,
                    phone=form.phone,
                    address_line1=form.address_line1,
                    address_line2=form.address_line2,
                    city=form.city,
                    region=form.region,
                    postal_code=form.postal_code,
                    country=form.country,
                    created_by=user_id,
                    request_key=key,
                )
                session.add(row)
                session.flush()
                assert row.id is not None
                return row.id
        except IntegrityError:
            pass
    with db.session() as session:
        existing = session.exec(select(Client).where(Client.team_id == team_id, Client.request_key == key)).one()
        assert existing.id is not None
        return existing.id


# -- a client's record ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionRow:
    appointment: Appointment
    # The invoice it is on, if any (a voided one included: the record says it was freed).
    invoice_number: str | None
    invoice_status: str | None
    # An imported session's calendar zone (its feed's): its time is shown there, as its date is.
    timezone: str | None = None

    @property
    def invoiced(self) -> bool:
        return self.invoice_number is not None and self.invoice_status != "void"


@dataclass(frozen=True)
class ClientRecord:
    client: Client
    invoices: list[Invoice]  # newest first, at most the number asked for
    invoice_count: int
    # Per currency: the amount still due on open invoices, and the total of paid ones.
    open_due: dict[str, int]
    paid_total: dict[str, int]
    sessions: list[SessionRow]  # newest first, at most the number asked for
    session_count: int
    uninvoiced_ids: tuple[int, ...]


def load_record(
    session: Session, team_id: str, client_id: int, *, invoices_shown: int = 10, sessions_shown: int = 15
) -> ClientRecord | None:
    client = get_client(session, team_id, client_id)
    if client is None:
        return None
    mine = (Invoice.team_id == team_id, Invoice.client_id == client_id)
    invoices = list(
        session.exec(
            select(Invoice)
            .where(*mine)
            .order_by(col(Invoice.created_at).desc(), col(Invoice.id).desc())
            .limit(invoices_shown)
        )
    )
    invoice_count = int(session.exec(select(func.count()).select_from(Invoice).where(*mine)).one())
    open_due: dict[str, int] = {}
    paid_total: dict[str, int] = {}
    sums = session.exec(
        select(Invoice.status, Invoice.currency, func.sum(Invoice.amount_remaining), func.sum(Invoice.total))
        .where(*mine, col(Invoice.status).in_(("open", "paid")))
        .group_by(col(Invoice.status), col(Invoice.currency))
    )
    for status, currency, remaining, total in sums:
        if status == "open":
            open_due[currency] = int(remaining or 0)
        else:
            paid_total[currency] = int(total or 0)
    rows = session.exec(
        held(
            select(Appointment, Invoice.number, Invoice.status, CalendarFeed.timezone)
            .outerjoin(Invoice, col(Invoice.id) == col(Appointment.invoice_id))
            .outerjoin(CalendarEvent, col(CalendarEvent.appointment_id) == col(Appointment.id))
            .outerjoin(CalendarFeed, col(CalendarFeed.id) == col(CalendarEvent.feed_id))
            .where(Appointment.team_id == team_id, Appointment.client_id == client_id)
            .order_by(
                col(Appointment.held_on).desc(),
                col(Appointment.starts_at).desc().nulls_last(),
                col(Appointment.id).desc(),
            )
            .limit(sessions_shown)
        )
    )
    sessions = [SessionRow(appointment, number, status, tz) for appointment, number, status, tz in rows]
    session_count = int(
        session.exec(
            held(
                select(func.count())
                .select_from(Appointment)
                .where(Appointment.team_id == team_id, Appointment.client_id == client_id)
            )
        ).one()
    )
    uninvoiced = tuple(a.id for a in uninvoiced_appointments(session, team_id, client_id) if a.id is not None)
    return ClientRecord(client, invoices, invoice_count, open_due, paid_total, sessions, session_count, uninvoiced)


def add_appointment(
    db: Database, team_id: str, user_id: str, client_id: int, form: SessionForm, request_key: str
) -> Appointment | None:
    """Record a session once per ``request_key``; None when that submission was already saved, or the
    client or service is not this workspace's (any more)."""
    with db.write_lock():
        try:
            with db.session() as session:
                client = get_client(session, team_id, client_id)
                service = session.get(Service, form.service_id)
                if client is None or service is None or service.team_id != team_id:
                    return None
                # The claim and the row commit together: a replay finds the claim and adds nothing.
                session.add(HandledRequest(team_id=team_id, kind="client_session", key=request_key[:255]))
                row = Appointment(
                    team_id=team_id,
                    client_id=client_id,
                    held_on=form.held_on,
                    service_id=service.id,
                    description=service.name,
                    duration_minutes=form.duration_minutes,
                    notes=form.notes,
                    created_by=user_id,
                )
                session.add(row)
                session.flush()
                return row
        except IntegrityError:
            return None


# -- the services catalogue -------------------------------------------------------------------------------


def practice_currency(session: Session, team_id: str) -> str | None:
    """The currency of the practice's invoices; None until billing settings are saved."""
    settings = session.get(BillingSettings, team_id)
    return settings.currency if settings is not None else None


def active_tax_rates(session: Session, team_id: str) -> list[TaxRate]:
    statement = (
        select(TaxRate)
        .where(TaxRate.team_id == team_id, col(TaxRate.active).is_(True))
        .order_by(col(TaxRate.name), col(TaxRate.id))
    )
    return list(session.exec(statement))


def tax_rates_by_id(session: Session, team_id: str, ids: Collection[int | None]) -> list[TaxRate]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return []
    return list(session.exec(select(TaxRate).where(TaxRate.team_id == team_id, col(TaxRate.id).in_(wanted))))


def get_service(session: Session, team_id: str, service_id: int) -> Service | None:
    found = session.get(Service, service_id)
    return found if found is not None and found.team_id == team_id else None


def add_service(db: Database, team_id: str, form: ServiceForm, currency: str, request_key: str) -> Service | None:
    """Add a service once per ``request_key`` (the submission); None when it was already added."""
    with db.write_lock():
        try:
            with db.session() as session:
                session.add(HandledRequest(team_id=team_id, kind="service_add", key=request_key[:255]))
                row = Service(
                    team_id=team_id,
                    name=form.name,
                    unit_amount=form.unit_amount,
                    currency=currency,
                    tax_rate_id=form.tax_rate_id,
                )
                session.add(row)
                session.flush()
                return row
        except IntegrityError:
            return None


def update_service(db: Database, team_id: str, service_id: int, form: ServiceForm, currency: str) -> Service | None:
    """Change a service in place: invoices already made keep their own copies of name, price and tax."""
    with db.write_lock(), db.session() as session:
        row = get_service(session, team_id, service_id)
        if row is None or not row.active:
            return None
        row.name, row.unit_amount, row.currency, row.tax_rate_id = (
            form.name,
            form.unit_amount,
            currency,
            form.tax_rate_id,
        )
        session.add(row)
        return row


def archive_service(db: Database, team_id: str, service_id: int) -> Service | None:
    """Take a service out of the catalogue; sessions and invoice lines that name it keep pointing at it."""
    with db.write_lock(), db.session() as session:
        row = get_service(session, team_id, service_id)
        if row is None or not row.active:
            return None
        row.active = False
        session.add(row)
        return row


def _escape(folded: str) -> str:
    return folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
