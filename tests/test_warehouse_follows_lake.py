"""The load's decisions, executed: the warehouse follows the lake (re-runs, backfills, late
batches), no batch is loaded twice under concurrency, RAW is checked against the commit
marker, catch-up is linear and CUSTOMER_360 is tested in the load.

Every decision is a statement of snowflake/modules/load/*.sql, executed here on DuckDB by
telco360.local.warehouse exactly as CORE.LOAD_UP_TO sequences it on Snowflake
(R__10_procedures.sql), so these tests fail when a decision is mutated (see docs/SNOWFLAKE.md,
"What is verified").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import date

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_warehouse import _rows, _tables
from test_warehouse_staging import BATCHES, commit_batch, scenario, write_batch, write_scenario

from telco360.local import warehouse, warehouse_sql
from telco360.local.lake_state import marker_path
from telco360.ops import backfill
from telco360.shipped import lake_io


@pytest.fixture(scope="module")
def days():
    return scenario()


def _rerun_day2(lake: str, days: list[dict], run_id: str) -> dict:
    """Job B re-ran day 2 on AWS: new files under run=<run_id>, a new marker, other values."""
    day2 = {k: dict(v) for k, v in days[1]["customers"].items()}
    key = sorted(day2)[0]
    day2[key] |= {"monthly_charge": day2[key]["monthly_charge"] + 1, "last_changed_batch": None}
    day2[key]["last_changed_batch"] = date.fromisoformat(BATCHES[1])
    return write_batch(
        lake,
        BATCHES[1],
        day2,
        days[0]["customers"],
        days[1]["population"],
        days[0]["population"],
        days[1]["usage"],
        run_id=run_id,
        previous_batch=BATCHES[0],
    )


def _clean_load(tmp_path, lake: str, name: str = "clean.duckdb") -> str:
    db = str(tmp_path / name)
    warehouse.load_pending(lake, db)
    return db


# ---- item 1: the warehouse follows the lake ----------------------------------------------------


def test_a_rerun_of_a_loaded_batch_is_rewound_and_reloaded_with_every_later_batch(tmp_path, days):
    """A new commit marker (new run_id) for a loaded date: the load rewinds to that date and
    reloads it and every later committed date, in order, with no manual REWIND, and ends
    exactly where a clean load of the lake as it now is ends. Day 3 is reloaded from the
    same files as before: only COPY ... FORCE = TRUE loads a file again (Snowflake keeps
    load metadata per table and skips files already loaded otherwise:
    https://docs.snowflake.com/en/sql-reference/sql/copy-into-table, FORCE;
    https://docs.snowflake.com/en/user-guide/data-load-considerations-load)."""
    lake, db = str(tmp_path / "lake"), str(tmp_path / "wh.duckdb")
    write_scenario(lake, days)
    warehouse.load_pending(lake, db)

    _rerun_day2(lake, days, "run-again")
    loaded = warehouse.load_pending(lake, db)
    assert [(r["batch_date"], r["run_id"]) for r in loaded] == [
        (BATCHES[1], "run-again"),
        (BATCHES[2], f"run-{BATCHES[2]}"),
    ]
    ledger = _rows(db, "SELECT batch_date, run_id FROM core.load_ledger ORDER BY 1")
    assert [(r["batch_date"].isoformat(), r["run_id"]) for r in ledger] == [
        (BATCHES[0], f"run-{BATCHES[0]}"),
        (BATCHES[1], "run-again"),
        (BATCHES[2], f"run-{BATCHES[2]}"),
    ]
    assert _tables(db) == _tables(_clean_load(tmp_path, lake))
    assert warehouse.load_pending(lake, db) == []  # and then it is in step: nothing to do


def test_load_batch_of_a_rerun_date_reloads_it_instead_of_refusing(tmp_path, days):
    lake, db = str(tmp_path / "lake"), str(tmp_path / "wh.duckdb")
    write_scenario(lake, days[:2])
    warehouse.load_pending(lake, db)
    _rerun_day2(lake, days, "run-again")
    row = warehouse.load_batch(lake, db, BATCHES[1])
    assert (row["batch_date"], row["run_id"], row["status"]) == (BATCHES[1], "run-again", "loaded")
    again = warehouse.load_batch(lake, db, BATCHES[1])
    assert (again["run_id"], again["status"]) == ("run-again", "already_loaded")


def test_backfill_needs_no_warehouse_step(tmp_path, days):
    """`telco360 backfill` only un-commits the dates in the lake; the next load rewinds the
    warehouse to the first of them by itself, and reloads them as they are committed again."""
    lake, db = str(tmp_path / "lake"), str(tmp_path / "wh.duckdb")
    manifests = write_scenario(lake, days)
    warehouse.load_pending(lake, db)

    assert backfill.uncommit_from(lake, BATCHES[1]) == list(BATCHES[1:])
    assert warehouse.load_pending(lake, db) == []
    assert warehouse.loaded_batches(db) == [BATCHES[0]]
    one_day = str(tmp_path / "lake1")
    write_scenario(one_day, days[:1])
    assert _tables(db) == _tables(_clean_load(tmp_path, one_day, "one.duckdb"))

    # the backfill run commits day 2 then day 3 again (new runs), loading after each
    for manifest in manifests[1:]:
        commit_batch(lake, manifest | {"run_id": "backfill-" + manifest["batch_date"]})
        assert warehouse.load_batch(lake, db, manifest["batch_date"])["status"] == "loaded"
    assert _tables(db) == _tables(_clean_load(tmp_path, lake))


def test_a_late_batch_older_than_loaded_ones_is_refused_by_the_chain_check(tmp_path, days):
    """Day 3 was built and loaded while day 2 was missing; day 2 arrives late. Day 3 holds
    stale state (job B built it on day 1): the load refuses with the named error and the fix,
    and changes nothing. Re-running job B for day 3 (on day 2) repairs the chain."""
    lake, db = str(tmp_path / "lake"), str(tmp_path / "wh.duckdb")
    manifests = write_scenario(lake, days, commit=(BATCHES[0],))
    commit_batch(lake, manifests[2] | {"previous_batch": BATCHES[0]})
    assert [r["batch_date"] for r in warehouse.load_pending(lake, db)] == [BATCHES[0], BATCHES[2]]
    before = _tables(db)

    commit_batch(lake, manifests[1])  # the late batch
    with pytest.raises(
        warehouse.LoadRefused,
        match=r"chain_broken \(batch 2026-11-03\): built on batch 2026-11-01 but the committed "
        r"batch before it is 2026-11-02.*telco360 backfill",
    ):
        warehouse.load_pending(lake, db)
    assert _tables(db) == before

    commit_batch(lake, manifests[2] | {"run_id": "rebuilt"})  # job B re-ran day 3 on day 2
    assert [r["batch_date"] for r in warehouse.load_pending(lake, db)] == list(BATCHES[1:])
    assert _tables(db) == _tables(_clean_load(tmp_path, lake))


def test_a_stage_without_markers_does_not_rewind_everything(tmp_path, days):
    lake, db = str(tmp_path / "lake"), str(tmp_path / "wh.duckdb")
    write_scenario(lake, days)
    warehouse.load_pending(lake, db)
    before = _tables(db)
    lake_io.delete_tree(os.path.join(lake, "staging", "_batches"))
    with pytest.raises(warehouse.LoadRefused, match=r"no_commit_markers: the stage lists no"):
        warehouse.load_pending(lake, db)
    assert _tables(db) == before


# ---- item 2: no batch loaded twice, even when two loaders race ---------------------------------

LOADER = """
import json, sys
from telco360.local import warehouse
rows = warehouse.load_pending(sys.argv[1], sys.argv[2])
print(json.dumps([r["batch_date"] for r in rows]))
"""


def test_two_loader_processes_on_one_warehouse_load_each_batch_once(tmp_path, days):
    """Two processes (the task and a manual CALL, locally) start while the warehouse is busy.
    One loads every batch; the other waits, then finds nothing to do."""
    lake, db = str(tmp_path / "lake"), str(tmp_path / "wh.duckdb")
    write_scenario(lake, days)
    holder = duckdb.connect(db)  # the warehouse is busy: both loaders wait for it
    env = os.environ | {"TELCO360_WAREHOUSE_LOCK_WAIT": "120"}
    loaders = [
        subprocess.Popen(
            [sys.executable, "-c", LOADER, lake, db], stdout=subprocess.PIPE, text=True, env=env
        )
        for _ in range(2)
    ]
    holder.close()
    results = sorted(json.loads(p.communicate(timeout=180)[0]) for p in loaders)
    assert [p.returncode for p in loaders] == [0, 0]
    assert results == [[], list(BATCHES)]
    ledger = _rows(
        db, "SELECT batch_date, COUNT(*) AS n FROM core.load_ledger GROUP BY 1 ORDER BY 1"
    )
    assert [(r["batch_date"].isoformat(), r["n"]) for r in ledger] == [(d, 1) for d in BATCHES]
    assert _tables(db) == _tables(_clean_load(tmp_path, lake))


def test_a_loader_that_cannot_get_the_warehouse_refuses_cleanly(tmp_path, days):
    lake, db = str(tmp_path / "lake"), str(tmp_path / "wh.duckdb")
    write_scenario(lake, days[:1])
    holder = duckdb.connect(db)
    try:
        proc = subprocess.run(
            [sys.executable, "-c", LOADER, lake, db],
            env=os.environ | {"TELCO360_WAREHOUSE_LOCK_WAIT": "1"},
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
    finally:
        holder.close()
    assert proc.returncode != 0
    assert "WarehouseBusy: the warehouse" in proc.stderr
    assert "held by another process" in proc.stderr


def test_the_decision_is_repeated_after_the_lock_inside_the_transaction(tmp_path, days):
    """Two loaders in one process share the database (the Snowflake situation: two sessions
    on one database). The first to take the load lock (lock.sql, the first statement of the
    transaction) loads; the second is held at the lock until the first commits, then plans
    again on the ledger the first left and finds nothing. On Snowflake the UPDATE/MERGE of
    the lock row blocks the second transaction until the first ends, and READ COMMITTED lets
    it see the first one's ledger rows (https://docs.snowflake.com/en/sql-reference/transactions,
    "Resource locking", "Isolation level")."""
    lake, db = str(tmp_path / "lake"), str(tmp_path / "wh.duckdb")
    write_scenario(lake, days)
    warehouse._connect(db).close()  # create the warehouse
    holder = duckdb.connect(db)  # same process: the same database instance
    holder.begin()
    warehouse_sql.run_module(holder, warehouse_sql.LOAD_LOCK, {})  # a load is in flight
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def load():
        try:
            results.append([r["batch_date"] for r in warehouse.load_pending(lake, db)])
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=load) for _ in range(2)]
    for t in threads:
        t.start()
    threads[0].join(timeout=1)
    assert results == []  # both are held at the lock
    holder.commit()
    holder.close()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert sorted(results) == [[], list(BATCHES)]
    ledger = _rows(
        db, "SELECT batch_date, COUNT(*) AS n FROM core.load_ledger GROUP BY 1 ORDER BY 1"
    )
    assert [(r["batch_date"].isoformat(), r["n"]) for r in ledger] == [(d, 1) for d in BATCHES]


