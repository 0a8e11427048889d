"""Clients' records a person has open, remembered so that they can be redrawn when their state changes.

A record is an ephemeral message: only its response_url reaches it again. The record's "Invoice uninvoiced
sessions" button leaves it open behind the invoice modal; once those sessions are invoiced (the invoices flow
runs ``services.on_sessions_invoiced``), the record is drawn again in place instead of still offering them.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import col, select

from bot.db import Database
from bot.models import Appointment, ClientRecordShown, utcnow

# Slack keeps a response_url working for 30 minutes.
RESPONSE_URL_LIFETIME = timedelta(minutes=30)


def remember(db: Database, team_id: str, user_id: str, client_id: int, response_url: str) -> None:
    """The record of ``client_id`` that ``user_id`` clicked from answers at ``response_url`` (the latest wins)."""
    with db.session() as session:
        # Rows of expired response_urls are of no use: dropped as new ones come.
        session.execute(
            delete(ClientRecordShown).where(col(ClientRecordShown.shown_at) < utcnow() - RESPONSE_URL_LIFETIME)
        )
        row = session.get(ClientRecordShown, (team_id, user_id, client_id))
        if row is None:
            session.add(
                ClientRecordShown(team_id=team_id, user_id=user_id, client_id=client_id, response_url=response_url)
            )
        else:
            row.response_url = response_url
            row.shown_at = utcnow()
            session.add(row)


def shown_for_sessions(
    db: Database, team_id: str, user_id: str, appointment_ids: tuple[int, ...]
) -> list[tuple[int, str]]:
    """(client id, response_url) of the records ``user_id`` has open for the clients of these sessions."""
    if not appointment_ids:
        return []
    with db.session() as session:
        clients = select(Appointment.client_id).where(
            col(Appointment.id).in_(appointment_ids), col(Appointment.team_id) == team_id
        )
        query = select(ClientRecordShown).where(
            col(ClientRecordShown.team_id) == team_id,
            col(ClientRecordShown.user_id) == user_id,
            col(ClientRecordShown.client_id).in_(clients),
            col(ClientRecordShown.shown_at) >= utcnow() - RESPONSE_URL_LIFETIME,
        )
        return [(row.client_id, row.response_url) for row in session.exec(query).all()]
