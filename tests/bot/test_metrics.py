"""GET /metrics and GET /readyz of a real `billbot serve` (its own process and a worker process): after a
journey, the counters say what happened, whichever process did it."""

from __future__ import annotations

import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.db import Database
from bot.sandbox.slack import SlackStandIn, Workspace
from bot.sandbox.stripe import StripeEmulator
from tests.bot.test_cli import clean_env, start_serve, stop_serve
from tests.bot.test_worker_processes import seed
from tests.conftest import ADMIN, SIGNING_SECRET, STRIPE_WEBHOOK_SECRET, TEAM_ID, Billbot, app_env
from tests.flows.reminders.test_reminders import at, invoices, sweep, turn_on
from tests.harness.invoice_modal import fill_invoice, wait_for
from tests.harness.running_app import RunningApp
from tests.harness.slack_requests import SlackRequests

BOT = "U0BOT"
CHANNEL = "C_INVOICES"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@dataclass
class Served:
    server: subprocess.Popen[str]
    url: str
    requests: SlackRequests
    clients: list[tuple[int, str]]
    db: Database


@pytest.fixture
def served(
    slack: SlackStandIn, workspace: Workspace, database_url: str, stripe_emulator: StripeEmulator, tmp_path: Path
) -> Iterator[Served]:
    workspace.add_channel(CHANNEL, name="invoices", members=[ADMIN, BOT])
    _account, clients = seed(slack, database_url, stripe_emulator, 2)
    log = (tmp_path / "serve.log").open("w")
    server, url = start_serve(clean_env(**app_env(slack, database_url, stripe_emulator)), output=log)
    stripe_emulator.add_webhook_endpoint(f"{url}/stripe/webhook", STRIPE_WEBHOOK_SECRET)
    requests = SlackRequests(url, SIGNING_SECRET, slack, TEAM_ID)
    db = Database(database_url)
    try:
        yield Served(server, url, requests, clients, db)
    finally:
        requests.close()
        db.dispose()
        stop_serve(server)
        log.close()


