"""Our totals equal Stripe's to the unit: each case is created through the invoice flow on the Stripe emulator
and compared line by line (tax per line, rounded half up; inclusive tax carved out of the amount)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from flows.invoices.totals import Rate, totals
from tests.conftest import ADMIN, Billbot
from tests.flows.invoices.test_creation import line, make_practice

RateSpec = tuple[str, bool] | None  # (percentage, inclusive), or no tax


@dataclass(frozen=True)
class Case:
    name: str
    currency: str
    lines: tuple[tuple[int, int, RateSpec], ...]  # (quantity, unit amount, rate)
    taxes: tuple[int, ...] | None = None  # each line's tax, worked out by hand, where it is the point


EXCL10, INCL20 = ("10", False), ("20", True)
CASES = (
    Case("half up, exclusive (.5 rounds up, not to even)", "eur", ((1, 5, EXCL10), (1, 15, EXCL10), (1, 25, EXCL10)),
         (1, 2, 3)),
    Case("half up, inclusive", "eur", ((1, 3, INCL20), (1, 9, INCL20), (1, 15, INCL20)), (1, 2, 3)),
    Case("French reduced rate, inclusive", "eur", ((1, 1000, ("5.5", True)), (2, 4525, ("5.5", True))), (52, 472)),
    Case("19.6 % exclusive", "eur", ((1, 12345, ("19.6", False)),), (2420,)),
    Case("two US rates", "usd", ((1, 999, ("8.875", False)), (1, 89, ("7.25", False))), (89, 6)),
    Case("JPY, zero-decimal", "jpy", ((1, 1005, EXCL10), (1, 1080, ("8", True)), (1, 1001, ("10", True))),
         (101, 80, 91)),
    Case("BHD, three decimals", "bhd", ((1, 1005, EXCL10),), (101,)),
    Case("four-decimal rate", "eur", ((1, 10000, ("7.6543", False)),), (765,)),
    Case("large amounts, quantity, inclusive", "eur", ((99, 999999, INCL20),), (16499984,)),
    Case("no tax", "eur", ((3, 3333, None),), (0,)),
    Case(
        "several rates on one invoice, exclusive and inclusive",
        "eur",
        ((1, 8000, ("20", False)), (2, 12050, ("5.5", True)), (3, 3333, ("2.1", False)), (1, 1999, None),
         (4, 4525, ("10", True))),
    ),
    Case("several rates, JPY", "jpy", ((2, 5500, ("10", True)), (1, 3333, ("8", False)), (5, 101, EXCL10))),
)  # fmt: skip


def _rate(spec: RateSpec) -> Rate | None:
    return Rate(Decimal(spec[0]), spec[1]) if spec else None


@pytest.mark.parametrize("case", [c for c in CASES if c.taxes is not None], ids=lambda c: c.name)
def test_our_arithmetic_rounds_as_worked_out_by_hand(case: Case) -> None:
    computed = totals([(q, u, _rate(r)) for q, u, r in case.lines])
    assert tuple(line.tax for line in computed.lines) == case.taxes


def test_our_totals_equal_stripes_to_the_unit(billbot: Billbot) -> None:
    practice = make_practice(billbot)
    client_id = practice.add_client()
    rate_ids: dict[tuple[str, bool], int] = {}
    for spec in {r for case in CASES for _, _, r in case.lines if r is not None}:
        rate_ids[spec] = practice.add_rate(f"Tax {spec[0]}{' incl' if spec[1] else ''}", spec[0], inclusive=spec[1])

    for n, case in enumerate(CASES):
        form = practice.form(
            client_id, [line(f"Line {i}", u, q, rate_ids[r] if r else None) for i, (q, u, r) in enumerate(case.lines)]
        )
        form = type(form)(**{**form.__dict__, "currency": case.currency})
        outcome = practice.create(form, key=f"case-{n}")
        assert outcome.error is None, case.name
        invoice = outcome.invoice
        stripe_invoice = practice.stripe_invoice(invoice.stripe_invoice_id or "")
        stripe_lines = practice.stripe_lines(invoice.stripe_invoice_id or "")
        ours = practice.lines(invoice.id or 0)
        assert [x["amount"] for x in stripe_lines] == [row.amount for row in ours], case.name
        assert [sum(t["amount"] for t in x["taxes"]) for x in stripe_lines] == [row.tax_amount for row in ours], (
            case.name
        )
        stripe_tax = sum(t["amount"] for t in stripe_invoice["total_taxes"])
        assert (invoice.subtotal, invoice.tax, invoice.total) == (
            stripe_invoice["subtotal"],
            stripe_tax,
            stripe_invoice["total"],
        ), case.name
        assert invoice.amount_remaining == stripe_invoice["amount_remaining"] == invoice.total, case.name
        if case.taxes is not None:
            assert tuple(row.tax_amount for row in ours) == case.taxes, case.name


PART_CASES = ("several rates on one invoice, exclusive and inclusive", "several rates, JPY", "BHD, three decimals")


def test_part_payments_leave_the_balance_stripe_has_to_the_unit(billbot: Billbot) -> None:
    """A third recorded outside Stripe, then the rest: our amount_paid / amount_remaining are Stripe's each time."""
    from bot.models import Invoice
    from bot.money import to_decimal
    from flows.invoices import ids as invoice_ids
    from tests.flows.invoices.test_record_payment import modal_of, submit, today_of, values

    practice = make_practice(billbot)
    client_id = practice.add_client()
    rate_ids: dict[tuple[str, bool], int] = {}
    for spec in {r for case in CASES for _, _, r in case.lines if r is not None}:
        rate_ids[spec] = practice.add_rate(f"Tax {spec[0]}{' incl' if spec[1] else ''}", spec[0], inclusive=spec[1])
    for n, case in enumerate(c for c in CASES if c.name in PART_CASES):
        form = practice.form(
            client_id, [line(f"Line {i}", u, q, rate_ids[r] if r else None) for i, (q, u, r) in enumerate(case.lines)]
        )
        form = type(form)(**{**form.__dict__, "currency": case.currency})
        invoice = practice.create(form, key=f"part-{n}").invoice
        part = invoice.total // 3
        for typed in (str(to_decimal(part, case.currency)), None):  # a third, then all that is left
            billbot.requests.click(
                invoice_ids.MARK_PAID, user=ADMIN, value=str(invoice.id), channel=invoice.channel_id,
                message_ts=invoice.message_ts,
            )  # fmt: skip
            view = modal_of(billbot, ADMIN)
            assert (
                submit(billbot, view, values("cash", today_of(view), part=typed), ADMIN)["response_action"] == "update"
            )
            expected_paid = part if typed else invoice.total

            def mirrored_row(invoice_id: int = invoice.id or 0, paid: int = expected_paid) -> Invoice | None:
                with billbot.app.services.db.session() as session:
                    found = session.get(Invoice, invoice_id)
                return found if found is not None and found.amount_paid == paid else None

            mirrored = billbot.slack.wait_for(mirrored_row)
            stripe_invoice = practice.stripe_invoice(invoice.stripe_invoice_id or "")
            assert (mirrored.amount_paid, mirrored.amount_remaining) == (
                stripe_invoice["amount_paid"],
                stripe_invoice["amount_remaining"],
            ), case.name
            assert mirrored.amount_remaining == invoice.total - expected_paid, case.name
            billbot.workspace.close_views(ADMIN)


