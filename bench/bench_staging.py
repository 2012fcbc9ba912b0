"""Benchmark Glue job B: does its cost follow the day's delta, not the lake's history?

Synthesizes a committed 1,000,000-customer staging state (written directly as a committed
batch: state Parquet + manifest) and one day of standardized input touching ~2% of customers
(new customers in every feed, re-sends and changes of existing ones). Then times job B on:

- day 2:  a lake with 1 committed batch before it;
- day 30: a lake with 29 committed batches before it (each with a full 1M-row state, hard-linked
  to save disk; every manifest lists its own files), same delta.

Run:  .venv/bin/python bench/bench_staging.py [--customers 1000000] [--delta 0.02] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from telco360.local.spark import local_session  # noqa: E402
from telco360.shipped.contract import CUSTOMER_FEEDS, FEEDS, LINEAGE_COLUMNS  # noqa: E402
from telco360.shipped.jobs import build_staging as job  # noqa: E402

START = date(2026, 11, 1)


def customer_id(n: str) -> str:
    """SQL for a unique `7590-VHVEG`-shaped id from a non-negative integer column."""
    letters = [f"char(65 + pmod(floor({n} / 10000 / pow(26, {i})), 26))" for i in range(5)]
    return f"concat(lpad(cast(pmod({n}, 10000) as string), 4, '0'), '-', {', '.join(letters)})"


def value_sql(feed: str, column: str, salt: str) -> str:
    """SQL for a plausible, deterministic value of one contract column (salt varies it)."""
    col = FEEDS[feed].column(column)
    h = f"pmod(hash(id, '{column}', {salt}), 2147483647)"  # abs() overflows under ANSI
    if col.categories:
        items = ", ".join(f"'{c}'" for c in col.categories)
        return f"element_at(array({items}), cast(pmod({h}, {len(col.categories)}) + 1 as int))"
    lo, hi = col.minimum or 0, col.maximum if col.maximum is not None else 100
    span = int(min(hi, 10_000) - lo) + 1
    match col.spark_type:
        case "boolean":
            return f"pmod({h}, 2) = 0"
        case "int":
            return f"cast({lo} + pmod({h}, {span}) as int)"
        case "double":
            return f"cast({lo} + pmod({h}, {span * 1000}) / 1000.0 as double)"
        case "decimal(12,2)":
            return f"cast(pmod({h}, 900000) / 100.0 as decimal(12,2))"
        case "date":
            return "date'2026-10-31'"
    if column == "zip_code":
        return f"lpad(cast(90000 + pmod({h}, 2000) as string), 5, '0')"
    return f"concat('{column}-', cast(pmod({h}, 500) as string))"


def write_state(spark, lake: Path, day: str, customers: int) -> list[str]:
    rel = f"staging/customers/state/batch_date={day}/run=synthetic"
    exprs = [f"{customer_id('id')} as customer_id"]
    for feed, names in job.CUSTOMER_COLUMNS.items():
        exprs += [f"{value_sql(feed, c, '0')} as {c}" for c in names]
    exprs += [
        f"date'{day}' as {c}" for c in ("first_seen_batch", "last_changed_batch", "batch_date")
    ]
    frame = spark.range(customers).selectExpr(*exprs)
    frame.coalesce(2).write.mode("overwrite").parquet(str(lake / rel))
    return [f"{rel}/{n}" for n in sorted(os.listdir(lake / rel)) if n.endswith(".parquet")]


def write_population(lake: Path, day: str) -> list[str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rel = f"staging/population/state/batch_date={day}/run=synthetic"
    (lake / rel).mkdir(parents=True, exist_ok=True)
    zips = [f"{90000 + i:05d}" for i in range(2000)]
    d = date.fromisoformat(day)
    table = pa.table(
        {
            "zip_code": zips,
            "id": pa.array(range(2000), pa.int32()),
            "population": pa.array([1000 + i for i in range(2000)], pa.int32()),
            "first_seen_batch": [d] * 2000,
            "last_changed_batch": [d] * 2000,
            "batch_date": [d] * 2000,
        }
    )
    pq.write_table(table, lake / rel / "part-0.parquet")
    return [f"{rel}/part-0.parquet"]


def commit(lake: Path, day: str, previous: str | None, files: dict, customers: int) -> None:
    manifest = {
        "schema_version": 1,
        "batch_date": day,
        "run_id": "synthetic",
        "previous_batch": previous,
        "feeds": {},
        "entities": {"customers": {"total": customers}},
        "files": {k: files.get(k, []) for k in job.OUTPUTS},
    }
    folder = lake / "staging" / "_batches" / f"batch_date={day}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def write_delta(spark, lake: Path, day: str, customers: int, share: float) -> dict:
    """~share of customers touched: 20% of them new (all feeds), the rest re-sent."""
    touched = int(customers * share)
    new = touched // 5
    existing = touched - new
    stride = customers // existing
    base = spark.range(touched).selectExpr(
        f"if(id < {existing}, id * {stride}, {customers} + id - {existing}) as id",
        f"id >= {existing} as is_new",
        "id as n",
    )
    # Existing customers: everyone re-sends status, half services, 1 in 8 moves (location).
    keep = {
        "status": "true",
        "services": "is_new or pmod(n, 2) = 0",
        "location": "is_new or pmod(n, 8) = 0",
        "demographics": "is_new",
    }
    metrics = {"batch_date": day, "contract_version": 1, "feeds": {}}
    for feed in CUSTOMER_FEEDS:
        columns = FEEDS[feed].columns
        # Re-sends: even status rows and services rows with n % 4 == 0 repeat the state (salt 0).
        salt = {"status": "if(pmod(n, 2) = 0, 0, 1)", "services": "if(pmod(n, 4) = 0, 0, 1)"}
        salt = salt.get(feed, "1")
        exprs = []
        for c in columns:
            if c.name == "customer_id":
                exprs.append(f"{customer_id('id')} as customer_id")
            elif c.name == "count":
                exprs.append("1 as count")
            elif c.name == "quarter":
                exprs.append("'Q3' as quarter")
            else:
                exprs.append(f"{value_sql(feed, c.name, salt)} as {c.name}")
        lineage = [
            f"date'{day}' as ingest_date",
            f"'raw/{feed}/ingest_date={day}/{feed}.csv' as source_file",
            "cast(n + 2 as int) as source_line",
        ]
        frame = base.where(keep[feed]).selectExpr(*exprs, *lineage)
        names = [c.name for c in columns] + [n for n, _ in LINEAGE_COLUMNS]
        folder = lake / "standardized" / feed / f"ingest_date={day}"
        frame.select(*names).coalesce(1).write.mode("overwrite").parquet(str(folder))
        rows = spark.read.parquet(str(folder)).count()
        metrics["feeds"][feed] = {"rows_read": rows, "rows_standardized": rows}
    folder = lake / "standardized" / "_metrics" / f"ingest_date={day}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    return metrics


def build_lake(spark, root: Path, prior_batches: int, customers: int, share: float) -> str:
    """A lake with `prior_batches` committed batches (hard-linked copies of one 1M state) and
    standardized input for the next day. Returns that day."""
    lake = root
    days = [(START + timedelta(days=i)).isoformat() for i in range(prior_batches + 1)]
    state_files = write_state(spark, lake, days[0], customers)
    pop_files = write_population(lake, days[0])
    previous = None
    for day in days[:-1]:
        files = {"customers/state": [], "population/state": []}
        for kind, originals in (("customers/state", state_files), ("population/state", pop_files)):
            for original in originals:
                rel = original.replace(f"batch_date={days[0]}", f"batch_date={day}")
                if rel != original:
                    (lake / rel).parent.mkdir(parents=True, exist_ok=True)
                    os.link(lake / original, lake / rel)
                files[kind].append(rel)
        commit(lake, day, previous, files, customers)
        previous = day
    write_delta(spark, lake, days[-1], customers, share)
    return days[-1]


def timed_run(spark, lake: Path, day: str) -> tuple[float, dict]:
    started = time.perf_counter()
    manifest = job.run(spark, str(lake), day, run_id="bench")
    return time.perf_counter() - started, manifest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--delta", type=float, default=0.02, help="share of customers touched")
    parser.add_argument("--work", default=None, help="scratch folder (default: a temp dir)")
    args = parser.parse_args()
    spark = local_session("bench-staging")
    spark.sparkContext.setLogLevel("ERROR")
    work = Path(args.work or tempfile.mkdtemp(prefix="bench-staging-"))
    results = {}
    # Warm-up (JIT, code generation) on a small lake, so neither measured run pays for it.
    warm = work / "warmup"
    shutil.rmtree(warm, ignore_errors=True)
    timed_run(spark, warm, build_lake(spark, warm, 1, 20_000, args.delta))
    for label, prior in (("day 2", 1), ("day 30", 29)):
        lake = work / label.replace(" ", "")
        shutil.rmtree(lake, ignore_errors=True)
        day = build_lake(spark, lake, prior, args.customers, args.delta)
        seconds, manifest = timed_run(spark, lake, day)
        results[label] = seconds
        print(f"{label} ({prior} committed before it): {seconds:.1f} s  {manifest['entities']}")
    print(
        f"\njob B, {args.customers:,} customers, ~{args.delta:.0%} delta: "
        f"day 2 = {results['day 2']:.1f} s, day 30 = {results['day 30']:.1f} s"
    )
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
