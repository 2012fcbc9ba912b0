"""`make bench`: how fast the local pipeline runs, how its cost grows, what a day costs on AWS.

    .venv/bin/python bench/run_bench.py [--scales 10000,100000,1000000] [--history-days 30]

Writes bench/results/latest.{json,md,png}. A benchmark, not a test: it takes many minutes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "src"), str(REPO / "bench")]

import aws_cost  # noqa: E402
import chart  # noqa: E402
import duckdb_reference  # noqa: E402
import lambda_cold_import  # noqa: E402

from telco360.local import warehouse  # noqa: E402
from telco360.local.spark import local_session  # noqa: E402
from telco360.ops.generate import generate  # noqa: E402

BATCH = "2026-11-01"
from telco360.shipped.jobs import build_staging as job_b  # noqa: E402
from telco360.shipped.jobs import clean_standardize as job_a  # noqa: E402


class HeapPeak:
    """Peak JVM heap in use (MemoryMXBean.getHeapMemoryUsage().getUsed()), polled every 0.2 s
    from a thread while a block runs. Live + not-yet-collected objects; not the process RSS."""

    def __init__(self, spark):
        self.bean = spark.sparkContext._jvm.java.lang.management.ManagementFactory
        self.peak = 0
        self._stop = threading.Event()

    def _poll(self):
        while not self._stop.is_set():
            used = self.bean.getMemoryMXBean().getHeapMemoryUsage().getUsed()
            self.peak = max(self.peak, used)
            self._stop.wait(0.2)

    def __enter__(self):
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def mb(self) -> float:
        return round(self.peak / 2**20, 1)


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - started, result


def data_rows(lake: Path) -> int:
    rows = 0
    for path in (lake / "raw").rglob("*.csv"):
        with open(path, "rb") as f:
            data = f.read()
        rows += data.count(b"\n") - 1 + (not data.endswith(b"\n"))  # minus the header
    return rows


def make_lake(work: Path, customers: int) -> Path:
    lake = work / f"lake_{customers}"
    shutil.rmtree(lake, ignore_errors=True)
    generate(str(lake), customers, 1, BATCH, 7, 0.01)
    return lake


def run_scale(spark, work: Path, customers: int, keep_lake: bool = False) -> dict:
    lake = make_lake(work, customers)
    rows_in = data_rows(lake)
    db = work / f"warehouse_{customers}.duckdb"
    db.unlink(missing_ok=True)
    with HeapPeak(spark) as heap:
        clean_s, _ = timed(job_a.run, spark, str(lake), BATCH)
        staging_s, _ = timed(job_b.run, spark, str(lake), BATCH, run_id="bench")
    load_s, _ = timed(warehouse.load_batch, str(lake), str(db), BATCH)
    e2e = clean_s + staging_s + load_s
    result = {
        "customers": customers,
        "rows_in": rows_in,
        "clean_s": round(clean_s, 2),
        "staging_s": round(staging_s, 2),
        "load_s": round(load_s, 2),
        "e2e_s": round(e2e, 2),
        "rows_per_s": round(rows_in / e2e),
        "jvm_peak_mb": heap.mb,
    }
    print(f"scale {customers:,}: {result}", flush=True)
    if not keep_lake:
        shutil.rmtree(lake, ignore_errors=True)
    db.unlink(missing_ok=True)
    return result


def run_incremental(spark, work: Path, customers: int, history_days: int, delta: float) -> dict:
    """Job B on day 2 vs day N of a lake of equal daily deltas (bench_staging's synthetic lake)."""
    import bench_staging

    results = {}
    for label, prior in (("day2_s", 1), ("dayN_s", history_days - 1)):
        lake = work / f"incremental_{label}"
        shutil.rmtree(lake, ignore_errors=True)
        day = bench_staging.build_lake(spark, lake, prior, customers, delta)
        seconds, _ = timed(bench_staging.job.run, spark, str(lake), day, run_id="bench")
        results[label] = round(seconds, 2)
        print(f"incremental {label} ({prior} committed before): {seconds:.1f} s", flush=True)
        shutil.rmtree(lake, ignore_errors=True)
    return {
        "customers": customers,
        "history_days": history_days,
        "delta_share": delta,
        "job": "build_staging (job B); job A reads only the day's raw files",
        **results,
        "ratio": round(results["dayN_s"] / results["day2_s"], 3),
    }


def duckdb_vs_spark(spark, work: Path, customers: int, scale_result: dict | None) -> dict:
    lake = work / f"lake_{customers}"
    if not lake.exists():
        lake = make_lake(work, customers)
    ddb_s = duckdb_reference.run(str(lake), BATCH, str(work / "duckdb_out"))["seconds"]
    spark_s = (scale_result["clean_s"] + scale_result["staging_s"]) if scale_result else None
    shutil.rmtree(lake, ignore_errors=True)
    return {
        "customers": customers,
        "duckdb_s": round(ddb_s, 2),
        "spark_s": spark_s,
        "ratio": round(spark_s / ddb_s, 2) if spark_s else None,
        "what": "raw CSV -> typed, checked, deduplicated standardized Parquet -> latest state",
    }


def versions() -> dict:
    import duckdb
    import pyspark

    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr
    return {
        "python": platform.python_version(),
        "pyspark": pyspark.__version__,
        "duckdb": duckdb.__version__,
        "java": java.splitlines()[0] if java else None,
    }


def machine() -> dict:
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) // 1024
    return {"cores": os.cpu_count(), "memory_mb": mem, "platform": platform.platform()}


