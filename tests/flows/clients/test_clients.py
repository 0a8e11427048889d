"""`/client` through the harness: the list and its pages, search, the new client modal, a client's record,
sessions, and the buttons that start an invoice."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.models import Appointment, BillingSettings, Client, Invoice, Service
from bot.sandbox.slack import check_message, check_view
from flows.clients import ids as f
from flows.clients.logic import fold_name
from tests.conftest import ADMIN, FRENCH_USER, MEMBER, TEAM_ID, Billbot
from tests.harness.views import filled_stack, filled_view

CHANNEL = "C_GENERAL"

# -- helpers ----------------------------------------------------------------------------------------------


def _text(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def _select(value: str | None) -> dict[str, Any]:
    option = {"text": {"type": "plain_text", "text": value}, "value": value} if value else None
    return {"type": "static_select", "selected_option": option}


def client_values(
    name: str | None = "Élodie Dupré",
    email: str | None = "elodie@example.com",
    phone: str | None = None,
    line1: str | None = None,
    line2: str | None = None,
    city: str | None = None,
    region: str | None = None,
    postal_code: str | None = None,
    country: str | None = None,
) -> dict[str, Any]:
    return {
        f.NAME: {f.NAME: _text(name)},
        f.EMAIL: {f.EMAIL: _text(email)},
        f.PHONE: {f.PHONE: _text(phone)},
        f.ADDRESS_LINE1: {f.ADDRESS_LINE1: _text(line1)},
        f.ADDRESS_LINE2: {f.ADDRESS_LINE2: _text(line2)},
        f.CITY: {f.CITY: _text(city)},
        f.REGION: {f.REGION: _text(region)},
        f.POSTAL_CODE: {f.POSTAL_CODE: _text(postal_code)},
        f.COUNTRY: {f.COUNTRY: _select(country)},
    }


def session_values(
    held_on: str | None = "2025-03-04",
    service: int | None = None,
    duration: str | None = None,
    notes: str | None = None,
) -> dict[str, Any]:
    return {
        f.SESSION_DATE: {f.SESSION_DATE: {"type": "datepicker", "selected_date": held_on}},
        f.SESSION_SERVICE: {f.SESSION_SERVICE: _select(str(service) if service is not None else None)},
        f.SESSION_DURATION: {f.SESSION_DURATION: {"type": "number_input", "value": duration}},
        f.SESSION_NOTES: {f.SESSION_NOTES: _text(notes)},
    }


def settle(bb: Billbot) -> None:
    """Wait until the work after the acks is done, so "nothing was saved" is not read too early."""
    bb.slack.wait_for(lambda: bb.app.services.work.counts() == {"pending": 0, "failed": 0})


def let_members_see_clients(bb: Billbot) -> None:
    """The billing setting that lets every member (here the French one, not an admin) see client details."""
    with bb.app.services.db.session() as session:
        row = session.get(BillingSettings, TEAM_ID) or BillingSettings(team_id=TEAM_ID, currency="eur")
        row.members_see_client_details = True
        session.add(row)


def add_clients(bb: Billbot, *names: str, email: bool = True) -> list[int]:
    ids: list[int] = []
    with bb.app.services.db.session() as session:
        for name in names:
            slug = fold_name(name).replace(" ", ".")
            row = Client(
                team_id=TEAM_ID, name=name, name_key=fold_name(name), email=f"{slug}@example.com" if email else None
            )
            session.add(row)
            session.flush()
            assert row.id is not None
            ids.append(row.id)
    return ids


def add_service(bb: Billbot, name: str = "Consultation", amount: int = 8000, currency: str = "eur") -> int:
    with bb.app.services.db.session() as session:
        row = Service(team_id=TEAM_ID, name=name, unit_amount=amount, currency=currency)
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def db_clients(bb: Billbot) -> list[Client]:
    with bb.app.services.db.session() as session:
        return list(session.exec(select(Client).order_by(Client.id)))  # type: ignore[arg-type]


def db_appointments(bb: Billbot) -> list[Appointment]:
    with bb.app.services.db.session() as session:
        return list(session.exec(select(Appointment).order_by(Appointment.id)))  # type: ignore[arg-type]


def ephemeral_count(bb: Billbot, user: str = ADMIN) -> int:
    return len(bb.workspace.ephemeral(CHANNEL, user))


def command(bb: Billbot, text: str = "", user: str = ADMIN) -> Any:
    """Run `/client text`; returns the newest ephemeral answer (a Message) once it arrives."""
    before = ephemeral_count(bb, user)
    started = time.monotonic()
    response = bb.requests.command("/client", text, user=user)
    assert response.status_code == 200 and response.content == b""  # the ack is empty and immediate
    assert time.monotonic() - started < 3
    found = bb.slack.wait_for(
        lambda: len(bb.workspace.ephemeral(CHANNEL, user)) > before and bb.workspace.ephemeral(CHANNEL, user)
    )
    message = found[-1]
    assert check_message(message.text, message.blocks) == []
    return message


def click_in_message(bb: Billbot, action_id: str, value: str, user: str = ADMIN) -> Any:
    """A button in an ephemeral message, with the response_url Slack puts in such a payload."""
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "practice"},
        "user": {"id": user, "team_id": TEAM_ID},
        "api_app_id": "A_BILLBOT",
        "trigger_id": bb.slack.issue_trigger_id(TEAM_ID, user),
        "container": {"type": "message", "channel_id": CHANNEL, "is_ephemeral": True, "message_ts": "1.000"},
        "channel": {"id": CHANNEL, "name": "general"},
        "response_url": bb.slack.issue_response_url(TEAM_ID, CHANNEL, user),
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b",
                "value": value,
                "text": {"type": "plain_text", "text": action_id},
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return bb.requests.interact(payload)


def click_and_wait(bb: Billbot, action_id: str, value: str, user: str = ADMIN) -> Any:
    before = ephemeral_count(bb, user)
    click_in_message(bb, action_id, value, user)
    found = bb.slack.wait_for(
        lambda: len(bb.workspace.ephemeral(CHANNEL, user)) > before and bb.workspace.ephemeral(CHANNEL, user)
    )
    message = found[-1]
    assert check_message(message.text, message.blocks) == []
    return message


def button(message: Any, action_id: str) -> dict[str, Any] | None:
    for block in message.blocks or []:
        elements = block.get("elements", []) if block["type"] == "actions" else [block.get("accessory") or {}]
        for element in elements:
            if element.get("action_id") == action_id:
                return dict(element)
    return None


def blocks_text(message: Any) -> str:
    return json.dumps(message.blocks, ensure_ascii=False)


def open_new_client_modal(bb: Billbot, text: str = "new", user: str = ADMIN) -> dict[str, Any]:
    bb.requests.command("/client", text, user=user)
    view: dict[str, Any] = filled_view(bb.slack, bb.workspace, user)
    assert view["callback_id"] == f.NEW_CLIENT_CALLBACK
    assert check_view(view) == []
    return view


def listed_names(message: Any) -> list[str]:
    return [
        b["text"]["text"].split("\n")[0].strip("*")
        for b in message.blocks
        if b["type"] == "section" and b.get("accessory", {}).get("action_id") == f.OPEN_RECORD_ACTION
    ]


# -- the list ---------------------------------------------------------------------------------------------


def test_client_lists_the_clients_by_name_privately(billbot: Billbot) -> None:
    add_clients(billbot, "Zoé Martin", "anne Leroy", "Élodie Dupré")
    message = command(billbot)
    assert listed_names(message) == ["anne Leroy", "Élodie Dupré", "Zoé Martin"]  # accents and case ignored
    assert "Clients (3)" in blocks_text(message)
    assert button(message, f.LIST_MORE_ACTION) is None  # one page
    assert button(message, f.NEW_CLIENT_ACTION) is not None
    assert billbot.workspace.messages(CHANNEL) == []  # nothing posted in the channel


def test_no_clients_yet_offers_a_new_client(billbot: Billbot) -> None:
    message = command(billbot)
    assert "No clients yet" in message.text
    assert button(message, f.NEW_CLIENT_ACTION) is not None


def test_120_clients_are_paged_with_more_and_previous(billbot: Billbot) -> None:
    add_clients(billbot, *(f"Client {n:03d}" for n in range(120)))
    first = command(billbot)
    assert len(first.blocks) <= 50
    assert listed_names(first)[0] == "Client 000" and len(listed_names(first)) == 40
    assert "Showing 1–40 of 120" in blocks_text(first)
    more = button(first, f.LIST_MORE_ACTION)
    assert more is not None and more["text"]["text"] == "More"
    assert button(first, f.LIST_PREVIOUS_ACTION) is None

    second = click_and_wait(billbot, f.LIST_MORE_ACTION, more["value"])
    assert listed_names(second)[0] == "Client 040" and listed_names(second)[-1] == "Client 079"
    nav = next(b for b in second.blocks if b["type"] == "actions")["elements"]
    assert [e["text"]["text"] for e in nav] == ["Previous", "More", "New client"]

    third = click_and_wait(billbot, f.LIST_MORE_ACTION, nav[1]["value"])
    assert listed_names(third)[-1] == "Client 119" and "Showing 81–120 of 120" in blocks_text(third)
    nav = next(b for b in third.blocks if b["type"] == "actions")["elements"]
    assert [e["text"]["text"] for e in nav] == ["Previous", "New client"]

    back = click_and_wait(billbot, f.LIST_PREVIOUS_ACTION, nav[0]["value"])
    assert listed_names(back)[0] == "Client 040"


def test_a_forged_page_value_changes_nothing(billbot: Billbot) -> None:
    add_clients(billbot, "Anne")
    before = ephemeral_count(billbot)
    assert click_in_message(billbot, f.LIST_MORE_ACTION, '{"q": "", "o": -5}').status_code == 200
    assert click_in_message(billbot, f.LIST_PREVIOUS_ACTION, "not json").status_code == 200
    settle(billbot)
    assert ephemeral_count(billbot) == before


def test_french_list(billbot: Billbot) -> None:
    let_members_see_clients(billbot)  # FRENCH_USER is a member, not a billing admin
    add_clients(billbot, *(f"Client {n:03d}" for n in range(45)))
    message = command(billbot, user=FRENCH_USER)
    assert "1 à 40 sur 45" in blocks_text(message)
    assert button(message, f.LIST_MORE_ACTION)["text"]["text"] == "Suivants"  # type: ignore[index]
    assert button(message, f.NEW_CLIENT_ACTION)["text"]["text"] == "Nouveau client"  # type: ignore[index]


# -- search -----------------------------------------------------------------------------------------------


def test_search_without_accents_finds_the_one_client_and_shows_the_record(billbot: Billbot) -> None:
    add_clients(billbot, "Élodie Dupré", "Marc Petit", "Hélène Roux")
    message = command(billbot, "elo")
    assert message.blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Élodie Dupré", "emoji": True},
    }
    assert "elodie.dupre@example.com" in blocks_text(message)


def test_search_with_several_matches_lists_them(billbot: Billbot) -> None:
    add_clients(billbot, "Anne Martin", "Marc Martinez", "Zoé Roux")
    message = command(billbot, "MARTIN")
    assert listed_names(message) == ["Anne Martin", "Marc Martinez"]
    assert "Clients matching “MARTIN” (2)" in blocks_text(message)


def test_an_exact_name_wins_over_longer_ones(billbot: Billbot) -> None:
    add_clients(billbot, "Anne", "Anne-Marie Roux")
    message = command(billbot, "anne")
    assert message.blocks[0]["type"] == "header" and message.blocks[0]["text"]["text"] == "Anne"


def test_search_with_no_match_says_so_and_offers_the_new_client_modal_prefilled(billbot: Billbot) -> None:
    add_clients(billbot, "Anne")
    message = command(billbot, "Bertrand")
    assert "No client matches “Bertrand”" in message.text
    new = button(message, f.NEW_CLIENT_ACTION)
    assert new is not None and new["value"] == "Bertrand"
    click_in_message(billbot, f.NEW_CLIENT_ACTION, new["value"])
    view = filled_view(billbot.slack, billbot.workspace, ADMIN)
    assert view["callback_id"] == f.NEW_CLIENT_CALLBACK
    name = next(b for b in view["blocks"] if b.get("block_id") == f.NAME)
    assert name["element"]["initial_value"] == "Bertrand"


def test_search_in_french_with_no_match(billbot: Billbot) -> None:
    let_members_see_clients(billbot)  # FRENCH_USER is a member, not a billing admin
    message = command(billbot, "Zoé", user=FRENCH_USER)
    assert "Aucun client ne correspond à « Zoé »" in message.text


# -- the new client modal ---------------------------------------------------------------------------------


def test_new_client_is_saved_once_and_its_record_shown(billbot: Billbot) -> None:
    view = open_new_client_modal(billbot)
    before = ephemeral_count(billbot)
    values = client_values(
        "  Élodie   Dupré ", "elodie@example.com", "+33 (0)6 12.34-56-78", "12 rue de la Paix", None, "Paris",
        None, "75002", "FR",
    )  # fmt: skip
    answer = billbot.requests.submit(view, values, user=ADMIN).json()
    assert answer["response_action"] == "update" and "Saving" in json.dumps(answer["view"])
    billbot.slack.wait_for(lambda: "is saved" in json.dumps(billbot.workspace.view(view["id"])["blocks"]))
    [row] = db_clients(billbot)
    assert (row.name, row.name_key, row.email, row.phone) == (
        "Élodie Dupré", "elodie dupre", "elodie@example.com", "+33 (0)6 12.34-56-78",
    )  # fmt: skip
    assert (row.address_line1, row.city, row.postal_code, row.country, row.created_by) == (
        "12 rue de la Paix", "Paris", "75002", "FR", ADMIN,
    )  # fmt: skip
    record = billbot.slack.wait_for(
        lambda: ephemeral_count(billbot) > before and billbot.workspace.ephemeral(CHANNEL, ADMIN)
    )
    assert record[-1].blocks[0]["text"]["text"] == "Élodie Dupré"
    assert "12 rue de la Paix, 75002 Paris, France" in blocks_text(record[-1])

    # Slack retries the same submission: still one client.
    billbot.requests.submit(view, values, user=ADMIN)
    settle(billbot)
    assert len(db_clients(billbot)) == 1


def test_new_client_with_a_name_only(billbot: Billbot) -> None:
    view = open_new_client_modal(billbot, "new Paul Durand")
    name = next(b for b in view["blocks"] if b.get("block_id") == f.NAME)
    assert name["element"]["initial_value"] == "Paul Durand"
    billbot.requests.submit(view, client_values("Paul Durand", None), user=ADMIN)
    settle(billbot)
    [row] = db_clients(billbot)
    assert row.email is None and row.country is None


@pytest.mark.parametrize(
    ("values", "block_id", "message"),
    [
        (client_values(name="   "), f.NAME, "Please fill this in."),
        (client_values(name="x" * 201), f.NAME, "Please keep this to 200 characters (it has 201)."),
        (client_values(email="elodie.example.com"), f.EMAIL, "This is not an email address"),
        (client_values(email="elodie@example"), f.EMAIL, "This is not an email address"),
        (client_values(email="elo die@example.com"), f.EMAIL, "This is not an email address"),
        (client_values(phone="call me"), f.PHONE, "A phone number has digits"),
        (client_values(phone="+--"), f.PHONE, "A phone number has digits"),
        (client_values(line1="1 rue A", city="Paris", postal_code="7500", country="FR"), f.POSTAL_CODE,
         "This is not a postal code for France (for example 75001)."),
        (client_values(line1="1 rue A", city="Paris", postal_code="75001", country="ZZ"), f.COUNTRY,
         "Choose a country from the list."),
        (client_values(line1="1 rue A", city="Paris"), f.COUNTRY, "An address needs its first line, city and country."),
        (client_values(city="Paris", country="FR", postal_code="75001"), f.ADDRESS_LINE1, "An address needs"),
        (client_values(line1="1 rue A", city="Paris", country="FR"), f.POSTAL_CODE,
         "Enter the postal code: it is required for an address in France."),
    ],
)  # fmt: skip
def test_a_wrong_client_field_gets_its_message_and_nothing_is_saved(
    billbot: Billbot, values: dict[str, Any], block_id: str, message: str
) -> None:
    view = open_new_client_modal(billbot)
    answer = billbot.requests.submit(view, values, user=ADMIN).json()
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [block_id]
    assert answer["errors"][block_id].startswith(message)
    settle(billbot)
    assert db_clients(billbot) == []


def test_client_errors_speak_french(billbot: Billbot) -> None:
    view = open_new_client_modal(billbot, user=FRENCH_USER)
    assert view["title"]["text"] == "Nouveau client"
    values = client_values(
        name="", email="pas-un-email", line1="1 rue A", city="Lyon", postal_code="6900", country="FR"
    )
    answer = billbot.requests.submit(view, values, user=FRENCH_USER).json()
    assert answer["errors"] == {
        f.NAME: "Veuillez remplir ce champ.",
        f.EMAIL: "Ce n’est pas une adresse e-mail (par exemple nom@exemple.fr).",
        f.POSTAL_CODE: "Ce n’est pas un code postal valide pour ce pays : France (par exemple 75001).",
    }
    settle(billbot)
    assert db_clients(billbot) == []


def test_new_client_pushed_from_the_invoice_modal_is_chosen_there(billbot: Billbot) -> None:
    from flows.invoices import ids as modal_ids

    with billbot.app.services.db.session() as session:
        session.add(BillingSettings(team_id=TEAM_ID, currency="eur"))
    billbot.requests.command("/invoice", user=ADMIN)
    invoice_view = filled_view(billbot.slack, billbot.workspace, ADMIN)
    billbot.requests.click(modal_ids.NEW_CLIENT_ACTION, user=ADMIN, value="new", view=invoice_view)
    stack = filled_stack(billbot.slack, billbot.workspace, ADMIN, depth=2)
    pushed = stack[-1]
    assert pushed["callback_id"] == f.NEW_CLIENT_CALLBACK and pushed["close"]["text"] == "Back"
    assert json.loads(pushed["private_metadata"]) == {"parent": invoice_view["id"]}
    response = billbot.requests.submit(pushed, client_values("Noé Lambert"), user=ADMIN)
    assert response.status_code == 200 and response.content == b""  # closes, back to the invoice modal
    billbot.workspace.pop_view(ADMIN)  # as Slack does on an empty ack
    billbot.slack.wait_for(lambda: "Noé Lambert" in json.dumps(billbot.workspace.view(invoice_view["id"]),
                                                               ensure_ascii=False))  # fmt: skip
    [row] = db_clients(billbot)
    assert row.name == "Noé Lambert"
    billbot.requests.submit(pushed, client_values("Noé Lambert"), user=ADMIN)  # Slack's retry
    settle(billbot)
    assert len(db_clients(billbot)) == 1


# -- a client's record ------------------------------------------------------------------------------------


def seed_history(bb: Billbot, client_id: int, service_id: int) -> dict[str, int]:
    """Invoices open, paid and void, and sessions on each of them or on none."""
    with bb.app.services.db.session() as session:
        invoices = {}
        for number, status, total, remaining in (
            ("INV-0001", "paid", 8000, 0),
            ("INV-0002", "open", 12050, 12050),
            ("INV-0003", "void", 8000, 0),
        ):
            row = Invoice(
                team_id=TEAM_ID, number=number, request_key=number, client_id=client_id, currency="eur",
                status=status, due_date=date(2025, 4, 1), total=total, subtotal=total, amount_remaining=remaining,
                amount_paid=total - remaining if status == "paid" else 0,
            )  # fmt: skip
            session.add(row)
            session.flush()
            assert row.id is not None
            invoices[number] = row.id
        for day, invoice in ((1, "INV-0001"), (2, "INV-0002"), (3, "INV-0003"), (4, None)):
            session.add(
                Appointment(
                    team_id=TEAM_ID, client_id=client_id, held_on=date(2025, 3, day), service_id=service_id,
                    description="Consultation", duration_minutes=50, notes="Private: anxiety, sleep",
                    invoice_id=invoices[invoice] if invoice else None,
                )
            )  # fmt: skip
    return invoices


def test_record_shows_contact_invoices_with_totals_and_sessions(billbot: Billbot) -> None:
    [client_id] = add_clients(billbot, "Élodie Dupré")
    seed_history(billbot, client_id, add_service(billbot))
    message = command(billbot, "Élodie")
    text = blocks_text(message)
    assert "Email: elodie.dupre@example.com" in text
    assert "`INV-0002` · Open · €120.50 · due Apr 1, 2025" in text
    assert "`INV-0001` · Paid · €80.00" in text and "`INV-0003` · Void" in text
    assert "Open: €120.50 due · Paid: €80.00" in text
    assert "Mar 1, 2025 · Consultation · 50 min · invoiced (INV-0001)" in text
    assert "Mar 3, 2025 · Consultation · 50 min · _not invoiced_" in text  # its invoice was voided
    assert "Mar 4, 2025 · Consultation · 50 min · _not invoiced_" in text
    assert "anxiety" not in text  # session notes stay out of the record
    invoice_sessions = button(message, f.INVOICE_SESSIONS_ACTION)
    assert invoice_sessions is not None and invoice_sessions["text"]["text"] == "Invoice uninvoiced sessions (2)"
    assert button(message, f.ADD_SESSION_ACTION) is not None and button(message, f.NEW_INVOICE_ACTION) is not None
    assert billbot.workspace.messages(CHANNEL) == []


def test_record_in_french(billbot: Billbot) -> None:
    let_members_see_clients(billbot)  # FRENCH_USER is a member, not a billing admin
    [client_id] = add_clients(billbot, "Élodie Dupré", email=False)
    seed_history(billbot, client_id, add_service(billbot))
    message = command(billbot, "elodie", user=FRENCH_USER)
    text = blocks_text(message)
    assert "aucun pour l’instant" in text
    assert "`INV-0002` · En attente · 120,50\u00a0€ · échéance le 1 avr. 2025" in text
    assert "1 mars 2025 · Consultation · 50 min · facturée (INV-0001)" in text
    assert button(message, f.INVOICE_SESSIONS_ACTION)["text"]["text"] == (  # type: ignore[index]
        "Facturer les séances non facturées (2)"
    )


def test_record_without_uninvoiced_sessions_has_no_invoice_sessions_button(billbot: Billbot) -> None:
    add_clients(billbot, "Anne")
    message = command(billbot, "Anne")
    assert "No invoices yet." in blocks_text(message) and "No sessions yet." in blocks_text(message)
    assert button(message, f.INVOICE_SESSIONS_ACTION) is None


def test_a_long_history_stays_within_one_message(billbot: Billbot) -> None:
    [client_id] = add_clients(billbot, "Anne")
    service_id = add_service(billbot)
    with billbot.app.services.db.session() as session:
        for n in range(60):
            session.add(Appointment(team_id=TEAM_ID, client_id=client_id, held_on=date(2024, 1, 1) + timedelta(days=n),
                                    service_id=service_id, description="Consultation"))  # fmt: skip
            session.add(Invoice(team_id=TEAM_ID, number=f"INV-{n:04d}", request_key=str(n), client_id=client_id,
                                currency="eur", status="open", due_date=date(2025, 1, 1), total=1000,
                                amount_remaining=1000))  # fmt: skip
    message = command(billbot, "Anne")
    text = blocks_text(message)
    assert "The 15 most recent of 60 sessions are shown." in text
    assert "The 10 most recent of 60 invoices are shown." in text
    assert "Open: €600.00 due" in text
    assert "Feb 29, 2024" in text and "Jan 1, 2024" not in text  # the newest sessions


def test_open_button_in_the_list_shows_the_record(billbot: Billbot) -> None:
    [anne, _] = add_clients(billbot, "Anne", "Bob")
    record = click_and_wait(billbot, f.OPEN_RECORD_ACTION, str(anne))
    assert record.blocks[0]["text"]["text"] == "Anne"


def test_a_client_of_another_workspace_is_not_shown(billbot: Billbot) -> None:
    with billbot.app.services.db.session() as session:
        other = Client(team_id="T0OTHER", name="Secret", name_key="secret")
        session.add(other)
        session.flush()
        other_id = other.id
    record = click_and_wait(billbot, f.OPEN_RECORD_ACTION, str(other_id))
    assert "no longer exists" in record.text and "Secret" not in blocks_text(record)
    assert "Secret" not in blocks_text(command(billbot))


# -- sessions ---------------------------------------------------------------------------------------------


def open_session_modal(bb: Billbot, client_id: int, user: str = ADMIN) -> dict[str, Any]:
    click_in_message(bb, f.ADD_SESSION_ACTION, str(client_id), user)
    view: dict[str, Any] = filled_view(bb.slack, bb.workspace, user)
    assert check_view(view) == []
    return view


def test_add_session_saves_it_once_and_redraws_the_record(billbot: Billbot) -> None:
    [client_id] = add_clients(billbot, "Anne")
    service_id = add_service(billbot, "Séance individuelle")
    add_service(billbot, "Bilan", 15000)
    view = open_session_modal(billbot, client_id)
    assert view["callback_id"] == f.SESSION_CALLBACK
    service_select = next(b for b in view["blocks"] if b.get("block_id") == f.SESSION_SERVICE)["element"]
    assert [o["text"]["text"] for o in service_select["options"]] == ["Bilan", "Séance individuelle"]
    assert service_select["options"][0]["description"]["text"] == "€150.00"
    before = ephemeral_count(billbot)
    values = session_values("2025-03-04", service_id, "50", "Talked about sleep")
    response = billbot.requests.submit(view, values, user=ADMIN)
    assert response.content == b""  # closes
    billbot.slack.wait_for(lambda: db_appointments(billbot))
    [row] = db_appointments(billbot)
    assert (row.client_id, row.held_on, row.service_id, row.description) == (
        client_id, date(2025, 3, 4), service_id, "Séance individuelle",
    )  # fmt: skip
    assert (row.duration_minutes, row.notes, row.invoice_id, row.created_by) == (50, "Talked about sleep", None, ADMIN)
    record = billbot.slack.wait_for(
        lambda: ephemeral_count(billbot) > before and billbot.workspace.ephemeral(CHANNEL, ADMIN)
    )
    text = blocks_text(record[-1])
    assert "Mar 4, 2025 · Séance individuelle · 50 min · _not invoiced_" in text
    assert "sleep" not in text
    assert "Invoice uninvoiced sessions (1)" in text

    billbot.requests.submit(view, values, user=ADMIN)  # Slack's retry
    settle(billbot)
    assert len(db_appointments(billbot)) == 1


@pytest.mark.parametrize(
    ("values", "block_id", "message"),
    [
        (session_values(held_on=None), f.SESSION_DATE, "Please fill this in."),
        (session_values(held_on="2999-01-01"), f.SESSION_DATE, "Choose a date from the calendar"),
        (session_values(service=None), f.SESSION_SERVICE, "Please fill this in."),
        (session_values(service=999999), f.SESSION_SERVICE, "This service is no longer in your catalogue."),
        (session_values(duration="0"), f.SESSION_DURATION, "A duration in whole minutes, from 1 to 1440."),
        (session_values(duration="1.5"), f.SESSION_DURATION, "A duration in whole minutes"),
        (session_values(notes="x" * 3001), f.SESSION_NOTES, "Please keep this to 3000 characters (it has 3001)."),
    ],
)
def test_a_wrong_session_field_gets_its_message_and_nothing_is_saved(
    billbot: Billbot, values: dict[str, Any], block_id: str, message: str
) -> None:
    [client_id] = add_clients(billbot, "Anne")
    service_id = add_service(billbot)
    view = open_session_modal(billbot, client_id)
    if block_id != f.SESSION_SERVICE:
        values[f.SESSION_SERVICE] = {f.SESSION_SERVICE: _select(str(service_id))}
    answer = billbot.requests.submit(view, values, user=ADMIN).json()
    assert answer["response_action"] == "errors" and list(answer["errors"]) == [block_id]
    assert answer["errors"][block_id].startswith(message)
    settle(billbot)
    assert db_appointments(billbot) == []


def test_an_archived_service_is_not_offered_for_a_session(billbot: Billbot) -> None:
    [client_id] = add_clients(billbot, "Anne")
    archived = add_service(billbot, "Old")
    with billbot.app.services.db.session() as session:
        row = session.get(Service, archived)
        assert row is not None
        row.active = False
    view = open_session_modal(billbot, client_id)
    assert "Your services catalogue is empty" in json.dumps(view["blocks"])
    assert view.get("submit") is None


def test_session_modal_in_french(billbot: Billbot) -> None:
    [client_id] = add_clients(billbot, "Anne")
    add_service(billbot)
    view = open_session_modal(billbot, client_id, FRENCH_USER)
    assert view["title"]["text"] == "Ajouter une séance"
    answer = billbot.requests.submit(view, session_values(duration="0"), user=FRENCH_USER).json()
    assert answer["errors"] == {
        f.SESSION_SERVICE: "Veuillez remplir ce champ.",
        f.SESSION_DURATION: "Une durée en minutes entières, de 1 à 1440.",
    }


def test_a_session_duration_in_other_digits_is_refused_in_both_languages(billbot: Billbot) -> None:
    [client_id] = add_clients(billbot, "Anne")
    service_id = add_service(billbot)
    for user, message in (
        (ADMIN, "A duration in whole minutes, from 1 to 1440."),
        (FRENCH_USER, "Une durée en minutes entières, de 1 à 1440."),
    ):
        view = open_session_modal(billbot, client_id, user)
        # str.isdigit() takes the first three, which int() then refused (a 500); int() reads "٣" as 3.
        for typed in ("²", "①", "1²", "٣", "１２", "-1", "1.5"):
            response = billbot.requests.submit(view, session_values(service=service_id, duration=typed), user=user)
            assert response.status_code == 200, typed
            assert response.json() == {"response_action": "errors", "errors": {f.SESSION_DURATION: message}}, typed
        # A forged service option: not a service, not a 500.
        forged = session_values(duration="50")
        forged[f.SESSION_SERVICE] = {f.SESSION_SERVICE: _select("²")}
        assert list(billbot.requests.submit(view, forged, user=user).json()["errors"]) == [f.SESSION_SERVICE]
        billbot.workspace.close_views(user)
    settle(billbot)
    assert db_appointments(billbot) == []
    view = open_session_modal(billbot, client_id)
    assert billbot.requests.submit(view, session_values(service=service_id, duration=" 3 "), user=ADMIN).content == b""
    [row] = billbot.slack.wait_for(lambda: db_appointments(billbot))
    assert row.duration_minutes == 3


# -- starting an invoice from the record ------------------------------------------------------------------


def test_new_invoice_button_opens_the_invoice_modal_with_the_client_chosen(billbot: Billbot) -> None:
    with billbot.app.services.db.session() as session:
        session.add(BillingSettings(team_id=TEAM_ID, currency="eur"))
    [client_id] = add_clients(billbot, "Anne Martin")
    click_in_message(billbot, f.NEW_INVOICE_ACTION, str(client_id))
    view = filled_view(billbot.slack, billbot.workspace, ADMIN)
    assert check_view(view) == []
    assert "Anne Martin" in json.dumps(view, ensure_ascii=False)


def test_invoice_sessions_button_puts_the_uninvoiced_sessions_in_the_invoice_modal(billbot: Billbot) -> None:
    with billbot.app.services.db.session() as session:
        session.add(BillingSettings(team_id=TEAM_ID, currency="eur"))
    [client_id] = add_clients(billbot, "Anne Martin")
    seed_history(billbot, client_id, add_service(billbot, "Consultation", 8000))
    click_in_message(billbot, f.INVOICE_SESSIONS_ACTION, str(client_id))
    view = filled_view(billbot.slack, billbot.workspace, ADMIN)
    assert check_view(view) == []
    dates = [e.get("initial_date") for b in view["blocks"] for e in [b.get("element") or {}] if e.get("initial_date")]
    # The sessions of Mar 3 (its invoice was voided) and Mar 4 (never invoiced), not those on live invoices.
    assert "2025-03-03" in dates and "2025-03-04" in dates
    assert "2025-03-01" not in dates and "2025-03-02" not in dates


def test_invoice_sessions_with_none_left_says_so(billbot: Billbot) -> None:
    [client_id] = add_clients(billbot, "Anne")
    click_in_message(billbot, f.INVOICE_SESSIONS_ACTION, str(client_id))
    view = filled_view(billbot.slack, billbot.workspace, ADMIN)
    assert "Anne has no uninvoiced sessions any more." in json.dumps(view["blocks"])


def test_invoice_sessions_of_another_workspaces_client_opens_nothing_of_theirs(billbot: Billbot) -> None:
    with billbot.app.services.db.session() as session:
        other = Client(team_id="T0OTHER", name="Secret", name_key="secret")
        session.add(other)
        session.flush()
        other_id = other.id
    click_in_message(billbot, f.INVOICE_SESSIONS_ACTION, str(other_id), MEMBER)
    view = filled_view(billbot.slack, billbot.workspace, MEMBER)
    assert "no longer exists" in json.dumps(view["blocks"])


def test_settings_are_not_needed_to_list_clients(billbot: Billbot) -> None:
    with billbot.app.services.db.session() as session:
        assert session.get(BillingSettings, TEAM_ID) is None
    add_clients(billbot, "Anne")
    assert listed_names(command(billbot)) == ["Anne"]
