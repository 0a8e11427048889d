"""The client form's postal code: its label and the rule agree, per country (issue 20). Choosing a country whose
addresses need one redraws the field as required (no "(optional)", a hint saying why) keeping what was typed;
a US client without one gets an error under the field in the same words; a country that needs none saves."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from bot.sandbox.slack import check_view
from flows.clients import ids as f
from tests.conftest import ADMIN, FRENCH_USER, TEAM_ID, Billbot
from tests.flows.clients.test_clients import client_values, db_clients, let_members_see_clients, open_new_client_modal

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
    """The person picks the country in the form (the select dispatches); the modal as redrawn."""
    state = values[f.COUNTRY][f.COUNTRY]
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "practice"},
        "user": {"id": user, "team_id": TEAM_ID},
        "api_app_id": "A_BILLBOT",
        "trigger_id": bb.slack.issue_trigger_id(TEAM_ID, user),
        "container": {"type": "view", "view_id": view["id"]},
        "view": {**view, "state": {"values": values}},
        "actions": [{"action_id": f.COUNTRY, "block_id": f.COUNTRY, **state, "action_ts": f"{time.time():.6f}"}],
    }
    assert bb.requests.interact(payload).status_code == 200
    updated: dict[str, Any] = bb.slack.wait_for(
        lambda: (v := bb.workspace.view(view["id"]))["hash"] != view["hash"] and v, timeout=30
    )
    assert check_view(updated) == []
    return updated


@pytest.mark.parametrize("user", [ADMIN, FRENCH_USER])
def test_a_us_address_asks_for_its_postal_code_in_the_label_and_the_error_alike(billbot: Billbot, user: str) -> None:
    hint, error = CASES[user]
    let_members_see_clients(billbot)
    view = open_new_client_modal(billbot, user=user)
    assert block(view, f.POSTAL_CODE).get("optional") is True  # no country yet: the address is optional
    assert block(view, f.COUNTRY).get("dispatch_action") is True
    values = client_values(name="Ann Lee", line1="1 Main St", city="Springfield", country="US")
    redrawn = choose_country(billbot, view, values, user)
    postal = block(redrawn, f.POSTAL_CODE)
    assert "optional" not in postal and postal["hint"]["text"] == hint  # required, and the label says so
    assert redrawn["callback_id"] == view["callback_id"] and redrawn["private_metadata"] == view["private_metadata"]
    # Every block keeps its id (and its element's action id): Slack keeps what was typed in each.
    assert [(b.get("block_id"), (b.get("element") or {}).get("action_id")) for b in redrawn["blocks"]] == [
        (b.get("block_id"), (b.get("element") or {}).get("action_id")) for b in view["blocks"]
    ]

    answer = billbot.requests.submit(redrawn, values, user=user)
    assert answer.json() == {"response_action": "errors", "errors": {f.POSTAL_CODE: error}}
    assert db_clients(billbot) == []


@pytest.mark.parametrize("user", [ADMIN, FRENCH_USER])
def test_a_country_that_needs_no_postal_code_keeps_it_optional_and_saves(billbot: Billbot, user: str) -> None:
    let_members_see_clients(billbot)
    view = open_new_client_modal(billbot, user=user)
    values = client_values(name="Aoife Byrne", line1="1 Main St", city="Galway", country="IE")
    redrawn = choose_country(billbot, view, values, user)
    postal = block(redrawn, f.POSTAL_CODE)
    assert postal.get("optional") is True and "hint" not in postal
    answer = billbot.requests.submit(redrawn, values, user=user)
    assert answer.status_code == 200 and "errors" not in answer.text
    [saved] = billbot.slack.wait_for(lambda: db_clients(billbot), timeout=30)
    assert (saved.country, saved.postal_code) == ("IE", None)
    assert json.dumps(saved.name) == '"Aoife Byrne"'
