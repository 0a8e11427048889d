"""Reminder settings, holds on single invoices, and what the sweep finds due: plain functions over the database."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from bot.db import Database
from bot.models import Client, Invoice, InvoiceReminderHold, ReminderSent, ReminderSettings, table_of, utcnow
from flows.reminders import summary_claims
from flows.reminders.rules import Rules, aware, due_date_window

_INVOICES = table_of(Invoice)
_HOLDS = table_of(InvoiceReminderHold)
_SENT = table_of(ReminderSent)
_SETTINGS = table_of(ReminderSettings)


@dataclass(frozen=True)
class SettingsForm:
    """The modal's validated result."""

    offsets: tuple[int, ...]
    email_client: bool
    tell_team: bool
    channel_id: str | None
    send_minute: int
    monthly_summary: bool = False  # last month's figures in channel_id on the 1st

    def to_json(self) -> str:
        return json.dumps(
            {
                "o": list(self.offsets),
                "e": self.email_client,
                "t": self.tell_team,
                "c": self.channel_id,
                "m": self.send_minute,
                "s": self.monthly_summary,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, raw: str) -> SettingsForm | None:
        try:
            data = json.loads(raw)
            return cls(
                tuple(int(o) for o in data["o"]),
                bool(data["e"]),
                bool(data["t"]),
                data["c"] if isinstance(data["c"], str) else None,
                int(data["m"]),
                bool(data.get("s", False)),
            )
        except (ValueError, KeyError, TypeError):
            return None


@dataclass(frozen=True)
class Due:
    """A reminder the sweep found due: this invoice, at this rule, since this moment."""

    team_id: str
    invoice_id: int
    rule: int
    due_at: datetime


# -- settings ----------------------------------------------------------------------------------------------


def load_settings(db: Database, team_id: str) -> ReminderSettings | None:
    with db.session() as session:
        return session.get(ReminderSettings, team_id)


def is_done(session: Session, team_id: str) -> bool:
    return session.get(ReminderSettings, team_id) is not None


def save_settings(
    db: Database, team_id: str, user_id: str, form: SettingsForm, *, timezone: str, locale: str
) -> ReminderSettings:
    """One row, written whole in one transaction: a failed save leaves the previous settings as they were."""
    now = utcnow()
    values: dict[str, Any] = {
        "offsets": json.dumps(list(form.offsets)),
        "email_client": form.email_client,
        "tell_team": form.tell_team,
        # The summary posts in the same channel, so it is kept for either.
        "channel_id": form.channel_id if form.tell_team or form.monthly_summary else None,
        "monthly_summary": form.monthly_summary,
        "send_minute": form.send_minute,
        "timezone": timezone,
        "locale": locale,
        "updated_by": user_id,
        "updated_at": now,
    }
    for attempt in range(2):
        try:
            with db.write_lock(), db.session() as session:
                row = session.get(ReminderSettings, team_id)
                was_on = row is not None and row.monthly_summary
                if row is None:
                    row = ReminderSettings(team_id=team_id, active_since=now, **values)
                    session.add(row)
                else:
                    for key, value in values.items():
                        setattr(row, key, value)
            if form.monthly_summary and not was_on:
                summary_claims.skip_passed_month(db, team_id, form.channel_id, timezone, form.send_minute, now)
            return row
        except IntegrityError:
            if attempt:  # another save created the row between our read and our insert: update it instead
                raise
    raise AssertionError("unreachable")


# -- holds on one invoice ------------------------------------------------------------------------------------


def hold(db: Database, team_id: str, invoice_id: int, user_id: str, *, stopped: bool | None = None,
         snoozed_until: date | None = None) -> Invoice | None:  # fmt: skip
    """Stop, resume or snooze one invoice's reminders; None when the invoice is not this workspace's."""
    with db.write_lock(), db.session() as session:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None or invoice.team_id != team_id:
            return None
        row = session.get(InvoiceReminderHold, invoice_id)
        if row is None:
            row = InvoiceReminderHold(invoice_id=invoice_id, team_id=team_id)
            session.add(row)
        if stopped is not None:
            row.stopped = stopped
        if snoozed_until is not None:
            row.snoozed_until = snoozed_until
        row.updated_by, row.updated_at = user_id, utcnow()
        return invoice


def load_invoice(
    db: Database, team_id: str, invoice_id: int
) -> tuple[Invoice, Client, InvoiceReminderHold | None] | None:
    with db.session() as session:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None or invoice.team_id != team_id:
            return None
        client = session.get(Client, invoice.client_id)
        if client is None:
            return None
        return invoice, client, session.get(InvoiceReminderHold, invoice_id)


def held(hold_row: InvoiceReminderHold | None, today: date) -> bool:
    if hold_row is None:
        return False
    return hold_row.stopped or (hold_row.snoozed_until is not None and today < hold_row.snoozed_until)


# -- what is due -----------------------------------------------------------------------------------------------


def all_rules(db: Database) -> dict[str, Rules]:
    with db.session() as session:
        rows = session.scalars(select(ReminderSettings)).all()
    found = {row.team_id: Rules.of(row) for row in rows}
    return {team: rules for team, rules in found.items() if rules.offsets}


def find_due(db: Database, now: datetime, rules_by_team: dict[str, Rules] | None = None) -> list[Due]:
    """Every reminder due at ``now`` and not claimed yet, across workspaces, from two indexed reads.

    Derived from the database alone (open invoices, their due dates, the rules, the claims), so a sweep
    after downtime finds what it missed, and a reminder whose next rule has come due is not among them.
    """
    rules_by_team = all_rules(db) if rules_by_team is None else rules_by_team
    window = due_date_window(list(rules_by_team.values()), now)
    if window is None:
        return []
    earliest, latest = window
    # The highest rule already claimed for each invoice, from the unique (invoice, rule) index: reminders
    # only move forward, so a rule at or below it is done (or was overtaken).
    last_claimed = select(func.max(_SENT.c.rule)).where(_SENT.c.invoice_id == _INVOICES.c.id).scalar_subquery()
    invoices = (
        select(
            _INVOICES.c.id,
            _INVOICES.c.team_id,
            _INVOICES.c.due_date,
            _HOLDS.c.stopped,
            _HOLDS.c.snoozed_until,
            last_claimed,
        )
        .select_from(_INVOICES.outerjoin(_HOLDS, _HOLDS.c.invoice_id == _INVOICES.c.id))
        .where(_INVOICES.c.status == "open", _INVOICES.c.due_date.between(earliest, latest))
    )
    last_days = {team: rules.last_day(now) for team, rules in rules_by_team.items()}
    found: list[Due] = []
    with db.engine.connect() as conn:
        # Streamed: the candidates are never all in memory at once.
        for invoice_id, team_id, due_date, stopped, snoozed_until, last in conn.execution_options(
            stream_results=True, yield_per=2000
        ).execute(invoices):
            rules = rules_by_team.get(team_id)
            if rules is None or stopped:
                continue
            rule = rules.rule_for(due_date, last_days[team_id])
            if rule is None or (last is not None and last >= rule):
                continue
            current = rules.current(due_date, now)
            if current is None:  # the last rule, past its window
                continue
            if snoozed_until is not None and rules.today(now) < snoozed_until:
                continue
            found.append(Due(team_id, invoice_id, rule, current[1]))
    return _owed(db, found, rules_by_team)


def _owed(db: Database, due: list[Due], rules_by_team: dict[str, Rules]) -> list[Due]:
    """Not before the invoice existed, nor before reminders were turned on: no reminder is owed for those."""
    if not due:
        return due
    created: dict[int, datetime] = {}
    with db.engine.connect() as conn:
        ids = [d.invoice_id for d in due]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            query = select(_INVOICES.c.id, _INVOICES.c.created_at).where(_INVOICES.c.id.in_(chunk))
            created.update((row_id, aware(at)) for row_id, at in conn.execute(query))
    return [d for d in due if d.due_at >= rules_by_team[d.team_id].active_since and d.due_at >= created[d.invoice_id]]


# -- what the App Home shows ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HomeLine:
    number: str
    client: str
    amount: int
    currency: str
    rule: int
    at: datetime


def upcoming(db: Database, team_id: str, now: datetime, limit: int = 5) -> list[HomeLine]:
    """The next reminders this workspace's open invoices will get, soonest first."""
    with db.session() as session:
        settings = session.get(ReminderSettings, team_id)
        if settings is None:
            return []
        rules = Rules.of(settings)
        rows = session.execute(
            select(Invoice, Client.name, InvoiceReminderHold.stopped)  # type: ignore[call-overload]
            .join(Client, Client.id == Invoice.client_id)
            .outerjoin(InvoiceReminderHold, InvoiceReminderHold.invoice_id == Invoice.id)
            .where(Invoice.team_id == team_id, Invoice.status == "open")
        ).all()
        ids = [invoice.id for invoice, _, _ in rows]
        done = (
            set(
                map(tuple, session.execute(select(_SENT.c.invoice_id, _SENT.c.rule).where(_SENT.c.invoice_id.in_(ids))))
            )
            if ids
            else set()
        )
    lines = []
    for invoice, client_name, stopped in rows:
        if stopped:
            continue
        # The next rule this invoice has not had yet (a sweep may already have sent one ahead of the clock).
        nxt = next(
            (
                (o, at)
                for o in rules.offsets
                if (at := rules.moment(invoice.due_date, o)) > now and (invoice.id, o) not in done
            ),
            None,
        )
        if nxt is not None:
            lines.append(
                HomeLine(
                    invoice.number,
                    client_name,
                    invoice.amount_remaining or invoice.total,
                    invoice.currency,
                    nxt[0],
                    nxt[1],
                )
            )
    return sorted(lines, key=lambda line: line.at)[:limit]


def recently_sent(db: Database, team_id: str, limit: int = 5) -> list[HomeLine]:
    with db.session() as session:
        rows = session.execute(
            select(ReminderSent, Invoice, Client.name)  # type: ignore[call-overload]
            .join(Invoice, Invoice.id == ReminderSent.invoice_id)
            .join(Client, Client.id == Invoice.client_id)
            .where(ReminderSent.team_id == team_id, ReminderSent.state == "sent")
            .order_by(col(ReminderSent.sent_at).desc(), col(ReminderSent.id).desc())
            .limit(limit)
        ).all()
    return [
        HomeLine(
            invoice.number,
            name,
            invoice.amount_remaining or invoice.total,
            invoice.currency,
            sent.rule,
            aware(sent.sent_at or sent.created_at),
        )
        for sent, invoice, name in rows
    ]
