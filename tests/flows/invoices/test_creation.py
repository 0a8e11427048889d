"""Creating an invoice end to end: our draft row, the Stripe customer, invoice and items on the emulator, the
message in Slack; retries, double submits and Stripe failing midway."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import stripe
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import update
from sqlmodel import col, select

from bot.models import Appointment, BillingSettings, Client, HandledRequest, Invoice, InvoiceLine, TaxRate, utcnow
from bot.sandbox.slack import check_message
from flows.invoices.creation import store as creation_store
from flows.invoices.creation.logic import Outcome, create_invoice, retry_invoice
from flows.invoices.forms import InvoiceForm, LineForm
from flows.invoices.message.posting import MESSAGE_CLAIM, posting_takes_at_most, update_invoice_message
from tests.conftest import ADMIN, FRENCH_USER, TEAM_ID, Billbot
from tests.flows.billing_settings.test_billing_settings import connect_stripe

BOT = "U0BOT"
CHANNEL = "C_INVOICES"  # a channel the bot was invited to (it is not in #general)
DUE = date.today() + timedelta(days=30)
SERVICE_DAY = date(2026, 3, 12)

# -- helpers shared by the invoice test files -----------------------------------------------------------------


@dataclass
class Practice:
    """A workspace with Stripe connected, billing settings, tax rates mirrored in Stripe, and clients."""

    bb: Billbot
    account: str
    currency: str
    rates: dict[str, int] = field(default_factory=dict)  # name → our TaxRate id

    @property
    def services(self) -> Any:
        return self.bb.app.services

    def web(self) -> WebClient:
        return WebClient(token=f"xoxb-test-{TEAM_ID}", base_url=self.bb.slack.url)

    def add_rate(self, name: str, percentage: str, *, inclusive: bool = False) -> int:
        created = self.services.stripe.create_tax_rate(
            self.account,
            display_name=name,
            percentage=Decimal(percentage),
            inclusive=inclusive,
            idempotency_key=f"test-rate-{len(self.rates)}-{percentage}-{inclusive}",
        )
        with self.services.db.session() as session:
            row = TaxRate(
                team_id=TEAM_ID,
                name=name,
                percentage=Decimal(percentage),
                inclusive=inclusive,
                stripe_tax_rate_id=created["id"],
                stripe_account_id=self.account,
            )
            session.add(row)
            session.flush()
            assert row.id is not None
            self.rates[name] = row.id
        return self.rates[name]

    def add_client(self, name: str = "Jeanne Martin", email: str | None = "jeanne@example.com") -> int:
        with self.services.db.session() as session:
            row = Client(team_id=TEAM_ID, name=name, name_key=name.lower(), email=email, created_by=ADMIN)
            session.add(row)
            session.flush()
            assert row.id is not None
            return row.id

    def form(self, client_id: int, lines: list[LineForm], *, memo: str | None = None,
             appointment_ids: tuple[int, ...] = ()) -> InvoiceForm:  # fmt: skip
        return InvoiceForm(
            client_id=client_id,
            currency=self.currency,
            due_date=DUE,
            lines=tuple(lines),
            memo=memo,
            appointment_ids=appointment_ids,
        )

    def create(self, form: InvoiceForm, *, key: str = "submit-1", channel: str | None = CHANNEL,
               user: str = ADMIN, locale: str = "en") -> Outcome:  # fmt: skip
        return create_invoice(
            self.services, self.web(), team_id=TEAM_ID, user_id=user, locale=locale, form=form, request_key=key,
            channel_id=channel,
        )  # fmt: skip

    def retry(self, invoice_id: int, *, user: str = ADMIN, locale: str = "en") -> Outcome:
        return retry_invoice(self.services, self.web(), team_id=TEAM_ID, user_id=user, locale=locale,
                             invoice_id=invoice_id)  # fmt: skip

    # -- reading what happened --------------------------------------------------------------------------

    def stripe(self) -> stripe.StripeClient:
        return stripe.StripeClient(self.bb.stripe.api_key, base_addresses={"api": self.bb.stripe.url})

    def stripe_invoice(self, invoice_id: str) -> dict[str, Any]:
        return self.stripe().v1.invoices.retrieve(invoice_id, None, {"stripe_account": self.account}).to_dict()

    def stripe_invoices(self) -> list[dict[str, Any]]:
        listed = self.stripe().v1.invoices.list({"limit": 100}, {"stripe_account": self.account})
        return [i.to_dict() for i in listed.data]

    def stripe_items(self) -> list[dict[str, Any]]:
        listed = self.stripe().v1.invoice_items.list({"limit": 100}, {"stripe_account": self.account})
        return [i.to_dict() for i in listed.data]

    def stripe_lines(self, invoice_id: str) -> list[dict[str, Any]]:
        listed = self.stripe().v1.invoices.line_items.list(invoice_id, {"limit": 100}, {"stripe_account": self.account})
        return [line.to_dict() for line in listed.data]

    def stripe_customers(self) -> list[dict[str, Any]]:
        listed = self.stripe().v1.customers.list({"limit": 100}, {"stripe_account": self.account})
        return [c.to_dict() for c in listed.data]

    def invoices(self) -> list[Invoice]:
        with self.services.db.session() as session:
            return list(session.exec(select(Invoice).order_by(col(Invoice.id))).all())

    def lines(self, invoice_id: int) -> list[InvoiceLine]:
        with self.services.db.session() as session:
            query = select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id).order_by(col(InvoiceLine.position))
            return list(session.exec(query).all())

    def client_row(self, client_id: int) -> Client:
        with self.services.db.session() as session:
            row = session.get(Client, client_id)
            assert row is not None
            return row


def make_practice(bb: Billbot, currency: str = "eur") -> Practice:
    account = connect_stripe(bb)
    bb.workspace.add_channel(CHANNEL, name="invoices", members=[ADMIN, FRENCH_USER, BOT])
    with bb.app.services.db.session() as session:
        session.add(BillingSettings(team_id=TEAM_ID, currency=currency, address_line1="1 rue X", city="Paris",
                                    country="FR"))  # fmt: skip
    return Practice(bb, account, currency)


def line(description: str = "Individual session", unit: int = 8000, quantity: int = 1, rate: int | None = None,
         day: date = SERVICE_DAY) -> LineForm:  # fmt: skip
    return LineForm(service_date=day, description=description, quantity=quantity, unit_amount=unit, tax_rate_id=rate)


def message_text(message: Any) -> str:
    return json.dumps(message.blocks, ensure_ascii=False) + (message.text or "")


@pytest.fixture
def practice(billbot: Billbot) -> Practice:
    return make_practice(billbot)


# -- creating -------------------------------------------------------------------------------------------------


def test_one_line_invoice_is_drafted_then_finalized_on_stripe_and_posted_in_the_channel(practice: Practice) -> None:
    vat = practice.add_rate("VAT", "20")
    client_id = practice.add_client()
    outcome = practice.create(practice.form(client_id, [line(unit=8000, rate=vat)], memo="Discussed anxiety"))

    assert outcome.error is None
    invoice = outcome.invoice
    assert invoice.number == "INV-0001" and invoice.status == "open"
    assert (invoice.subtotal, invoice.tax, invoice.total, invoice.amount_remaining) == (8000, 1600, 9600, 9600)
    assert invoice.created_by == ADMIN and invoice.memo == "Discussed anxiety" and invoice.last_error is None
    assert invoice.stripe_account_id == practice.account
    [row] = practice.lines(invoice.id or 0)
    assert (row.position, row.amount, row.tax_amount, row.quantity) == (1, 8000, 1600, 1)

    # Stripe: one customer made from the client, one invoice sent for payment, finalized, one item.
    [customer] = practice.stripe_customers()
    assert customer["name"] == "Jeanne Martin" and customer["email"] == "jeanne@example.com"
    assert practice.client_row(client_id).stripe_customer_id == customer["id"]
    stripe_invoice = practice.stripe_invoice(invoice.stripe_invoice_id or "")
    assert stripe_invoice["status"] == "open" and stripe_invoice["collection_method"] == "send_invoice"
    assert stripe_invoice["customer"] == customer["id"] and stripe_invoice["currency"] == "eur"
    assert stripe_invoice["auto_advance"] is False  # Stripe emails it only when the practice asks
    assert stripe_invoice["metadata"] == {"billbot_invoice_id": str(invoice.id), "billbot_team_id": TEAM_ID,
                                          "billbot_number": "INV-0001"}  # fmt: skip
    assert stripe_invoice["description"] is None  # the memo stays with the practice
    assert (stripe_invoice["subtotal"], stripe_invoice["total"]) == (8000, 9600)
    assert invoice.stripe_number == stripe_invoice["number"]
    assert invoice.hosted_invoice_url == stripe_invoice["hosted_invoice_url"]
    assert invoice.invoice_pdf == stripe_invoice["invoice_pdf"]
    due = date.fromtimestamp(stripe_invoice["due_date"])
    assert abs((due - DUE).days) <= 1
    [item] = practice.stripe_items()
    assert item["invoice"] == invoice.stripe_invoice_id and item["quantity"] == 1 and item["amount"] == 8000
    assert item["description"] == "Individual session" and item["id"] == row.stripe_invoice_item_id
    assert [r["id"] for r in item["tax_rates"]] == [_stripe_rate(practice, vat)]
    assert date.fromtimestamp(item["period"]["start"]) == SERVICE_DAY

    # Slack: one message in the channel, with the amounts, the client's initials, no lines and no memo.
    [message] = practice.bb.workspace.messages(CHANNEL)
    assert (invoice.channel_id, invoice.message_ts) == (CHANNEL, message.ts)
    assert check_message(message.text, message.blocks, None) == []
    text = message_text(message)
    assert "INV-0001" in text and "J. M." in text and "€96.00" in text and "€16.00" in text and "Open" in text
    assert "Jeanne" not in text and "Individual session" not in text
    assert "anxiety" not in text and "Memo" not in text
    # The creator's Details: the name and the lines, for their eyes only (test_privacy covers who else).
    practice.bb.requests.click("invoice_details", user=ADMIN, value=str(invoice.id), channel=CHANNEL,
                               message_ts=message.ts)  # fmt: skip
    [details] = practice.bb.slack.wait_for(lambda: practice.bb.workspace.ephemeral(CHANNEL, ADMIN))
    details_text = message_text(details)
    assert "Jeanne Martin" in details_text and "Individual session" in details_text and "€96.00" in details_text


def _stripe_rate(practice: Practice, rate_id: int) -> str:
    with practice.services.db.session() as session:
        row = session.get(TaxRate, rate_id)
        assert row is not None and row.stripe_tax_rate_id is not None
        return row.stripe_tax_rate_id


def test_five_lines_with_exclusive_and_inclusive_rates(practice: Practice) -> None:
    vat = practice.add_rate("VAT", "20")
    reduced = practice.add_rate("TVA réduite", "5.5", inclusive=True)
    client_id = practice.add_client()
    lines = [
        line("Individual session", 8000, 1, vat, SERVICE_DAY),
        line("Couple session", 12050, 2, reduced, SERVICE_DAY + timedelta(days=1)),
        line("Report", 3333, 3, vat, SERVICE_DAY + timedelta(days=2)),
        line("Phone call", 1999, 1, None, SERVICE_DAY + timedelta(days=3)),
        line("Workshop", 4525, 4, reduced, SERVICE_DAY + timedelta(days=4)),
    ]
    # A practice that turned full channel cards on: the card lists every line with its tax.
    with practice.services.db.session() as session:
        settings = session.get(BillingSettings, TEAM_ID)
        assert settings is not None
        settings.full_channel_cards = True
        session.add(settings)
    outcome = practice.create(practice.form(client_id, lines))
    assert outcome.error is None
    invoice = outcome.invoice
    stripe_invoice = practice.stripe_invoice(invoice.stripe_invoice_id or "")
    stripe_tax = sum(t["amount"] for t in stripe_invoice["total_taxes"])
    assert (invoice.subtotal, invoice.tax, invoice.total) == (stripe_invoice["subtotal"], stripe_tax,
                                                              stripe_invoice["total"])  # fmt: skip
    stripe_lines = practice.stripe_lines(invoice.stripe_invoice_id or "")
    ours = practice.lines(invoice.id or 0)
    assert [(x["description"], x["quantity"], x["amount"]) for x in stripe_lines] == [
        (row.description, row.quantity, row.amount) for row in ours
    ]
    assert [sum(t["amount"] for t in x["taxes"]) for x in stripe_lines] == [row.tax_amount for row in ours]
    assert [str(x["pricing"]["unit_amount_decimal"]) for x in stripe_lines] == ["8000", "12050", "3333", "1999", "4525"]
    [message] = practice.bb.workspace.messages(CHANNEL)
    text = message_text(message)
    assert "TVA réduite 5.5% included" in text and "Workshop" in text and "4 × €45.25" in text


def test_jpy_invoice_has_no_decimals(billbot: Billbot) -> None:
    practice = make_practice(billbot, "jpy")
    tax = practice.add_rate("消費税", "10")
    client_id = practice.add_client("Sato Hana", "hana@example.jp")
    outcome = practice.create(practice.form(client_id, [line("Session", 10050, 1, tax), line("Extra", 333, 3, tax)]))
    invoice = outcome.invoice
    assert outcome.error is None and invoice.currency == "jpy"
    # 10050 × 10% = 1005; 999 × 10% = 99.9 → 100
    assert (invoice.subtotal, invoice.tax, invoice.total) == (11049, 1105, 12154)
    stripe_invoice = practice.stripe_invoice(invoice.stripe_invoice_id or "")
    assert (stripe_invoice["currency"], stripe_invoice["total"]) == ("jpy", 12154)
    text = message_text(practice.bb.workspace.messages(CHANNEL)[0])
    assert "¥12,154" in text and "¥12,154.00" not in text


def test_french_message_and_dm_with_memo_when_no_channel(practice: Practice) -> None:
    tva = practice.add_rate("TVA", "20")
    client_id = practice.add_client("Élodie Durand")
    form = practice.form(client_id, [line("Séance individuelle", 6000, 2, tva)], memo="Note privée")
    outcome = practice.create(form, channel=None, user=FRENCH_USER, locale="fr")
    assert outcome.error is None
    [message] = practice.bb.workspace.dm(FRENCH_USER)
    text = message_text(message)
    assert "Facture INV-0001 · Élodie Durand" in text
    assert "144,00\u00a0€" in text and "Sous-total : 120,00\u00a0€" in text and "À payer" in text
    assert "Note privée" in text  # a DM: only the creator reads it
    assert outcome.invoice.channel_id == message.channel and outcome.invoice.message_ts == message.ts


def test_a_channel_the_bot_is_not_in_falls_back_to_the_dm_and_says_so(practice: Practice) -> None:
    client_id = practice.add_client()
    outcome = practice.create(practice.form(client_id, [line()], memo="private"), channel="C_GENERAL")
    assert outcome.error is None
    assert practice.bb.workspace.messages("C_GENERAL") == []
    [message] = practice.bb.workspace.dm(ADMIN)
    text = message_text(message)
    assert "I can't post in <#C_GENERAL>" in text and "INV-0001" in text and "private" in text
    assert outcome.invoice.channel_id == message.channel


def test_sessions_are_linked_to_the_invoice(practice: Practice) -> None:
    client_id = practice.add_client()
    other_client = practice.add_client("Paul Roux")
    with practice.services.db.session() as session:
        rows = [
            Appointment(team_id=TEAM_ID, client_id=client_id, held_on=SERVICE_DAY, description="Session"),
            Appointment(team_id=TEAM_ID, client_id=client_id, held_on=SERVICE_DAY, description="Session"),
            Appointment(team_id=TEAM_ID, client_id=other_client, held_on=SERVICE_DAY, description="Session"),
        ]
        session.add_all(rows)
        session.flush()
        ids = tuple(r.id for r in rows if r.id is not None)
    outcome = practice.create(practice.form(client_id, [line(), line()], appointment_ids=ids))
    with practice.services.db.session() as session:
        linked = {a.id: a.invoice_id for a in session.exec(select(Appointment)).all()}
    assert linked == {ids[0]: outcome.invoice.id, ids[1]: outcome.invoice.id, ids[2]: None}  # not this client's


def test_the_clients_stripe_customer_is_made_once_and_reused(practice: Practice) -> None:
    client_id = practice.add_client()
    first = practice.create(practice.form(client_id, [line()]), key="a")
    with practice.services.db.session() as session:
        row = session.get(Client, client_id)
        assert row is not None
        row.email = "jeanne.new@example.com"
        session.add(row)
    second = practice.create(practice.form(client_id, [line()]), key="b")
    assert (first.invoice.number, second.invoice.number) == ("INV-0001", "INV-0002")
    [customer] = practice.stripe_customers()
    assert customer["email"] == "jeanne.new@example.com"  # kept current: Stripe emails the invoice there
    assert {i["customer"] for i in practice.stripe_invoices()} == {customer["id"]}


def test_update_invoice_message_rerenders_in_place(practice: Practice) -> None:
    client_id = practice.add_client()
    outcome = practice.create(practice.form(client_id, [line()]))
    creation_store.save_invoice(outcome.invoice.id or 0, db=practice.services.db, status="paid", amount_remaining=0)
    assert (
        update_invoice_message(practice.web(), outcome.invoice.id or 0, db=practice.services.db, default_locale="en")
        is True
    )
    [message] = practice.bb.workspace.messages(CHANNEL)
    assert message.edited and "Paid" in message_text(message)


# -- once, whatever happens -----------------------------------------------------------------------------------


def test_the_same_submission_twice_makes_one_invoice_one_stripe_invoice_one_message(practice: Practice) -> None:
    client_id = practice.add_client()
    form = practice.form(client_id, [line(), line("Report", 2000)])
    first = practice.create(form, key="view-V1")
    second = practice.create(form, key="view-V1")
    assert first.invoice.id == second.invoice.id and second.error is None
    assert len(practice.invoices()) == 1
    assert len(practice.stripe_invoices()) == 1 and len(practice.stripe_items()) == 2
    assert len(practice.bb.workspace.messages(CHANNEL)) == 1


def test_a_message_whose_worker_died_mid_post_is_posted_by_the_next_run(practice: Practice) -> None:
    client_id = practice.add_client()
    form = practice.form(client_id, [line()])
    services = practice.bb.app.services
    invoice, _ = creation_store.create_draft(
        db=services.db,
        team_id=TEAM_ID,
        user_id=ADMIN,
        locale="en",
        form=form,
        request_key="view-V9",
        channel_id=CHANNEL,
    )
    # A worker claimed the posting, then died before Slack answered: the claim stays, no message exists.
    assert services.db.claim_once(TEAM_ID, MESSAGE_CLAIM, str(invoice.id))
    fresh = practice.create(form, key="view-V9")  # the work queue's replay, moments later
    assert fresh.error is None and practice.bb.workspace.messages(CHANNEL) == []  # still someone else's
    with services.db.session() as session:
        session.execute(update(HandledRequest).values(created_at=utcnow() - posting_takes_at_most(services) * 2))
    again = practice.create(form, key="view-V9")  # the replay after the claim went stale
    assert again.error is None and again.invoice.message_ts is not None
    assert len(practice.bb.workspace.messages(CHANNEL)) == 1 and len(practice.stripe_invoices()) == 1


def test_a_message_slack_posted_before_failing_is_found_not_posted_again(practice: Practice) -> None:
    """Slack's 500 fatal_error after posting: the replay finds the message by its metadata and keeps it."""
    client_id = practice.add_client()
    form = practice.form(client_id, [line()])
    practice.bb.slack.fail_after_doing("chat.postMessage")
    with pytest.raises(SlackApiError):
        practice.create(form, key="view-V10")
    [posted] = practice.bb.workspace.messages(CHANNEL)
    again = practice.create(form, key="view-V10")  # the work queue's replay, seconds later
    assert again.error is None and again.invoice.message_ts == posted.ts
    assert len(practice.bb.workspace.messages(CHANNEL)) == 1 and len(practice.stripe_invoices()) == 1


