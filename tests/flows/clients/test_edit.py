"""Editing a client through the harness: the record's Edit, the modal's rules, our row saved and their Stripe
customer mirrored (read back from the emulator), retries, Stripe failing midway, French, non-admins, and the
invoice modal's "Add an email"."""

from __future__ import annotations

from typing import Any

import pytest

from bot.models import BillingSettings, StripeAccount
from flows.clients import ids as f
from flows.invoices import ids as invoice_ids
from tests.conftest import ADMIN, FRENCH_USER, MEMBER, TEAM_ID, Billbot
from tests.flows.clients.changing import (
    client_row,
    edit_values,
    give_customer,
    open_modal_by_click,
    record,
    settle,
    stripe_customer,
    top_view,
    view_text,
    wait_top_text,
)
from tests.flows.clients.test_clients import button, let_members_see_clients
from tests.flows.invoices.test_creation import Practice, line, make_practice
from tests.harness.invoice_modal import fill_invoice
from tests.harness.views import filled_stack

NEW = {
    "name": "Jeanne Martin-Roux",
    "email": "jeanne.roux@example.com",
    "phone": "+33 6 12 34 56 78",
    "line1": "12 rue de la Paix",
    "city": "Paris",
    "postal_code": "75002",
    "country": "FR",
}


@pytest.fixture
def practice(billbot: Billbot) -> Practice:
    return make_practice(billbot)


def open_edit(bb: Billbot, client_id: int, user: str = ADMIN) -> dict[str, Any]:
    return open_modal_by_click(bb, f.EDIT_CLIENT_ACTION, str(client_id), f.EDIT_CLIENT_CALLBACK, user)


def initial(view: dict[str, Any], block_id: str) -> Any:
    element = next(b for b in view["blocks"] if b.get("block_id") == block_id)["element"]
    return element.get("initial_value") or (element.get("initial_option") or {}).get("value")


def test_edit_saves_the_row_and_mirrors_the_stripe_customer_once(practice: Practice) -> None:
    bb = practice.bb
    client_id = practice.add_client()
    customer_id = give_customer(practice, client_id)
    shown = record(bb, "Jeanne Martin")
    edit = button(shown, f.EDIT_CLIENT_ACTION)
    assert edit is not None and edit["value"] == str(client_id)

    view = open_edit(bb, client_id)
    assert initial(view, f.NAME) == "Jeanne Martin" and initial(view, f.EMAIL) == "jeanne@example.com"
    assert initial(view, f.LANGUAGE) == "en"  # the practice's (the editor's) language until one is chosen
    answer = bb.requests.submit(view, edit_values("fr", **NEW), user=ADMIN).json()
    assert answer["response_action"] == "update"  # "Saving…" at once
    wait_top_text(bb, "Stripe customer is updated")

    row = client_row(bb, client_id)
    assert (row.name, row.name_key, row.email, row.phone) == (
        "Jeanne Martin-Roux", "jeanne martin-roux", "jeanne.roux@example.com", "+33 6 12 34 56 78",
    )  # fmt: skip
    assert (row.address_line1, row.city, row.postal_code, row.country, row.preferred_locale) == (
        "12 rue de la Paix", "Paris", "75002", "FR", "fr",
    )  # fmt: skip
    customer = stripe_customer(practice, customer_id)
    assert customer["name"] == "Jeanne Martin-Roux" and customer["email"] == "jeanne.roux@example.com"
    assert customer["phone"] == "+33 6 12 34 56 78" and customer["preferred_locales"] == ["fr"]
    assert customer["address"]["line1"] == "12 rue de la Paix" and customer["address"]["country"] == "FR"
    assert customer["address"]["postal_code"] == "75002"
    updates = len(bb.stripe.events("customer.updated", account=practice.account))
    assert updates == 1

    # Slack's retry of the same submission (or a double click on Save): nothing is written or sent twice.
    bb.requests.submit(view, edit_values("fr", **NEW), user=ADMIN)
    settle(bb)
    assert len(bb.stripe.events("customer.updated", account=practice.account)) == updates
    assert client_row(bb, client_id).name == "Jeanne Martin-Roux"


