"""The worker processes `billbot serve` keeps running beside its HTTP server.

Work after the ack (opening modals, calling Stripe, posting messages) runs in processes of its own, as
background work of the operating system (idle scheduling class, lowest nice), so a burst of it can never
hold up an ack: in one process, Python's global lock makes the acks queue behind it. Each child is a
`billbot work`, claiming rows from the queue like any other worker; a child that dies is started again,
and its unfinished rows return to the queue when their lease ends.
"""

from __future__ import annotations

import logging
import os
import select
import subprocess
import sys
import threading
import time

log = logging.getLogger(__name__)

RESTART_DELAY_SECONDS = 1.0
READY_SECONDS = 60.0


class WorkerProcesses:
    def __init__(self, count: int, *, threads: int = 8) -> None:
        self.count = count
        self.threads = threads
        self._processes: list[subprocess.Popen[bytes]] = []
        self._stopping = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="billbot-worker-watch", daemon=True)

    def start(self, *, ready_within: float = READY_SECONDS) -> WorkerProcesses:
        """Start the children and return once each is taking work (or ``ready_within`` has passed).

        `serve` listens only after this: a command acknowledged before any worker runs would wait in the
        queue while its trigger_id (3 seconds) expires, so the first users after a deploy got no modal.
        """
        spawned = [self._spawn() for _ in range(self.count)]
        self._processes = [process for process, _ in spawned]
        deadline = time.monotonic() + ready_within
        for process, ready in spawned:
            with os.fdopen(ready, "rb") as pipe:
                waiting = max(0.0, deadline - time.monotonic())
                if not select.select([pipe], [], [], waiting)[0] or not pipe.read(5):
                    log.warning("worker process %s not ready after %.0f s; serving anyway", process.pid, ready_within)
        self._watcher.start()
        return self

    def _spawn(self) -> tuple[subprocess.Popen[bytes], int]:
        """A child and the read end of the pipe on which it says it is ready."""
        read_end, write_end = os.pipe()
        try:
            # The child reads the same environment, so it has the same settings.
            command = [sys.executable, "-m", "bot", "work", "--background", "--threads", str(self.threads)]
            command += ["--ready-fd", str(write_end), "--parent-pid", str(os.getpid())]
            process = subprocess.Popen(command, pass_fds=(write_end,))
        finally:
            os.close(write_end)
        return process, read_end

    def _watch(self) -> None:
        while not self._stopping.wait(RESTART_DELAY_SECONDS):
            for index, process in enumerate(self._processes):
                if process.poll() is not None and not self._stopping.is_set():
                    log.warning("worker process %s exited with %s; starting another", process.pid, process.returncode)
                    process, ready = self._spawn()
                    os.close(ready)  # a restart is not waited for: the others are serving meanwhile
                    self._processes[index] = process

    def stop(self) -> None:
        self._stopping.set()
        for process in self._processes:
            process.terminate()
        for process in self._processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
