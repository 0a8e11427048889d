"""What the calendar modals show and change, over our rows: a feed's status, the events to sort, the practice's
services, the settings' Save and the service keyword rules. Plain functions, testable without Slack."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.db import Database
from bot.models import CalendarEvent, CalendarFeed, CalendarServiceRule, Client, Service, utcnow
from flows.calendar.connect.validation import FeedSettings, RuleForm
from flows.clients import active_services, search_clients

# A static select holds 100 options; a practice with more clients gets the searching (external) select.
STATIC_CLIENTS_MAX = 100


@dataclass(frozen=True)
class ServiceChoice:
    id: int
    name: str


@dataclass(frozen=True)
class FeedStatus:
    """A connected feed as the calendar modal shows it (never its whole address)."""

    id: int
    source: str  # "url" or "file"
    address: str | None  # scheme and host, then "…": the rest is the secret
    settings: FeedSettings
    failing: bool
    error_key: str | None
    error_params: dict[str, str]
    last_synced_at: datetime | None
    timezone: str
    sessions: int  # sessions imported from it (events matched to a client)
    to_sort: int  # events (a recurring one counts once) waiting for a client


@dataclass(frozen=True)
class SortGroup:
    """One event of the "to sort" list: a recurring event's occurrences together."""

    event_id: int  # the occurrence the Assign button names (the next one, else the last)
    summary: str
    occurrences: int
    starts_at: datetime  # the next occurrence's start, else the last one's
    upcoming: bool
    all_day: bool


@dataclass(frozen=True)
class RuleRow:
    id: int
    keyword: str
    service: str


def aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; ours are all UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def shown_address(url: str | None) -> str | None:
    """``https://calendar.google.com/calendar/ical/…/basic.ics`` → ``https://calendar.google.com/…``."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    scheme = parts.scheme.lower() or "https"
    return f"{scheme}://{host}/…" if host else "…"


def feed_of(session: Session, team_id: str, user_id: str) -> CalendarFeed | None:
    return session.exec(
        select(CalendarFeed).where(CalendarFeed.team_id == team_id, CalendarFeed.user_id == user_id)
    ).first()


def status(team_id: str, user_id: str, *, db: Database) -> FeedStatus | None:
    """The member's own feed, or None when they have not connected one."""
    with db.session() as session:
        feed = feed_of(session, team_id, user_id)
        if feed is None or feed.id is None:
            return None
        live = select(CalendarEvent).where(CalendarEvent.feed_id == feed.id, CalendarEvent.status == "confirmed")
        sessions = session.exec(
            select(func.count()).select_from(live.where(col(CalendarEvent.appointment_id).is_not(None)).subquery())
        ).one()
        to_sort = session.exec(
            select(func.count(func.distinct(CalendarEvent.uid))).where(
                CalendarEvent.feed_id == feed.id,
                CalendarEvent.status == "confirmed",
                col(CalendarEvent.client_id).is_(None),
            )
        ).one()
        return FeedStatus(
            id=feed.id,
            source=feed.source,
            address=shown_address(feed.url),
            settings=FeedSettings(
                feed.default_service_id, feed.no_show_service_id, feed.prompt_on_end, feed.prompt_delay_minutes
            ),
            failing=feed.status == "failing",
            error_key=feed.last_error_key,
            error_params=_params(feed.last_error_params),
            last_synced_at=aware(feed.last_synced_at) if feed.last_synced_at else None,
            timezone=feed.timezone,
            sessions=int(sessions),
            to_sort=int(to_sort),
        )


