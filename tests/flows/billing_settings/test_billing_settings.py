"""Billing settings through the harness: the modal, its validation, tax rates mirrored in Stripe, permissions."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
import stripe
from sqlmodel import select

from bot.models import BillingSettings, StripeAccount, TaxRate
from bot.sandbox.slack import check_view
from flows.billing_settings import ids
from tests.conftest import ADMIN, FRENCH_USER, MEMBER, TEAM_ID, Billbot
from tests.harness.views import filled_stack, filled_view

# -- helpers ----------------------------------------------------------------------------------------------


def _select(value: str | None) -> dict[str, Any]:
    option = {"text": {"type": "plain_text", "text": value}, "value": value} if value else None
    return {"type": "static_select", "selected_option": option}


def _text(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def settings_values(
    *,
    currency: str | None = "eur",
    line1: str | None = "12 rue de la Paix",
    line2: str | None = None,
    city: str | None = "Paris",
    region: str | None = None,
    postal_code: str | None = "75002",
    country: str | None = "FR",
    group: str | None = None,
) -> dict[str, Any]:
    values: dict[str, Any] = {
        ids.CURRENCY: {ids.CURRENCY: _select(currency)},
        ids.ADDRESS_LINE1: {ids.ADDRESS_LINE1: _text(line1)},
        ids.ADDRESS_LINE2: {ids.ADDRESS_LINE2: _text(line2)},
        ids.CITY: {ids.CITY: _text(city)},
        ids.REGION: {ids.REGION: _text(region)},
        ids.POSTAL_CODE: {ids.POSTAL_CODE: _text(postal_code)},
        ids.COUNTRY: {ids.COUNTRY: _select(country)},
    }
    if group is not None:
        values[ids.ADMIN_GROUP] = {ids.ADMIN_GROUP: _select(group)}
    return values


def rate_values(
    name: str | None = "TVA",
    percentage: str | None = "20",
    *,
    inclusive: bool = False,
    description: str | None = None,
    country: str | None = None,
) -> dict[str, Any]:
    return {
        ids.RATE_NAME: {ids.RATE_NAME: _text(name)},
        ids.RATE_PERCENTAGE: {ids.RATE_PERCENTAGE: _text(percentage)},
        ids.RATE_INCLUSIVE: {
            ids.RATE_INCLUSIVE: {
                "type": "radio_buttons",
                "selected_option": {"value": "inclusive" if inclusive else "exclusive"},
            }
        },
        ids.RATE_DESCRIPTION: {ids.RATE_DESCRIPTION: _text(description)},
        ids.RATE_COUNTRY: {ids.RATE_COUNTRY: _select(country)},
    }


def view_text(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def open_settings(bb: Billbot, user: str = ADMIN) -> dict[str, Any]:
    bb.requests.command("/billing", "settings", user=user)
    view: dict[str, Any] = filled_view(bb.slack, bb.workspace, user)
    assert view["callback_id"] == ids.SETTINGS_CALLBACK
    assert check_view(view) == []
    return view


def wait_view(bb: Billbot, view_id: str, needle: str) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        view = bb.workspace.view(view_id)
        return view if needle in view_text(view) else None

    result: dict[str, Any] = bb.slack.wait_for(found)
    return result


def connect_stripe(bb: Billbot) -> str:
    account = bb.app.services.stripe.create_account("express", idempotency_key="test-account", metadata={})
    with bb.app.services.db.session() as session:
        session.add(StripeAccount(team_id=TEAM_ID, account_id=account["id"], connection="express"))
    return str(account["id"])


def stripe_rates(bb: Billbot, account_id: str | None) -> list[dict[str, Any]]:
    client = stripe.StripeClient(bb.stripe.api_key, base_addresses={"api": bb.stripe.url})
    options: dict[str, Any] = {"stripe_account": account_id} if account_id else {}
    listed = client.v1.tax_rates.list({"limit": 100}, options)  # type: ignore[arg-type]
    return [rate.to_dict() for rate in listed.data]


def stripe_rate(bb: Billbot, account_id: str, rate_id: str) -> dict[str, Any]:
    client = stripe.StripeClient(bb.stripe.api_key, base_addresses={"api": bb.stripe.url})
    return client.v1.tax_rates.retrieve(rate_id, None, {"stripe_account": account_id}).to_dict()  # type: ignore[arg-type]


def db_settings(bb: Billbot) -> BillingSettings | None:
    with bb.app.services.db.session() as session:
        return session.get(BillingSettings, TEAM_ID)


def db_rates(bb: Billbot) -> list[TaxRate]:
    with bb.app.services.db.session() as session:
        return list(session.exec(select(TaxRate).order_by(TaxRate.id)).all())  # type: ignore[arg-type]


def add_rate(bb: Billbot, parent: dict[str, Any], values: dict[str, Any], user: str = ADMIN) -> Any:
    """Add a tax rate through the pushed modal; returns the submission's HTTP response."""
    depth = len(bb.workspace.views(user))
    bb.requests.click(ids.ADD_RATE_ACTION, user=user, value="add", view=parent)
    stack = bb.slack.wait_for(lambda: len(bb.workspace.views(user)) == depth + 1 and bb.workspace.views(user))
    rate_view = stack[-1]
    assert check_view(rate_view) == []
    response = bb.requests.submit(rate_view, values, user=user)
    if not response.content:
        bb.workspace.pop_view(user)  # Slack closes the pushed modal on an empty ack
    return response


