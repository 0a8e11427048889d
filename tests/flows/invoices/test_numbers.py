"""Invoice numbers: per workspace, INV-0001 onwards, never twice, even with many creators at once."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import col, select

from bot.models import Client, Invoice, InvoiceCounter
from flows.invoices.creation import store as creation_store
from flows.invoices.creation.store import format_number, parse_number
from flows.invoices.forms import InvoiceForm
from tests.conftest import ADMIN, TEAM_ID, Billbot
from tests.flows.invoices.test_creation import DUE, line

OTHER_TEAM = "T0OTHERPRACTICE"


def _client(bb: Billbot, team_id: str) -> int:
    with bb.app.services.db.session() as session:
        row = Client(team_id=team_id, name="Jeanne", name_key="jeanne", email="j@example.com")
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def _draft(bb: Billbot, team_id: str, client_id: int, key: str) -> tuple[Invoice, bool]:
    form = InvoiceForm(client_id=client_id, currency="eur", due_date=DUE, lines=(line(),))
    return creation_store.create_draft(
        db=bb.app.services.db, team_id=team_id, user_id=ADMIN, locale="en", form=form, request_key=key, channel_id=None
    )


def _numbers(bb: Billbot, team_id: str) -> list[str]:
    with bb.app.services.db.session() as session:
        query = select(Invoice.number).where(Invoice.team_id == team_id).order_by(col(Invoice.number))
        return list(session.exec(query).all())


def test_numbers_are_per_workspace_and_in_order(billbot: Billbot) -> None:
    ours, theirs = _client(billbot, TEAM_ID), _client(billbot, OTHER_TEAM)
    assert _draft(billbot, TEAM_ID, ours, "a")[0].number == "INV-0001"
    assert _draft(billbot, TEAM_ID, ours, "b")[0].number == "INV-0002"
    assert _draft(billbot, OTHER_TEAM, theirs, "a")[0].number == "INV-0001"
    assert _draft(billbot, TEAM_ID, ours, "c")[0].number == "INV-0003"
    # The same submission again: the same invoice, and no number used up.
    again, created = _draft(billbot, TEAM_ID, ours, "b")
    assert (again.number, created) == ("INV-0002", False)
    assert _draft(billbot, TEAM_ID, ours, "d")[0].number == "INV-0004"


@pytest.mark.parametrize("existing_counter", [False, True], ids=["first-invoices", "later-invoices"])
def test_concurrent_creators_never_share_a_number(billbot: Billbot, existing_counter: bool) -> None:
    client_id = _client(billbot, TEAM_ID)
    if existing_counter:
        with billbot.app.services.db.session() as session:
            session.add(InvoiceCounter(team_id=TEAM_ID, last_number=41))
    threads, per_thread = 8, 5
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def creator(n: int) -> None:
        start.wait()  # all at once, so the very first ones race for the missing counter row too
        try:
            for i in range(per_thread):
                _draft(billbot, TEAM_ID, client_id, f"t{n}-{i}")
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=creator, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    first = 42 if existing_counter else 1
    expected = [format_number(n) for n in range(first, first + threads * per_thread)]
    assert _numbers(billbot, TEAM_ID) == expected  # unique and without gaps
    with billbot.app.services.db.session() as session:
        counter = session.get(InvoiceCounter, TEAM_ID)
        assert counter is not None and counter.last_number == first - 1 + threads * per_thread


def test_number_parsing() -> None:
    assert parse_number("INV-0042") == "INV-0042"
    assert parse_number("inv-42") == "INV-0042"
    assert parse_number("42") == "INV-0042"
    assert parse_number("#7") == "INV-0007"
    assert parse_number("INV-12345") == "INV-12345"
    assert parse_number("list") is None and parse_number("INV-") is None and parse_number("-3") is None
