"""The invoice modal through the harness: opening it, lines, totals, the client search, validation, Create."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import stripe
from slack_sdk import WebClient
from sqlmodel import select

from bot.i18n import format_money
from bot.models import Appointment, BillingSettings, Client, Invoice, InvoiceLine, Service, StripeAccount, TaxRate
from bot.sandbox.slack import check_view
from bot.timezones import today_in
from flows.clients import ids as client_ids
from flows.clients.logic import fold_name
from flows.invoices import ids
from flows.invoices.modal.logic import DEFAULT_PAYMENT_TERMS_DAYS
from flows.invoices.modal.views import MAX_LINES, SPARE_BLOCKS
from tests.conftest import ADMIN, FRENCH_USER, TEAM_ID, Billbot
from tests.harness.views import filled_stack, filled_view

# -- the practice -------------------------------------------------------------------------------------------


class Practice:
    """What the tests put in the database: a connected account, settings, rates, services, clients."""

    def __init__(self, bb: Billbot, *, currency: str = "eur", stripe_ready: bool = True, settings: bool = True):
        self.bb = bb
        self.account_id: str | None = None
        with bb.app.services.db.session() as session:
            if stripe_ready:
                account = bb.app.services.stripe.create_account("express", idempotency_key="acct", metadata={})
                self.account_id = str(account["id"])
                bb.stripe.complete_onboarding(self.account_id)
                session.add(
                    StripeAccount(
                        team_id=TEAM_ID, account_id=self.account_id, connection="express", charges_enabled=True
                    )
                )
            if settings:
                session.add(BillingSettings(team_id=TEAM_ID, currency=currency, country="FR", city="Paris"))

    def rate(self, name: str, percentage: str, *, inclusive: bool = False) -> int:
        with self.bb.app.services.db.session() as session:
            row = TaxRate(team_id=TEAM_ID, name=name, percentage=Decimal(percentage), inclusive=inclusive)
            session.add(row)
            session.flush()
            assert row.id is not None
            return row.id

    def service(self, name: str, unit_amount: int, *, currency: str = "eur", tax_rate_id: int | None = None) -> int:
        with self.bb.app.services.db.session() as session:
            row = Service(
                team_id=TEAM_ID, name=name, unit_amount=unit_amount, currency=currency, tax_rate_id=tax_rate_id
            )
            session.add(row)
            session.flush()
            assert row.id is not None
            return row.id

    def client(self, name: str, email: str | None = "client@example.com") -> int:
        with self.bb.app.services.db.session() as session:
            row = Client(team_id=TEAM_ID, name=name, name_key=fold_name(name), email=email)
            session.add(row)
            session.flush()
            assert row.id is not None
            return row.id


# -- Slack's side of the modal ------------------------------------------------------------------------------


def open_modal(bb: Billbot, user: str = ADMIN, *, shortcut: bool = False) -> dict[str, Any]:
    if shortcut:
        assert bb.requests.shortcut("new_invoice", user=user).status_code == 200
    else:
        assert bb.requests.command("/invoice", user=user).status_code == 200
    view: dict[str, Any] = filled_view(bb.slack, bb.workspace, user)
    assert view["callback_id"] == ids.CALLBACK
    assert check_view(view) == []
    return view


def slack_state(view: dict[str, Any], previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """view.state.values as Slack keeps it: what was typed under the same block id, else the initial value."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element, block_id = block["element"], block["block_id"]
        kept = (previous or {}).get(block_id)
        if kept is not None:
            values[block_id] = kept
            continue
        kind, action_id = element["type"], element["action_id"]
        if kind == "datepicker":
            state = {"type": kind, "selected_date": element.get("initial_date")}
        elif kind.endswith("select"):
            state = {"type": kind, "selected_option": element.get("initial_option")}
        else:
            state = {"type": kind, "value": element.get("initial_value")}
        values[block_id] = {action_id: state}
    return values


def block_of(view: dict[str, Any], key: int, field: str) -> dict[str, Any]:
    prefix = f"l{key}.{field}"
    found = [b for b in view["blocks"] if b.get("block_id", "").split(".")[:2] == prefix.split(".")]
    assert len(found) == 1, f"no block {prefix} in {[b.get('block_id') for b in view['blocks']]}"
    return found[0]


def line_keys(view: dict[str, Any]) -> list[int]:
    return [int(b["block_id"][1:].split(".")[0]) for b in view["blocks"] if b.get("block_id", "").endswith(".head")]


def client_block_id(view: dict[str, Any]) -> str:
    return next(b["block_id"] for b in view["blocks"] if b.get("block_id", "").startswith("client."))


def type_in(values: dict[str, Any], view: dict[str, Any], key: int, field: str, value: str | None) -> None:
    block = block_of(view, key, field)
    element = block["element"]
    if element["type"] == "datepicker":
        state = {"type": "datepicker", "selected_date": value}
    elif element["type"] == "static_select":
        option = next((o for o in element["options"] if o["value"] == value), None) if value else None
        state = {"type": "static_select", "selected_option": option}
    else:
        state = {"type": element["type"], "value": value}
    values[block["block_id"]] = {element["action_id"]: state}


def choose_client(values: dict[str, Any], view: dict[str, Any], client_id: int, name: str) -> None:
    option = {"text": {"type": "plain_text", "text": name, "emoji": True}, "value": str(client_id)}
    values[client_block_id(view)] = {ids.CLIENT_ACTION: {"type": "external_select", "selected_option": option}}


