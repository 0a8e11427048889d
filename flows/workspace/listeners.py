"""app_uninstalled and tokens_revoked, the OAuth install's success, and the request gate, on the Bolt app."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse
from slack_bolt.oauth.callback_options import SuccessArgs

from bot.services import Services
from bot.workspace_status import mark_uninstalled, reactivate
from flows.workspace import tokens
from flows.workspace.gate import InstallGate, event_time

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    db = services.db
    gate = InstallGate(db)
    app.middleware(gate)

    def uninstall(context: BoltContext, body: dict[str, Any]) -> None:
        team_id = context.team_id or ""
        at = event_time(body) or datetime.now(UTC)  # Slack's time of it: a delayed delivery keeps it
        store = app.installation_store
        if tokens.installed_after(store, context.enterprise_id, team_id, at):
            log.info("an uninstall of %s older than its current installation is ignored", team_id)
            return
        tokens.delete_all(store, context.enterprise_id, team_id)
        # The mark is set after the tokens are gone: a retry after a failure between the two finishes both.
        if mark_uninstalled(db, team_id, at):
            log.info("Billbot was uninstalled from %s: its tokens are deleted and its scheduled work stopped", team_id)
        gate.forget(team_id)

    def acknowledge(ack: Ack, body: dict[str, Any]) -> None:
        gate.forget(body.get("team_id"))
        ack()

    def uninstalled(context: BoltContext, body: dict[str, Any]) -> None:
        uninstall(context, body)

    def revoked(context: BoltContext, body: dict[str, Any], event: dict[str, Any]) -> None:
        revoked_tokens = event.get("tokens") or {}
        if revoked_tokens.get("bot"):
            uninstall(context, body)  # without its bot token Billbot can do nothing there: as uninstalled
            return
        users = [str(user) for user in revoked_tokens.get("oauth") or []]
        cleared = tokens.forget_user_tokens(app.installation_store, context.enterprise_id, context.team_id or "", users)
        log.info("user tokens revoked in %s: %d cleared, the bot's kept", context.team_id, cleared)

    app.event("app_uninstalled")(ack=acknowledge, lazy=[uninstalled])
    app.event("tokens_revoked")(ack=acknowledge, lazy=[revoked])

    flow = app.oauth_flow
    if flow is not None:
        finish = flow.success_handler

        def installed(args: SuccessArgs) -> BoltResponse:
            # The installation is saved by now; the workspace's scheduled work resumes with it.
            team_id = args.installation.team_id
            if team_id and reactivate(db, team_id):
                log.info("Billbot was installed again in %s: its scheduled work resumes", team_id)
            gate.forget(team_id)
            return finish(args)

        flow.success_handler = installed
