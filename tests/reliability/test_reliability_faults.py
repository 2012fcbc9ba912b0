"""Fault injection, idempotency and concurrency through the real `telco360 run`.

Each fault crashes one real step of the second day of a small generated lake (200 customers x
2 days, the first committed and loaded); a re-run must then end in exactly the state of a clean
run of the same input (warehouse tables and the staging content of committed batches), and no
reader may have seen the partial batch.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from pathlib import Path

import duckdb
import pytest

from telco360.local import lake_state, runner, warehouse
from telco360.local.run_lock import RunLock
from telco360.local.warehouse_sql import MODEL_REFRESH
from telco360.ops import cli
from telco360.ops.generate import generate
from telco360.ops.repo import REPO_ROOT
from telco360.shipped.jobs import build_staging as job_b

DAYS = ("2026-11-01", "2026-11-02")
VOLATILE = {"run_id", "loaded_at", "committed_at"}  # differ by design between two runs


class InjectedCrash(RuntimeError):
    pass


@pytest.fixture(scope="module")
def raw_input(tmp_path_factory) -> Path:
    lake = tmp_path_factory.mktemp("generated")
    generate(lake=str(lake), customers=200, days=2, start=DAYS[0], seed=11, dirty=0.02)
    return lake / "raw"


def _fresh(raw_input: Path, where: Path) -> tuple[str, str]:
    shutil.copytree(raw_input, where / "lake" / "raw")
    return str(where / "lake"), str(where / "warehouse.duckdb")


def _run(lake: str, wh: str, *extra: str) -> int:
    return cli.main(["run", "--lake", lake, "--warehouse", wh, *extra])


def snapshot(lake: str, wh: str) -> dict:
    """Everything a reader can see: warehouse tables (CORE, ANALYTICS) and committed staging."""
    seen: dict = {}
    with duckdb.connect(wh, read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('core', 'analytics') order by 1, 2"
        ).fetchall()
        # the load's own bookkeeping (last plan, markers as read, lock time) is not data
        tables = [(s, t) for s, t in tables if t == "load_ledger" or not t.startswith("load_")]
        for schema, table in tables:
            cols = [
                name
                for name, kind in con.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = ? and table_name = ? order by ordinal_position",
                    [schema, table],
                ).fetchall()
                if name not in VOLATILE and not kind.startswith("TIMESTAMP")
            ]
            select = ", ".join(f'"{c}"' for c in cols)
            seen[f"{schema}.{table}"] = con.execute(
                f"select {select} from {schema}.{table} order by all"
            ).fetchall()
        for day in lake_state.committed_dates(lake):
            manifest = lake_state.manifest(lake, day)
            seen[f"manifest {day}"] = {
                k: v for k, v in manifest.items() if k not in VOLATILE | {"files"}
            }
            for group, files in manifest["files"].items():
                paths = [os.path.join(lake, f) for f in files]
                seen[f"staging {day} {group}"] = (
                    con.execute(
                        f"select * from read_parquet({paths!r}, hive_partitioning = false) "
                        "order by all"
                    ).fetchall()
                    if paths  # job B lists no file for an empty output
                    else []
                )
    return seen


@pytest.fixture(scope="module")
def clean(raw_input, tmp_path_factory, spark):
    """A clean run of both days: (lake, warehouse, snapshot). On the way, a copy of both as
    they were with day 1 committed and loaded (see `day_one`)."""
    where = tmp_path_factory.mktemp("clean")
    lake, wh = _fresh(raw_input, where)
    assert _run(lake, wh, "--date", DAYS[0]) == 0
    shutil.copytree(lake, where / "day_one" / "lake")
    shutil.copy(wh, where / "day_one" / "warehouse.duckdb")
    assert _run(lake, wh) == 0
    assert warehouse.loaded_batches(wh) == list(DAYS)
    return lake, wh, snapshot(lake, wh)


def day_one(clean, where: Path) -> tuple[str, str]:
    """A copy of the clean run's lake and warehouse as they were with day 1 committed and loaded,
    day 2 landed and pending: each crash hits day 2, whose run has state to build on (and the
    suite does not pay for day 1 again in every test)."""
    saved = Path(clean[0]).parent / "day_one"
    shutil.copytree(saved / "lake", where / "lake")
    shutil.copy(saved / "warehouse.duckdb", where / "warehouse.duckdb")
    return str(where / "lake"), str(where / "warehouse.duckdb")


def warehouse_part(seen: dict) -> dict:
    """The warehouse tables of a snapshot (not the lake's staging)."""
    return {k: v for k, v in seen.items() if k.startswith(("core.", "analytics."))}


def _assert_not_published(lake: str, wh: str, day: str) -> None:
    """No reader saw the batch: no commit marker, not in the warehouse ledger."""
    assert day not in lake_state.committed_dates(lake)
    assert day not in warehouse.loaded_batches(wh)


def _crash(*_args, **_kwargs):
    raise InjectedCrash("injected crash")


def _recovers(monkeypatch, lake, wh, clean, day, capsys) -> None:
    assert _run(lake, wh) == 1  # the crash is reported, not swallowed
    assert "InjectedCrash" in capsys.readouterr().err
    alert = lake_state.last_alert(lake, day)  # the alert the SNS topic would have received
    assert f"batch {day}" in alert["subject"] and "InjectedCrash" in alert["message"]
    _assert_not_published(lake, wh, day)
    monkeypatch.undo()
    assert _run(lake, wh) == 0
    assert snapshot(lake, wh) == clean[2]


def test_crash_after_job_a_wrote_then_rerun_equals_clean(tmp_path, monkeypatch, clean, capsys):
    lake, wh = day_one(clean, tmp_path)
    monkeypatch.setattr(runner.LocalPipeline, "build_staging", _crash)
    _recovers(monkeypatch, lake, wh, clean, DAYS[1], capsys)


def test_crash_after_job_b_data_before_marker_then_rerun_equals_clean(
    tmp_path, monkeypatch, clean, capsys
):
    lake, wh = day_one(clean, tmp_path)
    monkeypatch.setattr(job_b, "write_marker", _crash)
    assert _run(lake, wh) == 1
    assert "InjectedCrash" in capsys.readouterr().err
    # Job B's data files exist but no marker: the batch does not exist for anyone downstream.
    assert list((Path(lake) / f"staging/customers/state/batch_date={DAYS[1]}").rglob("*.parquet"))
    _assert_not_published(lake, wh, DAYS[1])
    monkeypatch.undo()
    assert _run(lake, wh) == 0
    assert snapshot(lake, wh) == clean[2]
    # The orphaned run's files were garbage-collected after the commit.
    for day in DAYS:
        runs = list((Path(lake) / f"staging/customers/state/batch_date={day}").glob("run=*"))
        assert len(runs) == 1


def test_crash_mid_warehouse_load_rolls_back_then_rerun_equals_clean(
    tmp_path, monkeypatch, clean, capsys
):
    lake, wh = day_one(clean, tmp_path)
    before = warehouse_part(snapshot(lake, wh))
    real = warehouse.run_module

    def failing(con, name, params):
        if name == MODEL_REFRESH:  # RAW and CORE were already written in this transaction
            raise InjectedCrash("injected crash mid-load")
        return real(con, name, params)

    monkeypatch.setattr(warehouse, "run_module", failing)
    assert _run(lake, wh) == 1
    assert "InjectedCrash" in capsys.readouterr().err
    assert DAYS[1] in lake_state.committed_dates(lake)  # committed in the lake...
    assert warehouse.loaded_batches(wh) == [DAYS[0]]  # ...but its load rolled back entirely:
    assert warehouse_part(snapshot(lake, wh)) == before  # every table as it was after day 1
    assert before["core.customer"] and before["analytics.customer_360"]
    monkeypatch.undo()
    assert _run(lake, wh) == 0
    assert snapshot(lake, wh) == clean[2]


def test_running_the_whole_lake_again_changes_nothing(clean, capsys):
    lake, wh, before = clean
    capsys.readouterr()
    assert _run(lake, wh) == 0
    assert "nothing pending" in capsys.readouterr().out
    assert _run(lake, wh, "--date", DAYS[1]) == 0  # the same batch again: nothing to do
    assert snapshot(lake, wh) == before
    # Loading an already-loaded batch again is a no-op too (exactly once).
    assert warehouse.load_batch(lake, wh, DAYS[1])["status"] == "already_loaded"
    assert warehouse.load_pending(lake, wh) == []
    assert snapshot(lake, wh) == before


def test_a_second_run_on_a_locked_lake_refuses_and_writes_nothing(raw_input, tmp_path):
    lake, wh = _fresh(raw_input, tmp_path)
    before = sorted(p for p in Path(lake).rglob("*") if "_locks" not in p.parts)
    with RunLock(lake):  # a first run holds the lake
        second = subprocess.run(
            [str(REPO_ROOT / ".venv/bin/telco360"), "run", "--lake", lake, "--warehouse", wh],
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert second.returncode != 0
    assert f"another telco360 run holds this lake (pid {os.getpid()}" in second.stderr
    assert sorted(p for p in Path(lake).rglob("*") if "_locks" not in p.parts) == before
    assert not Path(wh).exists()


def test_a_stale_lock_from_a_dead_run_is_taken_over(raw_input, tmp_path):
    lake, _wh = _fresh(raw_input, tmp_path)
    lock = Path(lake) / "_locks" / "run.lock"
    lock.parent.mkdir()
    finished = subprocess.Popen(["true"])
    finished.wait()
    lock.write_text(json.dumps({"pid": finished.pid, "host": socket.gethostname()}))
    with RunLock(lake):
        assert json.loads(lock.read_text())["pid"] == os.getpid()
    assert not lock.exists()