def act(
    bb: Billbot, view: dict[str, Any], values: dict[str, Any], action: dict[str, Any], user: str = ADMIN
) -> dict[str, Any]:
    """A block_actions from inside the modal; waits for the modal's update and returns the new view."""
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "practice"},
        "user": {"id": user, "team_id": TEAM_ID},
        "api_app_id": "A_BILLBOT",
        "trigger_id": bb.slack.issue_trigger_id(TEAM_ID, user),
        "container": {"type": "view", "view_id": view["id"]},
        "view": {**view, "state": {"values": values}},
        "actions": [{**action, "action_ts": f"{time.time():.6f}"}],
    }
    assert bb.requests.interact(payload).status_code == 200
    updated: dict[str, Any] = bb.slack.wait_for(
        lambda: (v := bb.workspace.view(view["id"]))["hash"] != view["hash"] and v
    )
    assert check_view(updated) == []
    return updated


def click(
    bb: Billbot, view: dict[str, Any], values: dict[str, Any], action_id: str, value: str, user: str = ADMIN
) -> dict[str, Any]:
    button = {"type": "plain_text", "text": action_id}
    return act(bb, view, values, {"type": "button", "action_id": action_id, "block_id": "b", "value": value,
                                  "text": button}, user)  # fmt: skip


def dispatch(
    bb: Billbot, view: dict[str, Any], values: dict[str, Any], key: int, field: str, user: str = ADMIN
) -> dict[str, Any]:
    """The user changed a dispatching field of line ``key`` (already written in ``values``)."""
    block = block_of(view, key, field)
    element = block["element"]
    state = values[block["block_id"]][element["action_id"]]
    return act(bb, view, values, {"action_id": element["action_id"], "block_id": block["block_id"], **state}, user)


def text(view: dict[str, Any]) -> str:
    return json.dumps(view.get("blocks", view), ensure_ascii=False)


def totals_of(view: dict[str, Any]) -> str:
    return str(next(b for b in view["blocks"] if b.get("block_id") == ids.TOTALS_BLOCK)["text"]["text"])


def submit(bb: Billbot, view: dict[str, Any], values: dict[str, Any], user: str = ADMIN) -> dict[str, Any]:
    response = bb.requests.submit(view, values, user=user)
    assert response.status_code == 200
    answer: dict[str, Any] = response.json() if response.content else {}
    return answer


def invoices(bb: Billbot) -> list[Invoice]:
    with bb.app.services.db.session() as session:
        return list(session.exec(select(Invoice)).all())


def stripe_invoices(bb: Billbot, account_id: str | None) -> list[Any]:
    client = stripe.StripeClient(bb.stripe.api_key, base_addresses={"api": bb.stripe.url})
    options: dict[str, Any] = {"stripe_account": account_id} if account_id else {}
    return list(client.v1.invoices.list({"limit": 100}, options).data)  # type: ignore[arg-type]


def filled(bb: Billbot, practice: Practice, view: dict[str, Any], client_id: int, name: str) -> dict[str, Any]:
    """A good form: the client, one line of 2 × 80.00 with today's date."""
    values = slack_state(view)
    choose_client(values, view, client_id, name)
    key = line_keys(view)[0]
    type_in(values, view, key, ids.LINE_DESCRIPTION, "Consultation")
    type_in(values, view, key, ids.LINE_QUANTITY, "2")
    type_in(values, view, key, ids.LINE_PRICE, "80.00")
    return values


# -- opening ------------------------------------------------------------------------------------------------


def test_invoice_command_opens_the_modal_in_english(billbot: Billbot) -> None:
    Practice(billbot)
    view = open_modal(billbot)
    assert view["title"]["text"] == "New invoice"
    assert view["submit"]["text"] == "Create"
    due = next(b for b in view["blocks"] if b.get("block_id") == ids.DUE_BLOCK)
    today = today_in("Europe/Paris")  # the admin's Slack time zone, not the server's
    assert due["element"]["initial_date"] == (today + timedelta(days=DEFAULT_PAYMENT_TERMS_DAYS)).isoformat()
    assert json.loads(view["private_metadata"])["ch"] == "C_GENERAL"
    assert len(line_keys(view)) == 1
    client = next(b for b in view["blocks"] if b.get("block_id", "").startswith("client."))
    assert client["element"]["type"] == "external_select"
    assert "Total: €0.00" in totals_of(view)
    assert "/billing setup" not in text(view)  # set up: no warning


def test_dates_start_from_today_where_the_user_is(billbot: Billbot) -> None:
    # Kiritimati (UTC+14) is a day ahead of UTC from 10:00 UTC, Pago Pago (UTC-11) a day behind until 11:00:
    # whenever this runs, one of them is on another date than the server.
    zone = next(z for z in ("Pacific/Kiritimati", "Pacific/Pago_Pago") if today_in(z) != today_in("UTC"))
    billbot.workspace.add_user(user_id="U0FARAWAY", name="farah", locale="en-US", is_admin=True, tz=zone)
    Practice(billbot)
    view = open_modal(billbot, "U0FARAWAY")
    due = next(b for b in view["blocks"] if b.get("block_id") == ids.DUE_BLOCK)
    assert due["element"]["initial_date"] == (today_in(zone) + timedelta(days=DEFAULT_PAYMENT_TERMS_DAYS)).isoformat()
    dates = [b["element"]["initial_date"] for b in view["blocks"] if b.get("element", {}).get("type") == "datepicker"]
    assert today_in(zone).isoformat() in dates  # the first line's date


