"""What the lake and the warehouse hold, batch by batch: landed, standardized, committed, loaded."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from telco360.shipped import lake_io, lake_layout
from telco360.shipped.contract import FEEDS

# Which batches are committed: job B's own rule, defined once where the shipped job reads it.
from telco360.shipped.lake_layout import committed_dates as committed_dates


def landed_dates(lake: str) -> list[str]:
    dates: set[str] = set()
    for feed in FEEDS:
        folder = lake_io.join(lake, lake_layout.RAW, feed)
        dates.update(lake_io.partition_values(folder, lake_layout.INGEST_PARTITION))
    return sorted(dates)


def raw_bytes(lake: str, dates: list[str]) -> int:
    """Bytes of the raw files landed for these batch dates (a local lake)."""
    total = 0
    for feed in FEEDS:
        for day in dates:
            folder = Path(lake) / lake_layout.batch_path(lake_layout.RAW, feed, day)
            if folder.is_dir():
                total += sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
    return total


def standardized_dates(lake: str) -> list[str]:
    folder = lake_io.join(lake, lake_layout.METRICS_DIR)
    return lake_io.partition_values(folder, lake_layout.INGEST_PARTITION)


def dates_between(lake: str, first: str | None, last: str | None) -> list[str]:
    """Batch dates landed or committed from `first` to `last` (either open), in order: what
    `--from/--to` select, locally and in the lake bucket alike."""
    first, last = first or "0000-01-01", last or "9999-12-31"
    known = set(landed_dates(lake)) | set(committed_dates(lake))
    return sorted(d for d in known if first <= d <= last)


def marker_path(lake: str, batch_date: str) -> str:
    return lake_io.join(lake, lake_layout.marker_file(batch_date))


def manifest(lake: str, batch_date: str) -> dict:
    return lake_io.read_json(marker_path(lake, batch_date))


def alerts_dir(lake: str) -> Path:
    return Path(lake_io.join(lake, lake_layout.ALERTS_DIR))


def last_alert(lake: str, batch_date: str) -> dict | None:
    """The most recent alert recorded for a batch (see runner.record_alert)."""
    folder = Path(lake_io.join(lake, lake_layout.alerts_dir(batch_date)))
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    return json.loads(files[-1].read_text(encoding="utf-8")) if files else None


@dataclass(frozen=True)
class BatchStatus:
    batch_date: str
    landed: bool
    standardized: bool
    committed: bool
    loaded: bool
    last_error: str | None

    @property
    def state(self) -> str:
        for name in ("loaded", "committed", "standardized", "landed"):
            if getattr(self, name):
                return name
        return "unknown"


def batch_statuses(lake: str, loaded: list[str]) -> list[BatchStatus]:
    landed, standardized = set(landed_dates(lake)), set(standardized_dates(lake))
    committed, loaded_set = set(committed_dates(lake)), set(loaded)
    statuses = []
    for day in sorted(landed | standardized | committed | loaded_set):
        alert = last_alert(lake, day)
        done = day in loaded_set and day in committed
        statuses.append(
            BatchStatus(
                batch_date=day,
                landed=day in landed,
                standardized=day in standardized,
                committed=day in committed,
                loaded=day in loaded_set,
                last_error=None if (alert is None or done) else alert.get("subject"),
            )
        )
    return statuses
