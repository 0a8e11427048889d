"""A practice whose calendar has matched sessions, and the session-end prompt's DM as Slack shows it.

The rows are the ones the sync writes (a feed, an event per occurrence, its session as an Appointment of source
"calendar"); the prompt's own tests put them there directly so that each end time, state and flag is exactly the
one a test wants (tests/flows/calendar/prompt/test_connected.py has one connected through the sync itself).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.models import (
    Appointment,
    BillingSettings,
    CalendarEvent,
    CalendarFeed,
    Client,
    Invoice,
    InvoicePayment,
    Service,
)
from bot.sandbox.slack.records import Message
from flows.calendar.prompt import ids
from flows.clients.logic import fold_name
from tests.conftest import MEMBER, TEAM_ID, Billbot
from tests.flows.invoices.test_payments import connect, stripe_api

NAME = "Élodie Martin"
EMAIL = "elodie@example.com"
TITLE = "Séance Élodie — suivi anxiété"  # the event's title: health details, never in the DM
# The session ended at 10:50 in Paris; the tests' sweeps run at moments around it.
ENDS = datetime(2026, 12, 3, 9, 50, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


@dataclass
class Practice:
    bb: Billbot
    account: str
    service_id: int
    no_show_id: int
    client_id: int
    feed_id: int
    user: str

    @property
    def db(self) -> Any:
        return self.bb.app.services.db


def practice(
    bb: Billbot,
    *,
    user: str = MEMBER,
    locale: str = "en",
    card: str | None = None,
    no_show: bool = False,
    prompt_on: bool = True,
    delay: int = 5,
) -> Practice:
    """A connected practice (euros), a Consultation at €80.00, a client with an email, the practitioner's feed."""
    account = connect(bb)
    services = bb.app.services
    with services.db.session() as session:
        session.add(BillingSettings(team_id=TEAM_ID, currency="eur"))
        service = Service(team_id=TEAM_ID, name="Consultation", unit_amount=8000, currency="eur")
        fee = Service(team_id=TEAM_ID, name="No-show fee", unit_amount=4000, currency="eur")
        client = Client(team_id=TEAM_ID, name=NAME, name_key=fold_name(NAME), email=EMAIL, created_by=user)
        session.add_all([service, fee, client])
        session.flush()
        ids_ = (service.id, fee.id, client.id)
    service_id, fee_id, client_id = (int(i or 0) for i in ids_)
    if card:
        # The client's Stripe customer on this account, with the card they saved through Add payment method.
        customer = services.stripe.create_customer(
            account, name=NAME, email=EMAIL, metadata={}, idempotency_key=f"test-customer-{client_id}"
        )
        with services.db.session() as session:
            row = session.get(Client, client_id)
            assert row is not None
            row.stripe_customer_id, row.stripe_account_id = str(customer["id"]), account
            row.default_payment_method = card
            session.add(row)
    with services.db.session() as session:
        feed = CalendarFeed(
            team_id=TEAM_ID, user_id=user, url=f"https://cal.example.com/{user}.ics", timezone="Europe/Paris",
            locale=locale, prompt_on_end=prompt_on, prompt_delay_minutes=delay, default_service_id=service_id,
            no_show_service_id=fee_id if no_show else None,
        )  # fmt: skip
        session.add(feed)
        session.flush()
        feed_id = int(feed.id or 0)
    return Practice(bb, account, service_id, fee_id, client_id, feed_id, user)


def session_at(scene: Practice, ends: datetime = ENDS, *, matched: bool = True, status: str = "confirmed",
               uid: str | None = None) -> int:  # fmt: skip
    """A 50-minute session of the feed ending at ``ends``; its event's id. Unmatched: no client, no session."""
    starts = ends - timedelta(minutes=50)
    with scene.db.session() as session:
        appointment_id = None
        if matched:
            appointment = Appointment(
                team_id=TEAM_ID, client_id=scene.client_id, held_on=starts.astimezone(PARIS).date(),
                service_id=scene.service_id, description="Consultation", duration_minutes=50, source="calendar",
                starts_at=starts, practitioner_id=scene.user,
            )  # fmt: skip
            session.add(appointment)
            session.flush()
            appointment_id = appointment.id
        event = CalendarEvent(
            team_id=TEAM_ID, feed_id=scene.feed_id, uid=uid or f"evt-{time.time_ns()}", starts_at=starts, ends_at=ends,
            summary=TITLE, status=status, client_id=scene.client_id if matched else None,
            service_id=scene.service_id if matched else None, matched_by="email" if matched else None,
            appointment_id=appointment_id,
        )  # fmt: skip
        session.add(event)
        session.flush()
        return int(event.id or 0)


