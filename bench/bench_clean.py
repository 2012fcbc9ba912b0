"""Benchmark Glue job A (clean & standardize) on a day-1 batch of N customers.

    .venv/bin/python bench/bench_clean.py [--customers 1000000] [--lake /tmp/bench-clean]

Uses the project generator (`telco360.generate.generate`) when it exists; otherwise it
synthesizes IBM-shaped exports itself (the four customer feeds + population, ~1% dirty rows,
CRLF, float-noise money). Prints rows read per second of job A (session start excluded).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from telco360.contract import FEEDS  # noqa: E402
from telco360.spark import local_session  # noqa: E402

BATCH = "2026-11-01"


def _load_job():
    spec = importlib.util.spec_from_file_location(
        "clean_standardize", REPO / "glue/clean_standardize.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _customer_id(i: int) -> str:
    letters = "".join(chr(65 + (i // 26**k) % 26) for k in range(5))
    return f"{i % 10000:04d}-{letters}"


def synthesize(lake: Path, customers: int, seed: int = 7, dirty: float = 0.01) -> None:
    """IBM-shaped exports written directly (fallback when the generator is not available)."""
    rnd = random.Random(seed)
    yn = ("Yes", "No")

    def out(feed: str):
        folder = lake / "raw" / feed / f"ingest_date={BATCH}"
        folder.mkdir(parents=True, exist_ok=True)
        return open(folder / f"{feed}.csv", "w", encoding="utf-8", newline="")

    feeds = {f: out(f) for f in ("demographics", "location", "services", "status", "population")}
    extra = {"location": "Location ID,", "services": "Service ID,", "status": "Status ID,"}
    for name, handle in feeds.items():
        handle.write(extra.get(name, "") + ",".join(FEEDS[name].headers) + "\r\n")
    zips = [f"{90001 + z:05d}" for z in range(1600)]
    for z, code in enumerate(zips):
        feeds["population"].write(f"{z + 1},{code},{rnd.randint(100, 100000)}\r\n")
    for i in range(customers):
        cid = _customer_id(i)
        bad = rnd.random() < dirty
        age = rnd.randint(19, 80)
        feeds["demographics"].write(
            f"{cid},1,{rnd.choice(('Male', 'Female'))},{'abc' if bad else age},"
            f"{'Yes' if age < 30 else 'No'},{'Yes' if age >= 65 else 'No'},"
            f"{rnd.choice(yn)},{rnd.choice(yn)},{rnd.randint(0, 3)}\r\n"
        )
        lat, lon = 33 + rnd.random() * 8, -124 + rnd.random() * 10
        feeds["location"].write(
            f"L{i},{cid},1,United States,California,Los Angeles,{rnd.choice(zips)},"
            f'"{lat:.6f}, {lon:.6f}",{lat:.6f},{lon:.6f}\r\n'
        )
        tenure = rnd.randint(0, 72)
        monthly = round(rnd.uniform(18, 120), 2)
        total = " " if tenure == 0 else repr(monthly * tenure)  # float noise, blank first month
        flags = ",".join(rnd.choice(yn) for _ in range(8))  # Online Security .. Unlimited Data
        contract = "Three Year" if bad else rnd.choice(("Month-to-Month", "One Year", "Two year"))
        feeds["services"].write(
            f"S{i},{cid},1,Q3,{rnd.choice(yn)},{rnd.randint(0, 5)},{tenure},"
            f"{rnd.choice(('None', 'Offer A', 'Offer E'))},Yes,{rnd.uniform(0, 50):.2f},No,Yes,"
            f"{rnd.choice(('DSL', 'Fiber Optic', 'Cable'))},{rnd.randint(0, 90)},{flags},"
            f"{contract},Yes,{rnd.choice(('Bank Withdrawal', 'Credit Card', 'Mailed Check'))},"
            f"{monthly},{total},0,0,{rnd.uniform(0, 500):.2f},{monthly * (tenure + 1):.2f}\r\n"
        )
        churned = rnd.random() < 0.26
        feeds["status"].write(
            f"T{i},{cid},1,Q3,{rnd.randint(1, 5)},{'Churned' if churned else 'Stayed'},"
            f"{'Yes' if churned else 'No'},{int(churned)},{rnd.randint(5, 95)},"
            f"{rnd.randint(2000, 6500)},{'Price' if churned else ''},"
            f"{'Price too high' if churned else ''}\r\n"
        )
    for handle in feeds.values():
        handle.close()


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
        if (REPO / "src/telco360/generate").is_dir():
            from telco360.generate import generate

            generate(
                lake=str(lake), customers=args.customers, days=1, start=BATCH, seed=7, dirty=0.01
            )
            how = "telco360.generate"
        else:
            synthesize(lake, args.customers)
            how = "bench synthesizer"
        took = time.perf_counter() - started
        print(f"generated {args.customers} customers with {how} in {took:.1f} s")
    raw_bytes = sum(p.stat().st_size for p in (lake / "raw").rglob("*.csv"))
    job = _load_job()
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
