"""No secret and no client email in any log line: a whole journey at DEBUG through the real app, every line
it printed grepped for every secret it used; and `billbot serve` itself, whose uvicorn lines go through
our handler."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlmodel import select

from bot import log
from bot.models import BillingSettings, Client, Invoice
from bot.sandbox.slack import SlackStandIn, Workspace
from bot.sandbox.stripe import StripeEmulator
from flows.invoices import ids
from flows.invoices import ids as action_ids
from tests.bot.test_oauth_install import _install as install_through_oauth
from tests.conftest import (
    ADMIN,
    CLINIC_OWNER,
    CLINIC_TEAM_ID,
    SIGNING_SECRET,
    STRIPE_WEBHOOK_SECRET,
    TEAM_ID,
    Billbot,
    app_env,
)
from tests.flows.clients.test_clients import client_values, open_new_client_modal
from tests.flows.invoices.test_modal import choose_client, line_keys, slack_state, type_in
from tests.flows.stripe_setup.test_stripe_setup import authorize, buttons, on_app, open_setup
from tests.harness.running_app import RunningApp, free_port
from tests.harness.slack_requests import SlackRequests
from tests.harness.views import filled_view
from tests.paths import PROJECT_ROOT

PUBLIC_URL = "https://billbot.example.com"
CHANNEL = "C_INVOICES"
EMAIL = "jeanne.martin@example.com"


# -- Stripe seen from the app's side: what the emulator answered, so the test knows the tokens it issued -------


class RecordingProxy:
    """Forwards the app's Stripe calls to the emulator over HTTP and keeps the answers of /oauth/token."""

    def __init__(self, upstream: str) -> None:
        self.token_answers: list[dict[str, Any]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # the emulator's traffic is not under test
                pass

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                answer = httpx.request(self.command, upstream + self.path, content=body, headers=headers, timeout=10)
                if urlsplit(self.path).path == "/oauth/token" and answer.status_code == 200:
                    proxy.token_answers.append(answer.json())
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_DELETE = _forward

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> RecordingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


# -- every log line of the test, as a person running `billbot serve` at DEBUG would see them ----------------


def start_debug_logging() -> None:
    """As `billbot serve` at BILLBOT_LOG_LEVEL=DEBUG, in the test's call phase (whose stderr capfd reads)."""
    log.configure("DEBUG")
    every_logger_at_debug()


def every_logger_at_debug() -> None:
    logging.getLogger().setLevel(logging.DEBUG)
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            logger.setLevel(logging.DEBUG)


@pytest.fixture
def debug_logs(capfd: pytest.CaptureFixture[str]) -> Iterator[pytest.CaptureFixture[str]]:
    """What the test's start_debug_logging() changes is put back afterwards; the capture of stdout and stderr."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved_levels = {
        name: logger.level
        for name, logger in logging.Logger.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    saved_hooks = (sys.excepthook, threading.excepthook)
    saved_factory = logging.getLogRecordFactory()
    yield capfd
    logging.setLogRecordFactory(saved_factory)  # the rest of the run logs as it would have without this test
    root.handlers[:], root.level = saved_handlers, saved_level
    for name, logger in logging.Logger.manager.loggerDict.items():
        if isinstance(logger, logging.Logger):
            logger.setLevel(saved_levels.get(name, logging.NOTSET))
    sys.excepthook, threading.excepthook = saved_hooks
    logging.captureWarnings(False)


# -- the journey ----------------------------------------------------------------------------------------------


def wait(bb: Billbot, predicate: Any, timeout: float = 15) -> Any:
    return bb.slack.wait_for(predicate, timeout=timeout)


def invoice_row(bb: Billbot) -> Invoice | None:
    with bb.app.services.db.session() as session:
        return session.exec(select(Invoice)).first()


def connect_existing_account(bb: Billbot) -> str:
    """Connect OAuth, as a practice with a Stripe account of its own does; the one-time code Stripe gave."""
    callback = authorize(bb, buttons(open_setup(bb))["stripe_setup_oauth"]["url"])
    code = parse_qs(urlsplit(callback).query)["code"][0]
    page = httpx.get(on_app(bb, callback), timeout=10)
    assert page.status_code == 200 and "Your Stripe account is connected" in page.text
    wait(bb, lambda: any("Payments are on" in (m.text or "") for m in bb.workspace.dm(ADMIN)))
    return code


def add_client_with_email(bb: Billbot) -> None:
    bb.workspace.close_views(ADMIN)
    view = open_new_client_modal(bb)
    answer = bb.requests.submit(view, client_values("Jeanne Martin", EMAIL), user=ADMIN)
    assert answer.status_code == 200
    wait(bb, lambda: "is saved" in json.dumps(bb.workspace.view(view["id"])["blocks"]))


def create_invoice(bb: Billbot) -> Invoice:
    bb.workspace.add_channel(CHANNEL, name="invoices", members=[ADMIN, "U0BOT"])
    bb.workspace.close_views(ADMIN)
    assert bb.requests.command("/invoice", user=ADMIN, channel=CHANNEL).status_code == 200
    view = filled_view(bb.slack, bb.workspace, ADMIN)
    assert view["callback_id"] == ids.CALLBACK
    values = slack_state(view)
    with bb.app.services.db.session() as session:
        client_id = session.exec(select(Client)).one().id
    assert client_id is not None
    choose_client(values, view, client_id, "Jeanne Martin")
    key = line_keys(view)[0]
    type_in(values, view, key, ids.LINE_DESCRIPTION, "Consultation")
    type_in(values, view, key, ids.LINE_QUANTITY, "1")
    type_in(values, view, key, ids.LINE_PRICE, "80.00")
    assert bb.requests.submit(view, values, user=ADMIN).status_code == 200
    return wait(bb, lambda: (row := invoice_row(bb)) is not None and row.message_ts and row)  # type: ignore[no-any-return]


def send_payment_link(bb: Billbot, invoice: Invoice) -> None:
    bb.workspace.close_views(ADMIN)
    clicked = bb.requests.click(
        action_ids.SEND_LINK, user=ADMIN, value=str(invoice.id), channel=CHANNEL, message_ts=invoice.message_ts
    )
    assert clicked.status_code == 200
    confirmation = wait(bb, lambda: bb.workspace.views(ADMIN))[-1]
    assert EMAIL in json.dumps(confirmation)  # the clicker is shown the address; the logs must not be
    assert bb.requests.submit(confirmation, {}, user=ADMIN).status_code == 200
    wait(bb, lambda: any(e["type"] == "invoice.sent" for e in bb.stripe.events()))


def pay(bb: Billbot, invoice: Invoice) -> None:
    paid = httpx.post(invoice.hosted_invoice_url or "", data={"card_number": "4242424242424242"}, timeout=10)
    assert paid.status_code == 200
    wait(bb, lambda: (row := invoice_row(bb)) is not None and row.status == "paid")
    bb.stripe.wait_for_deliveries()
    deadline = time.monotonic() + 10
    while bb.app.services.work.counts()["pending"] and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_whole_journey_at_debug_logs_no_secret_and_no_email(
    debug_logs: pytest.CaptureFixture[str],
    slack: SlackStandIn,
    workspace: Workspace,
    database_url: str,
    stripe_emulator: StripeEmulator,
) -> None:
    start_debug_logging()
    with RecordingProxy(stripe_emulator.url) as stripe_proxy:
        env = app_env(slack, database_url, stripe_emulator, PUBLIC_URL=PUBLIC_URL, STRIPE_API_BASE=stripe_proxy.url)
        app = RunningApp(env)
        every_logger_at_debug()  # uvicorn's own loggers, set to WARNING by the harness's uvicorn.Config
        app.start()
        stripe_emulator.add_webhook_endpoint(f"{app.url}/stripe/webhook", STRIPE_WEBHOOK_SECRET)
        requests = SlackRequests(app.url, SIGNING_SECRET, slack, TEAM_ID)
        bb = Billbot(app=app, slack=slack, workspace=workspace, requests=requests, stripe=stripe_emulator)
        try:
            code = connect_existing_account(bb)
            with app.services.db.session() as session:
                session.add(BillingSettings(team_id=TEAM_ID, currency="eur", country="FR", city="Paris"))
            add_client_with_email(bb)
            invoice = create_invoice(bb)
            send_payment_link(bb, invoice)
            pay(bb, invoice)
        finally:
            requests.close()
            app.stop()
    [issued] = stripe_proxy.token_answers
    captured = debug_logs.readouterr()
    output = captured.out + captured.err
    lines = output.splitlines()
    print(f"{len(lines)} lines captured")

    # The capture saw the DEBUG traffic that used to carry the secrets, so zero hits below means something.
    assert any(" stripe: " in line and "/oauth/token" in line for line in lines)
    assert any(" DEBUG stripe: " in line and '"refresh_token":' in line for line in lines)  # the exchange's answer
    assert any(" DEBUG slack_sdk." in line for line in lines)
    assert any(line.startswith(("INFO:", "DEBUG:")) for line in lines)  # uvicorn's own handler wrote too

    secrets = {
        "Slack bot token": env["SLACK_BOT_TOKEN"],
        "Slack signing secret": SIGNING_SECRET,
        "Stripe API key": env["STRIPE_API_KEY"],
        "Stripe webhook secret": STRIPE_WEBHOOK_SECRET,
        "OAuth access token": issued["access_token"],
        "OAuth refresh token": issued["refresh_token"],
        "OAuth code": code,
        "client email": EMAIL,
        "client email, form-encoded": EMAIL.replace("@", "%40"),
    }
    hits = {what: sum(value in line for line in lines) for what, value in secrets.items()}
    print("hits:", hits)
    assert hits == dict.fromkeys(secrets, 0), [line for line in lines if any(v in line for v in secrets.values())][:5]


def test_a_slack_oauth_install_at_debug_logs_no_client_secret_code_or_token(
    debug_logs: pytest.CaptureFixture[str], slack: SlackStandIn, database_url: str
) -> None:
    start_debug_logging()
    slack.reset()
    env = app_env(slack, database_url, SLACK_CLIENT_ID=slack.client_id, SLACK_CLIENT_SECRET=slack.client_secret)
    del env["SLACK_BOT_TOKEN"]
    app = RunningApp({**env, "PUBLIC_URL": PUBLIC_URL})
    every_logger_at_debug()
    app.start()
    try:
        assert install_through_oauth(app, slack).status_code == 200
        requests = SlackRequests(app.url, SIGNING_SECRET, slack, CLINIC_TEAM_ID)
        assert requests.command("/billing", user=CLINIC_OWNER).status_code == 200
        slack.wait_for(lambda: slack.workspace(CLINIC_TEAM_ID).views(CLINIC_OWNER))
        requests.close()
    finally:
        app.stop()
    [exchange] = slack.calls("oauth.v2.access")
    lines = "".join(debug_logs.readouterr()).splitlines()
    print(f"{len(lines)} lines captured")
    assert any(" DEBUG slack_sdk." in line and "oauth.v2.access" in line for line in lines)
    secrets = {
        "Slack client secret": slack.client_secret,
        "Slack OAuth code": exchange.args["code"],
        "installed bot token": f"xoxb-test-{CLINIC_TEAM_ID}",
        "Slack signing secret": SIGNING_SECRET,
    }
    hits = {what: sum(value in line for line in lines) for what, value in secrets.items()}
    print("hits:", hits)
    assert hits == dict.fromkeys(secrets, 0), [line for line in lines if any(v in line for v in secrets.values())][:5]


# -- the masking itself ---------------------------------------------------------------------------------------


def test_args_tracebacks_and_configured_values_are_masked(debug_logs: pytest.CaptureFixture[str]) -> None:
    start_debug_logging()
    signing_secret = "a3f1c2e9b8d74f60a5c3e1d2b7f8a9c0"  # no telltale prefix: masked because it is configured
    log.mask_values([signing_secret])
    logger = logging.getLogger("billbot.test")
    logger.debug("exchanging %s for %s", "ac_" + "Q" * 32, {"refresh_token": "rt_" + "R" * 24})
    logger.info("sent to %s with %s", "jeanne@example.com", "Bearer sk_live_" + "K" * 24)
    logger.warning("headers %r", {"Authorization": "Bearer xoxe.xoxb-1-abc", "X-Key": signing_secret})
    try:
        raise RuntimeError(f"token xoxe-1-{'T' * 30} refused for jeanne@example.com")
    except RuntimeError:
        logger.exception("failed with whsec_%s", "W" * 24)
    output = debug_logs.readouterr().err
    for secret in ("Q" * 32, "R" * 24, "jeanne@", "K" * 24, "xoxb-1-abc", signing_secret, "T" * 30, "W" * 24):
        assert secret not in output, (secret, output)
    assert "j…@example.com" in output and "RuntimeError: token xoxe-… refused" in output
    assert output.count("Traceback (most recent call last)") == 1


def test_uvicorn_access_lines_keep_their_args_and_lose_their_secrets(debug_logs: pytest.CaptureFixture[str]) -> None:
    # uvicorn's access formatter unpacks record.args: masked, they must stay a 5-tuple.
    from uvicorn.logging import AccessFormatter

    start_debug_logging()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False))
    access = logging.getLogger("uvicorn.access")
    access.addHandler(handler)
    try:
        path = "/stripe/oauth/callback?code=ac_" + "C" * 32 + "&state=s"
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", path, "1.1", 200)
    finally:
        access.removeHandler(handler)
    output = debug_logs.readouterr().err
    assert "C" * 32 not in output
    assert '127.0.0.1:5000 - "GET /stripe/oauth/callback?code=…&state=s HTTP/1.1" 200' in output


# -- billbot serve, a real process ------------------------------------------------------------------------------


def test_billbot_serve_at_debug_sends_uvicorn_through_our_masked_handler(
    slack: SlackStandIn, database_url: str
) -> None:
    port = free_port()
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "STRIPE_", "DATABASE_", "BILLBOT_"))}
    env = {**kept, **app_env(slack, database_url), "PORT": str(port), "BILLBOT_LOG_LEVEL": "DEBUG"}
    serve = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--no-scheduler", "--worker-processes", "0"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while serve.poll() is None and time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        # A request whose query carries a one-time OAuth code, as Stripe's redirect does.
        httpx.get(f"http://127.0.0.1:{port}/stripe/oauth/callback?code=ac_{'C' * 32}&state=x", timeout=5)
    finally:
        serve.send_signal(signal.SIGTERM)
        output, _ = serve.communicate(timeout=20)
    lines = output.splitlines()
    print(f"{len(lines)} lines from billbot serve")
    ours = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR) [\w.]+: ")
    started = [line for line in lines if "Uvicorn running on" in line or "Started server process" in line]
    assert started and all(ours.match(line) and " uvicorn.error: " in line for line in started), output
    assert not [line for line in lines if line.startswith(("INFO:", "DEBUG:", "WARNING:"))], output  # uvicorn's own
    for secret in (SIGNING_SECRET, env["SLACK_BOT_TOKEN"], STRIPE_WEBHOOK_SECRET, "C" * 32):
        assert secret not in output, secret


def _lines_logged_at(level: str, capture: pytest.CaptureFixture[str]) -> str:
    log.configure(level)
    for name in ("fontTools.subset", "httpx", "stripe", "apscheduler.scheduler", "bot.work_queue", "flows.invoices"):
        logging.getLogger(name).setLevel(logging.DEBUG)
        logging.getLogger(name).info("info from %s", name)
        logging.getLogger(name).warning("warning from %s", name)
    return capture.readouterr().err


def test_below_debug_libraries_log_their_warnings_only_and_billbots_own_lines_stay(
    debug_logs: pytest.CaptureFixture[str],
) -> None:
    logged = _lines_logged_at("INFO", debug_logs)
    for library in ("fontTools.subset", "httpx", "stripe", "apscheduler.scheduler"):
        assert f"info from {library}" not in logged
        assert f"warning from {library}" in logged
    for own in ("bot.work_queue", "flows.invoices"):
        assert f"info from {own}" in logged and f"warning from {own}" in logged


def test_at_debug_every_librarys_lines_are_kept(debug_logs: pytest.CaptureFixture[str]) -> None:
    logged = _lines_logged_at("DEBUG", debug_logs)
    for name in ("fontTools.subset", "httpx", "stripe", "bot.work_queue"):
        assert f"info from {name}" in logged
