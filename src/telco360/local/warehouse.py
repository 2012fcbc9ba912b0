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

import json
import os
import re
import time
from datetime import date
from functools import cache

import duckdb

from telco360.local.lake_state import committed_dates as committed_batches
from telco360.local.lake_state import marker_path
from telco360.local.sql_statements import MIGRATIONS_DIR
from telco360.local.warehouse_sql import (
    CHECK_BATCH,
    CHECK_MODEL,
    LOAD_LOCK,
    LOAD_PLAN,
    MODEL_MERGE,
    MODEL_REFRESH,
    MODEL_REWIND,
    RAW_CLEAR,
    ensure_schema,
    run_module,
)
from telco360.shipped import lake_io

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


@cache
def copy_force() -> bool:
    """The FORCE option of the procedure's COPY (R__10_procedures.sql), which the local COPY
    honours: FALSE would skip files already loaded into the table (Snowflake's load metadata),
    e.g. a batch reloaded after a rewind."""
    text = (MIGRATIONS_DIR / "R__10_procedures.sql").read_text(encoding="utf-8")
    (value,) = re.findall(r"\bFORCE = (TRUE|FALSE)\b", text)
    return value == "TRUE"


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


class LoadRefused(WarehouseError):
    """The lake and the ledger cannot be reconciled by a load (plan.sql): a batch built on
    another batch than the committed one before it, a batch not committed, a lake without
    commit markers while batches are loaded."""


class BatchCheckFailed(WarehouseError):
    """A batch copied into RAW does not match its commit marker (check_batch.sql): schema,
    row counts, NULL keys. Nothing of the load is kept."""


class ModelCheckFailed(WarehouseError):
    """A data test of CUSTOMER_360 failed after the refresh (check_model.sql)."""


# How long a second loader waits for the DuckDB file held by another process (a running load).
LOCK_WAIT_SECONDS = float(os.environ.get("TELCO360_WAREHOUSE_LOCK_WAIT", "600"))


def _connect(db_path: str, wait_seconds: float = 0.0) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file. DuckDB lets one process write a file at a time: another
    process's connection fails with a lock error, so a loader waits for it (`wait_seconds`)
    and then gives up with a clear error rather than a traceback."""
    folder = os.path.dirname(os.path.abspath(db_path))
    os.makedirs(folder, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            con = duckdb.connect(db_path)
            break
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            if time.monotonic() >= deadline:
                raise WarehouseBusy(
                    f"the warehouse {db_path} is held by another process (a load running?) "
                    f"and was not released within {wait_seconds:.0f} s: run again once it ends"
                ) from error
            time.sleep(0.1)
    ensure_schema(con)
    return con


class WarehouseBusy(WarehouseError):
    """Another process holds the warehouse file for longer than the wait."""


def _ledger(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    rows = con.execute("SELECT batch_date, run_id FROM core.load_ledger").fetchall()
    return {d.isoformat(): run_id for d, run_id in rows}


def _expected_rows(manifest: dict) -> dict[str, int | None]:
    """Rows per RAW table as job B counted them (manifest "entities")."""
    entities = manifest.get("entities", {})

    def get(entity: str, *keys: str) -> int | None:
        values = [entities.get(entity, {}).get(k) for k in keys]
        return None if any(v is None for v in values) else sum(values)

    return {
        "customers_state_rows": get("customers", "total"),
        "customers_changes_rows": get("customers", "inserted", "updated"),
        "population_state_rows": get("population", "total"),
        "population_changes_rows": get("population", "inserted", "updated"),
        "usage_changes_rows": get("usage", "rows"),
    }


def _store_markers(con: duckdb.DuckDBPyConnection, lake_root: str) -> dict[str, dict]:
    """Local counterpart of the procedure's read of the stage: every commit marker, each read
    once, into CORE.LOAD_MARKERS. Returns the manifests by batch date."""
    manifests = {d: read_manifest(lake_root, d) for d in committed_batches(lake_root)}
    con.execute("DELETE FROM core.load_markers")
    for batch_date, manifest in manifests.items():
        previous = manifest.get("previous_batch")
        counts = _expected_rows(manifest)
        con.execute(
            "INSERT INTO core.load_markers (batch_date, run_id, previous_batch, "
            + ", ".join(counts)
            + ", manifest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                date.fromisoformat(batch_date),
                manifest["run_id"],
                date.fromisoformat(previous) if previous else None,
                *counts.values(),
                json.dumps(manifest),
            ],
        )
    return manifests


def _copy_into_raw(con: duckdb.DuckDBPyConnection, lake_root: str, manifest: dict) -> None:
    """Local counterpart of RAW.COPY_BATCH_FILES: the manifest's files, and only those, with
    COPY's semantics: columns matched by name (a column the files lack stays NULL, one the
    table lacks is dropped: check_batch.sql catches both from CORE.LOAD_FILE_COLUMNS), and
    Snowflake's load metadata (a file already loaded into the table is skipped unless the
    procedure's COPY says FORCE = TRUE)."""
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
        if not copy_force():
            done = {
                f
                for (f,) in con.execute(
                    "SELECT file FROM main.copy_load_metadata WHERE raw_table = ?", [table]
                ).fetchall()
            }
            files = [f for f in files if f not in done]
        con.executemany(
            "INSERT INTO main.copy_load_metadata VALUES (?, ?)", [[table, f] for f in files]
        )
        if not files:
            continue
        # No hive partitioning: batch_date=/run= in the path are not columns (as on Snowflake).
        source = f"read_parquet({files!r}, hive_partitioning = false)"
        found = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
        wanted = {r[0]: r[1] for r in con.execute(f"DESCRIBE {table}").fetchall()}
        raw_table = table.split(".")[1].upper()
        con.executemany(
            "INSERT INTO core.load_file_columns VALUES (?, ?, ?)",
            [[date.fromisoformat(batch_date), raw_table, name] for name in found],
        )
        retyped = sorted(n for n in found.keys() & wanted.keys() if found[n] != wanted[n])
        if retyped:
            raise BatchCheckFailed(
                f"batch {batch_date}: {group} Parquet types do not match {table}: "
                + ", ".join(f"{n} {found[n]} (table: {wanted[n]})" for n in retyped)
                + ". Staging and snowflake/ disagree: fix the side that drifted from "
                "docs/DATA_LAYOUT.md, then re-run job B."
            )
        common = [n for n in wanted if n in found]
        names = ", ".join(common)
        con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {source}")


