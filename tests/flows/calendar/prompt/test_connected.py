"""The prompt on a calendar connected through the sync itself (an uploaded .ics): the event matched by its
attendee's email becomes the session the prompt invoices, and a re-sync of the same feed prompts nothing again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.models import BillingSettings, Client, Service
from flows.calendar.prompt import ids
from flows.calendar.sync.apply import connect_feed, sync_feed
from flows.clients.logic import fold_name
from tests.conftest import MEMBER, TEAM_ID, Billbot
from tests.flows.calendar.ics import calendar, event
from tests.flows.calendar.prompt.scene import (
    EMAIL,
    NAME,
    Practice,
    appointment_of,
    event_row,
    invoices,
    outcome,
    press,
    prompts,
    shown,
    sweeper,
    the_prompt,
)
from tests.flows.invoices.test_payments import connect, settle


def connected(bb: Billbot, body: bytes) -> Practice:
    """A connected practice whose practitioner uploaded ``body`` in `/billing calendar`, the prompt on."""
    services = bb.app.services
    account = connect(bb)
    with services.db.session() as session:
        session.add(BillingSettings(team_id=TEAM_ID, currency="eur"))
        service = Service(team_id=TEAM_ID, name="Consultation", unit_amount=8000, currency="eur")
        client = Client(team_id=TEAM_ID, name=NAME, name_key=fold_name(NAME), email=EMAIL, created_by=MEMBER)
        session.add_all([service, client])
        session.flush()
        service_id, client_id = int(service.id or 0), int(client.id or 0)
    feed_id, result = connect_feed(
        services, team_id=TEAM_ID, user_id=MEMBER, url=None, body=body, timezone="Europe/Paris", locale="en",
        default_service_id=service_id, prompt_on_end=True, prompt_delay_minutes=5,
    )  # fmt: skip
    assert result.added == 1 and result.to_sort == 0
    return Practice(bb, account, service_id, 0, client_id, feed_id, MEMBER)


def test_a_synced_session_is_prompted_once_and_invoiced_from_the_prompt(billbot: Billbot) -> None:
    bb = billbot
    ended = (datetime.now(UTC) - timedelta(minutes=20)).replace(second=0, microsecond=0)
    body = calendar(event("s1", start=ended - timedelta(minutes=50), summary="Bilan — dossier", attendees=[EMAIL]))
    scene = connected(bb, body)

    sweeper(bb)()  # the scheduler's run, at the real time
    dm = the_prompt(bb)
    assert "Bilan" not in shown(dm) and "dossier" not in shown(dm)
    event_id = int(next(e["value"] for b in dm.blocks or [] if b["type"] == "actions" for e in b["elements"]))
    sync_feed(bb.app.services, scene.feed_id, body=body)  # the same feed read again: no second prompt
    sweeper(bb)()
    assert len(prompts(bb)) == 1 and event_row(scene, event_id).prompt_state == "sent"

    press(bb, dm, ids.SEND_ACTION)
    outcome(bb, dm, "sent to")
    settle(bb)
    [invoice] = invoices(scene)
    session = appointment_of(scene, event_id)
    assert (session.source, session.practitioner_id, session.invoice_id) == ("calendar", MEMBER, invoice.id)