REFUND_CASES = ("half up, exclusive (.5 rounds up, not to even)", "JPY, zero-decimal", "several rates, JPY",
                "several rates on one invoice, exclusive and inclusive")  # fmt: skip


def test_refunds_and_credit_notes_leave_what_stripe_holds_to_the_unit(billbot: Billbot) -> None:
    """Paid by card, then a third refunded through Billbot, a taxed line credited and refunded on Stripe's Dashboard,
    then the rest: our amount_refunded and each refund equal Stripe's credit notes and refunds to the unit."""
    import httpx

    from bot.money import to_decimal
    from tests.flows.invoices.test_payments import stripe_api
    from tests.flows.invoices.test_refunds import credit_notes, refund, refunded_on_stripe, refunds, row

    practice = make_practice(billbot)
    client_id = practice.add_client()
    rate_ids: dict[tuple[str, bool], int] = {}
    for spec in {r for case in CASES for _, _, r in case.lines if r is not None}:
        rate_ids[spec] = practice.add_rate(f"Tax {spec[0]}{' incl' if spec[1] else ''}", spec[0], inclusive=spec[1])
    for n, case in enumerate(c for c in CASES if c.name in REFUND_CASES):
        form = practice.form(
            client_id, [line(f"Line {i}", u, q, rate_ids[r] if r else None) for i, (q, u, r) in enumerate(case.lines)]
        )
        form = type(form)(**{**form.__dict__, "currency": case.currency})
        invoice = practice.create(form, key=f"refund-{n}").invoice
        paid = httpx.post(invoice.hosted_invoice_url or "", data={"card_number": "4242424242424242"}, timeout=10)
        assert paid.status_code == 200, case.name
        billbot.slack.wait_for(lambda i=invoice: row(billbot, i.id or 0).status == "paid")  # type: ignore[misc]
        invoice = row(billbot, invoice.id or 0)
        refund(billbot, invoice, str(to_decimal(invoice.total // 3, case.currency)))
        # A credit note made on Stripe's Dashboard: the last line, its tax included, refunded.
        options = {"stripe_account": invoice.stripe_account_id}
        stripe_lines = practice.stripe_lines(invoice.stripe_invoice_id or "")
        preview = stripe_api(billbot).v1.credit_notes.preview(
            {"invoice": invoice.stripe_invoice_id or "",
             "lines": [{"type": "invoice_line_item", "invoice_line_item": stripe_lines[-1]["id"]}]},
            options,  # type: ignore[arg-type]
        )  # fmt: skip
        left = invoice.total - invoice.total // 3
        credited = min(preview.total, left)
        if credited == preview.total:
            stripe_api(billbot).v1.credit_notes.create(
                {"invoice": invoice.stripe_invoice_id or "", "refund_amount": credited,
                 "lines": [{"type": "invoice_line_item", "invoice_line_item": stripe_lines[-1]["id"]}]},
                options,  # type: ignore[arg-type]
            )  # fmt: skip
            billbot.slack.wait_for(lambda i=invoice, c=credited: row(billbot, i.id or 0).amount_refunded  # type: ignore[misc]
                                   == i.total // 3 + c)  # fmt: skip
        rest = invoice.total - row(billbot, invoice.id or 0).amount_refunded
        if rest:
            refund(billbot, invoice, str(to_decimal(rest, case.currency)))
        final = row(billbot, invoice.id or 0)
        stripe_invoice = practice.stripe_invoice(invoice.stripe_invoice_id or "")
        assert final.amount_refunded == refunded_on_stripe(billbot, final) == invoice.total, case.name
        assert final.amount_refunded == stripe_invoice["post_payment_credit_notes_amount"], case.name
        assert sorted(r.amount for r in refunds(billbot, final)) == sorted(
            note.total for note in credit_notes(billbot, final)
        ), case.name
