"""Fixtures for the Slack stand-in tests: one server per test session (per xdist worker), reset per test."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.sandbox.slack import SlackStandIn, Workspace

TEAM = "T0001"
OTHER_TEAM = "T0002"
TOKEN = "xoxb-test-T0001"
OTHER_TOKEN = "xoxb-test-T0002"


class ManualClock:
    """Real monotonic time plus an offset a test can push forward to age trigger_ids."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture(scope="session")
def slack_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="session")
def slack_server(slack_clock: ManualClock) -> Iterator[SlackStandIn]:
    standin = SlackStandIn(client_id="123.456", client_secret="s3cr3t", clock=slack_clock)
    ws = standin.add_workspace(
        team_id=TEAM, team_name="Cabinet Dupont", bot_token=TOKEN, bot_user_id="UBOT", locale="fr-FR"
    )
    ws.add_user(user_id="U1", name="alice", locale="en-US", tz="Europe/Paris")
    ws.add_user(user_id="U2", name="bob", locale="fr-FR", is_admin=True, is_owner=True, tz="America/New_York")
    ws.add_user(user_id="U3", name="carol")
    ws.add_channel(channel_id="C1", name="billing-help", members=["U1", "UBOT"])
    ws.add_channel(channel_id="C2", name="general", members=["U1", "U2"])
    ws.add_channel(channel_id="G1", name="secret", members=["U2"], is_private=True)
    ws.add_usergroup("S1", handle="accounting", name="Accounting", users=["U1", "U2"])

    other = standin.add_workspace(
        team_id=OTHER_TEAM, team_name="Studio Martin", bot_token=OTHER_TOKEN, bot_user_id="UBOT2", locale="en-GB"
    )
    # Same user and channel ids as the first workspace on purpose: isolation must not rely on ids.
    other.add_user(user_id="U1", name="martin", locale="en-GB")
    other.add_channel(channel_id="C1", name="invoices", members=["U1", "UBOT2"])

    standin.start(host="127.0.0.1", port=0)
    yield standin
    standin.stop()


@pytest.fixture
def slack(slack_server: SlackStandIn, slack_clock: ManualClock) -> SlackStandIn:
    slack_server.reset()
    slack_clock.offset = 0.0
    return slack_server


@pytest.fixture
def ws(slack: SlackStandIn) -> Workspace:
    return slack.workspace(TEAM)


@pytest.fixture
def other_ws(slack: SlackStandIn) -> Workspace:
    return slack.workspace(OTHER_TEAM)


@pytest.fixture
def client(slack: SlackStandIn) -> WebClient:
    return WebClient(token=TOKEN, base_url=slack.url)


@pytest.fixture
def other_client(slack: SlackStandIn) -> WebClient:
    return WebClient(token=OTHER_TOKEN, base_url=slack.url)
