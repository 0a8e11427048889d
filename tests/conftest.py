"""Fixtures: the Slack stand-in, the two databases, and the app served as `billbot serve` serves it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.db import upgrade
from bot.sandbox.slack import SlackStandIn, Workspace
from bot.sandbox.stripe import StripeEmulator
from tests.harness.databases import create_worker_database, drop_database, postgres_problem, truncate_all
from tests.harness.running_app import RunningApp
from tests.harness.slack_requests import SlackRequests

TEAM_ID = "T0PRACTICE"
SIGNING_SECRET = "test-signing-secret-8f14e45fceea167a"
STRIPE_WEBHOOK_SECRET = "whsec_test_c9f0f895fb98ab9159f51fd0297e236d"
ADMIN = "U0ADMIN"  # workspace admin, English
FRENCH_USER = "U0CLAIRE"  # member whose Slack is in French
MEMBER = "U0MEMBER"  # member, British English
CLINIC_TEAM_ID = "T0CLINIC"  # a second workspace, installed through OAuth in the multi-workspace tests
CLINIC_OWNER = "U0OWNER"
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def slack() -> Iterator[SlackStandIn]:
    standin = SlackStandIn(client_id="1111.2222", client_secret="slack-client-secret")
    _add_practice(standin)
    clinic = standin.add_workspace(
        team_id=CLINIC_TEAM_ID,
        team_name="Clinique du Parc",
        bot_token=f"xoxb-test-{CLINIC_TEAM_ID}",
        bot_user_id="U0BOT2",
    )
    clinic.add_user(user_id=CLINIC_OWNER, name="olivier", locale="fr-FR", is_owner=True, is_admin=True)
    standin.start()
    yield standin
    standin.stop()


def _add_practice(standin: SlackStandIn) -> Workspace:
    ws = standin.add_workspace(
        team_id=TEAM_ID, team_name="Cabinet Dupont", bot_token=f"xoxb-test-{TEAM_ID}", bot_user_id="U0BOT"
    )
    ws.add_user(user_id=ADMIN, name="alice", locale="en-US", is_admin=True)
    ws.add_user(user_id=FRENCH_USER, name="claire", locale="fr-FR")
    ws.add_user(user_id=MEMBER, name="mark", locale="en-GB")
    ws.add_channel(channel_id="C_GENERAL", name="general", members=[ADMIN, FRENCH_USER, MEMBER])
    return ws


@pytest.fixture
def workspace(slack: SlackStandIn) -> Workspace:
    slack.reset()
    return slack.workspace(TEAM_ID)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db-template") / "billbot.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url(worker_id: str, testrun_uid: str) -> Iterator[str]:
    problem = postgres_problem()
    if problem is not None:
        if os.environ.get("BILLBOT_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"BILLBOT_REQUIRE_POSTGRES=1 but {problem}")
        pytest.skip(problem)
    # Named by run and worker: two test runs on one server (two developers, or CI beside one) never share.
    url = create_worker_database(f"{testrun_uid[:8]}_{worker_id}")
    upgrade(url)
    yield url
    drop_database(url)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "billbot.db"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    truncate_all(url)
    return url


@pytest.fixture
def stripe_emulator() -> Iterator[StripeEmulator]:
    """A fresh Stripe for each test: its accounts, objects and events start empty."""
    emulator = StripeEmulator(webhook_backoff=0.05).start()
    yield emulator
    emulator.stop()


@dataclass
class Billbot:
    app: RunningApp
    slack: SlackStandIn
    workspace: Workspace
    requests: SlackRequests
    stripe: StripeEmulator


def app_env(
    slack: SlackStandIn, database_url: str, stripe: StripeEmulator | None = None, **extra: str
) -> dict[str, str]:
    env = {
        "SLACK_BOT_TOKEN": f"xoxb-test-{TEAM_ID}",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.url,
        "DATABASE_URL": database_url,
        "STRIPE_WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET,
        # The calendar tests' feed server is on loopback, over http: allowed in the sandbox only. A short
        # deadline lets the slow-feed cases end quickly.
        "BILLBOT_CALENDAR_LOCAL_FEEDS": "1",
        "BILLBOT_CALENDAR_TIMEOUT_SECONDS": "3",
    }
    if stripe is not None:
        env |= {
            "STRIPE_API_KEY": stripe.api_key,
            "STRIPE_API_BASE": stripe.url,
            "STRIPE_CLIENT_ID": stripe.connect_client_id,
        }
    return env | extra


@pytest.fixture
def billbot(
    slack: SlackStandIn, workspace: Workspace, database_url: str, stripe_emulator: StripeEmulator
) -> Iterator[Billbot]:
    app = RunningApp(app_env(slack, database_url, stripe_emulator, PUBLIC_URL="https://billbot.example.com")).start()
    # Stripe delivers its signed events to the app under test, as it would to PUBLIC_URL/stripe/webhook.
    stripe_emulator.add_webhook_endpoint(f"{app.url}/stripe/webhook", STRIPE_WEBHOOK_SECRET)
    requests = SlackRequests(app.url, SIGNING_SECRET, slack, TEAM_ID)
    yield Billbot(app=app, slack=slack, workspace=workspace, requests=requests, stripe=stripe_emulator)
    requests.close()
    app.stop()
