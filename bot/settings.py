"""Every setting Billbot reads, from environment variables, in one typed object.

This is the only module that reads ``os.environ``. Each problem with the environment becomes one
plain sentence naming the variable, so a configuration mistake never ends in a stack trace.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot import log

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///billbot.db"
DEFAULT_PUBLIC_URL = "http://localhost:3000"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 3000
DEFAULT_WORK_LEASE_SECONDS = 60
DEFAULT_CALENDAR_SYNC_MINUTES = 15
DEFAULT_CALENDAR_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_CALENDAR_TIMEOUT_SECONDS = 10
SUPPORTED_LOCALES = ("en", "fr")
# The kind of connected account "Set up payments" creates; "none" means the platform key (STRIPE_API_KEY)
# is the practice's own Stripe account, and set-up acts on it directly.
CONNECT_ACCOUNT_TYPES = ("express", "standard", "custom", "none")


class Mode(Enum):
    """What the process is started to do; each mode needs a different part of the environment."""

    HTTP = "serve"
    SOCKET = "socket"
    SCHEDULER = "scheduler"
    DATABASE = "db"


class ConfigError(Exception):
    """The environment is not usable; ``problems`` holds one sentence per variable."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Settings:
    slack_signing_secret: str | None = None
    slack_bot_token: str | None = None
    slack_app_token: str | None = None
    slack_client_id: str | None = None
    slack_client_secret: str | None = field(default=None, repr=False)
    slack_api_url: str = DEFAULT_SLACK_API_URL
    stripe_api_key: str | None = field(default=None, repr=False)
    stripe_api_base: str | None = None
    stripe_webhook_secret: str | None = field(default=None, repr=False)
    stripe_client_id: str | None = None
    stripe_connect_account_type: str = "express"
    database_url: str = DEFAULT_DATABASE_URL
    public_url: str = DEFAULT_PUBLIC_URL
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    default_locale: str = "en"
    # How long a worker holds a job it took before another worker may take it (it must outlast the
    # slowest job; a worker killed mid-job delays that job by this much, no more).
    work_lease_seconds: int = DEFAULT_WORK_LEASE_SECONDS
    # Calendar feeds: how often the scheduler re-reads each address, the largest body read, the whole fetch's
    # deadline, and whether http and loopback/private addresses are allowed (the test harness and playground only).
    calendar_sync_minutes: int = DEFAULT_CALENDAR_SYNC_MINUTES
    calendar_max_bytes: int = DEFAULT_CALENDAR_MAX_BYTES
    calendar_timeout_seconds: int = DEFAULT_CALENDAR_TIMEOUT_SECONDS
    calendar_local_feeds: bool = False

    @property
    def multi_workspace(self) -> bool:
        return bool(self.slack_client_id and self.slack_client_secret)

    def __repr__(self) -> str:
        # Secrets never reach a log line, even through an accidental repr().
        shown = {
            "slack_bot_token": _mask(self.slack_bot_token),
            "slack_app_token": _mask(self.slack_app_token),
            "slack_client_id": self.slack_client_id,
            "slack_api_url": self.slack_api_url,
            "stripe_api_base": self.stripe_api_base,
            "stripe_client_id": self.stripe_client_id,
            "stripe_connect_account_type": self.stripe_connect_account_type,
            "database_url": _hide_password(self.database_url),
            "public_url": self.public_url,
            "host": self.host,
            "port": self.port,
        }
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"


def _mask(secret: str | None) -> str | None:
    return None if secret is None else secret[:5] + "…"