def test_shortcut_opens_the_modal_in_french_for_the_dm(billbot: Billbot) -> None:
    Practice(billbot)
    view = open_modal(billbot, FRENCH_USER, shortcut=True)
    assert view["title"]["text"] == "Nouvelle facture"
    assert json.loads(view["private_metadata"])["ch"] is None
    assert "Total : 0,00\u00a0€" in totals_of(view)


def test_a_practice_not_set_up_is_told_in_the_modal(billbot: Billbot) -> None:
    Practice(billbot, stripe_ready=False, settings=False)
    view = open_modal(billbot)
    assert "/billing setup" in text(view) and "/billing settings" in text(view)


# -- lines --------------------------------------------------------------------------------------------------


def test_add_two_lines_then_remove_one_keeps_every_typed_value(billbot: Billbot) -> None:
    practice = Practice(billbot)
    client_id = practice.client("Élodie Dupré")
    view = open_modal(billbot)
    first = line_keys(view)[0]
    values = slack_state(view)
    choose_client(values, view, client_id, "Élodie Dupré")
    type_in(values, view, first, ids.LINE_DESCRIPTION, "First session")
    type_in(values, view, first, ids.LINE_PRICE, "70")
    values[ids.MEMO_BLOCK] = {ids.MEMO_BLOCK: {"type": "plain_text_input", "value": "Thanks!"}}

    view = click(billbot, view, values, ids.ADD_LINE_ACTION, "add")
    values = slack_state(view, values)
    second = line_keys(view)[1]
    type_in(values, view, second, ids.LINE_DESCRIPTION, "Second session")
    type_in(values, view, second, ids.LINE_PRICE, "90")
    view = click(billbot, view, values, ids.ADD_LINE_ACTION, "add")
    values = slack_state(view, values)
    third = line_keys(view)[2]
    type_in(values, view, third, ids.LINE_DESCRIPTION, "Third session")
    type_in(values, view, third, ids.LINE_QUANTITY, "3")
    assert len({first, second, third}) == 3

    view = click(billbot, view, values, ids.REMOVE_LINE_ACTION, str(second))
    assert line_keys(view) == [first, third]
    assert block_of(view, first, ids.LINE_DESCRIPTION)["element"]["initial_value"] == "First session"
    assert block_of(view, first, ids.LINE_PRICE)["element"]["initial_value"] == "70"
    assert block_of(view, third, ids.LINE_DESCRIPTION)["element"]["initial_value"] == "Third session"
    assert block_of(view, third, ids.LINE_QUANTITY)["element"]["initial_value"] == "3"
    memo = next(b for b in view["blocks"] if b.get("block_id") == ids.MEMO_BLOCK)
    assert memo["element"]["initial_value"] == "Thanks!"
    client = next(b for b in view["blocks"] if b.get("block_id", "").startswith("client."))
    assert client["element"]["initial_option"]["value"] == str(client_id)
    # The lines' headings renumber; the block ids stay, so Slack keeps what is typed in them.
    assert "Line 2" in text(view) and "Line 3" not in text(view)
    assert "Second session" not in text(view)


def test_choosing_a_service_fills_its_price_and_tax(billbot: Billbot) -> None:
    practice = Practice(billbot)
    vat = practice.rate("TVA", "20")
    practice.service("Consultation", 8000, tax_rate_id=vat)
    service_id = practice.service("Bilan", 12050)
    seance = practice.service("Séance", 6000, tax_rate_id=vat)
    view = open_modal(billbot)
    key = line_keys(view)[0]
    values = slack_state(view)
    labels = [o["text"]["text"] for o in block_of(view, key, ids.LINE_SERVICE)["element"]["options"]]
    assert labels == ["No service (describe it below)", "Bilan · €120.50", "Consultation · €80.00", "Séance · €60.00"]
    type_in(values, view, key, ids.LINE_SERVICE, str(seance))
    view = dispatch(billbot, view, values, key, ids.LINE_SERVICE)
    price = block_of(view, key, ids.LINE_PRICE)
    assert price["element"]["initial_value"] == "60.00"
    assert price["block_id"] == f"l{key}.price.1"  # a new block id: Slack shows the new price
    assert block_of(view, key, ids.LINE_TAX)["element"]["initial_option"]["value"] == str(vat)
    assert "Total: €72.00" in totals_of(view)

    values = slack_state(view, values)
    type_in(values, view, key, ids.LINE_SERVICE, str(service_id))
    view = dispatch(billbot, view, values, key, ids.LINE_SERVICE)
    assert block_of(view, key, ids.LINE_PRICE)["element"]["initial_value"] == "120.50"
    assert block_of(view, key, ids.LINE_TAX)["element"]["initial_option"]["value"] == ids.NONE_VALUE


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        (ADMIN, ["Subtotal: €1,234.50", "Tax: €130.12", "*Total: €1,347.95*"]),
        (FRENCH_USER, ["Sous-total : 1\u202f234,50\u00a0€", "Taxes : 130,12\u00a0€", "*Total : 1\u202f347,95\u00a0€*"]),
    ],
)
def test_totals_with_an_exclusive_and_an_inclusive_rate(billbot: Billbot, user: str, expected: list[str]) -> None:
    practice = Practice(billbot)
    exclusive = practice.rate("TVA", "10")
    inclusive = practice.rate("VAT incl.", "20", inclusive=True)
    view = open_modal(billbot, user)
    values = slack_state(view)
    view = click(billbot, view, values, ids.ADD_LINE_ACTION, "add", user)
    values = slack_state(view, values)
    first, second = line_keys(view)
    # 2 × 567.25 = 1134.50, and 10 % on top: 113.45; 100.00 with 20 % inside it: 16.67 of tax, nothing added.
    type_in(values, view, first, ids.LINE_QUANTITY, "2")
    type_in(values, view, first, ids.LINE_PRICE, "567,25" if user == FRENCH_USER else "567.25")
    type_in(values, view, first, ids.LINE_TAX, str(exclusive))
    type_in(values, view, second, ids.LINE_PRICE, "100")
    type_in(values, view, second, ids.LINE_TAX, str(inclusive))
    view = dispatch(billbot, view, values, second, ids.LINE_TAX, user)
    for part in expected:
        assert part in totals_of(view)
    locale = "fr" if user == FRENCH_USER else "en"
    assert format_money(113450, "eur", locale) in text(block_of(view, first, ids.LINE_HEAD))


