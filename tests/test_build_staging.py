"""Glue job B (telco360.shipped.jobs.build_staging) on small, exact scenarios.

Job A's output is written here directly (typed Parquet in contract order + lineage columns and a
metrics.json, per docs/DATA_LAYOUT.md), so these tests depend only on the documented layout.
Outputs are read back through the manifest's file list with pyarrow, like a downstream reader.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import LOCAL_RUN_DATE

from telco360.shipped import lake_layout
from telco360.shipped.contract import FEEDS, LINEAGE_COLUMNS
from telco360.shipped.jobs import build_staging as job

D1, D2, D3, D4 = "2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"
ANA, BEN, CARL, DORA, EVE = "0002-ORFBO", "0003-MKNFE", "9385-NXKDA", "3668-QPYBK", "7590-VHVEG"

# ---- writing job A's output -------------------------------------------------------------------

_ARROW = {
    "string": pa.string(),
    "int": pa.int32(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "decimal(12,2)": pa.decimal128(12, 2),
}

PROFILE = {
    "demographics": {
        "count": 1,
        "gender": "Male",
        "age": 37,
        "under_30": False,
        "senior_citizen": False,
        "married": True,
        "dependents": False,
        "number_of_dependents": 0,
    },
    "location": {
        "count": 1,
        "country": "United States",
        "state": "California",
        "city": "Los Angeles",
        "zip_code": "90022",
        "lat_long": "34.02381, -118.156582",
        "latitude": 34.02381,
        "longitude": -118.156582,
    },
    "services": {
        "count": 1,
        "quarter": "Q3",
        "referred_a_friend": True,
        "number_of_referrals": 2,
        "tenure_in_months": 9,
        "offer": "None",
        "phone_service": True,
        "avg_monthly_long_distance_charges": Decimal("42.39"),
        "multiple_lines": False,
        "internet_service": True,
        "internet_type": "Cable",
        "avg_monthly_gb_download": 16,
        "online_security": False,
        "online_backup": True,
        "device_protection_plan": False,
        "premium_tech_support": True,
        "streaming_tv": True,
        "streaming_movies": False,
        "streaming_music": False,
        "unlimited_data": True,
        "contract": "One Year",
        "paperless_billing": True,
        "payment_method": "Credit Card",
        "monthly_charge": Decimal("65.60"),
        "total_charges": Decimal("593.30"),
        "total_refunds": Decimal("0.00"),
        "total_extra_data_charges": Decimal("0.00"),
        "total_long_distance_charges": Decimal("381.51"),
        "total_revenue": Decimal("974.81"),
    },
    "status": {
        "count": 1,
        "quarter": "Q3",
        "satisfaction_score": 3,
        "customer_status": "Stayed",
        "churn_label": False,
        "churn_value": 0,
        "churn_score": 65,
        "cltv": 2205,
        "churn_category": None,
        "churn_reason": None,
    },
}
SAN_DIEGO = {
    "city": "San Diego",
    "zip_code": "92101",
    "lat_long": "32.719, -117.163",
    "latitude": 32.719,
    "longitude": -117.163,
}
CHURNED = {
    "customer_status": "Churned",
    "churn_label": True,
    "churn_value": 1,
    "churn_score": 91,
    "churn_category": "Competitor",
    "churn_reason": "Competitor made better offer",
}


def row(feed: str, customer_id: str, **changes) -> dict:
    return {"customer_id": customer_id, **PROFILE[feed], **changes}


def usage(customer_id: str, day: str, gb: float, minutes: int) -> dict:
    from datetime import date

    return {
        "customer_id": customer_id,
        "usage_date": date.fromisoformat(day),
        "data_gb": gb,
        "voice_minutes": minutes,
        "sms_count": 12,
        "roaming_minutes": 0,
    }


def write_standardized(lake: Path, day: str, feeds: dict[str, dict[str, list[dict]]]) -> None:
    """feeds: feed -> {csv file name -> rows (contract columns)}; line numbers start at 2."""
    from datetime import date

    metrics = {"batch_date": day, "contract_version": 1, "job": "clean_standardize", "feeds": {}}
    for feed_name, files in feeds.items():
        feed = FEEDS[feed_name]
        columns = [(c.name, c.spark_type) for c in feed.columns] + list(LINEAGE_COLUMNS)
        schema = pa.schema([(name, _ARROW[kind]) for name, kind in columns])
        records = []
        for file_name, rows in files.items():
            source = f"raw/{feed_name}/ingest_date={day}/{file_name}"
            for line, values in enumerate(rows, start=2):
                lineage = {
                    "ingest_date": date.fromisoformat(day),
                    "source_file": source,
                    "source_line": line,
                }
                records.append({**{c.name: values.get(c.name) for c in feed.columns}, **lineage})
        folder = lake / "standardized" / feed_name / f"ingest_date={day}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(records, schema=schema), folder / "part-0.parquet")
        metrics["feeds"][feed_name] = {
            "files": [f"raw/{feed_name}/ingest_date={day}/{f}" for f in files],
            "rows_read": len(records),
            "rows_standardized": len(records),
            "rows_quarantined": 0,
            "duplicates_dropped": 0,
            "quarantined_by_reason": {},
            "schema_drift": [],
        }
    folder = lake / "standardized" / "_metrics" / f"ingest_date={day}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")


def all_feeds(*customers: str) -> dict[str, dict[str, list[dict]]]:
    return {f: {f"{f}.csv": [row(f, c) for c in customers]} for f in PROFILE}


def day1_input() -> dict:
    feeds = all_feeds(ANA, BEN, CARL, DORA)
    # Within a batch: later line wins (ANA twice in one file), later file wins (BEN in two).
    feeds["status"] = {
        "status_1.csv": [
            row("status", ANA, satisfaction_score=1),
            row("status", BEN, satisfaction_score=5),
            row("status", CARL),
            row("status", ANA, satisfaction_score=4),
            row("status", DORA),
        ],
        "status_2.csv": [row("status", BEN, satisfaction_score=2)],
    }
    feeds["population"] = {
        "population.csv": [
            {"id": 1, "zip_code": "90022", "population": 68701},
            {"id": 2, "zip_code": "93010", "population": 42853},
        ]
    }
    feeds["usage"] = {
        "usage.csv": [usage(ANA, "2026-10-31", 1.5, 30), usage(ANA, "2026-10-31", 2.5, 35)]
    }
    return feeds


def day2_input() -> dict:
    return {
        "demographics": {
            "demographics.csv": [row("demographics", CARL), row("demographics", EVE, age=24)]
        },
        "location": {"location.csv": [row("location", ANA, **SAN_DIEGO)]},  # ANA moves
        "services": {"services.csv": [row("services", CARL)]},  # identical re-send
        "status": {
            "status.csv": [
                row("status", BEN, satisfaction_score=2, **CHURNED),
                row("status", EVE, customer_status="Joined"),
            ]
        },
    }


def day3_input() -> dict:
    return {
        "demographics": {"demographics.csv": []},  # delivered, but empty
        "location": {"location.csv": [row("location", EVE)]},
        "services": {
            "services.csv": [
                row("services", ANA, monthly_charge=Decimal("70.05")),
                row("services", CARL, total_charges=None),  # a value becomes NULL: a change
            ]
        },
        "status": {
            # BEN re-sent twice: the later file restates the churned state -> unchanged.
            "status_a.csv": [row("status", BEN, satisfaction_score=2)],
            "status_b.csv": [row("status", BEN, satisfaction_score=2, **CHURNED)],
        },
        "population": {
            "population.csv": [
                {"id": 1, "zip_code": "90022", "population": 68800},
                {"id": 2, "zip_code": "93010", "population": 42853},
                {"id": 3, "zip_code": "92101", "population": 37095},
            ]
        },
        "usage": {
            "usage_1.csv": [usage(ANA, D2, 0.7, 12)],
            "usage_2.csv": [usage(ANA, D2, 0.9, 14), usage(BEN, D2, 3.25, 0)],
        },
    }


# ---- reading staging like a downstream reader -------------------------------------------------


def manifest(lake: Path, day: str) -> dict:
    path = lake / "staging" / "_batches" / f"batch_date={day}" / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8"))


def rows_of(lake: Path, day: str, output: str) -> list[dict]:
    files = manifest(lake, day)["files"][output]
    tables = [pq.read_table(lake / f) for f in files]
    rows = [r for t in tables for r in t.to_pylist()]
    return sorted(rows, key=lambda r: tuple(str(v) for v in r.values()))


def by_key(rows: list[dict], key: str = "customer_id") -> dict[str, dict]:
    return {r[key]: r for r in rows}


def committed(lake: Path) -> list[str]:
    return lake_layout.committed_dates(str(lake))


def day(text: str):
    from datetime import date

    return date.fromisoformat(text)


# ---- the three-batch scenario -----------------------------------------------------------------


@pytest.fixture(scope="module")
def three_batches(spark, tmp_path_factory):
    lake = tmp_path_factory.mktemp("lake3")
    for d, feeds in ((D1, day1_input()), (D2, day2_input()), (D3, day3_input())):
        write_standardized(lake, d, feeds)
        job.run(spark, str(lake), d, run_id=f"run-{d}")
    return lake


def test_manifests_count_exactly(three_batches):
    entities = {d: manifest(three_batches, d)["entities"] for d in (D1, D2, D3)}
    assert entities[D1] == {
        "customers": {
            "inserted": 4,
            "updated": 0,
            "unchanged": 0,
            "total": 4,
            "duplicates_resolved": 2,
        },
        "population": {
            "inserted": 2,
            "updated": 0,
            "unchanged": 0,
            "total": 2,
            "duplicates_resolved": 0,
        },
        "usage": {"rows": 1, "duplicates_resolved": 1},
    }
    assert entities[D2] == {
        "customers": {
            "inserted": 1,
            "updated": 2,
            "unchanged": 1,
            "total": 5,
            "duplicates_resolved": 0,
        },
        "population": {
            "inserted": 0,
            "updated": 0,
            "unchanged": 0,
            "total": 2,
            "duplicates_resolved": 0,
        },
        "usage": {"rows": 0, "duplicates_resolved": 0},
    }
    assert entities[D3] == {
        "customers": {
            "inserted": 0,
            "updated": 3,
            "unchanged": 1,
            "total": 5,
            "duplicates_resolved": 1,
        },
        "population": {
            "inserted": 1,
            "updated": 1,
            "unchanged": 1,
            "total": 3,
            "duplicates_resolved": 0,
        },
        "usage": {"rows": 2, "duplicates_resolved": 1},
    }


def test_manifest_links_batches_and_carries_job_a_metrics(three_batches):
    m3 = manifest(three_batches, D3)
    assert (m3["schema_version"], m3["batch_date"], m3["run_id"]) == (1, D3, f"run-{D3}")
    assert [manifest(three_batches, d)["previous_batch"] for d in (D1, D2, D3)] == [None, D1, D2]
    assert m3["feeds"]["status"]["files"] == [
        f"raw/status/ingest_date={D3}/status_a.csv",
        f"raw/status/ingest_date={D3}/status_b.csv",
    ]
    assert sorted(m3["feeds"]) == sorted(FEEDS)  # every feed delivered on day 3
    assert sorted(m3["files"]) == sorted(job.OUTPUTS)
    for files in m3["files"].values():
        assert files and all(f.startswith("staging/") and f"run=run-{D3}/" in f for f in files)
        assert all((three_batches / f).is_file() for f in files)


def state_join(plan: str) -> set[str]:
    """The physical join operators of a plan's left outer joins."""
    return {
        line.strip(" :+-*()0123456789").split(" ")[0]
        for line in plan.splitlines()
        if "LeftOuter" in line and "Join" in line
    }


