"""The scheduler's calendar sync: each due feed fetched once per interval across two schedulers (the feed server
counts), and a failing scheduled sync DMs the practitioner once, in their language, until it works again."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import update

from bot.models import CalendarFeed, utcnow
from bot.services import Services
from bot.settings import Mode, load_settings
from flows.calendar.sync.apply import connect_feed
from flows.calendar.sync.job import CalendarSync
from tests.conftest import FRENCH_USER, TEAM_ID, Billbot
from tests.flows.calendar.ics import calendar, event, this_week
from tests.flows.calendar.sync.helpers import feeds, make_client
from tests.harness.ics_server import IcsServer

FEEDS = 6


def make_due(services: Services) -> None:
    with services.db.session() as session:
        session.execute(update(CalendarFeed).values(next_sync_at=utcnow() - timedelta(seconds=1)))


def test_two_schedulers_fetch_each_due_feed_once(calendar_services: Services, ics_server: IcsServer) -> None:
    services = calendar_services
    make_client(services, "Jean Dupont")
    for n in range(FEEDS):
        body = calendar(event(f"e{n}", start=this_week(1, 9 + n), summary="Jean Dupont"))
        connect_feed(
            services, team_id=TEAM_ID, user_id=f"U0PRACT{n}", url=ics_server.set_feed(f"f{n}", body), body=None,
            timezone="Europe/Paris", locale="en",
        )  # fmt: skip
    # Nothing is due yet: a feed just connected was just read.
    assert CalendarSync(services).run() == 0
    make_due(services)
    # A second scheduler: its own engine on the same database, as another process would have.
    env = {"DATABASE_URL": services.settings.database_url, "BILLBOT_CALENDAR_LOCAL_FEEDS": "1"}
    other = Services.build(load_settings(Mode.DATABASE, env))
    try:
        schedulers = [CalendarSync(services), CalendarSync(other)]
        start = threading.Barrier(2)
        claimed: list[int] = []

        def run(scheduler: CalendarSync) -> None:
            start.wait()
            claimed.append(scheduler.run())

        threads = [threading.Thread(target=run, args=(s,)) for s in schedulers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sum(claimed) == FEEDS, claimed
        assert [ics_server.hits(f"/feeds/f{n}.ics") for n in range(FEEDS)] == [2] * FEEDS
        # Both look again at once: the interval has not passed, nobody fetches.
        assert schedulers[0].run() + schedulers[1].run() == 0
        assert [ics_server.hits(f"/feeds/f{n}.ics") for n in range(FEEDS)] == [2] * FEEDS
    finally:
        other.close()
    interval = timedelta(minutes=services.settings.calendar_sync_minutes)
    for feed in feeds(services):
        assert feed.sync_claimed_until is None
        assert feed.next_sync_at.replace(tzinfo=None) > (utcnow() + interval - timedelta(minutes=1)).replace(
            tzinfo=None
        )


def test_a_failing_scheduled_sync_tells_the_practitioner_once_then_that_it_works_again(
    billbot: Billbot, ics_server: IcsServer
) -> None:
    bb = billbot
    services = bb.app.services
    (job,) = [j for j in services.jobs if j.name == "calendar_sync"]
    body = calendar(event("e", start=this_week(1, 9), summary="Séance"))
    url = ics_server.set_feed("claire", body)
    connect_feed(
        services, team_id=TEAM_ID, user_id=FRENCH_USER, url=url, body=None, timezone="Europe/Paris", locale="fr"
    )
    ics_server.set_feed("claire", b"<html>not a calendar</html>")
    for _ in range(3):
        make_due(services)
        job.run()
    dms = [m.text for m in bb.workspace.dm(FRENCH_USER)]
    assert len(dms) == 1, dms
    assert "Ce n'est pas un fichier iCalendar" in dms[0] and "/billing calendar" in dms[0]
    assert url not in dms[0]
    (feed,) = [f for f in feeds(services) if f.user_id == FRENCH_USER]
    assert (feed.status, feed.last_error_key, feed.failure_told) == ("failing", "calendar.error.malformed", True)

    ics_server.set_feed("claire", body + b"\r\n")
    make_due(services)
    job.run()
    make_due(services)
    job.run()
    dms = [m.text for m in bb.workspace.dm(FRENCH_USER)]
    assert len(dms) == 2 and "lit à nouveau votre agenda" in dms[1]
    (feed,) = [f for f in feeds(services) if f.user_id == FRENCH_USER]
    assert (feed.status, feed.failure_told) == ("ok", False)

    # A new run of failures is told again: the address now answers 404.
    with services.db.session() as session:
        session.execute(update(CalendarFeed).values(url=ics_server.url("/missing")))
    make_due(services)
    job.run()
    dms = [m.text for m in bb.workspace.dm(FRENCH_USER)]
    assert len(dms) == 3 and "404" in dms[2]