def test_the_modal_stops_adding_lines_at_its_limit_and_says_so(billbot: Billbot) -> None:
    practice = Practice(billbot)
    practice.service("Consultation", 8000, tax_rate_id=practice.rate("TVA", "20"))
    view = open_modal(billbot)
    values = slack_state(view)
    while len(line_keys(view)) < MAX_LINES:
        view = click(billbot, view, values, ids.ADD_LINE_ACTION, "add")
        values = slack_state(view, values)
    assert len(view["blocks"]) <= 100 - SPARE_BLOCKS
    assert f"at most {MAX_LINES} lines" in text(view)
    assert ids.ADD_LINE_ACTION not in text(view)
    # A forged or repeated "Add a line" changes nothing and never breaks the modal.
    view = click(billbot, view, values, ids.ADD_LINE_ACTION, "add")
    assert len(line_keys(view)) == MAX_LINES


# -- the client select --------------------------------------------------------------------------------------


def test_client_search_ignores_accents_and_case_and_stays_within_slacks_limits(billbot: Billbot) -> None:
    practice = Practice(billbot)
    practice.client("Élodie Dupré")
    practice.client("Eloïse Martin", email=None)
    practice.client("Marc Durand")
    for n in range(150):
        practice.client(f"Patient {n:03d}")
    view = open_modal(billbot)
    started = time.monotonic()
    response = billbot.requests.suggest(ids.CLIENT_ACTION, client_block_id(view), "ELO", view=view, user=ADMIN)
    assert time.monotonic() - started < 3
    options = response.json()["options"]
    assert [o["text"]["text"] for o in options] == ["Élodie Dupré", "Eloïse Martin"]
    assert options[0]["description"]["text"] == "client@example.com"
    everyone = billbot.requests.suggest(ids.CLIENT_ACTION, client_block_id(view), "", view=view, user=ADMIN).json()
    assert len(everyone["options"]) == 100
    select = {"type": "static_select", "action_id": "x", "options": everyone["options"]}
    as_view = {**view, "blocks": [{"type": "input", "block_id": "x", "label": {"type": "plain_text", "text": "x"},
                                   "element": select}]}  # fmt: skip
    assert check_view(as_view) == []  # each option within Slack's limits for an option
    assert (
        billbot.requests.suggest(ids.CLIENT_ACTION, client_block_id(view), "dupre", view=view, user=ADMIN).json()[
            "options"
        ][0]["text"]["text"]
        == "Élodie Dupré"
    )


# -- Create: validation ---------------------------------------------------------------------------------------

LINE_CASES = [
    # (field, typed, message)
    (ids.LINE_QUANTITY, "0", "Enter a whole number from 1 to 10000."),
    (ids.LINE_QUANTITY, "2.5", "Enter a whole number from 1 to 10000."),
    (ids.LINE_QUANTITY, "10001", "Enter a whole number from 1 to 10000."),
    (ids.LINE_QUANTITY, None, "Please fill this in."),
    (ids.LINE_PRICE, None, "Please fill this in."),
    (ids.LINE_PRICE, "eighty", "Enter an amount in EUR, e.g. 80 or 80.50."),
    (ids.LINE_PRICE, "-5", "The price must be more than zero."),
    (ids.LINE_PRICE, "0", "The price must be more than zero."),
    (ids.LINE_PRICE, "80.123", "EUR amounts have 2 decimal places at most."),
    (ids.LINE_PRICE, "1000000", "The price can be at most €999,999.99."),
    (ids.LINE_PRICE, "600000", "This line comes to more than €999,999.99, the most one line can bill."),
    (ids.LINE_DATE, None, "Please fill this in."),
    (ids.LINE_DESCRIPTION, None, "Please fill this in."),
    (ids.LINE_DESCRIPTION, "x" * 201, "Please keep this to 200 characters (it has 201)."),
]


