"""The local warehouse: committed staging batches -> DuckDB, with the Snowflake model SQL.

The same SQL as on Snowflake, transpiled by sqlglot (`warehouse_sql`): the tables come from
`snowflake/migrations/`, the model (RAW -> CORE -> ANALYTICS.CUSTOMER_360, rewind) from
`snowflake/modules/model/`. Only the environment-bound step has a local counterpart: Snowflake
COPYs the manifest's files from the external stage into RAW; here DuckDB reads the same
Parquet files with `read_parquet`.

Ledger semantics (the same as CORE.LOAD_BATCH / CORE.LOAD_PENDING on Snowflake):
- a batch exists only when its manifest (commit marker) exists;
- each batch is loaded in one transaction (RAW, CORE, history, ledger, CUSTOMER_360) and
  exactly once: loading a batch whose run_id is already in the ledger does nothing;
- batches are loaded in batch_date order; anything else (an older batch, a re-run of a loaded
  batch) is refused with the command that fixes it: rewind, then load again (a backfill).
"""

from __future__ import annotations

import os
from datetime import date

import duckdb

from telco360 import lake_io
from telco360.lake_state import committed_dates as committed_batches
from telco360.lake_state import marker_path
from telco360.warehouse_sql import (
    MODEL_MERGE,
    MODEL_REFRESH,
    MODEL_REWIND,
    RAW_CLEAR,
    ensure_schema,
    run_module,
)

MANIFEST_SCHEMA_VERSION = 1

# Manifest "files" key -> RAW table (the environment-bound COPY, done locally).
RAW_TABLES = {
    "customers/state": "raw.customers_state",
    "customers/changes": "raw.customers_changes",
    "population/state": "raw.population_state",
    "population/changes": "raw.population_changes",
    "usage/changes": "raw.usage_changes",
}


class WarehouseError(RuntimeError):
    """A batch cannot be loaded as asked; the message says why and what to run."""


def read_manifest(lake_root: str, batch_date: str) -> dict:
    path = marker_path(lake_root, batch_date)
    if not lake_io.exists(path):
        raise WarehouseError(
            f"staging batch {batch_date} is not committed: no commit marker at {path}. "
            f"Run the pipeline for {batch_date} first (telco360 run --date {batch_date})."
        )
    manifest = lake_io.read_json(path)
    problems = []
    if manifest.get("schema_version") != MANIFEST_SCHEMA_VERSION:
        problems.append(
            f"schema_version {manifest.get('schema_version')!r} "
            f"(this loader reads {MANIFEST_SCHEMA_VERSION})"
        )
    if manifest.get("batch_date") != batch_date:
        problems.append(f"batch_date {manifest.get('batch_date')!r} in the file")
    if not manifest.get("run_id"):
        problems.append("no run_id")
    unknown = sorted(set(manifest.get("files", {})) - set(RAW_TABLES))
    if unknown:
        problems.append(f"unknown file groups {unknown}")
    if problems:
        raise WarehouseError(
            f"commit marker {path} cannot be loaded: {'; '.join(problems)}. "
            f"Re-run Glue job B (build_staging) for {batch_date}."
        )
    return manifest


def _connect(db_path: str) -> duckdb.DuckDBPyConnection:
    folder = os.path.dirname(os.path.abspath(db_path))
    os.makedirs(folder, exist_ok=True)
    con = duckdb.connect(db_path)
    ensure_schema(con)
    return con


