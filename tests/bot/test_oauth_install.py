"""Multi-workspace mode: a workspace installs Billbot through OAuth, and its token lives in our database."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from bot.models import SLACK_INSTALLATIONS
from bot.sandbox.slack import SlackStandIn
from bot.slack_app import BOT_SCOPES
from tests.conftest import CLINIC_OWNER, CLINIC_TEAM_ID, SIGNING_SECRET, app_env
from tests.harness.running_app import RunningApp
from tests.harness.slack_requests import SlackRequests
from tests.harness.views import filled_view


@pytest.fixture
def multi_workspace_app(slack: SlackStandIn, database_url: str) -> Iterator[RunningApp]:
    slack.reset()
    env = app_env(slack, database_url, SLACK_CLIENT_ID=slack.client_id, SLACK_CLIENT_SECRET=slack.client_secret)
    del env["SLACK_BOT_TOKEN"]
    app = RunningApp({**env, "PUBLIC_URL": "https://billbot.example.com"}).start()
    yield app
    app.stop()


def _install(app: RunningApp, slack: SlackStandIn) -> httpx.Response:
    with httpx.Client(base_url=app.url, timeout=10) as browser:
        page = browser.get("/slack/install")
        assert page.status_code == 200
        start = urlsplit(page.text.split('<a href="')[1].split('"')[0].replace("&amp;", "&"))
        query = parse_qs(start.query)
        assert query["client_id"] == [slack.client_id]
        assert query["redirect_uri"] == ["https://billbot.example.com/slack/oauth_redirect"]
        assert set(query["scope"][0].split(",")) == set(BOT_SCOPES)
        code = slack.oauth_code(CLINIC_TEAM_ID, CLINIC_OWNER, redirect_uri=query["redirect_uri"][0])
        # The state cookie is Secure (PUBLIC_URL is https); a browser on that https address would send it back.
        cookie = page.headers["set-cookie"].split(";")[0]
        assert "Secure" in page.headers["set-cookie"] and "HttpOnly" in page.headers["set-cookie"]
        return browser.get(
            "/slack/oauth_redirect", params={"code": code, "state": query["state"][0]}, headers={"Cookie": cookie}
        )


def test_oauth_install_stores_the_installation_and_the_workspace_can_use_the_app(
    multi_workspace_app: RunningApp, slack: SlackStandIn
) -> None:
    finished = _install(multi_workspace_app, slack)
    assert finished.status_code == 200
    with multi_workspace_app.services.db.engine.connect() as conn:
        rows = conn.execute(select(SLACK_INSTALLATIONS.c.team_id, SLACK_INSTALLATIONS.c.bot_token)).all()
    assert rows == [(CLINIC_TEAM_ID, f"xoxb-test-{CLINIC_TEAM_ID}")]

    requests = SlackRequests(multi_workspace_app.url, SIGNING_SECRET, slack, CLINIC_TEAM_ID)
    assert requests.command("/billing", user=CLINIC_OWNER).status_code == 200
    hub = filled_view(slack, slack.workspace(CLINIC_TEAM_ID), CLINIC_OWNER)
    assert hub["title"]["text"] == "Facturation"
    assert {call.token for call in slack.calls("views.open")} == {f"xoxb-test-{CLINIC_TEAM_ID}"}
    requests.close()


def test_callback_with_a_forged_state_installs_nothing(multi_workspace_app: RunningApp, slack: SlackStandIn) -> None:
    code = slack.oauth_code(CLINIC_TEAM_ID, CLINIC_OWNER)
    response = httpx.get(
        f"{multi_workspace_app.url}/slack/oauth_redirect", params={"code": code, "state": "forged"}, timeout=10
    )
    assert response.status_code == 400
    with multi_workspace_app.services.db.engine.connect() as conn:
        assert conn.execute(select(SLACK_INSTALLATIONS.c.team_id)).all() == []
    assert slack.calls("oauth.v2.access") == []


def test_workspace_that_never_installed_is_not_served(multi_workspace_app: RunningApp, slack: SlackStandIn) -> None:
    requests = SlackRequests(multi_workspace_app.url, SIGNING_SECRET, slack, CLINIC_TEAM_ID)
    response = requests.command("/billing", user=CLINIC_OWNER)
    assert response.status_code == 200  # Bolt answers the user with an ephemeral "not installed" text
    assert slack.calls("views.open") == []
    requests.close()


def test_single_workspace_server_takes_no_installs(slack: SlackStandIn, database_url: str) -> None:
    app = RunningApp(app_env(slack, database_url)).start()
    try:
        assert httpx.get(f"{app.url}/slack/install", timeout=10).status_code == 404
    finally:
        app.stop()
