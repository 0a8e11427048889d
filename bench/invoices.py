"""Creating invoices: 200 invoices of 3 lines through the invoice modal, against the Stripe emulator.

The app is served as the tests serve it (tests/harness: `billbot serve`'s Starlette app under uvicorn, with
its durable work queue and an in-process worker), with the Slack Web API stand-in and the Stripe emulator on
loopback. For each invoice, untimed: `/invoice` (signed, as Slack sends it) opens the modal, the client is
chosen, "Add a line" is pressed twice and the three lines are typed. Timed: from the signed view_submission
of Create to the invoice message appearing in the channel. Invoices are submitted one after another, so the
time the app spends in Stripe calls (StripeGateway._call, measured around each call) during one window is
that invoice's. Prints p50/p95/max of submit → message, and the share of that time spent in Stripe calls.

    .venv/bin/python bench/invoices.py [--invoices 200] [--database-url URL]

Everything shares this machine's cores (app, worker, Slack stand-in, Stripe emulator and this driver), so
the figures are an upper bound on what the app itself needs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlmodel import func, select  # noqa: E402

from bot.db import upgrade  # noqa: E402
from bot.models import BillingSettings, Client, Invoice, StripeAccount, TaxRate  # noqa: E402
from bot.sandbox.slack import SlackStandIn  # noqa: E402
from bot.sandbox.stripe import StripeEmulator  # noqa: E402
from bot.stripe_gateway import StripeGateway  # noqa: E402
from flows.invoices import ids  # noqa: E402
from tests.harness.running_app import RunningApp  # noqa: E402
from tests.harness.slack_requests import SlackRequests  # noqa: E402
from tests.harness.views import filled_view  # noqa: E402

TEAM_ID = "T0BENCH"
USER = "U0BENCH"
BOT = "U0BENCHBOT"
CHANNEL = "C0INVOICES"
SECRET = "bench-signing-secret"
CLIENTS = 50  # invoices cycle through them: the first for each makes its Stripe customer, later ones reuse it


class StripeClock:
    """Wall time spent inside Stripe calls, summed over every thread of this process."""

    def __init__(self) -> None:
        self.total = 0.0
        self.calls = 0
        self._lock = threading.Lock()

    def install(self) -> None:
        original = StripeGateway._call
        clock = self

        def timed(call: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
            started = time.perf_counter()
            try:
                return original(call, *args, **kwargs)
            finally:
                with clock._lock:
                    clock.total += time.perf_counter() - started
                    clock.calls += 1

        StripeGateway._call = staticmethod(timed)  # type: ignore[method-assign]

    def read(self) -> tuple[float, int]:
        with self._lock:
            return self.total, self.calls


def wait_for(predicate: Any, timeout: float = 30.0, interval: float = 0.002) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(interval)


def seed(app: RunningApp, stripe: StripeEmulator) -> tuple[list[tuple[int, str]], int]:
    services = app.services
    account = services.stripe.create_account("express", idempotency_key="bench-account", metadata={})
    stripe.complete_onboarding(account["id"])
    rate = services.stripe.create_tax_rate(
        account["id"], display_name="TVA", percentage=Decimal("20"), inclusive=False, idempotency_key="bench-rate"
    )
    clients: list[tuple[int, str]] = []
    with services.db.session() as session:
        session.add(StripeAccount(team_id=TEAM_ID, account_id=account["id"], connection="express",
                                  charges_enabled=True, payouts_enabled=True, details_submitted=True))  # fmt: skip
        session.add(BillingSettings(team_id=TEAM_ID, currency="eur", address_line1="1 rue de la Paix",
                                    city="Paris", postal_code="75002", country="FR"))  # fmt: skip
        tax = TaxRate(team_id=TEAM_ID, name="TVA", percentage=Decimal("20"), stripe_tax_rate_id=rate["id"],
                      stripe_account_id=account["id"])  # fmt: skip
        session.add(tax)
        for n in range(CLIENTS):
            row = Client(team_id=TEAM_ID, name=f"Client {n}", name_key=f"client {n}", email=f"c{n}@example.com")
            session.add(row)
            session.flush()
            assert row.id is not None
            clients.append((row.id, row.name))
        session.flush()
        assert tax.id is not None
        return clients, tax.id


# -- the modal, as Slack keeps its state ------------------------------------------------------------------


def state_of(view: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element, block_id = block["element"], block["block_id"]
        if block_id in previous:
            values[block_id] = previous[block_id]
            continue
        kind = element["type"]
        if kind == "datepicker":
            state = {"type": kind, "selected_date": element.get("initial_date")}
        elif kind.endswith("select"):
            state = {"type": kind, "selected_option": element.get("initial_option")}
        else:
            state = {"type": kind, "value": element.get("initial_value")}
        values[block_id] = {element["action_id"]: state}
    return values


def line_keys(view: dict[str, Any]) -> list[int]:
    return [int(b["block_id"][1:].split(".")[0]) for b in view["blocks"] if b.get("block_id", "").endswith(".head")]


def type_line(values: dict[str, Any], view: dict[str, Any], key: int, description: str, qty: str, price: str,
              tax_rate_id: int) -> None:  # fmt: skip
    for block in view["blocks"]:
        parsed = ids.parse_line_block(block.get("block_id", ""))
        if parsed is None or parsed[0] != key or block["type"] != "input":
            continue
        element = block["element"]
        field = parsed[1]
        if field == ids.LINE_DESCRIPTION:
            state: dict[str, Any] = {"type": element["type"], "value": description}
        elif field == ids.LINE_QUANTITY:
            state = {"type": element["type"], "value": qty}
        elif field == ids.LINE_PRICE:
            state = {"type": element["type"], "value": price}
        elif field == ids.LINE_TAX:
            option = next(o for o in element["options"] if o["value"] == str(tax_rate_id))
            state = {"type": element["type"], "selected_option": option}
        elif field == ids.LINE_DATE:
            state = {"type": "datepicker", "selected_date": date.today().isoformat()}
        else:
            continue
        values[block["block_id"]] = {element["action_id"]: state}


def add_line(
    requests: SlackRequests, slack: SlackStandIn, view: dict[str, Any], values: dict[str, Any]
) -> dict[str, Any]:
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "bench"},
        "user": {"id": USER, "team_id": TEAM_ID},
        "api_app_id": "A_BILLBOT",
        "trigger_id": slack.issue_trigger_id(TEAM_ID, USER),
        "container": {"type": "view", "view_id": view["id"]},
        "view": {**view, "state": {"values": values}},
        "actions": [{"type": "button", "action_id": ids.ADD_LINE_ACTION, "block_id": "b", "value": "add",
                     "text": {"type": "plain_text", "text": "add"}, "action_ts": f"{time.time():.6f}"}],
    }  # fmt: skip
    assert requests.interact(payload).status_code == 200
    ws = slack.workspace(TEAM_ID)
    return dict(wait_for(lambda: (v := ws.view(view["id"]))["hash"] != view["hash"] and v))


def prepare(requests: SlackRequests, slack: SlackStandIn, client: tuple[int, str], tax_rate_id: int,
            n: int) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
    """Open the modal and fill it with three lines, as a user would; returns (view, state values)."""
    ws = slack.workspace(TEAM_ID)
    assert requests.command("/invoice", user=USER, channel=CHANNEL).status_code == 200
    # The light modal opens first; the invoice modal replaces it (views.update keeps the id).
    view: dict[str, Any] = filled_view(slack, ws, USER, callback_id=ids.CALLBACK)
    values = state_of(view, {})
    client_block = next(b["block_id"] for b in view["blocks"] if b.get("block_id", "").startswith("client."))
    option = {"text": {"type": "plain_text", "text": client[1], "emoji": True}, "value": str(client[0])}
    values[client_block] = {ids.CLIENT_ACTION: {"type": "external_select", "selected_option": option}}
    for _ in range(2):
        view = add_line(requests, slack, view, values)
        values = state_of(view, values)
    for i, key in enumerate(line_keys(view)):
        type_line(values, view, key, f"Session {i + 1}", str(1 + (n + i) % 3), f"{60 + i * 15 + n % 7}.{n % 100:02d}",
                  tax_rate_id)  # fmt: skip
    return view, values


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=200)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory()
    database_url = args.database_url or f"sqlite:///{tmp.name}/bench.db"
    upgrade(database_url)

    slack = SlackStandIn()
    ws = slack.add_workspace(team_id=TEAM_ID, team_name="Bench practice", bot_token=f"xoxb-{TEAM_ID}",
                             bot_user_id=BOT)  # fmt: skip
    ws.add_user(user_id=USER, name="bench", locale="en-US", is_admin=True)
    ws.add_channel(CHANNEL, name="invoices", members=[USER, BOT])
    slack.start()
    stripe = StripeEmulator().start()
    env = {
        "SLACK_BOT_TOKEN": f"xoxb-{TEAM_ID}",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.url,
        "DATABASE_URL": database_url,
        "STRIPE_API_KEY": stripe.api_key,
        "STRIPE_API_BASE": stripe.url,
        "STRIPE_WEBHOOK_SECRET": "whsec_bench",
        "BILLBOT_LOG_LEVEL": "WARNING",
    }
    app = RunningApp(env).start()
    stripe.add_webhook_endpoint(f"{app.url}/stripe/webhook", "whsec_bench")
    requests = SlackRequests(app.url, SECRET, slack, TEAM_ID)
    clock = StripeClock()
    clock.install()
    try:
        clients, tax_rate_id = seed(app, stripe)
        elapsed: list[float] = []
        in_stripe: list[float] = []
        calls: list[int] = []
        for n in range(args.invoices):
            slack.reset()  # keeps the stand-in's records (polled below) to this one invoice
            view, values = prepare(requests, slack, clients[n % len(clients)], tax_rate_id, n)
            stripe_before, calls_before = clock.read()
            started = time.perf_counter()
            response = requests.submit(view, values, user=USER)
            assert response.status_code == 200 and response.json().get("response_action") == "update", response.text
            message = wait_for(lambda: ws.messages(CHANNEL))[0]
            elapsed.append(time.perf_counter() - started)
            stripe_after, calls_after = clock.read()
            in_stripe.append(stripe_after - stripe_before)
            calls.append(calls_after - calls_before)
            # A channel card shows the number, initials and amounts, not the lines (privacy by default).
            assert "INV-" in json.dumps(message.blocks), "the message does not name the invoice"
        with app.services.db.session() as session:
            made = session.exec(select(func.count()).select_from(Invoice).where(Invoice.status == "open")).one()
    finally:
        requests.close()
        app.stop()
        stripe.stop()
        slack.stop()
        tmp.cleanup()

    ms = [e * 1000 for e in elapsed]
    share = sum(in_stripe) / sum(elapsed)
    print(f"{args.invoices} invoices of 3 lines through the modal ({made} open on Stripe), one at a time, "
          f"{'SQLite' if database_url.startswith('sqlite') else 'PostgreSQL'}")  # fmt: skip
    print(f"submit → invoice message: p50 {statistics.median(ms):.0f} ms, p95 {percentile(ms, 95):.0f} ms, "
          f"max {max(ms):.0f} ms, mean {statistics.fmean(ms):.0f} ms")  # fmt: skip
    print(f"in Stripe calls: {share:.0%} of that time ({statistics.fmean(calls):.1f} calls per invoice, "
          f"mean {statistics.fmean(in_stripe) * 1000:.0f} ms per invoice)")  # fmt: skip


if __name__ == "__main__":
    main()
