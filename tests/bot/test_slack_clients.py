"""bot.slack_clients.client_for: the workspace's bot client outside a Slack request, and none once Billbot is
uninstalled there, single- and multi-workspace, on both databases, through the real app and the Slack stand-in."""

from __future__ import annotations

import httpx

from bot.slack_clients import client_for
from tests.conftest import ADMIN, TEAM_ID, Billbot
from tests.flows.stripe_setup.test_stripe_setup import (
    dms,
    fill_stripe_form,
    on_app,
    onboarding_url,
    open_setup,
    row,
    start,
)
from tests.flows.workspace.test_uninstall import bb, mark, multi_workspace, settle, uninstall  # noqa: F401 (bb is a fixture)


def test_client_for_answers_with_the_workspaces_bot_until_it_uninstalls(bb: Billbot) -> None:  # noqa: F811
    web = client_for(bb.app.services, TEAM_ID)
    assert web is not None
    assert web.auth_test()["team_id"] == TEAM_ID  # the token Slack knows for this workspace
    assert client_for(bb.app.services, "T_NEVER_INSTALLED") is None or not multi_workspace(bb)

    uninstall(bb, seconds_ago=0 if multi_workspace(bb) else 60)
    bb.slack.wait_for(lambda: mark(bb) is not None)
    settle(bb)
    assert client_for(bb.app.services, TEAM_ID) is None


def test_stripe_finishing_set_up_after_an_uninstall_sends_no_dm_with_one_workspace(billbot: Billbot) -> None:
    """With one workspace the bot token outlives the uninstall: only the mark keeps the DM from going out."""
    start(billbot, open_setup(billbot))
    link = onboarding_url(billbot)
    uninstall(billbot)  # type: ignore[arg-type]
    billbot.slack.wait_for(lambda: mark(billbot) is not None)  # type: ignore[arg-type]

    # Stripe's account.updated webhook and the return page both learn that charges are on.
    page = httpx.get(on_app(billbot, fill_stripe_form(billbot, link)), timeout=10)
    assert page.status_code == 200
    billbot.stripe.wait_for_deliveries()
    settle(billbot)  # type: ignore[arg-type]
    stored = row(billbot)
    assert stored is not None and stored.charges_enabled  # the status is recorded all the same
    assert dms(billbot, ADMIN) == []
