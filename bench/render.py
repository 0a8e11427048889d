"""Rendering invoices to PDF: a 20-line invoice, rendered 500 times in a row, in one process.

Time: median and p95 of `render_invoice_pdf` per invoice (the logo included: a 600×200 PNG). Memory: the
process's resident set size (RSS) after the warm-up, after 250 and after 500 renders, its peak (ru_maxrss),
and the Python heap still held after the run (tracemalloc, measured in a second pass, since tracing slows
allocation): "no growth" means the RSS at 500 is within noise of the RSS at 250 and nothing is left behind.

    .venv/bin/python bench/render.py [--count 500] [--lines 20] [--template classic|modern|minimal] [--locale fr]
"""

from __future__ import annotations

import argparse
import gc
import io
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from bot.documents import Address, Branding, render_invoice_pdf  # noqa: E402
from bot.documents.model import TEMPLATES  # noqa: E402
from bot.documents.sample import sample_document  # noqa: E402


def rss_mib() -> float:
    # /proc gives the current RSS; ru_maxrss only the peak.
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--lines", type=int, default=20)
    parser.add_argument("--template", choices=TEMPLATES, default="modern")
    parser.add_argument("--locale", choices=("en", "fr"), default="fr")
    args = parser.parse_args()

    logo = io.BytesIO()
    Image.new("RGB", (600, 200), (42, 157, 143)).save(logo, format="PNG")
    branding = Branding(args.template, "#2a9d8f", "#e0f2f0", logo.getvalue(), "image/png", "SIRET 123 456 789 00010")
    document = sample_document(
        args.locale,
        branding,
        practice_name="Cabinet Dupont",
        practice_address=Address("12 rue de la Paix", None, "Paris", None, "75002", "FR"),
        lines=args.lines,
    )
    for _ in range(20):  # warm-up: imports, Babel's locale data, Jinja/fpdf2 caches
        render_invoice_pdf(document, args.locale)
    gc.collect()
    rss_start = rss_mib()
    times: list[float] = []
    rss_half = 0.0
    size = 0
    for i in range(args.count):
        started = time.perf_counter()
        size = len(render_invoice_pdf(document, args.locale))
        times.append(time.perf_counter() - started)
        if i + 1 == args.count // 2:
            gc.collect()
            rss_half = rss_mib()
    gc.collect()
    rss_end = rss_mib()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    tracemalloc.start()
    render_invoice_pdf(document, args.locale)
    gc.collect()
    baseline, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    for _ in range(args.count):
        render_invoice_pdf(document, args.locale)
    gc.collect()
    held, heap_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    ms = sorted(t * 1000 for t in times)
    p95 = ms[min(len(ms) - 1, round(0.95 * len(ms)) - 1)]
    print(f"{args.count} renders of a {args.lines}-line invoice ({args.template}, {args.locale}, with logo), "
          f"{size / 1024:.1f} KiB each")  # fmt: skip
    print(f"time per PDF: median {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms, max {ms[-1]:.1f} ms")
    print(
        f"RSS: {rss_start:.1f} MiB after warm-up, {rss_half:.1f} MiB after {args.count // 2}, "
        f"{rss_end:.1f} MiB after {args.count}; peak RSS {peak:.1f} MiB"
    )
    print(
        f"Python heap over {args.count} more renders: peak {heap_peak / 2**20:.2f} MiB above the start, "
        f"{(held - baseline) / 1024:+.1f} KiB still held at the end"
    )


if __name__ == "__main__":
    main()
