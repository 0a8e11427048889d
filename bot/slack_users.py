"""Who a Slack member is (locale, admin rights), from users.info, cached in the database.

Called after the ack, never before: a users.info round trip must not sit on Slack's 3-second clock.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from bot.db import Database
from bot.i18n import normalise_locale
from bot.models import SlackUser, Workspace, utcnow
from bot.timezones import today_in

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

CACHE_FOR = timedelta(hours=12)
# In front of the database, each process keeps what it read for a short while: a member's locale is read
# on every command, and the database copy changes rarely (and only through this module).
MEMORY_SECONDS = 300.0


class _Recent:
    """A small time-limited memory of database reads, per process."""

    def __init__(self, seconds: float, size: int = 10_000) -> None:
        self.seconds = seconds
        self.size = size
        self._items: dict[tuple[str, ...], tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...]) -> Any | None:
        with self._lock:
            found = self._items.get(key)
        if found is None or time.monotonic() - found[0] > self.seconds:
            return None
        return found[1]

    def put(self, key: tuple[str, ...], value: Any) -> None:
        with self._lock:
            if len(self._items) >= self.size:
                self._items.clear()  # crude, but bounded; a miss only costs one database read
            self._items[key] = (time.monotonic(), value)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_members = _Recent(MEMORY_SECONDS)
_workspaces = _Recent(MEMORY_SECONDS)


def member(db: Database, client: WebClient, team_id: str, user_id: str) -> SlackUser:
    """The cached profile, refreshed from users.info when older than CACHE_FOR or missing."""
    key = (db.identity, team_id, user_id)
    cached: SlackUser | None = _members.get(key)
    if cached is None:
        with db.session() as session:
            cached = session.get(SlackUser, (team_id, user_id))
    if cached is not None and _aware(cached.fetched_at) > utcnow() - CACHE_FOR:
        _members.put(key, cached)
        return cached
    try:
        user = client.users_info(user=user_id, include_locale=True)["user"]
    except SlackApiError as exc:
        log.warning("users.info failed for %s/%s: %s", team_id, user_id, exc.response.get("error"))
        return cached or SlackUser(team_id=team_id, user_id=user_id)
    fresh = SlackUser(
        team_id=team_id,
        user_id=user_id,
        locale=user.get("locale"),
        is_admin=bool(user.get("is_admin")),
        is_owner=bool(user.get("is_owner")),
        tz=user.get("tz"),
        fetched_at=utcnow(),
    )
    _upsert(db, fresh)
    _members.put(key, fresh)
    return fresh


def member_today(db: Database, client: WebClient, team_id: str, user_id: str) -> date:
    """Today where the member is (their Slack time zone; UTC when unknown): due dates, what is overdue."""
    return today_in(member(db, client, team_id, user_id).tz)


def locale_for(db: Database, client: WebClient, team_id: str, user_id: str | None, default: str) -> str:
    """The user's own Slack language when we support it, else the workspace's, else ``default``."""
    workspace = _workspace(db, team_id)
    workspace_default = workspace.default_locale if workspace is not None and workspace.default_locale else default
    if user_id is None:
        return normalise_locale(workspace_default)
    return normalise_locale(member(db, client, team_id, user_id).locale, workspace_default)


def locale_of(services: Services, client: WebClient, team_id: str, user_id: str | None) -> str:
    """locale_for with the configured default: what every listener asks of the member it answers."""
    return locale_for(services.db, client, team_id, user_id, services.settings.default_locale)


def workspace_locale(db: Database, team_id: str, default: str) -> str:
    """The language of what the bot addresses to a channel (invoice cards, their thread replies, reminder
    digests): the workspace's setting (/billing settings), else ``default`` (BILLBOT_DEFAULT_LOCALE). Read from
    the database each time, not the memory: a card posted just after the setting changed follows it."""
    with db.session() as session:
        workspace = session.get(Workspace, team_id)
    chosen = workspace.default_locale if workspace is not None and workspace.default_locale else default
    return normalise_locale(chosen, normalise_locale(default))


def set_workspace_locale(db: Database, team_id: str, locale: str) -> None:
    """Save the workspace's language (one of bot.i18n.LOCALES), creating its row if the install did not."""
    with db.write_lock(), db.session() as session:
        workspace = session.get(Workspace, team_id) or Workspace(team_id=team_id)
        workspace.default_locale = normalise_locale(locale)
        session.add(workspace)
    _workspaces.put((db.identity, team_id), None)  # this process reads it back next time


@dataclass(frozen=True)
class Usergroup:
    id: str
    handle: str
    name: str


def usergroups(client: WebClient) -> list[Usergroup]:
    """The workspace's user groups, for a select; [] when Slack will not list them (no usergroups:read, or a
    plan without user groups), so the modal says so instead of failing."""
    try:
        found = client.usergroups_list().get("usergroups") or []
    except SlackApiError as exc:
        log.warning("usergroups.list failed: %s", exc.response.get("error"))
        return []
    return [
        Usergroup(g["id"], g.get("handle") or g["id"], g.get("name") or g.get("handle") or g["id"])
        for g in found
        if not g.get("date_delete")
    ]


def ensure_workspace(db: Database, team_id: str, name: str | None = None) -> None:
    if _workspace(db, team_id) is not None:
        return
    try:
        with db.write_lock(), db.session() as session:
            session.add(Workspace(team_id=team_id, name=name))
    except IntegrityError:
        pass  # another worker created it first
    _workspaces.put((db.identity, team_id), None)  # read it back next time


def _workspace(db: Database, team_id: str) -> Workspace | None:
    key = (db.identity, team_id)
    workspace: Workspace | None = _workspaces.get(key)
    if workspace is None:
        with db.session() as session:
            workspace = session.get(Workspace, team_id)
        if workspace is not None:
            _workspaces.put(key, workspace)
    return workspace


def _upsert(db: Database, user: SlackUser) -> None:
    """Insert or refresh the profile in one statement: two workers meeting the same new member both succeed.

    (session.merge reads then inserts, so the second of two concurrent first looks failed on the key.)
    """
    values = user.model_dump()
    dialect = db.engine.dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(SlackUser).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["team_id", "user_id"],
        set_={k: statement.excluded[k] for k in values if k not in ("team_id", "user_id")},
    )
    with db.write_lock(), db.session() as session:
        session.execute(statement)


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes even for timezone-aware columns.
    return value if value.tzinfo else value.replace(tzinfo=UTC)