def save(report: dict, out: Path, skip: set, scales: list[int], started: float, final=False):
    """Write latest.{json,md,png} from what has been measured so far (a long run that is
    stopped still leaves its finished parts, marked partial)."""
    import report_md

    assumed = aws_cost.Assumptions()
    done = report.get("scales", [])
    report["aws_cost_usd_per_run"] = {
        str(s["customers"]): {
            k: round(v, 6)
            for k, v in aws_cost.estimate_run_cost([s["clean_s"], s["staging_s"]], assumed).items()
        }
        for s in done
    }
    report["aws_cost_prices"] = aws_cost.prices()
    report["aws_cost_assumptions"] = aws_cost.assumptions(assumed)
    report["load_average_end"] = os.getloadavg()
    report["total_minutes"] = round((time.time() - started) / 60, 1)
    report["partial"] = (
        not final or bool(skip) or [s["customers"] for s in done] != [10_000, 100_000, 1_000_000]
    )
    (out / "latest.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if done:
        chart.plot(done, str(out / "latest.png"))
    (out / "latest.md").write_text(report_md.render(report), encoding="utf-8")
    print(f"wrote {out}/latest.{{json,md,png}} after {report['total_minutes']} min", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="10000,100000,1000000")
    parser.add_argument("--history-days", type=int, default=30)
    parser.add_argument("--delta", type=float, default=0.02)
    parser.add_argument("--out", default=str(REPO / "bench" / "results"))
    parser.add_argument("--work", default=None, help="scratch folder (default: a temp dir)")
    parser.add_argument("--warmup", type=int, default=2000, help="warm-up customers (0: none)")
    parser.add_argument("--skip", default="", help="comma list: incremental,duckdb,imports")
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    skip = set(filter(None, args.skip.split(",")))
    work = Path(args.work or tempfile.mkdtemp(prefix="telco360-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    report = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine(),
        "versions": versions(),
        "load_average_start": os.getloadavg(),
    }
    if "imports" not in skip:
        handlers = (("preflight", "PreflightFunction"), ("notify", "NotifyFailureFunction"))
        for name, logical_id in handlers:
            got = lambda_cold_import.measure(logical_id)
            report[f"{name}_cold_import_ms"] = got["ms"]
            report[f"{name}_cold_import_detail"] = got
            print(f"{name} cold import: {got}", flush=True)
        report["scales"] = []
        save(report, out, skip, scales, started)

    spark = local_session("telco360-bench")
    if args.warmup:
        run_scale(spark, work, args.warmup)  # warm-up (JIT, code generation): not reported
    report["warmup_customers"] = args.warmup
    largest = max(scales)
    report["scales"] = []
    for n in scales:
        report["scales"].append(run_scale(spark, work, n, keep_lake=n == largest))
        save(report, out, skip, scales, started)
    by_n = {s["customers"]: s for s in report["scales"]}
    if "duckdb" not in skip:
        report["duckdb_reference"] = duckdb_vs_spark(spark, work, largest, by_n.get(largest))
        print(f"duckdb reference: {report['duckdb_reference']}", flush=True)
        save(report, out, skip, scales, started)
    else:
        shutil.rmtree(work / f"lake_{largest}", ignore_errors=True)
    if "incremental" not in skip:
        report["incremental"] = run_incremental(spark, work, largest, args.history_days, args.delta)

    save(report, out, skip, scales, started, final=True)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
