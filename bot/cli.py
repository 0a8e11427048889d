"""The `billbot` command line (also `python -m bot`): design.md's command-line contract."""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Sequence

from bot import log
from bot.settings import ConfigError, Mode, Settings, load_settings

logger = logging.getLogger(__name__)
ORPHAN_CHECK_SECONDS = 1.0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="billbot", description="Get paid through Stripe without leaving Slack.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve Slack and Stripe over HTTP (and run the scheduler)")
    serve.add_argument("--no-scheduler", action="store_true", help="leave reminders to a `billbot scheduler`")
    serve.add_argument(
        "--worker-processes",
        type=int,
        default=1,
        metavar="N",
        help="processes doing the work after each ack (default 1; 0 runs it in this process)",
    )
    work = commands.add_parser("work", help="do the work queued after acks (`billbot serve` starts its own)")
    work.add_argument("--threads", type=int, default=8, help="jobs done at once (default 8)")
    work.add_argument("--background", action="store_true", help="run at the operating system's lowest priority")
    work.add_argument("--ready-fd", type=int, help=argparse.SUPPRESS)  # `serve` waits on it before listening
    work.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)  # the `serve` to outlive by no more than 1 s
    commands.add_parser("socket", help="connect to Slack over Socket Mode (no public URL needed)")
    commands.add_parser("scheduler", help="run the scheduler alone")
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    db_commands.add_parser("upgrade", help="apply the schema migrations")
    ask = commands.add_parser("ask", help="the help channel's answer to a question, as JSON")
    ask.add_argument("question")
    ask.add_argument("--lang", choices=("fr", "en"), help="answer in this language (default: the question's own)")
    emulator = commands.add_parser("stripe-emulator", help="run the local Stripe emulator alone")
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=12111)
    emulator.add_argument("--webhook", help="URL to deliver signed webhook events to")
    emulator.add_argument("--webhook-secret", help="whsec_… secret to sign those deliveries with")
    playground = commands.add_parser("playground", help="everything on this machine, in a browser: no Slack or Stripe")
    playground.add_argument("--host", default=None, help="the page's address (default: HOST, else 127.0.0.1)")
    playground.add_argument("--port", type=int, default=None, help="the page's port (default: PORT, else 3000)")
    playground.add_argument("--database", default="billbot-playground.db", help="SQLite file, recreated at each start")

    args = parser.parse_args(argv)
    log.configure(os.environ.get("BILLBOT_LOG_LEVEL", "INFO"))
    try:
        if args.command == "serve":
            return _serve(load_settings(Mode.HTTP), scheduler=not args.no_scheduler, workers=args.worker_processes)
        if args.command == "work":
            return _work(
                load_settings(Mode.SCHEDULER),
                background=args.background,
                threads=args.threads,
                ready_fd=args.ready_fd,
                parent_pid=args.parent_pid,
            )
        if args.command == "socket":
            return _socket(load_settings(Mode.SOCKET))
        if args.command == "scheduler":
            return _scheduler(load_settings(Mode.SCHEDULER))
        if args.command == "db":
            return _db_upgrade(load_settings(Mode.DATABASE))
        if args.command == "ask":
            return _ask(args.question, args.lang)
        if args.command == "stripe-emulator":
            return _stripe_emulator(args.host, args.port, args.webhook, args.webhook_secret)
        if args.command == "playground":
            return _playground(args.host, args.port, args.database)
    except ConfigError as error:
        print("Billbot cannot start: its environment needs fixing.", file=sys.stderr)
        for problem in error.problems:
            print(f"  - {problem}", file=sys.stderr)
        print("See README.md, section '2. Configure'.", file=sys.stderr)
        return 2
    parser.error(f"unknown command {args.command}")
    return 2


def _serve(settings: Settings, *, scheduler: bool, workers: int) -> int:
    # Before anything imports prometheus_client: this process and its worker processes (which inherit the
    # environment) then write their samples where GET /metrics adds them up. A folder per serve, so a
    # previous run's counts never show, removed when serve stops.
    metrics_dir = tempfile.mkdtemp(prefix="billbot-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        return _serve_with_metrics(settings, scheduler=scheduler, workers=workers)
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)


