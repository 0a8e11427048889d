"""Archiving and merging clients through the harness: archived clients out of `/client`, its search and the
invoice modal's client options, still on their invoices, and back with Unarchive; a duplicate merged into the
client kept (its invoices and sessions moved, itself hidden), once under retries; French; non-admins."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.models import Appointment, BillingSettings
from flows.clients import ids as f
from flows.invoices import ids as invoice_ids
from tests.conftest import ADMIN, FRENCH_USER, MEMBER, TEAM_ID, Billbot
from tests.flows.clients.changing import (
    appointments,
    choose,
    client_row,
    give_customer,
    invoices,
    open_modal_by_menu,
    record,
    settle,
    stripe_customer,
    view_text,
    wait_top_text,
)
from tests.flows.clients.test_clients import (
    CHANNEL,
    add_service,
    blocks_text,
    button,
    click_and_wait,
    command,
    let_members_see_clients,
    listed_names,
)
from tests.flows.invoices.test_creation import Practice, line, make_practice


@pytest.fixture
def practice(billbot: Billbot) -> Practice:
    return make_practice(billbot)


def invoice_modal_options(bb: Billbot, query: str) -> list[str]:
    """What the invoice modal's client select offers for ``query`` (its block_suggestion)."""
    view = {"id": "V_INVOICE", "callback_id": invoice_ids.CALLBACK, "private_metadata": "{}"}
    answer = bb.requests.suggest(invoice_ids.CLIENT_ACTION, "client.0", query, view=view, user=ADMIN).json()
    return [o["text"]["text"] for o in answer["options"]]


def newest_ephemeral(bb: Billbot, before: int, user: str = ADMIN) -> Any:
    found = bb.slack.wait_for(
        lambda: len(bb.workspace.ephemeral(CHANNEL, user)) > before and bb.workspace.ephemeral(CHANNEL, user)
    )
    return found[-1]


# -- archive -------------------------------------------------------------------------------------------------


def test_archive_hides_a_client_from_the_pickers_and_keeps_them_on_their_invoices(practice: Practice) -> None:
    bb = practice.bb
    client_id = practice.add_client("Anne Leroy", "anne@example.com")
    practice.add_client("Annie Other", "annie@example.com")
    practice.create(practice.form(client_id, [line()]))
    shown = record(bb, "Anne Leroy")
    assert "Archive" in blocks_text(shown)
    before = len(bb.workspace.ephemeral(CHANNEL, ADMIN))
    choose(bb, f.MORE_ACTION, f"{f.ARCHIVE}:{client_id}")
    redrawn = newest_ephemeral(bb, before)
    assert "Archived on" in blocks_text(redrawn) and "Unarchive" in blocks_text(redrawn)
    assert button(redrawn, f.NEW_INVOICE_ACTION) is None  # not invoiced while archived
    choose(bb, f.MORE_ACTION, f"{f.ARCHIVE}:{client_id}")  # a double click: still archived, once
    settle(bb)
    assert client_row(bb, client_id).archived_at is not None

    assert listed_names(command(bb, "")) == ["Annie Other"]
    assert "No client matches" in blocks_text(command(bb, "Anne Leroy"))
    assert invoice_modal_options(bb, "ann") == ["Annie Other"]
    # Still on their invoice, and listed under `/client archived`, from where Unarchive brings them back.
    [invoice] = invoices(bb)
    assert invoice.client_id == client_id
    archived = command(bb, "archived")
    assert listed_names(archived) == ["Anne Leroy"] and "Archived clients (1)" in blocks_text(archived)
    before = len(bb.workspace.ephemeral(CHANNEL, ADMIN))
    choose(bb, f.MORE_ACTION, f"{f.UNARCHIVE}:{client_id}")
    back = newest_ephemeral(bb, before)
    assert "Archived on" not in blocks_text(back) and invoice.number in blocks_text(back)
    assert invoice_modal_options(bb, "ann") == ["Anne Leroy", "Annie Other"]


def test_a_member_cannot_archive(billbot: Billbot) -> None:
    practice = make_practice(billbot)
    let_members_see_clients(billbot)
    client_id = practice.add_client("Anne Leroy")
    record(billbot, "Anne Leroy", user=MEMBER)
    before = len(billbot.workspace.ephemeral(CHANNEL, MEMBER))
    choose(billbot, f.MORE_ACTION, f"{f.ARCHIVE}:{client_id}", user=MEMBER)
    refused = newest_ephemeral(billbot, before, MEMBER)
    assert "Only billing admins" in (refused.text or "")
    assert client_row(billbot, client_id).archived_at is None


# -- merge ---------------------------------------------------------------------------------------------------


def merge_values(duplicate_id: int | None, name: str = "x") -> dict[str, Any]:
    option = {"text": {"type": "plain_text", "text": name}, "value": str(duplicate_id)} if duplicate_id else None
    return {f.MERGE_DUPLICATE: {f.MERGE_DUPLICATE: {"type": "external_select", "selected_option": option}}}


