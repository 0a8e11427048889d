"""The week view and the client record over a calendar connected for real: connect_feed reads an ICS feed from
the loopback feed server, then the App Home and `/client` show what the sync made of it (matched sessions, an
all-day one, one to sort, one moved after it was invoiced)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from bot.i18n import format_date
from bot.models import Appointment
from flows.calendar.sync.apply import connect_feed, sync_feed
from flows.calendar.week.logic import aware
from flows.clients import ids as client_ids
from tests.conftest import ADMIN, FRENCH_USER, TEAM_ID, Billbot
from tests.flows.calendar.ics import calendar, event, this_week
from tests.flows.calendar.week.rows import Calendar, buttons, calendar_blocks, text_of
from tests.flows.calendar.week.test_week_view import open_home
from tests.flows.clients.test_clients import blocks_text, button, command
from tests.harness.ics_server import IcsServer

PARIS = "Europe/Paris"


def feed(moved: bool = False) -> bytes:
    weekly = this_week(0, 10, zone=PARIS, weeks=-1)  # last week's Monday, then every Monday: three of them
    events = [
        event("weekly-elodie", start=weekly, minutes=50, summary="Séance Élodie Lefèvre", rrule="FREQ=WEEKLY;COUNT=3"),
        event("workshop-anne", start=this_week(2, 0, zone=PARIS, weeks=-1).date(), summary="Atelier Anne Martin"),
        event("stranger", start=this_week(3, 15, zone=PARIS, weeks=-1), summary="Premier rendez-vous"),
    ]
    if moved:  # last week's occurrence moved to 16:30 on the same day
        events.append(
            event(
                "weekly-elodie",
                start=weekly.replace(hour=16, minute=30),
                summary="Séance Élodie Lefèvre",
                recurrence_id=weekly,
                sequence=1,
            )
        )
    return calendar(*events)


def connect(bb: Billbot, ics_server: IcsServer) -> tuple[int, Calendar]:
    cal = Calendar(bb)
    cal.client("Élodie Lefèvre")
    cal.client("Anne Martin")
    url = ics_server.set_feed("claire", feed())
    feed_id, result = connect_feed(
        bb.app.services, team_id=TEAM_ID, user_id=FRENCH_USER, url=url, body=None, timezone=PARIS, locale="fr"
    )
    assert result.to_sort == 1
    return feed_id, cal


def sessions(bb: Billbot) -> list[Appointment]:
    with bb.app.services.db.session() as session:
        return list(session.exec(select(Appointment).order_by(Appointment.starts_at)).all())  # type: ignore[arg-type]


def test_a_connected_calendar_fills_the_practitioners_week_in_french(billbot: Billbot, ics_server: IcsServer) -> None:
    connect(billbot, ics_server)
    found = calendar_blocks(open_home(billbot, FRENCH_USER))
    text = text_of(found)
    last_monday = this_week(0, 10, zone=PARIS, weeks=-1).date()
    assert f"*{format_date(last_monday, 'fr', 'full')}*\\n`10:00` Élodie Lefèvre · Séance · 50 min · *à facturer*" in (
        text
    )
    assert "`toute la journée` Anne Martin" in text
    assert "1 rendez-vous de ces deux semaines n'est associé à aucun client" in text
    assert "Premier rendez-vous" not in text  # an unmatched event's title is the to-sort list's, not the Home's
    assert "Facturer 10:00 · Élodie Lefèvre" in [b["text"]["text"] for b in buttons(found)]
    # The admin sees the same sessions, and whose they are.
    assert f"<@{FRENCH_USER}>" not in text_of(calendar_blocks(open_home(billbot, ADMIN)))  # one practitioner


def test_the_client_record_shows_imported_sessions_beside_typed_ones(billbot: Billbot, ics_server: IcsServer) -> None:
    feed_id, cal = connect(billbot, ics_server)
    elodie = next(a for a in sessions(billbot) if a.source == "calendar").client_id
    with billbot.app.services.db.session() as session:
        typed_day = this_week(0, 10, zone=PARIS, weeks=-2).date()
        session.add(
            Appointment(team_id=TEAM_ID, client_id=elodie, held_on=typed_day, description="Bilan", duration_minutes=90)
        )
    imported = [a for a in sessions(billbot) if a.client_id == elodie and a.source == "calendar"]
    assert len(imported) == 3  # last week's, this week's and next week's
    record = command(billbot, "Élodie", user=ADMIN)
    text = blocks_text(record)
    last_monday = this_week(0, 10, zone=PARIS, weeks=-1)
    assert f":calendar: {format_date(last_monday.date(), 'en')}, 10:00\u202fAM · Séance · 50 min" in text
    assert f"{format_date(typed_day, 'en')} · Bilan · 90 min" in text  # typed: no mark, no time
    next_monday = this_week(0, 10, zone=PARIS, weeks=1).date()
    assert format_date(next_monday, "en") not in text  # still to come: not a session yet
    # The typed session and the imported ones already held are to invoice; next week's is not yet.
    held = 1 + sum(1 for a in imported if a.starts_at is not None and aware(a.starts_at) <= datetime.now(UTC))
    offer = button(record, client_ids.INVOICE_SESSIONS_ACTION)
    assert offer is not None and offer["text"]["text"] == f"Invoice uninvoiced sessions ({held})"

    # Invoiced, then moved in the calendar: flagged on the record and on the Home, not moved.
    first = imported[0]
    assert first.id is not None
    number = cal.invoice(elodie, [first.id])
    ics_server.set_feed("claire", feed(moved=True))
    result = sync_feed(billbot.app.services, feed_id)
    assert result.flagged == 1
    record = command(billbot, "Élodie", user=ADMIN)
    assert f"invoiced ({number}) · :warning: moved in the calendar" in blocks_text(record)
    home = calendar_blocks(open_home(billbot, FRENCH_USER))
    assert f"`10:00` Élodie Lefèvre · Séance · 50 min · facturée ({number}) · :warning: déplacée dans l'agenda" in (
        text_of(home)
    )