def test_the_join_is_chosen_from_job_as_count_of_rows_sent(spark, three_batches):
    """Job B decides how to join a day's delta to the state before building it, from job A's
    count of the rows sent (an upper bound of the delta's keys): up to BROADCAST_MAX_ROWS the
    delta is broadcast to the state scan, above it both sides are shuffled (Spark's
    BroadcastHashJoin and SortMergeJoin). Spark's own size-based broadcast is turned off here:
    on these few rows it would broadcast either way. The counts are the same both ways, and
    those of day 2's manifest (test_manifests_count_exactly)."""
    lake = str(three_batches)
    metrics = job.read_metrics(lake, D2)
    prior = job.read_state(
        spark, lake, manifest(three_batches, D1), "customers/state", job.CUSTOMER_STATE_SCHEMA
    )

    def merge(rows_sent: int) -> tuple[str, dict]:
        sent = {f: job.read_standardized(spark, lake, f, D2, metrics) for f in job.CUSTOMER_COLUMNS}
        delta = job.latest_per_key(sent, job.CUSTOMER_KEY, job.CUSTOMER_COLUMNS)
        merged, counts = job._build_entity(
            prior, delta, job.CUSTOMER_KEY, job.CUSTOMER_COLUMNS, D2, rows_sent, first_batch=False
        )
        plan = merged._jdf.queryExecution().executedPlan().toString()
        merged.unpersist()
        return plan, counts

    spark.conf.set("spark.sql.autoBroadcastJoinThreshold", "-1")
    try:
        at_bound, counts_at_bound = merge(job.BROADCAST_MAX_ROWS)
        above, counts_above = merge(job.BROADCAST_MAX_ROWS + 1)
    finally:
        spark.conf.unset("spark.sql.autoBroadcastJoinThreshold")
    # The state's rows joined with the delta (a left outer join; the new keys are found by a
    # left anti join of the delta with the state's keys, shuffled either way).
    assert state_join(at_bound) == {"BroadcastHashJoin"}, at_bound
    assert state_join(above) == {"SortMergeJoin"}, above
    assert counts_at_bound == counts_above == manifest(three_batches, D2)["entities"]["customers"]


