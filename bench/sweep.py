"""The reminders sweep's read: 100,000 open invoices across 1,000 workspaces, how long to find what is due.

Builds a database (SQLite by default, migrated as `billbot db upgrade` does) with 1,000 workspaces, each with
its own reminder rules and time zone, 100 clients' worth of invoices each (due dates spread over ±90 days),
then times ``flows.reminders.logic.find_due`` — everything a sweep reads before claiming — and its peak
memory (tracemalloc: Python allocations during one call, timed apart), in two states:

- steady: every reminder that came due before the previous sweep (5 minutes ago) is already claimed, as in
  a scheduler that has been running; the sweep finds the few that came due since;
- cold: nothing claimed yet (reminders just turned on everywhere, or a scheduler back after a long outage).

Then the same again without the index the sweep relies on (``ix_invoices_status_due_date``), to show it.

    .venv/bin/python bench/sweep.py [--invoices 100000] [--workspaces 1000] [--database-url URL] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from bot.db import Database, upgrade  # noqa: E402
from bot.models import Client, Invoice, ReminderSent, ReminderSettings  # noqa: E402
from flows.reminders.logic import all_rules, find_due  # noqa: E402

ZONES = ("Europe/Paris", "America/New_York", "America/Los_Angeles", "Asia/Tokyo", "UTC", "Australia/Sydney")
RULE_SETS = ((-3, 0, 7), (-7, -3, 0, 7, 14, 30), (0, 7), (-1, 0, 3, 10))


def build(db: Database, invoices: int, workspaces: int, now: datetime, rng: random.Random) -> None:
    created = now - timedelta(days=200)
    teams = [f"T{n:06d}" for n in range(workspaces)]
    with db.engine.begin() as conn:
        conn.execute(
            insert(ReminderSettings.__table__),
            [  # type: ignore[attr-defined]
                {
                    "team_id": team,
                    "offsets": json.dumps(RULE_SETS[n % len(RULE_SETS)]),
                    "email_client": True,
                    "tell_team": True,
                    "channel_id": "C1",
                    "send_minute": rng.choice((480, 540, 600)),
                    "timezone": ZONES[n % len(ZONES)],
                    "locale": "en",
                    "active_since": created,
                    "updated_at": created,
                }
                for n, team in enumerate(teams)
            ],
        )
        conn.execute(
            insert(Client.__table__),
            [  # type: ignore[attr-defined]
                {"id": n + 1, "team_id": team, "name": f"Client {n}", "name_key": f"client {n}", "created_at": created}
                for n, team in enumerate(teams)
            ],
        )
        per_team = invoices // workspaces
        rows = []
        for n in range(invoices):
            team_index = n // per_team % workspaces
            rows.append(
                {
                    "team_id": teams[team_index],
                    "number": f"INV-{n:06d}",
                    "request_key": f"k{n}",
                    "client_id": team_index + 1,
                    "currency": "eur",
                    "status": "open",
                    "due_date": (now + timedelta(days=rng.randint(-90, 90))).date(),
                    "subtotal": 10000,
                    "tax": 0,
                    "total": 10000,
                    "amount_paid": 0,
                    "amount_remaining": 10000,
                    "locale": "en",
                    "created_at": created,
                    "updated_at": created,
                }
            )
            if len(rows) == 10_000:
                conn.execute(insert(Invoice.__table__), rows)  # type: ignore[attr-defined]
                rows = []
        if rows:
            conn.execute(insert(Invoice.__table__), rows)  # type: ignore[attr-defined]


def settle(db: Database, before: datetime) -> int:
    """Claim every reminder that came due up to ``before`` (the previous sweeps' work), as 'sent'."""
    rules = all_rules(db)
    with db.engine.connect() as conn:
        invoices = conn.execute(text("SELECT id, team_id, due_date FROM invoices WHERE status = 'open'")).all()
    rows = []
    for invoice_id, team_id, due_date in invoices:
        team = rules[team_id]
        due = due_date if not isinstance(due_date, str) else datetime.fromisoformat(due_date).date()
        for offset in team.offsets:
            at = team.moment(due, offset)
            if at <= before:
                rows.append(
                    {
                        "team_id": team_id,
                        "invoice_id": invoice_id,
                        "rule": offset,
                        "due_at": at,
                        "state": "sent",
                        "claimed_until": at,
                        "attempts": 1,
                        "emailed": True,
                        "created_at": at,
                        "sent_at": at,
                    }
                )
    with db.engine.begin() as conn:
        for start in range(0, len(rows), 10_000):
            conn.execute(insert(ReminderSent.__table__), rows[start : start + 10_000])  # type: ignore[attr-defined]
    return len(rows)


def measure(db: Database, now: datetime, runs: int) -> tuple[float, float, int]:
    """Median time of ``runs`` calls, then the peak of one more under tracemalloc (which slows it down)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        found = len(find_due(db, now))
        times.append(time.perf_counter() - started)
    tracemalloc.start()
    find_due(db, now)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return statistics.median(times), peak / 1e6, found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--workspaces", type=int, default=1_000)
    parser.add_argument("--database-url")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'sweep.db'}"
        upgrade(url)
        db = Database(url)
        now = datetime.now(UTC)
        started = time.perf_counter()
        build(db, args.invoices, args.workspaces, now, random.Random(7))
        claimed = settle(db, now - timedelta(minutes=5))
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        print(
            f"{args.invoices:,} open invoices, {args.workspaces:,} workspaces, {claimed:,} reminders already "
            f"sent; built in {time.perf_counter() - started:.1f} s ({db.engine.dialect.name})"
        )
        results = {}
        for index in (True, False):
            if not index:
                with db.engine.begin() as conn:
                    conn.execute(text("DROP INDEX ix_invoices_status_due_date"))
            results[("steady", index)] = measure(db, now, args.runs)
            # Cold: no claims at all (measured on a copy of the claims table's absence).
            with db.engine.begin() as conn:
                conn.execute(text("ALTER TABLE reminders_sent RENAME TO reminders_sent_kept"))
                conn.execute(text("CREATE TABLE reminders_sent AS SELECT * FROM reminders_sent_kept WHERE 0"))
                conn.execute(text("CREATE UNIQUE INDEX uq_cold ON reminders_sent (invoice_id, rule)"))
            results[("cold", index)] = measure(db, now, args.runs)
            with db.engine.begin() as conn:
                conn.execute(text("DROP TABLE reminders_sent"))
                conn.execute(text("ALTER TABLE reminders_sent_kept RENAME TO reminders_sent"))
        for (state, index), (seconds, peak, found) in results.items():
            label = "with ix_invoices_status_due_date" if index else "without it (status index only)"
            print(
                f"  {state:6s} {label:36s} find_due: {seconds * 1000:7.1f} ms (median of {args.runs}), "
                f"peak {peak:6.1f} MB, {found:,} due"
            )
        db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
