"""Forgetting a client (GDPR erasure) through the harness: the typed-name confirmation, what is erased from our
database (every table searched), their Stripe customer deleted on the emulator, the invoice messages, listing
and PDF saying "client erased", invoices to settle refused first, retries, Stripe failing midway, French,
non-admins."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import MetaData, select
from sqlmodel import SQLModel

from bot.documents.source import document_for_invoice
from bot.models import Appointment, BillingSettings, Client, Invoice
from flows.clients import ids as f
from tests.conftest import ADMIN, FRENCH_USER, MEMBER, TEAM_ID, Billbot
from tests.flows.clients.changing import (
    appointments,
    choose,
    client_row,
    invoices,
    open_modal_by_menu,
    record,
    settle,
    stripe_customer,
    view_text,
    wait_top_text,
)
from tests.flows.clients.test_clients import add_service, command, let_members_see_clients
from tests.flows.invoices.test_creation import CHANNEL, Practice, line, make_practice, message_text

NAME, EMAIL, PHONE, NOTES = "Jeanne Martin", "jeanne@example.com", "+33 6 11 22 33 44", "Talked about her divorce"
SECRETS = (NAME, EMAIL, PHONE, NOTES, "Jeanne", "12 rue des Lilas")


@pytest.fixture
def practice(billbot: Billbot) -> Practice:
    return make_practice(billbot)


def a_client_with_everything(practice: Practice, *, paid: bool = True) -> tuple[int, str, Invoice]:
    """Jeanne, with contact details, a session with notes, a Stripe customer and an invoice with a message."""
    client_id = practice.add_client(NAME, EMAIL)
    with practice.services.db.session() as session:
        row = session.get(Client, client_id)
        assert row is not None
        row.phone, row.address_line1, row.city, row.postal_code, row.country = (
            PHONE, "12 rue des Lilas", "Lyon", "69001", "FR",
        )  # fmt: skip
        session.add(row)
    service_id = add_service(practice.bb)
    with practice.services.db.session() as session:
        session.add(Appointment(team_id=TEAM_ID, client_id=client_id, held_on=date(2026, 3, 12), service_id=service_id,
                                description="Consultation", notes=NOTES))  # fmt: skip
    outcome = practice.create(practice.form(client_id, [line()]))
    assert outcome.error is None
    invoice = outcome.invoice
    if paid:
        with practice.services.db.session() as session:
            stored = session.get(Invoice, invoice.id)
            assert stored is not None
            stored.status, stored.amount_paid, stored.amount_remaining = "paid", stored.total, 0
            session.add(stored)
    customer_id = client_row(practice.bb, client_id).stripe_customer_id
    assert customer_id
    return client_id, customer_id, invoice


def forget_values(typed: str | None) -> dict[str, Any]:
    return {f.FORGET_NAME: {f.FORGET_NAME: {"type": "plain_text_input", "value": typed}}}


def open_forget(bb: Billbot, client_id: int, user: str = ADMIN) -> dict[str, Any]:
    return open_modal_by_menu(bb, f.MORE_ACTION, f"{f.FORGET}:{client_id}", f.FORGET_CALLBACK, user)


def database_dump(bb: Billbot) -> str:
    """Every row of every table (the work queue's included), as text: what an erasure must leave no trace in."""
    engine = bb.app.services.db.engine
    metadata = MetaData()
    metadata.reflect(engine)
    rows: list[str] = []
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)):
                rows.append(json.dumps([str(v) for v in row], ensure_ascii=False))
    assert SQLModel.metadata.tables.keys() <= metadata.tables.keys()
    return "\n".join(rows)


def test_forget_erases_everything_named_and_deletes_the_stripe_customer(practice: Practice) -> None:
    bb = practice.bb
    client_id, customer_id, invoice = a_client_with_everything(practice)
    record(bb, NAME)
    view = open_forget(bb, client_id)
    assert "Jeanne Martin" in view_text(view) and "cannot be undone" in view_text(view)

    answer = bb.requests.submit(view, forget_values("jeanne martin"), user=ADMIN).json()  # not exactly the name
    assert answer == {"response_action": "errors", "errors": {f.FORGET_NAME: answer["errors"][f.FORGET_NAME]}}
    assert "not the client's name exactly" in answer["errors"][f.FORGET_NAME]
    settle(bb)
    assert (
        client_row(bb, client_id).forgotten_at is None and stripe_customer(practice, customer_id).get("deleted") is None
    )

    answer = bb.requests.submit(view, forget_values(f"  {NAME} "), user=ADMIN).json()
    assert answer["response_action"] == "update"
    wait_top_text(bb, "The client is erased")
    settle(bb)

    row = client_row(bb, client_id)
    assert row.forgotten_at is not None and row.name == "client erased"
    assert (row.email, row.phone, row.address_line1, row.city, row.country, row.stripe_customer_id) == (None,) * 6
    assert [a.notes for a in appointments(bb)] == [None]
    dump = database_dump(bb)
    for secret in SECRETS:
        assert secret not in dump, secret
    assert stripe_customer(practice, customer_id)["deleted"] is True

    # Invoices keep their numbers and amounts, and say "client erased" wherever the name was.
    [kept] = invoices(bb)
    assert (kept.number, kept.total, kept.status) == (invoice.number, invoice.total, "paid")
    [message] = bb.workspace.messages(CHANNEL)
    assert "client erased" in message_text(message) and "J. M." not in message_text(message)
    assert document_for_invoice(TEAM_ID, kept.id or 0, db=bb.app.services.db).client_name == "client erased"
    listing = bb.requests.command("/invoice", "list", user=ADMIN, channel=CHANNEL)
    assert listing.status_code == 200
    answer_list = bb.slack.wait_for(lambda: bb.workspace.ephemeral(CHANNEL, ADMIN))
    assert "client erased" in message_text(answer_list[-1]) and NAME not in message_text(answer_list[-1])
    # Out of `/client` and the pickers.
    assert NAME not in message_text(command(bb, ""))


