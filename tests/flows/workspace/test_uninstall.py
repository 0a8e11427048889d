"""Billbot removed from a workspace (app_uninstalled, tokens_revoked) and installed again, through the harness:
signed events to the real app, single- and multi-workspace (OAuth) installs, on both databases."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import func, select
from sqlmodel import col

from bot.models import SLACK_BOTS, SLACK_INSTALLATIONS, Client, Invoice, PendingWork, Workspace
from bot.sandbox.slack import SlackStandIn
from bot.sandbox.slack import Workspace as SlackWorkspace
from bot.sandbox.slack.records import Message
from bot.sandbox.stripe import StripeEmulator
from bot.work_queue import execute
from tests.conftest import ADMIN, MEMBER, SIGNING_SECRET, STRIPE_WEBHOOK_SECRET, TEAM_ID, Billbot, app_env
from tests.flows.reminders.test_reminders import REMINDERS, at, emails, invoices, sweep, text_of, turn_on
from tests.harness.running_app import RunningApp
from tests.harness.slack_requests import SlackRequests

MODES = ("single", "multi")
_event_ids = iter(range(1, 1_000_000))


# -- the scene: the practice's workspace, installed one way or the other ------------------------------------------


def oauth_install(app: RunningApp, slack: SlackStandIn, team_id: str = TEAM_ID, user: str = ADMIN) -> None:
    """The install button, Slack's consent page and the redirect back, as a browser on PUBLIC_URL follows them."""
    with httpx.Client(base_url=app.url, timeout=10) as browser:
        page = browser.get("/slack/install")
        start = urlsplit(page.text.split('<a href="')[1].split('"')[0].replace("&amp;", "&"))
        query = parse_qs(start.query)
        code = slack.oauth_code(team_id, user, redirect_uri=query["redirect_uri"][0])
        cookie = page.headers["set-cookie"].split(";")[0]
        done = browser.get(
            "/slack/oauth_redirect", params={"code": code, "state": query["state"][0]}, headers={"Cookie": cookie}
        )
        assert done.status_code == 200


def start(slack: SlackStandIn, workspace: SlackWorkspace, database_url: str, stripe: StripeEmulator, mode: str,
          *, worker: bool = True) -> Billbot:  # fmt: skip
    env = app_env(slack, database_url, stripe, PUBLIC_URL="https://billbot.example.com")
    if mode == "multi":
        del env["SLACK_BOT_TOKEN"]
        env |= {"SLACK_CLIENT_ID": slack.client_id, "SLACK_CLIENT_SECRET": slack.client_secret}
    app = RunningApp(env).start(worker=worker)
    stripe.add_webhook_endpoint(f"{app.url}/stripe/webhook", STRIPE_WEBHOOK_SECRET)
    if mode == "multi":
        oauth_install(app, slack)
    requests = SlackRequests(app.url, SIGNING_SECRET, slack, TEAM_ID)
    return Billbot(app=app, slack=slack, workspace=workspace, requests=requests, stripe=stripe)


@pytest.fixture(params=MODES)
def bb(
    request: pytest.FixtureRequest,
    slack: SlackStandIn,
    workspace: SlackWorkspace,
    database_url: str,
    stripe_emulator: StripeEmulator,
) -> Iterator[Billbot]:
    found = start(slack, workspace, database_url, stripe_emulator, request.param)
    yield found
    found.requests.close()
    found.app.stop()


@pytest.fixture
def multi(
    slack: SlackStandIn, workspace: SlackWorkspace, database_url: str, stripe_emulator: StripeEmulator
) -> Iterator[Billbot]:
    found = start(slack, workspace, database_url, stripe_emulator, "multi")
    yield found
    found.requests.close()
    found.app.stop()


def multi_workspace(bb: Billbot) -> bool:
    return bb.app.settings.multi_workspace


# -- what Slack sends ----------------------------------------------------------------------------------------------


def send(bb: Billbot, event: dict[str, Any], *, event_id: str | None = None, event_time: float | None = None,
         retry_num: int | None = None) -> str:  # fmt: skip
    """A signed event envelope, dated ``event_time`` (Slack's time of the event; a retry keeps it)."""
    event_id = event_id or f"EvU{next(_event_ids):07d}"
    envelope = {
        "token": "deprecated-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": "A_BILLBOT",
        "event": {"event_ts": f"{time.time():.6f}", **event},
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(event_time if event_time is not None else time.time()),
        "authorizations": [{"team_id": TEAM_ID, "user_id": "U0BOT", "is_bot": True}],
    }
    headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"} if retry_num else None
    response = bb.requests.post(json.dumps(envelope).encode(), "application/json", headers=headers)
    assert response.status_code == 200
    return event_id


