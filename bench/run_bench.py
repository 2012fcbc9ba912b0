"""`make bench`: how long a cold run takes (what users and Glue pay), against the DuckDB floor,
how job B's cost grows with history, and what a day costs on AWS.

    .venv/bin/python bench/run_bench.py [--scales 10000,1000000] [--runs 3] [--runs-1m 2]

Every Spark figure is a fresh process (a cold JVM): see cold_runs.py. Writes
bench/results/latest.{json,md,png}. A benchmark, not a test: it takes about half an hour.
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
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "src"), str(REPO / "bench")]

import aws_cost  # noqa: E402
import chart  # noqa: E402
import cold_runs  # noqa: E402
import duckdb_reference  # noqa: E402
import lambda_cold_import  # noqa: E402

from telco360.local.spark import local_session  # noqa: E402
from telco360.ops.generate import generate  # noqa: E402

BATCH = "2026-11-01"
DEFAULT_SCALES = [10_000, 1_000_000]
FLOOR_SCRIPT = REPO.parent / "shared" / "perf" / "floor_duckdb.py"  # the workplace's shared floor


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


def cold_scale(work: Path, customers: int, runs: int) -> tuple[dict, dict]:
    """Cold `telco360 run` processes (median of `runs`) and each Glue job alone, fresh JVMs."""
    seed = make_lake(work, customers)
    pipeline = cold_runs.pipeline(seed, work, customers, runs)
    pipeline["rows_in"] = data_rows(seed)
    alone = {"customers": customers, **cold_runs.jobs_alone(seed, work, BATCH)}
    alone["spark_floor_s"] = cold_runs.spark_floor(seed, work, BATCH)
    print(f"each Glue job alone, {customers:,} customers: {alone}", flush=True)
    return pipeline, alone


def floor(work: Path, customers: int, cold: dict, floor_script: Path) -> dict:
    """The DuckDB floors on the same day's lake, next to Spark's cold jobs A + B."""
    lake = work / f"lake_{customers}"
    minimal = cold_runs.shared_floor(floor_script, lake, BATCH, work / "floor_out")
    reference = duckdb_reference.run(str(lake), BATCH, str(work / "duckdb_out"))["seconds"]
    spark_ab = round(cold["job_a_s"] + cold["job_b_s"], 2)
    return {
        "customers": customers,
        "duckdb_minimal_s": minimal,
        "duckdb_minimal_script": str(floor_script),
        "duckdb_reference_s": round(reference, 2),
        "spark_ab_s": spark_ab,
        "ratio_minimal": round(spark_ab / minimal, 2) if minimal else None,
        "ratio_reference": round(spark_ab / reference, 2),
        "spark_is": "median cold telco360 run's job A + job B step times",
    }


def run_incremental(work: Path, customers: int, history_days: int, delta: float) -> dict:
    """Job B, cold (its own process), on day 2 and on day N of a lake of equal daily deltas
    (bench_staging's synthetic lake, built first in this process)."""
    import bench_staging

    lakes = {}
    spark = local_session("telco360-bench-lakes")
    for label, prior in (("day2_s", 1), ("dayN_s", history_days - 1)):
        lake = work / f"incremental_{label}"
        shutil.rmtree(lake, ignore_errors=True)
        lakes[label] = (lake, bench_staging.build_lake(spark, lake, prior, customers, delta))
    spark.stop()
    results = {}
    for label, (lake, day) in lakes.items():
        results[label] = cold_runs.job_b_alone(lake, day)
        print(f"incremental {label}, job B cold: {results[label]} s", flush=True)
        shutil.rmtree(lake, ignore_errors=True)
    return {
        "customers": customers,
        "history_days": history_days,
        "delta_share": delta,
        "job": "build_staging (job B) as its own process; job A reads only the day's raw files",
        **results,
        "ratio": round(results["dayN_s"] / results["day2_s"], 3),
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
    done = report.get("cold", [])
    report["aws_cost_usd_per_run"] = {
        str(s["customers"]): {
            k: round(v, 6)
            for k, v in aws_cost.estimate_run_cost([s["job_a_s"], s["job_b_s"]], assumed).items()
        }
        for s in report.get("cold_jobs_alone", [])
    }
    report["aws_cost_prices"] = aws_cost.prices()
    report["aws_cost_assumptions"] = aws_cost.assumptions(assumed)
    report["load_average_end"] = os.getloadavg()
    report["total_minutes"] = round((time.time() - started) / 60, 1)
    report["partial"] = not final or bool(skip) or [s["customers"] for s in done] != DEFAULT_SCALES
    (out / "latest.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if done:
        chart.plot(done, str(out / "latest.png"))
    (out / "latest.md").write_text(report_md.render(report), encoding="utf-8")
    print(f"wrote {out}/latest.{{json,md,png}} after {report['total_minutes']} min", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default=",".join(str(n) for n in DEFAULT_SCALES))
    parser.add_argument("--runs", type=int, default=3, help="cold runs per scale (median)")
    parser.add_argument("--runs-1m", type=int, default=2, help="cold runs at 1M customers or more")
    parser.add_argument("--history-days", type=int, default=30)
    parser.add_argument("--delta", type=float, default=0.02)
    parser.add_argument("--floor", default=str(FLOOR_SCRIPT), help="the shared DuckDB floor script")
    parser.add_argument("--out", default=str(REPO / "bench" / "results"))
    parser.add_argument("--work", default=None, help="scratch folder (default: a temp dir)")
    parser.add_argument("--skip", default="", help="comma list: incremental,floor,imports")
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    skip = set(filter(None, args.skip.split(",")))
    work = Path(args.work or tempfile.mkdtemp(prefix="telco360-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    # Every Spark process here (and this one's session) maps the class archive of the bench's
    # own cache, which the first scale's first `telco360 run` writes, as a user's first run
    # does: the figures then do not depend on what wrote the archive in the user's cache (a
    # tiny session's archive holds a fraction of the classes a run loads).
    os.environ["XDG_CACHE_HOME"] = str(cold_runs.bench_cache(work))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    report = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": git_commit(),
        "machine": machine(),
        "versions": versions(),
        "load_average_start": os.getloadavg(),
        "cold": [],
        "cold_jobs_alone": [],
    }
    if "imports" not in skip:
        handlers = (("preflight", "PreflightFunction"), ("notify", "NotifyFailureFunction"))
        for name, logical_id in handlers:
            got = lambda_cold_import.measure(logical_id)
            report[f"{name}_cold_import_ms"] = got["ms"]
            report[f"{name}_cold_import_detail"] = got
            print(f"{name} cold import: {got}", flush=True)
        save(report, out, skip, scales, started)

    largest = max(scales)
    for n in scales:
        runs = args.runs_1m if n >= 1_000_000 else args.runs
        pipeline, alone = cold_scale(work, n, runs)
        report["cold"].append(pipeline)
        report["cold_jobs_alone"].append(alone)
        if n == largest and "floor" not in skip:
            report["floor"] = floor(work, n, pipeline, Path(args.floor))
            print(f"floor: {report['floor']}", flush=True)
        shutil.rmtree(work / f"lake_{n}", ignore_errors=True)
        save(report, out, skip, scales, started)
    if "incremental" not in skip:
        report["incremental"] = run_incremental(work, largest, args.history_days, args.delta)

    save(report, out, skip, scales, started, final=True)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def git_commit() -> str | None:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    )
    return done.stdout.strip() or None


if __name__ == "__main__":
    sys.exit(main())
