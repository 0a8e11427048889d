"""After the practice's currency changed, a service priced in the former one has no price in the new one (prices are
per currency, never converted): the invoice modal's picker says so instead of showing an empty price, and a line
of it without a typed price is refused with a message saying why (issue 20)."""

from __future__ import annotations

import pytest

from flows.invoices import ids
from tests.conftest import ADMIN, FRENCH_USER, Billbot
from tests.flows.invoices.test_modal import (
    Practice,
    assert_nothing_created,
    block_of,
    dispatch,
    filled,
    line_keys,
    open_modal,
    slack_state,
    submit,
    type_in,
)

CASES = {
    ADMIN: (
        ["No service (describe it below)", "Bilan · €120.50", "Consultation · no EUR price yet"],
        "Consultation has no EUR price yet: type the price here, or set it in Services (`/billing settings`).",
    ),
    FRENCH_USER: (
        [
            "Aucune prestation (décrivez-la ci-dessous)",
            "Bilan · 120,50\u00a0€",
            "Consultation · pas encore de prix en EUR",
        ],
        "Cette prestation (Consultation) n’a pas encore de prix en EUR : saisissez-le ici, ou fixez-le dans "
        "Prestations (`/billing settings`).",
    ),
}


@pytest.mark.parametrize("user", [ADMIN, FRENCH_USER])
def test_a_service_priced_in_another_currency_says_so_and_needs_a_typed_price(billbot: Billbot, user: str) -> None:
    labels, error = CASES[user]
    practice = Practice(billbot, currency="eur")
    practice.service("Bilan", 12050)
    usd = practice.service("Consultation", 8000, currency="usd")  # priced before the switch to EUR
    client_id = practice.client("Élodie Dupré")
    view = open_modal(billbot, user)
    key = line_keys(view)[0]
    assert [o["text"]["text"] for o in block_of(view, key, ids.LINE_SERVICE)["element"]["options"]] == labels

    values = filled(billbot, practice, view, client_id, "Élodie Dupré")
    type_in(values, view, key, ids.LINE_PRICE, None)
    type_in(values, view, key, ids.LINE_SERVICE, str(usd))
    view = dispatch(billbot, view, values, key, ids.LINE_SERVICE, user)
    price = block_of(view, key, ids.LINE_PRICE)
    assert not price["element"].get("initial_value")  # no USD amount passed off as euros
    values = slack_state(view, values)
    answer = submit(billbot, view, values, user)
    assert answer == {"response_action": "errors", "errors": {price["block_id"]: error}}
    assert_nothing_created(billbot, practice)

    type_in(values, view, key, ids.LINE_PRICE, "75")  # a price typed for it: the line is whole
    answer = submit(billbot, view, values, user)
    assert "errors" not in answer
