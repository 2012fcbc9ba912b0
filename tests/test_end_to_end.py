"""`telco360 run` end to end: real-shaped exports -> pre-flight -> Glue A -> Glue B -> DuckDB.

The expected CUSTOMER_360 is computed here independently, with the csv module and Decimal,
from the same files: the latest row of each feed per customer wins.
"""

from __future__ import annotations

import csv
import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import copy_run

from telco360.local import lake_state, runner
from telco360.local.pipeline_definition import task_sequence
from telco360.ops import cli

REAL_EXPORTS = Path(__file__).parent / "data" / "real_exports"
CUSTOMER_FEEDS = ("demographics", "location", "services", "status")


def _rows(feed: str) -> list[dict]:
    """Every row of a feed, in landing order (batch, then file, then line)."""
    rows = []
    for path in sorted((REAL_EXPORTS / feed).glob("ingest_date=*/*.csv")):
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows.extend(csv.DictReader(f))
    return rows


def _expected() -> dict[str, dict]:
    latest: dict[str, dict] = {}
    for feed in CUSTOMER_FEEDS:
        for row in _rows(feed):
            latest.setdefault(row["Customer ID"], {}).update(row)
    population = {row["Zip Code"]: int(row["Population"]) for row in _rows("population")}
    for row in latest.values():
        row["population"] = population[row["Zip Code"]]
    return latest


def _money(text: str) -> Decimal | None:
    if not text.strip():
        return None
    return Decimal(text).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _table(warehouse: str, sql: str) -> list[tuple]:
    with duckdb.connect(warehouse, read_only=True) as con:
        return con.sql(sql).fetchall()


@pytest.fixture(scope="module")
def first_run(real_exports_run, tmp_path_factory) -> tuple[str, str, str]:
    """A copy of conftest.py's `real_exports_run` (the real exports after one `telco360 run`):
    (lake, warehouse, what it printed). The test that runs again on it asserts that doing so
    changes nothing."""
    lake, warehouse, printed = real_exports_run
    return *copy_run(lake, warehouse, tmp_path_factory.mktemp("first_run")), printed


def test_real_exports_become_a_customer_360_that_matches_the_source(first_run):
    _lake, warehouse, out = first_run
    assert "2 batch(es) pending: 2026-11-01, 2026-11-02" in out
    assert "analytics.customer_360: 10 customers, 6 churned (60.0%)" in out

    expected = _expected()
    got = {
        row[0]: row[1:]
        for row in _table(
            warehouse,
            "select customer_id, city, zip_code, population, contract, internet_type, "
            "monthly_charge, total_charges, total_revenue, customer_status, churn_value, "
            "churn_category from analytics.customer_360",
        )
    }
    assert sorted(got) == sorted(expected)  # exactly one row per customer
    for customer_id, src in expected.items():
        city, zip_code, population, contract, internet_type, monthly, total, revenue = got[
            customer_id
        ][:8]
        assert (city, zip_code, population) == (src["City"], src["Zip Code"], src["population"])
        assert monthly == _money(src["Monthly Charge"])
        assert total == _money(src["Total Charges"])
        assert revenue == _money(src["Total Revenue"])
        assert got[customer_id][8:] == (
            src["Customer Status"],
            int(src["Churn Value"]),
            src["Churn Category"] or None,
        )
    # Day 2 spelled categories its own way; the 360 carries the canonical spelling.
    assert got["4412-YLTKF"][3] == "Two Year"
    assert got["0004-TLHLJ"][3:5] == ("Month-to-Month", "Fiber Optic")
    # The latest location wins, with its (revised) population.
    assert got["0003-MKNFE"][:3] == ("Burbank", "91501", 20500)
    # Money sums to the cent.
    (revenue_sum,) = _table(warehouse, "select sum(total_revenue) from analytics.customer_360")[0]
    assert revenue_sum == sum(_money(r["Total Revenue"]) for r in expected.values())


