"""Two `billbot scheduler` processes on one database (SQLite and PostgreSQL): every reminder goes out once."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlmodel import select

from bot.models import Invoice, ReminderSent, ReminderSettings
from flows.reminders.logic import SettingsForm, save_settings
from tests.bot.test_cli import clean_env
from tests.conftest import ADMIN, TEAM_ID, Billbot, app_env
from tests.flows.invoices.test_payments import connect, make_client, make_invoice
from tests.flows.reminders.test_reminders import REMINDERS, emails, text_of
from tests.paths import PROJECT_ROOT

INVOICES = 20
SWEPT = re.compile(r"reminders sweep \w+ at .*?: \d+ due, (\d+) claimed")


def test_two_scheduler_processes_send_each_reminder_once(billbot: Billbot, tmp_path: Path) -> None:
    bb = billbot
    connect(bb)
    client_id = make_client(bb)
    made = [make_invoice(bb, client_id, amounts=(5000 + n,)) for n in range(INVOICES)]
    bb.workspace.add_channel(REMINDERS, "reminders", members=[ADMIN, "U0BOT"])
    db = bb.app.services.db
    save_settings(db, TEAM_ID, ADMIN, SettingsForm((0,), True, True, REMINDERS, 0), timezone="UTC", locale="en")
    # Invoices made two days ago, due today (UTC), with reminders on since then: the due-date reminder,
    # at 00:00 UTC, is owed now, by the real clock the processes read.
    long_ago = datetime.now(UTC) - timedelta(days=2)
    with db.session() as session:
        session.execute(update(Invoice).values(due_date=datetime.now(UTC).date(), created_at=long_ago))
        session.execute(update(ReminderSettings).values(active_since=long_ago))
    before = sum(emails(bb, i) for i in made)

    env = clean_env(**app_env(bb.slack, bb.app.settings.database_url, bb.stripe), BILLBOT_LOG_LEVEL="INFO")
    logs = [tmp_path / f"scheduler{n}.log" for n in (1, 2)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "scheduler"],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        for log in logs
    ]
    try:
        deadline = time.monotonic() + 90
        while not all(SWEPT.search(log.read_text()) for log in logs):
            assert time.monotonic() < deadline, "\n---\n".join(log.read_text()[-3000:] for log in logs)
            assert all(p.poll() is None for p in processes), "\n---\n".join(log.read_text() for log in logs)
            time.sleep(0.1)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)

    claimed = [int(SWEPT.search(log.read_text()).group(1)) for log in logs]  # type: ignore[union-attr]
    assert sum(claimed) == INVOICES, claimed
    assert sum(emails(bb, i) for i in made) == before + INVOICES
    shown = "\n".join(text_of(m) for m in bb.workspace.messages(REMINDERS))
    assert all(shown.count(i.number + " ") == 1 for i in made)
    with db.session() as session:
        rows = list(session.exec(select(ReminderSent)))
    assert len(rows) == INVOICES and {r.state for r in rows} == {"sent"}