def edit_rate(bb: Billbot, parent: dict[str, Any], rate_id: int, values: dict[str, Any]) -> Any:
    depth = len(bb.workspace.views(ADMIN))
    bb.requests.click(ids.EDIT_RATE_ACTION, user=ADMIN, value=str(rate_id), view=parent)
    stack = bb.slack.wait_for(lambda: len(bb.workspace.views(ADMIN)) == depth + 1 and bb.workspace.views(ADMIN))
    response = bb.requests.submit(stack[-1], values, user=ADMIN)
    if not response.content:
        bb.workspace.pop_view(ADMIN)
    return response


def save(bb: Billbot, view: dict[str, Any], values: dict[str, Any], user: str = ADMIN) -> dict[str, Any]:
    response = bb.requests.submit(view, values, user=user)
    assert response.status_code == 200
    answer: dict[str, Any] = response.json()
    return answer


# -- the modal --------------------------------------------------------------------------------------------


def test_settings_modal_opens_with_defaults_from_the_users_locale(billbot: Billbot) -> None:
    view = open_settings(billbot)
    currency = next(b for b in view["blocks"] if b.get("block_id") == ids.CURRENCY)["element"]
    assert currency["type"] == "static_select"
    assert currency["initial_option"]["value"] == "usd"  # en-US
    labels = [o["text"]["text"] for g in currency["option_groups"] for o in g["options"]]
    assert "Euro (EUR)" in labels and "British Pound (GBP)" in labels
    assert "Billing address" in view_text(view)


def test_checklist_button_pushes_the_settings_modal(billbot: Billbot) -> None:
    billbot.requests.command("/billing", user=ADMIN)
    hub = filled_view(billbot.slack, billbot.workspace, ADMIN)
    assert any(block.get("block_id") == "step_billing_settings" and block.get("accessory") for block in hub["blocks"])
    billbot.requests.click("checklist_open", user=ADMIN, value="billing_settings", view=hub)
    stack = filled_stack(billbot.slack, billbot.workspace, ADMIN, depth=2)
    assert stack[-1]["callback_id"] == ids.SETTINGS_CALLBACK


