"""The workspace's tokens in the installation store (multi-workspace installs; single-workspace stores none)."""

from __future__ import annotations

from datetime import UTC, datetime

from slack_sdk.oauth.installation_store import InstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import and_, update


def installed_after(store: InstallationStore | None, enterprise_id: str | None, team_id: str, at: datetime) -> bool:
    """Whether the workspace's current bot was installed after ``at``: an uninstall older than the install
    (a delivery delayed past a re-install) must not delete the new tokens. In whole seconds, as Slack
    dates its events: an install in the same second as the uninstall is not after it."""
    if store is None:
        return False
    bot = store.find_bot(enterprise_id=enterprise_id, team_id=team_id)
    return bot is not None and datetime.fromtimestamp(int(bot.installed_at), UTC) > at


def delete_all(store: InstallationStore | None, enterprise_id: str | None, team_id: str) -> None:
    """The bot's token and every installation row of the workspace (deleting nothing twice is harmless)."""
    if store is not None:
        store.delete_all(enterprise_id=enterprise_id, team_id=team_id)


def forget_user_tokens(
    store: InstallationStore | None, enterprise_id: str | None, team_id: str, user_ids: list[str]
) -> int:
    """Clear only these members' user tokens; the bot's token, kept on the same rows, stays.

    (The store's delete_installation(user_id=…) would delete the whole row the installer's bot token is on.)
    Billbot asks for no user scopes, so there is normally nothing to clear. Returns the rows changed.
    """
    if not user_ids or not isinstance(store, SQLAlchemyInstallationStore):
        return 0
    c = store.installations.c
    statement = (
        update(store.installations)
        .where(
            and_(
                c.client_id == store.client_id,
                c.enterprise_id == enterprise_id,
                c.team_id == team_id,
                c.user_id.in_(user_ids),
                c.user_token.is_not(None),
            )
        )
        .values(user_token=None, user_refresh_token=None, user_token_expires_at=None, user_scopes=None)
    )
    with store.engine.begin() as conn:
        return int(conn.execute(statement).rowcount)