# ---- item 4: what COPY does silently is checked ------------------------------------------------


def _rewrite(lake: str, manifest: dict, group: str, change) -> None:
    path = os.path.join(lake, manifest["files"][group][0])
    pq.write_table(change(pq.read_table(path)), path)


def _null_first_id(table: pa.Table) -> pa.Table:
    ids = table.column("customer_id").to_pylist()
    i = table.schema.get_field_index("customer_id")
    return table.set_column(i, "customer_id", pa.array([None, *ids[1:]], pa.string()))


def _rows_less_one(table: pa.Table) -> pa.Table:
    return table.slice(0, table.num_rows - 1)


def _with_tariff(table: pa.Table) -> pa.Table:
    return table.append_column("tariff", pa.array(["x"] * table.num_rows))


@pytest.mark.parametrize(
    ("group", "change", "error"),
    [
        pytest.param(
            "usage/changes",
            _rows_less_one,
            r"row_count_mismatch \(batch 2026-11-01\): RAW.USAGE_CHANGES: {n_less_one} "
            r"row\(s\) loaded, the commit marker counts {n}",
            id="rows-missing",
        ),
        pytest.param(
            "usage/changes",
            lambda t: t.drop_columns(["sms_count"]),
            r"schema_mismatch \(batch 2026-11-01\): RAW.USAGE_CHANGES: the staged files lack "
            r"column sms_count",
            id="column-the-files-lack",
        ),
        pytest.param(
            "usage/changes",
            _with_tariff,
            r"schema_mismatch \(batch 2026-11-01\): RAW.USAGE_CHANGES: the staged files have "
            r"column tariff that the table lacks",
            id="column-the-table-lacks",
        ),
        pytest.param(
            "customers/changes",
            _null_first_id,
            r"null_key \(batch 2026-11-01\): RAW.CUSTOMERS_CHANGES: 1 row\(s\) with a NULL key",
            id="null-key",
        ),
    ],
)
def test_a_staged_file_unlike_its_commit_marker_or_table_fails_and_loads_nothing(
    tmp_path, days, group, change, error
):
    """COPY ... MATCH_BY_COLUMN_NAME loads NULL into a table column the files lack and
    ignores a file column the table lacks (https://docs.snowflake.com/en/sql-reference/sql/
    copy-into-table, MATCH_BY_COLUMN_NAME); the load compares the staged files' columns
    (INFER_SCHEMA: https://docs.snowflake.com/en/sql-reference/functions/infer_schema)
    with the RAW table, the rows loaded with the commit marker's count, and the keys with
    NULL, and fails by name with nothing loaded."""
    lake, db = str(tmp_path / "lake"), str(tmp_path / "wh.duckdb")
    manifests = write_scenario(lake, days[:1])
    _rewrite(lake, manifests[0], group, change)
    n = manifests[0]["entities"]["usage"]["rows"]
    with pytest.raises(warehouse.BatchCheckFailed, match=error.format(n=n, n_less_one=n - 1)):
        warehouse.load_pending(lake, db)
    assert warehouse.loaded_batches(db) == []
    for table in ("customers_state", "customers_changes", "usage_changes"):
        assert _rows(db, f"SELECT COUNT(*) AS n FROM raw.{table}") == [{"n": 0}]


