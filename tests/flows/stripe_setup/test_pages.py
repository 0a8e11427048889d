"""/stripe/return hands a link another flow marked to that flow's page, whatever order the flows registered in;
every other return stays the set-up flow's. Through the real server, on both databases."""

from __future__ import annotations

import html
from collections.abc import Iterator

import httpx
import pytest
from slack_bolt import App

from bot.sandbox.slack import SlackStandIn
from bot.sandbox.stripe import StripeEmulator
from bot.services import Services
from flows import stripe_setup
from tests.conftest import app_env
from tests.harness.running_app import RunningApp


def marked_return_page(app: App, services: Services) -> None:
    """A flow of the test's own, registered before stripe_setup, whose links carry ``thanks``."""
    services.pages[stripe_setup.RETURN_PAGE_PREFIX + "thanks"] = lambda query: (200, f"thanks {query['thanks']}")


@pytest.fixture
def server(slack: SlackStandIn, database_url: str, stripe_emulator: StripeEmulator) -> Iterator[RunningApp]:
    env = app_env(slack, database_url, stripe_emulator, PUBLIC_URL="https://billbot.example.com")
    app = RunningApp(env, flows=[marked_return_page, stripe_setup.register]).start()
    yield app
    app.stop()


def test_a_marked_return_link_reaches_its_flows_page_and_others_stay_set_ups(server: RunningApp) -> None:
    marked = httpx.get(f"{server.url}/stripe/return", params={"thanks": "card"}, timeout=10)
    assert (marked.status_code, marked.text) == (200, "thanks card")

    plain = httpx.get(f"{server.url}/stripe/return", params={"t": "garbage"}, timeout=10)
    assert plain.status_code == 400
    assert "This link isn't valid" in html.unescape(plain.text)