def test_an_empty_output_writes_and_lists_no_file(three_batches):
    """Day 2 sent no population, so it changed no zip code: no zero-row file that COPY may
    not report as loaded; the manifest counts 0 rows and the load checks RAW against that."""
    m2 = manifest(three_batches, D2)
    assert m2["files"]["population/changes"] == []
    assert (m2["entities"]["population"]["inserted"], m2["entities"]["population"]["updated"]) == (
        0,
        0,
    )
    assert not (three_batches / "staging" / "population" / "changes" / f"batch_date={D2}").exists()
    # an output with rows still lists its files
    assert m2["entities"]["customers"]["total"] > 0 and m2["files"]["customers/state"]


def test_precedence_within_a_batch_later_file_then_later_line(three_batches):
    state = by_key(rows_of(three_batches, D1, "customers/state"))
    assert state[ANA]["satisfaction_score"] == 4  # line 5 beats line 2 of the same file
    assert state[BEN]["satisfaction_score"] == 2  # status_2.csv beats status_1.csv
    usage_rows = rows_of(three_batches, D1, "usage/changes")
    assert [(r["customer_id"], r["data_gb"], r["voice_minutes"]) for r in usage_rows] == [
        (ANA, 2.5, 35)
    ]


def test_state_after_three_batches(three_batches):
    rows = rows_of(three_batches, D3, "customers/state")
    state = by_key(rows)
    assert sorted(state) == sorted([ANA, BEN, CARL, DORA, EVE])  # nobody dropped
    assert list(rows[0]) == [f.name for f in job.CUSTOMER_STATE_SCHEMA.fields]
    assert "count" not in rows[0] and "quarter" not in rows[0]
    # ANA moved on day 2 (location only) and changed plan on day 3: both stick, rest kept.
    ana = state[ANA]
    assert (ana["city"], ana["zip_code"], ana["latitude"]) == ("San Diego", "92101", 32.719)
    assert ana["monthly_charge"] == Decimal("70.05")
    assert (ana["satisfaction_score"], ana["gender"]) == (4, "Male")
    # BEN churned on day 2 and stays, churned, with his services and demographics.
    ben = state[BEN]
    assert (ben["customer_status"], ben["churn_category"], ben["churn_value"]) == (
        "Churned",
        "Competitor",
        1,
    )
    assert (ben["contract"], ben["age"], ben["city"]) == ("One Year", 37, "Los Angeles")
    # CARL's total_charges became NULL on day 3; DORA was absent after day 1 and keeps state.
    assert state[CARL]["total_charges"] is None
    dora = state[DORA]
    assert (dora["city"], dora["satisfaction_score"], dora["total_revenue"]) == (
        "Los Angeles",
        3,
        Decimal("974.81"),
    )
    # EVE: new on day 2 from demographics + status only; location arrived on day 3.
    eve = state[EVE]
    assert (eve["age"], eve["customer_status"], eve["city"]) == (24, "Joined", "Los Angeles")
    assert eve["contract"] is None and eve["monthly_charge"] is None
    bookkeeping = {
        c: (r["first_seen_batch"], r["last_changed_batch"], r["batch_date"])
        for c, r in state.items()
    }
    assert bookkeeping == {
        ANA: (day(D1), day(D3), day(D3)),
        BEN: (day(D1), day(D2), day(D3)),
        CARL: (day(D1), day(D3), day(D3)),
        DORA: (day(D1), day(D1), day(D3)),
        EVE: (day(D2), day(D3), day(D3)),
    }