def test_a_message_that_never_reached_slack_is_posted_by_the_replay(practice: Practice) -> None:
    client_id = practice.add_client()
    form = practice.form(client_id, [line()])
    practice.bb.slack.fail("chat.postMessage", "internal_error")
    with pytest.raises(SlackApiError):
        practice.create(form, key="view-V11")
    assert practice.bb.workspace.messages(CHANNEL) == []
    again = practice.create(form, key="view-V11")
    [posted] = practice.bb.workspace.messages(CHANNEL)
    assert again.invoice.message_ts == posted.ts


def test_concurrent_double_submit_makes_one_invoice(practice: Practice) -> None:
    client_id = practice.add_client()
    form = practice.form(client_id, [line()])
    outcomes: list[Outcome] = []
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            outcomes.append(practice.create(form, key="view-V2"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert {o.invoice.id for o in outcomes} == {practice.invoices()[0].id}
    assert len(practice.invoices()) == 1 and len(practice.stripe_invoices()) == 1
    assert len(practice.stripe_items()) == 1 and len(practice.stripe_customers()) == 1
    practice.bb.slack.wait_for(lambda: practice.bb.workspace.messages(CHANNEL))
    assert len(practice.bb.workspace.messages(CHANNEL)) == 1


@pytest.mark.parametrize(
    ("method", "path", "step_text"),
    [
        ("POST", "/v1/customers", "could not create or update the client's customer record"),
        ("POST", "/v1/invoices", "could not create the invoice"),
        ("POST", "/v1/invoiceitems", "could not add line 1"),
        ("POST", "/v1/invoices/in_", "could not finalize the invoice"),
    ],
)
def test_stripe_down_midway_keeps_the_draft_and_retry_finishes_with_one_stripe_invoice(
    practice: Practice, method: str, path: str, step_text: str
) -> None:
    vat = practice.add_rate("VAT", "20")
    client_id = practice.add_client()
    form = practice.form(client_id, [line(rate=vat), line("Report", 2500, 2, vat), line("Call", 999)], memo="m")
    practice.bb.stripe.fail_next(method, path, count=3)  # three: the client retries a 500 twice
    failed = practice.create(form)

    assert failed.error is not None and step_text in failed.error
    assert "INV-0001 is saved as a draft" in failed.error and "Retry" in failed.error
    assert failed.invoice.status == "draft" and failed.invoice.last_error
    assert len(practice.invoices()) == 1 and len(practice.lines(failed.invoice.id or 0)) == 3
    assert practice.bb.workspace.messages(CHANNEL) == []  # nothing posted for a draft

    done = practice.retry(failed.invoice.id or 0)
    assert done.error is None and done.invoice.status == "open" and done.invoice.last_error is None
    [stripe_invoice] = practice.stripe_invoices()
    assert stripe_invoice["id"] == done.invoice.stripe_invoice_id and stripe_invoice["status"] == "open"
    assert len(practice.stripe_items()) == 3 and len(practice.stripe_customers()) == 1
    assert stripe_invoice["total"] == done.invoice.total
    assert len(practice.bb.workspace.messages(CHANNEL)) == 1


def test_a_lost_stripe_answer_is_recovered_through_idempotency_keys(practice: Practice) -> None:
    """Stripe created everything but our writes were lost (a crash): the retry finds the same objects."""
    client_id = practice.add_client()
    practice.bb.stripe.fail_next("POST", "/v1/invoices/in_", count=3)  # stop at finalize
    failed = practice.create(practice.form(client_id, [line(), line("Report", 2000)]))
    assert failed.error is not None
    invoice_id = failed.invoice.id or 0
    with practice.services.db.session() as session:  # forget what Stripe answered, as if never committed
        row = session.get(Invoice, invoice_id)
        assert row is not None
        row.stripe_invoice_id = None
        session.add(row)
        for item in session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id)).all():
            item.stripe_invoice_item_id = None
            session.add(item)
        client = session.get(Client, client_id)
        assert client is not None
        client.stripe_customer_id = None
        session.add(client)
    done = practice.retry(invoice_id)
    assert done.error is None
    assert len(practice.stripe_invoices()) == 1 and len(practice.stripe_items()) == 2
    assert len(practice.stripe_customers()) == 1