def test_saving_from_the_checklist_redraws_the_hub_beneath_and_the_app_home(billbot: Billbot) -> None:
    billbot.requests.command("/billing", user=ADMIN)
    hub = filled_view(billbot.slack, billbot.workspace, ADMIN)
    assert "0 of 4 steps done" in view_text(hub)
    billbot.requests.click("checklist_open", user=ADMIN, value="billing_settings", view=hub)
    settings = filled_stack(billbot.slack, billbot.workspace, ADMIN, depth=2)[-1]
    save(billbot, settings, settings_values(line1="1 High Street", city="London", postal_code="SW1A 1AA", country="GB"))
    wait_view(billbot, settings["id"], "Billing settings saved")
    # Without reopening anything: the hub under the saved step, and the App Home, say the step is done.
    redrawn = wait_view(billbot, hub["id"], "1 of 4 steps done")
    assert [v["id"] for v in billbot.workspace.views(ADMIN)] == [hub["id"], settings["id"]]  # still stacked
    assert "1 of 4 steps done" in view_text(redrawn)
    home = billbot.slack.wait_for(lambda: billbot.workspace.home(ADMIN))
    assert "1 of 4 steps done" in view_text(home)


def test_saving_a_step_opened_alone_redraws_only_the_app_home(billbot: Billbot) -> None:
    view = open_settings(billbot)
    save(billbot, view, settings_values(line1="1 High Street", city="London", postal_code="SW1A 1AA", country="GB"))
    wait_view(billbot, view["id"], "Billing settings saved")
    home = billbot.slack.wait_for(lambda: billbot.workspace.home(ADMIN))
    assert "1 of 4 steps done" in view_text(home)
    assert [v["id"] for v in billbot.workspace.views(ADMIN)] == [view["id"]]  # the saved notice itself untouched
    assert "Billing settings saved" in view_text(billbot.workspace.views(ADMIN)[0])


def test_good_save_in_english_with_a_rate_mirrored_on_the_connected_account(billbot: Billbot) -> None:
    account = connect_stripe(billbot)
    view = open_settings(billbot)
    assert add_rate(billbot, view, rate_values("VAT", "19.6", description="Standard rate", country="FR")).content == b""
    parent = wait_view(billbot, view["id"], "Added")
    assert "19.6%" in view_text(parent)

    answer = save(billbot, parent, settings_values(currency="gbp", line1="1 High Street", city="London",
                                                      postal_code="sw1a 1aa", country="GB"))  # fmt: skip
    assert answer["response_action"] == "update"
    saved = wait_view(billbot, view["id"], "Billing settings saved")
    assert "British Pound (GBP)" in view_text(saved)

    row = db_settings(billbot)
    assert row is not None and row.currency == "gbp" and row.postal_code == "SW1A 1AA" and row.updated_by == ADMIN
    [rate] = db_rates(billbot)
    assert rate.percentage == Decimal("19.6") and rate.stripe_account_id == account
    [mirror] = stripe_rates(billbot, account)
    assert mirror["id"] == rate.stripe_tax_rate_id
    assert mirror["percentage"] == 19.6 and mirror["display_name"] == "VAT" and mirror["country"] == "FR"
    assert mirror["inclusive"] is False and mirror["active"] is True
    assert stripe_rates(billbot, None) == []  # nothing on the platform's own account

    # The checklist now shows the step done.
    billbot.requests.command("/billing", user=ADMIN)
    billbot.slack.wait_for(lambda: "1 of 4 steps done" in view_text(billbot.workspace.views(ADMIN)[-1]))


