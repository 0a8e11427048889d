"""manifest.yml is installable (Slack's schema) and declares exactly what the code handles."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from bot.slack_app import BOT_SCOPES
from flows import billing_settings, clients, home, invoices, stripe_setup, workspace
from flows import help as help_flow
from tests.conftest import ADMIN, Billbot
from tests.paths import PROJECT_ROOT, shared_file

FLOWS = (home, stripe_setup, billing_settings, clients, invoices, help_flow, workspace)


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    with (PROJECT_ROOT / "manifest.yml").open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return data


def test_manifest_matches_slacks_schema(manifest: dict[str, Any]) -> None:
    import jsonschema

    schema = json.loads(shared_file("slack", "manifest.schema.1.0.0.json").read_text(encoding="utf-8"))
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(manifest), key=lambda e: list(e.path))
    assert [f"{list(e.path)}: {e.message}" for e in errors] == []


def test_manifest_declares_the_commands_shortcuts_and_events_the_flows_register(manifest: dict[str, Any]) -> None:
    registered_commands = {command for flow in FLOWS for command in flow.SLASH_COMMANDS}
    registered_shortcuts = {shortcut for flow in FLOWS for shortcut in flow.SHORTCUTS}
    registered_events = {event for flow in FLOWS for event in flow.EVENTS}
    features, settings = manifest["features"], manifest["settings"]
    assert {c["command"] for c in features["slash_commands"]} == registered_commands
    assert {s["callback_id"] for s in features["shortcuts"]} == registered_shortcuts
    assert set(settings["event_subscriptions"]["bot_events"]) == registered_events
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == set(BOT_SCOPES)


def test_design_contract_commands_are_all_declared(manifest: dict[str, Any]) -> None:
    assert {c["command"] for c in manifest["features"]["slash_commands"]} == {"/billing", "/invoice", "/client"}


def test_every_declared_command_and_shortcut_is_really_handled(billbot: Billbot, manifest: dict[str, Any]) -> None:
    """The flows' declarations are what the app answers: a declared entry point never meets a 404."""
    for command in manifest["features"]["slash_commands"]:
        assert billbot.requests.command(command["command"], user=ADMIN).status_code == 200, command["command"]
    for shortcut in manifest["features"]["shortcuts"]:
        assert billbot.requests.shortcut(shortcut["callback_id"], user=ADMIN).status_code == 200
    # A command nobody declared is answered with the nearest command's help (bot/unknown_commands.py).
    assert billbot.requests.command("/undeclared", user=ADMIN).status_code == 200
    billbot.slack.wait_for(
        lambda: any("`/undeclared` is not" in (m.text or "") for m in billbot.workspace.ephemeral("C_GENERAL", ADMIN)),
        timeout=30,  # behind the work the declared commands queued
    )
    # Last: app_uninstalled is one of the events, after which nothing more is done for the workspace.
    for event in manifest["settings"]["event_subscriptions"]["bot_events"]:
        # "message.channels" is the subscription; the event itself is a "message" from that kind of channel.
        kind, _, channel_type = event.partition(".")
        channel_type = {"channels": "channel", "groups": "group"}.get(channel_type, channel_type)
        body = {"type": kind, "user": ADMIN, "tab": "home", "channel": "C_GENERAL", "ts": "1.000001", "text": "hi"}
        response = billbot.requests.event(body | ({"channel_type": channel_type} if channel_type else {}))
        assert response.status_code == 200, event


def test_manifest_urls_use_the_contract_routes(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    assert settings["event_subscriptions"]["request_url"].endswith("/slack/events")
    assert settings["interactivity"]["request_url"].endswith("/slack/events")
    assert all(c["url"].endswith("/slack/events") for c in manifest["features"]["slash_commands"])
    assert manifest["oauth_config"]["redirect_urls"][0].endswith("/slack/oauth_redirect")
