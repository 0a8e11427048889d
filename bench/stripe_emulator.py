"""Benchmark the Stripe emulator: `.venv/bin/python bench/stripe_emulator.py [--threads N] [--seconds S]`.

1. Throughput through the real stripe client from several client processes and threads: a mixed
   invoice workload (customer, invoice, 3 invoice items, finalize = 6 requests per round) and simple
   retrieves. The emulator runs in its own process so it does not share a GIL with the clients, as
   in real use; on a 2-core machine the clients' own CPU cost is part of what is measured.
2. Memory: 100,000 customers inserted through the emulator's internal bulk path
   (``seed_customers``: straight into the store, no HTTP, no events), measured with tracemalloc
   and as an RSS delta, plus list latency with that many objects stored.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

import stripe

from bot.sandbox.stripe import StripeEmulator

REQUESTS_PER_ROUND = 6


def _serve(queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    emulator = StripeEmulator().start()
    queue.put(emulator.url)
    threading.Event().wait()


def _client(url: str) -> stripe.StripeClient:
    return stripe.StripeClient(
        "sk_test_emulator", base_addresses={"api": url, "connect": url, "files": url}, max_network_retries=0
    )


def _round(client: stripe.StripeClient, rate_id: str) -> None:
    customer = client.v1.customers.create(params={"email": "bench@example.com", "name": "Bench"})
    invoice = client.v1.invoices.create(
        params={"customer": customer.id, "collection_method": "send_invoice", "days_until_due": 30}
    )
    for amount in (1000, 2050, 333):
        client.v1.invoice_items.create(
            params={
                "customer": customer.id,
                "invoice": invoice.id,
                "amount": amount,
                "tax_rates": [rate_id],
                "description": "Session",
            }
        )
    finalized = client.v1.invoices.finalize_invoice(invoice.id)
    assert finalized.total == 3383 + 643


def _client_process(url: str, rate_id: str, threads: int, seconds: float, simple: bool, queue: Any) -> None:
    counts = [0] * threads
    customer_id = _client(url).v1.customers.create().id if simple else ""
    stop_at = time.perf_counter() + seconds

    def work(index: int) -> None:
        client = _client(url)
        while time.perf_counter() < stop_at:
            if simple:
                client.v1.customers.retrieve(customer_id)
                counts[index] += 1
            else:
                _round(client, rate_id)
                counts[index] += REQUESTS_PER_ROUND

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    queue.put(sum(counts))


def _raw_process(url: str, customer_id: str, seconds: float, queue: Any) -> None:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port))
    headers = {"Authorization": "Bearer sk_test_emulator"}
    count = 0
    stop_at = time.perf_counter() + seconds
    while time.perf_counter() < stop_at:
        conn.request("GET", f"/v1/customers/{customer_id}", headers=headers)
        response = conn.getresponse()
        response.read()
        count += 1
    queue.put(count)


def throughput(processes: int, threads: int, seconds: float) -> None:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    server = ctx.Process(target=_serve, args=(queue,), daemon=True)
    server.start()
    url = queue.get(timeout=30)
    try:
        rate_id = (
            _client(url).v1.tax_rates.create(params={"display_name": "VAT", "percentage": 19, "inclusive": False}).id
        )
        _round(_client(url), rate_id)  # warm up: imports, schema caches, first connection
        print(
            f"Throughput through stripe.StripeClient ({processes} client processes x {threads} threads, "
            f"{seconds:.0f} s each; the emulator in its own process)"
        )
        for label, simple in (("mixed invoice workload", False), ("simple GET /v1/customers/{id}", True)):
            clients = [
                ctx.Process(target=_client_process, args=(url, rate_id, threads, seconds, simple, queue))
                for _ in range(processes)
            ]
            started = time.perf_counter()
            for client in clients:
                client.start()
            total = sum(queue.get(timeout=seconds + 60) for _ in clients)
            for client in clients:
                client.join()
            elapsed = time.perf_counter() - started
            print(
                f"  {label}: {total / elapsed:,.0f} requests/s"
                + (f" ({total / REQUESTS_PER_ROUND / elapsed:,.1f} invoices finalized/s)" if not simple else "")
            )
        # The same retrieve over bare keep-alive HTTP shows what the emulator itself can serve.
        customer_id = _client(url).v1.customers.create().id
        raw = [ctx.Process(target=_raw_process, args=(url, customer_id, seconds, queue)) for _ in range(processes)]
        started = time.perf_counter()
        for client in raw:
            client.start()
        total = sum(queue.get(timeout=seconds + 60) for _ in raw)
        for client in raw:
            client.join()
        print(
            f"  simple GET over bare keep-alive HTTP ({processes} processes): "
            f"{total / (time.perf_counter() - started):,.0f} requests/s"
        )
    finally:
        server.kill()
        server.join()


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def memory(count: int) -> None:
    emulator = StripeEmulator().start()
    try:
        rss_before = _rss_kib()
        tracemalloc.start()
        base, _ = tracemalloc.get_traced_memory()
        started = time.perf_counter()
        emulator.seed_customers(count)
        seeded = time.perf_counter() - started
        used, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_after = _rss_kib()
        client = _client(emulator.url)
        started = time.perf_counter()
        page = client.v1.customers.list(params={"limit": 100})
        first_page = time.perf_counter() - started
        middle = list(emulator.app.store.by_scope[(emulator.platform_account_id, "customer")])[count // 2]
        started = time.perf_counter()
        client.v1.customers.list(params={"limit": 100, "starting_after": middle})
        deep_page = time.perf_counter() - started
        started = time.perf_counter()
        client.v1.customers.retrieve(page.data[0].id)
        retrieve = time.perf_counter() - started
        print(f"Memory with {count:,} customers stored (bulk path, {seeded:.2f} s to insert)")
        print(f"  tracemalloc: {(used - base) / 2**20:,.1f} MiB ({(used - base) / count:,.0f} B per object)")
        print(f"  RSS delta:   {(rss_after - rss_before) / 1024:,.1f} MiB")
        print(
            f"  list first page (100): {first_page * 1000:.1f} ms; page from the middle: {deep_page * 1000:.1f} ms; "
            f"retrieve: {retrieve * 1000:.1f} ms"
        )
    finally:
        emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--threads", type=int, default=2, help="client threads per process")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--objects", type=int, default=100_000)
    args = parser.parse_args()
    throughput(args.processes, args.threads, args.seconds)
    memory(args.objects)


if __name__ == "__main__":
    main()
