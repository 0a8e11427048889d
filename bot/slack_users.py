"""Who a Slack member is (locale, admin rights), from users.info, cached in the database.

Called after the ack, never before: a users.info round trip must not sit on Slack's 3-second clock.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError

from bot.db import Database
from bot.i18n import normalise_locale
from bot.models import SlackUser, Workspace, utcnow

log = logging.getLogger(__name__)

CACHE_FOR = timedelta(hours=12)


def member(db: Database, client: WebClient, team_id: str, user_id: str) -> SlackUser:
    """The cached profile, refreshed from users.info when older than CACHE_FOR or missing."""
    with db.session() as session:
        cached = session.get(SlackUser, (team_id, user_id))
    if cached is not None and _aware(cached.fetched_at) > utcnow() - CACHE_FOR:
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
    with db.session() as session:
        session.merge(fresh)
    return fresh


def locale_for(db: Database, client: WebClient, team_id: str, user_id: str | None, default: str) -> str:
    """The user's own Slack language when we support it, else the workspace's, else ``default``."""
    workspace_default = default
    with db.session() as session:
        workspace = session.get(Workspace, team_id)
        if workspace is not None and workspace.default_locale:
            workspace_default = workspace.default_locale
    if user_id is None:
        return normalise_locale(workspace_default)
    return normalise_locale(member(db, client, team_id, user_id).locale, workspace_default)


def ensure_workspace(db: Database, team_id: str, name: str | None = None) -> None:
    with db.session() as session:
        if session.get(Workspace, team_id) is not None:
            return
    try:
        with db.session() as session:
            session.add(Workspace(team_id=team_id, name=name))
    except IntegrityError:
        pass  # another worker created it first


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes even for timezone-aware columns.
    return value if value.tzinfo else value.replace(tzinfo=UTC)
