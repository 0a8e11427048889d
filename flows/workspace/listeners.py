"""app_uninstalled and tokens_revoked, the OAuth install's success, and the request gate, on the Bolt app."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse
from slack_bolt.oauth.callback_options import SuccessArgs

from bot.services import Services
from bot.workspace_status import mark_uninstalled, reactivate
from flows.workspace import logic
from flows.workspace.gate import InstallGate, event_time

log = logging.getLogger(__name__)


class WorkspaceListeners:
    """The uninstall and re-install listeners, over the app's Services, its installation store and the gate."""

    def __init__(self, app: App, services: Services, gate: InstallGate) -> None:
        self.app = app
        self.services = services
        self.gate = gate
        self.finish: Callable[[SuccessArgs], BoltResponse] | None = None  # the OAuth flow's own success handler

    def acknowledge(self, ack: Ack, body: dict[str, Any]) -> None:
        self.gate.forget(body.get("team_id"))
        ack()

    def uninstalled(self, context: BoltContext, body: dict[str, Any]) -> None:
        self._uninstall(context, body)

    def revoked(self, context: BoltContext, body: dict[str, Any], event: dict[str, Any]) -> None:
        revoked_tokens = event.get("tokens") or {}
        if revoked_tokens.get("bot"):
            self._uninstall(context, body)  # without its bot token Billbot can do nothing there: as uninstalled
            return
        users = [str(user) for user in revoked_tokens.get("oauth") or []]
        store = self.app.installation_store
        cleared = logic.forget_user_tokens(store, context.enterprise_id, context.team_id or "", users)
        log.info("user tokens revoked in %s: %d cleared, the bot's kept", context.team_id, cleared)

    def installed(self, args: SuccessArgs) -> BoltResponse:
        # The installation is saved by now; the workspace's scheduled work resumes with it.
        assert self.finish is not None
        team_id = args.installation.team_id
        if team_id and reactivate(self.services.db, team_id):
            log.info("Billbot was installed again in %s: its scheduled work resumes", team_id)
        self.gate.forget(team_id)
        return self.finish(args)

    def _uninstall(self, context: BoltContext, body: dict[str, Any]) -> None:
        team_id = context.team_id or ""
        at = event_time(body) or datetime.now(UTC)  # Slack's time of it: a delayed delivery keeps it
        store = self.app.installation_store
        if logic.installed_after(store, context.enterprise_id, team_id, at):
            log.info("an uninstall of %s older than its current installation is ignored", team_id)
            return
        logic.delete_all(store, context.enterprise_id, team_id)
        # The mark is set after the tokens are gone: a retry after a failure between the two finishes both.
        if mark_uninstalled(self.services.db, team_id, at):
            log.info("Billbot was uninstalled from %s: its tokens are deleted and its scheduled work stopped", team_id)
        self.gate.forget(team_id)


def register(app: App, services: Services) -> None:
    gate = InstallGate(services.db)
    app.middleware(gate)
    listeners = WorkspaceListeners(app, services, gate)
    app.event("app_uninstalled")(ack=listeners.acknowledge, lazy=[listeners.uninstalled])
    app.event("tokens_revoked")(ack=listeners.acknowledge, lazy=[listeners.revoked])
    flow = app.oauth_flow
    if flow is not None:
        listeners.finish = flow.success_handler
        flow.success_handler = listeners.installed