def two_duplicates(practice: Practice) -> tuple[int, int, str]:
    kept = practice.add_client("Anne Leroy", "anne@example.com")
    duplicate = practice.add_client("Anne Leroy (2)", None)
    customer_id = give_customer(practice, kept)
    service_id = add_service(practice.bb)
    with practice.services.db.session() as session:
        session.add(Appointment(team_id=TEAM_ID, client_id=duplicate, held_on=date(2026, 3, 1), service_id=service_id,
                                description="Consultation"))  # fmt: skip
    with practice.services.db.session() as session:
        row = session.get(type(client_row(practice.bb, duplicate)), duplicate)
        assert row is not None
        row.email = "anne.2@example.com"
        session.add(row)
    practice.create(practice.form(duplicate, [line()]))
    return kept, duplicate, customer_id


def test_merge_moves_invoices_and_sessions_to_the_kept_client_once(practice: Practice) -> None:
    bb = practice.bb
    kept, duplicate, customer_id = two_duplicates(practice)
    record(bb, "Anne Leroy")
    view = open_modal_by_menu(bb, f.MORE_ACTION, f"{f.MERGE}:{kept}", f.MERGE_CALLBACK)
    assert "Stripe cannot merge customers" in view_text(view)
    options = bb.requests.suggest(f.MERGE_DUPLICATE, f.MERGE_DUPLICATE, "anne", view=view, user=ADMIN).json()
    assert [o["value"] for o in options["options"]] == [str(duplicate)]  # never the client kept

    answer = bb.requests.submit(view, merge_values(duplicate), user=ADMIN).json()
    assert answer["response_action"] == "update"
    confirm = answer["view"]
    assert confirm["callback_id"] == f.MERGE_CONFIRM_CALLBACK
    assert "Merge *Anne Leroy (2)* into *Anne Leroy*?" in view_text(confirm)
    confirm = {**confirm, "id": view["id"]}
    assert bb.requests.submit(confirm, {}, user=ADMIN).json()["response_action"] == "update"
    wait_top_text(bb, "is merged into")
    assert "1 invoice and 1 session moved" in view_text(bb.workspace.views(ADMIN)[-1])

    assert [i.client_id for i in invoices(bb)] == [kept]
    assert [a.client_id for a in appointments(bb)] == [kept]
    assert client_row(bb, duplicate).merged_into_id == kept
    assert client_row(bb, kept).stripe_customer_id == customer_id  # the kept client's customer stays
    assert stripe_customer(practice, customer_id).get("deleted") is None
    assert listed_names(command(bb, "")) == ["Anne Leroy"]

    bb.requests.submit(confirm, {}, user=ADMIN)  # Slack's retry
    settle(bb)
    assert [i.client_id for i in invoices(bb)] == [kept] and client_row(bb, duplicate).merged_into_id == kept
    # The duplicate's old buttons open the client kept.
    shown = click_and_wait(bb, f.OPEN_RECORD_ACTION, str(duplicate))
    assert shown.blocks[0]["text"]["text"] == "Anne Leroy" and "INV-0001" in blocks_text(shown)


@pytest.mark.parametrize("which", ["none", "itself"])
def test_merge_refuses_no_duplicate_or_the_client_itself(practice: Practice, which: str) -> None:
    bb = practice.bb
    kept, duplicate, _ = two_duplicates(practice)
    record(bb, "Anne Leroy")
    view = open_modal_by_menu(bb, f.MORE_ACTION, f"{f.MERGE}:{kept}", f.MERGE_CALLBACK)
    answer = bb.requests.submit(view, merge_values(None if which == "none" else kept), user=ADMIN).json()
    assert answer["response_action"] == "errors" and list(answer["errors"]) == [f.MERGE_DUPLICATE]
    settle(bb)
    assert client_row(bb, duplicate).merged_into_id is None


def test_french_merge(practice: Practice) -> None:
    bb = practice.bb
    bb.workspace.add_usergroup("S0BILLING", "billing", users=[FRENCH_USER])
    with bb.app.services.db.session() as session:
        settings = session.get(BillingSettings, TEAM_ID)
        assert settings is not None
        settings.billing_admin_group = "S0BILLING"
        session.add(settings)
    kept, duplicate, _ = two_duplicates(practice)
    record(bb, "Anne Leroy", user=FRENCH_USER)
    view = open_modal_by_menu(bb, f.MORE_ACTION, f"{f.MERGE}:{kept}", f.MERGE_CALLBACK, user=FRENCH_USER)
    assert view["title"]["text"] == "Fusionner des clients"
    confirm = bb.requests.submit(view, merge_values(duplicate), user=FRENCH_USER).json()["view"]
    assert "Fusionner *Anne Leroy (2)* dans *Anne Leroy*" in view_text(confirm)
    bb.requests.submit({**confirm, "id": view["id"]}, {}, user=FRENCH_USER)
    wait_top_text(bb, "est fusionné dans", user=FRENCH_USER)


def test_a_member_cannot_merge(practice: Practice) -> None:
    bb = practice.bb
    let_members_see_clients(bb)
    kept, duplicate, _ = two_duplicates(practice)
    record(bb, "Anne Leroy", user=MEMBER)
    choose(bb, f.MORE_ACTION, f"{f.MERGE}:{kept}", user=MEMBER)
    wait_top_text(bb, "Only billing admins", user=MEMBER)
    forged = {"type": "modal", "id": "V_FORGED", "callback_id": f.MERGE_CONFIRM_CALLBACK, "blocks": [],
              "private_metadata": f'{{"client":{kept},"duplicate":{duplicate}}}'}  # fmt: skip
    bb.requests.submit(forged, {}, user=MEMBER)
    settle(bb)
    assert client_row(bb, duplicate).merged_into_id is None