def test_changes_name_the_feeds_that_changed(three_batches):
    def changes(d):
        return {
            r["customer_id"]: (r["change_type"], r["changed_feeds"])
            for r in rows_of(three_batches, d, "customers/changes")
        }

    assert changes(D1) == {
        c: ("INSERT", "demographics,location,services,status") for c in (ANA, BEN, CARL, DORA)
    }
    assert changes(D2) == {
        ANA: ("UPDATE", "location"),
        BEN: ("UPDATE", "status"),
        EVE: ("INSERT", "demographics,status"),
    }  # CARL re-sent identical rows: unchanged, not a change
    assert changes(D3) == {
        ANA: ("UPDATE", "services"),
        CARL: ("UPDATE", "services"),
        EVE: ("UPDATE", "location"),
    }
    change_row = rows_of(three_batches, D2, "customers/changes")[0]
    assert list(change_row)[-3:] == ["batch_date", "change_type", "changed_feeds"]


def test_population_and_usage(three_batches):
    pop = rows_of(three_batches, D3, "population/state")
    assert [(r["zip_code"], r["id"], r["population"], r["first_seen_batch"]) for r in pop] == [
        ("90022", 1, 68800, day(D1)),
        ("92101", 3, 37095, day(D3)),
        ("93010", 2, 42853, day(D1)),
    ]
    # Day 2 sent no population: the previous one stays in force.
    assert [r["population"] for r in rows_of(three_batches, D2, "population/state")] == [
        68701,
        42853,
    ]
    assert [
        (r["zip_code"], r["change_type"]) for r in rows_of(three_batches, D3, "population/changes")
    ] == [("90022", "UPDATE"), ("92101", "INSERT")]
    facts = rows_of(three_batches, D3, "usage/changes")
    assert [(r["customer_id"], r["data_gb"], r["change_type"], r["batch_date"]) for r in facts] == [
        (ANA, 0.9, "UPSERT", day(D3)),
        (BEN, 3.25, "UPSERT", day(D3)),
    ]
    assert list(facts[0]) == [
        "customer_id",
        "usage_date",
        "data_gb",
        "voice_minutes",
        "sms_count",
        "roaming_minutes",
        "batch_date",
        "change_type",
    ]


