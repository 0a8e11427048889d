"""The command line as a user meets it: real processes, real exit codes, no stack traces."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

from bot.db import upgrade
from bot.sandbox.slack import SlackStandIn
from tests.conftest import ADMIN, SIGNING_SECRET, TEAM_ID, app_env
from tests.harness.running_app import free_port
from tests.harness.slack_requests import SlackRequests
from tests.harness.views import filled_view
from tests.paths import PROJECT_ROOT


def billbot(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=PROJECT_ROOT
    )


def clean_env(**extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "STRIPE_", "DATABASE_", "PORT"))}
    return {**keep, **extra}


def start_serve(env: dict[str, str], output: IO[str] | None = None) -> tuple[subprocess.Popen[str], str]:
    """`billbot serve` in a process of its own, once /healthz answers (it listens once its workers are ready).

    Its output goes to a pipe read at the end, or to ``output`` (a file) for a run that logs more than a pipe
    holds: a full pipe blocks every process writing to it, workers included.
    """
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--no-scheduler"],
        env={**env, "PORT": str(port)},
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE if output is None else output,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{url}/healthz", timeout=1)
            return server, url
        except httpx.TransportError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise AssertionError(f"billbot serve did not start: {server.communicate()[0]}") from None
            time.sleep(0.1)


def _state_and_parent(pid: int | str) -> tuple[str, int] | None:
    """A process's state letter and parent pid from /proc, or None once it is gone."""
    try:
        state, parent = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[:2]
    except OSError:
        return None
    return state, int(parent)


def children_of(pid: int) -> list[int]:
    """The live (not zombie) processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        stat = _state_and_parent(entry.name) if entry.name.isdigit() else None
        if stat is not None and stat[1] == pid and stat[0] != "Z":
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    stat = _state_and_parent(pid)
    return stat is not None and stat[0] != "Z"


def stop_serve(server: subprocess.Popen[str]) -> None:
    """Stop a `billbot serve` the way a deploy does (SIGTERM), then make sure none of its workers outlive it."""
    workers = children_of(server.pid)
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
    for pid in workers:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def wait_until_gone(pids: list[int], within: float) -> list[int]:
    deadline = time.monotonic() + within
    while (left := [pid for pid in pids if alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def test_serve_without_credentials_names_what_to_set(tmp_path: Path) -> None:
    result = billbot("serve", env=clean_env(DATABASE_URL=f"sqlite:///{tmp_path}/b.db"))
    assert result.returncode == 2
    assert "SLACK_SIGNING_SECRET is not set" in result.stderr
    assert "SLACK_BOT_TOKEN is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_db_upgrade_then_serve_answers_healthz_and_slack(tmp_path: Path, slack: SlackStandIn) -> None:
    slack.reset()
    database_url = f"sqlite:///{tmp_path}/billbot.db"
    env = clean_env(**app_env(slack, database_url))
    upgraded = billbot("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "up to date" in upgraded.stdout

    server, url = start_serve(env)
    try:
        health = httpx.get(f"{url}/healthz", timeout=5)
        assert health.status_code == 200
        assert health.json() == {"ok": True, "database": "ok"}

        requests = SlackRequests(url, SIGNING_SECRET, slack, TEAM_ID)
        assert requests.command("/billing", user=ADMIN).status_code == 200
        hub = filled_view(slack, slack.workspace(TEAM_ID), ADMIN)
        assert hub["callback_id"] == "billing_hub"
        requests.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextmanager
def serve_with_workers(tmp_path: Path, slack: SlackStandIn) -> Iterator[tuple[subprocess.Popen[str], list[int]]]:
    """`billbot serve` and its worker processes; whatever of them is left at the end is killed."""
    database_url = f"sqlite:///{tmp_path}/billbot.db"
    upgrade(database_url)
    server, _ = start_serve(clean_env(**app_env(slack, database_url)))
    workers = children_of(server.pid)
    try:
        yield server, workers
    finally:
        server.kill()
        for pid in workers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_sigterm_stops_serve_and_its_worker_processes(tmp_path: Path, slack: SlackStandIn) -> None:
    with serve_with_workers(tmp_path, slack) as (server, workers):
        assert workers, "serve runs its after-ack work in worker processes"
        server.terminate()
        assert server.wait(timeout=15) == 0
        assert wait_until_gone(workers, within=15) == []


def test_worker_processes_exit_when_serve_is_killed_outright(tmp_path: Path, slack: SlackStandIn) -> None:
    with serve_with_workers(tmp_path, slack) as (server, workers):
        assert workers
        server.kill()  # SIGKILL, the OOM killer: serve gets no chance to stop them
        server.wait(timeout=10)
        assert wait_until_gone(workers, within=15) == []


def test_healthz_is_503_when_the_database_goes_away(slack: SlackStandIn, postgres_url: str) -> None:
    from tests.harness.databases import create_worker_database, drop_database
    from tests.harness.running_app import RunningApp

    url = create_worker_database(f"healthz_{os.getpid()}")
    upgrade(url)
    app = RunningApp(app_env(slack, url)).start()
    try:
        assert httpx.get(f"{app.url}/healthz", timeout=10).status_code == 200
        drop_database(url)
        response = httpx.get(f"{app.url}/healthz", timeout=10)
        assert response.status_code == 503
        assert response.json()["database"] == "unreachable"
    finally:
        app.stop()


def test_serve_refuses_a_database_that_was_not_migrated(tmp_path: Path, slack: SlackStandIn) -> None:
    result = billbot("serve", env=clean_env(**app_env(slack, f"sqlite:///{tmp_path}/fresh.db")))
    assert result.returncode == 2
    assert "run `billbot db upgrade` first" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_command_is_a_usage_error() -> None:
    result = billbot("fly", env=clean_env())
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "billbot"
    assert script.exists()
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    for command in ("serve", "socket", "scheduler", "db", "stripe-emulator"):
        assert command in result.stdout


def test_the_playground_listens_on_port_as_serve_does(tmp_path: Path) -> None:
    """`PORT=… make run` (the playground without Slack credentials) is honoured: make passes no --port of its own."""
    run_target = (PROJECT_ROOT / "Makefile").read_text().split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "billbot playground" in run_target and "--port" not in run_target
    port = free_port()
    playground = subprocess.Popen(
        [sys.executable, "-m", "bot", "playground", "--database", str(tmp_path / "playground.db")],
        env=clean_env(PORT=str(port)),
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.TransportError:
                if playground.poll() is not None or time.monotonic() > deadline:
                    playground.kill()
                    output = playground.communicate()[0]
                    raise AssertionError(f"the playground did not listen on {port}: {output}") from None
                time.sleep(0.2)
        assert page.status_code == 200 and "Billbot" in page.text
    finally:
        playground.terminate()
        output = playground.communicate(timeout=20)[0]
    assert f"open http://127.0.0.1:{port}/" in output
