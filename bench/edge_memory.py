"""What unsigned bodies cost `billbot serve`: its RSS before and after 256 MB POSTs, alone and 20 at a time.

A real `billbot serve` (uvicorn + Starlette, its worker process beside it, SQLite) in a process of its own;
the client streams each body from one 64 KB buffer, so only the server's memory moves. For each route and
each framing (a declared Content-Length, or chunked with no length), one 256 MB POST, then 20 concurrent
ones; printed: the statuses, the server's VmRSS after, and its peak (VmHWM, reset before each attack).
Goal: growth under 10 MB.

    .venv/bin/python bench/edge_memory.py [--megabytes 256] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness.running_app import free_port  # noqa: E402

MB = 1024 * 1024
CHUNK = b"x" * 65536
ROUTES = ("/slack/events", "/stripe/webhook")


def status_kb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")


def reset_peak(pid: int) -> None:
    # Linux: 5 in clear_refs resets the process's VmHWM (peak RSS) to its current RSS.
    with open(f"/proc/{pid}/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


def start_serve(database_url: str) -> tuple[subprocess.Popen[bytes], str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "STRIPE_", "DATABASE_"))},
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": "bench-signing-secret",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",  # never called: nothing here is signed
        "STRIPE_WEBHOOK_SECRET": "whsec_bench",
        "DATABASE_URL": database_url,
        "BILLBOT_LOG_LEVEL": "WARNING",
    }
    subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--no-scheduler"],
        env={**env, "PORT": str(port)},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("billbot serve did not start")


def chunks(total: int) -> Iterator[bytes]:
    for _ in range(total // len(CHUNK)):
        yield CHUNK


def post(url: str, size: int, declared: bool) -> str:
    headers = {"Content-Type": "application/json"}
    if declared:
        headers["Content-Length"] = str(size)
    try:
        with httpx.Client(timeout=120) as client:
            return str(client.post(url, content=chunks(size), headers=headers).status_code)
    except httpx.TransportError as exc:  # the server closed on us before we read its answer
        return exc.__class__.__name__


def attack(pid: int, url: str, size: int, declared: bool, concurrency: int) -> tuple[Counter[str], int, int, float]:
    reset_peak(pid)
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        statuses = Counter(pool.map(lambda _: post(url, size, declared), range(concurrency)))
    elapsed = time.perf_counter() - started
    time.sleep(0.5)  # whatever the server frees after answering is freed by now
    return statuses, status_kb(pid, "VmRSS"), status_kb(pid, "VmHWM"), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=256)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    size = args.megabytes * MB
    with tempfile.TemporaryDirectory() as folder:
        process, url = start_serve(f"sqlite:///{folder}/bench.db")
        try:
            for route in ROUTES:  # warm both routes and their refusals before the baseline
                for _ in range(3):
                    httpx.post(f"{url}{route}", content=b"{}", timeout=5)
            time.sleep(0.5)
            baseline = status_kb(process.pid, "VmRSS")
            print(f"billbot serve (pid {process.pid}) at rest: VmRSS {baseline / 1024:.1f} MB")
            print(f"{'route':<16} {'framing':<15} {'posts':>5} {'statuses':<18} {'RSS after':>10} {'peak':>9} "
                  f"{'growth':>8} {'time':>7}")  # fmt: skip
            worst = 0.0
            for route in ROUTES:
                for declared in (True, False):
                    for count in (1, args.concurrency):
                        statuses, rss, peak, elapsed = attack(process.pid, f"{url}{route}", size, declared, count)
                        growth = (max(rss, peak) - baseline) / 1024
                        worst = max(worst, growth)
                        shown = ",".join(f"{n}x{s}" for s, n in sorted(statuses.items()))
                        framing = "Content-Length" if declared else "chunked"
                        print(f"{route:<16} {framing:<15} {count:>5} {shown:<18} {rss / 1024:>8.1f}MB "
                              f"{peak / 1024:>7.1f}MB {growth:>6.1f}MB {elapsed:>6.2f}s")  # fmt: skip
            print(f"worst growth: {worst:.1f} MB for {args.megabytes} MB unsigned bodies (goal < 10 MB)")
        finally:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
