"""The worker processes `billbot serve` keeps running beside its HTTP server.

Durable work after the ack (calling Stripe, posting messages, saving) runs in processes of its own, as
background work of the operating system (idle scheduling class, lowest nice), so a burst of it can never
hold up an ack: in one process, Python's global lock makes the acks queue behind it. Each child is a
`billbot work`, claiming rows from the queue like any other worker; a child that dies is started again
(at once the first time, then with a growing delay while it keeps dying), and its unfinished rows return
to the queue when their lease ends.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

log = logging.getLogger(__name__)

WATCH_SECONDS = 0.5
READY_SECONDS = 60.0
# A child that lived this long before dying was healthy: its next death starts the back-off afresh.
HEALTHY_SECONDS = 30.0
FIRST_RESTART_DELAY = 0.5
MAX_RESTART_DELAY = 30.0


@dataclass
class _Child:
    process: subprocess.Popen[bytes]
    ready: int | None  # read end of the pipe on which it says it is ready, until it has said so
    started: float
    restart_at: float | None = None  # when a dead child is due to be replaced


def exit_reason(returncode: int) -> str:
    """'killed by SIGKILL', 'exited with status 1': what the log says of a dead child."""
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exited with status {returncode}"


class WorkerProcesses:
    def __init__(self, count: int, *, threads: int = 8) -> None:
        self.count = count
        self.threads = threads
        self._children: list[_Child] = []
        self._stopping = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="billbot-worker-watch", daemon=True)
        self._delay = 0.0  # the back-off: 0 until children die young, doubled at each young death
        self._crash_loop_told = False
        self.restarts = 0

    def alive(self) -> bool:
        """At least one child is running (for /readyz): a burst of deaths leaves work waiting, not lost."""
        return not self._stopping.is_set() and any(child.process.poll() is None for child in self._children)

    @property
    def pids(self) -> list[int]:
        return [child.process.pid for child in self._children]

    def start(self, *, ready_within: float = READY_SECONDS) -> WorkerProcesses:
        """Start the children and return once each is taking work (or ``ready_within`` has passed).

        `serve` listens only after this: a command acknowledged before any worker runs would wait in the
        queue while its trigger_id (3 seconds) expires, so the first users after a deploy got no modal.
        """
        self._children = [self._spawn() for _ in range(self.count)]
        deadline = time.monotonic() + ready_within
        for child in self._children:
            assert child.ready is not None
            waiting = max(0.0, deadline - time.monotonic())
            if not select.select([child.ready], [], [], waiting)[0] or not os.read(child.ready, 5):
                log.warning("worker process %s not ready after %.0f s; serving anyway", child.process.pid, ready_within)
            self._close_ready(child)
        self._watcher.start()
        return self

    def _spawn(self) -> _Child:
        read_end, write_end = os.pipe()
        try:
            # The child reads the same environment, so it has the same settings.
            command = [sys.executable, "-m", "bot", "work", "--background", "--threads", str(self.threads)]
            command += ["--ready-fd", str(write_end), "--parent-pid", str(os.getpid())]
            process = subprocess.Popen(command, pass_fds=(write_end,))
        except BaseException:
            os.close(read_end)
            raise
        finally:
            os.close(write_end)
        # The read end stays open until the child has written to it: closing it first made the child's
        # write fail (BrokenPipeError), so every restarted worker died at once and was restarted again.
        return _Child(process, read_end, time.monotonic())

    @staticmethod
    def _close_ready(child: _Child) -> None:
        if child.ready is not None:
            os.close(child.ready)
            child.ready = None

    def _watch(self) -> None:
        while not self._stopping.wait(WATCH_SECONDS):
            for index, child in enumerate(self._children):
                if self._stopping.is_set():
                    return
                self._children[index] = self._check(child)

    def _check(self, child: _Child) -> _Child:
        now = time.monotonic()
        if child.ready is not None and select.select([child.ready], [], [], 0)[0]:
            self._close_ready(child)  # it said it is ready, or died before it could (EOF)
        returncode = child.process.poll()
        if returncode is None:
            if self._delay and now - child.started >= HEALTHY_SECONDS and self._crash_loop_told:
                log.warning("worker process %s has been running for %.0f s: back to normal", child.process.pid,
                            now - child.started)  # fmt: skip
                self._delay, self._crash_loop_told = 0.0, False
            return child
        if child.restart_at is None:
            self._close_ready(child)
            child.restart_at = now + self._next_delay(child, returncode, now)
        if now < child.restart_at:
            return child
        self.restarts += 1
        return self._spawn()

    def _next_delay(self, child: _Child, returncode: int, now: float) -> float:
        """How long to wait before replacing ``child``; says why in the log, once per run of deaths."""
        reason = exit_reason(returncode)
        if now - child.started >= HEALTHY_SECONDS:
            self._delay = 0.0
            log.warning("worker process %s %s; starting another", child.process.pid, reason)
            return 0.0
        # Died young: a worker that cannot start (a bad deploy, an unreachable database) is not restarted in
        # a tight loop, and the log says so once rather than at every restart.
        self._delay = min(MAX_RESTART_DELAY, max(FIRST_RESTART_DELAY, self._delay * 2))
        if not self._crash_loop_told:
            self._crash_loop_told = True
            log.error("worker process %s %s %.1f s after it started; restarting it with a growing delay (up to "
                      "%.0f s) while it keeps dying — its own log lines above say why", child.process.pid, reason,
                      now - child.started, MAX_RESTART_DELAY)  # fmt: skip
        else:
            log.debug("worker process %s %s; next start in %.1f s", child.process.pid, reason, self._delay)
        return self._delay

    def stop(self) -> None:
        self._stopping.set()
        if self._watcher.is_alive():
            self._watcher.join(timeout=5)
        for child in self._children:
            self._close_ready(child)
            if child.process.poll() is None:
                child.process.terminate()
        for child in self._children:
            try:
                child.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.process.kill()
