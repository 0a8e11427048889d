"""Calendar sync: a busy practice's feed (two years, weekly recurrences with exceptions and moved sessions).

Generates an ICS feed of two years of a practice (about 5,000 occurrences in Billbot's sync window: weekly
series with EXDATE exceptions and moved occurrences, and single sessions; clients found by attendee email, by
name in the title, and some left to sort), serves it from the tests' loopback feed server
(tests/harness/ics_server.py) over real HTTP, and times through the real code (flows.calendar.sync.apply):

- the first sync: fetch + parse + match + write every row (connect_feed);
- an unchanged re-sync that costs a 304 (the feed's ETag sent back);
- an unchanged re-sync where the host sends the same body again (no validators): its digest is compared;
- a full re-read with nothing changed (what happens twice a day to move the window on): every occurrence's
  digest compared, nothing written;

and the peak memory of the first sync (tracemalloc: Python allocations, on a fresh database, timed apart),
with the process's peak RSS.

    .venv/bin/python bench/calendar_feed.py [--events 5000] [--clients 150] [--database-url URL] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, update  # noqa: E402
from sqlmodel import select  # noqa: E402

from bot.db import upgrade  # noqa: E402
from bot.models import Appointment, CalendarEvent, CalendarFeed, Client, Service  # noqa: E402
from bot.services import Services  # noqa: E402
from bot.settings import Mode, load_settings  # noqa: E402
from flows.calendar.feed.parse import parse_feed  # noqa: E402
from flows.calendar.sync.apply import WINDOW_AHEAD, WINDOW_BACK, connect_feed, sync_feed  # noqa: E402
from flows.clients import fold_name  # noqa: E402
from tests.harness.ics_server import IcsServer  # noqa: E402

TEAM = "T0BENCH"
USER = "U0BENCH"
ZONE = "Europe/Paris"
FIRST_GOAL = 2.0
UNCHANGED_GOAL = 0.2
FIRST = ("Jean", "Élodie", "Marc", "Sophie", "Chloé", "Hugo", "Léa", "Noé", "Inès", "Jules", "Zoé", "Théo")
LAST = ("Dupont", "Lefèvre", "Martin", "Bernard", "Petit", "Durand", "Moreau", "Laurent", "Girard", "Roux",
        "Fournier", "Mercier", "Lambert", "Bonnet")  # fmt: skip


def names(count: int) -> list[str]:
    every = [f"{first} {last}" for last in LAST for first in FIRST]
    return every[:count]


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def build_feed(events: int, clients: list[str], rng: random.Random, now: datetime) -> tuple[bytes, int]:
    """An ICS body of two years (the last 23 months and the next 4) with about ``events`` occurrences in the
    window; returns it and the number of VEVENTs."""
    zone = ZoneInfo(ZONE)
    window_start, window_end = now - WINDOW_BACK, now + WINDOW_AHEAD
    span_start = now - timedelta(days=610)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Billbot bench//EN", "CALSCALE:GREGORIAN"]
    in_window = 0
    vevents = 0
    serial = 0
    while in_window < events:
        serial += 1
        name = rng.choice(clients)
        kind = rng.random()
        if kind < 0.2:
            summary, attendee = "Consultation", f"client{clients.index(name)}@example.com"
        elif kind < 0.85:
            summary, attendee = rng.choice(("Séance", "Bilan", "Suivi", "RDV")) + " " + name, None
        else:
            summary, attendee = rng.choice(("Rendez-vous", "Nouveau patient", "Appel")), None
        day = (span_start + timedelta(days=rng.randrange(0, 700))).date()
        start = datetime.combine(day, clock(rng.randrange(8, 19), rng.choice((0, 30))), tzinfo=zone)
        minutes = rng.choice((30, 45, 50, 60))
        uid = f"bench-{serial}@billbot"
        head = [
            "BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20250101T000000Z",
            f"DTSTART;TZID={ZONE}:{stamp(start)}", f"DTEND;TZID={ZONE}:{stamp(start + timedelta(minutes=minutes))}",
            f"SUMMARY:{summary}",
        ]  # fmt: skip
        if attendee:
            head.append(f"ATTENDEE;CN=Client;PARTSTAT=ACCEPTED:mailto:{attendee}")
        if rng.random() < 0.6:  # a weekly series: a few months of sessions, two skipped, one moved
            count = rng.randrange(8, 40)
            occurrences = [start + timedelta(weeks=n) for n in range(count)]
            skipped = set(rng.sample(range(1, count), 2))
            moved = rng.choice([n for n in range(1, count) if n not in skipped])
            head.append(f"RRULE:FREQ=WEEKLY;COUNT={count}")
            head += [f"EXDATE;TZID={ZONE}:{stamp(occurrences[n])}" for n in sorted(skipped)]
            lines += [*head, "END:VEVENT"]
            new_start = occurrences[moved] + timedelta(days=1, hours=2)
            lines += [
                "BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20250101T000000Z",
                f"RECURRENCE-ID;TZID={ZONE}:{stamp(occurrences[moved])}",
                f"DTSTART;TZID={ZONE}:{stamp(new_start)}",
                f"DTEND;TZID={ZONE}:{stamp(new_start + timedelta(minutes=minutes))}", f"SUMMARY:{summary}",
                "SEQUENCE:1", "END:VEVENT",
            ]  # fmt: skip
            vevents += 2
            kept = [o for n, o in enumerate(occurrences) if n not in skipped and n != moved] + [new_start]
        else:
            lines += [*head, "END:VEVENT"]
            vevents += 1
            kept = [start]
        in_window += sum(1 for o in kept if window_start <= o < window_end)
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode(), vevents


def fresh_services(url: str) -> Services:
    upgrade(url)
    settings = load_settings(Mode.DATABASE, {"DATABASE_URL": url, "BILLBOT_CALENDAR_LOCAL_FEEDS": "1"})
    return Services.build(settings)


def seed(services: Services, clients: list[str]) -> None:
    with services.db.session() as session:
        for n, name in enumerate(clients):
            session.add(Client(team_id=TEAM, name=name, name_key=fold_name(name), email=f"client{n}@example.com"))
        session.add(Service(team_id=TEAM, name="Séance", unit_amount=6000, currency="eur"))


def timed(run: Callable[[], object]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run: the CPU time of this process (the sync, SQLite, and the feed server's
    thread) is what the machine's other work cannot inflate."""
    started, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - started, time.process_time() - cpu