def _serve_with_metrics(settings: Settings, *, scheduler: bool, workers: int) -> int:
    from bot.scheduler import build_scheduler
    from bot.server import create, serve
    from bot.slack_app import start_worker
    from bot.worker_processes import WorkerProcesses

    services, app, http_app = create(settings)
    in_process = start_worker(services, app) if workers <= 0 else None
    children = WorkerProcesses(workers).start() if workers > 0 else None
    # What /readyz reports as the worker.
    if in_process is not None:
        http_app.state.worker_alive = in_process.alive
    elif children is not None:
        http_app.state.worker_alive = children.alive
    background = build_scheduler(services, blocking=False) if scheduler else None
    if background is not None:
        background.start()
    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again for the handler it found:
    # with the default one the process died there, before the `finally` below stopped the worker processes.
    signal.signal(signal.SIGTERM, _exit_quietly)
    # What start-up built (modules, the app, the flows) lives as long as the process: frozen out of the collector's
    # sight, a full collection under a burst no longer walks it all (a 110 ms pause in the serving process, measured).
    gc.collect()
    gc.freeze()
    try:
        serve(http_app, settings.host, settings.port)
    finally:
        if background is not None:
            background.shutdown(wait=False)
        if in_process is not None:
            in_process.stop()
        if children is not None:
            children.stop()
    return 0


def _stop_when_orphaned(parent_pid: int, stop: threading.Event) -> None:
    """A `serve` killed outright (SIGKILL, the OOM killer) cannot stop its workers: they notice it is gone."""
    while not stop.wait(ORPHAN_CHECK_SECONDS):
        if os.getppid() != parent_pid:
            logger.warning("billbot serve (pid %s) is gone; finishing the work in hand and exiting", parent_pid)
            stop.set()


def _exit_quietly(signum: int, _frame: object) -> None:
    raise SystemExit(0)


def _work(
    settings: Settings, *, background: bool, threads: int, ready_fd: int | None = None, parent_pid: int | None = None
) -> int:
    from bot.server import create
    from bot.work_queue import Worker

    if background:
        os.nice(19)
        if hasattr(os, "SCHED_IDLE"):
            # Linux: runs when a core would otherwise idle, and gives way at once when an ack needs one.
            with contextlib.suppress(OSError):
                os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    services, app, _ = create(settings)
    worker = Worker(services.work, app, threads=threads)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    worker.start()
    if parent_pid is not None:
        threading.Thread(target=_stop_when_orphaned, args=(parent_pid, stop), daemon=True).start()
    if ready_fd is not None:
        # Only a courtesy to `serve`: one that stopped waiting (and closed its end) must not kill the worker.
        with contextlib.suppress(OSError):
            os.write(ready_fd, b"ready")
        os.close(ready_fd)
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    worker.stop()
    return 0


def _socket(settings: Settings) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.scheduler import build_scheduler
    from bot.server import create
    from bot.slack_app import start_worker

    services, app, _ = create(settings)
    worker = start_worker(services, app)
    background = build_scheduler(services, blocking=False)
    background.start()
    try:
        SocketModeHandler(app, settings.slack_app_token).start()
    finally:
        background.shutdown(wait=False)
        worker.stop()
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


def _ask(question: str, language: str | None) -> int:
    import json

    from flows.help.retrieval import ask

    # The knowledge base alone: no database or Slack needed, so it answers on any machine.
    print(json.dumps(ask(question, language), ensure_ascii=False))
    return 0


def _stripe_emulator(host: str, port: int, webhook: str | None, webhook_secret: str | None) -> int:
    from bot.sandbox.stripe import serve_forever

    if (webhook is None) != (webhook_secret is None):
        print("--webhook and --webhook-secret go together.", file=sys.stderr)
        return 2
    serve_forever(host, port, webhook, webhook_secret)
    return 0


def _playground(host: str | None, port: int | None, database: str) -> int:
    import logging
    import signal
    import threading
    from pathlib import Path

    from bot.sandbox.playground import Playground, options_from_environment

    # The scheduler's per-run lines would bury the one line a newcomer needs: the page's address.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    playground = Playground(options_from_environment(host, port, Path(database))).start()
    stripe = "the Stripe emulator" if playground.stripe is not None else "Stripe, with your STRIPE_API_KEY"
    print(
        f"Billbot playground: open {playground.url}  (app on {playground.app_url}, {stripe}; Ctrl-C stops)", flush=True
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        playground.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