def assert_nothing_created(bb: Billbot, practice: Practice) -> None:
    assert invoices(bb) == []
    assert stripe_invoices(bb, practice.account_id) == []


@pytest.mark.parametrize(("field", "typed", "message"), LINE_CASES)
def test_each_bad_line_field_gets_its_error_on_its_block_and_nothing_is_created(
    billbot: Billbot, field: str, typed: str | None, message: str
) -> None:
    practice = Practice(billbot)
    client_id = practice.client("Élodie Dupré")
    view = open_modal(billbot)
    values = filled(billbot, practice, view, client_id, "Élodie Dupré")
    key = line_keys(view)[0]
    type_in(values, view, key, field, typed)
    answer = submit(billbot, view, values)
    assert answer == {"response_action": "errors", "errors": {block_of(view, key, field)["block_id"]: message}}
    assert_nothing_created(billbot, practice)


def test_errors_land_on_the_line_they_are_about(billbot: Billbot) -> None:
    practice = Practice(billbot)
    client_id = practice.client("Élodie Dupré")
    view = open_modal(billbot)
    values = filled(billbot, practice, view, client_id, "Élodie Dupré")
    view = click(billbot, view, values, ids.ADD_LINE_ACTION, "add")
    values = slack_state(view, values)
    second = line_keys(view)[1]
    type_in(values, view, second, ids.LINE_DESCRIPTION, "Follow-up")
    type_in(values, view, second, ids.LINE_PRICE, "abc")
    answer = submit(billbot, view, values)
    assert answer["errors"] == {
        block_of(view, second, ids.LINE_PRICE)["block_id"]: "Enter an amount in EUR, e.g. 80 or 80.50."
    }


@pytest.mark.parametrize(
    ("block", "typed", "message"),
    [
        (
            ids.MEMO_BLOCK,
            {"type": "plain_text_input", "value": "m" * 501},
            "Please keep this to 500 characters (it has 501).",
        ),
        (ids.DUE_BLOCK, {"type": "datepicker", "selected_date": None}, "Please fill this in."),
        (
            ids.DUE_BLOCK,
            {"type": "datepicker", "selected_date": (date.today() - timedelta(days=1)).isoformat()},
            "The due date cannot be in the past.",
        ),
    ],
)
def test_bad_memo_or_due_date(billbot: Billbot, block: str, typed: dict[str, Any], message: str) -> None:
    practice = Practice(billbot)
    client_id = practice.client("Élodie Dupré")
    view = open_modal(billbot)
    values = filled(billbot, practice, view, client_id, "Élodie Dupré")
    values[block] = {block: typed}
    assert submit(billbot, view, values) == {"response_action": "errors", "errors": {block: message}}
    assert_nothing_created(billbot, practice)


def test_no_client_or_a_client_without_email_is_refused(billbot: Billbot) -> None:
    practice = Practice(billbot)
    no_email = practice.client("Marc Durand", email=None)
    view = open_modal(billbot)
    values = filled(billbot, practice, view, no_email, "Marc Durand")
    del values[client_block_id(view)]
    assert submit(billbot, view, values)["errors"] == {client_block_id(view): "Choose the client to bill."}
    choose_client(values, view, no_email, "Marc Durand")
    error = submit(billbot, view, values)["errors"][client_block_id(view)]
    assert error.startswith("Marc Durand has no email address") and "/client Marc Durand" in error
    assert_nothing_created(billbot, practice)


def test_stripe_not_connected_or_settings_not_saved_name_the_command_to_run(billbot: Billbot) -> None:
    practice = Practice(billbot, stripe_ready=False, settings=False)
    client_id = practice.client("Élodie Dupré")
    view = open_modal(billbot, FRENCH_USER)
    values = filled(billbot, practice, view, client_id, "Élodie Dupré")
    error = submit(billbot, view, values, FRENCH_USER)["errors"][client_block_id(view)]
    assert "`/billing setup`" in error and "`/billing settings`" in error
    assert "Les paiements ne sont pas configurés" in error
    assert invoices(billbot) == []


def test_errors_speak_french(billbot: Billbot) -> None:
    practice = Practice(billbot)
    client_id = practice.client("Élodie Dupré")
    view = open_modal(billbot, FRENCH_USER)
    values = filled(billbot, practice, view, client_id, "Élodie Dupré")
    key = line_keys(view)[0]
    type_in(values, view, key, ids.LINE_PRICE, "80,123")
    type_in(values, view, key, ids.LINE_QUANTITY, "0")
    errors = submit(billbot, view, values, FRENCH_USER)["errors"]
    assert errors == {
        block_of(view, key, ids.LINE_PRICE)["block_id"]: "Les montants en EUR ont au plus 2 décimales.",
        block_of(view, key, ids.LINE_QUANTITY)["block_id"]: "Saisissez un nombre entier de 1 à 10000.",
    }


# Digits str.isdigit() or int() take that a person did not mean as the number: superscript, circled,
# Arabic-Indic, full-width; and what is not a whole number at all.
NOT_WHOLE_NUMBERS = ["²", "①", "1²", "٣", "１２", "-1", "1.5"]


