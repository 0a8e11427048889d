"""Import each module of bot/ and flows/ as the first of the project's modules in its process.

Run as a script in a fresh interpreter (tests/test_imports.py), never imported: it reads
``{"preload": [...], "modules": [...]}`` as JSON on stdin, imports the ``preload`` libraries (the third-party
and standard ones the project imports), then forks once per module, a few at a time. Each child starts with
none of bot/ or flows/ loaded and imports its one module, so an import that only works after some other module
of ours has been imported fails here as it would for the first caller. Forking after the preload is what keeps
this quick: a fresh ``python -c`` per module costs about half a second, most of it loading Stripe, SQLAlchemy
and Bolt again (160 modules took 70 s on two cores). It writes ``{module: error or null}`` as JSON on stdout.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import select
import sys
import time
import traceback
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
AT_ONCE = 2  # the machine's cores
TIMEOUT = 60.0  # seconds for one module's import
MAX_ERROR = 4000  # characters of a traceback kept (a pipe holds 64 KiB before the child would block)


def _ours(name: str) -> bool:
    return name.split(".", 1)[0] in ("bot", "flows")


def _child(module: str, write_fd: int) -> None:
    """In the forked child: import ``module``; the pipe gets nothing on success, the traceback on failure."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # stdout is the parent's answer; the module's own prints must not mix into it
    try:
        importlib.import_module(module)
    except BaseException:
        os.write(write_fd, traceback.format_exc()[-MAX_ERROR:].encode())
        os._exit(1)
    os._exit(0)


def _start(module: str) -> tuple[int, int]:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _child(module, write_fd)
    os.close(write_fd)
    return pid, read_fd


def _read_all(fd: int) -> str:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks).decode(errors="replace")


def run(preload: list[str], modules: list[str]) -> dict[str, str | None]:
    for name in preload:
        # Optional or type-only libraries may be missing: a module that needs one at run time fails in its child.
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    loaded = sorted(name for name in sys.modules if _ours(name))
    if loaded:
        raise RuntimeError(f"the preload imported the project's own modules: {loaded}")
    results: dict[str, str | None] = {}
    waiting = list(reversed(modules))
    running: dict[int, tuple[str, int, float]] = {}  # pid -> (module, pipe, started)
    while waiting or running:
        while waiting and len(running) < AT_ONCE:
            module = waiting.pop()
            pid, read_fd = _start(module)
            running[pid] = (module, read_fd, time.monotonic())
        select.select([fd for _, fd, _ in running.values()], [], [], 0.05)
        for pid, (module, read_fd, started) in list(running.items()):
            done, status = os.waitpid(pid, os.WNOHANG)
            if not done and time.monotonic() - started > TIMEOUT:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                _read_all(read_fd)
                results[module] = f"its import did not finish within {TIMEOUT:.0f} s"
                del running[pid]
            elif done:
                error = _read_all(read_fd)
                if os.waitstatus_to_exitcode(status) != 0 and not error:
                    error = f"the child exited with status {os.waitstatus_to_exitcode(status)}"
                results[module] = error or None
                del running[pid]
    return results


if __name__ == "__main__":
    # The script's own folder is not where the project's packages are.
    sys.path[0] = str(PROJECT_ROOT)
    request = json.load(sys.stdin)
    json.dump(run(request["preload"], request["modules"]), sys.stdout)