def _hide_password(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable>"


class _Reader:
    """Reads variables from the environment, collecting one sentence per problem instead of stopping at the first."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []

    def get(self, name: str) -> str | None:
        value = self.env.get(name, "").strip()
        return value or None

    def url(self, name: str, default: str | None) -> str | None:
        value = self.get(name) or default
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            self.problems.append(f"{name} must be an http(s) URL such as https://example.com, not {value!r}.")
        return value

    def prefixed(self, name: str, prefixes: tuple[str, ...], what: str) -> str | None:
        value = self.get(name)
        if value is not None and not value.startswith(prefixes):
            self.problems.append(f"{name} does not look like {what} (it should start with {' or '.join(prefixes)}).")
        return value

    def whole_number(self, name: str, default: int, low: int, high: int, what: str) -> int:
        raw = self.get(name)
        if raw is None:
            return default
        if raw.isascii() and raw.isdigit() and low <= int(raw) <= high:
            return int(raw)
        self.problems.append(f"{name} must be a whole number {what}from {low} to {high}, not {raw!r}.")
        return default

    def choice(self, name: str, default: str, allowed: tuple[str, ...], length: int | None = None) -> str:
        value = (self.get(name) or default).lower()[:length]
        if value not in allowed:
            self.problems.append(f"{name} must be one of {', '.join(allowed)}, not {value!r}.")
        return value


def load_settings(mode: Mode, environ: Mapping[str, str] | None = None) -> Settings:
    """Read and check the environment for ``mode``; raise ConfigError listing every problem at once."""
    read = _Reader(os.environ if environ is None else environ)
    signing_secret = read.get("SLACK_SIGNING_SECRET")
    bot_token = read.prefixed("SLACK_BOT_TOKEN", ("xoxb-",), "a Slack bot token")
    app_token = read.prefixed("SLACK_APP_TOKEN", ("xapp-",), "a Slack app-level token")
    client_id = read.get("SLACK_CLIENT_ID")
    client_secret = read.get("SLACK_CLIENT_SECRET")
    slack_api_url = read.url("SLACK_API_URL", DEFAULT_SLACK_API_URL) or DEFAULT_SLACK_API_URL
    if not slack_api_url.endswith("/"):
        slack_api_url += "/"  # slack_sdk joins method names onto it
    stripe_api_base = read.url("STRIPE_API_BASE", None)
    settings = Settings(
        slack_signing_secret=signing_secret,
        slack_bot_token=bot_token,
        slack_app_token=app_token,
        slack_client_id=client_id,
        slack_client_secret=client_secret,
        slack_api_url=slack_api_url,
        stripe_api_key=read.prefixed("STRIPE_API_KEY", ("sk_", "rk_"), "a Stripe secret key"),
        stripe_api_base=stripe_api_base.rstrip("/") if stripe_api_base else None,
        stripe_webhook_secret=read.prefixed("STRIPE_WEBHOOK_SECRET", ("whsec_",), "a Stripe webhook signing secret"),
        stripe_client_id=read.prefixed("STRIPE_CLIENT_ID", ("ca_",), "a Stripe Connect client id"),
        stripe_connect_account_type=read.choice("STRIPE_CONNECT_ACCOUNT_TYPE", "express", CONNECT_ACCOUNT_TYPES),
        database_url=normalise_database_url(read.get("DATABASE_URL") or DEFAULT_DATABASE_URL, read.problems),
        public_url=(read.url("PUBLIC_URL", DEFAULT_PUBLIC_URL) or DEFAULT_PUBLIC_URL).rstrip("/"),
        host=read.get("HOST") or DEFAULT_HOST,
        port=read.whole_number("PORT", DEFAULT_PORT, 1, 65535, ""),
        default_locale=read.choice("BILLBOT_DEFAULT_LOCALE", "en", SUPPORTED_LOCALES, length=2),
        work_lease_seconds=read.whole_number(
            "BILLBOT_WORK_LEASE_SECONDS", DEFAULT_WORK_LEASE_SECONDS, 1, 3600, "of seconds "
        ),
        calendar_sync_minutes=read.whole_number(
            "BILLBOT_CALENDAR_SYNC_MINUTES", DEFAULT_CALENDAR_SYNC_MINUTES, 1, 1440, "of minutes "
        ),
        calendar_max_bytes=read.whole_number(
            "BILLBOT_CALENDAR_MAX_BYTES", DEFAULT_CALENDAR_MAX_BYTES, 1024, 200 * 1024 * 1024, "of bytes "
        ),
        calendar_timeout_seconds=read.whole_number(
            "BILLBOT_CALENDAR_TIMEOUT_SECONDS", DEFAULT_CALENDAR_TIMEOUT_SECONDS, 1, 120, "of seconds "
        ),
        calendar_local_feeds=read.whole_number("BILLBOT_CALENDAR_LOCAL_FEEDS", 0, 0, 1, "") == 1,
    )
    read.problems.extend(_missing_for(mode, settings))
    if read.problems:
        raise ConfigError(read.problems)
    # Masked in every log line by value: the signing secret and a database password have no telltale shape.
    database_password = make_url(settings.database_url).password
    secrets = (signing_secret, bot_token, app_token, client_secret, settings.stripe_api_key)
    log.mask_values((*secrets, settings.stripe_webhook_secret, database_password))
    return settings


def _missing_for(mode: Mode, settings: Settings) -> list[str]:
    """What ``mode`` needs that the environment left out, one sentence each."""
    problems = []
    client_id, client_secret = settings.slack_client_id, settings.slack_client_secret
    if (client_id is None) != (client_secret is None):
        missing = "SLACK_CLIENT_SECRET" if client_secret is None else "SLACK_CLIENT_ID"
        problems.append(
            f"{missing} is not set: multi-workspace install needs both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET."
        )
    if mode in (Mode.HTTP, Mode.SOCKET, Mode.SCHEDULER):
        if settings.slack_signing_secret is None and mode is Mode.HTTP:
            problems.append(
                "SLACK_SIGNING_SECRET is not set: copy it from your app's Basic Information page on api.slack.com."
            )
        if settings.slack_bot_token is None and client_id is None:
            problems.append(
                "SLACK_BOT_TOKEN is not set: install the app to your workspace and copy its Bot User OAuth Token "
                "(or set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to let several workspaces install it)."
            )
    if mode is Mode.SOCKET and settings.slack_app_token is None:
        problems.append(
            "SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token with the connections:write scope."
        )
    return problems


def normalise_database_url(raw: str, problems: list[str]) -> str:
    """Point PostgreSQL URLs at the psycopg 3 driver we ship; refuse what we cannot drive."""
    try:
        parsed = make_url(raw)
    except ArgumentError:
        problems.append(f"DATABASE_URL is not a database URL (try sqlite:///billbot.db), not {raw!r}.")
        return raw
    backend = parsed.get_backend_name()
    if backend in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend != "sqlite":
        problems.append(f"DATABASE_URL must be a sqlite:// or postgresql:// URL, not a {backend} one.")
        return raw
    return parsed.render_as_string(hide_password=False)
