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


def load_settings(mode: Mode, environ: Mapping[str, str] | None = None) -> Settings:
    """Read and check the environment for ``mode``; raise ConfigError listing every problem at once."""
    env = os.environ if environ is None else environ
    problems: list[str] = []

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    def url(name: str, default: str | None) -> str | None:
        value = get(name) or default
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(f"{name} must be an http(s) URL such as https://example.com, not {value!r}.")
        return value

    def prefixed(name: str, prefixes: tuple[str, ...], what: str) -> str | None:
        value = get(name)
        if value is not None and not value.startswith(prefixes):
            problems.append(f"{name} does not look like {what} (it should start with {' or '.join(prefixes)}).")
        return value

    signing_secret = get("SLACK_SIGNING_SECRET")
    bot_token = prefixed("SLACK_BOT_TOKEN", ("xoxb-",), "a Slack bot token")
    app_token = prefixed("SLACK_APP_TOKEN", ("xapp-",), "a Slack app-level token")
    client_id = get("SLACK_CLIENT_ID")
    client_secret = get("SLACK_CLIENT_SECRET")
    slack_api_url = url("SLACK_API_URL", DEFAULT_SLACK_API_URL) or DEFAULT_SLACK_API_URL
    if not slack_api_url.endswith("/"):
        slack_api_url += "/"  # slack_sdk joins method names onto it
    stripe_api_key = prefixed("STRIPE_API_KEY", ("sk_", "rk_"), "a Stripe secret key")
    stripe_api_base = url("STRIPE_API_BASE", None)
    stripe_webhook_secret = prefixed("STRIPE_WEBHOOK_SECRET", ("whsec_",), "a Stripe webhook signing secret")
    stripe_client_id = prefixed("STRIPE_CLIENT_ID", ("ca_",), "a Stripe Connect client id")
    public_url = (url("PUBLIC_URL", DEFAULT_PUBLIC_URL) or DEFAULT_PUBLIC_URL).rstrip("/")
    host = get("HOST") or DEFAULT_HOST

    port = DEFAULT_PORT
    raw_port = get("PORT")
    if raw_port is not None:
        if raw_port.isdigit() and 0 < int(raw_port) < 65536:
            port = int(raw_port)
        else:
            problems.append(f"PORT must be a whole number from 1 to 65535, not {raw_port!r}.")

    lease = DEFAULT_WORK_LEASE_SECONDS
    raw_lease = get("BILLBOT_WORK_LEASE_SECONDS")
    if raw_lease is not None:
        if raw_lease.isascii() and raw_lease.isdigit() and 0 < int(raw_lease) <= 3600:
            lease = int(raw_lease)
        else:
            problems.append(
                f"BILLBOT_WORK_LEASE_SECONDS must be a whole number of seconds from 1 to 3600, not {raw_lease!r}."
            )

    database_url = normalise_database_url(get("DATABASE_URL") or DEFAULT_DATABASE_URL, problems)

    account_type = (get("STRIPE_CONNECT_ACCOUNT_TYPE") or "express").lower()
    if account_type not in CONNECT_ACCOUNT_TYPES:
        problems.append(
            f"STRIPE_CONNECT_ACCOUNT_TYPE must be one of {', '.join(CONNECT_ACCOUNT_TYPES)}, not {account_type!r}."
        )

    locale = (get("BILLBOT_DEFAULT_LOCALE") or "en").lower()[:2]
    if locale not in SUPPORTED_LOCALES:
        problems.append(f"BILLBOT_DEFAULT_LOCALE must be one of {', '.join(SUPPORTED_LOCALES)}, not {locale!r}.")

    if (client_id is None) != (client_secret is None):
        missing = "SLACK_CLIENT_SECRET" if client_secret is None else "SLACK_CLIENT_ID"
        problems.append(
            f"{missing} is not set: multi-workspace install needs both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET."
        )

    if mode in (Mode.HTTP, Mode.SOCKET, Mode.SCHEDULER):
        if signing_secret is None and mode is Mode.HTTP:
            problems.append(
                "SLACK_SIGNING_SECRET is not set: copy it from your app's Basic Information page on api.slack.com."
            )
        if bot_token is None and client_id is None:
            problems.append(
                "SLACK_BOT_TOKEN is not set: install the app to your workspace and copy its Bot User OAuth Token "
                "(or set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to let several workspaces install it)."
            )
    if mode is Mode.SOCKET and app_token is None:
        problems.append(
            "SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token with the connections:write scope."
        )

    if problems:
        raise ConfigError(problems)
    settings = Settings(
        slack_signing_secret=signing_secret,
        slack_bot_token=bot_token,
        slack_app_token=app_token,
        slack_client_id=client_id,
        slack_client_secret=client_secret,
        slack_api_url=slack_api_url,
        stripe_api_key=stripe_api_key,
        stripe_api_base=stripe_api_base.rstrip("/") if stripe_api_base else None,
        stripe_webhook_secret=stripe_webhook_secret,
        stripe_client_id=stripe_client_id,
        stripe_connect_account_type=account_type,
        database_url=database_url,
        public_url=public_url,
        host=host,
        port=port,
        default_locale=locale,
        work_lease_seconds=lease,
    )
    # Masked in every log line by value: the signing secret and a database password have no telltale shape.
    database_password = make_url(database_url).password
    log.mask_values(
        (signing_secret, bot_token, app_token, client_secret, stripe_api_key, stripe_webhook_secret, database_password)
    )
    return settings


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
