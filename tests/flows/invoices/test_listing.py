"""`/invoice list [open|paid|overdue]` and `/invoice INV-0042`, through signed slash commands."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from bot.sandbox.slack import check_message
from flows.invoices.creation import store as creation_store
from tests.conftest import ADMIN, FRENCH_USER, MEMBER, Billbot
from tests.flows.invoices.test_creation import Practice, line, make_practice


@pytest.fixture
def practice(billbot: Billbot) -> Practice:
    return make_practice(billbot)


def ask(practice: Practice, text: str, user: str = ADMIN) -> tuple[str, Any]:
    """Run `/invoice <text>` and return the ephemeral answer's text (blocks and fallback) and the message."""
    ws = practice.bb.workspace
    before = len(ws.ephemeral("C_GENERAL", user))
    practice.bb.requests.command("/invoice", text, user=user)
    answers = practice.bb.slack.wait_for(lambda: len(ws.ephemeral("C_GENERAL", user)) > before and
                                         ws.ephemeral("C_GENERAL", user))  # fmt: skip
    message = answers[-1]
    assert check_message(message.text, message.blocks, None) == []
    assert practice.bb.workspace.messages("C_GENERAL") == []  # never in the channel itself
    return json.dumps(message.blocks, ensure_ascii=False) + (message.text or ""), message


def seed(practice: Practice) -> dict[str, int]:
    """Four invoices: a draft, an open one, an overdue one and a paid one (oldest first)."""
    jeanne, paul = practice.add_client("Jeanne Martin"), practice.add_client("Paul Roux")
    ids: dict[str, int] = {}
    for key, client_id, status, due in [
        ("draft", jeanne, "draft", date.today() + timedelta(days=10)),
        ("open", paul, "open", date.today() + timedelta(days=10)),
        ("overdue", jeanne, "open", date.today() - timedelta(days=3)),
        ("paid", paul, "paid", date.today() - timedelta(days=20)),
    ]:
        form = practice.form(client_id, [line(unit=10000)], memo=f"memo of {key}")
        invoice, _ = creation_store.create_draft(
            db=practice.services.db, team_id="T0PRACTICE", user_id=ADMIN, locale="en", form=form, request_key=key,
            channel_id=None,
        )  # fmt: skip
        assert invoice.id is not None
        creation_store.save_invoice(invoice.id, db=practice.services.db, status=status, due_date=due)
        ids[key] = invoice.id
    return ids


def test_list_shows_every_invoice_newest_first(practice: Practice) -> None:
    seed(practice)
    text, _ = ask(practice, "list")
    assert "Invoices" in text
    order = [text.index(n) for n in ("INV-0004", "INV-0003", "INV-0002", "INV-0001")]
    assert order == sorted(order)
    assert "Paid" in text and "Overdue" in text and "Draft" in text and "€100.00" in text
    assert "memo of" not in text
    assert "Showing" not in text


@pytest.mark.parametrize(
    ("words", "shown", "hidden"),
    [
        ("list open", ["INV-0002", "INV-0003"], ["INV-0001", "INV-0004"]),
        ("list paid", ["INV-0004"], ["INV-0001", "INV-0002", "INV-0003"]),
        ("list overdue", ["INV-0003"], ["INV-0001", "INV-0002", "INV-0004"]),
        ("LIST Overdue", ["INV-0003"], ["INV-0001", "INV-0002", "INV-0004"]),
    ],
)
def test_list_filters(practice: Practice, words: str, shown: list[str], hidden: list[str]) -> None:
    seed(practice)
    text, _ = ask(practice, words)
    assert all(number in text for number in shown)
    assert not any(number in text for number in hidden)


def test_empty_lists_say_so(practice: Practice) -> None:
    assert "No invoices yet" in ask(practice, "list")[0]
    assert "Nothing overdue" in ask(practice, "list overdue")[0]


def test_a_long_list_is_capped_with_showing_n_of_m(practice: Practice) -> None:
    client_id = practice.add_client()
    for n in range(45):
        creation_store.create_draft(
            db=practice.services.db, team_id="T0PRACTICE", user_id=ADMIN, locale="en",
            form=practice.form(client_id, [line()]), request_key=f"k{n}", channel_id=None,
        )  # fmt: skip
    text, message = ask(practice, "list")
    assert "Showing the newest 40 of 45." in text
    assert "INV-0045" in text and "INV-0006" in text and "INV-0005" not in text
    assert len(message.blocks) <= 50


def test_one_invoice_in_detail_with_its_memo_for_the_asker_only(practice: Practice) -> None:
    vat = practice.add_rate("VAT", "20")
    client_id = practice.add_client()
    outcome = practice.create(practice.form(client_id, [line(unit=5000, rate=vat)], memo="Private note"))
    assert outcome.error is None
    text, _ = ask(practice, "INV-0001")
    assert "Invoice INV-0001 · Jeanne Martin" in text and "€60.00" in text and "Private note" in text
    assert ask(practice, "inv-1")[0] == text


def test_unknown_number_and_unknown_words(practice: Practice) -> None:
    assert "There is no invoice INV-0042 in this workspace" in ask(practice, "INV-0042")[0]
    assert "Type `/invoice` to create an invoice" in ask(practice, "hello")[0]
    assert "Type `/invoice` to create an invoice" in ask(practice, "list everything")[0]


def test_a_number_in_other_digits_gets_the_usage_not_silence_nor_another_invoice(practice: Practice) -> None:
    seed(practice)  # INV-0001 to INV-0004: "٣" must not be read as INV-0003
    for user, usage in ((ADMIN, "Type `/invoice` to create an invoice"), (FRENCH_USER, "Tapez `/invoice` pour créer")):
        # str.isdigit() takes "²", "①" and "1²", which int() then refused: the command answered nothing.
        for typed in ("²", "INV-²", "①", "1²", "٣", "inv-٣", "１２", "INV-１２", "-1", "1.5"):
            answer, _ = ask(practice, typed, user=user)
            assert usage in answer and "INV-0003" not in answer, typed
    assert "Invoice INV-0003" in ask(practice, " 3 ")[0]
    practice.bb.slack.wait_for(lambda: practice.bb.app.services.work.counts() == {"pending": 0, "failed": 0})


def test_french(practice: Practice) -> None:
    seed(practice)
    text, _ = ask(practice, "list overdue", user=FRENCH_USER)
    assert "Factures en retard" in text and "En retard" in text and "100,00\u00a0€" in text
    assert "échéance le" in text
    text, _ = ask(practice, "liste payées", user=FRENCH_USER)
    assert "Factures payées" in text and "INV-0004" in text and "INV-0003" not in text
    assert "Il n'y a pas de facture INV-0099" in ask(practice, "INV-0099", user=FRENCH_USER)[0]
    assert "Tapez `/invoice`" in ask(practice, "bonjour", user=FRENCH_USER)[0]


def test_another_member_lists_the_same_workspace_invoices(practice: Practice) -> None:
    seed(practice)
    assert "INV-0004" in ask(practice, "list", user=MEMBER)[0]
