"""Command → modal: from a signed `/billing` to its views.open at the Slack stand-in, Billbot vs a plain Bolt app.

The plain app is written as Slack's documentation writes it: ``ack()``, then ``client.views_open(...)`` in
the same listener, on Bolt's default thread pool. Both are served by the same Starlette/uvicorn stack (Billbot
as `billbot serve`, with its worker process), against the Slack stand-in in a process of its own. Two loads:
a steady 100 commands/s for 10 s, and a burst of 1,000 at concurrency 32. Prints p50, p99, max, the count
later than 3 s (a trigger_id's life; a modal never opened counts as late) and Billbot's ratios to the plain app,
and beside them when the real view showed (Billbot opens a light modal first and fills it with views.update).

During a second Billbot burst, a stream of invoice modal submissions (one every 100 ms, each by its own admin from its
own channel, the modals opened beforehand through `/invoice`) measures the durable queue: submit → the invoice
message's chat.postMessage at the stand-in, p50/p99, and the first tenth against the last (it must not grow).

    .venv/bin/python bench/modal.py [--database-url postgresql://…] [--rate 100] [--seconds 10] [--burst 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ack import SECRET, TEAM_ID, USERS, _exchange, command_body, start_server  # noqa: E402

from bot.db import Database  # noqa: E402
from bot.models import BillingSettings, Client, StripeAccount, TaxRate  # noqa: E402
from bot.sandbox.slack import SlackStandIn  # noqa: E402
from bot.sandbox.stripe import StripeEmulator  # noqa: E402
from bot.settings import Mode, load_settings  # noqa: E402
from bot.stripe_gateway import StripeGateway  # noqa: E402
from tests.harness.invoice_modal import fill_invoice  # noqa: E402
from tests.harness.slack_requests import SlackRequests, sign  # noqa: E402

TRIGGER_LIFE = 3.0
CONCURRENCY = 32
WARMUP = 50
BOT_USER = "UB"
STRIPE_WEBHOOK_SECRET = "whsec_bench"
SUBMIT_EVERY = 0.1  # seconds between two invoice submissions during the burst
INVOICERS = [f"UINV{n:03d}" for n in range(150)]  # one open invoice modal each: 15 s of the stream at most


def invoice_channel(user: str) -> str:
    return f"C{user}"


def seed(env: dict[str, str], stripe: StripeEmulator) -> list[tuple[int, str]]:
    """A practice with Stripe connected, billing settings, a tax rate and one client per invoicer."""
    gateway = StripeGateway(load_settings(Mode.HTTP, env))
    account = gateway.create_account("express", idempotency_key="bench-account", metadata={})
    stripe.complete_onboarding(account["id"])
    rate = gateway.create_tax_rate(
        account["id"], display_name="TVA", percentage=Decimal("20"), inclusive=False, idempotency_key="bench-rate"
    )
    db = Database(env["DATABASE_URL"])
    clients = []
    try:
        with db.session() as session:
            session.add(StripeAccount(team_id=TEAM_ID, account_id=account["id"], connection="express",
                                      charges_enabled=True, payouts_enabled=True, details_submitted=True))  # fmt: skip
            session.add(BillingSettings(team_id=TEAM_ID, currency="eur", address_line1="1 rue de la Paix",
                                        city="Paris", postal_code="75002", country="FR"))  # fmt: skip
            session.add(TaxRate(team_id=TEAM_ID, name="TVA", percentage=Decimal("20"), stripe_tax_rate_id=rate["id"],
                                stripe_account_id=account["id"]))  # fmt: skip
            for n in range(len(INVOICERS)):
                row = Client(team_id=TEAM_ID, name=f"Client {n}", name_key=f"client {n}", email=f"c{n}@example.com")
                session.add(row)
                session.flush()
                assert row.id is not None
                clients.append((row.id, row.name))
    finally:
        db.dispose()
    return clients


class InvoiceStream:
    """Invoice modals opened beforehand, submitted one every SUBMIT_EVERY seconds while the burst runs."""

    def __init__(self, slack: SlackStandIn, app_url: str, clients: list[tuple[int, str]]) -> None:
        self.slack = slack
        self.requests = SlackRequests(app_url, SECRET, slack, TEAM_ID)
        self.ready: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        for user, client in zip(INVOICERS, clients, strict=True):
            view, values = fill_invoice(self.requests, slack, team_id=TEAM_ID, user=user, channel=invoice_channel(user),
                                        client=client, description="Séance", quantity="1", price="80")  # fmt: skip
            self.ready.append((user, view, values))
        self.submitted: dict[str, float] = {}  # channel -> when its submission went out
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.requests.close()

    def _run(self) -> None:
        start = time.monotonic()
        for n, (user, view, values) in enumerate(self.ready):
            if self._stop.wait(max(0.0, start + n * SUBMIT_EVERY - time.monotonic())):
                return
            self.submitted[invoice_channel(user)] = time.time()
            self.requests.submit(view, values, user=user)

    def latencies(self, wait: float = 60.0) -> list[float]:
        """Submit → invoice message in ms, in submission order (inf for a message that never came)."""
        deadline = time.monotonic() + wait
        while True:
            posted: dict[str, float] = {}
            for call in self.slack.calls("chat.postMessage"):
                channel = call.args.get("channel")
                if call.ok and channel in self.submitted and channel not in posted:
                    posted[channel] = call.time
            if len(posted) == len(self.submitted) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        order = sorted(self.submitted, key=self.submitted.__getitem__)
        return [(posted[c] - self.submitted[c]) * 1000 if c in posted else float("inf") for c in order]


def opened_and_filled(slack: SlackStandIn, wanted: set[str]) -> dict[str, tuple[float, float]]:
    """{trigger_id: (when its views.open was answered, when the modal showed its real view)}: Billbot's light
    modal is real once views.update filled it; a modal opened whole is real at once."""
    opened = {c.args.get("trigger_id"): c for c in slack.calls("views.open") if c.args.get("trigger_id") in wanted}
    trigger_of = {c.response["view"]["id"]: trigger for trigger, c in opened.items() if c.ok}
    filled: dict[str, float] = {}
    for call in slack.calls("views.update"):
        trigger = trigger_of.get(call.args.get("view_id"))
        if trigger is not None and trigger not in filled:
            filled[trigger] = call.time
    light = {t for t, c in opened.items() if c.args.get("view") and "billbot_loading" in str(c.args.get("view"))}
    return {t: (c.time, filled.get(t, float("inf")) if t in light else c.time) for t, c in opened.items()}


def run_standin(pipe: Connection) -> None:
    """Slack's and Stripe's side, alone in this process. Asked for ("triggers", n), sends n trigger_ids; asked
    for ("opened", ids), sends {trigger_id: time views.open was answered} for those; ("seed", env) seeds the
    practice; ("invoices", app_url) opens the invoice modals; "stream" starts their submissions, "streamed"
    stops them and sends their latencies; "done" stops it."""
    os.nice(19)
    slack = SlackStandIn(trigger_ttl=3600)  # lateness is measured here, not refused
    stripe = StripeEmulator(webhook_backoff=0.05).start()
    workspace = slack.add_workspace(
        team_id=TEAM_ID, team_name="Bench", bot_token=f"xoxb-{TEAM_ID}", bot_user_id=BOT_USER
    )
    for user in USERS:
        workspace.add_user(user_id=user, name=user.lower(), locale="fr-FR" if user.endswith("1") else "en-US")
    for user in INVOICERS:
        workspace.add_user(user_id=user, name=user.lower(), is_admin=True)
        workspace.add_channel(invoice_channel(user), name=user.lower(), members=[user, BOT_USER])
    slack.start()
    pipe.send((slack.url, stripe.url, stripe.api_key))
    clients: list[tuple[int, str]] = []
    stream: InvoiceStream | None = None
    while (message := pipe.recv()) != "done":
        kind, value = message
        if kind == "triggers":
            pipe.send([slack.issue_trigger_id(TEAM_ID, USERS[n % len(USERS)]) for n in range(value)])
        elif kind == "seed":
            clients = seed(value, stripe)
            pipe.send(len(clients))
        elif kind == "invoices":
            stripe.add_webhook_endpoint(f"{value}/stripe/webhook", STRIPE_WEBHOOK_SECRET)
            stream = InvoiceStream(slack, value, clients)
            pipe.send(len(stream.ready))
        elif kind == "stream" and stream is not None:
            stream.start()
            pipe.send(True)
        elif kind == "streamed" and stream is not None:
            stream.stop()
            pipe.send(stream.latencies())
        else:
            pipe.send(opened_and_filled(slack, set(value)))
    slack.stop()
    stripe.stop()


def plain_app() -> None:
    """The plain Bolt app of Slack's documentation, served as bench/bare_app.py serves its own."""
    from slack_bolt import Ack, App
    from slack_sdk import WebClient

    from bot.server import build_http_app, serve
    from bot.services import Services
    from bot.settings import Mode, load_settings

    settings = load_settings(Mode.HTTP)
    services = Services.build(settings)
    app = App(
        client=WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url),
        signing_secret=settings.slack_signing_secret or "",
        token_verification_enabled=False,
    )

    @app.command("/billing")
    def open_modal(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        view = {"type": "modal", "title": {"type": "plain_text", "text": "Billing"}, "blocks": []}
        client.views_open(trigger_id=body["trigger_id"], view=view)

    serve(build_http_app(services, app), settings.host, settings.port)


def _request(trigger_id: str, n: int) -> bytes:
    body = command_body(trigger_id, USERS[n % len(USERS)])
    ts = int(time.time())
    return (
        b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        + f"Content-Length: {len(body)}\r\nX-Slack-Request-Timestamp: {ts}\r\n".encode()
        + f"X-Slack-Signature: {sign(SECRET, ts, body)}\r\n\r\n".encode()
        + body
    )


async def send(port: int, triggers: list[str], rate: float | None) -> dict[str, float]:
    """Sends each command (at ``rate`` per second, or as fast as CONCURRENCY connections go); {trigger: sent}."""
    sent: dict[str, float] = {}
    work = iter(enumerate(triggers))
    start = time.perf_counter()

    async def caller() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for n, trigger_id in work:
            if rate is not None:
                await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
            sent[trigger_id] = time.time()
            await _exchange(reader, writer, _request(trigger_id, n))
        writer.close()

    await asyncio.gather(*(caller() for _ in range(CONCURRENCY)))
    return sent


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share) - 1)]


