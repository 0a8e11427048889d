"""The practice's postal code in /billing settings: its label and the rule agree, per country (issue 20). Choosing
a country whose addresses need one redraws the field as required, keeping every block's id (Slack keeps what was
typed); saving without it says so in the same words; a country that needs none saves without one."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.models import BillingSettings
from bot.sandbox.slack import check_view
from flows.billing_settings import ids
from tests.conftest import ADMIN, FRENCH_USER, TEAM_ID, Billbot
from tests.flows.billing_settings.test_billing_settings import db_settings, open_settings, save, settings_values

CASES = {
    ADMIN: (
        "Required for an address in United States.",
        "Enter the postal code: it is required for an address in United States.",
    ),
    FRENCH_USER: (
        "Obligatoire pour une adresse dans ce pays (États-Unis).",
        "Indiquez le code postal : il est obligatoire pour une adresse dans ce pays (États-Unis).",
    ),
}


def block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def choose_country(bb: Billbot, view: dict[str, Any], values: dict[str, Any], user: str) -> dict[str, Any]:
    state = values[ids.COUNTRY][ids.COUNTRY]
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "practice"},
        "user": {"id": user, "team_id": TEAM_ID},
        "api_app_id": "A_BILLBOT",
        "trigger_id": bb.slack.issue_trigger_id(TEAM_ID, user),
        "container": {"type": "view", "view_id": view["id"]},
        "view": {**view, "state": {"values": values}},
        "actions": [{"action_id": ids.COUNTRY, "block_id": ids.COUNTRY, **state, "action_ts": f"{time.time():.6f}"}],
    }
    assert bb.requests.interact(payload).status_code == 200
    updated: dict[str, Any] = bb.slack.wait_for(
        lambda: (v := bb.workspace.view(view["id"]))["hash"] != view["hash"] and v, timeout=30
    )
    assert check_view(updated) == []
    return updated


def as_user(bb: Billbot, user: str) -> None:
    if user == FRENCH_USER:  # a member of the billing admins group
        bb.workspace.add_usergroup("S0BILLING", handle="facturation", users=[FRENCH_USER])
        with bb.app.services.db.session() as session:
            session.add(BillingSettings(team_id=TEAM_ID, currency="eur", billing_admin_group="S0BILLING"))


@pytest.mark.parametrize("user", [ADMIN, FRENCH_USER])
def test_a_us_practice_address_asks_for_its_postal_code_in_the_label_and_the_error_alike(
    billbot: Billbot, user: str
) -> None:
    hint, error = CASES[user]
    as_user(billbot, user)
    view = open_settings(billbot, user)
    assert block(view, ids.COUNTRY).get("dispatch_action") is True
    values = settings_values(line1="1 Main St", city="Springfield", postal_code=None, country="US")
    redrawn = choose_country(billbot, view, values, user)
    postal = block(redrawn, ids.POSTAL_CODE)
    assert "optional" not in postal and postal["hint"]["text"] == hint
    assert [b.get("block_id") for b in redrawn["blocks"]] == [b.get("block_id") for b in view["blocks"]]
    assert save(billbot, redrawn, values, user=user) == {
        "response_action": "errors",
        "errors": {ids.POSTAL_CODE: error},
    }


@pytest.mark.parametrize("user", [ADMIN, FRENCH_USER])
def test_a_country_that_needs_no_postal_code_keeps_it_optional_and_saves(billbot: Billbot, user: str) -> None:
    as_user(billbot, user)
    view = open_settings(billbot, user)
    values = settings_values(line1="1 Main St", city="Galway", postal_code=None, country="IE")
    redrawn = choose_country(billbot, view, values, user)
    postal = block(redrawn, ids.POSTAL_CODE)
    assert postal.get("optional") is True and "hint" not in postal
    assert save(billbot, redrawn, values, user=user).get("response_action") == "update"  # the saving notice
    saved = billbot.slack.wait_for(lambda: (row := db_settings(billbot)) and row.city == "Galway" and row, timeout=30)
    assert (saved.country, saved.postal_code) == ("IE", None)