def scrape(url: str) -> Samples:
    response = httpx.get(f"{url}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def by_label(samples: Samples, name: str, label: str) -> dict[str, float]:
    """{label value: sample} for one metric, the other labels summed."""
    totals: dict[str, float] = {}
    for (sample, labels), value in samples.items():
        if sample == name:
            key = dict(labels)[label]
            totals[key] = totals.get(key, 0.0) + value
    return totals


def test_the_counters_match_a_journey_through_billbot_serve(
    served: Served, slack: SlackStandIn, stripe_emulator: StripeEmulator
) -> None:
    events_before = len(stripe_emulator.events())
    calls_before = len(slack.calls())
    view, values = fill_invoice(served.requests, slack, team_id=TEAM_ID, user=ADMIN, channel=CHANNEL,
                                client=served.clients[0], description="Séance", quantity="1", price="80")  # fmt: skip
    assert served.requests.submit(view, values, user=ADMIN).status_code == 200
    wait_for(lambda: slack.workspace(TEAM_ID).messages(CHANNEL) or None)
    assert served.requests.command("/billing", user=ADMIN).status_code == 200  # the hub: trigger-bound

    def settled() -> Samples | None:
        samples = scrape(served.url)
        # Bolt's own authorization calls auth.test (once per process) before our listeners' client exists.
        made = Counter(call.method for call in slack.calls()[calls_before:] if call.method != "auth.test")
        events = Counter(event["type"] for event in stripe_emulator.events()[events_before:])
        queue_empty = samples[("billbot_work_queue_depth", ())] == 0
        slack_seen = by_label(samples, "billbot_slack_api_calls_total", "method")
        webhooks = by_label(samples, "billbot_stripe_webhook_events_total", "type")
        matches = slack_seen == {m: float(n) for m, n in made.items()} and webhooks == dict(events.items())
        return samples if queue_empty and matches and events else None

    samples = wait_for(settled, timeout=20)
    requests = by_label(samples, "billbot_slack_requests_total", "kind")
    assert requests == {"command": 2.0, "view": 1.0}
    acks = by_label(samples, "billbot_slack_ack_seconds_count", "kind")
    assert acks == {"command": 2.0, "view": 1.0}
    # One invoice of one line for a new customer, made on Stripe once.
    stripe_calls = by_label(samples, "billbot_stripe_api_calls_total", "method")
    for method in ("customer.create", "invoice.create", "invoice_item.create", "invoice.finalize_invoice"):
        assert stripe_calls.get(method) == 1.0, (method, stripe_calls)
    assert by_label(samples, "billbot_stripe_api_errors_total", "method") == {}
    jobs = {
        (dict(labels)["function"], dict(labels)["outcome"]): value
        for (name, labels), value in samples.items()
        if name == "billbot_jobs_total"
    }
    assert jobs and all(outcome == "done" for _function, outcome in jobs)  # nothing retried or failed
    assert samples[("billbot_work_queue_failed", ())] == 0
    assert samples[("billbot_work_queue_oldest_seconds", ())] == 0
    # The hub opened at once, in the serving process, and was timed from its command's arrival.
    at_once = {
        (dict(labels)["function"], dict(labels)["outcome"]): value
        for (name, labels), value in samples.items()
        if name == "billbot_trigger_bound_runs_total"
    }
    assert at_once.get(("billing_command", "done")) == 1.0
    opened = Counter(call.method for call in slack.calls()[calls_before:])["views.open"]
    assert 1.0 <= samples[("billbot_modal_open_seconds_count", ())] <= opened


def test_readyz_says_ready_when_the_database_is_migrated_and_a_worker_runs(served: Served) -> None:
    response = httpx.get(f"{served.url}/readyz", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"ready": True, "database": "ok", "worker": "alive"}


def test_readyz_refuses_while_the_queue_has_no_worker_and_metrics_show_its_depth(
    slack: SlackStandIn, workspace: Workspace, database_url: str
) -> None:
    app = RunningApp(app_env(slack, database_url)).start(worker=False)
    requests = SlackRequests(app.url, SIGNING_SECRET, slack, TEAM_ID)
    try:
        response = httpx.get(f"{app.url}/readyz", timeout=10)
        assert response.status_code == 503
        assert response.json() == {"ready": False, "database": "ok", "worker": "none"}
        event = {"type": "app_home_opened", "user": ADMIN, "channel": "D0HOME", "tab": "home"}
        assert requests.event(event).status_code == 200  # the App Home's publish is durable work
        samples = scrape(app.url)
        assert samples[("billbot_work_queue_depth", ())] == 1
        assert samples[("billbot_work_queue_oldest_seconds", ())] >= 0
        assert httpx.get(f"{app.url}/healthz", timeout=10).status_code == 200  # as it was
    finally:
        requests.close()
        app.stop()


def test_a_reminder_sweep_counts_the_reminders_it_sent_and_the_slack_calls_it_made(billbot: Billbot) -> None:
    turn_on(billbot)
    found = invoices(billbot, 2)
    posts_before = len(billbot.slack.calls("chat.postMessage"))
    before = scrape(billbot.app.url)
    result = sweep(billbot, at(found[0].due_date))
    after = scrape(billbot.app.url)
    assert (result.emailed, result.posted) == (2, 2)  # each reminder by email, both in one digest

    def grown(name: str, label: str) -> dict[str, float]:
        was = by_label(before, name, label)
        return {key: value - was.get(key, 0.0) for key, value in by_label(after, name, label).items()}

    sent = grown("billbot_reminders_sent_total", "channel")
    assert sent == {"email": float(result.emailed), "digest": float(result.posted)}
    # The digest is posted by the scheduler's own client (no Slack request behind it): counted all the same.
    posted = len(billbot.slack.calls("chat.postMessage")) - posts_before
    assert posted == result.digests == 1
    assert grown("billbot_slack_api_calls_total", "method").get("chat.postMessage") == float(posted)