# ---- commit protocol: marker last, re-runs, order ---------------------------------------------


def staging_content(lake: Path, d: str) -> dict[str, list[dict]]:
    return {output: rows_of(lake, d, output) for output in job.OUTPUTS}


def run_folders(lake: Path, d: str) -> set[str]:
    found = set()
    for output in job.OUTPUTS:
        folder = lake / "staging" / output / f"batch_date={d}"
        found |= {n for n in os.listdir(folder)} if folder.is_dir() else set()
    return found


def test_two_days_failure_before_marker_rerun_and_order(spark, tmp_path, monkeypatch):
    lake = tmp_path / "lake"
    write_standardized(lake, D1, day1_input())
    write_standardized(lake, D2, day2_input())
    job.run(spark, str(lake), D1, run_id="r1")

    # A failure after the data files, before the marker: D2 does not exist downstream.
    def crash(*_args, **_kwargs):
        raise RuntimeError("injected: driver lost before commit")

    monkeypatch.setattr(job, "write_marker", crash)
    with pytest.raises(RuntimeError, match="injected"):
        job.run(spark, str(lake), D2, run_id="crashed")
    monkeypatch.undo()
    assert committed(lake) == [D1]
    assert run_folders(lake, D2) == {"run=crashed"}  # written, but invisible without a marker

    # The re-run commits it and removes the crashed run's files.
    first = job.run(spark, str(lake), D2, run_id="r2")
    assert committed(lake) == [D1, D2]
    assert run_folders(lake, D2) == {"run=r2"}
    assert first["previous_batch"] == D1
    ana = by_key(rows_of(lake, D2, "customers/state"))[ANA]
    assert (ana["city"], ana["zip_code"]) == ("San Diego", "92101")

    # Re-running the latest batch reproduces exactly the same content.
    before = staging_content(lake, D2)
    again = job.run(spark, str(lake), D2, run_id="r2-again")
    assert again["entities"] == first["entities"] and again["previous_batch"] == D1
    assert staging_content(lake, D2) == before
    assert run_folders(lake, D2) == {"run=r2-again"}

    # An older date than the latest committed one is refused, with the way to backfill.
    with pytest.raises(job.OutOfOrderBatch) as refused:
        job.run(spark, str(lake), D1, run_id="late")
    message = str(refused.value)
    assert D2 in message
    assert f"re-run {D1} and every later date in order" in message
    assert f"`telco360 backfill --from {D1}`" in message
    assert f"`telco360 backfill --aws --from {D1}`" in message
    assert committed(lake) == [D1, D2] and run_folders(lake, D1) == {"run=r1"}