def _params(text: str | None) -> dict[str, str]:
    try:
        found = json.loads(text or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def services(team_id: str, *, db: Database) -> list[ServiceChoice]:
    """The practice's active services, by name, for the selects."""
    with db.session() as session:
        return [ServiceChoice(s.id, s.name) for s in active_services(session, team_id) if s.id is not None]


def save_settings(team_id: str, user_id: str, settings: FeedSettings, *, db: Database) -> bool:
    """The connected view's Save; False when the member has no feed (disconnected in another window)."""
    with db.write_lock(), db.session() as session:
        feed = feed_of(session, team_id, user_id)
        if feed is None:
            return False
        feed.default_service_id = settings.default_service_id
        feed.no_show_service_id = settings.no_show_service_id
        feed.prompt_on_end = settings.prompt_on_end
        feed.prompt_delay_minutes = settings.prompt_delay_minutes
        feed.updated_at = utcnow()
        session.add(feed)
    return True


def claim_sync(feed_id: int, seconds: float, *, db: Database) -> bool:
    """Hold the feed's sync claim (the scheduler's too) so that two reads of one feed never run at once: a
    double click on Sync now, or a click while the scheduler reads it. False while someone else holds it."""
    now = utcnow()
    claimed = col(CalendarFeed.sync_claimed_until)
    with db.write_lock(), db.session() as session:
        result = session.execute(
            update(CalendarFeed)
            .where(col(CalendarFeed.id) == feed_id, or_(claimed.is_(None), claimed < now))
            .values(sync_claimed_until=now + timedelta(seconds=seconds))
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1


def release_sync(feed_id: int, *, db: Database) -> None:
    with db.write_lock(), db.session() as session:
        session.execute(update(CalendarFeed).where(col(CalendarFeed.id) == feed_id).values(sync_claimed_until=None))


# -- the "to sort" list ------------------------------------------------------------------------------------


def to_sort(feed_id: int, *, db: Database, now: datetime | None = None) -> list[SortGroup]:
    """The feed's events no client was found for, one group per event (uid), the soonest upcoming first, then
    the most recent past ones."""
    moment = now or utcnow()
    with db.session() as session:
        rows = session.exec(
            select(CalendarEvent)
            .where(
                CalendarEvent.feed_id == feed_id,
                CalendarEvent.status == "confirmed",
                col(CalendarEvent.client_id).is_(None),
            )
            .order_by(col(CalendarEvent.starts_at), col(CalendarEvent.id))
        ).all()
    by_uid: dict[str, list[CalendarEvent]] = {}
    for row in rows:
        by_uid.setdefault(row.uid, []).append(row)
    groups = [_group(found, moment) for found in by_uid.values()]
    upcoming = sorted((g for g in groups if g.upcoming), key=lambda g: g.starts_at)
    past = sorted((g for g in groups if not g.upcoming), key=lambda g: g.starts_at, reverse=True)
    return upcoming + past


def _group(occurrences: list[CalendarEvent], now: datetime) -> SortGroup:
    future = [o for o in occurrences if aware(o.starts_at) >= now]
    shown = future[0] if future else occurrences[-1]
    assert shown.id is not None
    return SortGroup(shown.id, shown.summary, len(occurrences), aware(shown.starts_at), bool(future), shown.all_day)


def event_feed(team_id: str, event_id: int, *, db: Database) -> CalendarFeed | None:
    """The feed an event (an id from a button) belongs to, in this workspace only."""
    with db.session() as session:
        event = session.get(CalendarEvent, event_id)
        if event is None or event.team_id != team_id:
            return None
        return session.get(CalendarFeed, event.feed_id)


def event_client(team_id: str, event_id: int, *, db: Database) -> int | None:
    """The client an event was given already (by the sync, a rule or another click), if any."""
    with db.session() as session:
        event = session.get(CalendarEvent, event_id)
    return event.client_id if event is not None and event.team_id == team_id else None


def client_choices(team_id: str, *, db: Database) -> list[tuple[int, str]] | None:
    """Every client (id, name) when few enough for a static select; None: use the searching select."""
    with db.session() as session:
        found = search_clients(session, team_id, "", limit=STATIC_CLIENTS_MAX + 1)
    if len(found) > STATIC_CLIENTS_MAX:
        return None
    return [(c.id, c.name) for c in found if c.id is not None]


def search(team_id: str, query: str, *, db: Database) -> list[tuple[int, str]]:
    with db.session() as session:
        found = search_clients(session, team_id, query[:200], limit=STATIC_CLIENTS_MAX)
    return [(c.id, c.name) for c in found if c.id is not None]


def client_name(team_id: str, client_id: int, *, db: Database) -> str | None:
    with db.session() as session:
        found = session.get(Client, client_id)
    return found.name if found is not None and found.team_id == team_id else None


def known_client(team_id: str, client_id: int, *, db: Database) -> bool:
    """A client the pickers offer (not forgotten or merged): an id from Slack may name any row."""
    with db.session() as session:
        found = session.get(Client, client_id)
    return (
        found is not None and found.team_id == team_id and found.forgotten_at is None and found.merged_into_id is None
    )


# -- service keyword rules ---------------------------------------------------------------------------------


def rules(team_id: str, *, db: Database) -> list[RuleRow]:
    with db.session() as session:
        found = session.exec(
            select(CalendarServiceRule, Service)
            .join(Service, col(Service.id) == col(CalendarServiceRule.service_id))
            .where(CalendarServiceRule.team_id == team_id)
            .order_by(col(CalendarServiceRule.keyword_key), col(CalendarServiceRule.id))
        ).all()
    return [RuleRow(rule.id, rule.keyword, service.name) for rule, service in found if rule.id is not None]


def add_rule(team_id: str, user_id: str, form: RuleForm, *, db: Database) -> bool:
    """The rule saved; False when the workspace already has one for that keyword (folded)."""
    try:
        with db.write_lock(), db.session() as session:
            exists = session.exec(
                select(CalendarServiceRule.id).where(
                    CalendarServiceRule.team_id == team_id, CalendarServiceRule.keyword_key == form.keyword_key
                )
            ).first()
            if exists is not None:
                return False
            session.add(
                CalendarServiceRule(
                    team_id=team_id,
                    keyword=form.keyword,
                    keyword_key=form.keyword_key,
                    service_id=form.service_id,
                    created_by=user_id,
                )
            )
    except IntegrityError:
        return False  # the same keyword saved at the same moment by another submission
    return True


def remove_rule(team_id: str, rule_id: int, *, db: Database) -> bool:
    with db.write_lock(), db.session() as session:
        found = session.get(CalendarServiceRule, rule_id)
        if found is None or found.team_id != team_id:
            return False
        session.delete(found)
    return True