def test_a_batch_with_no_rows_for_a_group_lists_no_file_and_loads(tmp_path, days):
    """Job B lists no file for an empty output (tests/test_build_staging.py); the count check
    then expects 0 rows for it."""
    lake, db = str(tmp_path / "lake"), str(tmp_path / "wh.duckdb")
    manifests = write_scenario(lake, days[:1])
    manifest = manifests[0]
    manifest["files"]["usage/changes"] = []
    manifest["entities"]["usage"] = {"rows": 0}
    commit_batch(lake, manifest)
    assert [r["usage_changes_rows"] for r in warehouse.load_pending(lake, db)] == [0]


# ---- item 7: catch-up is linear ----------------------------------------------------------------


def test_catching_up_reads_each_marker_once_and_refreshes_once(tmp_path, days, monkeypatch):
    lake, db = str(tmp_path / "lake"), str(tmp_path / "wh.duckdb")
    write_scenario(lake, days)
    reads: list[str] = []
    modules: list[str] = []
    read_json, run_module = lake_io.read_json, warehouse.run_module
    monkeypatch.setattr(lake_io, "read_json", lambda p: reads.append(p) or read_json(p))
    monkeypatch.setattr(
        warehouse, "run_module", lambda con, n, p: modules.append(n) or run_module(con, n, p)
    )
    assert len(warehouse.load_pending(lake, db)) == 3
    assert sorted(reads) == [marker_path(lake, d) for d in BATCHES]
    assert modules.count(warehouse_sql.MODEL_REFRESH) == 1
    assert modules.count(warehouse_sql.MODEL_MERGE) == 3
    assert modules.count(warehouse_sql.CHECK_MODEL) == 1


