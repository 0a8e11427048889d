"""Builds the Bolt app and has every flow register its listeners on it.

Listeners are split Bolt's way into a fast ``ack`` part and ``lazy`` parts run after the response:
with ``process_before_response=True`` the ack runs on the request's own thread, so the HTTP answer
never waits behind slow work (Bolt's default mode acks from inside its listener thread pool, whose
queue fills under load). The lazy parts go to the durable work queue (bot.work_queue), written before
the response, and run by a Worker; those marked ``@trigger_bound`` (opening a modal) run at once instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

from bot import expired_trigger, unknown_commands
from bot.clean_input import CleanInput
from bot.metrics import MeterSlackCalls
from bot.request_shape import CheckShape
from bot.services import Services
from bot.slack_clients import installation_store, web_client
from bot.work_queue import DurableLazyRunner, QueueingListenerRunner, Worker

log = logging.getLogger(__name__)

# The least scopes the registered features need (each one is explained in the README).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "users:read",
    "usergroups:read",
    # The help channel (flows.help): @mentions, and messages in help channels and DMs.
    "app_mentions:read",
    "channels:history",
    "groups:history",
    "im:history",
    # Opening the creator's DM to look for an invoice message a crashed run may have posted there.
    "im:write",
    # Invoice PDFs and the template preview uploaded to Slack; the logo read back from the template modal.
    "files:write",
    "files:read",
)
OAUTH_STATE_SECONDS = 600


def build_app(services: Services, flows: list[Callable[[App, Services], None]] | None = None) -> App:
    settings = services.settings
    common: dict[str, Any] = {
        "signing_secret": settings.slack_signing_secret or "",
        "process_before_response": True,
        # An unknown payload is answered with a 404 instead of an exception.
        "raise_error_for_unhandled_request": False,
        # bot.server checks the signature before the body is even parsed, and a Worker replays requests
        # from our own database long after their timestamps went stale: Bolt must not check again.
        "request_verification_enabled": False,
    }
    if settings.multi_workspace:
        assert settings.slack_client_id and settings.slack_client_secret
        store = installation_store(services)
        oauth_settings = OAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret,
            scopes=list(BOT_SCOPES),
            user_scopes=[],
            install_path="/slack/install",
            redirect_uri_path="/slack/oauth_redirect",
            redirect_uri=f"{settings.public_url}/slack/oauth_redirect",
            installation_store=store,
            state_store=SQLAlchemyOAuthStateStore(
                expiration_seconds=OAUTH_STATE_SECONDS, engine=services.db.engine, table_name="slack_oauth_states"
            ),
        )
        app = App(client=web_client(services), oauth_settings=oauth_settings, **common)
    else:
        # The token is checked on the first request rather than at start-up, so the server starts (and
        # /healthz answers) even while Slack cannot be reached.
        app = App(client=web_client(services, settings.slack_bot_token), token_verification_enabled=False, **common)

    # Bolt 1.30 keeps its runner in a private attribute; the version is pinned and tests cover the swap.
    on_expired = expired_trigger.notifier(services)
    app._listener_runner = QueueingListenerRunner.replacing(
        app.listener_runner,
        DurableLazyRunner(services.work, app.logger, on_expired),
        on_expired=on_expired,
        in_flight=services.work.at_once,
    )
    app.middleware(MeterSlackCalls())  # Slack calls counted by method, modals timed from the request's arrival
    app.middleware(CleanInput())  # first, so everything after it reads clean text
    app.middleware(CheckShape())  # then no listener meets a request without the fields Slack always sends
    app.middleware(_ClaimEventsOnce(services))
    app.error(_log_listener_error)
    for register in flows if flows is not None else default_flows():
        register(app, services)
    unknown_commands.register(app, services)  # last: only what no flow took
    return app


def default_flows() -> list[Callable[[App, Services], None]]:
    from flows import (
        autopay,
        billing_settings,
        calendar,
        clients,
        home,
        invoice_template,
        invoices,
        reminders,
        reports,
        stripe_setup,
        workspace,
    )
    from flows import help as help_flow

    return [
        home.register,
        stripe_setup.register,
        billing_settings.register,
        invoice_template.register,
        clients.register,
        invoices.register,
        reminders.register,
        autopay.register,
        calendar.register,
        reports.register,
        help_flow.register,
        workspace.register,
    ]


class _ClaimEventsOnce(Middleware):
    """Slack re-sends an event it thinks we missed (X-Slack-Retry-Num): answer it, do nothing twice.

    A Middleware subclass rather than a decorated function: Bolt calls it directly, without building
    keyword arguments for it on every request (a tenth of an ack's time in Bolt, measured).
    """

    def __init__(self, services: Services) -> None:
        self.services = services

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse | None:
        body = req.body
        # A worker replaying work for an event it already claimed must get through.
        if not req.lazy_only and body.get("type") == "event_callback" and body.get("event_id"):
            team_id = body.get("team_id") or ""
            if not self.services.db.claim_once(team_id, "slack_event", body["event_id"]):
                log.info("Slack event %s already handled; acknowledging the retry", body["event_id"])
                return BoltResponse(status=200, body="")
        return next()


def _log_listener_error(error: Exception, body: dict[str, Any]) -> None:
    # The body is not logged: it can hold customer names, emails and amounts.
    log.error("listener failed for a %s request: %r", body.get("type") or "command", error, exc_info=error)


def start_worker(services: Services, app: App, *, threads: int = 8) -> Worker:
    """A worker in this process, woken by each enqueue (for Socket Mode, tests and `serve --worker-processes 0`)."""
    worker = Worker(services.work, app, threads=threads)
    runner = app.listener_runner.lazy_listener_runner
    if isinstance(runner, DurableLazyRunner):
        runner.on_enqueue(worker.wake)
    return worker.start()
