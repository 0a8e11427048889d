"""The services catalogue through the harness: pushed from the billing settings modal; add, edit, archive;
each bad price; billing admins only; French."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import select

from bot.models import BillingSettings, Service, TaxRate
from bot.sandbox.slack import check_view
from flows.billing_settings import ids as settings_ids
from flows.billing_settings.views import SERVICES_OPEN_ACTION
from flows.clients import ids as f
from tests.conftest import ADMIN, FRENCH_USER, MEMBER, TEAM_ID, Billbot
from tests.harness.views import filled_stack, filled_view

# -- helpers ----------------------------------------------------------------------------------------------


def save_settings(bb: Billbot, currency: str = "eur") -> None:
    with bb.app.services.db.session() as session:
        session.add(BillingSettings(team_id=TEAM_ID, currency=currency, address_line1="1 rue A", city="Paris",
                                    postal_code="75001", country="FR"))  # fmt: skip


def add_rate(bb: Billbot, name: str = "TVA", percentage: str = "20", *, active: bool = True) -> int:
    with bb.app.services.db.session() as session:
        row = TaxRate(team_id=TEAM_ID, name=name, percentage=Decimal(percentage), active=active)
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def db_services(bb: Billbot) -> list[Service]:
    with bb.app.services.db.session() as session:
        return list(session.exec(select(Service).order_by(Service.id)))  # type: ignore[arg-type]


def text_of(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def service_values(
    name: str | None = "Consultation", price: str | None = "80", tax: str | None = None
) -> dict[str, Any]:
    option = {"text": {"type": "plain_text", "text": tax or "none"}, "value": tax or f.NO_TAX}
    return {
        f.SERVICE_NAME: {f.SERVICE_NAME: {"type": "plain_text_input", "value": name}},
        f.SERVICE_PRICE: {f.SERVICE_PRICE: {"type": "plain_text_input", "value": price}},
        f.SERVICE_TAX_RATE: {f.SERVICE_TAX_RATE: {"type": "static_select", "selected_option": option}},
    }


def open_catalog(bb: Billbot, user: str = ADMIN) -> dict[str, Any]:
    """`/billing settings`, then its Services button: the catalogue is pushed on top."""
    bb.requests.command("/billing", "settings", user=user)
    settings = filled_view(bb.slack, bb.workspace, user)
    assert settings["callback_id"] == settings_ids.SETTINGS_CALLBACK
    services_block = next(b for b in settings["blocks"] if b.get("block_id") == "services_open")
    assert services_block["accessory"]["action_id"] == f.SERVICES_OPEN_ACTION == SERVICES_OPEN_ACTION
    bb.requests.click(f.SERVICES_OPEN_ACTION, user=user, value="open", view=settings)
    stack = filled_stack(bb.slack, bb.workspace, user, depth=2)
    view: dict[str, Any] = stack[-1]
    assert view["callback_id"] == f.SERVICES_CALLBACK
    assert check_view(view) == []
    return view


def wait_view(bb: Billbot, view_id: str, needle: str) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        view = bb.workspace.view(view_id)
        return view if needle in text_of(view) else None

    result: dict[str, Any] = bb.slack.wait_for(found)
    assert check_view(result) == []
    return result


def open_form(bb: Billbot, catalog: dict[str, Any], service_id: int | None = None, user: str = ADMIN) -> dict[str, Any]:
    if service_id is None:
        bb.requests.click(f.SERVICE_ADD_ACTION, user=user, value="add", view=catalog)
    else:
        bb.requests.click(f.SERVICE_EDIT_ACTION, user=user, value=str(service_id), view=catalog)
    view: dict[str, Any] = bb.slack.wait_for(
        lambda: (v := bb.workspace.view(catalog["id"]))["callback_id"] == f.SERVICES_FORM_CALLBACK and v
    )
    assert check_view(view) == []
    assert len(bb.workspace.views(user)) == 2  # the catalogue became the form: the stack did not grow
    return view


def settle(bb: Billbot) -> None:
    bb.slack.wait_for(lambda: bb.app.services.work.counts() == {"pending": 0, "failed": 0})


# -- tests ------------------------------------------------------------------------------------------------


def test_add_a_service_with_a_tax_rate(billbot: Billbot) -> None:
    save_settings(billbot)
    rate_id = add_rate(billbot, "TVA", "20")
    add_rate(billbot, "Old", "5.5", active=False)
    catalog = open_catalog(billbot)
    assert "No services yet" in text_of(catalog)
    form = open_form(billbot, catalog)
    tax = next(b for b in form["blocks"] if b.get("block_id") == f.SERVICE_TAX_RATE)["element"]
    assert [o["text"]["text"] for o in tax["options"]] == ["No tax", "TVA 20% (added)"]  # active rates only
    assert "Default price (EUR)" in text_of(form)

    answer = billbot.requests.submit(form, service_values("Consultation", "80,50", str(rate_id)), user=ADMIN).json()
    assert answer["response_action"] == "update"
    listed = wait_view(billbot, catalog["id"], "Added *Consultation*")
    assert "*Consultation*\\n€80.50 · TVA 20% (added)" in text_of(listed)
    [row] = db_services(billbot)
    assert (row.name, row.unit_amount, row.currency, row.tax_rate_id, row.active) == (
        "Consultation", 8050, "eur", rate_id, True,
    )  # fmt: skip

    # Slack retries that submission: still one service. A second add from the same modal is a new one.
    billbot.requests.submit(form, service_values("Consultation", "80,50", str(rate_id)), user=ADMIN)
    settle(billbot)
    assert len(db_services(billbot)) == 1
    second = open_form(billbot, listed)
    billbot.requests.submit(second, service_values("Bilan", "150"), user=ADMIN)
    wait_view(billbot, catalog["id"], "Added *Bilan*")
    assert [s.name for s in db_services(billbot)] == ["Consultation", "Bilan"]


def test_zero_decimal_currency(billbot: Billbot) -> None:
    save_settings(billbot, "jpy")
    form = open_form(billbot, open_catalog(billbot))
    billbot.requests.submit(form, service_values("Shiatsu", "5 000"), user=ADMIN)
    wait_view(billbot, form["id"], "Added")
    [row] = db_services(billbot)
    assert (row.unit_amount, row.currency) == (5000, "jpy")


@pytest.mark.parametrize(
    ("values", "block_id", "message"),
    [
        (service_values(name="  "), f.SERVICE_NAME, "Please fill this in."),
        (service_values(name="x" * 101), f.SERVICE_NAME, "Please keep this to 100 characters (it has 101)."),
        (service_values(price=""), f.SERVICE_PRICE, "Please fill this in."),
        (service_values(price="abc"), f.SERVICE_PRICE, "This is not a price (for example €120.00)."),
        (service_values(price="12.345"), f.SERVICE_PRICE, "This is not a price"),
        (service_values(price="0"), f.SERVICE_PRICE, "The price must be more than zero."),
        (service_values(price="-1"), f.SERVICE_PRICE, "The price must be more than zero."),
        (service_values(price="1000000"), f.SERVICE_PRICE, "Too large: at most €999,999.99."),
        (service_values(tax="999999"), f.SERVICE_TAX_RATE, "This tax rate is no longer active."),
        # Digits of other scripts: Decimal read "١٢٠" as 120; "²" as a (forged) option value reached int().
        (service_values(price="١٢٠"), f.SERVICE_PRICE, "This is not a price (for example €120.00)."),
        (service_values(price="１２"), f.SERVICE_PRICE, "This is not a price (for example €120.00)."),
        (service_values(tax="²"), f.SERVICE_TAX_RATE, "This tax rate is no longer active."),
    ],
)
def test_a_wrong_service_field_gets_its_message_and_nothing_is_saved(
    billbot: Billbot, values: dict[str, Any], block_id: str, message: str
) -> None:
    save_settings(billbot)
    form = open_form(billbot, open_catalog(billbot))
    answer = billbot.requests.submit(form, values, user=ADMIN).json()
    assert answer["response_action"] == "errors" and list(answer["errors"]) == [block_id]
    assert answer["errors"][block_id].startswith(message)
    settle(billbot)
    assert db_services(billbot) == []


def test_an_archived_tax_rate_is_refused(billbot: Billbot) -> None:
    save_settings(billbot)
    archived = add_rate(billbot, "Old", "5.5", active=False)
    form = open_form(billbot, open_catalog(billbot))
    answer = billbot.requests.submit(form, service_values(tax=str(archived)), user=ADMIN).json()
    assert answer["errors"] == {f.SERVICE_TAX_RATE: "This tax rate is no longer active. Choose another one."}
    settle(billbot)
    assert db_services(billbot) == []


def test_edit_changes_the_service_and_archive_takes_it_out(billbot: Billbot) -> None:
    save_settings(billbot)
    catalog = open_catalog(billbot)
    billbot.requests.submit(open_form(billbot, catalog), service_values("Consultation", "80"), user=ADMIN)
    listed = wait_view(billbot, catalog["id"], "Added")
    [row] = db_services(billbot)
    assert row.id is not None

    form = open_form(billbot, listed, row.id)
    price = next(b for b in form["blocks"] if b.get("block_id") == f.SERVICE_PRICE)["element"]
    assert price["initial_value"] == "80.00"
    assert "future" in text_of(form)
    billbot.requests.submit(form, service_values("Consultation longue", "95.5"), user=ADMIN)
    listed = wait_view(billbot, catalog["id"], "Saved *Consultation longue*")
    [row] = db_services(billbot)
    assert (row.name, row.unit_amount) == ("Consultation longue", 9550)

    form = open_form(billbot, listed, row.id)
    archive = next(e for b in form["blocks"] if b["type"] == "actions" for e in b["elements"]
                   if e["action_id"] == f.SERVICE_ARCHIVE_ACTION)  # fmt: skip
    assert archive["confirm"]["title"]["text"] == "Archive this service?"
    billbot.requests.click(f.SERVICE_ARCHIVE_ACTION, user=ADMIN, value=str(row.id), view=form)
    listed = wait_view(billbot, catalog["id"], "Archived *Consultation longue*")
    assert "No services yet" in text_of(listed)
    [row] = db_services(billbot)
    assert row.active is False

    # Editing it again (a stale form) changes nothing.
    billbot.requests.submit(form, service_values("Revived", "10"), user=ADMIN)
    wait_view(billbot, catalog["id"], "archived meanwhile")
    [row] = db_services(billbot)
    assert (row.name, row.active) == ("Consultation longue", False)


def test_back_returns_to_the_list(billbot: Billbot) -> None:
    save_settings(billbot)
    catalog = open_catalog(billbot)
    form = open_form(billbot, catalog)
    billbot.requests.click(f.SERVICES_BACK_ACTION, user=ADMIN, value="back", view=form)
    billbot.slack.wait_for(lambda: billbot.workspace.view(catalog["id"])["callback_id"] == f.SERVICES_CALLBACK)


def test_without_billing_settings_the_catalogue_says_so(billbot: Billbot) -> None:
    catalog = open_catalog(billbot)
    assert "Save your billing settings first" in text_of(catalog)
    assert f.SERVICE_ADD_ACTION not in text_of(catalog)
    # A forged submission changes nothing either.
    answer = billbot.requests.submit({**catalog, "callback_id": f.SERVICES_FORM_CALLBACK}, service_values(),
                                     user=ADMIN).json()  # fmt: skip
    assert answer["response_action"] == "errors"
    settle(billbot)
    assert db_services(billbot) == []


def test_a_member_who_is_not_a_billing_admin_changes_nothing(billbot: Billbot) -> None:
    save_settings(billbot)
    catalog = open_catalog(billbot)
    form = open_form(billbot, catalog)
    # The admin's form, submitted by a member who is not a billing admin.
    answer = billbot.requests.submit(form, service_values("Sneaky", "1"), user=MEMBER).json()
    assert answer["response_action"] == "update"
    wait_view(billbot, form["id"], "Only workspace admins and owners")
    settle(billbot)
    assert db_services(billbot) == []

    # Their clicks on Add and Archive change nothing and say why.
    with billbot.app.services.db.session() as session:
        session.add(Service(team_id=TEAM_ID, name="Kept", unit_amount=100, currency="eur"))
    [kept] = db_services(billbot)
    billbot.requests.click(f.SERVICE_ARCHIVE_ACTION, user=MEMBER, value=str(kept.id), view=catalog)
    billbot.requests.click(f.SERVICE_ADD_ACTION, user=MEMBER, value="add", view=catalog)
    settle(billbot)
    assert "Nothing was changed" in text_of(billbot.workspace.view(catalog["id"]))
    assert db_services(billbot)[0].active is True


def test_catalogue_in_french(billbot: Billbot) -> None:
    save_settings(billbot)
    billbot.workspace.add_usergroup("S0BILLING", handle="billing", users=[FRENCH_USER])
    with billbot.app.services.db.session() as session:
        settings = session.get(BillingSettings, TEAM_ID)
        assert settings is not None
        settings.billing_admin_group = "S0BILLING"
    catalog = open_catalog(billbot, FRENCH_USER)
    assert catalog["title"]["text"] == "Prestations"
    form = open_form(billbot, catalog, user=FRENCH_USER)
    answer = billbot.requests.submit(form, service_values("", "abc"), user=FRENCH_USER).json()
    assert answer["errors"] == {
        f.SERVICE_NAME: "Veuillez remplir ce champ.",
        f.SERVICE_PRICE: "Ce n’est pas un prix (par exemple 120,00\u00a0€).",
    }
    billbot.requests.submit(form, service_values("Séance", "1 234,5"), user=FRENCH_USER)
    listed = wait_view(billbot, catalog["id"], "Prestation ajoutée : *Séance*")
    assert "1\u202f234,50\u00a0€ · Sans taxe" in text_of(listed)
    [row] = db_services(billbot)
    assert row.unit_amount == 123450