def test_refuses_missing_input_and_skipped_batches(tmp_path, spark):
    lake = tmp_path / "lake"
    with pytest.raises(job.MissingStandardizedInput, match=f"{D1}.*run job A"):
        job.run(spark, str(lake), D1)
    write_standardized(lake, D3, day3_input())
    write_standardized(lake, D4, {"usage": {"usage.csv": []}})
    # D3 is standardized but not committed: building D4 first would silently skip it.
    with pytest.raises(job.PendingEarlierBatch, match=f"{D3}.*backfill --from {D3}"):
        job.run(spark, str(lake), D4)
    assert committed(lake) == []


def test_merge_state_compares_null_safely(spark):
    """Pure transform: a NULL re-sent as NULL is unchanged; NULL -> value is a change."""
    schema = job.POPULATION_STATE_SCHEMA
    previous = spark.createDataFrame(
        [
            ("90022", None, 100, day(D1), day(D1), day(D1)),
            ("93010", 2, None, day(D1), day(D1), day(D1)),
        ],
        schema,
    )
    std = job.standardized_schema("population")
    sent = spark.createDataFrame(
        [
            (None, "90022", 100, day(D2), "raw/population/x.csv", 2),
            (2, "93010", 5, day(D2), "raw/population/x.csv", 3),
        ],
        std,
    )
    delta = job.latest_per_key({"population": sent}, ("zip_code",), job.POPULATION_COLUMNS)
    merged = job.merge_state(previous, delta, ("zip_code",), job.POPULATION_COLUMNS, D2)
    result = {r["zip_code"]: (r["change_type"], r["population"]) for r in merged.collect()}
    assert result == {"90022": (None, 100), "93010": ("UPDATE", 5)}