def test_a_quantity_or_price_in_other_digits_is_refused_in_the_modal_and_nothing_is_queued(billbot: Billbot) -> None:
    practice = Practice(billbot)
    client_id = practice.client("Élodie Dupré")
    for user, quantity_error, price_error in (
        (ADMIN, "Enter a whole number from 1 to 10000.", "Enter an amount in EUR, e.g. 80 or 80.50."),
        (FRENCH_USER, "Saisissez un nombre entier de 1 à 10000.", "Saisissez un montant en EUR, par ex. 80 ou 80,50."),
    ):
        view = open_modal(billbot, user)
        key = line_keys(view)[0]
        quantity_block = block_of(view, key, ids.LINE_QUANTITY)["block_id"]
        price_block = block_of(view, key, ids.LINE_PRICE)["block_id"]
        for typed in NOT_WHOLE_NUMBERS:
            values = filled(billbot, practice, view, client_id, "Élodie Dupré")
            type_in(values, view, key, ids.LINE_QUANTITY, typed)
            response = billbot.requests.submit(view, values, user=user)
            assert response.status_code == 200, typed
            assert response.json() == {"response_action": "errors", "errors": {quantity_block: quantity_error}}, typed
        for typed in ("٣", "１２", "1²", "٨٠.٥٠"):
            values = filled(billbot, practice, view, client_id, "Élodie Dupré")
            type_in(values, view, key, ids.LINE_PRICE, typed)
            assert submit(billbot, view, values, user) == {
                "response_action": "errors",
                "errors": {price_block: price_error},
            }, typed
    billbot.slack.wait_for(lambda: billbot.app.services.work.counts() == {"pending": 0, "failed": 0})
    assert_nothing_created(billbot, practice)


def test_the_running_totals_count_a_quantity_in_other_digits_as_zero(billbot: Billbot) -> None:
    practice = Practice(billbot)
    client_id = practice.client("Élodie Dupré")
    view = open_modal(billbot)
    key = line_keys(view)[0]
    for typed, total in [("²", "€0.00"), ("٣", "€0.00"), ("１２", "€0.00"), (" 3 ", "€240.00")]:
        values = filled(billbot, practice, view, client_id, "Élodie Dupré")
        type_in(values, view, key, ids.LINE_QUANTITY, typed)
        view = dispatch(billbot, view, values, key, ids.LINE_QUANTITY)
        assert f"Total: {total}" in totals_of(view), typed
    billbot.slack.wait_for(lambda: billbot.app.services.work.counts() == {"pending": 0, "failed": 0})
    answer = submit(billbot, view, slack_state(view, values))
    assert answer["response_action"] == "update"  # " 3 " is 3
    created = billbot.slack.wait_for(lambda: invoices(billbot))
    assert [line.quantity for line in store_lines(billbot, created[0].id)] == [3]


def test_forged_line_keys_and_invoice_ids_in_other_digits_change_nothing_and_fail_no_job(billbot: Billbot) -> None:
    Practice(billbot)
    view = open_modal(billbot)
    billbot.slack.wait_for(lambda: billbot.app.services.work.counts() == {"pending": 0, "failed": 0})
    for action_id in (ids.REMOVE_LINE_ACTION, ids.RETRY_ACTION):
        assert billbot.requests.click(action_id, user=ADMIN, value="²", view=view).status_code == 200
    service = {"type": "static_select", "action_id": ids.line_action(ids.LINE_SERVICE), "block_id": "l².service",
               "selected_option": None, "action_ts": f"{time.time():.6f}"}  # fmt: skip
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "practice"},
        "user": {"id": ADMIN, "team_id": TEAM_ID},
        "api_app_id": "A_BILLBOT",
        "trigger_id": billbot.slack.issue_trigger_id(TEAM_ID, ADMIN),
        "container": {"type": "view", "view_id": view["id"]},
        "view": view,
        "actions": [service],
    }
    assert billbot.requests.interact(payload).status_code == 200
    # int("²") raised in the lazy part: the job was retried, then failed.
    billbot.slack.wait_for(lambda: billbot.app.services.work.counts() == {"pending": 0, "failed": 0})
    assert line_keys(billbot.workspace.view(view["id"])) == line_keys(view)


def store_lines(bb: Billbot, invoice_id: int | None) -> list[InvoiceLine]:
    with bb.app.services.db.session() as session:
        return list(session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id)).all())


def test_yen_prices_have_no_decimals(billbot: Billbot) -> None:
    practice = Practice(billbot, currency="jpy")
    client_id = practice.client("Haruki Sato")
    view = open_modal(billbot)
    assert "Unit price (JPY)" in text(view)
    values = filled(billbot, practice, view, client_id, "Haruki Sato")
    key = line_keys(view)[0]
    type_in(values, view, key, ids.LINE_PRICE, "15.5")
    errors = submit(billbot, view, values)["errors"]
    assert errors == {
        block_of(view, key, ids.LINE_PRICE)[
            "block_id"
        ]: "JPY amounts have no decimals: enter a whole number, e.g. 1500."
    }
    type_in(values, view, key, ids.LINE_PRICE, "1500")
    view = dispatch(billbot, view, values, key, ids.LINE_PRICE)
    assert "Total: ¥3,000" in totals_of(view)
    answer = submit(billbot, view, slack_state(view, values))
    assert answer["response_action"] == "update"


# -- Create: end to end ---------------------------------------------------------------------------------------


def wait_text(bb: Billbot, view_id: str, needle: str) -> dict[str, Any]:
    found: dict[str, Any] = bb.slack.wait_for(lambda: (v := bb.workspace.view(view_id)) and needle in text(v) and v)
    return found


