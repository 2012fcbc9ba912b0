"""Benchmark Glue job A (clean & standardize) on a day-1 batch of N customers.

    .venv/bin/python bench/bench_clean.py [--customers 1000000] [--lake /tmp/bench-clean]

Writes the batch with the project generator (`telco360.ops.generate`, 1% dirty rows) and runs
`telco360.shipped.jobs.clean_standardize.run` on it. Prints rows read per second of job A (session
start excluded).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from telco360.local.spark import local_session  # noqa: E402
from telco360.ops.generate import generate  # noqa: E402
from telco360.shipped.jobs import clean_standardize as job  # noqa: E402

BATCH = "2026-11-01"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--lake", default="/tmp/bench-clean")
    parser.add_argument("--keep", action="store_true", help="reuse an existing raw batch")
    args = parser.parse_args()
    lake = Path(args.lake)
    if not (args.keep and (lake / "raw").exists()):
        shutil.rmtree(lake, ignore_errors=True)
        started = time.perf_counter()
        generate(lake=str(lake), customers=args.customers, days=1, start=BATCH, seed=7, dirty=0.01)
        took = time.perf_counter() - started
        print(f"generated {args.customers} customers with telco360.ops.generate in {took:.1f} s")
    raw_bytes = sum(p.stat().st_size for p in (lake / "raw").rglob("*.csv"))
    spark = local_session("bench-clean")
    started = time.perf_counter()
    metrics = job.run(spark, str(lake), BATCH)
    elapsed = time.perf_counter() - started
    rows = sum(m["rows_read"] for m in metrics["feeds"].values())
    for name, m in metrics["feeds"].items():
        print(
            f"  {name:13s} read {m['rows_read']:>9,}  standardized {m['rows_standardized']:>9,}  "
            f"quarantined {m['rows_quarantined']:>7,}  duplicates {m['duplicates_dropped']:>5,}"
        )
    print(
        f"job A: {rows:,} rows ({raw_bytes / 1e6:.0f} MB CSV) in {elapsed:.1f} s = "
        f"{rows / elapsed:,.0f} rows/s on {os.cpu_count()} cores"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