# ---- reading job A's output without a schema-inference job -------------------------------------


def _spark_jobs_started(spark) -> int:
    return spark.sparkContext._jsc.sc().dagScheduler().nextJobId()


def test_the_schema_of_a_file_spark_wrote_is_read_from_its_footer_without_a_spark_job(
    spark, tmp_path
):
    """Spark stores the schema of what it writes in each Parquet file ("automatically preserves
    the schema of the original data", https://spark.apache.org/docs/latest/sql-data-sources-parquet.html),
    under the footer key `org.apache.spark.sql.parquet.row.metadata`; its own inference reads
    that key, in a Spark job. `file_schema` reads the same key on the driver: the same schema,
    and no job (the earlier code ran one per feed in every run of job B)."""
    lake = tmp_path / "lake"
    write_standardized(lake, D1, all_feeds(ANA, BEN))
    for feed in ("services", "location"):  # decimals, doubles, ints, booleans, dates (lineage)
        arrow_file = lake / f"standardized/{feed}/ingest_date={D1}/part-0.parquet"
        written_by_spark = tmp_path / "spark" / feed
        spark.read.parquet(str(arrow_file)).write.parquet(str(written_by_spark))
        path = str(next(written_by_spark.glob("*.parquet")))
        inferred = spark.read.parquet(path).schema
        jobs = _spark_jobs_started(spark)
        assert job.file_schema(spark, path) == inferred
        assert _spark_jobs_started(spark) == jobs, feed
        assert [f.name for f in inferred] == [c.name for c in FEEDS[feed].columns] + [
            name for name, _ in LINEAGE_COLUMNS
        ]


def test_a_file_without_spark_s_schema_gets_spark_s_own_inference(spark, tmp_path):
    """A file written by another tool (pyarrow here) has no stored Spark schema."""
    lake = tmp_path / "lake"
    write_standardized(lake, D1, all_feeds(ANA))
    path = str(lake / f"standardized/services/ingest_date={D1}/part-0.parquet")
    assert pq.read_metadata(path).metadata.get(job.SPARK_SCHEMA_KEY.encode()) is None
    assert job.file_schema(spark, path) == spark.read.parquet(path).schema


def test_standardized_rows_lacking_a_contract_column_are_refused_by_name(spark, tmp_path):
    lake = tmp_path / "lake"
    write_standardized(lake, D1, all_feeds(ANA))
    path = lake / f"standardized/services/ingest_date={D1}/part-0.parquet"
    pq.write_table(pq.read_table(path).drop_columns(["contract", "offer"]), path)
    metrics = json.loads(
        (lake / f"standardized/_metrics/ingest_date={D1}/metrics.json").read_text("utf-8")
    )
    with pytest.raises(job.StandardizedSchemaMismatch, match="lacks column.s. offer, contract"):
        job.read_standardized(spark, str(lake), "services", D1, metrics)
    rows = job.read_standardized(spark, str(lake), "location", D1, metrics).collect()
    assert [(r["customer_id"], r["zip_code"], r["latitude"]) for r in rows] == [
        (ANA, "90022", 34.02381)
    ]


# ---- a small delta is grouped in one task ------------------------------------------------------


