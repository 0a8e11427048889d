"""A practice's calendar as the sync leaves it in the database: feeds, events and their sessions, invoices.

The week view reads these rows; the tests put them there directly (the sync has its own tests) so that each
status, flag and week boundary is exactly the one a test wants. Times are relative to the current week in
Paris, the stand-in's members' zone.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.models import (
    Appointment,
    BillingSettings,
    CalendarEvent,
    CalendarFeed,
    Client,
    Invoice,
    Service,
)
from flows.clients.logic import fold_name
from tests.conftest import TEAM_ID, Billbot

PARIS = ZoneInfo("Europe/Paris")


def this_monday() -> date:
    today = datetime.now(PARIS).date()
    return today - timedelta(days=today.weekday())


def last_week(weekday: int, hour: int, minute: int = 0) -> datetime:
    """Last week's day (0 = Monday) at that time in Paris, in UTC: always in the past."""
    day = this_monday() - timedelta(days=7 - weekday)
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS).astimezone(UTC)


def in_a_while() -> datetime:
    """A session of this week still to come (within the hour, so still this week but on a Sunday night)."""
    return (datetime.now(UTC) + timedelta(minutes=20)).replace(second=0, microsecond=0)


class Calendar:
    """Rows of one practice, written as the sync and the invoices flow write them."""

    def __init__(self, bb: Billbot) -> None:
        self.bb = bb
        self.db = bb.app.services.db
        self.numbers = 0
        with self.db.session() as session:
            if session.get(BillingSettings, TEAM_ID) is None:
                session.add(BillingSettings(team_id=TEAM_ID, currency="eur"))
            service = Service(team_id=TEAM_ID, name="Consultation", unit_amount=8000, currency="eur")
            session.add(service)
            session.flush()
            assert service.id is not None
            self.service_id = service.id

    def feed(self, user_id: str, tz: str = "Europe/Paris") -> int:
        with self.db.session() as session:
            row = CalendarFeed(
                team_id=TEAM_ID, user_id=user_id, url=f"https://cal.example.com/{user_id}.ics", timezone=tz
            )
            session.add(row)
            session.flush()
            assert row.id is not None
            return row.id

    def client(self, name: str) -> int:
        with self.db.session() as session:
            row = Client(team_id=TEAM_ID, name=name, name_key=fold_name(name), email=f"{fold_name(name)}@example.com")
            session.add(row)
            session.flush()
            assert row.id is not None
            return row.id

    def session(
        self,
        feed_id: int,
        client_id: int,
        starts_at: datetime,
        *,
        minutes: int = 50,
        flag: str | None = None,
        all_day: bool = False,
        uid: str | None = None,
    ) -> int:
        """A matched event and its session (an Appointment of source "calendar"), as the sync makes them."""
        with self.db.session() as session:
            feed = session.get(CalendarFeed, feed_id)
            assert feed is not None
            appointment = Appointment(
                team_id=TEAM_ID,
                client_id=client_id,
                held_on=starts_at.astimezone(ZoneInfo(feed.timezone)).date(),
                service_id=self.service_id,
                description="Consultation",
                duration_minutes=None if all_day else minutes,
                source="calendar",
                starts_at=starts_at,
                practitioner_id=feed.user_id,
                calendar_flag=flag,
            )
            session.add(appointment)
            session.flush()
            assert appointment.id is not None
            session.add(
                CalendarEvent(
                    team_id=TEAM_ID,
                    feed_id=feed_id,
                    uid=uid or f"event-{appointment.id}@example.com",
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(days=1 if all_day else 0, minutes=0 if all_day else minutes),
                    all_day=all_day,
                    summary="Consultation",
                    client_id=client_id,
                    service_id=self.service_id,
                    matched_by="name",
                    appointment_id=appointment.id,
                    status="cancelled" if flag == "cancelled" else "confirmed",
                )
            )
            return appointment.id

    def unmatched(self, feed_id: int, starts_at: datetime, summary: str = "Rendez-vous") -> None:
        with self.db.session() as session:
            session.add(
                CalendarEvent(
                    team_id=TEAM_ID,
                    feed_id=feed_id,
                    uid=f"unmatched-{starts_at.isoformat()}@example.com",
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(hours=1),
                    summary=summary,
                )
            )

    def invoice(self, client_id: int, appointment_ids: list[int], *, status: str = "open", paid: int = 0) -> str:
        """An invoice on those sessions, as the invoices flow leaves it (open, part-paid, paid, void)."""
        self.numbers += 1
        number = f"INV-{self.numbers:04d}"
        with self.db.session() as session:
            row = Invoice(
                team_id=TEAM_ID,
                number=number,
                request_key=f"test:{number}",
                client_id=client_id,
                currency="eur",
                status=status,
                due_date=date.today() + timedelta(days=30),
                total=8000 * len(appointment_ids),
                amount_paid=paid,
                amount_remaining=8000 * len(appointment_ids) - paid,
            )
            session.add(row)
            session.flush()
            for appointment_id in appointment_ids:
                appointment = session.get(Appointment, appointment_id)
                assert appointment is not None
                appointment.invoice_id = row.id
                session.add(appointment)
        return number

    def invoices(self) -> list[Invoice]:
        with self.db.session() as session:
            return list(session.exec(select(Invoice)).all())


# -- reading what Slack shows --------------------------------------------------------------------------------


def calendar_blocks(home: dict[str, Any]) -> list[dict[str, Any]]:
    """The App Home's calendar part: from its header on (the part is last on the Home)."""
    for n, block in enumerate(home["blocks"]):
        if block["type"] == "header" and block["text"]["text"] in ("Calendar sessions", "Séances de l'agenda"):
            return list(home["blocks"][n:])
    return []


def text_of(found: list[dict[str, Any]]) -> str:
    return json.dumps(found, ensure_ascii=False)


def buttons(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in found if b["type"] == "actions" for e in b["elements"] if e["type"] == "button"]


def button_for(found: list[dict[str, Any]], label_part: str) -> dict[str, Any]:
    matches = [b for b in buttons(found) if label_part in b["text"]["text"]]
    assert len(matches) == 1, [b["text"]["text"] for b in buttons(found)]
    return matches[0]


def modal_sessions(view: dict[str, Any]) -> set[int]:
    """The sessions the invoice modal was prefilled with (its lines' appointment ids, in private_metadata)."""
    shape = json.loads(view["private_metadata"])
    return {int(entry[2]) for entry in shape["ln"] if entry[2]}