def test_a_retry_of_the_submission_deletes_once(practice: Practice) -> None:
    bb = practice.bb
    client_id, _customer_id, _ = a_client_with_everything(practice)
    record(bb, NAME)
    view = open_forget(bb, client_id)
    bb.requests.submit(view, forget_values(NAME), user=ADMIN)
    bb.requests.submit(view, forget_values(NAME), user=ADMIN)  # Slack's retry, or a double click
    settle(bb)
    assert len(bb.stripe.events("customer.deleted", account=practice.account)) == 1
    assert client_row(bb, client_id).name == "client erased"


def test_stripe_failing_midway_erases_here_first_and_the_delete_is_retried(practice: Practice) -> None:
    bb = practice.bb
    client_id, customer_id, _ = a_client_with_everything(practice)
    record(bb, NAME)
    view = open_forget(bb, client_id)
    bb.stripe.fail_next("DELETE", f"/v1/customers/{customer_id}", count=3)
    bb.requests.submit(view, forget_values(NAME), user=ADMIN)
    bb.slack.wait_for(lambda: client_row(bb, client_id).forgotten_at is not None)
    assert client_row(bb, client_id).email is None  # erased here before Stripe answered
    assert stripe_customer(practice, customer_id).get("deleted") is None  # not yet
    bb.slack.wait_for(lambda: stripe_customer(practice, customer_id).get("deleted") is True, timeout=30)
    settle(bb)
    assert client_row(bb, client_id).stripe_customer_id is None
    for secret in SECRETS:
        assert secret not in database_dump(bb), secret


def test_a_client_with_an_open_invoice_is_not_forgotten(practice: Practice) -> None:
    bb = practice.bb
    client_id, customer_id, invoice = a_client_with_everything(practice, paid=False)
    record(bb, NAME)
    choose(bb, f.MORE_ACTION, f"{f.FORGET}:{client_id}")
    notice = wait_top_text(bb, "still has invoices to settle")
    assert invoice.number in view_text(notice) and "void them" in view_text(notice)
    settle(bb)
    assert client_row(bb, client_id).name == NAME
    assert stripe_customer(practice, customer_id).get("deleted") is None


def test_french_forget_says_client_efface(practice: Practice) -> None:
    bb = practice.bb
    bb.workspace.add_usergroup("S0BILLING", "billing", users=[FRENCH_USER])
    with bb.app.services.db.session() as session:
        settings = session.get(BillingSettings, TEAM_ID)
        assert settings is not None
        settings.billing_admin_group = "S0BILLING"
        session.add(settings)
    client_id, customer_id, _ = a_client_with_everything(practice)
    record(bb, NAME, user=FRENCH_USER)
    view = open_forget(bb, client_id, user=FRENCH_USER)
    assert view["title"]["text"] == "Oublier le client"
    wrong = bb.requests.submit(view, forget_values("Jeanne"), user=FRENCH_USER).json()
    assert "pas exactement le nom" in wrong["errors"][f.FORGET_NAME]
    bb.requests.submit(view, forget_values(NAME), user=FRENCH_USER)
    wait_top_text(bb, "Le client est effacé", user=FRENCH_USER)
    settle(bb)
    assert client_row(bb, client_id).name == "client effacé"
    assert stripe_customer(practice, customer_id)["deleted"] is True


def test_a_member_cannot_forget_a_client(practice: Practice) -> None:
    bb = practice.bb
    let_members_see_clients(bb)
    client_id, customer_id, _ = a_client_with_everything(practice)
    record(bb, NAME, user=MEMBER)
    choose(bb, f.MORE_ACTION, f"{f.FORGET}:{client_id}", user=MEMBER)
    wait_top_text(bb, "Only billing admins", user=MEMBER)
    forged = {"type": "modal", "id": "V_FORGED", "callback_id": f.FORGET_CALLBACK,
              "private_metadata": f'{{"client":{client_id}}}',
              "blocks": []}  # fmt: skip
    bb.requests.submit(forged, forget_values(NAME), user=MEMBER)
    settle(bb)
    assert client_row(bb, client_id).name == NAME
    assert stripe_customer(practice, customer_id).get("deleted") is None
