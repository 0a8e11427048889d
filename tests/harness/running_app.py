"""The app as `billbot serve` runs it (bot.server.create under uvicorn), on a free loopback port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Mapping

import uvicorn
from slack_bolt import App

from bot.server import build_http_app, create
from bot.services import Services
from bot.settings import Mode, load_settings
from bot.slack_app import build_app, start_worker
from bot.work_queue import Worker


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RunningApp:
    def __init__(self, env: Mapping[str, str], flows: list[Callable[[App, Services], None]] | None = None) -> None:
        """With ``flows``, the app has only those (tests of the machinery, on a flow of their own)."""
        self.port = free_port()
        self.settings = load_settings(Mode.HTTP, {**env, "HOST": "127.0.0.1", "PORT": str(self.port)})
        self.services: Services
        if flows is None:
            self.services, self.bolt_app, http_app = create(self.settings)
        else:
            self.services = Services.build(self.settings)
            self.bolt_app = build_app(self.services, flows)
            http_app = build_http_app(self.services, self.bolt_app)
        self.http_app = http_app
        config = uvicorn.Config(http_app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="billbot-under-test", daemon=True)
        self.worker: Worker | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, worker: bool = True) -> RunningApp:
        """Serve; with ``worker=False`` work after the ack stays queued, as if the worker had crashed."""
        self.worker = start_worker(self.services, self.bolt_app) if worker else None
        if self.worker is not None:
            self.http_app.state.worker_alive = self.worker.alive  # as `billbot serve` tells /readyz
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the app did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        if self.worker is not None:
            self.worker.stop()  # lets work in hand finish before the database goes away
        self.services.close()