def test_create_acknowledges_at_once_then_shows_the_invoice_and_where_it_went(billbot: Billbot) -> None:
    practice = Practice(billbot)
    vat = practice.rate("TVA", "20")
    client_id = practice.client("Élodie Dupré")
    billbot.workspace.add_channel("C_INVOICES", name="invoices", members=[ADMIN, "U0BOT"])
    assert billbot.requests.command("/invoice", user=ADMIN, channel="C_INVOICES").status_code == 200
    view = filled_view(billbot.slack, billbot.workspace, ADMIN)
    values = filled(billbot, practice, view, client_id, "Élodie Dupré")
    type_in(values, view, line_keys(view)[0], ids.LINE_TAX, str(vat))
    answer = submit(billbot, view, values)
    assert answer["response_action"] == "update"
    assert "Creating invoice…" in text(answer["view"])
    assert check_view(answer["view"]) == []
    result = wait_text(billbot, view["id"], "INV-0001")
    assert "*€192.00*" in text(result) and "posted in <#C_INVOICES>" in text(result)
    [invoice] = invoices(billbot)
    assert (invoice.total, invoice.channel_id, invoice.status) == (19200, "C_INVOICES", "open")
    assert len(stripe_invoices(billbot, practice.account_id)) == 1
    assert billbot.slack.wait_for(lambda: billbot.workspace.messages("C_INVOICES"))


def test_an_invoice_the_bot_cannot_post_in_the_channel_goes_to_the_dm_and_the_modal_says_so(billbot: Billbot) -> None:
    practice = Practice(billbot)
    client_id = practice.client("Élodie Dupré")
    view = open_modal(billbot)  # from #general, where the bot is not a member
    submit(billbot, view, filled(billbot, practice, view, client_id, "Élodie Dupré"))
    result = wait_text(billbot, view["id"], "INV-0001")
    assert "It is in your messages with Billbot." in text(result)


def test_a_double_submit_makes_one_invoice(billbot: Billbot) -> None:
    practice = Practice(billbot)
    client_id = practice.client("Élodie Dupré")
    view = open_modal(billbot, FRENCH_USER, shortcut=True)
    values = filled(billbot, practice, view, client_id, "Élodie Dupré")
    assert submit(billbot, view, values, FRENCH_USER)["response_action"] == "update"
    assert submit(billbot, view, values, FRENCH_USER)["response_action"] == "update"
    result = wait_text(billbot, view["id"], "INV-0001")
    assert "160,00\u00a0€" in text(result) and "vos messages avec Billbot" in text(result)
    billbot.slack.wait_for(lambda: len(billbot.slack.calls("views.update")) >= 2)  # both submissions' work ran
    assert len(invoices(billbot)) == 1
    assert len(stripe_invoices(billbot, practice.account_id)) == 1
    assert "INV-0001" in text(billbot.workspace.view(view["id"]))


def test_stripe_failing_shows_the_error_with_retry_and_retry_finishes_the_same_invoice(billbot: Billbot) -> None:
    practice = Practice(billbot)
    client_id = practice.client("Élodie Dupré")
    view = open_modal(billbot)
    values = filled(billbot, practice, view, client_id, "Élodie Dupré")
    billbot.stripe.fail_next("POST", "/v1/invoices", count=3)
    submit(billbot, view, values)
    failed = wait_text(billbot, view["id"], ids.RETRY_ACTION)
    assert "Retry" in text(failed) and "nothing was charged" in text(failed)
    [draft] = invoices(billbot)
    assert draft.status == "draft"
    retry = next(b for b in failed["blocks"] if b["type"] == "actions")["elements"][0]
    billbot.requests.click(ids.RETRY_ACTION, user=ADMIN, value=retry["value"], view=failed)
    wait_text(billbot, view["id"], ":white_check_mark: Invoice *INV-0001*")
    [invoice] = invoices(billbot)
    assert invoice.id == draft.id and invoice.status == "open"
    assert len(stripe_invoices(billbot, practice.account_id)) == 1


# -- prefilled from a client's record, and "New client" -------------------------------------------------------


def open_prefilled(bb: Billbot, client_id: int, appointment_ids: tuple[int, ...], user: str = ADMIN) -> dict[str, Any]:
    """What the client record's buttons do (flows.clients calls it through services.invoice_modal)."""
    web = WebClient(token=f"xoxb-test-{TEAM_ID}", base_url=bb.slack.url)
    hooks = bb.app.services.invoice_modal
    assert hooks is not None
    hooks.open(
        web,
        trigger_id=bb.slack.issue_trigger_id(TEAM_ID, user),
        team_id=TEAM_ID,
        user_id=user,
        locale="fr" if user == FRENCH_USER else "en",
        channel_id="C_GENERAL",
        client_id=client_id,
        appointment_ids=appointment_ids,
    )
    view: dict[str, Any] = filled_view(bb.slack, bb.workspace, user)
    assert check_view(view) == []
    return view


def sessions(bb: Billbot, client_id: int, service_id: int | None, count: int) -> tuple[int, ...]:
    made = []
    with bb.app.services.db.session() as session:
        for n in range(count):
            row = Appointment(
                team_id=TEAM_ID,
                client_id=client_id,
                held_on=date(2026, 10, 1) + timedelta(days=7 * n),
                service_id=service_id,
                description=f"Session {n + 1}",
                notes="private notes",
            )
            session.add(row)
            session.flush()
            assert row.id is not None
            made.append(row.id)
    return tuple(made)


