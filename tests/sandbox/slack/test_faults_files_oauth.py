"""Injected faults, file uploads end to end, and the OAuth install exchange."""

from __future__ import annotations

import threading

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.sandbox.slack import SlackStandIn, Workspace

from .conftest import TEAM, TOKEN


def test_rate_limit_answers_429_with_retry_after(slack: SlackStandIn, client: WebClient, ws: Workspace) -> None:
    slack.rate_limit("chat.postMessage", times=1, retry_after=7)
    with pytest.raises(SlackApiError) as limited:
        client.chat_postMessage(channel="C1", text="x")
    response = limited.value.response
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response["error"] == "ratelimited"
    assert ws.messages("C1") == []

    assert client.chat_postMessage(channel="C1", text="after")["ok"]
    assert [(c.status, c.error) for c in slack.calls("chat.postMessage")] == [(429, "ratelimited"), (200, None)]


def test_slack_sdk_retry_handler_gets_through_a_rate_limit(slack: SlackStandIn, ws: Workspace) -> None:
    slack.rate_limit("chat.postMessage", times=1, retry_after=0)
    client = WebClient(token=TOKEN, base_url=slack.url, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
    assert client.chat_postMessage(channel="C1", text="retried")["ok"]
    assert [m.text for m in ws.messages("C1")] == ["retried"]
    assert len(slack.calls("chat.postMessage")) == 2


def test_fail_injects_an_error_for_the_next_calls(slack: SlackStandIn, client: WebClient) -> None:
    slack.fail("users.info", "fatal_error", times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as failed:
            client.users_info(user="U1")
        assert failed.value.response["error"] == "fatal_error"
    assert client.users_info(user="U1")["ok"]


def test_files_upload_v2_end_to_end(client: WebClient, ws: Workspace) -> None:
    parent = client.chat_postMessage(channel="C1", text="Invoice")["ts"]
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 40
    answer = client.files_upload_v2(
        channel="C1",
        content=pdf,
        filename="invoice-42.pdf",
        title="Invoice 42",
        initial_comment="Here",
        thread_ts=parent,
    )

    assert answer["file"]["name"] == "invoice-42.pdf" and answer["file"]["size"] == len(pdf)
    [file] = ws.files()
    assert (file.id, file.title, file.data, file.channels) == (answer["file"]["id"], "Invoice 42", pdf, ["C1"])
    shared = ws.thread("C1", parent)[-1]
    assert (shared.files, shared.text) == ([file.id], "Here")


def test_upload_url_takes_multipart_and_completion_needs_the_bytes(
    slack: SlackStandIn, client: WebClient, ws: Workspace
) -> None:
    ticket = client.files_getUploadURLExternal(filename="a.csv", length=3)
    with pytest.raises(SlackApiError) as early:
        client.files_completeUploadExternal(files=[{"id": ticket["file_id"]}], channel_id="C1")
    assert early.value.response["error"] == "file_not_found"

    posted = httpx.post(ticket["upload_url"], files={"file": ("a.csv", b"a,b", "text/csv")})
    assert posted.status_code == 200 and posted.text == "OK - 3"
    client.files_completeUploadExternal(files=[{"id": ticket["file_id"], "title": "Export"}])
    assert [(f.filename, f.title, f.data, f.channels) for f in ws.files()] == [("a.csv", "Export", b"a,b", [])]
    assert httpx.post(slack.root_url + f"upload/v1/{TEAM}/F404", content=b"x").status_code == 404


def test_oauth_v2_access_exchanges_a_code_once(slack: SlackStandIn) -> None:
    code = slack.oauth_code(TEAM, "U2")
    oauth = WebClient(base_url=slack.url)
    granted = oauth.oauth_v2_access(client_id="123.456", client_secret="s3cr3t", code=code).data
    assert granted["access_token"] == TOKEN and granted["token_type"] == "bot"
    assert granted["team"] == {"id": TEAM, "name": "Cabinet Dupont"}
    assert granted["bot_user_id"] == "UBOT" and granted["enterprise"] is None
    assert granted["is_enterprise_install"] is False and "chat:write" in granted["scope"].split(",")
    assert granted["authed_user"]["id"] == "U2"
    assert WebClient(token=granted["authed_user"]["access_token"], base_url=slack.url).auth_test()["user_id"] == "U2"

    with pytest.raises(SlackApiError) as reused:
        oauth.oauth_v2_access(client_id="123.456", client_secret="s3cr3t", code=code)
    assert reused.value.response["error"] == "invalid_code"
    with pytest.raises(SlackApiError) as secret:
        oauth.oauth_v2_access(client_id="123.456", client_secret="wrong", code=slack.oauth_code(TEAM, "U2"))
    assert secret.value.response["error"] == "bad_client_secret"

    # Client credentials in the form body work as well as HTTP Basic.
    form = httpx.post(
        slack.url + "oauth.v2.access",
        data={"client_id": "123.456", "client_secret": "s3cr3t", "code": slack.oauth_code(TEAM, "U1")},
    ).json()
    assert form["ok"] and form["authed_user"]["id"] == "U1"


def test_oauth_redirect_uri_must_match_the_one_the_code_was_issued_for(slack: SlackStandIn) -> None:
    code = slack.oauth_code(TEAM, "U1", redirect_uri="https://billbot.test/slack/oauth_redirect")
    oauth = WebClient(base_url=slack.url)
    with pytest.raises(SlackApiError) as wrong:
        oauth.oauth_v2_access(client_id="123.456", client_secret="s3cr3t", code=code, redirect_uri="https://evil.test/")
    assert wrong.value.response["error"] == "bad_redirect_uri"


def test_concurrent_calls_are_all_recorded_with_unique_timestamps(slack: SlackStandIn, ws: Workspace) -> None:
    client = WebClient(token=TOKEN, base_url=slack.url)
    errors: list[BaseException] = []

    def post(worker: int) -> None:
        try:
            for i in range(25):
                client.chat_postMessage(channel="C1", text=f"{worker}-{i}")
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=post, args=(w,)) for w in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    messages = ws.messages("C1")
    assert len(messages) == 16 * 25
    assert len({m.ts for m in messages}) == len(messages)
    assert [m.ts for m in messages] == sorted(m.ts for m in messages)
    assert slack.wait_for(lambda: len(slack.calls("chat.postMessage")) == 400, timeout=1)
    with pytest.raises(TimeoutError):
        slack.wait_for(lambda: False, timeout=0.05)
