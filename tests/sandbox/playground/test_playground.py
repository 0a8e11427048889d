"""The playground's page server and the Slack requests it builds, over real HTTP with httpx.

Two receivers: the real app (the playground as `billbot playground` starts it), for what the member sees happen,
and a recorder standing where the app would, for the exact requests Slack's side sends and what Slack's side
does with each kind of answer.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import yaml
from slack_sdk.signature import SignatureVerifier

from bot.modals import LOADING_CALLBACK_ID
from bot.sandbox.playground import Options, Playground, SlackClient
from bot.sandbox.playground.demo import ADMIN, GENERAL, HELP, MEMBER, TEAM_ID, add_demo_workspace
from bot.sandbox.playground.page import GLOBAL_SHORTCUTS
from bot.sandbox.slack import SlackStandIn
from bot.sandbox.slack.methods import ApiError

SECRET = "recorder-signing-secret"


# -- a stand-in for the app that records what it is sent ---------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.answers: list[tuple[int, bytes, str]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                recorder.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status, payload, kind = recorder.answers.pop(0) if recorder.answers else (200, b"", "text/plain")
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer_json(self, body: dict[str, Any]) -> None:
        self.answers.append((200, json.dumps(body).encode(), "application/json"))

    def last(self) -> tuple[dict[str, str], bytes]:
        return self.requests[-1]

    def last_payload(self) -> dict[str, Any]:
        _, body = self.last()
        payload: dict[str, Any] = json.loads(parse_qs(body.decode())["payload"][0])
        return payload

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorded() -> Iterator[tuple[SlackClient, Recorder, SlackStandIn]]:
    slack = SlackStandIn()
    add_demo_workspace(slack)
    slack.start()
    recorder = Recorder()
    client = SlackClient(recorder.url, SECRET, slack, TEAM_ID)
    yield client, recorder, slack
    client.close()
    recorder.stop()
    slack.stop()


def signed_by_slack_recipe(headers: dict[str, str], body: bytes) -> bool:
    return SignatureVerifier(SECRET).is_valid(
        body.decode(), headers["x-slack-request-timestamp"], headers["x-slack-signature"]
    )


MODAL = {
    "type": "modal",
    "callback_id": "demo",
    "title": {"type": "plain_text", "text": "Demo"},
    "submit": {"type": "plain_text", "text": "Save"},
    "blocks": [
        {
            "type": "input",
            "block_id": "name",
            "label": {"type": "plain_text", "text": "Name"},
            "element": {"type": "plain_text_input", "action_id": "name"},
        }
    ],
}


def open_modal(client: SlackClient, slack: SlackStandIn, user: str = ADMIN) -> str:
    trigger = slack.issue_trigger_id(TEAM_ID, user)
    web = httpx.post(
        slack.url + "views.open",
        data={"trigger_id": trigger, "view": json.dumps(MODAL)},
        headers={"Authorization": f"Bearer {client.workspace.bot_token}"},
    )
    assert web.json()["ok"], web.json()
    return str(web.json()["view"]["id"])


# -- the requests Slack sends ------------------------------------------------------------------------------------


def test_a_slash_command_is_the_signed_form_slack_posts_and_its_answer_shows_to_the_member_alone(recorded) -> None:
    client, recorder, slack = recorded
    recorder.answers.append((200, b"Working on it", "text/plain"))
    outcome = client.command(ADMIN, GENERAL, "/billing", "settings")
    headers, body = recorder.last()
    assert outcome.status == 200
    assert headers["content-type"] == "application/x-www-form-urlencoded"
    assert signed_by_slack_recipe(headers, body)
    form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
    assert form["command"] == "/billing" and form["text"] == "settings"
    assert form["team_id"] == TEAM_ID and form["channel_id"] == GENERAL and form["user_id"] == ADMIN
    assert form["channel_name"] == "general" and form["user_name"] == "alex"
    # The trigger is one the stand-in issued: views.open accepts it once.
    assert slack.exchange_trigger(TEAM_ID, form["trigger_id"]) == ADMIN
    posted = httpx.post(form["response_url"], json={"text": "Done"})
    assert posted.status_code == 200
    texts = [m.text for m in client.workspace.ephemeral(GENERAL, ADMIN)]
    assert texts == ["Working on it", "Done"]
    assert client.workspace.ephemeral(GENERAL, MEMBER) == []


def test_a_command_the_app_fails_shows_slacks_own_error(recorded) -> None:
    client, recorder, _ = recorded
    recorder.answers.append((500, b"boom", "text/plain"))
    outcome = client.command(ADMIN, GENERAL, "/invoice", "")
    assert outcome.status == 502
    [shown] = client.workspace.ephemeral(GENERAL, ADMIN)
    assert shown.text == '/invoice failed with the error "http_500"'


def test_a_message_is_shown_in_the_channel_and_sent_as_a_signed_event(recorded) -> None:
    client, recorder, _ = recorded
    client.message(MEMBER, HELP, "Comment envoyer une facture ?")
    headers, body = recorder.last()
    assert headers["content-type"] == "application/json" and signed_by_slack_recipe(headers, body)
    envelope = json.loads(body)
    assert envelope["type"] == "event_callback" and envelope["team_id"] == TEAM_ID
    event = envelope["event"]
    assert (event["type"], event["channel"], event["user"], event["channel_type"]) == (
        "message",
        HELP,
        MEMBER,
        "channel",
    )
    [shown] = client.workspace.messages(HELP)
    assert shown.ts == event["ts"] and shown.text == "Comment envoyer une facture ?"


def test_naming_the_bot_also_sends_app_mention(recorded) -> None:
    client, recorder, _ = recorded
    client.message(ADMIN, GENERAL, "@billbot is INV-0001 paid?")
    kinds = [json.loads(body)["event"]["type"] for _, body in recorder.requests]
    assert kinds == ["message", "app_mention"]
    assert json.loads(recorder.last()[1])["event"]["text"] == "<@U0BILLBOT> is INV-0001 paid?"


def test_a_click_in_a_modal_carries_the_view_with_what_the_member_typed(recorded) -> None:
    client, recorder, slack = recorded
    view_id = open_modal(client, slack)
    values = {"name": {"name": {"type": "plain_text_input", "value": "Élodie"}}}
    action = {
        "type": "button",
        "action_id": "go",
        "block_id": "b1",
        "value": "7",
        "text": {"type": "plain_text", "text": "Go"},
    }
    client.action(ADMIN, action, view_id=view_id, values=values)
    headers, body = recorder.last()
    assert signed_by_slack_recipe(headers, body)
    payload = recorder.last_payload()
    assert payload["type"] == "block_actions" and payload["user"]["id"] == ADMIN
    assert payload["container"] == {"type": "view", "view_id": view_id}
    assert payload["view"]["id"] == view_id and payload["view"]["state"]["values"] == values
    assert payload["actions"][0]["action_id"] == "go" and payload["actions"][0]["value"] == "7"
    assert "action_ts" in payload["actions"][0]
    assert slack.exchange_trigger(TEAM_ID, payload["trigger_id"]) == ADMIN


def test_a_click_in_a_message_carries_the_message_and_a_response_url(recorded) -> None:
    client, recorder, slack = recorded
    web = httpx.post(
        slack.url + "chat.postMessage",
        data={
            "channel": GENERAL,
            "text": "Invoice",
            "blocks": json.dumps(
                [
                    {
                        "type": "actions",
                        "block_id": "acts",
                        "elements": [
                            {"type": "button", "action_id": "pay", "text": {"type": "plain_text", "text": "Pay"}}
                        ],
                    }
                ]
            ),
        },
        headers={"Authorization": f"Bearer {client.workspace.bot_token}"},
    ).json()
    action = {"type": "button", "action_id": "pay", "block_id": "acts", "text": {"type": "plain_text", "text": "Pay"}}
    client.action(ADMIN, action, channel_id=GENERAL, message_ts=web["ts"])
    payload = recorder.last_payload()
    assert payload["container"] == {
        "type": "message",
        "message_ts": web["ts"],
        "channel_id": GENERAL,
        "is_ephemeral": False,
    }
    assert payload["channel"]["id"] == GENERAL and payload["message"]["ts"] == web["ts"]
    assert httpx.post(payload["response_url"], json={"text": "Paid"}).status_code == 200
    assert [m.text for m in client.workspace.ephemeral(GENERAL, ADMIN)] == ["Paid"]


def test_submission_answers_do_what_slack_does_with_them(recorded) -> None:
    client, recorder, slack = recorded
    ws = client.workspace
    view_id = open_modal(client, slack)
    values = {"name": {"name": {"type": "plain_text_input", "value": ""}}}

    recorder.answer_json({"response_action": "errors", "errors": {"name": "Type a name."}})
    outcome = client.submit(ADMIN, view_id, values)
    assert outcome.errors == {"name": "Type a name."}
    assert [v["id"] for v in ws.views(ADMIN)] == [view_id]
    payload = recorder.last_payload()
    assert payload["type"] == "view_submission" and payload["view"]["state"]["values"] == values

    updated = {**MODAL, "title": {"type": "plain_text", "text": "Updated"}}
    recorder.answer_json({"response_action": "update", "view": updated})
    assert client.submit(ADMIN, view_id, values).errors == {}
    [view] = ws.views(ADMIN)
    assert view["id"] == view_id and view["title"]["text"] == "Updated"

    recorder.answer_json({"response_action": "push", "view": {**MODAL, "callback_id": "pushed"}})
    client.submit(ADMIN, view_id, values)
    stack = ws.views(ADMIN)
    assert [v["callback_id"] for v in stack] == ["demo", "pushed"]
    assert stack[1]["previous_view_id"] == view_id

    client.submit(ADMIN, stack[1]["id"], values)  # an empty answer closes the top view only
    assert [v["id"] for v in ws.views(ADMIN)] == [view_id]

    recorder.answer_json({"response_action": "clear"})
    client.submit(ADMIN, view_id, values)
    assert ws.views(ADMIN) == []


def test_a_view_the_app_answers_with_is_checked_against_slacks_limits(recorded) -> None:
    client, recorder, slack = recorded
    view_id = open_modal(client, slack)
    too_long = {**MODAL, "title": {"type": "plain_text", "text": "x" * 40}}
    recorder.answer_json({"response_action": "update", "view": too_long})
    outcome = client.submit(ADMIN, view_id, {})
    assert outcome.problem and "Slack refused" in outcome.problem
    assert client.workspace.views(ADMIN)[0]["title"]["text"] == "Demo"


def test_closing_a_view_that_asked_to_be_told_sends_view_closed(recorded) -> None:
    client, recorder, slack = recorded
    trigger = slack.issue_trigger_id(TEAM_ID, ADMIN)
    view = httpx.post(
        slack.url + "views.open",
        data={"trigger_id": trigger, "view": json.dumps({**MODAL, "notify_on_close": True})},
        headers={"Authorization": f"Bearer {client.workspace.bot_token}"},
    )
    view_id = view.json()["view"]["id"]
    client.close_view(ADMIN, view_id, all_views=True)
    payload = recorder.last_payload()
    assert payload["type"] == "view_closed" and payload["view"]["id"] == view_id and payload["is_cleared"] is True
    assert client.workspace.views(ADMIN) == []


def test_typing_in_an_external_select_asks_the_app_for_options(recorded) -> None:
    client, recorder, slack = recorded
    view_id = open_modal(client, slack)
    options = [{"text": {"type": "plain_text", "text": "Élodie Martin"}, "value": "1"}]
    recorder.answer_json({"options": options})
    outcome = client.suggest(ADMIN, "client", "client.0", "élo", view_id=view_id)
    assert outcome.options == options
    payload = recorder.last_payload()
    assert (payload["type"], payload["action_id"], payload["block_id"], payload["value"]) == (
        "block_suggestion",
        "client",
        "client.0",
        "élo",
    )
    assert payload["view"]["id"] == view_id


def test_requests_from_someone_outside_the_workspace_are_refused(recorded) -> None:
    client, recorder, _ = recorded
    with pytest.raises(ValueError):
        client.command("U0STRANGER", GENERAL, "/billing", "")
    with pytest.raises(ValueError):
        client.message("U0BILLBOT", GENERAL, "I am the bot")
    with pytest.raises(ApiError):
        client.slack.exchange_trigger(TEAM_ID, "1.2.abc")
    assert recorder.requests == []


# -- the page server in front of the real app ------------------------------------------------------------------


@pytest.fixture(scope="module")
def playground(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Playground]:
    database: Path = tmp_path_factory.mktemp("playground") / "playground.db"
    running = Playground(Options(port=0, database=database)).start()
    yield running
    running.stop()


@pytest.fixture
def page(playground: Playground) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=playground.url, timeout=15) as http:
        yield http


def test_the_page_and_its_state(page: httpx.Client) -> None:
    html = page.get("/")
    assert html.status_code == 200 and "/static/blockkit.js" in html.text
    assert page.get("/static/blockkit.js").status_code == 200
    state = page.get("/api/state").json()
    assert state["me"] == ADMIN and state["team"]["id"] == TEAM_ID
    assert [c["name"] for c in state["channels"]] == ["general", "help", "Billbot"]
    assert state["channels"][-1]["kind"] == "app"
    assert state["words"]["send"] == "Send"
    french = page.get("/api/state", params={"user": MEMBER}).json()
    assert french["words"]["send"] == "Envoyer"
    # What Slack writes itself beside the app's blocks, the renderer writes in the viewer's language.
    assert (french["locale"], french["words"]["optional"]) == ("fr-FR", "(facultatif)")
    assert (state["locale"], state["words"]["optional"]) == ("en-US", "(optional)")
    assert page.get("/api/state", params={"user": "U0NOBODY"}).status_code == 400


def test_a_command_opens_the_apps_modal_and_a_bad_submission_shows_inline_errors(
    page: httpx.Client, playground: Playground
) -> None:
    answer = page.post("/api/command", json={"user": ADMIN, "channel": GENERAL, "text": "/billing settings"})
    assert answer.status_code == 200, answer.text
    stack = playground.slack.wait_for(lambda: playground.workspace.views(ADMIN))
    view = stack[-1]
    assert view["callback_id"] == "billing_settings"
    submitted = page.post(
        "/api/submit",
        json={
            "user": ADMIN,
            "view_id": view["id"],
            "values": {"address_line1": {"address_line1": {"type": "plain_text_input", "value": None}}},
        },
    )
    assert submitted.status_code == 200
    assert submitted.json()["errors"], submitted.json()
    assert playground.workspace.views(ADMIN)[-1]["id"] == view["id"]
    closed = page.post("/api/close", json={"user": ADMIN, "view_id": view["id"], "all": True})
    assert closed.status_code == 200 and playground.workspace.views(ADMIN) == []


def test_opening_the_home_tab_gets_the_app_to_publish_it(page: httpx.Client, playground: Playground) -> None:
    assert page.post("/api/home", json={"user": MEMBER}).status_code == 200
    home = playground.slack.wait_for(lambda: playground.workspace.home(MEMBER))
    assert home["type"] == "home" and home["blocks"]
    assert page.get("/api/state", params={"user": MEMBER}).json()["home"]["id"] == home["id"]


def test_a_file_picked_in_a_file_input_is_stored_as_slack_stores_it(page: httpx.Client) -> None:
    uploaded = page.post("/api/upload", params={"user": ADMIN, "filename": "logo.png"}, content=b"\x89PNG-bytes")
    assert uploaded.status_code == 200
    file = uploaded.json()
    assert file["name"] == "logo.png" and file["size"] == len(b"\x89PNG-bytes") and file["url_private"]
    assert page.get(f"/files/{file['id']}/logo.png").content == b"\x89PNG-bytes"
    assert page.post("/api/upload", params={"filename": "x.png"}, content=b"x").status_code == 400


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/command", {"user": ADMIN, "channel": GENERAL, "text": "billing"}),
        ("/api/command", {"user": ADMIN, "channel": GENERAL}),
        ("/api/action", {"user": ADMIN, "action": {"type": "button"}}),
        ("/api/submit", {"user": ADMIN, "view_id": "V1", "values": {"b": "not a dict"}}),
        ("/api/message", ["not", "an", "object"]),
    ],
)
def test_malformed_requests_are_refused_before_anything_reaches_the_app(
    page: httpx.Client, playground: Playground, path: str, body: Any
) -> None:
    before = len(playground.slack.calls())
    assert page.post(path, json=body).status_code == 400
    assert len(playground.slack.calls()) == before


def test_stripes_redirects_to_public_url_reach_the_app(page: httpx.Client, playground: Playground) -> None:
    assert playground.settings is not None and playground.settings.public_url == playground.url.rstrip("/")
    returned = page.get("/stripe/return", params={"t": "not-a-token"})
    direct = httpx.get(playground.app_url + "/stripe/return", params={"t": "not-a-token"})
    assert (returned.status_code, returned.text) == (direct.status_code, direct.text)
    assert page.get("/healthz").json()["ok"] is True


def test_the_new_invoice_shortcut_opens_the_invoice_modal(page: httpx.Client, playground: Playground) -> None:
    state = page.get("/api/state", params={"user": MEMBER}).json()
    assert state["shortcuts"] == ["new_invoice"] and state["words"]["shortcut_new_invoice"] == "Nouvelle facture"
    answer = page.post("/api/shortcut", json={"user": ADMIN, "callback_id": "new_invoice"})
    assert answer.status_code == 200, answer.text

    def filled() -> dict[str, Any] | None:
        stack = playground.workspace.views(ADMIN)
        return stack[-1] if stack and stack[-1]["callback_id"] != LOADING_CALLBACK_ID else None

    view = playground.slack.wait_for(filled)
    assert view["callback_id"] == "invoice_modal"
    page.post("/api/close", json={"user": ADMIN, "view_id": view["id"], "all": True})


def test_only_the_apps_shortcuts_can_be_sent(page: httpx.Client, playground: Playground) -> None:
    answer = page.post("/api/shortcut", json={"user": ADMIN, "callback_id": "delete_everything"})
    assert answer.status_code == 400 and "new_invoice" in answer.json()["error"]
    assert page.post("/api/shortcut", json={"user": "U0NOBODY", "callback_id": "new_invoice"}).status_code == 404


def test_the_playgrounds_shortcuts_are_the_manifests() -> None:
    manifest = yaml.safe_load((Path(__file__).resolve().parents[3] / "manifest.yml").read_text())
    declared = {s["callback_id"] for s in manifest["features"]["shortcuts"] if s["type"] == "global"}
    assert declared == set(GLOBAL_SHORTCUTS)
