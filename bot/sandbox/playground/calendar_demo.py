"""The playground's demo calendar: an iCalendar feed served on loopback, dated from the current week, and the
demo practice's clients and the admin's calendar connected to it, so the App Home's week view is filled.

The feed is written afresh on each request: three clients seen every week (one twice a week, one an attendee
matched by email), an all-day workshop, and one appointment with no client Billbot knows (it waits in "to sort").
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, date, datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

from bot.models import Client
from bot.services import Services
from bot.slack_users import ensure_workspace

from . import demo

log = logging.getLogger(__name__)

PATH = "/demo-calendar.ics"
TIMEZONE = "Europe/Paris"  # the demo members' zone (the stand-in's default)
# (name, email, weekday, hour, minute, minutes, title): a session every week, from three weeks back to three on.
WEEKLY = (
    ("Jeanne Dupont", "jeanne.dupont@example.com", 0, 9, 0, 50, "Consultation - Jeanne Dupont"),
    ("Jeanne Dupont", "jeanne.dupont@example.com", 3, 9, 0, 50, "Consultation - Jeanne Dupont"),  # twice a week
    ("Marc Lefebvre", "marc.lefebvre@example.com", 2, 14, 0, 50, "Séance Marc Lefebvre"),
    ("Sophie Martin", "sophie.martin@example.com", 3, 17, 30, 60, "Follow-up"),  # matched by attendee email
)
WORKSHOP_CLIENT = ("Louise Bernard", "louise.bernard@example.com")
WEEKS_BACK, WEEKS_AHEAD = 3, 3


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _monday(now: datetime) -> date:
    today = now.astimezone(ZoneInfo(TIMEZONE)).date()
    return today - timedelta(days=today.weekday())


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(TIMEZONE))


def feed_text(now: datetime) -> str:
    """The demo feed as of ``now``: what a practice's calendar would publish at its secret address."""
    monday = _monday(now)
    first = monday - timedelta(weeks=WEEKS_BACK)
    events: list[list[str]] = []
    for n, (name, email, weekday, hour, minute, minutes, title) in enumerate(WEEKLY):
        start = _at(first + timedelta(days=weekday), hour, minute)
        lines = [
            f"UID:demo-weekly-{n}@billbot.playground",
            f"DTSTART;TZID={TIMEZONE}:{start.strftime('%Y%m%dT%H%M%S')}",
            f"DTEND;TZID={TIMEZONE}:{(start + timedelta(minutes=minutes)).strftime('%Y%m%dT%H%M%S')}",
            f"RRULE:FREQ=WEEKLY;COUNT={WEEKS_BACK + WEEKS_AHEAD + 1}",
            f"SUMMARY:{title}",
        ]
        if title == "Follow-up":
            lines.append(f"ATTENDEE;CN={name}:mailto:{email}")
        events.append(lines)
    workshop = monday - timedelta(days=3)  # last week's Friday
    events.append(
        [
            "UID:demo-workshop@billbot.playground",
            f"DTSTART;VALUE=DATE:{workshop.strftime('%Y%m%d')}",
            f"DTEND;VALUE=DATE:{(workshop + timedelta(days=1)).strftime('%Y%m%d')}",
            f"SUMMARY:Workshop day - {WORKSHOP_CLIENT[0]}",
        ]
    )
    stranger = _at(monday + timedelta(days=1), 11, 0)  # this week's Tuesday: nobody Billbot knows
    events.append(
        [
            "UID:demo-unknown@billbot.playground",
            f"DTSTART:{_stamp(stranger)}",
            f"DTEND:{_stamp(stranger + timedelta(minutes=45))}",
            "SUMMARY:First appointment - new patient",
        ]
    )
    out = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Billbot//Playground demo//EN", "CALSCALE:GREGORIAN"]
    for lines in events:
        out += ["BEGIN:VEVENT", f"DTSTAMP:{_stamp(now)}", *lines, "END:VEVENT"]
    out.append("END:VCALENDAR")
    return "\r\n".join(out) + "\r\n"


class DemoCalendarServer:
    """The demo feed on loopback, over http (the playground sets BILLBOT_CALENDAR_LOCAL_FEEDS=1 to read it)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def do_GET(self) -> None:
                if self.path.split("?")[0] != PATH:
                    self.send_error(404)
                    return
                body = feed_text(datetime.now(UTC)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/calendar; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.host = host
        self.thread = threading.Thread(target=self.server.serve_forever, name="billbot-demo-calendar", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.server.server_address[1]}{PATH}"

    def start(self) -> DemoCalendarServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def connect_demo_calendar(services: Services, url: str) -> None:
    """The demo practice's clients, and the admin's calendar connected to the demo feed (its first sync done).

    A playground that cannot connect it still starts: the week view is only empty.
    """
    # The playground builds the whole app; seeding its demo calls the calendar's own connect, as a person would.
    from flows.calendar import connect_feed
    from flows.clients import fold_name

    ensure_workspace(services.db, demo.TEAM_ID, demo.TEAM_NAME)
    people = list(dict.fromkeys([(name, email) for name, email, *_ in WEEKLY] + [WORKSHOP_CLIENT]))
    with services.db.session() as session:
        for name, email in people:
            session.add(Client(team_id=demo.TEAM_ID, name=name, name_key=fold_name(name), email=email))
    try:
        connect_feed(
            services, team_id=demo.TEAM_ID, user_id=demo.ADMIN, url=url, body=None, timezone=TIMEZONE, locale="en"
        )
    except Exception:  # the playground starts regardless
        log.exception("the demo calendar could not be connected")
