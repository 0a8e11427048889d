"""The fuzz of every Slack request, at length: tests/bot/test_fuzz.py's strategies with many more examples.

The app is served as the tests serve it (tests/harness: `billbot serve`'s Starlette app under uvicorn, with
its durable work queue and an in-process worker), with the Slack stand-in and the Stripe emulator on
loopback, and a practice seeded as the test seeds it (Stripe connected, settings, a tax rate, a service,
clients, a help channel, one invoice posted). Each example is a few things a member does: a command with
drawn text, a real modal opened then submitted with drawn values or used, a click on a real message or
Home tab, a message or an event; some requests are mutated structurally and signed again. Prints the
requests tried, the answers ≥ 500, the answers slower than 3 s, and the jobs that failed (each at least
once), then what each finding was, grouped.

    .venv/bin/python bench/fuzz.py [--examples 2000] [--seed N] [--database-url URL] [--mutate-one-in 6]

A 500 or a failed job is a defect: the exit status is 1 when there is any.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import given, seed, settings  # noqa: E402

from bot.db import upgrade  # noqa: E402
from bot.sandbox.slack import SlackStandIn  # noqa: E402
from bot.sandbox.stripe import StripeEmulator  # noqa: E402
from tests.harness.fuzz_strategies import (  # noqa: E402
    BENCH_PROFILE,
    Choices,
    Findings,
    Fuzz,
    FuzzClient,
    choices,
    seed_practice,
)
from tests.harness.running_app import RunningApp  # noqa: E402

TEAM_ID = "T0FUZZ"
ADMIN = "U0FUZZADMIN"
MEMBER = "U0FUZZMEMBER"
FRENCH_USER = "U0FUZZCLAIRE"
SECRET = "bench-fuzz-signing-secret"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=settings.get_profile(BENCH_PROFILE).max_examples)
    parser.add_argument("--seed", type=int, default=None, help="hypothesis' seed, to replay a run")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--mutate-one-in", type=int, default=6, help="mutate one request in N (0: none)")
    parser.add_argument("--answers", action="store_true", help="print the answers per kind of request")
    parser.add_argument("--show", type=int, default=3, help="examples printed per kind of finding")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory()
    database_url = args.database_url or f"sqlite:///{tmp.name}/fuzz.db"
    upgrade(database_url)
    slack = SlackStandIn()
    ws = slack.add_workspace(team_id=TEAM_ID, team_name="Cabinet Fuzz", bot_token=f"xoxb-{TEAM_ID}",
                             bot_user_id="U0FUZZBOT")  # fmt: skip
    ws.add_user(user_id=ADMIN, name="alice", locale="en-US", is_admin=True)
    ws.add_user(user_id=FRENCH_USER, name="claire", locale="fr-FR")
    ws.add_user(user_id=MEMBER, name="mark", locale="en-GB")
    ws.add_channel(channel_id="C_GENERAL", name="general", members=[ADMIN, FRENCH_USER, MEMBER])
    slack.start()
    stripe = StripeEmulator(webhook_backoff=0.05).start()
    env = {
        "SLACK_BOT_TOKEN": f"xoxb-{TEAM_ID}",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.url,
        "DATABASE_URL": database_url,
        "STRIPE_API_KEY": stripe.api_key,
        "STRIPE_API_BASE": stripe.url,
        "STRIPE_CLIENT_ID": stripe.connect_client_id,
        "STRIPE_WEBHOOK_SECRET": "whsec_bench_fuzz",
        "PUBLIC_URL": "https://billbot.example.com",
    }
    app = RunningApp(env)
    for name in ("uvicorn", "uvicorn.error"):
        # uvicorn's own handler would print each 500's traceback as it happens; the findings show them below.
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    app.start()
    stripe.add_webhook_endpoint(f"{app.url}/stripe/webhook", "whsec_bench_fuzz")
    users = [ADMIN, MEMBER, FRENCH_USER]
    client = FuzzClient(app.url, SECRET, slack, TEAM_ID, mutate_one_in=args.mutate_one_in)
    # The fuzz's own handler on the root logger keeps the app's errors for the findings printed below
    # (and so the tracebacks are not printed as they happen).
    fuzz = Fuzz(client, app.services, users)
    total = Findings()
    started = time.perf_counter()
    try:
        seed_practice(app.services, stripe, slack, ws, ADMIN, users)

        @settings(settings.get_profile(BENCH_PROFILE), max_examples=args.examples)
        @given(choices())
        def one_example(c: Choices) -> None:
            client.findings = Findings()
            try:
                fuzz.run(c)
            finally:
                total.add(client.findings)

        if args.seed is not None:
            one_example = seed(args.seed)(one_example)
        one_example()
    finally:
        fuzz.close()
        app.stop()
        stripe.stop()
        slack.stop()
        tmp.cleanup()
    elapsed = time.perf_counter() - started

    backend = "SQLite" if database_url.startswith("sqlite") else "PostgreSQL"
    print(f"{args.examples} examples on {backend} in {elapsed:.0f} s")
    print(f"requests tried: {total.tried}")
    print(f"5xx: {len(total.server_errors)}")
    print(f"hung (> 3 s): {len(total.hung)}")
    stuck = f" (+{total.stuck_jobs} never done)" if total.stuck_jobs else ""
    print(f"failed jobs: {len(total.failed_jobs)}{stuck}")
    answered = Counter[str]()
    for (_, status), count in total.answers.items():
        answered[f"{status // 100}xx"] += count
    print("answers: " + ", ".join(f"{k} {v}" for k, v in sorted(answered.items())))
    if args.answers:
        for (label, status), count in sorted(total.answers.items()):
            print(f"  {count:5d} × {status} {label}")
    _show("5xx", [(e.label, e.describe()) for e in total.server_errors], args.show)
    _show("hung", [(e.label, e.describe()) for e in total.hung], args.show)
    _show(
        "failed jobs",
        [(f"{j.function}: {(j.logged or (j.error,))[0][:300]}", j.describe()) for j in total.failed_jobs],
        args.show,
    )
    if not (total.server_errors or total.failed_jobs or total.hung):
        return
    sys.exit(1)


def _show(title: str, findings: list[tuple[str, str]], per_kind: int) -> None:
    """Findings grouped by what was sent (or the job's error), with a few full examples of each."""
    if not findings:
        return
    groups: dict[str, list[str]] = {}
    for key, text in findings:
        groups.setdefault(key, []).append(text)
    print(f"\n== {title}, by kind ==")
    for key, texts in sorted(groups.items(), key=lambda item: -len(item[1])):
        print(f"\n[{len(texts)}×] {key}")
        for text in texts[:per_kind]:
            print("  " + text.replace("\n", "\n  "))


if __name__ == "__main__":
    main()