def test_not_connected_keeps_the_draft_and_says_so(billbot: Billbot) -> None:
    practice = Practice(billbot, account="", currency="eur")
    client_id = practice.add_client()
    outcome = practice.create(practice.form(client_id, [line()]), locale="fr")
    assert outcome.error is not None and "`/billing setup`" in outcome.error and "brouillon" in outcome.error
    assert outcome.invoice.status == "draft" and outcome.invoice.number == "INV-0001"


# -- bad input ------------------------------------------------------------------------------------------------


def test_a_client_of_another_workspace_is_refused_and_nothing_is_written(practice: Practice) -> None:
    with practice.services.db.session() as session:
        stranger = Client(team_id="T0OTHER", name="Stranger", name_key="stranger", email="s@example.com")
        session.add(stranger)
        session.flush()
        stranger_id = stranger.id or 0
    with pytest.raises(ValueError, match="not one of"):
        practice.create(practice.form(stranger_id, [line()]))
    assert practice.invoices() == [] and practice.stripe_invoices() == []
    # The number was not used up: the next invoice is still the first.
    assert practice.create(practice.form(practice.add_client(), [line()]), key="k2").invoice.number == "INV-0001"


def test_a_tax_rate_of_another_workspace_is_refused(practice: Practice) -> None:
    with practice.services.db.session() as session:
        foreign = TaxRate(team_id="T0OTHER", name="X", percentage=Decimal("10"))
        session.add(foreign)
        session.flush()
        foreign_id = foreign.id
    with pytest.raises(ValueError, match="tax rates"):
        practice.create(practice.form(practice.add_client(), [line(rate=foreign_id)]))
    assert practice.invoices() == []


def test_no_lines_is_refused(practice: Practice) -> None:
    with pytest.raises(ValueError, match="at least one line"):
        practice.create(practice.form(practice.add_client(), []))
    assert practice.invoices() == []