def test_good_save_in_french(billbot: Billbot) -> None:
    account = connect_stripe(billbot)
    billbot.workspace.add_usergroup("S0BILLING", handle="facturation", users=[FRENCH_USER])
    with billbot.app.services.db.session() as session:
        session.add(BillingSettings(team_id=TEAM_ID, currency="eur", billing_admin_group="S0BILLING"))
    view = open_settings(billbot, FRENCH_USER)
    assert view["title"]["text"] == "Paramètres facturation"
    currency = next(b for b in view["blocks"] if b.get("block_id") == ids.CURRENCY)["element"]
    assert currency["initial_option"]["text"]["text"] == "Euro (EUR)"
    assert "@facturation" in view_text(view)  # shown, but only admins may change it
    assert not any(b.get("block_id") == ids.ADMIN_GROUP for b in view["blocks"])

    add_rate(billbot, view, rate_values("TVA réduite", "5,5", inclusive=True), user=FRENCH_USER)
    parent = wait_view(billbot, view["id"], "Ajouté")
    assert "5,5\u00a0%" in view_text(parent) and "inclus dans les prix" in view_text(parent)
    save(billbot, parent, settings_values(), user=FRENCH_USER)
    wait_view(billbot, view["id"], "Paramètres de facturation enregistrés")
    row = db_settings(billbot)
    assert row is not None and row.city == "Paris" and row.billing_admin_group == "S0BILLING"
    [mirror] = stripe_rates(billbot, account)
    assert mirror["percentage"] == 5.5 and mirror["inclusive"] is True and mirror["display_name"] == "TVA réduite"


@pytest.mark.parametrize(
    ("fields", "block_id", "message"),
    [
        ({"postal_code": "7500"}, ids.POSTAL_CODE, "This is not a postal code for France (for example 75001)."),
        ({"country": "ZZ"}, ids.COUNTRY, "Pick a country from the list."),
        ({"currency": "xyz"}, ids.CURRENCY, "Pick a currency from the list."),
        ({"line1": "  "}, ids.ADDRESS_LINE1, "Please fill this in."),
        ({"country": "US", "postal_code": "ABCDE"}, ids.POSTAL_CODE, "This is not a postal code for United States"),
    ],
)
def test_a_wrong_settings_field_gets_its_own_message_and_nothing_is_saved(
    billbot: Billbot, fields: dict[str, str], block_id: str, message: str
) -> None:
    view = open_settings(billbot)
    answer = save(billbot, view, settings_values(**fields))  # type: ignore[arg-type]
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [block_id]
    assert answer["errors"][block_id].startswith(message)
    assert db_settings(billbot) is None
    assert billbot.slack.calls("views.update") == []


def test_errors_speak_french(billbot: Billbot) -> None:
    billbot.workspace.add_usergroup("S0BILLING", handle="facturation", users=[FRENCH_USER])
    with billbot.app.services.db.session() as session:
        session.add(BillingSettings(team_id=TEAM_ID, currency="eur", billing_admin_group="S0BILLING"))
    view = open_settings(billbot, FRENCH_USER)
    answer = save(billbot, view, settings_values(postal_code="ABC", city=None), user=FRENCH_USER)
    assert answer["errors"] == {
        ids.CITY: "Veuillez remplir ce champ.",
        ids.POSTAL_CODE: "Ce n'est pas un code postal de ce pays : France (par exemple 75001).",
    }


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (rate_values(name=""), "Please fill this in."),
        (rate_values(percentage="101"), "A tax rate is between 0 and 100 %."),
        (rate_values(percentage="-1"), "A tax rate is between 0 and 100 %."),
        (rate_values(percentage="abc"), "Type a number, such as 20 or 19.6."),
        (rate_values(percentage="19.12345"), "Use at most 4 decimals."),
        (rate_values(country="XX"), "Pick a country from the list."),
    ],
)
def test_a_wrong_rate_field_gets_its_message_and_nothing_is_saved(
    billbot: Billbot, values: dict[str, Any], message: str
) -> None:
    account = connect_stripe(billbot)
    view = open_settings(billbot)
    response = add_rate(billbot, view, values)
    answer = response.json()
    assert answer["response_action"] == "errors"
    assert list(answer["errors"].values()) == [message]
    assert db_rates(billbot) == []
    assert stripe_rates(billbot, account) == []
    assert billbot.slack.calls("views.update") == []


# -- tax rates --------------------------------------------------------------------------------------------