# -- the sweep and what it posted ----------------------------------------------------------------------------


def sweeper(bb: Billbot) -> Any:
    """The calendar_prompts job the scheduler runs (taking an optional ``now``)."""
    return next(job for job in bb.app.services.jobs if job.name == "calendar_prompts").run


def prompts(bb: Billbot, user: str = MEMBER) -> list[Message]:
    """The prompts in the practitioner's DM, as they stand now (updated in place)."""
    return [m for m in bb.workspace.dm(user) if any(b.get("block_id") == ids.TITLE_BLOCK for b in m.blocks or [])]


def the_prompt(bb: Billbot, user: str = MEMBER) -> Message:
    found = bb.slack.wait_for(lambda: prompts(bb, user))
    assert len(found) == 1, [m.text for m in found]
    return bb.workspace.message(found[0].channel, found[0].ts)


def shown(message: Message) -> str:
    return json.dumps(message.blocks, ensure_ascii=False) + (message.text or "")


def buttons(message: Message) -> dict[str, str]:
    """action_id → label of the message's buttons."""
    return {
        e["action_id"]: e["text"]["text"] for b in message.blocks or [] if b["type"] == "actions" for e in b["elements"]
    }


def event_row(scene: Practice, event_id: int) -> CalendarEvent:
    with scene.db.session() as session:
        found = session.get(CalendarEvent, event_id)
    assert found is not None
    return found


# -- pressing its buttons ------------------------------------------------------------------------------------


def press(bb: Billbot, message: Message, action_id: str, user: str = MEMBER, *, retry_num: int | None = None,
          action_ts: str | None = None) -> dict[str, Any]:  # fmt: skip
    """A button of the prompt, as Slack sends it (signed, with the message it is in); the payload sent."""
    value = next(e["value"] for b in message.blocks or [] if b["type"] == "actions" for e in b["elements"])
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "practice"},
        "user": {"id": user, "team_id": TEAM_ID},
        "api_app_id": "A_BILLBOT",
        "trigger_id": bb.slack.issue_trigger_id(TEAM_ID, user),
        "container": {"type": "message", "channel_id": message.channel, "message_ts": message.ts},
        "channel": {"id": message.channel},
        "message": {"ts": message.ts, "text": message.text, "blocks": message.blocks},
        "response_url": bb.slack.issue_response_url(TEAM_ID, message.channel, user, original_ts=message.ts),
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": ids.ACTIONS_BLOCK,
                "value": value,
                "text": {"type": "plain_text", "text": action_id},
                "action_ts": action_ts or f"{time.time():.6f}",
            }
        ],
    }
    send_again(bb, payload, retry_num=retry_num)
    return payload


def send_again(bb: Billbot, payload: dict[str, Any], *, retry_num: int | None = None) -> None:
    """The same click again; with ``retry_num``, as Slack re-sends a request it thinks went unanswered."""
    from urllib.parse import urlencode

    body = urlencode({"payload": json.dumps(payload)}).encode()
    headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"} if retry_num else None
    response = bb.requests.post(body, "application/x-www-form-urlencoded", headers=headers)
    assert response.status_code == 200, response.text


def outcome(bb: Billbot, message: Message, words: str, timeout: float = 20) -> Message:
    """The prompt once chat.update'd to an outcome containing ``words``."""
    return bb.slack.wait_for(
        lambda: words in shown(m := bb.workspace.message(message.channel, message.ts)) and m, timeout=timeout
    )


# -- what was made -------------------------------------------------------------------------------------------


def invoices(scene: Practice) -> list[Invoice]:
    with scene.db.session() as session:
        return list(session.exec(select(Invoice).order_by(Invoice.id)))  # type: ignore[arg-type]


def payments(scene: Practice) -> list[InvoicePayment]:
    with scene.db.session() as session:
        return list(session.exec(select(InvoicePayment)))


def stripe_invoices(scene: Practice) -> list[Any]:
    api = stripe_api(scene.bb)
    return list(api.v1.invoices.list({"limit": 100}, {"stripe_account": scene.account}).data)  # type: ignore[arg-type]


def appointment_of(scene: Practice, event_id: int) -> Appointment:
    with scene.db.session() as session:
        event = session.get(CalendarEvent, event_id)
        found = session.get(Appointment, event.appointment_id) if event and event.appointment_id else None
    assert found is not None
    return found
