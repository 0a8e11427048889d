"""Who may do and see what: billing admins (workspace admins and owners, or the billing-admin group) change
how the practice gets paid; what else a member may read of the practice's data follows its privacy settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

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


class MadeBy(Protocol):
    """An invoice, or anything else that records the member who made it."""

    created_by: str | None


@dataclass(frozen=True)
class Privacy:
    """The practice's privacy settings (see BillingSettings); the defaults are the private ones."""

    members_see_client_details: bool = False
    full_channel_cards: bool = False


def privacy(db: Database, team_id: str) -> Privacy:
    with db.session() as session:
        row = session.get(BillingSettings, team_id)
    if row is None:
        return Privacy()
    return Privacy(row.members_see_client_details, row.full_channel_cards)


@dataclass(frozen=True)
class Access:
    """What one member may read of the practice's data, decided once per request."""

    user_id: str
    billing_admin: bool
    privacy: Privacy

    @property
    def client_details(self) -> bool:
        """Clients' names, emails, phones and balances, and invoices' lines: admins, or everyone if widened."""
        return self.billing_admin or self.privacy.members_see_client_details

    def invoice_details(self, invoice: MadeBy) -> bool:
        """One invoice's client name and lines: its creator too, who typed them."""
        return self.client_details or self.made(invoice)

    def private_notes(self, invoice: MadeBy) -> bool:
        """The memo and session notes: the creator and billing admins only, whatever the settings say."""
        return self.billing_admin or self.made(invoice)

    def made(self, invoice: MadeBy) -> bool:
        return invoice.created_by is not None and invoice.created_by == self.user_id


def access(db: Database, client: WebClient, team_id: str, user_id: str) -> Access:
    return Access(user_id, is_billing_admin(db, client, team_id, user_id), privacy(db, team_id))
