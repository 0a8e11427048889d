"""The report's figures equal what Stripe holds, to the unit: a month of invoices made, paid on the hosted page,
part paid and paid through Record payment, refunded through Refund and voided through the invoice's buttons,
in EUR and in JPY (zero-decimal), compared with the emulator's own invoices, credit notes and refunds."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.figures import month, period_figures
from bot.i18n import format_money
from bot.money import to_decimal
from flows.invoices import ids as action_ids
from tests.conftest import ADMIN, Billbot
from tests.flows.invoices.test_payments import click, connect, make_client, row, settle, stripe_api, wait
from tests.flows.invoices.test_record_payment import record, today_of, values
from tests.flows.invoices.test_refunds import refund
from tests.flows.reports.scene import ask, invoice, pay_on_stripe, text_of


def _a_month_of(bb: Billbot, client_id: int, currency: str, unit: int) -> None:
    """Six invoices: paid by card; a third recorded; a third then the rest; paid then a third refunded; voided;
    left open."""
    pay_on_stripe(bb, invoice(bb, client_id, (unit * 12,), currency=currency))
    for rest in (False, True):
        found = invoice(bb, client_id, (unit * 9, unit * 3), currency=currency)
        third = str(to_decimal(found.total // 3, currency))
        record(bb, found, lambda view, p=third: values("cash", today_of(view), part=p))
        bb.workspace.close_views("U0MEMBER")
        if rest:
            record(bb, found, lambda view: values("bank_transfer", today_of(view)))
            bb.workspace.close_views("U0MEMBER")
        settle(bb)
    refunded = pay_on_stripe(bb, invoice(bb, client_id, (unit * 15,), currency=currency))
    refund(bb, refunded, str(to_decimal(refunded.total // 3, currency)))
    voided = invoice(bb, client_id, (unit * 7,), currency=currency)
    click(bb, action_ids.VOID, voided)
    wait(bb, lambda: row(bb, voided.id or 0).status == "void")
    invoice(bb, client_id, (unit * 5,), currency=currency)
    settle(bb)


def _stripe_sums(bb: Billbot, account: str) -> dict[str, dict[str, int]]:
    api = stripe_api(bb)
    options: Any = {"stripe_account": account}
    sums: dict[str, dict[str, int]] = {}
    for found in api.v1.invoices.list({"limit": 100}, options).data:
        cur = sums.setdefault(found.currency, {"paid": 0, "remaining": 0, "invoiced": 0, "credited": 0, "refunds": 0})
        cur["paid"] += found.amount_paid
        if found.status != "void":
            cur["invoiced"] += found.total
        if found.status == "open":
            cur["remaining"] += found.amount_remaining
    for note in api.v1.credit_notes.list({"limit": 100}, options).data:
        sums[note.currency]["credited"] += note.total
    for given in api.v1.refunds.list({"limit": 100}, options).data:
        sums[given.currency]["refunds"] += given.amount
    return sums


def test_the_reports_figures_are_stripes_to_the_unit_in_eur_and_jpy(billbot: Billbot) -> None:
    bb = billbot
    account = connect(bb)
    client_id = make_client(bb)
    _a_month_of(bb, client_id, "eur", 1000)
    _a_month_of(bb, client_id, "jpy", 1001)  # odd yen amounts: a third of them is not a round number
    stripe = _stripe_sums(bb, account)
    assert set(stripe) == {"eur", "jpy"}
    with bb.app.services.db.session() as session:
        figures = period_figures(session, "T0PRACTICE", month(date.today().year, date.today().month))
    shown = text_of(ask(bb, "this month", user=ADMIN))
    for currency, theirs in stripe.items():
        ours = figures.of(currency)
        assert ours is not None
        assert ours.collected == theirs["paid"], currency
        assert ours.refunded == theirs["credited"] == theirs["refunds"], currency
        assert ours.invoiced == theirs["invoiced"] and ours.invoiced_count == 5, currency
        assert ours.outstanding == theirs["remaining"], currency
        assert ours.invoiced_tax == 0
        # And the report says so, in the asker's formats.
        net = format_money(theirs["paid"] - theirs["refunds"], currency, "en")
        assert f"*Collected:* {net} ({format_money(theirs['paid'], currency, 'en')} received" in shown
        assert f"*Invoiced:* {format_money(theirs['invoiced'], currency, 'en')} on 5 invoices" in shown
        assert f"*Outstanding now:* {format_money(theirs['remaining'], currency, 'en')} on 2 invoices" in shown