def test_a_replayed_older_edit_does_not_undo_a_newer_one(practice: Practice) -> None:
    bb = practice.bb
    client_id = practice.add_client()
    customer_id = give_customer(practice, client_id)
    record(bb, "Jeanne Martin")
    first = open_edit(bb, client_id)
    bb.requests.submit(first, edit_values(name="First Name"), user=ADMIN)
    wait_top_text(bb, "First Name")
    second = open_edit(bb, client_id)
    bb.requests.submit(second, edit_values(name="Second Name"), user=ADMIN)
    wait_top_text(bb, "Second Name")
    bb.requests.submit(first, edit_values(name="First Name"), user=ADMIN)  # a late retry of the first
    settle(bb)
    assert client_row(bb, client_id).name == "Second Name"
    assert stripe_customer(practice, customer_id)["name"] == "Second Name"


def test_stripe_failing_midway_keeps_the_row_and_the_mirror_is_retried(practice: Practice) -> None:
    bb = practice.bb
    client_id = practice.add_client()
    customer_id = give_customer(practice, client_id)
    record(bb, "Jeanne Martin")
    view = open_edit(bb, client_id)
    bb.stripe.fail_next("POST", f"/v1/customers/{customer_id}", count=3)  # the stripe client retries a 500 twice
    bb.requests.submit(view, edit_values(**NEW), user=ADMIN)
    wait_top_text(bb, "Stripe did not answer")
    assert client_row(bb, client_id).email == "jeanne.roux@example.com"  # saved here first
    assert stripe_customer(practice, customer_id)["email"] == "jeanne@example.com"
    # The work queue runs it again a few seconds later: Stripe gets the change, once.
    bb.slack.wait_for(lambda: stripe_customer(practice, customer_id)["email"] == "jeanne.roux@example.com", timeout=30)
    settle(bb)
    assert len(bb.stripe.events("customer.updated", account=practice.account)) == 1
    assert stripe_customer(practice, customer_id)["name"] == "Jeanne Martin-Roux"


def test_a_client_without_a_stripe_customer_is_saved_with_no_stripe_call(billbot: Billbot) -> None:
    practice = make_practice(billbot)
    client_id = practice.add_client()
    record(billbot, "Jeanne Martin")
    view = open_edit(billbot, client_id)
    billbot.requests.submit(view, edit_values(name="Jeanne M.", email=None), user=ADMIN)
    wait_top_text(billbot, "is saved")
    row = client_row(billbot, client_id)
    assert (row.name, row.email, row.stripe_customer_id) == ("Jeanne M.", None, None)
    assert practice.stripe_customers() == []


@pytest.mark.parametrize(
    ("fields", "block_id", "message"),
    [
        ({"name": None}, f.NAME, "Please fill this in."),
        ({"email": "jeanne@"}, f.EMAIL, "This is not an email address"),
        ({"phone": "call me"}, f.PHONE, "A phone number has digits"),
        ({"line1": "1 rue X", "city": None, "country": "FR", "postal_code": "75002"}, f.CITY, "An address needs"),
        ({"line1": "1 rue X", "city": "Paris", "country": "FR", "postal_code": "123"}, f.POSTAL_CODE, "This is not a"),
        ({"language": None}, f.LANGUAGE, "Please fill this in."),
    ],
)
def test_each_bad_field_is_refused_inline_and_nothing_is_written(
    practice: Practice, fields: dict[str, Any], block_id: str, message: str
) -> None:
    bb = practice.bb
    client_id = practice.add_client()
    customer_id = give_customer(practice, client_id)
    record(bb, "Jeanne Martin")
    view = open_edit(bb, client_id)
    fields = dict(fields)  # the parameters are shared by the SQLite and PostgreSQL runs
    language = fields.pop("language", "en")
    values = edit_values(language, **{"name": "Someone Else", **fields})
    answer = bb.requests.submit(view, values, user=ADMIN).json()
    assert answer["response_action"] == "errors" and list(answer["errors"]) == [block_id]
    assert answer["errors"][block_id].startswith(message), answer["errors"][block_id]
    settle(bb)
    assert client_row(bb, client_id).name == "Jeanne Martin"
    assert bb.stripe.events("customer.updated", account=practice.account) == []
    assert stripe_customer(practice, customer_id)["name"] == "Jeanne Martin"