# ---- item 8: the model is tested in the load ---------------------------------------------------


def test_a_duplicate_customer_fails_the_model_test_and_rolls_back(tmp_path, days):
    lake, db = str(tmp_path / "lake"), str(tmp_path / "wh.duckdb")
    write_scenario(lake, days[:2], commit=(BATCHES[0],))
    warehouse.load_pending(lake, db)
    with duckdb.connect(db) as con:  # CORE corrupted by hand: a customer twice
        con.execute("INSERT INTO core.customer SELECT * FROM core.customer LIMIT 1")
    before = _tables(db)
    write_scenario(lake, days[:2])
    with pytest.raises(
        warehouse.ModelCheckFailed, match=r"customer_360_key: (\d+) rows for (?!\1)\d+ customer ids"
    ):
        warehouse.load_pending(lake, db)
    assert _tables(db) == before


def test_an_amount_that_differs_from_core_by_a_cent_fails_the_model_test(
    tmp_path, days, monkeypatch
):
    lake, db = str(tmp_path / "lake"), str(tmp_path / "wh.duckdb")
    write_scenario(lake, days[:1])
    module_duckdb = warehouse_sql.module_duckdb

    def off_by_a_cent(name):
        statements = module_duckdb(name)
        if name != warehouse_sql.MODEL_REFRESH:
            return statements
        return tuple(
            (s.replace("c.total_revenue,", "c.total_revenue + 0.01,"), p) for s, p in statements
        )

    monkeypatch.setattr(warehouse_sql, "module_duckdb", off_by_a_cent)
    with pytest.raises(
        warehouse.ModelCheckFailed, match=r"customer_360_money: customer \S+: an amount differs"
    ):
        warehouse.load_pending(lake, db)
    assert warehouse.loaded_batches(db) == []


def test_customer_360_declares_its_types_keys_and_comments(tmp_path, days):
    lake, db = str(tmp_path / "lake"), str(tmp_path / "wh.duckdb")
    write_scenario(lake, days[:1])
    warehouse.load_pending(lake, db)
    with duckdb.connect(db, read_only=True) as con:
        columns = {
            r[0]: (r[1], r[2]) for r in con.execute("DESCRIBE analytics.customer_360").fetchall()
        }
    assert columns["data_gb_30d"] == ("DECIMAL(12,3)", "NO")
    assert columns["customer_id"] == ("VARCHAR", "NO")
    assert columns["as_of_batch"] == ("DATE", "NO")
    assert columns["usage_window_start"] == ("DATE", "YES")
