"""Issue 17: real exports changed the way real CRM exports change from one day to the next.

Each test here is one failure seen on the earlier code (each failed there: see the report of
issue 17), run on the real-shaped exports in tests/data/real_exports through the real steps.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from telco360.local import lake_state, run_job
from telco360.local.runner import preflight_module
from telco360.ops import cli
from telco360.shipped import lake_io
from telco360.shipped.contract import FEEDS, header_fields
from telco360.shipped.job_errors import SparkJobFailed
from telco360.shipped.jobs import build_staging as job_b
from telco360.shipped.jobs import clean_standardize as job_a
from telco360.shipped.jobs import glue_entry

REAL_EXPORTS = Path(__file__).parent / "data" / "real_exports"
DAY1, DAY2 = "2026-11-01", "2026-11-02"
# What an operator must never be shown: exception types and frames of Spark, Py4J, the JVM.
INTERNALS = ("java.", "Py4J", "py4j", "org.apache", "AnalysisException", "Traceback", "scala.")

app = preflight_module()


@pytest.fixture
def lake(tmp_path) -> Path:
    root = tmp_path / "lake"
    shutil.copytree(REAL_EXPORTS, root / "raw", ignore=shutil.ignore_patterns("*.md"))
    return root


def export(lake: Path, feed: str, day: str = DAY2) -> Path:
    return next((lake / f"raw/{feed}/ingest_date={day}").glob("*.csv"))


def only(lake: Path, *feeds: str, day: str = DAY2) -> None:
    """Leave only `feeds` delivered on `day`. Job A processes every feed delivered, and each
    costs the suite seconds of Spark work: a test that reads one feed's outcome keeps that one
    (run by hand, job A carries on without the others; pre-flight would stop such a batch)."""
    for folder in (lake / "raw").glob(f"*/ingest_date={day}"):
        if folder.parent.name not in feeds:
            shutil.rmtree(folder)


def assert_readable(message: str) -> None:
    assert not [word for word in INTERNALS if word in message], message
    assert "\n" not in message.strip()  # one paragraph


# ---------------------------------------------------------------------------- seen 2: headers
def test_a_header_with_two_inner_spaces_passes_preflight_and_job_a_alike(lake, spark):
    services = export(lake, "services")
    text = services.read_text(encoding="utf-8")
    services.write_text(text.replace("Monthly Charge", "Monthly  Charge", 1), encoding="utf-8")
    summary = app.check_batch(str(lake), DAY2, allow_rerun=False)
    assert summary["feeds"]["services"]["extra_columns"] == ["Service ID"]
    only(lake, "services")
    metrics = job_a.run(spark, str(lake), DAY2)  # was: SchemaMismatch 'Monthly Charge'
    m = metrics["feeds"]["services"]
    assert (m["rows_read"], m["rows_standardized"], m["rows_quarantined"]) == (2, 2, 0)
    assert m["schema_drift"] == ["Service ID"]


HEADER_VARIANTS = {
    "two inner spaces": "Monthly  Charge",
    "no-break space": "Monthly\u00a0Charge",
    "tab inside and around": "\tMonthly\tCharge ",
    "upper case": "MONTHLY CHARGE",
    "quoted name padded outside the quotes": ' "Monthly Charge"',
    "zero-width space": "Monthly\u200b Charge",
}


@pytest.mark.parametrize("variant", HEADER_VARIANTS.values(), ids=HEADER_VARIANTS.keys())
def test_preflight_and_job_a_apply_the_same_header_rule(variant):
    """One rule (contract.header_key): what pre-flight accepts, job A maps, and vice versa."""
    headers = [variant if h == "Monthly Charge" else h for h in FEEDS["services"].headers]
    line = ",".join(headers) + ","  # a trailing delimiter too
    fields = header_fields(line)
    assert app._missing_columns("services", fields) == ([], [])
    layout = job_a.parse_header(FEEDS["services"], "raw/services/x.csv", line)
    assert layout.positions["monthly_charge"] == headers.index(variant)
    assert layout.drift == ()
    assert (layout.field_count, layout.bare_field_count) == (31, 30)


# -------------------------------------------------------------------- seen 3: all quarantined
def _recode_contracts(lake: Path) -> None:
    services = export(lake, "services")
    text = services.read_text(encoding="utf-8")
    text = text.replace(",Two year,", ",2 Years,").replace(",Month-to-month,", ",Monthly,")
    services.write_text(text, encoding="utf-8")


def test_a_feed_with_every_row_quarantined_stops_the_batch_with_a_named_error(
    lake, tmp_path, capsys, spark
):
    """Was: java.lang.AssertionError in PythonSQLUtils.toPyRow (a JVM stack trace)."""
    _recode_contracts(lake)
    warehouse = str(tmp_path / "w.duckdb")
    assert cli.main(["run", "--lake", str(lake), "--warehouse", warehouse]) == 1
    err = capsys.readouterr().err
    assert "CleanStandardize failed for batch 2026-11-02: QuarantineThresholdExceeded:" in err
    assert "feed services: 2 of 2 rows quarantined (100.0%)" in err
    assert "top reasons: unknown_category (2); columns: Contract (2)" in err
    assert "Contract: unknown category '2 Years' (1x)" in err
    assert "Contract: unknown category 'Monthly' (1x)" in err
    assert "--quarantine-threshold" in err
    assert_readable(err.removeprefix("error: "))
    # Nothing of the batch is committed; day 1 is.
    assert lake_state.committed_dates(str(lake)) == [DAY1]
    assert not (lake / f"standardized/_metrics/ingest_date={DAY2}").exists()

    # The operator decides the rows are rightly refused: one re-run with the gate raised.
    assert cli.main(["run", "--lake", str(lake), "--warehouse", warehouse,
                     "--quarantine-threshold", "1"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "analytics.customer_360: 10 customers" in out
    manifest = lake_state.manifest(str(lake), DAY2)
    services = manifest["feeds"]["services"]
    assert (services["rows_read"], services["rows_standardized"]) == (2, 0)
    assert (services["rows_quarantined"], services["quarantined_by_reason"]) == (
        2,
        {"unknown_category": 2},
    )


def test_the_gate_is_per_feed_and_strictly_above_the_threshold(lake, spark):
    only(lake, "services", "status")
    services = export(lake, "services")
    text = services.read_text(encoding="utf-8")
    services.write_text(text.replace(",Two year,", ",2 Years,"), encoding="utf-8")
    # 1 of 2 services rows quarantined: 50% is not above 0.5 ...
    metrics = job_a.run(spark, str(lake), DAY2, quarantine_threshold=0.5)
    assert metrics["feeds"]["services"]["rows_quarantined"] == 1
    # ... and is above 0.49.
    with pytest.raises(job_a.QuarantineThresholdExceeded) as raised:
        job_a.run(spark, str(lake), DAY2, quarantine_threshold=0.49)
    assert "feed services: 1 of 2 rows quarantined (50.0%)" in str(raised.value)
    assert "feed status" not in str(raised.value)
    assert not (lake / f"standardized/_metrics/ingest_date={DAY2}").exists()


def test_job_a_cli_takes_the_threshold_as_an_argument(lake, capsys, spark):
    only(lake, "services")
    _recode_contracts(lake)
    args = ["--lake_root", str(lake), "--batch_date", DAY2]
    assert run_job.clean_standardize([*args, "--quarantine_threshold", "0.1"]) == 2
    assert "has more than 10% of a feed's rows quarantined" in capsys.readouterr().err
    assert run_job.clean_standardize([*args, "--quarantine_threshold", "1"]) == 0
    assert "services: read 2, standardized 0, quarantined 2, duplicates 0" in (
        capsys.readouterr().out
    )
    with pytest.raises(SystemExit):
        run_job.clean_standardize([*args, "--quarantine_threshold", "1.5"])
    assert "not a share from 0 to 1" in capsys.readouterr().err


# ---------------------------------------------------------------------------- seen 4: encodings
def test_a_utf16_export_is_refused_naming_its_encoding(lake):
    """Was: SchemaMismatch "missing column(s) ... all eleven names".

    Excel's "Unicode Text" is UTF-16 little-endian with a BOM
    (http://www.herongyang.com/Unicode/Excel-Save-File-in-Unicode-Text-txt.html); its
    "CSV UTF-8 (Comma delimited)" is the UTF-8 export to ask for
    (https://donatstudios.com/CSV-An-Encoding-Nightmare)."""
    status = export(lake, "status")
    status.write_bytes(status.read_text(encoding="utf-8").encode("utf-16"))  # BOM + UTF-16LE
    with pytest.raises(app.UnsupportedEncoding) as raised:
        app.check_batch(str(lake), DAY2, allow_rerun=False)
    message = str(raised.value)
    assert f"file raw/status/ingest_date={DAY2}/{status.name} is UTF-16 (little-endian) text" in (
        message
    )
    assert "Export the feed as UTF-8 CSV (Excel: 'CSV UTF-8 (Comma delimited)'" in message
    assert "missing column" not in message


# ---------------------------------------------------------------------------- seen 5: gzip
def test_a_gzip_compressed_export_is_taken_like_the_plain_one(lake, spark):
    """Was: BatchIncomplete "no *.csv under raw/services/..." (the .csv.gz not named).

    Spark's file sources pick Hadoop's gzip codec by the `.gz` extension and decompress
    (https://docs.cloudera.com/runtime/7.2.2/configuring-spark/topics/spark-accessing-compressed-files.html);
    gzip is not splittable, so such a file is one input split."""
    plain = export(lake, "services")
    packed = plain.with_name(plain.name + ".gz")
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    plain.unlink()
    summary = app.check_batch(str(lake), DAY2, allow_rerun=False)
    assert summary["feeds"]["services"]["files"] == [
        f"raw/services/ingest_date={DAY2}/{packed.name}"
    ]
    assert summary["feeds"]["services"]["extra_columns"] == ["Service ID"]
    only(lake, "services")
    metrics = job_a.run(spark, str(lake), DAY2)
    m = metrics["feeds"]["services"]
    assert (m["rows_read"], m["rows_standardized"], m["rows_quarantined"]) == (2, 2, 0)
    std = spark.read.parquet(str(lake / f"standardized/services/ingest_date={DAY2}"))
    got = {r["customer_id"]: (r["contract"], r["source_line"]) for r in std.collect()}
    assert got == {"4412-YLTKF": ("Two Year", 2), "0004-TLHLJ": ("Month-to-Month", 3)}


def test_a_file_of_another_kind_is_refused_by_name(lake):
    plain = export(lake, "services")
    other = plain.with_name("services.csv.bz2")
    other.write_bytes(b"BZh9")
    plain.unlink()
    with pytest.raises(app.UnsupportedFile) as raised:
        app.check_batch(str(lake), DAY2, allow_rerun=False)
    assert f"feed services, file raw/services/ingest_date={DAY2}/services.csv.bz2" in str(
        raised.value
    )
    assert "CSV (*.csv) or gzip-compressed CSV (*.csv.gz)" in str(raised.value)


# ---------------------------------------------------------------------------- Spark failures
def test_a_spark_failure_in_job_a_is_one_readable_paragraph(lake, spark):
    """A gzip file cut short (pre-flight refuses it; a manual job A run reads it anyway)."""
    plain = export(lake, "services")
    packed = gzip.compress(plain.read_bytes() * 50)
    (plain.parent / "services.csv.gz").write_bytes(packed[: len(packed) // 2])
    plain.unlink()
    with pytest.raises(app.UploadInProgress, match="services.csv.gz"):
        app.check_batch(str(lake), DAY2, allow_rerun=False)
    only(lake, "services")
    with pytest.raises(SparkJobFailed) as raised:
        job_a.run(spark, str(lake), DAY2)
    message = str(raised.value)
    assert message.startswith("clean_standardize (job A) could not finish batch 2026-11-02")
    assert "Nothing of this batch was published (the metrics file is written only" in message
    assert_readable(message)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_a_spark_failure_in_job_b_is_one_readable_paragraph(lake, spark):
    only(lake, "status", day=DAY1)
    job_a.run(spark, str(lake), DAY1)
    folder = lake / f"standardized/status/ingest_date={DAY1}"
    for part in folder.glob("*.parquet"):
        part.write_bytes(b"PAR1 not parquet at all PAR1")
    with pytest.raises(SparkJobFailed) as raised:
        job_b.run(spark, str(lake), DAY1, run_id="t")
    message = str(raised.value)
    assert message.startswith("build_staging (job B) could not finish batch 2026-11-01")
    assert "(the commit marker is written only when the job succeeds)" in message
    assert_readable(message)
    assert lake_state.committed_dates(str(lake)) == []


def test_job_a_metrics_of_an_empty_standardized_feed_are_exact(lake, spark):
    """Every row quarantined with the gate off: the counts come from the written files."""
    only(lake, "services")
    _recode_contracts(lake)
    metrics = job_a.run(spark, str(lake), DAY2, quarantine_threshold=1.0)
    m = metrics["feeds"]["services"]
    assert (m["rows_read"], m["rows_standardized"], m["rows_quarantined"]) == (2, 0, 2)
    assert m["duplicates_dropped"] == 0
    written = json.loads(
        (lake / f"standardized/_metrics/ingest_date={DAY2}/metrics.json").read_text()
    )
    assert written["feeds"]["services"] == m
    assert spark.read.parquet(str(lake / f"standardized/services/ingest_date={DAY2}")).count() == 0


def test_preflight_and_job_a_read_a_gzip_export_header_on_s3(fake_aws_credentials):
    """On S3 pre-flight reads a ranged start (header) and streams the whole gzip file (its
    end); job A reads the header from a ranged start too."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-west-1")
        s3.create_bucket(
            Bucket="lake", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        for path in REAL_EXPORTS.glob(f"*/ingest_date={DAY2}/*.csv"):
            key = f"raw/{path.parent.parent.name}/{path.parent.name}/{path.name}"
            body = path.read_bytes()
            if path.parent.parent.name == "services":
                key, body = key + ".gz", gzip.compress(body * 3000)  # several stream chunks
            s3.put_object(Bucket="lake", Key=key, Body=body)
        summary = app.check_batch("s3://lake", DAY2, allow_rerun=False)
        (landed,) = summary["feeds"]["services"]["files"]
        assert landed.endswith("Telco_customer_churn_services.csv.gz")
        assert summary["feeds"]["services"]["extra_columns"] == ["Service ID"]
        header = lake_io.read_first_line(f"s3://lake/{landed}")
        assert header.startswith("Service ID,Customer ID,Count,Quarter,")


def test_the_threshold_is_a_stack_parameter_given_to_job_a_as_a_default_argument():
    from test_statemachine import load_template

    template = load_template()
    spec = template["Parameters"]["QuarantineThreshold"]
    assert (spec["Type"], spec["MinValue"], spec["MaxValue"]) == ("Number", 0, 1)
    assert spec["Default"] == job_a.DEFAULT_QUARANTINE_THRESHOLD == 0.1
    jobs = template["Resources"]
    job_a_args = jobs["CleanStandardizeJob"]["Properties"]["DefaultArguments"]
    assert job_a_args["--quarantine_threshold"] == {"Ref": "QuarantineThreshold"}
    assert "--quarantine_threshold" not in jobs["BuildStagingJob"]["Properties"]["DefaultArguments"]
    # The Glue entry point asks for it (getResolvedOptions fails on an argument never given);
    # tests/test_glue_bundle.py checks the names it asks Glue for, run as Glue runs it.
    source = Path(glue_entry.__file__).read_text(encoding="utf-8")
    assert '["lake_root", "batch_date", "quarantine_threshold"]' in source


def test_empty_and_degenerate_feeds_end_in_exact_metrics_or_a_named_error(lake, spark):
    """Job A run by hand (no pre-flight) on files with no data row: exact zero counts, and job
    B commits the batch; a batch folder with no CSV at all is NoInputFiles."""
    demographics = export(lake, "demographics")
    demographics.write_bytes(demographics.read_bytes().splitlines()[0] + b"\r\n")
    status = export(lake, "status")
    status.write_bytes(status.read_bytes().splitlines()[0] + b"\r\n\r\n   \r\n")
    job_a.run(spark, str(lake), DAY1)
    job_b.run(spark, str(lake), DAY1, run_id="day1")
    metrics = job_a.run(spark, str(lake), DAY2)
    for feed in ("demographics", "status"):
        m = metrics["feeds"][feed]
        assert (m["rows_read"], m["rows_standardized"], m["rows_quarantined"]) == (0, 0, 0), feed
        assert (m["duplicates_dropped"], m["quarantined_by_reason"]) == (0, {}), feed
    manifest = job_b.run(spark, str(lake), DAY2, run_id="day2")
    assert manifest["feeds"]["demographics"]["rows_read"] == 0
    assert manifest["entities"]["customers"]["total"] == 10  # day 1's 9 and a joiner

    for folder in (lake / "raw").glob(f"*/ingest_date={DAY2}"):
        for f in folder.iterdir():
            f.rename(f.with_name(f.name + ".txt"))
    with pytest.raises(job_a.NoInputFiles, match="hold no .csv or .csv.gz file for any feed"):
        job_a.run(spark, str(lake), DAY2)


def test_preflight_streams_a_large_gzip_export_in_bounded_memory(lake):
    """A gzip file is read whole at pre-flight (its end says nothing about its text's end):
    well-compressed data must not be inflated in one piece (Lambda memory)."""
    import tracemalloc

    plain = export(lake, "usage")
    header, *rows = plain.read_bytes().splitlines()
    text = header + b"\r\n" + b"\r\n".join(rows * 400_000) + b"\r\n"  # 53 MB of text
    (plain.parent / "usage.csv.gz").write_bytes(gzip.compress(text, compresslevel=1))
    plain.unlink()
    del text
    tracemalloc.start()
    summary = app.check_batch(str(lake), DAY2, allow_rerun=False)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert summary["feeds"]["usage"]["files"] == [f"raw/usage/ingest_date={DAY2}/usage.csv.gz"]
    assert peak < 16 * 2**20, peak