def test_french_edit(practice: Practice) -> None:
    bb = practice.bb
    bb.workspace.add_usergroup("S0BILLING", "billing", users=[FRENCH_USER])
    with bb.app.services.db.session() as session:
        settings = session.get(BillingSettings, TEAM_ID)
        assert settings is not None
        settings.billing_admin_group = "S0BILLING"
        session.add(settings)
    client_id = practice.add_client()
    shown = record(bb, "Jeanne Martin", user=FRENCH_USER)
    edit = button(shown, f.EDIT_CLIENT_ACTION)
    assert edit is not None and edit["text"]["text"] == "Modifier"
    view = open_edit(bb, client_id, user=FRENCH_USER)
    assert view["title"]["text"] == "Modifier le client" and "Langue" in view_text(view)
    assert initial(view, f.LANGUAGE) == "fr"
    answer = bb.requests.submit(view, edit_values("fr", email="pas-un-email"), user=FRENCH_USER).json()
    assert answer["errors"][f.EMAIL].startswith("Ce n’est pas une adresse e-mail")
    bb.requests.submit(view, edit_values("fr", name="Jeanne Dupont"), user=FRENCH_USER)
    wait_top_text(bb, "Fiche de *Jeanne Dupont* enregistrée", user=FRENCH_USER)


def test_a_member_who_sees_clients_cannot_edit_them(practice: Practice) -> None:
    bb = practice.bb
    let_members_see_clients(bb)
    client_id = practice.add_client()
    record(bb, "Jeanne Martin", user=MEMBER)
    from tests.flows.clients.test_clients import click_in_message

    click_in_message(bb, f.EDIT_CLIENT_ACTION, str(client_id), MEMBER)
    wait_top_text(bb, "Only billing admins can change clients", user=MEMBER)
    # A forged submission of the edit modal by the member writes nothing either.
    forged = {"type": "modal", "id": "V_FORGED", "callback_id": f.EDIT_CLIENT_CALLBACK,
              "private_metadata": f'{{"client":{client_id}}}',
              "blocks": []}  # fmt: skip
    bb.requests.submit(forged, edit_values(name="Hijacked"), user=MEMBER)
    settle(bb)
    assert client_row(bb, client_id).name == "Jeanne Martin"


def test_the_invoice_modal_offers_add_an_email_which_opens_the_edit_modal(practice: Practice) -> None:
    bb = practice.bb
    with bb.app.services.db.session() as session:
        account = session.get(StripeAccount, TEAM_ID)
        assert account is not None
        account.charges_enabled = True  # onboarding done: the modal lets invoices be made
        session.add(account)
    client_id = practice.add_client("Marc Durand", email=None)
    view, values = fill_invoice(
        bb.requests, bb.slack, team_id=TEAM_ID, user=ADMIN, channel="C_INVOICES", client=(client_id, "Marc Durand"),
        description="Session", quantity="1", price="80",
    )  # fmt: skip
    answer = bb.requests.submit(view, values, user=ADMIN).json()
    assert answer["response_action"] == "errors"
    offered = wait_top_text(bb, "Add an email")
    add = next(
        e for b in offered["blocks"] if b["type"] == "actions" for e in b["elements"]
        if e.get("action_id") == invoice_ids.ADD_EMAIL_ACTION
    )  # fmt: skip
    assert add["value"] == str(client_id)

    bb.requests.click(invoice_ids.ADD_EMAIL_ACTION, user=ADMIN, value=add["value"], view=offered)
    stack = filled_stack(bb.slack, bb.workspace, ADMIN, depth=2, callback_id=f.EDIT_CLIENT_CALLBACK)
    edit = stack[-1]
    assert edit["close"]["text"] == "Back"
    answer_body = bb.requests.submit(edit, edit_values(name="Marc Durand", email="marc@example.com"), user=ADMIN)
    assert answer_body.content == b""  # back to the invoice modal
    bb.slack.wait_for(lambda: client_row(bb, client_id).email == "marc@example.com")
    assert top_view(bb)["callback_id"] in (invoice_ids.CALLBACK, f.EDIT_CLIENT_CALLBACK)
    # Create again: the client now has an email, and the invoice goes through.
    answer = bb.requests.submit(offered, values, user=ADMIN).json()
    assert answer["response_action"] == "update", answer
    bb.slack.wait_for(lambda: any(i.status == "open" for i in practice.invoices()), timeout=30)


def test_the_language_chosen_is_the_new_stripe_customers(practice: Practice) -> None:
    """A client edited before their first invoice: the customer the invoice makes speaks their language."""
    bb = practice.bb
    client_id = practice.add_client()
    record(bb, "Jeanne Martin")
    view = open_edit(bb, client_id)
    bb.requests.submit(view, edit_values("fr", name="Jeanne Martin"), user=ADMIN)
    wait_top_text(bb, "is saved")
    assert client_row(bb, client_id).preferred_locale == "fr"
    outcome = practice.create(practice.form(client_id, [line()]))  # the practice's invoice language: English
    assert outcome.error is None
    [customer] = practice.stripe_customers()
    assert customer["preferred_locales"] == ["fr"]
