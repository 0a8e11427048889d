"""Everything the playground runs on this machine: the Slack stand-in, Stripe (the emulator unless a real key is
set), a SQLite file, the Billbot app exactly as `billbot serve` builds it, and the page server in front."""

from __future__ import annotations

import logging
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from bot.db import upgrade
from bot.sandbox.slack import SlackStandIn, Workspace
from bot.sandbox.stripe import StripeEmulator
from bot.settings import Mode, Settings, load_settings

from . import calendar_demo, demo
from .page import build_page_app
from .slack_client import SlackClient

log = logging.getLogger(__name__)

DEFAULT_DATABASE = "billbot-playground.db"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Options:
    host: str = "127.0.0.1"
    port: int = 3000
    database: Path = Path(DEFAULT_DATABASE)
    # The user's own environment, read by bot.settings: a real STRIPE_API_KEY replaces the emulator.
    stripe_api_key: str | None = None
    stripe_api_base: str | None = None
    stripe_client_id: str | None = None
    default_locale: str = "en"


def options_from_environment(host: str | None, port: int | None, database: Path) -> Options:
    """The playground's options: the command line's host and port, else HOST and PORT as `serve` reads them."""
    user = load_settings(Mode.DATABASE)
    return Options(
        host=host if host is not None else user.host,
        port=port if port is not None else user.port,
        database=database,
        stripe_api_key=user.stripe_api_key,
        stripe_api_base=user.stripe_api_base,
        stripe_client_id=user.stripe_client_id,
        default_locale=user.default_locale,
    )


class _Served:
    """An ASGI app under uvicorn in a thread, so tests and the command line stop it the same way."""

    def __init__(self, app: Any, host: str, port: int, name: str) -> None:
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name=name, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"{self.thread.name} did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


class Playground:
    """``start()`` brings every part up, ``url`` is the page; ``stop()`` takes them down in reverse order."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.signing_secret = secrets.token_hex(16)
        self.webhook_secret = "whsec_" + secrets.token_hex(16)
        self.slack = SlackStandIn()
        self.workspace: Workspace = demo.add_demo_workspace(self.slack)
        self.stripe: StripeEmulator | None = None
        self.calendar: calendar_demo.DemoCalendarServer | None = None
        self.app_port = free_port(options.host)
        # Port 0 (tests) picks a free one, so several playgrounds can run side by side.
        self.port = options.port or free_port(options.host)
        self._parts: list[Any] = []
        self.client: SlackClient | None = None
        self.settings: Settings | None = None

    @property
    def url(self) -> str:
        return f"http://{self.options.host}:{self.port}/"

    @property
    def app_url(self) -> str:
        return f"http://{self.options.host}:{self.app_port}"

    def _environment(self) -> dict[str, str]:
        env = {
            "SLACK_BOT_TOKEN": demo.BOT_TOKEN,
            "SLACK_SIGNING_SECRET": self.signing_secret,
            "SLACK_API_URL": self.slack.url,
            "DATABASE_URL": f"sqlite:///{self.options.database.resolve()}",
            # Stripe sends people back to the page server, which hands /stripe/* on to the app.
            "PUBLIC_URL": self.url.rstrip("/"),
            "STRIPE_WEBHOOK_SECRET": self.webhook_secret,
            "BILLBOT_DEFAULT_LOCALE": self.options.default_locale,
            # The demo calendar is served on loopback over http, which only the sandbox may read.
            "BILLBOT_CALENDAR_LOCAL_FEEDS": "1",
        }
        if self.options.stripe_api_key:
            env["STRIPE_API_KEY"] = self.options.stripe_api_key
            if self.options.stripe_api_base:
                env["STRIPE_API_BASE"] = self.options.stripe_api_base
            if self.options.stripe_client_id:
                env["STRIPE_CLIENT_ID"] = self.options.stripe_client_id
        elif self.stripe is not None:
            env |= {
                "STRIPE_API_KEY": self.stripe.api_key,
                "STRIPE_API_BASE": self.stripe.url,
                "STRIPE_CLIENT_ID": self.stripe.connect_client_id,
            }
        return env

    def start(self) -> Playground:
        from bot.scheduler import build_scheduler
        from bot.server import create
        from bot.slack_app import start_worker

        self.slack.start(self.options.host)
        self._parts.append(self.slack)
        if not self.options.stripe_api_key:
            self.stripe = StripeEmulator(webhook_backoff=0.2).start(self.options.host)
            self._parts.append(self.stripe)
        # A fresh database each start: the stand-in and the emulator keep their state in memory, so rows
        # from an earlier run would point at messages and Stripe objects that no longer exist.
        database = self.options.database
        # The WAL and shared-memory files go too: SQLite would replay an old WAL into the new database.
        leftovers = [database, *(database.with_name(database.name + suffix) for suffix in ("-journal", "-wal", "-shm"))]
        for leftover in leftovers:
            leftover.unlink(missing_ok=True)
        env = self._environment()
        upgrade(env["DATABASE_URL"])
        self.settings = load_settings(Mode.HTTP, {**env, "HOST": self.options.host, "PORT": str(self.app_port)})
        services, bolt_app, http_app = create(self.settings)
        self.services = services
        worker = start_worker(services, bolt_app)
        self._parts.append(worker)
        app_server = _Served(http_app, self.options.host, self.app_port, "billbot-app")
        app_server.start()
        self._parts.append(app_server)
        # The demo calendar, served locally and connected as the admin's: the App Home's week view is filled.
        self.calendar = calendar_demo.DemoCalendarServer(self.options.host).start()
        self._parts.append(self.calendar)
        calendar_demo.connect_demo_calendar(services, self.calendar.url)
        if self.stripe is not None:
            self.stripe.add_webhook_endpoint(f"{self.app_url}/stripe/webhook", self.webhook_secret)
        scheduler = build_scheduler(services, blocking=False)
        scheduler.start()
        self._parts.append(scheduler)
        self.client = SlackClient(self.app_url, self.signing_secret, self.slack, demo.TEAM_ID)
        page = build_page_app(self.slack, self.client, self.app_url)
        page_server = _Served(page, self.options.host, self.port, "billbot-playground")
        page_server.start()
        self._parts.append(page_server)
        return self

    def stop(self) -> None:
        for part in reversed(self._parts):
            try:
                if hasattr(part, "shutdown"):
                    part.shutdown(wait=False)
                else:
                    part.stop()
            except Exception:
                log.exception("stopping %s failed", part)
        self._parts.clear()
        if self.client is not None:
            self.client.close()
        if self.settings is not None:
            self.services.close()

    def __enter__(self) -> Playground:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
