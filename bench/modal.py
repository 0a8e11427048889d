"""Command → modal: from a signed `/billing` to its views.open at the Slack stand-in, Billbot vs a plain Bolt app.

The plain app is written as Slack's documentation writes it: ``ack()``, then ``client.views_open(...)`` in
the same listener, on Bolt's default thread pool. Both are served by the same Starlette/uvicorn stack (Billbot
as `billbot serve`, with its worker process), against the Slack stand-in in a process of its own. Two loads:
a steady 100 commands/s for 10 s, and a burst of 1,000 at concurrency 32. Prints p50, p99, max, the count
later than 3 s (a trigger_id's life; a modal never opened counts as late) and Billbot's ratios to the plain app.

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
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ack import SECRET, TEAM_ID, USERS, _exchange, command_body, start_server  # noqa: E402

from bot.sandbox.slack import SlackStandIn  # noqa: E402
from tests.harness.slack_requests import sign  # noqa: E402

TRIGGER_LIFE = 3.0
CONCURRENCY = 32
WARMUP = 50


def run_standin(pipe: Connection) -> None:
    """The Slack stand-in alone in this process. Asked for ("triggers", n), sends n trigger_ids; asked for
    ("opened", ids), sends {trigger_id: time views.open was answered} for those; "done" stops it."""
    os.nice(19)
    slack = SlackStandIn(trigger_ttl=3600)  # lateness is measured here, not refused
    workspace = slack.add_workspace(team_id=TEAM_ID, team_name="Bench", bot_token=f"xoxb-{TEAM_ID}", bot_user_id="UB")
    for user in USERS:
        workspace.add_user(user_id=user, name=user.lower(), locale="fr-FR" if user.endswith("1") else "en-US")
    slack.start()
    pipe.send(slack.url)
    while (message := pipe.recv()) != "done":
        kind, value = message
        if kind == "triggers":
            pipe.send([slack.issue_trigger_id(TEAM_ID, USERS[n % len(USERS)]) for n in range(value)])
        else:
            wanted = set(value)
            pipe.send(
                {
                    c.args.get("trigger_id"): c.time
                    for c in slack.calls("views.open")
                    if c.args.get("trigger_id") in wanted
                }
            )
    slack.stop()


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


def measure(pipe: Connection, port: int, count: int, rate: float | None) -> dict[str, float]:
    pipe.send(("triggers", WARMUP + count))
    triggers = pipe.recv()
    asyncio.run(send(port, triggers[:WARMUP], None))
    time.sleep(1)
    sent = asyncio.run(send(port, triggers[WARMUP:], rate))
    deadline = time.monotonic() + 30
    while True:
        pipe.send(("opened", list(sent)))
        opened: dict[str, float] = pipe.recv()
        if len(opened) == len(sent) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    latencies = sorted((opened[t] - sent[t]) * 1000 if t in opened else float("inf") for t in sent)
    return {
        "p50": statistics.median(latencies),
        "p99": latencies[int(len(latencies) * 0.99) - 1],
        "max": latencies[-1],
        "late": sum(1 for x in latencies if x > TRIGGER_LIFE * 1000),
        "count": len(latencies),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0, help="steady load, commands per second (default 100)")
    parser.add_argument("--seconds", type=float, default=10.0, help="steady load's length (default 10)")
    parser.add_argument("--burst", type=int, default=1000, help="burst size, at concurrency 32 (default 1000)")
    parser.add_argument("--database-url", help="an empty database to use (default: a new SQLite file)")
    parser.add_argument("--plain-app", action="store_true", help=argparse.SUPPRESS)  # the baseline's process
    args = parser.parse_args()
    if args.plain_app:
        plain_app()
        return 0

    ours, theirs = multiprocessing.Pipe()
    standin = multiprocessing.Process(target=run_standin, args=(theirs,), daemon=True)
    standin.start()
    slack_url = ours.recv()
    loads = [("steady", int(args.rate * args.seconds), args.rate), ("burst", args.burst, None)]
    results: dict[tuple[str, str], dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": f"xoxb-{TEAM_ID}",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack_url,
            "DATABASE_URL": args.database_url or f"sqlite:///{tmp}/bench.db",
        }
        subprocess.run(
            [sys.executable, "-m", "bot", "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True
        )
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
                for load, count, rate in loads:
                    figures = measure(ours, port, count, rate)
                    results[(name, load)] = figures
                    print(f"{name:<10} {load:<6} n={figures['count']:.0f}  p50 {figures['p50']:7.1f} ms  "
                          f"p99 {figures['p99']:7.1f} ms  max {figures['max']:8.1f} ms  later than 3 s: "
                          f"{figures['late']:.0f}")  # fmt: skip
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
    print("goal p50 and p99 within 1.5x of the plain app, none later than 3 s:", "met" if met else "NOT met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
