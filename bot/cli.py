"""The `billbot` command line (also `python -m bot`): design.md's command-line contract."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from bot import log
from bot.settings import ConfigError, Mode, Settings, load_settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="billbot", description="Get paid through Stripe without leaving Slack.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve Slack and Stripe over HTTP (and run the scheduler)")
    serve.add_argument("--no-scheduler", action="store_true", help="leave reminders to a `billbot scheduler`")
    commands.add_parser("socket", help="connect to Slack over Socket Mode (no public URL needed)")
    commands.add_parser("scheduler", help="run the scheduler alone")
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    db_commands.add_parser("upgrade", help="apply the schema migrations")
    emulator = commands.add_parser("stripe-emulator", help="run the local Stripe emulator alone")
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=12111)
    emulator.add_argument("--webhook", help="URL to deliver signed webhook events to")
    emulator.add_argument("--webhook-secret", help="whsec_… secret to sign those deliveries with")

    args = parser.parse_args(argv)
    log.configure(os.environ.get("BILLBOT_LOG_LEVEL", "INFO"))
    try:
        if args.command == "serve":
            return _serve(load_settings(Mode.HTTP), scheduler=not args.no_scheduler)
        if args.command == "socket":
            return _socket(load_settings(Mode.SOCKET))
        if args.command == "scheduler":
            return _scheduler(load_settings(Mode.SCHEDULER))
        if args.command == "db":
            return _db_upgrade(load_settings(Mode.DATABASE))
        if args.command == "stripe-emulator":
            return _stripe_emulator(args.host, args.port, args.webhook, args.webhook_secret)
    except ConfigError as error:
        print("Billbot cannot start: its environment needs fixing.", file=sys.stderr)
        for problem in error.problems:
            print(f"  - {problem}", file=sys.stderr)
        print("See README.md, section 'Configuration'.", file=sys.stderr)
        return 2
    parser.error(f"unknown command {args.command}")
    return 2


def _serve(settings: Settings, *, scheduler: bool) -> int:
    from bot.scheduler import build_scheduler
    from bot.server import create, serve

    services, _, http_app = create(settings)
    background = build_scheduler(services, blocking=False) if scheduler else None
    if background is not None:
        background.start()
    try:
        serve(http_app, settings.host, settings.port)
    finally:
        if background is not None:
            background.shutdown(wait=False)
    return 0


def _socket(settings: Settings) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.scheduler import build_scheduler
    from bot.server import create

    services, app, _ = create(settings)
    background = build_scheduler(services, blocking=False)
    background.start()
    try:
        SocketModeHandler(app, settings.slack_app_token).start()
    finally:
        background.shutdown(wait=False)
    return 0


def _scheduler(settings: Settings) -> int:
    from bot.scheduler import build_scheduler
    from bot.server import create

    services, _, _ = create(settings)
    build_scheduler(services, blocking=True).start()
    return 0


def _db_upgrade(settings: Settings) -> int:
    from bot.db import upgrade

    upgrade(settings.database_url)
    print("Database is up to date.")
    return 0


def _stripe_emulator(host: str, port: int, webhook: str | None, webhook_secret: str | None) -> int:
    from bot.sandbox.stripe import serve_forever

    if (webhook is None) != (webhook_secret is None):
        print("--webhook and --webhook-secret go together.", file=sys.stderr)
        return 2
    serve_forever(host, port, webhook, webhook_secret)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
