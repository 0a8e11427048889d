"""Clients, sessions and services over the database (SQLite and PostgreSQL), the forms' validation, and the
views' fit within Slack's limits, without Slack."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from bot.db import Database
from bot.models import Appointment, BillingSettings, Client, Invoice, Service, TaxRate
from bot.sandbox.slack import check_message, check_view
from flows.clients import ids as f
from flows.clients import logic as client_logic
from flows.clients import validation as client_forms
from flows.clients import views as client_views
from flows.clients.catalogue import views as services_views
from flows.clients.validation import ClientForm, ServiceForm, SessionForm

TEAM = "T0PRACTICE"
OTHER = "T0OTHER"


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


def add_client(db: Database, name: str, team: str = TEAM) -> int:
    with db.session() as session:
        row = Client(team_id=team, name=name, name_key=client_logic.fold_name(name))
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def add_service(db: Database, name: str, team: str = TEAM, *, active: bool = True, amount: int = 8000) -> int:
    with db.session() as session:
        row = Service(team_id=team, name=name, unit_amount=amount, currency="eur", active=active)
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def add_invoice(db: Database, client_id: int, number: str, status: str, total: int, currency: str = "eur") -> int:
    with db.session() as session:
        row = Invoice(team_id=TEAM, number=number, request_key=number, client_id=client_id, currency=currency,
                      status=status, due_date=date(2025, 5, 1), total=total,
                      amount_remaining=total if status == "open" else 0)  # fmt: skip
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def add_session(db: Database, client_id: int, day: int, invoice_id: int | None = None) -> int:
    with db.session() as session:
        row = Appointment(team_id=TEAM, client_id=client_id, held_on=date(2025, 3, day), description="Consultation",
                          invoice_id=invoice_id)  # fmt: skip
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


# -- search -----------------------------------------------------------------------------------------------


def test_fold_name() -> None:
    assert client_logic.fold_name("  Élodie   DUPRÉ ") == "elodie dupre"
    assert client_logic.fold_name("Zoë Ångström-Çelik") == "zoe angstrom-celik"


def test_search_ignores_accents_and_case_and_stays_in_the_workspace(db: Database) -> None:
    for name in ("Élodie Dupré", "Hélène Roux", "Marc Petit", "ELOISE Martin"):
        add_client(db, name)
    add_client(db, "Élodie Secret", OTHER)
    with db.session() as session:
        assert [c.name for c in client_logic.search_clients(session, TEAM, "elo")] == ["Élodie Dupré", "ELOISE Martin"]
        assert [c.name for c in client_logic.search_clients(session, TEAM, "ÉLÈ")] == ["Hélène Roux"]
        assert client_logic.count_clients(session, TEAM, "elo") == 2
        assert client_logic.count_clients(session, TEAM) == 4
        assert client_logic.exact_match(session, TEAM, "marc  PETIT").name == "Marc Petit"  # type: ignore[union-attr]
        assert client_logic.exact_match(session, TEAM, "marc") is None


def test_search_treats_like_wildcards_as_text(db: Database) -> None:
    add_client(db, "Anne")
    add_client(db, "100% Santé")
    with db.session() as session:
        assert [c.name for c in client_logic.search_clients(session, TEAM, "%")] == ["100% Santé"]
        assert client_logic.search_clients(session, TEAM, "_") == []


def test_pages_by_offset(db: Database) -> None:
    for n in range(120):
        add_client(db, f"Client {n:03d}")
    with db.session() as session:
        page = client_logic.search_clients(session, TEAM, "", limit=40, offset=80)
    assert [c.name for c in page][:1] == ["Client 080"] and len(page) == 40


def test_an_exact_name_shared_by_two_clients_is_not_a_single_match(db: Database) -> None:
    add_client(db, "Anne")
    add_client(db, "anne")
    with db.session() as session:
        assert client_logic.exact_match(session, TEAM, "Anne") is None


# -- clients and sessions ---------------------------------------------------------------------------------


def client_form(name: str = "Élodie") -> ClientForm:
    return ClientForm(name, "e@example.com", None, None, None, None, None, None, None)


def test_create_client_once_per_request_key(db: Database) -> None:
    first = client_logic.create_client(db, TEAM, "U1", client_form(), "view:V1")
    again = client_logic.create_client(db, TEAM, "U1", client_form(), "view:V1")
    other = client_logic.create_client(db, TEAM, "U1", client_form(), "view:V2")
    assert first == again != other
    with db.session() as session:
        row = client_logic.get_client(session, TEAM, first)
        assert row is not None and row.name_key == "elodie"
        assert client_logic.get_client(session, OTHER, first) is None


def test_uninvoiced_sessions_include_those_whose_invoice_was_voided(db: Database) -> None:
    client_id = add_client(db, "Anne")
    open_invoice = add_invoice(db, client_id, "INV-0001", "open", 100)
    paid = add_invoice(db, client_id, "INV-0002", "paid", 100)
    void = add_invoice(db, client_id, "INV-0003", "void", 100)
    s1 = add_session(db, client_id, 1, open_invoice)
    add_session(db, client_id, 2, paid)
    s3 = add_session(db, client_id, 3, void)
    s4 = add_session(db, client_id, 4)
    with db.session() as session:
        assert [a.id for a in client_logic.uninvoiced_appointments(session, TEAM, client_id)] == [s3, s4]
        record = client_logic.load_record(session, TEAM, client_id)
    assert record is not None and record.uninvoiced_ids == (s3, s4)
    assert [row.invoiced for row in record.sessions] == [False, False, True, True]  # newest first
    assert record.sessions[-1].appointment.id == s1


def test_record_totals_per_currency(db: Database) -> None:
    client_id = add_client(db, "Anne")
    add_invoice(db, client_id, "INV-0001", "open", 1000)
    add_invoice(db, client_id, "INV-0002", "open", 2050)
    add_invoice(db, client_id, "INV-0003", "paid", 700)
    add_invoice(db, client_id, "INV-0004", "open", 500, "jpy")
    add_invoice(db, client_id, "INV-0005", "void", 9999)
    with db.session() as session:
        record = client_logic.load_record(session, TEAM, client_id, invoices_shown=2)
    assert record is not None
    assert record.open_due == {"eur": 3050, "jpy": 500} and record.paid_total == {"eur": 700}
    assert record.invoice_count == 5 and len(record.invoices) == 2


def test_add_appointment_once_and_only_for_this_workspace(db: Database) -> None:
    client_id = add_client(db, "Anne")
    service_id = add_service(db, "Séance")
    foreign_service = add_service(db, "Theirs", OTHER)
    form = SessionForm(date(2025, 3, 4), service_id, 50, "private")
    saved = client_logic.add_appointment(db, TEAM, "U1", client_id, form, "view:V1")
    assert saved is not None and saved.description == "Séance" and saved.service_id == service_id
    assert client_logic.add_appointment(db, TEAM, "U1", client_id, form, "view:V1") is None
    assert client_logic.add_appointment(db, OTHER, "U1", client_id, form, "view:V2") is None
    foreign = SessionForm(date(2025, 3, 4), foreign_service, None, None)
    assert client_logic.add_appointment(db, TEAM, "U1", client_id, foreign, "view:V3") is None
    with db.session() as session:
        assert len(client_logic.uninvoiced_appointments(session, TEAM, client_id)) == 1


# -- services ---------------------------------------------------------------------------------------------


def test_active_services_by_name_without_archived_or_other_workspaces(db: Database) -> None:
    add_service(db, "Suivi")
    add_service(db, "Bilan")
    add_service(db, "Ancien", active=False)
    add_service(db, "Theirs", OTHER)
    with db.session() as session:
        assert [s.name for s in client_logic.active_services(session, TEAM)] == ["Bilan", "Suivi"]


def test_service_add_once_update_and_archive(db: Database) -> None:
    with db.session() as session:
        session.add(BillingSettings(team_id=TEAM, currency="eur"))
        session.add(TaxRate(team_id=TEAM, name="TVA", percentage=Decimal("20")))
    with db.session() as session:
        assert client_logic.practice_currency(session, TEAM) == "eur"
        assert client_logic.practice_currency(session, OTHER) is None
        [rate] = client_logic.active_tax_rates(session, TEAM)
    added = client_logic.add_service(db, TEAM, ServiceForm("Bilan", 15000, rate.id), "eur", "V1:h1")
    assert added is not None and added.id is not None
    assert client_logic.add_service(db, TEAM, ServiceForm("Bilan", 15000, rate.id), "eur", "V1:h1") is None
    changed = client_logic.update_service(db, TEAM, added.id, ServiceForm("Bilan long", 18000, None), "eur")
    assert changed is not None and (changed.name, changed.unit_amount, changed.tax_rate_id) == (
        "Bilan long",
        18000,
        None,
    )
    assert client_logic.update_service(db, OTHER, added.id, ServiceForm("X", 1, None), "eur") is None
    assert client_logic.archive_service(db, TEAM, added.id) is not None
    assert client_logic.archive_service(db, TEAM, added.id) is None  # already archived
    assert client_logic.update_service(db, TEAM, added.id, ServiceForm("X", 1, None), "eur") is None
    with db.session() as session:
        assert client_logic.active_services(session, TEAM) == []


# -- forms (no database) ----------------------------------------------------------------------------------


def _values(**fields: str | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for block_id, value in fields.items():
        if block_id in (f.COUNTRY, f.SERVICE_TAX_RATE, f.SESSION_SERVICE):
            values[block_id] = {block_id: {"selected_option": {"value": value} if value else None}}
        elif block_id == f.SESSION_DATE:
            values[block_id] = {block_id: {"selected_date": value}}
        else:
            values[block_id] = {block_id: {"value": value}}
    return values


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [("80", "eur", 8000), ("1 234,5", "eur", 123450), ("0.01", "usd", 1), ("500", "jpy", 500),
     ("999999.99", "eur", 99_999_999), ("1.234", "kwd", 1234)],
)  # fmt: skip
def test_service_prices(text: str, currency: str, expected: int) -> None:
    form, errors = client_forms.service_form(
        _values(service_name="Bilan", service_price=text), "en", currency=currency, tax_rate_ids=set()
    )
    assert errors == {} and form is not None and form.unit_amount == expected


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [("abc", "eur", "This is not a price (for example €120.00)."),
     ("12.5", "jpy", "This is not a price (for example ¥120)."),
     ("0", "eur", "The price must be more than zero."), ("-1", "eur", "The price must be more than zero."),
     ("1000000", "eur", "Too large: at most €999,999.99."), ("100000000", "jpy", "Too large: at most ¥99,999,999."),
     ("nan", "eur", "This is not a price"), ("1e3", "eur", "This is not a price")],
)  # fmt: skip
def test_bad_service_prices(text: str, currency: str, message: str) -> None:
    form, errors = client_forms.service_form(
        _values(service_name="Bilan", service_price=text), "en", currency=currency, tax_rate_ids=set()
    )
    assert form is None and errors[f.SERVICE_PRICE].startswith(message)


def test_client_form_keeps_a_complete_address_and_normalises_the_postal_code() -> None:
    form, errors = client_forms.client_form(
        _values(client_name=" Anne  Roux ", client_email="anne@example.co.uk", client_phone="+44 20 7946 0958",
                client_address_line1="1 High St", client_city="London", client_postal_code="sw1a 1aa",
                client_country="GB"),
        "en",
    )  # fmt: skip
    assert errors == {}
    assert form == ClientForm("Anne Roux", "anne@example.co.uk", "+44 20 7946 0958", "1 High St", None, "London", None,
                              "SW1A 1AA", "GB")  # fmt: skip


def test_session_form_refuses_a_date_too_far_ahead_and_an_unknown_service() -> None:
    form, errors = client_forms.session_form(
        _values(session_date="2026-06-01", session_service="7"), "en", service_ids={7}, today=date(2025, 6, 1)
    )
    assert errors == {} and form == SessionForm(date(2026, 6, 1), 7, None, None)
    _, errors = client_forms.session_form(
        _values(session_date="2026-06-03", session_service="8"), "fr", service_ids={7}, today=date(2025, 6, 1)
    )
    assert set(errors) == {f.SESSION_DATE, f.SESSION_SERVICE}
    assert errors[f.SESSION_SERVICE].startswith("Cette prestation n’est plus dans votre catalogue")


# -- views within Slack's limits --------------------------------------------------------------------------


def test_a_full_page_of_long_names_fits_a_message() -> None:
    clients = [
        Client(id=n, team_id=TEAM, name="Ж" * 200, name_key="x", email="e" * 240 + "@example.com", phone="+" * 40)
        for n in range(client_views.PAGE_SIZE)
    ]
    for locale in ("en", "fr"):
        message = client_views.client_list(locale, clients, query="q" * 500, offset=40, total=500)
        assert check_message(message["text"], message["blocks"]) == []
        assert len(message["blocks"]) <= 50


def test_a_busy_record_fits_a_message() -> None:
    client = Client(id=1, team_id=TEAM, name="Ж" * 200, name_key="x", email="e@example.com", phone="+33 1",
                    address_line1="a" * 200, address_line2="b" * 200, city="c" * 100, region="d" * 100,
                    postal_code="75001", country="FR")  # fmt: skip
    invoices = [Invoice(id=n, team_id=TEAM, number=f"INV-{n:04d}", request_key=str(n), client_id=1, currency="eur",
                        status="open", due_date=date(2025, 1, 1), total=99_999_999) for n in range(10)]  # fmt: skip
    sessions = [
        client_logic.SessionRow(
            Appointment(
                id=n, team_id=TEAM, client_id=1, held_on=date(2025, 1, 1), description="s" * 100, duration_minutes=1440
            ),
            f"INV-{n:04d}",
            "open",
        )
        for n in range(15)
    ]
    record = client_logic.ClientRecord(client, invoices, 900, {"eur": 1, "usd": 2}, {"eur": 3}, sessions, 900,
                                       tuple(range(500)))  # fmt: skip
    for locale in ("en", "fr"):
        message = client_views.client_record(locale, record)
        assert check_message(message["text"], message["blocks"]) == []


def test_modals_fit_slack(db: Database) -> None:
    for locale in ("en", "fr"):
        assert check_view(client_views.new_client_modal(locale, parent_view_id="V1", initial_name="Ж" * 300)) == []
        services = [Service(id=n, team_id=TEAM, name="s" * 100, unit_amount=n + 1, currency="eur") for n in range(150)]
        client = Client(id=1, team_id=TEAM, name="Anne", name_key="anne")
        view = client_views.session_modal(locale, client, services, today=date(2025, 1, 1), channel_id="C1",
                                          response_url="https://hooks.slack.com/x")  # fmt: skip
        assert check_view(view) == []
        rates = [TaxRate(id=n, team_id=TEAM, name="r" * 50, percentage=Decimal("19.6")) for n in range(150)]
        page = services_views.CatalogPage(locale, "eur", services, rates, True, "banner")
        assert check_view(services_views.catalog_view(page)) == []
        assert check_view(services_views.service_form_view(locale, currency="eur", rates=rates,
                                                           service=services[0])) == []  # fmt: skip