def test_rate_edit_archives_the_old_stripe_rate_and_creates_a_new_one(billbot: Billbot) -> None:
    account = connect_stripe(billbot)
    view = open_settings(billbot)
    add_rate(billbot, view, rate_values("TVA", "19.6"))
    parent = wait_view(billbot, view["id"], "Added")
    [old] = db_rates(billbot)
    assert old.id is not None and old.stripe_tax_rate_id is not None

    edit_rate(billbot, parent, old.id, rate_values("TVA", "20"))
    wait_view(billbot, view["id"], "previous rate is archived")

    old_row, new_row = db_rates(billbot)
    assert not old_row.active and new_row.active and new_row.replaces_id == old.id
    assert new_row.percentage == Decimal("20") and new_row.stripe_tax_rate_id != old.stripe_tax_rate_id
    # Invoices made with the old rate keep it: Stripe still has it, archived, with its percentage.
    kept = stripe_rate(billbot, account, old.stripe_tax_rate_id)
    assert kept["active"] is False and kept["percentage"] == 19.6
    assert stripe_rate(billbot, account, str(new_row.stripe_tax_rate_id))["active"] is True
    assert len(stripe_rates(billbot, account)) == 2


def test_rate_archived(billbot: Billbot) -> None:
    account = connect_stripe(billbot)
    view = open_settings(billbot)
    add_rate(billbot, view, rate_values("TVA", "20"))
    parent = wait_view(billbot, view["id"], "Added")
    [rate] = db_rates(billbot)
    billbot.requests.click(ids.EDIT_RATE_ACTION, user=ADMIN, value=str(rate.id), view=parent)
    rate_view = filled_stack(billbot.slack, billbot.workspace, ADMIN, depth=2)[-1]
    assert check_view(rate_view) == []
    billbot.requests.click(ids.ARCHIVE_RATE_ACTION, user=ADMIN, value=str(rate.id), view=rate_view)
    wait_view(billbot, rate_view["id"], "Archived")
    parent = wait_view(billbot, view["id"], "Archived")
    assert "No tax rates yet" in view_text(parent)
    [row] = db_rates(billbot)
    assert row.active is False
    assert stripe_rate(billbot, account, str(row.stripe_tax_rate_id))["active"] is False


def test_stripe_failing_midway_through_an_edit_changes_nothing_and_retry_finishes(billbot: Billbot) -> None:
    account = connect_stripe(billbot)
    view = open_settings(billbot)
    add_rate(billbot, view, rate_values("TVA", "19.6"))
    parent = wait_view(billbot, view["id"], "Added")
    [old] = db_rates(billbot)
    assert old.id is not None
    # The new rate is created, then archiving the old one fails (three times: the client retries 500s).
    billbot.stripe.fail_next("POST", f"/v1/tax_rates/{old.stripe_tax_rate_id}", count=3)
    edit_rate(billbot, parent, old.id, rate_values("TVA", "20"))
    failed = wait_view(billbot, view["id"], "was not saved")

    [unchanged] = db_rates(billbot)
    assert unchanged.active and unchanged.percentage == Decimal("19.6")
    assert stripe_rate(billbot, account, str(old.stripe_tax_rate_id))["active"] is True

    retry = next(b for b in failed["blocks"] if b.get("block_id") == "rates_banner")["accessory"]
    assert retry["action_id"] == ids.RETRY_RATE_ACTION
    billbot.requests.click(ids.RETRY_RATE_ACTION, user=ADMIN, value=retry["value"], view=failed)
    wait_view(billbot, view["id"], "previous rate is archived")
    old_row, new_row = db_rates(billbot)
    assert not old_row.active and new_row.active and new_row.percentage == Decimal("20")
    # The retry adopted the rate the first attempt created (same idempotency key): no duplicate in Stripe.
    assert len(stripe_rates(billbot, account)) == 2
    assert stripe_rate(billbot, account, str(old.stripe_tax_rate_id))["active"] is False


