"""Connecting an existing Stripe account by OAuth redraws the set-up modal the person connected from (it no longer
says "Not connected yet") and re-publishes their App Home (issue 20, stale screens)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bot.models import BillingSettings
from tests.conftest import ADMIN, FRENCH_USER, TEAM_ID, Billbot
from tests.flows.stripe_setup.test_stripe_setup import (
    authorize,
    buttons,
    links,
    on_app,
    open_setup,
    texts,
    wait_for_view,
)

CASES = {
    ADMIN: ("Not connected yet", "*Connected.*", "Your Stripe account is connected"),
    FRENCH_USER: ("Pas encore connecté", "*Connecté.*", "Votre compte Stripe est connecté"),
}


def make_french_user_a_billing_admin(bb: Billbot) -> None:
    bb.workspace.add_usergroup("S0BILLING", "facturation", users=[FRENCH_USER])
    with bb.app.services.db.session() as session:
        session.add(BillingSettings(team_id=TEAM_ID, currency="eur", billing_admin_group="S0BILLING"))


def state_of(bb: Billbot, view: dict[str, Any]) -> Any:
    """The OAuth state the modal's "Connect my existing Stripe account" link carries, as the callback reads it."""
    query = parse_qs(urlsplit(buttons(view)["stripe_setup_oauth"]["url"]).query)
    return links(bb).read_oauth_state(query["state"][0])


def updates_of(bb: Billbot, view_id: str) -> list[dict[str, Any]]:
    return [c.args for c in bb.slack.calls("views.update") if c.ok and c.args.get("view_id") == view_id]


@pytest.mark.parametrize("user", [ADMIN, FRENCH_USER])
def test_the_open_set_up_modal_shows_the_account_connected_by_oauth(billbot: Billbot, user: str) -> None:
    not_yet, connected, page_title = CASES[user]
    if user == FRENCH_USER:
        make_french_user_a_billing_admin(billbot)
    modal = open_setup(billbot, user)
    assert not_yet in texts(modal)
    # The OAuth link as the modal ends up showing it (it names the view once Slack gave it an id).
    modal = wait_for_view(billbot, lambda v: "stripe_setup_oauth" in buttons(v) and state_of(billbot, v).view_id, user)
    assert state_of(billbot, modal).view_id == modal["id"]
    view_id = modal["id"]
    before = len(updates_of(billbot, view_id))
    publishes = len([c for c in billbot.slack.calls("views.publish") if c.args.get("user_id") == user])

    callback = authorize(billbot, buttons(modal)["stripe_setup_oauth"]["url"])
    page = httpx.get(on_app(billbot, callback), timeout=10)
    assert page.status_code == 200 and page_title in page.text

    update = billbot.slack.wait_for(lambda: updates_of(billbot, view_id)[before:], timeout=30)[-1]
    shown = json.loads(update["view"]) if isinstance(update["view"], str) else update["view"]
    assert connected in texts(shown) and not_yet not in texts(shown)
    assert "stripe_setup_oauth" not in buttons(shown) and "stripe_setup_disconnect" in buttons(shown)
    current = billbot.workspace.views(user)[-1]
    assert current["id"] == view_id and not_yet not in texts(current)
    billbot.slack.wait_for(
        lambda: len([c for c in billbot.slack.calls("views.publish") if c.args.get("user_id") == user]) > publishes
    )  # the App Home's checklist too
