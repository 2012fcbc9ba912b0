"""Cold runs: what a user and a Glue job run actually pay.

A user runs `telco360 run` as a fresh process; every Glue job run starts a fresh JVM. So each
figure here is one whole fresh process, timed from outside (wall clock, start to exit), on a
fresh copy of the lake, started from a scratch directory (not the repository):
- `pipeline`: `telco360 run` end to end (pre-flight, job A, job B, warehouse load); each step's
  time is read from the run's own output (`[date] <Step> ok (12.3s)`);
- `job_alone`: one Glue job as `python -m telco360.local.run_job <job>`: its own JVM, session
  and job, what one Glue job run pays on top of Glue's own start-up;
- `spark_floor`: `bench/spark_floor.py`, the least a cold Spark job on the same raw files pays
  (same session, CSV read and Parquet write only).
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TELCO360 = Path(sys.executable).parent / "telco360"  # the venv's console script
RUN_JOB = "telco360.local.run_job"  # `python -m` it with a job name: one Glue job, locally
STEP_LINE = re.compile(r"\[(\d{4}-\d\d-\d\d)\] (\w+) ok \(([0-9.]+)s\)")
STEP_KEYS = {"CleanStandardize": "job_a_s", "BuildStaging": "job_b_s", "WarehouseLoad": "load_s"}


class ColdRunFailed(Exception):
    """A timed process exited with an error: its figures would mean nothing."""


def timed_process(argv: list[str], cwd: Path, env: dict | None = None) -> tuple[float, str]:
    """Run one process to completion; (wall seconds, its stdout). Raises on a non-zero exit."""
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise ColdRunFailed(f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return seconds, done.stdout


def fresh_copy(seed_lake: Path, work: Path, name: str) -> Path:
    lake = work / name
    shutil.rmtree(lake, ignore_errors=True)
    shutil.copytree(seed_lake, lake)
    return lake


def step_seconds(output: str) -> dict[str, float]:
    """{job_a_s, job_b_s, load_s} summed over the batches a `telco360 run` printed."""
    steps = {key: 0.0 for key in STEP_KEYS.values()}
    for _date, step, seconds in STEP_LINE.findall(output):
        if step in STEP_KEYS:
            steps[STEP_KEYS[step]] += float(seconds)
    return steps


def bench_cache(work: Path) -> Path:
    """The bench's own cache folder (XDG_CACHE_HOME): where its class archive is."""
    return work / "cache"


def has_archive(cache: Path) -> bool:
    return any((cache / "telco360").glob("*.jsa"))


def pipeline_once(seed_lake: Path, work: Path, first_on_machine: bool = False) -> dict:
    """One fresh `telco360 run` on a fresh copy of the lake, from a scratch directory.

    `first_on_machine`: with no class archive, so the run also writes the JVM's class archive
    (telco360.local.class_archive), as the first run on a machine does: into the cache of this
    process's environment when that has none yet (the bench's first run, whose archive every
    later process maps), else into an empty cache of its own."""
    lake = fresh_copy(seed_lake, work, "cold_lake")
    warehouse = work / "cold_warehouse.duckdb"
    warehouse.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="cold-cwd-", dir=work) as cwd:
        shared = os.environ.get("XDG_CACHE_HOME")
        writes_shared = shared is not None and not has_archive(Path(shared))
        env = None
        if first_on_machine and not writes_shared:
            env = {**os.environ, "XDG_CACHE_HOME": str(Path(cwd) / "cache")}
        seconds, output = timed_process(
            [str(TELCO360), "run", "--lake", str(lake), "--warehouse", str(warehouse)],
            Path(cwd),
            env,
        )
    if "CleanStandardize ok" not in output:
        raise ColdRunFailed(f"telco360 run printed no finished job A:\n{output[-2000:]}")
    shutil.rmtree(lake, ignore_errors=True)
    warehouse.unlink(missing_ok=True)
    return {"e2e_s": round(seconds, 2), **{k: round(v, 2) for k, v in step_seconds(output).items()}}


def pipeline(seed_lake: Path, work: Path, customers: int, runs: int) -> dict:
    """The median of `runs` cold `telco360 run` processes (each figure its own median)."""
    # First, so that at the first scale it writes the archive the timed runs map (see
    # pipeline_once).
    first = pipeline_once(seed_lake, work, first_on_machine=True)
    print(f"first telco360 run on a machine, {customers:,} customers: {first}", flush=True)
    each = []
    for i in range(runs):
        each.append(pipeline_once(seed_lake, work))
        print(
            f"cold telco360 run, {customers:,} customers, run {i + 1}/{runs}: {each[-1]}",
            flush=True,
        )
    median = {k: round(statistics.median(r[k] for r in each), 2) for k in each[0]}
    return {
        "customers": customers,
        "runs": runs,
        **median,
        "each": each,
        "first_on_machine_e2e_s": first["e2e_s"],
    }


def jobs_alone(seed_lake: Path, work: Path, batch: str) -> dict:
    """Job A, then job B, each as its own fresh process (JVM) on a fresh copy of the lake."""
    lake = fresh_copy(seed_lake, work, "alone_lake")
    args = ["--lake_root", str(lake), "--batch_date", batch]
    figures = {}
    with tempfile.TemporaryDirectory(prefix="cold-cwd-", dir=work) as cwd:
        for key, job in (("job_a_s", "clean_standardize"), ("job_b_s", "build_staging")):
            seconds, _ = timed_process([sys.executable, "-m", RUN_JOB, job, *args], Path(cwd))
            figures[key] = round(seconds, 2)
    shutil.rmtree(lake, ignore_errors=True)
    return figures


SPARK_FLOOR = Path(__file__).resolve().parent / "spark_floor.py"


def spark_floor(seed_lake: Path, work: Path, batch: str) -> float:
    """`spark_floor.py` as its own fresh process on the lake: whole-process wall seconds."""
    out = work / "spark_floor_out"
    shutil.rmtree(out, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="cold-cwd-", dir=work) as cwd:
        seconds, _ = timed_process(
            [sys.executable, str(SPARK_FLOOR), str(seed_lake), batch, str(out)], Path(cwd)
        )
    shutil.rmtree(out, ignore_errors=True)
    return round(seconds, 2)


def job_b_alone(lake: Path, batch: str) -> float:
    """Job B as its own fresh process on a prepared lake (standardized input present)."""
    seconds, _ = timed_process(
        [
            sys.executable,
            "-m",
            RUN_JOB,
            "build_staging",
            "--lake_root",
            str(lake),
            "--batch_date",
            batch,
        ],
        lake.parent,
    )
    return round(seconds, 2)


FLOOR_LINE = re.compile(r"total ([0-9.]+)s")


def shared_floor(script: Path, lake: Path, batch: str, out: Path) -> float | None:
    """`floor_duckdb.py LAKE DAY OUT` as its own process; its own `total` seconds (None when the
    script is not on this machine)."""
    if not script.exists():
        return None
    shutil.rmtree(out, ignore_errors=True)
    _, output = timed_process(
        [sys.executable, str(script), str(lake), batch, str(out)], lake.parent
    )
    found = FLOOR_LINE.search(output)
    if not found:
        raise ColdRunFailed(f"{script} printed no total: {output!r}")
    shutil.rmtree(out, ignore_errors=True)
    return float(found.group(1))
