"""The client record's and the catalogue's buttons carry ids typed back to us by Slack: a forged one reads as no
client (no job fails, no other client is opened); and without the invoices flow, "New invoice" says it is not
there instead of failing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import select

from bot.models import BillingSettings, Client, Service
from bot.sandbox.slack import SlackStandIn, Workspace, check_view
from bot.sandbox.stripe import StripeEmulator
from flows import clients
from flows import help as help_flow
from flows.clients import ids as f
from flows.help import ids as help_ids
from tests.conftest import ADMIN, SIGNING_SECRET, TEAM_ID, Billbot, app_env
from tests.harness.running_app import RunningApp
from tests.harness.slack_requests import SlackRequests
from tests.harness.views import filled_stack, filled_view

CHANNEL = "C_GENERAL"
# Too big for PostgreSQL's integer, Arabic-Indic and superscript digits, a sign, words, nothing.
FORGED = ["99999999999999999999", "١", "²", "-1", "+1", "x", ""]


def add_client(bb: Billbot, name: str = "Anne Martin") -> int:
    with bb.app.services.db.session() as session:
        row = Client(team_id=TEAM_ID, name=name, name_key=name.lower())
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def settle(bb: Billbot) -> None:
    bb.slack.wait_for(lambda: bb.app.services.work.counts() == {"pending": 0, "failed": 0})


def text_of(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def click(bb: Billbot, action_id: str, value: str) -> dict[str, Any]:
    """A button in a message; the modal it opened."""
    before = len(bb.slack.calls("views.open"))
    response = bb.requests.click(action_id, user=ADMIN, value=value, channel=CHANNEL, message_ts="1.000")
    assert response.status_code == 200
    bb.slack.wait_for(lambda: len(bb.slack.calls("views.open")) > before)
    view: dict[str, Any] = filled_view(bb.slack, bb.workspace, ADMIN)
    assert check_view(view) == []
    return view


@pytest.mark.parametrize("value", FORGED)
def test_a_forged_client_id_on_the_record_buttons_reads_as_no_client(billbot: Billbot, value: str) -> None:
    with billbot.app.services.db.session() as session:
        session.add(BillingSettings(team_id=TEAM_ID, currency="eur"))
    add_client(billbot)  # id 1: "١" must not open it
    for action_id in (f.NEW_INVOICE_ACTION, f.INVOICE_SESSIONS_ACTION, f.ADD_SESSION_ACTION):
        view = click(billbot, action_id, value)
        assert "This client no longer exists in this workspace." in text_of(view)
        assert "Anne Martin" not in json.dumps(view, ensure_ascii=False)
    billbot.requests.click(f.OPEN_RECORD_ACTION, user=ADMIN, value=value, channel=CHANNEL, message_ts="1.000")
    settle(billbot)
    assert billbot.workspace.ephemeral(CHANNEL, ADMIN) == []  # nothing to show, and no job failed


@pytest.mark.parametrize("value", ["99999999999999999999", "١", "²", "x"])
def test_a_forged_service_id_goes_back_to_the_list_saying_it_is_gone(billbot: Billbot, value: str) -> None:
    with billbot.app.services.db.session() as session:
        session.add(BillingSettings(team_id=TEAM_ID, currency="eur"))
        session.add(Service(team_id=TEAM_ID, name="Consultation", unit_amount=8000, currency="eur"))
    billbot.requests.command("/billing", "settings", user=ADMIN)
    settings = filled_view(billbot.slack, billbot.workspace, ADMIN)
    billbot.requests.click(f.SERVICES_OPEN_ACTION, user=ADMIN, value="open", view=settings)
    catalog = filled_stack(billbot.slack, billbot.workspace, ADMIN, depth=2)
    catalog = catalog[-1]
    for action_id in (f.SERVICE_EDIT_ACTION, f.SERVICE_ARCHIVE_ACTION):
        billbot.requests.click(action_id, user=ADMIN, value=value, view=catalog)
        gone = billbot.slack.wait_for(
            lambda: "archived meanwhile" in text_of(v := billbot.workspace.view(catalog["id"])) and v
        )
        assert gone["callback_id"] == f.SERVICES_CALLBACK
        billbot.requests.click(f.SERVICES_BACK_ACTION, user=ADMIN, value="back", view=catalog)
        billbot.slack.wait_for(lambda: "archived meanwhile" not in text_of(billbot.workspace.view(catalog["id"])))
    settle(billbot)
    with billbot.app.services.db.session() as session:
        assert [s.active for s in session.exec(select(Service))] == [True]


@pytest.fixture
def without_invoices(
    slack: SlackStandIn, workspace: Workspace, database_url: str, stripe_emulator: StripeEmulator
) -> Iterator[Billbot]:
    """An app with the clients and help flows but not the invoices flow: no one provides the invoice modal."""
    app = RunningApp(app_env(slack, database_url), flows=[clients.register, help_flow.register]).start()
    requests = SlackRequests(app.url, SIGNING_SECRET, slack, TEAM_ID)
    assert app.services.invoice_modal is None
    yield Billbot(app=app, slack=slack, workspace=workspace, requests=requests, stripe=stripe_emulator)
    requests.close()
    app.stop()


def test_without_the_invoices_flow_new_invoice_says_it_is_not_there(without_invoices: Billbot) -> None:
    bb = without_invoices
    client_id = add_client(bb)
    for action_id in (f.NEW_INVOICE_ACTION, f.INVOICE_SESSIONS_ACTION):
        view = click(bb, action_id, str(client_id))
        assert "*New invoice* is coming soon to Billbot." in text_of(view)
    # A help answer's "New invoice" button too.
    view = click(bb, help_ids.OPEN_INVOICE_ACTION, "open")
    assert "*New invoice* is coming soon to Billbot." in text_of(view)
    settle(bb)
