"""Where job A's time goes: run it on a generated batch with Spark event logs, print the slowest
queries and their stages.

    .venv/bin/python bench/profile_job_a.py [--customers 100000] [--top 8]

Each Spark SQL query (a write, a collect) is listed with its wall time and the time its jobs ran;
the gap between the two is driver-side planning and code generation. For the slowest queries the
stages follow, with task counts and the slowest task times (one long task = one busy core).
A profiling aid, not a benchmark: see run_bench.py for the figures.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from telco360.ops.generate import generate  # noqa: E402

BATCH = "2026-11-01"


def session(event_dir: Path):
    """The local session (telco360.local.spark), plus uncompressed event logs."""
    from telco360.local.spark import local_session

    events = {
        "spark.eventLog.enabled": "true",
        "spark.eventLog.compress": "false",
        "spark.eventLog.dir": str(event_dir),
    }
    return local_session("profile-job-a", extra=events)


def read_events(event_dir: Path) -> list[dict]:
    events = []
    for path in sorted(p for p in event_dir.rglob("*") if p.is_file() and "events" in p.name):
        with open(path, encoding="utf-8") as f:
            events += [json.loads(line) for line in f if line.startswith("{")]
    return events


def report(events: list[dict], top: int) -> None:
    queries, jobs, stages = {}, {}, {}
    task_ms = collections.defaultdict(list)
    for e in events:
        kind = e["Event"]
        if kind.endswith("SQLExecutionStart"):
            queries[e["executionId"]] = {"start": e["time"], "what": e["description"][:60]}
        elif kind.endswith("SQLExecutionEnd"):
            queries[e["executionId"]]["end"] = e["time"]
        elif kind == "SparkListenerJobStart":
            query = e.get("Properties", {}).get("spark.sql.execution.id")
            jobs[e["Job ID"]] = {
                "start": e["Submission Time"],
                "query": query,
                "stages": e["Stage IDs"],
            }
        elif kind == "SparkListenerJobEnd":
            jobs[e["Job ID"]]["end"] = e["Completion Time"]
        elif kind == "SparkListenerStageCompleted":
            s = e["Stage Info"]
            stages[s["Stage ID"]] = (
                s["Completion Time"] - s["Submission Time"],
                s["Number of Tasks"],
            )
        elif kind == "SparkListenerTaskEnd":
            info = e["Task Info"]
            task_ms[e["Stage ID"]].append(info["Finish Time"] - info["Launch Time"])
    rows = []
    for qid, q in queries.items():
        ran = sum(
            j["end"] - j["start"] for j in jobs.values() if j["query"] == str(qid) and "end" in j
        )
        rows.append((q.get("end", q["start"]) - q["start"], ran, qid, q["what"]))
    total = sum(r[0] for r in rows)
    print(f"{len(rows)} queries, {total / 1000:.1f} s in queries")
    for wall, ran, qid, what in sorted(rows, reverse=True)[:top]:
        print(f"query {qid:3d}: {wall / 1000:6.1f} s wall, {ran / 1000:6.1f} s in jobs  {what}")
        for job in (j for j in jobs.values() if j["query"] == str(qid)):
            for sid in job["stages"]:
                if sid in stages:
                    ms, tasks = stages[sid]
                    slowest = sorted(task_ms[sid])[-3:]
                    line = f"    stage {sid:4d}: {ms / 1000:6.1f} s, {tasks} tasks"
                    print(f"{line}, slowest {slowest} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--top", type=int, default=8, help="slowest queries to detail")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="telco360-profile-"))
    lake, events = work / "lake", work / "events"
    events.mkdir()
    generate(str(lake), customers=args.customers, days=1, start=BATCH, seed=1, dirty=0.01)
    spark = session(events)
    from telco360.shipped.jobs import clean_standardize as job_a

    started = time.perf_counter()
    job_a.run(spark, str(lake), BATCH)
    print(f"job A on {args.customers:,} customers: {time.perf_counter() - started:.1f} s")
    spark.stop()
    report(read_events(events), args.top)
    print(f"(lake and event logs kept under {work})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
