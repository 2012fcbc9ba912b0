"""What `telco360 report` shows, gathered from the lake and the warehouse (no rendering here).

Every number comes from a source an operator can open: the batch manifests (commit markers),
the alerts the failure notifier recorded, `telco360 status`'s batch states and the warehouse.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import duckdb

from telco360.local import lake_state, warehouse


@dataclass(frozen=True)
class FeedRow:
    """One feed in one committed batch, as its manifest records it."""

    batch_date: str
    feed: str
    rows_read: int
    rows_standardized: int
    rows_quarantined: int
    duplicates_dropped: int
    quarantined_by_reason: dict[str, int]

    @property
    def quarantine_share(self) -> float:
        return self.rows_quarantined / self.rows_read if self.rows_read else 0.0


@dataclass(frozen=True)
class Failure:
    batch_date: str
    recorded: str  # the alert file's UTC timestamp, e.g. 20261129T221314123456Z
    subject: str
    message: str


@dataclass(frozen=True)
class Headline:
    customers: int
    churned: int
    churn_share: float
    monthly_revenue: str  # sum of monthly_charge over customers not churned, to the cent
    total_revenue: str  # sum of total_revenue over every customer, to the cent
    latest_batch: str | None


@dataclass
class ReportData:
    lake: str
    warehouse: str
    batches: list[lake_state.BatchStatus]
    feeds: list[FeedRow] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    headline: Headline | None = None


def feed_rows(lake: str) -> list[FeedRow]:
    rows = []
    for day in lake_state.committed_dates(lake):
        for feed, m in sorted(lake_state.manifest(lake, day).get("feeds", {}).items()):
            rows.append(
                FeedRow(
                    batch_date=day,
                    feed=feed,
                    rows_read=m["rows_read"],
                    rows_standardized=m["rows_standardized"],
                    rows_quarantined=m["rows_quarantined"],
                    duplicates_dropped=m["duplicates_dropped"],
                    quarantined_by_reason=dict(m.get("quarantined_by_reason", {})),
                )
            )
    return rows


def failures(lake: str, limit: int = 10) -> list[Failure]:
    """The most recent recorded alerts, newest first."""
    folder = lake_state.alerts_dir(lake)
    found = []
    for path in folder.glob("batch_date=*/*.json") if folder.is_dir() else []:
        alert = json.loads(path.read_text(encoding="utf-8"))
        found.append(
            Failure(
                batch_date=path.parent.name.removeprefix("batch_date="),
                recorded=path.name.split("-", 1)[0],
                subject=alert.get("subject", ""),
                message=alert.get("message", ""),
            )
        )
    return sorted(found, key=lambda f: f.recorded, reverse=True)[:limit]


def headline(warehouse_path: str) -> Headline | None:
    if not os.path.exists(warehouse_path):
        return None
    with duckdb.connect(warehouse_path, read_only=True) as con:
        customers, churned, monthly, total = con.execute(
            """SELECT COUNT(*),
                      COALESCE(SUM(churn_value), 0),
                      COALESCE(SUM(monthly_charge) FILTER (WHERE churn_value = 0), 0),
                      COALESCE(SUM(total_revenue), 0)
               FROM analytics.customer_360"""
        ).fetchone()
        (latest,) = con.execute("SELECT MAX(batch_date) FROM core.load_ledger").fetchone()
    return Headline(
        customers=customers,
        churned=int(churned),
        churn_share=churned / customers if customers else 0.0,
        monthly_revenue=f"{monthly:.2f}",
        total_revenue=f"{total:.2f}",
        latest_batch=latest.isoformat() if latest else None,
    )


def gather(lake: str, warehouse_path: str) -> ReportData:
    loaded = warehouse.loaded_batches(warehouse_path)
    return ReportData(
        lake=lake,
        warehouse=warehouse_path,
        batches=lake_state.batch_statuses(lake, loaded),
        feeds=feed_rows(lake),
        failures=failures(lake),
        headline=headline(warehouse_path),
    )