HINTS = {
    "chain_broken": "re-run job B from the earliest date named, in order: "
    "telco360 backfill --from <date> (on AWS: the backfill from that date)",
    "not_committed": "run the pipeline for the date first (telco360 run --date <date>)",
    "no_commit_markers": "check the lake path / stage before loading",
    "schema_mismatch": "staging and snowflake/ disagree: fix the side that drifted from "
    "docs/DATA_LAYOUT.md, then re-run job B",
    "row_count_mismatch": "a staged file is missing, empty or was rewritten: re-run job B "
    "(build_staging) for the batch",
    "null_key": "re-run job B for the batch; if it persists, the staging build is wrong",
}


def _raise_problems(con: duckdb.DuckDBPyConnection, error: type[WarehouseError]) -> None:
    rows = con.execute(
        "SELECT check_name, batch_date, detail FROM core.load_problems "
        "ORDER BY check_name, batch_date, detail"
    ).fetchall()
    if not rows:
        return
    lines = [
        f"{name}{f' (batch {day.isoformat()})' if day else ''}: {detail}"
        for name, day, detail in rows
    ]
    hints = sorted({HINTS[name] for name, _, _ in rows if name in HINTS})
    raise error(
        f"{error.__name__}: " + "; ".join(lines) + (". Fix: " + "; ".join(hints) if hints else "")
    )


def _begin_locked(con: duckdb.DuckDBPyConnection, wait_seconds: float | None = None) -> None:
    """BEGIN, then take the load lock (lock.sql) as the transaction's first statement. Where
    Snowflake makes the second transaction wait on the lock, DuckDB (one process, several
    connections) fails it with a write conflict: roll back and try again until the first
    load commits; every decision is then taken afresh, on what it left."""
    deadline = time.monotonic() + (LOCK_WAIT_SECONDS if wait_seconds is None else wait_seconds)
    while True:
        con.begin()
        try:
            run_module(con, LOAD_LOCK, {})
            return
        except duckdb.TransactionException as error:
            con.rollback()
            if time.monotonic() >= deadline:
                raise WarehouseBusy(
                    "another load holds the warehouse's load lock (CORE.LOAD_LOCK): "
                    "run again once it ends"
                ) from error
            time.sleep(0.05)