def _ledger(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    rows = con.execute("SELECT batch_date, run_id FROM core.load_ledger").fetchall()
    return {d.isoformat(): run_id for d, run_id in rows}


def _copy_into_raw(con: duckdb.DuckDBPyConnection, lake_root: str, manifest: dict) -> None:
    """Local counterpart of RAW.COPY_BATCH_FILES: the manifest's files, and only those."""
    batch_date = manifest["batch_date"]
    for group, table in RAW_TABLES.items():
        files = [lake_io.join(lake_root, f) for f in manifest.get("files", {}).get(group, [])]
        if not files:
            continue
        missing = [f for f in files if not lake_io.exists(f)]
        if missing:
            raise WarehouseError(
                f"batch {batch_date}: the commit marker lists {group} file(s) that are missing: "
                f"{missing[:3]}. Re-run Glue job B (build_staging) for {batch_date}."
            )
        # No hive partitioning: batch_date=/run= in the path are not columns (as on Snowflake).
        source = f"read_parquet({files!r}, hive_partitioning = false)"
        found = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
        wanted = con.execute(f"DESCRIBE {table}").fetchall()
        found_cols = [(r[0], r[1]) for r in found]
        wanted_cols = [(r[0], r[1]) for r in wanted]
        if found_cols != wanted_cols:
            extra = [c for c in found_cols if c not in wanted_cols]
            absent = [c for c in wanted_cols if c not in found_cols]
            raise WarehouseError(
                f"batch {batch_date}: {group} Parquet schema does not match {table}: "
                f"unexpected {extra}, missing {absent}. Staging and snowflake/ disagree: fix "
                "the side that drifted from docs/DATA_LAYOUT.md, then re-run job B."
            )
        con.execute(f"INSERT INTO {table} SELECT * FROM {source}")


def _load(con: duckdb.DuckDBPyConnection, lake_root: str, manifest: dict) -> dict:
    batch_date = manifest["batch_date"]
    params = {"batch_date": date.fromisoformat(batch_date), "run_id": manifest["run_id"]}
    con.begin()
    try:
        run_module(con, RAW_CLEAR, params)
        _copy_into_raw(con, lake_root, manifest)
        run_module(con, MODEL_MERGE, params)
        run_module(con, MODEL_REFRESH, params)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return _ledger_row(con, batch_date) | {"status": "loaded"}


def _ledger_row(con: duckdb.DuckDBPyConnection, batch_date: str) -> dict:
    cursor = con.execute(
        "SELECT * FROM core.load_ledger WHERE batch_date = ?", [date.fromisoformat(batch_date)]
    )
    names = [d[0] for d in cursor.description]
    row = dict(zip(names, cursor.fetchone(), strict=True))
    row["batch_date"] = row["batch_date"].isoformat()
    row["loaded_at"] = row["loaded_at"].isoformat()
    return row


def _check_order(ledger: dict[str, str], committed: list[str], batch_date: str, run_id: str):
    if batch_date in ledger:
        raise WarehouseError(
            f"batch {batch_date} was loaded from run {ledger[batch_date]}, but its commit "
            f"marker now names run {run_id} (job B was re-run). Rewind and reload in order: "
            f"telco360 backfill --from {batch_date}."
        )
    later = sorted(d for d in ledger if d > batch_date)
    if later:
        raise WarehouseError(
            f"batch {batch_date} is older than loaded batch(es) {later}: loading it now would "
            "rewrite history out of order. Rewind and reload: "
            f"telco360 backfill --from {batch_date}."
        )
    earlier = [d for d in committed if d < batch_date and d not in ledger]
    if earlier:
        raise WarehouseError(
            f"batch {batch_date} cannot be loaded before the committed batch(es) {earlier}: "
            "load pending batches in order (telco360 run loads them all)."
        )


def load_batch(lake_root: str, db_path: str, batch_date: str) -> dict:
    """Load one committed batch, exactly once. Returns its ledger row plus `status`
    (`loaded`, or `already_loaded` when this run of the batch is in the ledger)."""
    manifest = read_manifest(lake_root, batch_date)
    with _connect(db_path) as con:
        ledger = _ledger(con)
        if ledger.get(batch_date) == manifest["run_id"]:
            return _ledger_row(con, batch_date) | {"status": "already_loaded"}
        _check_order(ledger, committed_batches(lake_root), batch_date, manifest["run_id"])
        return _load(con, lake_root, manifest)


def load_pending(lake_root: str, db_path: str) -> list[dict]:
    """Load every committed batch not yet in the ledger, in batch order, each in its own
    transaction. Returns one summary per batch loaded (empty when nothing was pending)."""
    with _connect(db_path) as con:
        ledger = _ledger(con)
    pending = [d for d in committed_batches(lake_root) if d not in ledger]
    return [load_batch(lake_root, db_path, d) for d in pending]


def loaded_batches(db_path: str) -> list[str]:
    """Batch dates in the ledger, in order ([] when there is no warehouse yet)."""
    if not os.path.exists(db_path):
        return []
    with _connect(db_path) as con:
        return sorted(_ledger(con))


def rewind(db_path: str, from_date: str) -> list[str]:
    """Undo every loaded batch >= from_date (CORE, history, RAW, ledger, CUSTOMER_360), in one
    transaction, so they can be loaded again in order. Returns the batch dates undone."""
    if not os.path.exists(db_path):
        return []
    with _connect(db_path) as con:
        undone = sorted(d for d in _ledger(con) if d >= from_date)
        con.begin()
        try:
            run_module(con, MODEL_REWIND, {"from_date": date.fromisoformat(from_date)})
            run_module(con, MODEL_REFRESH, {})
            con.commit()
        except BaseException:
            con.rollback()
            raise
    return undone


def summary(db_path: str) -> dict:
    """What the run summary prints: customers in CUSTOMER_360, churned, latest batch."""
    if not os.path.exists(db_path):
        return {"customers": 0, "churned": 0, "churn_share": 0.0, "latest_batch": None}
    with _connect(db_path) as con:
        customers, churned = con.execute(
            "SELECT COUNT(*), COALESCE(SUM(churn_value), 0) FROM analytics.customer_360"
        ).fetchone()
        (latest,) = con.execute("SELECT MAX(batch_date) FROM core.load_ledger").fetchone()
    return {
        "customers": customers,
        "churned": int(churned),
        "churn_share": churned / customers if customers else 0.0,
        "latest_batch": latest.isoformat() if latest else None,
    }