def test_sessions_prefill_one_line_each_and_are_carried_into_the_invoice(billbot: Billbot) -> None:
    practice = Practice(billbot)
    vat = practice.rate("TVA", "20")
    service = practice.service("Consultation", 8000, tax_rate_id=vat)
    client_id = practice.client("Élodie Dupré")
    appointments = sessions(billbot, client_id, service, 3)
    view = open_prefilled(billbot, client_id, appointments)
    client = next(b for b in view["blocks"] if b.get("block_id", "").startswith("client."))
    assert client["element"]["initial_option"] == {
        "text": {"type": "plain_text", "text": "Élodie Dupré", "emoji": True},
        "value": str(client_id),
    }
    keys = line_keys(view)
    assert len(keys) == 3
    assert [block_of(view, k, ids.LINE_DATE)["element"]["initial_date"] for k in keys] == [
        "2026-10-01",
        "2026-10-08",
        "2026-10-15",
    ]
    assert block_of(view, keys[0], ids.LINE_PRICE)["element"]["initial_value"] == "80.00"
    assert block_of(view, keys[0], ids.LINE_SERVICE)["element"]["initial_option"]["value"] == str(service)
    assert block_of(view, keys[0], ids.LINE_TAX)["element"]["initial_option"]["value"] == str(vat)
    assert block_of(view, keys[1], ids.LINE_DESCRIPTION)["element"]["initial_value"] == "Session 2"
    assert "Total: €288.00" in totals_of(view)
    assert "private notes" not in json.dumps(view)
    # Removing a session's line leaves that session out of the invoice.
    values = slack_state(view)
    view = click(billbot, view, values, ids.REMOVE_LINE_ACTION, str(keys[1]))
    values = slack_state(view, values)
    assert submit(billbot, view, values)["response_action"] == "update"
    wait_text(billbot, view["id"], "INV-0001")
    with billbot.app.services.db.session() as session:
        linked = {a.id: a.invoice_id for a in session.exec(select(Appointment)).all()}
    [invoice] = invoices(billbot)
    assert linked == {appointments[0]: invoice.id, appointments[1]: None, appointments[2]: invoice.id}


def test_more_sessions_than_the_modal_holds_are_left_for_the_next_invoice_and_it_says_so(billbot: Billbot) -> None:
    practice = Practice(billbot)
    client_id = practice.client("Élodie Dupré")
    appointments = sessions(billbot, client_id, practice.service("Consultation", 8000), MAX_LINES + 4)
    view = open_prefilled(billbot, client_id, appointments, FRENCH_USER)
    assert len(line_keys(view)) == MAX_LINES
    assert "4 autres séances ne tiennent pas" in text(view)
    assert len(view["private_metadata"]) < 3000


def test_new_client_is_chosen_in_the_invoice_modal_and_nothing_typed_is_lost(billbot: Billbot) -> None:
    Practice(billbot)
    view = open_modal(billbot)
    key = line_keys(view)[0]
    values = slack_state(view)
    type_in(values, view, key, ids.LINE_DESCRIPTION, "Consultation")
    type_in(values, view, key, ids.LINE_PRICE, "95")
    values[ids.MEMO_BLOCK] = {ids.MEMO_BLOCK: {"type": "plain_text_input", "value": "October"}}
    billbot.requests.click(ids.NEW_CLIENT_ACTION, user=ADMIN, value="new", view={**view, "state": {"values": values}})
    stack = filled_stack(billbot.slack, billbot.workspace, ADMIN, depth=2)
    child = stack[-1]
    child_values = {
        client_ids.NAME: {client_ids.NAME: {"type": "plain_text_input", "value": "Zoé Lambert"}},
        client_ids.EMAIL: {client_ids.EMAIL: {"type": "plain_text_input", "value": "zoe@example.com"}},
    }
    response = billbot.requests.submit(child, child_values, user=ADMIN)
    assert response.status_code == 200 and not response.content  # back to the invoice modal
    billbot.workspace.pop_view(ADMIN)
    updated = wait_text(billbot, view["id"], "Zoé Lambert")
    client = next(b for b in updated["blocks"] if b.get("block_id", "").startswith("client."))
    assert client["block_id"] == "client.1"  # a new block id, so Slack shows the new client
    assert client["element"]["initial_option"]["text"]["text"] == "Zoé Lambert"
    assert block_of(updated, key, ids.LINE_DESCRIPTION)["element"]["initial_value"] == "Consultation"
    assert block_of(updated, key, ids.LINE_PRICE)["element"]["initial_value"] == "95"
    memo = next(b for b in updated["blocks"] if b.get("block_id") == ids.MEMO_BLOCK)
    assert memo["element"]["initial_value"] == "October"
    # Create now goes through with that client.
    values = slack_state(updated, {k: v for k, v in values.items() if not k.startswith("client.")})
    assert submit(billbot, updated, values)["response_action"] == "update"
    wait_text(billbot, view["id"], "INV-0001")
    [invoice] = invoices(billbot)
    with billbot.app.services.db.session() as session:
        assert session.get(Client, invoice.client_id).email == "zoe@example.com"  # type: ignore[union-attr]
