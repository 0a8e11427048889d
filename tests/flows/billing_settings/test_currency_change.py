"""Switching the practice's currency converts no price (prices are per currency): the saved notice says how many
services have no price in the new currency yet, with a button to the catalogue where they are set (issue 20)."""

from __future__ import annotations

import pytest

from bot.models import BillingSettings, Service
from flows.billing_settings import ids
from flows.clients import SERVICES_OPEN_ACTION
from tests.conftest import ADMIN, FRENCH_USER, TEAM_ID, Billbot
from tests.flows.billing_settings.test_billing_settings import open_settings, save, settings_values, view_text
from tests.harness.views import filled_stack

CASES = {
    ADMIN: (
        "Prices are not converted: 3 services are still priced in USD, so they have no EUR price yet.",
        "Prices are not converted: 1 service is still priced in USD, so it has no EUR price yet.",
        "no EUR price yet",
    ),
    FRENCH_USER: (
        "Les prix ne sont pas convertis : 3 prestations ont encore leur prix en USD, elles n’ont donc pas encore "
        "de prix en EUR.",
        "Les prix ne sont pas convertis : 1 prestation a encore son prix en USD, elle n’a donc pas encore de prix "
        "en EUR.",
        "pas encore de prix en EUR",
    ),
}


def practice_in_usd(bb: Billbot, services: int) -> None:
    bb.workspace.add_usergroup("S0BILLING", handle="facturation", users=[FRENCH_USER])
    with bb.app.services.db.session() as session:
        session.add(BillingSettings(team_id=TEAM_ID, currency="usd", billing_admin_group="S0BILLING"))
        for number in range(services):
            session.add(Service(team_id=TEAM_ID, name=f"Session {number}", unit_amount=8000, currency="usd"))
        session.add(Service(team_id=TEAM_ID, name="Old", unit_amount=1, currency="usd", active=False))


def saved_notice(bb: Billbot, view_id: str, needle: str) -> dict:  # type: ignore[type-arg]
    return bb.slack.wait_for(lambda: needle in view_text(v := bb.workspace.view(view_id)) and v, timeout=30)


@pytest.mark.parametrize("user", [ADMIN, FRENCH_USER])
@pytest.mark.parametrize("services", [3, 1])
def test_switching_to_eur_says_which_prices_are_missing_with_the_way_to_set_them(
    billbot: Billbot, user: str, services: int
) -> None:
    several, one, catalogue_note = CASES[user]
    expected = several if services == 3 else one
    practice_in_usd(billbot, services)
    view = open_settings(billbot, user)
    save(billbot, view, settings_values(currency="eur"), user=user)
    notice = saved_notice(billbot, view["id"], expected)
    [button] = [e for b in notice["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert button["action_id"] == SERVICES_OPEN_ACTION

    billbot.requests.click(SERVICES_OPEN_ACTION, user=user, value="open", view=notice)
    catalogue = filled_stack(billbot.slack, billbot.workspace, user, depth=2)[-1]
    assert view_text(catalogue).count(catalogue_note) == services  # each service says it has no EUR price


def test_a_save_that_leaves_every_price_in_the_currency_says_nothing_of_prices(billbot: Billbot) -> None:
    practice_in_usd(billbot, 2)
    view = open_settings(billbot)
    save(billbot, view, settings_values(currency="usd"), user=ADMIN)
    notice = saved_notice(billbot, view["id"], "Billing settings saved.")
    assert "not converted" not in view_text(notice)
    assert not any(b["type"] == "actions" for b in notice["blocks"])
    assert notice["callback_id"] == ids.NOTICE_CALLBACK
