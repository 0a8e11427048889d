"""The worker processes `billbot serve` keeps running beside its HTTP server.

Work after the ack (opening modals, calling Stripe, posting messages) runs in processes of its own, as
background work of the operating system (idle scheduling class, lowest nice), so a burst of it can never
hold up an ack: in one process, Python's global lock makes the acks queue behind it. Each child is a
`billbot work`, claiming rows from the queue like any other worker; a child that dies is started again,
and its unfinished rows return to the queue when their lease ends.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading

log = logging.getLogger(__name__)

RESTART_DELAY_SECONDS = 1.0


class WorkerProcesses:
    def __init__(self, count: int, *, threads: int = 8) -> None:
        self.count = count
        self.threads = threads
        self._processes: list[subprocess.Popen[bytes]] = []
        self._stopping = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="billbot-worker-watch", daemon=True)

    def start(self) -> WorkerProcesses:
        self._processes = [self._spawn() for _ in range(self.count)]
        self._watcher.start()
        return self

    def _spawn(self) -> subprocess.Popen[bytes]:
        # The child reads the same environment, so it has the same settings.
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "work", "--background", "--threads", str(self.threads)],
        )

    def _watch(self) -> None:
        while not self._stopping.wait(RESTART_DELAY_SECONDS):
            for index, process in enumerate(self._processes):
                if process.poll() is not None and not self._stopping.is_set():
                    log.warning("worker process %s exited with %s; starting another", process.pid, process.returncode)
                    self._processes[index] = self._spawn()

    def stop(self) -> None:
        self._stopping.set()
        for process in self._processes:
            process.terminate()
        for process in self._processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