def median(runs: int, run: Callable[[], object]) -> tuple[float, float]:
    measured = [timed(run) for _ in range(runs)]
    return statistics.median(w for w, _ in measured), statistics.median(c for _, c in measured)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=5_000, help="occurrences in the sync window")
    parser.add_argument("--clients", type=int, default=150)
    parser.add_argument("--database-url", help="an empty database (default: a temporary SQLite file)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    clients = names(min(args.clients, len(FIRST) * len(LAST)))
    now = datetime.now(UTC)
    body, vevents = build_feed(args.events, clients, random.Random(17), now)
    server = IcsServer().start()
    url = server.set_feed("practice", body)
    with tempfile.TemporaryDirectory() as tmp:
        services = fresh_services(args.database_url or f"sqlite:///{Path(tmp) / 'calendar.db'}")
        seed(services, clients)
        parse_figures = timed(
            lambda: parse_feed(body, window_start=now - WINDOW_BACK, window_end=now + WINDOW_AHEAD, zone=ZoneInfo(ZONE))
        )
        feed_id = 0

        def first() -> None:
            nonlocal feed_id
            feed_id, _ = connect_feed(
                services, team_id=TEAM, user_id=USER, url=url, body=None, timezone=ZONE, locale="fr"
            )

        first_figures = timed(first)
        with services.db.session() as session:
            rows = session.exec(select(func.count()).select_from(CalendarEvent)).one()
            sessions = session.exec(select(func.count()).select_from(Appointment)).one()
            to_sort = session.exec(
                select(func.count()).select_from(CalendarEvent).where(CalendarEvent.client_id == None)  # noqa: E711
            ).one()
        not_modified = median(args.runs, lambda: sync_feed(services, feed_id))
        hits_before = server.hits("/feeds/practice.ics")
        server.set_feed("practice", body, validators=False)
        same_body = median(args.runs, lambda: sync_feed(services, feed_id))

        def reread() -> None:
            with services.db.session() as session:  # as if the last full read were half a day ago
                session.execute(update(CalendarFeed).values(updated_at=now - timedelta(days=1)))
            result = sync_feed(services, feed_id)
            assert result.added == result.changed == result.removed == 0, result

        full_reread = median(args.runs, reread)
        database = services.db.engine.dialect.name
        services.close()
        # Peak memory of a first sync, apart (tracemalloc slows what it watches).
        memory = fresh_services(
            args.database_url or f"sqlite:///{Path(tmp) / 'calendar-memory.db'}"
        ) if not args.database_url else None  # fmt: skip
        peak = None
        if memory is not None:
            seed(memory, clients)
            server.set_feed("practice", body)
            tracemalloc.start()
            connect_feed(memory, team_id=TEAM, user_id=USER, url=url, body=None, timezone=ZONE, locale="fr")
            peak = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
            memory.close()
    server.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"feed: {len(body) / 1e6:.1f} MB, {vevents:,} VEVENTs over two years, {rows:,} occurrences in the sync window "
        f"(-{WINDOW_BACK.days} / +{WINDOW_AHEAD.days} days); {len(clients)} clients; {sessions:,} sessions made, "
        f"{to_sort:,} to sort ({database}); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(f"  {'':50s} {'wall':>9s} {'CPU':>9s}   goal (wall)")

    def line(label: str, figures: tuple[float, float], goal: float | None, note: str = "") -> None:
        wall, cpu = figures
        verdict = "" if goal is None else f"< {goal * 1000:.0f} ms  " + ("ok" if wall < goal else "OVER")
        print(f"  {label:50s} {wall * 1000:6.0f} ms {cpu * 1000:6.0f} ms   {verdict}{note}")

    line("parse alone (icalendar + recurring-ical-events)", parse_figures, None)
    line("first sync (fetch, parse, match, write)", first_figures, FIRST_GOAL)
    line("unchanged re-sync, 304 Not Modified", not_modified, UNCHANGED_GOAL, f"  (median of {args.runs})")
    line("unchanged re-sync, same body again (200)", same_body, UNCHANGED_GOAL, f"  (median of {args.runs})")
    line("full re-read, nothing changed (twice a day)", full_reread, None, f"  (median of {args.runs})")
    if peak is not None:
        print(f"  peak memory of a first sync (tracemalloc) {peak:.1f} MB; process peak RSS {rss:.0f} MB")
    print(f"  the feed server saw {hits_before} requests for the first sync and {args.runs} re-syncs (all 304)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