def measure(pipe: Connection, port: int, count: int, rate: float | None, stream: bool = False) -> dict[str, float]:
    pipe.send(("triggers", WARMUP + count))
    triggers = pipe.recv()
    asyncio.run(send(port, triggers[:WARMUP], None))
    time.sleep(1)
    if stream:
        pipe.send(("stream", None))
        pipe.recv()
    sent = asyncio.run(send(port, triggers[WARMUP:], rate))
    deadline = time.monotonic() + 30
    while True:
        pipe.send(("opened", list(sent)))
        shown: dict[str, tuple[float, float]] = pipe.recv()
        filled = sum(1 for _opened, real in shown.values() if real != float("inf"))
        if (len(shown) == len(sent) and filled == len(shown)) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    latencies = sorted((shown[t][0] - sent[t]) * 1000 if t in shown else float("inf") for t in sent)
    real = sorted((shown[t][1] - sent[t]) * 1000 if t in shown else float("inf") for t in sent)
    figures = {
        "p50": statistics.median(latencies),
        "p99": percentile(latencies, 0.99),
        "max": latencies[-1],
        "late": sum(1 for x in latencies if x > TRIGGER_LIFE * 1000),
        "count": len(latencies),
        "real_p50": statistics.median(real),
        "real_p99": percentile(real, 0.99),
    }
    if stream:
        pipe.send(("streamed", None))
        submitted: list[float] = pipe.recv()
        tenth = max(1, len(submitted) // 10)
        figures |= {
            "submit_count": len(submitted),
            "submit_p50": statistics.median(submitted),
            "submit_p99": percentile(submitted, 0.99),
            "submit_lost": sum(1 for x in submitted if x == float("inf")),
            "submit_first": statistics.median(submitted[:tenth]),
            "submit_last": statistics.median(submitted[-tenth:]),
        }
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0, help="steady load, commands per second (default 100)")
    parser.add_argument("--seconds", type=float, default=10.0, help="steady load's length (default 10)")
    parser.add_argument("--burst", type=int, default=1000, help="burst size, at concurrency 32 (default 1000)")
    parser.add_argument("--database-url", help="an empty database to use (default: a new SQLite file)")
    parser.add_argument(
        "--no-invoices", action="store_true", help="leave out the invoice submissions during Billbot's burst"
    )
    parser.add_argument("--plain-app", action="store_true", help=argparse.SUPPRESS)  # the baseline's process
    args = parser.parse_args()
    if args.plain_app:
        plain_app()
        return 0

    ours, theirs = multiprocessing.Pipe()
    standin = multiprocessing.Process(target=run_standin, args=(theirs,), daemon=True)
    standin.start()
    slack_url, stripe_url, stripe_key = ours.recv()
    loads = [("steady", int(args.rate * args.seconds), args.rate), ("burst", args.burst, None)]
    results: dict[tuple[str, str], dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": f"xoxb-{TEAM_ID}",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack_url,
            "DATABASE_URL": args.database_url or f"sqlite:///{tmp}/bench.db",
            "STRIPE_API_KEY": stripe_key,
            "STRIPE_API_BASE": stripe_url,
            "STRIPE_WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET,
        }
        subprocess.run(
            [sys.executable, "-m", "bot", "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True
        )
        ours.send(("seed", env))
        ours.recv()
        database = env["DATABASE_URL"].split(":", 1)[0]
        print(f"command → views.open on {database}: steady {args.rate:.0f}/s for {args.seconds:.0f} s, "
              f"burst of {args.burst} at concurrency {CONCURRENCY}")  # fmt: skip
        apps = [
            ("billbot", ["-m", "bot", "serve", "--no-scheduler"]),
            ("plain bolt", ["bench/modal.py", "--plain-app"]),
        ]
        for name, command in apps:
            process, url = start_server(command, env)
            try:
                port = int(url.rsplit(":", 1)[1])
                invoices = name == "billbot" and not args.no_invoices
                if invoices:
                    ours.send(("invoices", url))
                    ours.recv()
                # Billbot's burst again with the invoice stream: the modal ratios are taken on the same load as
                # the plain app's, the durable queue's figure under that load plus the invoices' own work.
                extra = [("burst+inv", args.burst, None)] if invoices else []
                for load, count, rate in loads + extra:
                    stream = load == "burst+inv"
                    figures = measure(ours, port, count, rate, stream)
                    results[(name, load)] = figures
                    print(f"{name:<10} {load:<9} n={figures['count']:.0f}  p50 {figures['p50']:7.1f} ms  "
                          f"p99 {figures['p99']:7.1f} ms  max {figures['max']:8.1f} ms  later than 3 s: "
                          f"{figures['late']:.0f}  (real view: p50 {figures['real_p50']:.1f} ms, "
                          f"p99 {figures['real_p99']:.1f} ms)")  # fmt: skip
                    if stream:
                        print(f"{name:<10} {load:<9} invoice submit → message n={figures['submit_count']:.0f}  "
                              f"p50 {figures['submit_p50']:7.1f} ms  p99 {figures['submit_p99']:7.1f} ms  "
                              f"never: {figures['submit_lost']:.0f}  first tenth p50 {figures['submit_first']:.1f} ms"
                              f", last tenth p50 {figures['submit_last']:.1f} ms")  # fmt: skip
            finally:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
    ours.send("done")
    standin.join(timeout=10)
    met = True
    for load, _count, _rate in loads:
        ours_, plain = results[("billbot", load)], results[("plain bolt", load)]
        p50, p99 = ours_["p50"] / plain["p50"], ours_["p99"] / plain["p99"]
        met = met and p50 <= 1.5 and p99 <= 1.5 and ours_["late"] == 0
        print(f"{load:<6} billbot / plain: p50 {p50:.2f}x  p99 {p99:.2f}x  billbot later than 3 s: {ours_['late']:.0f}")
    if ("billbot", "burst+inv") in results:
        ours_, plain = results[("billbot", "burst+inv")], results[("plain bolt", "burst")]
        print(f"burst with invoices, billbot / plain burst: p50 {ours_['p50'] / plain['p50']:.2f}x  "
              f"p99 {ours_['p99'] / plain['p99']:.2f}x  billbot later than 3 s: {ours_['late']:.0f}")  # fmt: skip
    print("goal p50 and p99 within 1.5x of the plain app, none later than 3 s:", "met" if met else "NOT met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