def _shuffles(frame) -> int:
    return frame._jdf.queryExecution().executedPlan().toString().count("Exchange hashpartitioning")


@pytest.mark.parametrize(
    ("key", "columns"),
    [
        (job.CUSTOMER_KEY, job.CUSTOMER_COLUMNS),
        (job.USAGE_KEY, {"usage": job.USAGE_VALUES}),
    ],
    ids=["customers", "usage"],
)
def test_a_small_delta_is_grouped_in_one_task_with_the_same_rows(spark, local_run, key, columns):
    """Up to SINGLE_TASK_MAX_ROWS rows, latest_per_key groups one partition: no shuffle (a
    single partition satisfies a grouping's required distribution, as Spark's planner checks
    in EnsureRequirements). Above it, the shuffle. Job A's output of the dirty batch (two
    services files, re-sent rows) gives the same rows both ways."""
    lake, metrics, _manifest = local_run

    def sent():
        return {
            feed: job.read_standardized(spark, str(lake), feed, LOCAL_RUN_DATE, metrics)
            for feed in columns
        }

    rows = sum(metrics["feeds"][feed]["rows_standardized"] for feed in columns)
    assert 0 < rows <= job.SINGLE_TASK_MAX_ROWS
    one_task = job.latest_per_key(sent(), key, columns, rows)
    shuffled = job.latest_per_key(sent(), key, columns, job.SINGLE_TASK_MAX_ROWS + 1)
    unknown = job.latest_per_key(sent(), key, columns)
    assert (_shuffles(one_task), _shuffles(shuffled), _shuffles(unknown)) == (0, 1, 1)
    order = [*key]
    expected = shuffled.orderBy(*order).collect()
    assert one_task.orderBy(*order).collect() == expected
    keys_sent = {
        tuple(r[k] for k in key) for frame in sent().values() for r in frame.select(*key).collect()
    }
    assert len(expected) == len(keys_sent)


# ---- the first batch: no state yet ------------------------------------------------------------


def test_the_first_batch_merges_with_no_join_and_no_python_worker(spark, local_run):
    """With no previous batch, the prior state is empty. As `spark.createDataFrame([], schema)`
    it was a Python RDD (`LogicalRDD`): every query over it started Python workers, and Spark
    could not see it was empty, so the first batch paid a join (and its Spark jobs) with
    nothing. `empty_frame` is an always-false filter, which Spark's optimizer turns into an
    empty `LocalRelation` (rule PruneFilters) and then removes the joins with it (rule
    PropagateEmptyRelation, org.apache.spark.sql.catalyst.optimizer). The merge still gives
    every key as an INSERT (the rows themselves: test_manifests_count_exactly and the
    end-to-end tests)."""
    lake, metrics, _manifest = local_run
    prior = job.read_state(spark, str(lake), None, "customers/state", job.CUSTOMER_STATE_SCHEMA)
    assert prior.schema.simpleString() == job.CUSTOMER_STATE_SCHEMA.simpleString()
    plan = prior._jdf.queryExecution().optimizedPlan().toString()
    assert "LocalRelation <empty>" in plan and "LogicalRDD" not in plan, plan
    assert prior.count() == 0
    sent = {
        feed: job.read_standardized(spark, str(lake), feed, LOCAL_RUN_DATE, metrics)
        for feed in job.CUSTOMER_COLUMNS
    }
    delta = job.latest_per_key(sent, job.CUSTOMER_KEY, job.CUSTOMER_COLUMNS)
    merged = job.merge_state(prior, delta, job.CUSTOMER_KEY, job.CUSTOMER_COLUMNS, LOCAL_RUN_DATE)
    merged_plan = merged._jdf.queryExecution().optimizedPlan().toString()
    assert "Join" not in merged_plan, merged_plan
    kinds = {r["change_type"] for r in merged.select("change_type").collect()}
    assert kinds == {"INSERT"}
    assert merged.count() == delta.count()