def uninstall(bb: Billbot, *, seconds_ago: int = 60, event_id: str | None = None) -> str:
    return send(bb, {"type": "app_uninstalled"}, event_id=event_id, event_time=time.time() - seconds_ago)


def revoke(bb: Billbot, tokens: dict[str, list[str]]) -> str:
    return send(bb, {"type": "tokens_revoked", "tokens": tokens})


# -- what the database holds ---------------------------------------------------------------------------------------


def mark(bb: Billbot) -> Any:
    with bb.app.services.db.session() as session:
        row = session.get(Workspace, TEAM_ID)
        return row.uninstalled_at if row is not None else None


def stored_tokens(bb: Billbot) -> dict[str, list[Any]]:
    with bb.app.services.db.engine.connect() as conn:
        installs = conn.execute(
            select(SLACK_INSTALLATIONS.c.bot_token, SLACK_INSTALLATIONS.c.user_token).where(
                SLACK_INSTALLATIONS.c.team_id == TEAM_ID
            )
        ).all()
        bots = conn.execute(select(SLACK_BOTS.c.bot_token).where(SLACK_BOTS.c.team_id == TEAM_ID)).all()
    return {"installations": [tuple(r) for r in installs], "bots": [r[0] for r in bots]}


def records(bb: Billbot) -> tuple[int, int]:
    with bb.app.services.db.session() as session:
        clients = session.scalar(select(func.count()).select_from(Client).where(Client.team_id == TEAM_ID))
        kept = session.scalar(select(func.count()).select_from(Invoice).where(Invoice.team_id == TEAM_ID))
    return int(clients or 0), int(kept or 0)


def settle(bb: Billbot) -> None:
    """Until the worker has done everything queued (the retry below must have had its chance to act)."""
    bb.slack.wait_for(lambda: bb.app.services.work.counts() == {"pending": 0, "failed": 0}, timeout=10)


def posts(bb: Billbot, channel: str) -> list[Message]:
    return bb.workspace.messages(channel)


# -- the tests -----------------------------------------------------------------------------------------------------


def test_uninstall_deletes_the_tokens_stops_reminders_keeps_the_records_and_a_reinstall_resumes(bb: Billbot) -> None:
    turn_on(bb)
    (invoice,) = invoices(bb)
    first_email = emails(bb, invoice)
    if multi_workspace(bb):
        assert stored_tokens(bb)["bots"] == [f"xoxb-test-{TEAM_ID}"]

    # Slack's time of the uninstall: now for an OAuth install made moments ago, else a minute ago, so the
    # event that re-activates a single-workspace install below is dated after it (Slack dates in seconds).
    event_id = uninstall(bb, seconds_ago=0 if multi_workspace(bb) else 60)
    bb.slack.wait_for(lambda: mark(bb) is not None)
    settle(bb)
    assert stored_tokens(bb) == {"installations": [], "bots": []}  # single-workspace: none were stored
    assert records(bb) == (1, 1)  # the practice's client and invoice are kept

    # The reminder falls due while Billbot is uninstalled: no email to the client, no digest to the team.
    quiet = sweep(bb, at(invoice.due_date))
    assert (quiet.claimed, quiet.emailed, quiet.digests) == (0, 0, 0)
    assert emails(bb, invoice) == first_email and posts(bb, REMINDERS) == []

    # Installed again: by OAuth, or (one workspace, nothing stored) by Slack sending the app a new event.
    if multi_workspace(bb):
        oauth_install(bb.app, bb.slack)
    else:
        send(bb, {"type": "app_home_opened", "user": ADMIN, "tab": "home", "channel": "D0ADMIN"})
    bb.slack.wait_for(lambda: mark(bb) is None)

    # Slack retries the old uninstall (it missed our answer): acknowledged, and nothing is undone.
    send(bb, {"type": "app_uninstalled"}, event_id=event_id, event_time=time.time() - 60, retry_num=1)
    settle(bb)
    assert mark(bb) is None
    if multi_workspace(bb):
        assert stored_tokens(bb)["bots"] == [f"xoxb-test-{TEAM_ID}"]

    back = sweep(bb, at(invoice.due_date, 9, 5))
    assert (back.claimed, back.emailed, back.digests) == (1, 1, 1)
    assert emails(bb, invoice) == first_email + 1
    (digest,) = posts(bb, REMINDERS)
    assert invoice.number in text_of(digest)


