"""Slack Web API clients for work done outside a Slack request (webhooks, the scheduler, browser pages).

Imports no flow: flows and the composition root (bot.slack_app) both build their clients here.
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

from bot.metrics import MeteredWebClient
from bot.services import Services
from bot.workspace_status import uninstalled_at


def web_client(services: Services, token: str | None = None) -> WebClient:
    """A Web API client on SLACK_API_URL that waits out 429s and retries dropped connections.

    Metered (calls and errors by method on /metrics) like the listeners' clients: the scheduler's digests and
    the webhooks' messages are Slack calls too.
    """
    return MeteredWebClient(
        token=token,
        base_url=services.settings.slack_api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=3), ConnectionErrorRetryHandler(max_retry_count=2)],
    )


def installation_store(services: Services) -> SQLAlchemyInstallationStore | None:
    """Where several-workspace installs keep their tokens (None with one workspace: its token is a setting)."""
    settings = services.settings
    if not settings.multi_workspace:
        return None
    assert settings.slack_client_id
    return SQLAlchemyInstallationStore(
        client_id=settings.slack_client_id,
        engine=services.db.engine,
        bots_table_name="slack_bots",
        installations_table_name="slack_installations",
    )


def client_for(services: Services, team_id: str) -> WebClient | None:
    """The workspace's bot client, or None when Billbot is uninstalled there (nothing may be posted to it).

    The mark is checked in single-workspace mode too, where the token outlives the uninstall.
    """
    if uninstalled_at(services.db, team_id) is not None:
        return None
    store = installation_store(services)
    if store is None:
        return web_client(services, services.settings.slack_bot_token)
    bot = store.find_bot(enterprise_id=None, team_id=team_id)
    return web_client(services, bot.bot_token) if bot and bot.bot_token else None