def test_a_second_run_finds_nothing_pending_and_changes_nothing(first_run, capsys):
    lake, warehouse, _out = first_run
    before = _table(warehouse, "select * from analytics.customer_360 order by customer_id")
    ledger = _table(warehouse, "select count(*) from core.load_ledger")
    capsys.readouterr()
    assert cli.main(["run", "--lake", lake, "--warehouse", warehouse]) == 0
    assert "nothing pending" in capsys.readouterr().out
    assert _table(warehouse, "select * from analytics.customer_360 order by customer_id") == before
    assert _table(warehouse, "select count(*) from core.load_ledger") == ledger


@pytest.fixture(scope="module")
def day_one(tmp_path_factory, spark) -> tuple[str, str, list[str], runner.BatchReport]:
    """Day 1 of the real exports run by LocalPipeline, each job step recorded as it is called:
    (lake, warehouse, the steps called, the batch's report). Day 2 stays landed, not run."""
    root = tmp_path_factory.mktemp("day_one")
    lake, warehouse = root / "lake", root / "warehouse.duckdb"
    shutil.copytree(REAL_EXPORTS, lake / "raw", ignore=shutil.ignore_patterns("*.md"))
    pipeline = runner.LocalPipeline(str(lake), str(warehouse), echo=lambda _line: None)
    calls = []
    with pytest.MonkeyPatch.context() as patch:
        for name in ("preflight", "clean_standardize", "build_staging"):
            step = getattr(pipeline, name)
            patch.setattr(pipeline, name, lambda *a, n=name, s=step: calls.append(n) or s(*a))
        report = pipeline.run_batch("2026-11-01")
    return str(lake), str(warehouse), calls, report


def test_local_steps_are_the_state_machines_tasks_in_order(day_one):
    _lake, _warehouse, calls, report = day_one
    asl_tasks = task_sequence()
    assert [state for state, _local in asl_tasks] == [
        "Preflight",
        "CleanStandardize",
        "BuildStaging",
    ]
    assert calls == [local for _state, local in asl_tasks]
    assert [state for state, _s in report.steps] == [
        "Preflight",
        "CleanStandardize",
        "BuildStaging",
        runner.WAREHOUSE_STATE,
    ]


def test_a_failing_step_stops_the_run_and_records_the_alert(day_one, tmp_path, capsys):
    # From a copy of the lake and warehouse with day 1 loaded (the same as a run that did it).
    shutil.copytree(day_one[0], tmp_path / "lake")
    shutil.copy(day_one[1], tmp_path / "warehouse.duckdb")
    lake, warehouse = str(tmp_path / "lake"), str(tmp_path / "warehouse.duckdb")
    # Day 2's status export never arrived: pre-flight must stop day 2 (day 1 stays loaded).
    shutil.rmtree(Path(lake) / "raw" / "status" / "ingest_date=2026-11-02")
    shutil.copytree(
        REAL_EXPORTS / "status" / "ingest_date=2026-11-02",
        Path(lake) / "raw" / "status" / "ingest_date=2026-11-03",
    )
    for feed in ("demographics", "location", "services"):
        shutil.copytree(
            REAL_EXPORTS / feed / "ingest_date=2026-11-02",
            Path(lake) / "raw" / feed / "ingest_date=2026-11-03",
        )
    assert cli.main(["run", "--lake", lake, "--warehouse", warehouse]) == 1
    err = capsys.readouterr().err
    assert "Preflight failed for batch 2026-11-02" in err and "status" in err
    assert lake_state.committed_dates(lake) == ["2026-11-01"]  # 11-03 never started
    assert lake_state.standardized_dates(lake) == ["2026-11-01"]
    alert = lake_state.last_alert(lake, "2026-11-02")
    assert "Preflight" in alert["subject"] and "2026-11-02" in alert["message"]
    assert cli.main(["status", "--lake", lake, "--warehouse", warehouse]) == 0
    status = capsys.readouterr().out
    assert "2026-11-01  loaded" in status and "2026-11-03  landed" in status
