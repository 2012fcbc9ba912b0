"""Benchmark: time `telco360 generate` (default 1,000,000 customers x 1 day, dirty 0.01).

    .venv/bin/python bench/bench_generate.py [--customers N] [--days D] [--dirty R]

Prints wall-clock seconds, rows written (data lines, all feeds) and bytes. Not a test.
"""

from __future__ import annotations

import argparse
import tempfile
import time

from telco360.ops.generate import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--dirty", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="telco360-bench-") as lake:
        began = time.perf_counter()
        paths = generate(lake, args.customers, args.days, "2026-11-01", args.seed, args.dirty)
        seconds = time.perf_counter() - began
        rows = size = 0
        for path in paths:
            with open(path, "rb") as f:
                data = f.read()
            size += len(data)
            rows += data.count(b"\n") - 1 + (not data.endswith(b"\n"))  # minus header
    print(
        f"customers={args.customers} days={args.days} dirty={args.dirty}: "
        f"{seconds:.1f} s, {len(paths)} files, {rows:,} rows, {size / 1e6:.0f} MB"
    )


if __name__ == "__main__":
    main()
