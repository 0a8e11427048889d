"""The workspace's installation: Billbot uninstalled (app_uninstalled, or its bot token revoked) and back.

An uninstall deletes the workspace's tokens from the installation store (multi-workspace installs), marks
its Workspace row (bot.workspace_status), which stops its scheduled work, and drops the work still
queued for it; its clients and invoices are kept for the practice's records. A re-install (the OAuth
flow's success, or in single-workspace mode any request Slack sends after the uninstall) clears the mark.

The acks do nothing but acknowledge; the deletions are lazy work, so they are retried if they fail.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.services import Services

SLASH_COMMANDS: tuple[str, ...] = ()
SHORTCUTS: tuple[str, ...] = ()
EVENTS = ("app_uninstalled", "tokens_revoked")

__all__ = ["EVENTS", "SHORTCUTS", "SLASH_COMMANDS", "register"]


def register(app: App, services: Services) -> None:
    from flows.workspace import listeners

    listeners.register(app, services)