def test_stripe_failing_on_save_saves_nothing_and_retry_works(billbot: Billbot) -> None:
    view = open_settings(billbot)
    add_rate(billbot, view, rate_values("TVA", "20"))  # no Stripe account yet: kept here
    parent = wait_view(billbot, view["id"], "Added")
    assert "Kept here until payments are set up" in view_text(parent)
    account = connect_stripe(billbot)

    billbot.stripe.fail_next("POST", "/v1/tax_rates", count=3)
    save(billbot, parent, settings_values())
    failed = wait_view(billbot, view["id"], "Nothing was saved")
    assert db_settings(billbot) is None
    assert stripe_rates(billbot, account) == []
    retry = next(b for b in failed["blocks"] if b.get("block_id") == "notice_retry")["elements"][0]
    billbot.requests.click(retry["action_id"], user=ADMIN, value=retry["value"], view=failed)
    wait_view(billbot, view["id"], "Billing settings saved")
    assert db_settings(billbot) is not None
    [rate] = db_rates(billbot)
    assert [r["id"] for r in stripe_rates(billbot, account)] == [rate.stripe_tax_rate_id]


def test_mirror_pending_tax_rates_sends_rates_kept_before_payments_were_set_up(billbot: Billbot) -> None:
    from flows.billing_settings import mirror_pending_tax_rates

    view = open_settings(billbot)
    add_rate(billbot, view, rate_values("TVA", "20"))
    wait_view(billbot, view["id"], "Added")
    assert mirror_pending_tax_rates(billbot.app.services, TEAM_ID) == 0  # no account yet
    account = connect_stripe(billbot)
    assert mirror_pending_tax_rates(billbot.app.services, TEAM_ID) == 1
    assert mirror_pending_tax_rates(billbot.app.services, TEAM_ID) == 0
    [rate] = db_rates(billbot)
    assert [r["id"] for r in stripe_rates(billbot, account)] == [rate.stripe_tax_rate_id]


# -- who may change billing -------------------------------------------------------------------------------


def test_non_admin_is_told_and_nothing_changes(billbot: Billbot) -> None:
    billbot.requests.command("/billing", "settings", user=MEMBER)
    ephemeral = billbot.slack.wait_for(lambda: billbot.workspace.ephemeral("C_GENERAL", MEMBER))
    assert "Only workspace admins and owners" in ephemeral[-1].text
    assert billbot.slack.calls("views.open") == []


def test_non_admin_forged_submission_saves_nothing(billbot: Billbot) -> None:
    view = open_settings(billbot)  # the admin's modal, submitted by someone else
    billbot.requests.submit(view, settings_values(), user=MEMBER)
    billbot.slack.wait_for(lambda: billbot.slack.calls("views.update"))
    assert "Only workspace admins" in view_text(billbot.workspace.view(view["id"]))
    assert db_settings(billbot) is None


def test_member_of_the_billing_admin_group_may_save_but_not_change_the_group(billbot: Billbot) -> None:
    billbot.workspace.add_usergroup("S0BILLING", handle="billing", users=[MEMBER])
    billbot.workspace.add_usergroup("S0OTHER", handle="other", users=[])
    admin_view = open_settings(billbot)
    group = next(b for b in admin_view["blocks"] if b.get("block_id") == ids.ADMIN_GROUP)["element"]
    assert [o["value"] for o in group["options"]] == [ids.NO_GROUP, "S0BILLING", "S0OTHER"]
    save(billbot, admin_view, settings_values(group="S0BILLING"))
    wait_view(billbot, admin_view["id"], "Billing settings saved")
    settings = db_settings(billbot)
    assert settings is not None and settings.billing_admin_group == "S0BILLING"

    member_view = open_settings(billbot, MEMBER)
    # A forged group field from a non-admin is ignored; the rest is saved.
    save(billbot, member_view, settings_values(city="Lyon", postal_code="69001", group="S0OTHER"), user=MEMBER)
    wait_view(billbot, member_view["id"], "Billing settings saved")
    settings = db_settings(billbot)
    assert settings is not None and settings.city == "Lyon" and settings.billing_admin_group == "S0BILLING"
