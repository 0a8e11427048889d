"""The report's figures and the accountant's CSV: one workspace with 50,000 invoices over three years, how long
a month's report and a year's report take, the year's chart, how long the year's CSV takes to write, and its
peak memory as the rows double (it is streamed: the peak should stay flat).

Builds a database (SQLite by default, migrated as `billbot db upgrade` does) with one practice's invoices spread
evenly over three years (1–3 lines each, two tax rates, four services; 80 % paid, a third of those in part
first; 3 % voided; 4 % refunded in part; the rest open if made in the last five months, older ones paid), a few
other workspaces' invoices beside it, and the sessions of the last months; then times
``bot.figures.period_figures`` and the CSV writers of ``flows.reports.csv_files``. Peak memory: tracemalloc,
Python allocations during one call, timed apart (tracemalloc slows it down).

    .venv/bin/python bench/report.py [--invoices 50000] [--runs 5] [--postgres] [--database-url URL]

``--postgres`` (or BILLBOT_TEST_POSTGRES_URL set) runs it on a scratch PostgreSQL database too.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from bot.db import Database, upgrade  # noqa: E402
from bot.figures import Period, line_rows, money_rows, month, period_figures, year  # noqa: E402
from bot.models import (  # noqa: E402
    Appointment,
    Client,
    Invoice,
    InvoiceLine,
    InvoicePayment,
    InvoiceRefund,
    ReminderSettings,
    Service,
    TaxRate,
    table_of,
)
from flows.reports import csv_files  # noqa: E402

TEAM = "T0BENCH"
TZ = "Europe/Paris"
GOALS = {"month": 0.200, "year": 1.0}
BATCH = 10_000


def _flush(conn: Any, model: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(table_of(model)), rows)
        rows.clear()


def build(db: Database, invoices: int, now: datetime, rng: random.Random) -> None:
    start = now - timedelta(days=3 * 365)
    span = (now - start).total_seconds()
    with db.engine.begin() as conn:
        conn.execute(insert(table_of(ReminderSettings)), [{"team_id": TEAM, "timezone": TZ, "active_since": start,
                                                          "updated_at": start}])  # fmt: skip
        conn.execute(insert(table_of(TaxRate)), [
            {"id": 1, "team_id": TEAM, "name": "TVA", "percentage": Decimal("20"), "inclusive": False,
             "active": True, "created_at": start},
            {"id": 2, "team_id": TEAM, "name": "TVA réduite", "percentage": Decimal("5.5"), "inclusive": True,
             "active": True, "created_at": start},
        ])  # fmt: skip
        conn.execute(insert(table_of(Service)), [
            {"id": n + 1, "team_id": TEAM, "name": name, "unit_amount": price, "currency": "eur", "active": True,
             "created_at": start}
            for n, (name, price) in enumerate((("Séance", 6000), ("Bilan", 9000), ("Visio", 5000), ("Atelier", 3000)))
        ])  # fmt: skip
        clients = 800
        conn.execute(insert(table_of(Client)), [
            {"id": n + 1, "team_id": TEAM if n < clients else f"T{n:05d}", "name": f"Client Nom {n}",
             "name_key": f"client nom {n}", "created_at": start}
            for n in range(clients + 20)
        ])  # fmt: skip
        inv: list[dict[str, Any]] = []
        lines: list[dict[str, Any]] = []
        pays: list[dict[str, Any]] = []
        refunds: list[dict[str, Any]] = []
        for n in range(invoices + 2_000):  # 2,000 of other workspaces, beside the practice's
            ours = n < invoices
            made = start + timedelta(seconds=span * (n / invoices if ours else rng.random()))
            count = rng.choice((1, 1, 2, 3))
            total = tax = 0
            for position in range(count):
                service = rng.randint(1, 4)
                unit = (6000, 9000, 5000, 3000)[service - 1]
                quantity = rng.choice((1, 1, 1, 2))
                rate = rng.choice((None, 1, 2))
                amount = unit * quantity
                line_tax = amount // 5 if rate == 1 else (amount - round(amount / Decimal("1.055")) if rate else 0)
                total += amount + (line_tax if rate == 1 else 0)
                tax += int(line_tax)
                lines.append({"team_id": TEAM, "invoice_id": n + 1, "position": position,
                              "service_date": made.date(), "description": "Séance", "service_id": service,
                              "quantity": quantity, "unit_amount": unit, "amount": amount, "tax_rate_id": rate,
                              "tax_amount": int(line_tax)})  # fmt: skip
            roll = rng.random()
            status = "paid" if roll < 0.80 else ("void" if roll < 0.83 else "open")
            if status == "open" and now - made > timedelta(days=150):
                status = "paid"  # a practice's old invoices got paid: what stays open is the last months'
            if status == "open" and roll > 0.99:
                status = "uncollectible"
            paid_at = made + timedelta(days=rng.randint(0, 40)) if status == "paid" else None
            paid = total if status == "paid" else 0
            if status == "paid" and rng.random() < 0.33:
                pays.append({"team_id": TEAM, "invoice_id": n + 1, "source": "outside", "method": "cash",
                             "amount": total // 3, "currency": "eur", "paid_on": made.date(),
                             "stripe_invoice_payment_id": f"inpay_{n}", "created_at": made})  # fmt: skip
            refunded = total // 4 if status == "paid" and rng.random() < 0.04 else 0
            if refunded:
                refunds.append({"team_id": TEAM, "invoice_id": n + 1, "amount": refunded, "currency": "eur",
                                "status": "succeeded", "created_at": paid_at, "updated_at": paid_at})  # fmt: skip
            inv.append({
                "id": n + 1, "team_id": TEAM if ours else f"T{n % 20:05d}", "number": f"INV-{n + 1:06d}",
                "request_key": f"k{n}", "client_id": (n % clients) + 1 if ours else clients + 1 + n % 20,
                "currency": "eur", "status": status, "due_date": (made + timedelta(days=30)).date(),
                "subtotal": total - tax, "tax": tax, "total": total, "amount_paid": paid,
                "amount_remaining": total - paid if status in ("open", "uncollectible") else 0, "locale": "fr",
                "created_by": "U0PRACT",
                "created_at": made, "updated_at": made, "paid_at": paid_at, "amount_refunded": refunded,
            })  # fmt: skip
            if len(inv) >= BATCH:
                _flush(conn, Invoice, inv)
                _flush(conn, InvoiceLine, lines)
        _flush(conn, Invoice, inv)
        _flush(conn, InvoiceLine, lines)
        for chunk in range(0, len(pays), BATCH):
            conn.execute(insert(table_of(InvoicePayment)), pays[chunk : chunk + BATCH])
        for chunk in range(0, len(refunds), BATCH):
            conn.execute(insert(table_of(InvoiceRefund)), refunds[chunk : chunk + BATCH])
        sessions = [
            {"team_id": TEAM, "client_id": rng.randint(1, clients), "held_on": (now - timedelta(days=d % 120)).date(),
             "service_id": 1, "description": "Séance", "source": "typed", "created_at": now}
            for d in range(3_000)
        ]  # fmt: skip
        conn.execute(insert(table_of(Appointment)), sessions)
        conn.execute(text("ANALYZE"))


def timed(call: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def write_csv(db: Database, period: Period, folder: Path) -> int:
    with db.session() as session:
        with csv_files.open_csv(folder / "lines.csv") as handle:
            count = csv_files.write_lines(handle, line_rows(session, TEAM, period, TZ), "fr", names=False)
        with csv_files.open_csv(folder / "money.csv") as handle:
            count += csv_files.write_money(handle, money_rows(session, TEAM, period, TZ), "fr", names=False)
    return count


def peak_of(call: Callable[[], object]) -> float:
    tracemalloc.start()
    call()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def run(url: str, invoices: int, runs: int) -> bool:
    upgrade(url)
    db = Database(url)
    now = datetime.now(UTC)
    started = time.perf_counter()
    build(db, invoices, now, random.Random(18))
    print(f"{invoices:,} invoices over three years in one workspace; built in {time.perf_counter() - started:.1f} s "
          f"({db.engine.dialect.name})")  # fmt: skip
    last_month = (now.date().replace(day=1) - timedelta(days=1)).replace(day=1)
    the_month, the_year = month(last_month.year, last_month.month), year(now.year - 1)

    def report(period: Period) -> Callable[[], object]:
        def call() -> object:
            with db.session() as session:
                return period_figures(session, TEAM, period, tz=TZ, now=now)

        return call

    ok = True
    for name, period in (("month", the_month), ("year", the_year)):
        seconds = timed(report(period), runs)
        goal = GOALS[name]
        ok &= seconds < goal
        mark = "ok" if seconds < goal else "OVER"
        print(f"  {name:5s} report: {seconds * 1000:7.1f} ms (median of {runs}; goal < {goal * 1000:.0f} ms) {mark}")
    from bot.figures import series
    from flows.reports import chart

    def draw() -> object:
        with db.session() as session:
            unit, found = series(session, TEAM, the_year, TZ)
            figures = period_figures(session, TEAM, the_year, tz=TZ, now=now)
        return chart.render(found[0], unit, figures.of("eur"), "fr", "EUR : 2025")

    draw()  # matplotlib's first figure loads its fonts
    print(f"  year chart (series + PNG): {timed(draw, runs) * 1000:7.1f} ms (median of {runs})")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = write_csv(db, the_year, folder)
        seconds = timed(lambda: write_csv(db, the_year, folder), max(1, runs // 2))
        size = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        print(f"  year CSV: {seconds * 1000:7.1f} ms for {rows:,} rows ({size:.1f} MB, two files)")
        spans = [(f"{days} days", Period(the_year.end - timedelta(days=days), the_year.end, "range"))
                 for days in (137, 274, 548, 1096)]  # fmt: skip
        peaks = []
        for label, period in spans:
            count = write_csv(db, period, folder)
            peak = peak_of(lambda p=period: write_csv(db, p, folder))  # type: ignore[misc]
            peaks.append(peak)
            print(f"  CSV peak memory, {label:9s}: {count:7,} rows, {peak:6.2f} MB")
        flat = peaks[-1] < 2 * peaks[0] + 1
        ok &= flat
        print(f"  memory as rows double: {'flat' if flat else 'GROWS'} (goal: flat)")
    db.dispose()
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", help="an empty database to build in (instead of a scratch SQLite file)")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL too (BILLBOT_TEST_POSTGRES_URL)")
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        ok &= run(args.database_url or f"sqlite:///{Path(tmp) / 'report.db'}", args.invoices, args.runs)
    if not args.database_url and (args.postgres or os.environ.get("BILLBOT_TEST_POSTGRES_URL")):
        sys.path.insert(0, str(ROOT))
        from tests.harness.databases import create_worker_database, drop_database

        url = create_worker_database("bench_report")
        try:
            ok &= run(url, args.invoices, args.runs)
        finally:
            drop_database(url)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
