"""A feed's occurrences into rows: one CalendarEvent per occurrence, a session (Appointment) per matched one.

Each sync is one transaction, after the fetch and the parse: a feed that cannot be read changes nothing but
its status, and nothing is ever half-imported. An unchanged feed costs a 304 (or, for a 200 with the same
body, a digest); an unchanged occurrence costs a digest comparison. Sessions on an invoice (not voided) are
never moved nor deleted: their event moving or being cancelled flags them instead.

The event's title may be health information: it is kept on the CalendarEvent (shown to the practitioner and
billing admins only) and never written into the session, whose description is the service's name.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.i18n import t
from bot.models import (
    Appointment,
    CalendarClientRule,
    CalendarEvent,
    CalendarFeed,
    CalendarServiceRule,
    Client,
    Invoice,
    Service,
    utcnow,
)
from bot.services import Services
from bot.timezones import zone as zone_named
from flows.calendar.feed.fetch import check_address, fetch_feed, limits_from, normalise_address
from flows.calendar.feed.parse import Occurrence, parse_feed
from flows.calendar.feed.problems import FeedProblem
from flows.calendar.sync.matching import ClientRow, Matcher, ServiceRule
from flows.calendar.sync.reconcile import DESCRIPTION_LENGTH, Reconciler, held_on, to_sort
from flows.calendar.sync.reconcile import aware as _aware

log = logging.getLogger(__name__)

# The occurrences kept in step with the feed: the sessions of the last 400 days (billable late) and of the
# next 120 (the week view, the prompt). Older rows stay as they are.
WINDOW_BACK = timedelta(days=400)
WINDOW_AHEAD = timedelta(days=120)
# An unchanged body is read again after this long anyway, so an endless weekly rule's occurrences keep
# entering the window's far end although the feed itself never changes.
REREAD_AFTER = timedelta(hours=12)


@dataclass(frozen=True)
class SyncResult:
    not_modified: bool  # the feed answered 304, or sent the same body as last time: nothing was read
    added: int
    changed: int
    removed: int
    unchanged: int
    to_sort: int  # occurrences in the window with no client yet
    flagged: int  # invoiced sessions whose event moved or was cancelled


def connect_feed(
    services: Services,
    *,
    team_id: str,
    user_id: str,
    url: str | None,
    body: bytes | None,
    timezone: str,
    locale: str,
    default_service_id: int | None = None,
    no_show_service_id: int | None = None,
    prompt_on_end: bool = False,
    prompt_delay_minutes: int = 5,
) -> tuple[int, SyncResult]:
    """Save the user's one feed (an address or an uploaded body, exactly one) and run its first sync.

    On FeedProblem nothing is saved and the problem is raised.
    """
    if (url is None) == (body is None):
        raise ValueError("connect_feed takes exactly one of url and body")
    limits = limits_from(services.settings)
    address = None
    if url is not None:
        address = normalise_address(url)
        check_address(address, allow_local=limits.allow_local)
        fetched = fetch_feed(address, etag=None, last_modified=None, limits=limits)
        content = fetched.body or b""
        etag, last_modified = fetched.etag, fetched.last_modified
    else:
        content = body or b""
        etag = last_modified = None
        if not content.strip():
            raise FeedProblem("calendar.error.empty_upload")
    now = utcnow()
    occurrences = _parse(content, timezone, now)  # before anything is written: a bad feed saves nothing
    with services.db.write_lock(), services.db.session() as session:
        feed = session.exec(
            select(CalendarFeed).where(CalendarFeed.team_id == team_id, CalendarFeed.user_id == user_id)
        ).first()
        if feed is None:
            feed = CalendarFeed(team_id=team_id, user_id=user_id)
        feed.source = "url" if address is not None else "file"
        feed.url = address
        feed.etag, feed.last_modified, feed.body_sha256 = etag, last_modified, _digest(content)
        feed.default_service_id = default_service_id
        feed.no_show_service_id = no_show_service_id
        feed.prompt_on_end = prompt_on_end
        feed.prompt_delay_minutes = prompt_delay_minutes
        feed.timezone = timezone
        feed.locale = locale
        feed.status, feed.last_error_key, feed.last_error_params, feed.failure_told = "ok", None, None, False
        feed.last_synced_at = now
        feed.next_sync_at = now + timedelta(minutes=services.settings.calendar_sync_minutes)
        feed.sync_claimed_until = None
        feed.updated_at = now
        session.add(feed)
        session.flush()
        assert feed.id is not None
        result = _apply(session, feed, occurrences, now, _window(now))
        feed_id = feed.id
    log.info("calendar feed %s connected (%s): %s", feed_id, _host(address), _counts(result))
    return feed_id, result


def sync_feed(services: Services, feed_id: int, *, body: bytes | None = None) -> SyncResult:
    """Re-read a feed (with its validators) or an uploaded body; on FeedProblem mark it failing and raise."""
    with services.db.session() as session:
        feed = session.get(CalendarFeed, feed_id)
    if feed is None:
        raise LookupError(f"no calendar feed {feed_id}")
    now = utcnow()
    # The whole body again now and then (see REREAD_AFTER), else what the last read's validators allow.
    fresh = feed.body_sha256 is None or feed.updated_at is None or _aware(feed.updated_at) < now - REREAD_AFTER
    try:
        if body is not None:
            if not body.strip():
                raise FeedProblem("calendar.error.empty_upload")
            content: bytes | None = body
            etag, last_modified = feed.etag, feed.last_modified
        elif feed.source == "url" and feed.url:
            limits = limits_from(services.settings)
            fetched = fetch_feed(
                feed.url,
                etag=None if fresh else feed.etag,
                last_modified=None if fresh else feed.last_modified,
                limits=limits,
            )
            content = fetched.body
            etag = fetched.etag or (feed.etag if content is None else None)
            last_modified = fetched.last_modified or (feed.last_modified if content is None else None)
        else:
            content = None  # an uploaded calendar has nothing to re-read until the next upload
            etag, last_modified = feed.etag, feed.last_modified
        digest = None if content is None else _digest(content)
        occurrences = None
        if content is not None and (fresh or digest != feed.body_sha256):
            occurrences = _parse(content, feed.timezone, now)
    except FeedProblem as problem:
        _mark_failing(services, feed_id, problem)
        log.info("calendar feed %s (%s) could not be read: %s", feed_id, _host(feed.url), problem.key)
        raise
    with services.db.write_lock(), services.db.session() as session:
        row = session.get(CalendarFeed, feed_id)
        if row is None:
            raise LookupError(f"calendar feed {feed_id} was disconnected during its sync")
        row.status, row.last_error_key, row.last_error_params = "ok", None, None
        row.last_synced_at = now
        if occurrences is None:
            session.add(row)
            result = _unchanged(session, feed_id)
        else:
            row.etag, row.last_modified, row.body_sha256 = etag, last_modified, digest
            row.updated_at = now
            session.add(row)
            result = _apply(session, row, occurrences, now, _window(now))
    log.info("calendar feed %s (%s) synced: %s", feed_id, _host(feed.url), _counts(result))
    return result


def assign_client(services: Services, *, team_id: str, event_id: int, client_id: int, user_id: str) -> int:
    """The to-sort click: this event and the feed's other unsorted occurrences of its uid get the client.

    A rule remembers it for the next syncs. Returns how many sessions were made (0 for a repeated click).
    """
    now = utcnow()
    with services.db.write_lock(), services.db.session() as session:
        event = session.get(CalendarEvent, event_id)
        if event is None or event.team_id != team_id:
            return 0
        feed = session.get(CalendarFeed, event.feed_id)
        client = session.get(Client, client_id)
        if feed is None or client is None or client.team_id != team_id or not _active(client):
            return 0
        _remember(session, feed, event.uid, client_id, user_id, now)
        matcher = _matcher(session, feed)
        service_names = _service_names(session, team_id)
        unsorted = session.exec(
            select(CalendarEvent).where(
                CalendarEvent.feed_id == feed.id,
                CalendarEvent.uid == event.uid,
                col(CalendarEvent.client_id).is_(None),
            )
        ).all()
        made = 0
        for row in unsorted:
            # Taken with a conditional UPDATE: a double click (or a sync at the same time) sorts it once.
            taken = session.execute(
                update(CalendarEvent)
                .where(col(CalendarEvent.id) == row.id, col(CalendarEvent.client_id).is_(None))
                .values(client_id=client_id, matched_by="manual" if row.id == event_id else "rule", updated_at=now)
            )
            if _rowcount(taken) != 1:
                continue
            session.refresh(row)
            if row.status == "confirmed" and row.appointment_id is None:
                service_id = matcher.service_for(row.summary)
                appointment = _new_appointment(feed, row, client_id, service_id, service_names, now)
                session.add(appointment)
                session.flush()
                row.appointment_id, row.service_id = appointment.id, service_id
                session.add(row)
                made += 1
    log.info("calendar feed %s: an event sorted by hand, %d sessions made", event.feed_id, made)
    return made


def disconnect_feed(services: Services, *, team_id: str, user_id: str) -> int:
    """Remove the user's feed and its events, and the un-invoiced sessions still to come; the count removed.

    Sessions that took place, or are on an invoice, stay: they are the practice's record.
    """
    now = utcnow()
    with services.db.write_lock(), services.db.session() as session:
        feed = session.exec(
            select(CalendarFeed).where(CalendarFeed.team_id == team_id, CalendarFeed.user_id == user_id)
        ).first()
        if feed is None:
            return 0
        appointment_ids = [
            a
            for a in session.exec(
                select(CalendarEvent.appointment_id).where(
                    CalendarEvent.feed_id == feed.id, col(CalendarEvent.appointment_id).is_not(None)
                )
            ).all()
            if a is not None
        ]
        appointments = _appointments(session, appointment_ids)
        invoiced = _invoiced(session, appointments.values())
        doomed = [
            a.id
            for a in appointments.values()
            if a.id is not None
            and a.id not in invoiced
            and a.starts_at is not None
            and _aware(a.starts_at) > now
            and a.source == "calendar"
        ]
        session.execute(delete(CalendarEvent).where(col(CalendarEvent.feed_id) == feed.id))
        session.execute(delete(CalendarClientRule).where(col(CalendarClientRule.feed_id) == feed.id))
        if doomed:
            session.execute(delete(Appointment).where(col(Appointment.id).in_(doomed)))
        session.delete(feed)
    log.info("calendar feed %s disconnected: %d sessions to come removed", feed.id, len(doomed))
    return len(doomed)


# -- the sync itself ---------------------------------------------------------------------------------------


def _window(now: datetime) -> tuple[datetime, datetime]:
    return now - WINDOW_BACK, now + WINDOW_AHEAD


def _parse(body: bytes, timezone: str, now: datetime) -> list[Occurrence]:
    start, end = _window(now)
    return parse_feed(body, window_start=start, window_end=end, zone=zone_named(timezone))


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _apply(
    session: Session,
    feed: CalendarFeed,
    occurrences: list[Occurrence],
    now: datetime,
    window: tuple[datetime, datetime],
) -> SyncResult:
    """Bring the feed's rows in line with ``occurrences``, in the caller's transaction."""
    counts = Reconciler(session, feed, _matcher(session, feed), _service_names(session, feed.team_id), now).run(
        occurrences, window
    )
    return SyncResult(
        not_modified=False, added=counts.added, changed=counts.changed, removed=counts.removed,
        unchanged=counts.unchanged, to_sort=counts.to_sort, flagged=counts.flagged,
    )  # fmt: skip


def _new_appointment(
    feed: CalendarFeed,
    row: CalendarEvent,
    client_id: int,
    service_id: int | None,
    service_names: dict[int, str],
    now: datetime,
) -> Appointment:
    """A session for an event sorted by hand (the sync itself writes its sessions in batches)."""
    # The service's name, never the event's title (which may say why the client comes).
    name = service_names.get(service_id) if service_id is not None else None
    starts_at = _aware(row.starts_at)
    return Appointment(
        team_id=feed.team_id,
        client_id=client_id,
        held_on=held_on(starts_at, zone_named(feed.timezone)),
        service_id=service_id,
        description=(name or t(feed.locale, "calendar.sync.session"))[:DESCRIPTION_LENGTH],
        duration_minutes=None if row.all_day else max(0, int((_aware(row.ends_at) - starts_at).total_seconds() // 60)),
        created_by=feed.user_id,
        created_at=now,
        source="calendar",
        starts_at=starts_at,
        practitioner_id=feed.user_id,
    )


def _unchanged(session: Session, feed_id: int) -> SyncResult:
    total = session.exec(select(func.count()).select_from(CalendarEvent).where(CalendarEvent.feed_id == feed_id)).one()
    return SyncResult(
        not_modified=True, added=0, changed=0, removed=0, unchanged=int(total), to_sort=to_sort(session, feed_id),
        flagged=0,
    )  # fmt: skip


# -- rows loaded once per sync -----------------------------------------------------------------------------


def _matcher(session: Session, feed: CalendarFeed) -> Matcher:
    clients = session.exec(
        select(Client.id, Client.name_key, Client.email).where(
            Client.team_id == feed.team_id,
            col(Client.archived_at).is_(None),
            col(Client.forgotten_at).is_(None),
            col(Client.merged_into_id).is_(None),
        )
    ).all()
    rules = session.exec(
        select(CalendarClientRule.uid, CalendarClientRule.client_id).where(CalendarClientRule.feed_id == feed.id)
    ).all()
    active_services = set(
        session.exec(select(Service.id).where(Service.team_id == feed.team_id, col(Service.active).is_(True))).all()
    )
    service_rules = session.exec(
        select(CalendarServiceRule.keyword_key, CalendarServiceRule.service_id)
        .where(CalendarServiceRule.team_id == feed.team_id)
        .order_by(col(CalendarServiceRule.id))
    ).all()
    default = feed.default_service_id if feed.default_service_id in active_services else None
    return Matcher(
        clients=[ClientRow(id=c_id, name_key=name_key, email=email) for c_id, name_key, email in clients if c_id],
        rules={uid: client_id for uid, client_id in rules},
        service_rules=[
            ServiceRule(keyword, service) for keyword, service in service_rules if service in active_services
        ],
        default_service_id=default,
    )


def _service_names(session: Session, team_id: str) -> dict[int, str]:
    rows = session.exec(select(Service.id, Service.name).where(Service.team_id == team_id)).all()
    return {service_id: name for service_id, name in rows if service_id is not None}


def _appointments(session: Session, ids: Iterable[int | None]) -> dict[int, Appointment]:
    wanted = sorted({i for i in ids if i is not None})
    found: dict[int, Appointment] = {}
    for start in range(0, len(wanted), 500):  # IN lists of a bounded length, for SQLite's parameter limit
        chunk = wanted[start : start + 500]
        for appointment in session.exec(select(Appointment).where(col(Appointment.id).in_(chunk))).all():
            assert appointment.id is not None
            found[appointment.id] = appointment
    return found


def _invoiced(session: Session, appointments: Iterable[Appointment]) -> set[int]:
    """The sessions on an invoice that stands (a voided invoice frees its sessions)."""
    by_invoice: dict[int, list[int]] = {}
    for appointment in appointments:
        if appointment.invoice_id is not None and appointment.id is not None:
            by_invoice.setdefault(appointment.invoice_id, []).append(appointment.id)
    if not by_invoice:
        return set()
    invoice_ids = sorted(by_invoice)
    standing: set[int] = set()
    for start in range(0, len(invoice_ids), 500):
        chunk = invoice_ids[start : start + 500]
        rows = session.exec(select(Invoice.id, Invoice.status).where(col(Invoice.id).in_(chunk))).all()
        standing.update(invoice_id for invoice_id, status in rows if invoice_id is not None and status != "void")
    return {a for invoice_id in standing for a in by_invoice[invoice_id]}


def _remember(session: Session, feed: CalendarFeed, uid: str, client_id: int, user_id: str, now: datetime) -> None:
    rule = session.exec(
        select(CalendarClientRule).where(CalendarClientRule.feed_id == feed.id, CalendarClientRule.uid == uid)
    ).first()
    if rule is not None:
        if rule.client_id != client_id:
            rule.client_id, rule.created_by = client_id, user_id
            session.add(rule)
        return
    assert feed.id is not None
    try:
        with session.begin_nested():
            session.add(
                CalendarClientRule(
                    team_id=feed.team_id, feed_id=feed.id, uid=uid, client_id=client_id, created_by=user_id,
                    created_at=now,
                )
            )  # fmt: skip
    except IntegrityError:
        pass  # the same click, handled at the same time elsewhere: its rule stands


def _mark_failing(services: Services, feed_id: int, problem: FeedProblem) -> None:
    with services.db.write_lock(), services.db.session() as session:
        feed = session.get(CalendarFeed, feed_id)
        if feed is None:
            return
        feed.status = "failing"
        feed.last_error_key = problem.key
        feed.last_error_params = json.dumps(problem.params) if problem.params else None
        session.add(feed)


# -- small helpers -----------------------------------------------------------------------------------------


def _active(client: Client) -> bool:
    return client.archived_at is None and client.forgotten_at is None and client.merged_into_id is None


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _host(url: str | None) -> str:
    """The host alone, for log lines: the address's path is the calendar's secret."""
    if not url:
        return "upload"
    try:
        return urlsplit(url).hostname or "?"
    except ValueError:
        return "?"


def _counts(result: SyncResult) -> str:
    if result.not_modified:
        return "not modified"
    return (
        f"{result.added} added, {result.changed} changed, {result.removed} removed, {result.unchanged} unchanged, "
        f"{result.to_sort} to sort, {result.flagged} flagged"
    )
