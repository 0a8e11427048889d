"""The trigger-bound runs' pool (bot.work_queue.TwoLanePool): acks held back while its urgent lane is full go in
the order they came, and an ack that arrives while others wait does not take the room before them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from bot.work_queue import TwoLanePool


def _until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_acks_waiting_for_room_queue_their_work_in_arrival_order() -> None:
    pool = TwoLanePool(1, "test-pool")
    release = threading.Event()
    ran: list[str] = []
    done = threading.Event()

    def task(name: str) -> Callable[[], None]:
        def run() -> None:
            ran.append(name)
            if name == "last":
                done.set()

        return run

    pool.submit(lambda: release.wait(5))  # the only thread is busy
    _until(lambda: pool._running_urgent == 1)
    pool.submit(task("queued"))  # the urgent lane is full (backlog 1): the next acks wait
    waiting: list[threading.Thread] = []
    for count, name in enumerate(("first", "second", "third"), start=1):
        submitter = threading.Thread(target=pool.submit, args=(task(name),))
        submitter.start()
        waiting.append(submitter)
        _until(lambda: len(pool._turns) == count)  # noqa: B023 (called before the loop goes on)
    # Room is made while three acks wait: the one arriving now goes behind them, not first.
    release.set()
    pool.submit(task("last"))
    assert done.wait(5)
    for submitter in waiting:
        submitter.join(5)
    assert ran == ["queued", "first", "second", "third", "last"]


def test_an_ack_that_finds_room_and_nobody_waiting_goes_at_once() -> None:
    pool = TwoLanePool(2, "test-pool")
    ran = threading.Event()
    started = time.monotonic()
    pool.submit(ran.set)
    assert ran.wait(5)
    assert time.monotonic() - started < 0.5
