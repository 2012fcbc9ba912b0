"""The Spark floor: the least any cold Spark job on a day's raw files pays on this machine.

`python bench/spark_floor.py LAKE DAY OUT` starts the same local session as `telco360 run`
(same settings, same JIT choice for the input's size), reads every feed's CSV files of the day
with Spark's own CSV reader (header, every column a string: no checks, no typing, no dedup),
writes each feed as Parquet under OUT, and prints `session <s> read+write <s> total <s>`.

`make bench` runs it as its own process, next to job A alone: the difference is what job A's
contract checks, accounting and quarantine cost on top of reading and writing the same data.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

started = time.perf_counter()


def main(lake: Path, day: str, out: Path) -> None:
    from telco360.local.spark import local_session
    from telco360.shipped.contract import FEEDS

    folders = {feed: lake / "raw" / feed / f"ingest_date={day}" for feed in FEEDS}
    folders = {feed: folder for feed, folder in folders.items() if folder.is_dir()}
    raw_bytes = sum(p.stat().st_size for f in folders.values() for p in f.iterdir())
    spark = local_session("telco360-spark-floor", input_bytes=raw_bytes)
    session = time.perf_counter()
    for feed, folder in folders.items():
        spark.read.option("header", True).csv(str(folder)).write.mode("overwrite").parquet(
            str(out / feed)
        )
    done = time.perf_counter()
    print(
        f"session {session - started:.2f}s read+write {done - session:.2f}s "
        f"total {done - started:.2f}s"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]))