def test_a_revoked_bot_token_is_an_uninstall(bb: Billbot) -> None:
    turn_on(bb)
    (invoice,) = invoices(bb)
    revoke(bb, {"bot": ["U0BOT"]})
    bb.slack.wait_for(lambda: mark(bb) is not None)
    assert stored_tokens(bb) == {"installations": [], "bots": []}
    assert sweep(bb, at(invoice.due_date)).claimed == 0
    assert posts(bb, REMINDERS) == [] and records(bb) == (1, 1)


def test_revoked_user_tokens_only_keep_the_bots_token_and_the_reminders(multi: Billbot) -> None:
    before = stored_tokens(multi)
    # The stand-in's OAuth hands the installer a user token, as Slack does when user scopes are asked.
    assert [bool(user_token) for _, user_token in before["installations"]] == [True]
    turn_on(multi)
    (invoice,) = invoices(multi)
    revoke(multi, {"oauth": [ADMIN]})
    multi.slack.wait_for(lambda: stored_tokens(multi)["installations"] == [(f"xoxb-test-{TEAM_ID}", None)])
    settle(multi)
    assert stored_tokens(multi)["bots"] == [f"xoxb-test-{TEAM_ID}"]
    assert mark(multi) is None
    assert sweep(multi, at(invoice.due_date)).digests == 1


def test_an_uninstall_older_than_the_current_installation_changes_nothing(multi: Billbot) -> None:
    uninstalled = time.time()
    uninstall(multi, seconds_ago=0)
    multi.slack.wait_for(lambda: mark(multi) is not None)
    time.sleep(max(0.0, int(uninstalled) + 1.05 - time.time()))  # the re-install comes in a later second
    oauth_install(multi.app, multi.slack)
    assert mark(multi) is None
    # A second delivery of that uninstall (another event id, Slack's same time), late, after the re-install.
    send(multi, {"type": "app_uninstalled"}, event_time=uninstalled)
    settle(multi)
    assert mark(multi) is None
    assert stored_tokens(multi)["bots"] == [f"xoxb-test-{TEAM_ID}"]


@pytest.mark.parametrize("mode", MODES)
def test_work_queued_before_the_uninstall_is_dropped_not_posted(
    mode: str, slack: SlackStandIn, workspace: SlackWorkspace, database_url: str, stripe_emulator: StripeEmulator
) -> None:
    # No worker: what Slack sends stays queued, as behind a backlog or a dead worker.
    bb = start(slack, workspace, database_url, stripe_emulator, mode, worker=False)
    try:
        dm = workspace.im_channel(MEMBER).id
        ts = workspace.next_ts()
        workspace.store_message(Message(channel=dm, ts=ts, user=MEMBER, text="how do I create an invoice",
                                        team_id=TEAM_ID))  # fmt: skip
        send(bb, {"type": "message", "channel": dm, "user": MEMBER, "text": "how do I create an invoice", "ts": ts,
                  "channel_type": "im"}, event_time=time.time() - 5)  # fmt: skip
        uninstall(bb, seconds_ago=0)
        queue = bb.app.services.work
        jobs = queue.claim(10)
        assert len(jobs) == 2
        question, removal = sorted(jobs, key=lambda job: "app_uninstalled" in job.body)
        # The uninstall is done first (a worker runs several jobs at once), then the question's answer is due.
        assert execute(bb.app.bolt_app, removal) is None
        assert mark(bb) is not None
        assert execute(bb.app.bolt_app, question) is None
        queue.complete([question.id, removal.id])
        assert [m for m in workspace.messages(dm) if m.user != MEMBER] == []
        assert slack.calls("chat.postMessage") == []
        with bb.app.services.db.session() as session:
            assert session.scalar(select(func.count()).select_from(PendingWork).where(col(PendingWork.failed))) == 0
    finally:
        bb.requests.close()
        bb.app.stop()


def test_the_mark_is_slacks_time_of_the_uninstall(billbot: Billbot) -> None:
    uninstall(billbot, seconds_ago=3600)
    found = billbot.slack.wait_for(lambda: mark(billbot))
    found = found if found.tzinfo else found.replace(tzinfo=UTC)  # SQLite reads back naive datetimes
    assert abs((found - (datetime.now(UTC) - timedelta(hours=1))).total_seconds()) < 5
