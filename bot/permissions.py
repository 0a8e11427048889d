"""Who may change how the practice gets paid: workspace admins and owners, or its billing-admin group."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.db import Database
from bot.models import BillingSettings
from bot.slack_users import member

log = logging.getLogger(__name__)


def is_billing_admin(db: Database, client: WebClient, team_id: str, user_id: str) -> bool:
    profile = member(db, client, team_id, user_id)
    if profile.is_admin or profile.is_owner:
        return True
    with db.session() as session:
        settings = session.get(BillingSettings, team_id)
        group = settings.billing_admin_group if settings else None
    if not group:
        return False
    try:
        users = client.usergroups_users_list(usergroup=group).get("users") or []
    except SlackApiError as exc:
        # A deleted group, or one the bot cannot read, grants nobody anything.
        log.warning("usergroups.users.list failed for %s: %s", group, exc.response.get("error"))
        return False
    return user_id in users
