"""Whether Billbot is still installed in a workspace: the mark app_uninstalled leaves on its Workspace row.

Anything that works for a workspace outside a Slack request (the scheduler's jobs, Stripe's webhooks)
asks here first, so nothing is scheduled for or posted to a workspace that removed the app. The mark is
Slack's time of the uninstall; the workspace's data is kept.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.db import Database
from bot.models import Workspace, table_of

_WORKSPACES = table_of(Workspace)


def uninstalled_teams(db: Database) -> set[str]:
    """The team ids of every workspace Billbot is uninstalled from (few: read whole once per sweep)."""
    with db.engine.connect() as conn:
        rows = conn.execute(select(_WORKSPACES.c.team_id).where(_WORKSPACES.c.uninstalled_at.is_not(None)))
        return {team_id for (team_id,) in rows}


def uninstalled_at(db: Database, team_id: str) -> datetime | None:
    with db.engine.connect() as conn:
        found = conn.execute(
            select(_WORKSPACES.c.uninstalled_at).where(_WORKSPACES.c.team_id == team_id)
        ).scalar_one_or_none()
    return _aware(found) if found is not None else None


def mark_uninstalled(db: Database, team_id: str, at: datetime) -> bool:
    """Record the uninstall; False when it was already recorded (an earlier mark is kept, it came first).

    Single-workspace installs may have no Workspace row yet (nothing stored their token): one is made.
    """
    for attempt in range(2):
        try:
            with db.write_lock(), db.session() as session:
                row = session.get(Workspace, team_id)
                if row is None:
                    session.add(Workspace(team_id=team_id, uninstalled_at=at))
                    return True
                if row.uninstalled_at is not None:
                    return False
                row.uninstalled_at = at
                return True
        except IntegrityError:
            if attempt:  # another worker made the row between our read and our insert: mark it instead
                raise
    raise AssertionError("unreachable")


def reactivate(db: Database, team_id: str) -> bool:
    """The app is installed again: clear the mark. True when there was one."""
    with db.write_lock(), db.engine.begin() as conn:
        changed = conn.execute(
            update(_WORKSPACES)
            .where(_WORKSPACES.c.team_id == team_id, _WORKSPACES.c.uninstalled_at.is_not(None))
            .values(uninstalled_at=None)
        ).rowcount
    return bool(changed)


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes even for timezone-aware columns.
    return value if value.tzinfo else value.replace(tzinfo=UTC)