def _load_up_to(lake_root: str, db_path: str, up_to: str | None) -> tuple[list[dict], set]:
    """The load, sequenced as CORE.LOAD_UP_TO does it on Snowflake, in ONE transaction:
    lock, read the commit markers, plan (rewind point, batches, checks), rewind, then per
    batch clear RAW / COPY / check / merge, then refresh CUSTOMER_360 once and test it.
    Returns the ledger rows of the batches loaded, and the batch dates already loaded."""
    with _connect(db_path, LOCK_WAIT_SECONDS) as con:
        _begin_locked(con)
        try:
            manifests = _store_markers(con, lake_root)
            run_module(con, LOAD_PLAN, {"up_to": date.fromisoformat(up_to) if up_to else None})
            _raise_problems(con, LoadRefused)
            plan = con.execute(
                "SELECT action, batch_date FROM core.load_plan ORDER BY batch_date, action"
            ).fetchall()
            rewind_from = [d for action, d in plan if action == "REWIND"]
            if rewind_from:
                run_module(con, MODEL_REWIND, {"from_date": rewind_from[0]})
            loads = [d.isoformat() for action, d in plan if action == "LOAD"]
            for batch_date in loads:
                manifest = manifests[batch_date]
                params = {
                    "batch_date": date.fromisoformat(batch_date),
                    "run_id": manifest["run_id"],
                }
                run_module(con, RAW_CLEAR, params)
                _copy_into_raw(con, lake_root, manifest)
                run_module(con, CHECK_BATCH, params)
                _raise_problems(con, BatchCheckFailed)
                run_module(con, MODEL_MERGE, params)
            if any(action == "REFRESH" for action, _ in plan):
                run_module(con, MODEL_REFRESH, {})
                run_module(con, CHECK_MODEL, {})
                _raise_problems(con, ModelCheckFailed)
            con.commit()
        except BaseException:
            con.rollback()
            raise
        rows = [_ledger_row(con, d) | {"status": "loaded"} for d in loads]
        return rows, set(_ledger(con))


def _ledger_row(con: duckdb.DuckDBPyConnection, batch_date: str) -> dict:
    cursor = con.execute(
        "SELECT * FROM core.load_ledger WHERE batch_date = ?", [date.fromisoformat(batch_date)]
    )
    names = [d[0] for d in cursor.description]
    row = dict(zip(names, cursor.fetchone(), strict=True))
    row["batch_date"] = row["batch_date"].isoformat()
    row["loaded_at"] = row["loaded_at"].isoformat()
    return row


def load_batch(lake_root: str, db_path: str, batch_date: str) -> dict:
    """Load committed batches up to `batch_date`, in order (CORE.LOAD_BATCH). Returns the
    batch's ledger row plus `status`: `loaded`, or `already_loaded` when this run of the
    batch was in the ledger (and still is)."""
    rows, _ = _load_up_to(lake_root, db_path, batch_date)
    for row in rows:
        if row["batch_date"] == batch_date:
            return row
    with _connect(db_path, LOCK_WAIT_SECONDS) as con:
        return _ledger_row(con, batch_date) | {"status": "already_loaded"}


def load_pending(lake_root: str, db_path: str) -> list[dict]:
    """Make the warehouse follow the lake (CORE.LOAD_PENDING): rewind to the first date where
    a commit marker and the ledger disagree, then load every committed batch not in the ledger,
    in batch order, all in one transaction. Returns one row per batch loaded ([] when nothing
    was pending)."""
    rows, _ = _load_up_to(lake_root, db_path, None)
    return rows


def loaded_batches(db_path: str) -> list[str]:
    """Batch dates in the ledger, in order ([] when there is no warehouse yet)."""
    if not os.path.exists(db_path):
        return []
    with _connect(db_path, LOCK_WAIT_SECONDS) as con:
        return sorted(_ledger(con))


def rewind(db_path: str, from_date: str) -> list[str]:
    """Undo every loaded batch >= from_date (CORE, history, RAW, ledger, CUSTOMER_360), in one
    transaction, so they can be loaded again in order. Returns the batch dates undone."""
    if not os.path.exists(db_path):
        return []
    with _connect(db_path, LOCK_WAIT_SECONDS) as con:
        _begin_locked(con)
        try:
            undone = sorted(d for d in _ledger(con) if d >= from_date)
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
    with _connect(db_path, LOCK_WAIT_SECONDS) as con:
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
