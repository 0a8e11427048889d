"""Rows the calendar sync tests start from, and snapshots of what the sync wrote."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import select

from bot.models import Appointment, CalendarEvent, CalendarFeed, CalendarServiceRule, Client, Invoice, Service
from bot.services import Services
from flows.clients import fold_name

TEAM = "T0PRACTICE"
PRACTITIONER = "U0CLAIRE"


def make_client(services: Services, name: str, email: str | None = None, *, archived: bool = False) -> int:
    with services.db.session() as session:
        client = Client(
            team_id=TEAM,
            name=name,
            name_key=fold_name(name),
            email=email,
            archived_at=datetime.now(UTC) if archived else None,
        )
        session.add(client)
        session.flush()
        assert client.id is not None
        return client.id


def make_service(services: Services, name: str, amount: int = 6000, keyword: str | None = None) -> int:
    with services.db.session() as session:
        service = Service(team_id=TEAM, name=name, unit_amount=amount, currency="eur")
        session.add(service)
        session.flush()
        assert service.id is not None
        if keyword is not None:
            session.add(
                CalendarServiceRule(
                    team_id=TEAM, keyword=keyword, keyword_key=fold_name(keyword), service_id=service.id
                )
            )
        return service.id


def invoice_session(services: Services, appointment_id: int, status: str = "open") -> int:
    """Put the session on an invoice of that status (the invoice flow's rows, as far as the sync reads them)."""
    with services.db.session() as session:
        appointment = session.get(Appointment, appointment_id)
        assert appointment is not None
        invoice = Invoice(
            team_id=TEAM,
            number=f"INV-{appointment_id:04d}",
            request_key=f"test-{appointment_id}",
            client_id=appointment.client_id,
            currency="eur",
            status=status,
            due_date=date.today(),
            total=6000,
        )
        session.add(invoice)
        session.flush()
        appointment.invoice_id = invoice.id
        session.add(appointment)
        assert invoice.id is not None
        return invoice.id


def events(services: Services) -> list[CalendarEvent]:
    with services.db.session() as session:
        return list(session.exec(select(CalendarEvent).order_by(CalendarEvent.starts_at, CalendarEvent.id)))


def appointments(services: Services) -> list[Appointment]:
    with services.db.session() as session:
        return list(session.exec(select(Appointment).order_by(Appointment.starts_at, Appointment.id)))


def feeds(services: Services) -> list[CalendarFeed]:
    with services.db.session() as session:
        return list(session.exec(select(CalendarFeed)))


def snapshot(services: Services) -> list[dict[str, Any]]:
    """Every calendar row, every column: equal snapshots, nothing was written."""
    return [row.model_dump() for row in (*events(services), *appointments(services))]


def event_named(services: Services, summary: str) -> list[CalendarEvent]:
    return [e for e in events(services) if e.summary == summary]


def session_of(services: Services, event: CalendarEvent) -> Appointment | None:
    if event.appointment_id is None:
        return None
    with services.db.session() as session:
        return session.get(Appointment, event.appointment_id)
