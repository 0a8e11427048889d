"""A member who may not change the set-up steps sees where each stands without "Edit" / "Modifier" buttons that only
lead to a refusal, and whom to ask; a billing admin keeps the buttons (issue 20), in the hub and the App Home."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.checklist import OPEN_STEP_ACTION
from bot.models import BillingSettings
from bot.sandbox.slack import check_view
from tests.conftest import ADMIN, FRENCH_USER, MEMBER, TEAM_ID, Billbot
from tests.harness.views import filled_view

NOTE = {
    "en": "Only workspace admins and owners, or members of the billing admins group, can change these steps",
    "fr": "Seuls les administrateurs et propriétaires de l’espace de travail, ou les membres du groupe des "
    "administrateurs de la facturation, peuvent modifier ces étapes",
}


def step_buttons(view: dict[str, Any]) -> list[str]:
    return [
        str(b["accessory"]["text"]["text"])
        for b in view["blocks"]
        if (b.get("accessory") or {}).get("action_id") == OPEN_STEP_ACTION
    ]


def some_steps_done(bb: Billbot) -> None:
    with bb.app.services.db.session() as session:  # "Billing settings" done: its button would say Edit / Modifier
        session.add(
            BillingSettings(team_id=TEAM_ID, currency="eur", address_line1="1 rue X", city="Paris", country="FR")
        )


def french_admin(bb: Billbot) -> None:
    bb.workspace.add_usergroup("S0BILLING", handle="facturation", users=[FRENCH_USER])
    with bb.app.services.db.session() as session:
        row = session.get(BillingSettings, TEAM_ID)
        assert row is not None
        row.billing_admin_group = "S0BILLING"
        session.add(row)


@pytest.mark.parametrize(("user", "locale"), [(MEMBER, "en"), (FRENCH_USER, "fr")])
def test_a_member_sees_the_checklist_without_buttons_in_the_hub_and_the_app_home(
    billbot: Billbot, user: str, locale: str
) -> None:
    some_steps_done(billbot)
    billbot.requests.command("/billing", user=user)
    hub = filled_view(billbot.slack, billbot.workspace, user)
    assert check_view(hub) == []
    assert step_buttons(hub) == []
    text = json.dumps(hub["blocks"], ensure_ascii=False)
    assert NOTE[locale] in text and ("Billing settings" if locale == "en" else "Paramètres de facturation") in text

    billbot.requests.event({"type": "app_home_opened", "user": user, "channel": "D0X", "tab": "home"})
    home = billbot.slack.wait_for(lambda: billbot.workspace.home(user), timeout=30)
    assert step_buttons(home) == [] and NOTE[locale] in json.dumps(home["blocks"], ensure_ascii=False)


@pytest.mark.parametrize(("user", "locale"), [(ADMIN, "en"), (FRENCH_USER, "fr")])
def test_a_billing_admin_keeps_the_buttons(billbot: Billbot, user: str, locale: str) -> None:
    some_steps_done(billbot)
    if user == FRENCH_USER:
        french_admin(billbot)
    billbot.requests.command("/billing", user=user)
    hub = filled_view(billbot.slack, billbot.workspace, user)
    edit = "Edit" if locale == "en" else "Modifier"
    assert edit in step_buttons(hub) and len(step_buttons(hub)) == 4
    assert NOTE[locale] not in json.dumps(hub["blocks"], ensure_ascii=False)
    billbot.requests.event({"type": "app_home_opened", "user": user, "channel": "D0X", "tab": "home"})
    home = billbot.slack.wait_for(lambda: billbot.workspace.home(user), timeout=30)
    assert len(step_buttons(home)) == 4
