"""Where everything lives in the lake: the one spelling of every path, relative to the lake root.

Zones hold one folder per feed and batch (`<zone>/<feed>/ingest_date=D`); job A marks a batch
standardized with its metrics file, job B commits it with its manifest (the commit marker),
and the local runtime keeps its alerts and its run lock beside the zones. docs/DATA_LAYOUT.md
describes each. Join a path to a root with `lake_io.join(root, path)`. Standard library only
(and lake_io): it ships to Glue (glue/*.py) and to the Lambdas (the SAM-built layer).
"""

from __future__ import annotations

from telco360.shipped import lake_io

RAW = "raw"
STANDARDIZED = "standardized"
QUARANTINE = "quarantine"
STAGING = "staging"

METRICS_DIR = "standardized/_metrics"  # job A's metrics, one folder per batch: `ingest_date=D`
BATCHES_DIR = "staging/_batches"  # job B's commit markers, one folder per batch: `batch_date=D`
ALERTS_DIR = "_alerts"  # local runs: the alert the notifier would send, per batch
RUN_LOCK = "_locks/run.lock"  # local runs: one run per lake

INGEST_PARTITION = "ingest_date"  # zones and metrics
BATCH_PARTITION = "batch_date"  # staging, commit markers, alerts


def batch_path(zone: str, feed: str, batch_date: str) -> str:
    """One feed's batch in a zone: `raw/services/ingest_date=2026-11-01`."""
    return f"{zone}/{feed}/{INGEST_PARTITION}={batch_date}"


def metrics_dir(batch_date: str) -> str:
    return f"{METRICS_DIR}/{INGEST_PARTITION}={batch_date}"


def metrics_file(batch_date: str) -> str:
    """Job A's metrics for a batch: written last, it marks the batch standardized."""
    return f"{metrics_dir(batch_date)}/metrics.json"


def marker_dir(batch_date: str) -> str:
    return f"{BATCHES_DIR}/{BATCH_PARTITION}={batch_date}"


def marker_file(batch_date: str) -> str:
    """Job B's manifest for a batch: the commit marker, written last."""
    return f"{marker_dir(batch_date)}/manifest.json"


def staging_dir(output: str, batch_date: str) -> str:
    """One staging output of a batch (e.g. `customers/state`); job B writes each run under it
    in its own `run=<run_id>` folder, and the manifest names the run that counts."""
    return f"{STAGING}/{output}/{BATCH_PARTITION}={batch_date}"


def alerts_dir(batch_date: str) -> str:
    return f"{ALERTS_DIR}/{BATCH_PARTITION}={batch_date}"


def committed_dates(lake_root: str) -> list[str]:
    """Batch dates whose commit marker exists, in order (a folder without one is not a batch):
    what job B builds on, and what the local runtime and the operator's tools call committed."""
    folder = lake_io.join(lake_root, BATCHES_DIR)
    return [
        d
        for d in lake_io.partition_values(folder, BATCH_PARTITION)
        if lake_io.exists(lake_io.join(lake_root, marker_file(d)))
    ]
