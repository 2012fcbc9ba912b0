"""Glue job A on hand-written exports: every normalization, every quarantine reason, exact
accounting, the IBM-like real export, schema breaks and re-runs.

The job runs once per fixture lake (module-scoped); the assertions read its Parquet output with
DuckDB, so they cost no Spark actions and also prove other engines can read the files.
"""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from telco360.local import run_job
from telco360.shipped.jobs import clean_standardize as job

FIXTURES = Path(__file__).parent / "data" / "clean"
DIRTY_DATE = "2026-11-02"
IBM_DATE = "2026-11-01"


def copy_lake(name: str, tmp: Path) -> Path:
    lake = tmp / name
    shutil.copytree(FIXTURES / name, lake)
    return lake


def rows(lake: Path, zone: str, feed: str, date: str, columns: str = "*") -> list[tuple]:
    files = f"{lake}/{zone}/{feed}/ingest_date={date}/*.parquet"
    return duckdb.sql(
        f"select {columns} from read_parquet('{files}') order by source_file, source_line"
    ).fetchall()


def src(feed: str, name: str | None = None, date: str = DIRTY_DATE) -> str:
    return f"raw/{feed}/ingest_date={date}/{name or feed}.csv"


@pytest.fixture(scope="module")
def dirty(local_run):
    """Job A's run of the dirty batch (conftest.py's `local_run`, shared with other modules:
    mostly bad rows on purpose, so the quarantine gate is off; tested in
    test_real_export_variants.py)."""
    lake, metrics, _manifest = local_run
    return lake, metrics


@pytest.fixture(scope="module")
def ibm(spark, tmp_path_factory):
    lake = copy_lake("ibm_like", tmp_path_factory.mktemp("clean"))
    return lake, job.run(spark, str(lake), IBM_DATE)


# --------------------------------------------------------------------------------------------
# Dirty batch: accounting, quarantine, normalization
# --------------------------------------------------------------------------------------------


def test_dirty_batch_metrics_account_for_every_row_exactly(dirty):
    lake, metrics = dirty
    written = json.loads(
        (lake / f"standardized/_metrics/ingest_date={DIRTY_DATE}/metrics.json").read_text()
    )
    assert written == metrics
    assert metrics["batch_date"] == DIRTY_DATE
    assert metrics["job"] == "clean_standardize"
    assert metrics["contract_version"] == 1

    def feed(files, read, std, quar, dup, reasons, drift=()):
        return {
            "files": files,
            "rows_read": read,
            "rows_standardized": std,
            "rows_quarantined": quar,
            "duplicates_dropped": dup,
            "quarantined_by_reason": reasons,
            "schema_drift": list(drift),
        }

    assert metrics["feeds"] == {
        # 13 physical lines: header, 10 rows, 2 trailing blank lines (not rows)
        "demographics": feed(
            [src("demographics")],
            10,
            3,
            6,
            1,
            {
                "wrong_field_count": 1,
                "missing_key": 1,
                "malformed_key": 1,
                "unparseable_number": 1,
                "unparseable_boolean": 1,
                "unknown_category": 1,
                "missing_required": 1,
                "out_of_range": 1,
            },
        ),
        # 8 physical lines: header, 7 lines of which 2 are one record (a quoted line break)
        "location": feed(
            [src("location")],
            6,
            3,
            3,
            0,
            {"malformed_value": 1, "unparseable_number": 1, "out_of_range": 1},
            ["Location ID"],
        ),
        "population": feed(
            [src("population")],
            6,
            3,
            3,
            0,
            {"missing_key": 1, "malformed_key": 1, "out_of_range": 1},
        ),
        "services": feed(
            [src("services", "services_a"), src("services", "services_b")],
            8,
            4,
            3,
            1,
            {
                "malformed_key": 1,
                "unparseable_number": 1,
                "unknown_category": 1,
                "missing_required": 1,
                "out_of_range": 1,
            },
            ["Service ID"],
        ),
        "status": feed(
            [src("status")],
            5,
            3,
            2,
            0,
            {"unparseable_boolean": 1, "unknown_category": 1, "out_of_range": 2},
            ["Status ID"],
        ),
        "usage": feed(
            [src("usage")],
            7,
            1,
            5,
            1,
            {"missing_key": 1, "unparseable_number": 1, "unparseable_date": 2, "out_of_range": 1},
        ),
    }
    for name, m in metrics["feeds"].items():
        assert m["rows_read"] == (
            m["rows_standardized"] + m["rows_quarantined"] + m["duplicates_dropped"]
        ), name
        assert len(rows(lake, "standardized", name, DIRTY_DATE)) == m["rows_standardized"]
        assert len(rows(lake, "quarantine", name, DIRTY_DATE)) == m["rows_quarantined"]


def test_quarantined_rows_keep_original_line_file_line_number_and_reasons(dirty):
    lake, _ = dirty
    cols = "source_file, source_line, reason_codes"
    demo = src("demographics")
    assert rows(lake, "quarantine", "demographics", DIRTY_DATE, cols) == [
        (demo, 4, ["out_of_range"]),
        (demo, 5, ["unknown_category", "unparseable_boolean", "unparseable_number"]),
        (demo, 6, ["missing_key"]),
        (demo, 7, ["malformed_key"]),  # `7590-vhveg`: never upper-cased into shape
        (demo, 8, ["missing_required"]),  # Gender is a single space
        (demo, 9, ["wrong_field_count"]),
    ]
    loc = src("location")
    assert rows(lake, "quarantine", "location", DIRTY_DATE, cols) == [
        (loc, 3, ["malformed_value"]),  # zip code 9006
        (loc, 4, ["out_of_range"]),  # latitude 134.1
        (loc, 5, ["unparseable_number"]),
    ]  # lines 6-7: a quoted city with a line break, one record, standardized
    pop = src("population")
    assert rows(lake, "quarantine", "population", DIRTY_DATE, cols) == [
        (pop, 3, ["malformed_key"]),  # zip code is the population key
        (pop, 4, ["missing_key"]),
        (pop, 5, ["out_of_range"]),
    ]
    svc = src("services", "services_a")
    assert rows(lake, "quarantine", "services", DIRTY_DATE, cols) == [
        (svc, 5, ["unknown_category"]),  # Three Year
        (svc, 6, ["missing_required", "unparseable_number"]),  # n/a; blank Total Revenue
        (svc, 7, ["malformed_key", "out_of_range"]),  # 0010-ABCD; -5.00
    ]
    st = src("status")
    assert rows(lake, "quarantine", "status", DIRTY_DATE, cols) == [
        (st, 4, ["out_of_range"]),
        (st, 6, ["out_of_range", "unknown_category", "unparseable_boolean"]),
    ]
    us = src("usage")
    assert rows(lake, "quarantine", "usage", DIRTY_DATE, cols) == [
        (us, 3, ["unparseable_date"]),  # 2026-13-01
        (us, 4, ["unparseable_date"]),  # 11/01/2026
        (us, 5, ["out_of_range"]),
        (us, 6, ["unparseable_number"]),  # NaN
        (us, 7, ["missing_key"]),  # usage date is part of the usage key
    ]
    detail = rows(lake, "quarantine", "status", DIRTY_DATE, "ingest_date, raw_line, reason_detail")
    assert detail[1] == (
        date(2026, 11, 2),
        "XXXXXX0000,0008-ASDFG,1,Q5,3,Left,Maybe,2,101,5302,Bored,Moved",
        "Quarter: unknown category 'Q5'; Customer Status: unknown category 'Left'; "
        "Churn Label: not Yes/No 'Maybe'; Churn Value: not >= 0 and <= 1 '2'; "
        "Churn Score: not >= 0 and <= 100 '101'; Churn Category: unknown category 'Bored'",
    )
    raw = rows(lake, "quarantine", "location", DIRTY_DATE, "raw_line, reason_detail")
    assert raw[2] == (
        "WIUHRF,0005-ABCDE,1,United States,California,Inglewood,90303,"
        '"33.936291, -118.332639",north,-118.332639',
        "Latitude: not a number 'north'",
    )
    wrong = rows(lake, "quarantine", "demographics", DIRTY_DATE, "raw_line, reason_detail")
    assert wrong[5] == (
        "0007-QWERT,1,Female,25,Yes,No,No,No",
        "expected 9 fields (as in the header), found 8",
    )


def test_standardized_rows_are_trimmed_typed_canonical_with_lineage(dirty):
    lake, _ = dirty
    demo = src("demographics")
    # BOM header, whitespace, `male`/`no`/`NO`, `65.0` as an integer, `Y`/`TRUE`/`false`;
    # line 11 repeats line 2 exactly and is dropped as a duplicate.
    assert rows(lake, "standardized", "demographics", DIRTY_DATE, "* exclude (ingest_date)") == [
        ("0002-ORFBO", 1, "Female", 37, False, False, True, False, 0, demo, 2),
        ("0003-MKNFE", 1, "Male", 46, False, False, False, False, 0, demo, 3),
        ("0008-ASDFG", 1, "Male", 65, False, True, True, False, 1, demo, 10),
    ]
    # Columns matched by name although the header is reordered, upper/lower-cased and padded.
    assert rows(
        lake,
        "standardized",
        "location",
        DIRTY_DATE,
        "customer_id, city, zip_code, lat_long, latitude",
    ) == [
        ("0002-ORFBO", "Los Angeles", "90022", "34.02381, -118.156582", 34.02381),
        ("0009-ZXCVB", "Santa\nMonica", "90401", "34.0195, -118.4912", 34.0195),  # lines 6-7
        ("0008-ASDFG", "San Francisco", "94102", "37.7793, -122.4193", 37.7793),
    ]
    money = (
        "customer_id, quarter, offer, internet_type, contract, payment_method, multiple_lines, "
        "monthly_charge, total_charges, total_refunds, total_extra_data_charges, source_file, "
        "source_line"
    )
    a, b = src("services", "services_a"), src("services", "services_b")
    assert rows(lake, "standardized", "services", DIRTY_DATE, money) == [
        # float noise and half-up: 494.00000000000006 -> 494.00, 0.125 -> 0.13
        ("0002-ORFBO", "Q3", "None", "Cable", "One Year", "Credit Card", False,
         Decimal("65.60"), Decimal("494.00"), Decimal("0.13"), Decimal("0.00"), a, 2),
        # other spellings -> canonical; its canonical twin in services_b line 2 is a duplicate
        ("0003-MKNFE", "Q3", "None", "Fiber Optic", "Month-to-Month", "Credit Card", True,
         Decimal("59.90"), Decimal("542.40"), Decimal("38.33"), Decimal("10.00"), a, 3),
        # Total Charges is a single space in a first month: kept, NULL
        ("0004-TLHLJ", "Q3", "Offer E", "DSL", "Two Year", "Bank Withdrawal", False,
         Decimal("73.90"), None, Decimal("0.00"), Decimal("0.00"), a, 4),
        ("0011-HJKLM", "Q3", "Offer C", "Cable", "Two Year", "Mailed Check", False,
         Decimal("45.25"), Decimal("1086.00"), Decimal("0.00"), Decimal("0.00"), b, 3),
    ]  # fmt: skip
    assert rows(
        lake,
        "standardized",
        "status",
        DIRTY_DATE,
        "customer_id, customer_status, churn_label, churn_category, churn_reason",
    ) == [
        ("0002-ORFBO", "Stayed", False, None, None),  # optional category/reason empty -> NULL
        ("0003-MKNFE", "Churned", True, "Competitor", "Competitor made better offer"),
        ("0005-ABCDE", "Churned", True, "Dissatisfaction", "Product dissatisfaction, again"),
    ]
    assert rows(lake, "standardized", "population", DIRTY_DATE, "id, zip_code, population") == [
        (1, "90022", 68701),
        (5, "90303", 12345),  # "12,345": comma thousands groups
        (6, "90401", 92000),
    ]
    assert rows(lake, "standardized", "usage", DIRTY_DATE, "* exclude (source_file)") == [
        ("0002-ORFBO", date(2026, 11, 1), 1.25, 30, 4, 0,
         date(2026, 11, 2), 2),
    ]  # fmt: skip


def test_standardized_parquet_has_contract_names_types_and_lineage(dirty):
    lake, _ = dirty
    folder = f"{lake}/standardized/services/ingest_date={DIRTY_DATE}/*.parquet"
    schema = duckdb.sql(f"describe select * from read_parquet('{folder}')").fetchall()
    types = {name: kind for name, kind, *_ in schema}
    names = [name for name, *_ in schema]
    feed = job.FEEDS["services"]
    assert names == [*feed.column_names, "ingest_date", "source_file", "source_line"]
    assert types["monthly_charge"] == "DECIMAL(12,2)"
    assert types["total_charges"] == "DECIMAL(12,2)"
    assert types["phone_service"] == "BOOLEAN"
    assert types["tenure_in_months"] == "INTEGER"
    assert types["ingest_date"] == "DATE"
    assert types["source_line"] == "INTEGER"
    q = f"{lake}/quarantine/services/ingest_date={DIRTY_DATE}/*.parquet"
    qschema = duckdb.sql(f"describe select * from read_parquet('{q}')").fetchall()
    assert [(n, t) for n, t, *_ in qschema] == [
        ("ingest_date", "DATE"),
        ("source_file", "VARCHAR"),
        ("source_line", "INTEGER"),
        ("raw_line", "VARCHAR"),
        ("reason_codes", "VARCHAR[]"),
        ("reason_detail", "VARCHAR"),
    ]


# --------------------------------------------------------------------------------------------
# A real export of this kind: clean, CRLF, no final newline, IBM's ID columns, float noise
# --------------------------------------------------------------------------------------------


def test_ibm_like_export_is_fully_standardized_with_exact_money(ibm):
    lake, metrics = ibm
    assert sorted(metrics["feeds"]) == [
        "demographics",
        "location",
        "population",
        "services",
        "status",
    ]
    for name, m in metrics["feeds"].items():
        assert (m["rows_read"], m["rows_standardized"], m["rows_quarantined"]) == (3, 3, 0), name
        assert m["duplicates_dropped"] == 0 and m["quarantined_by_reason"] == {}, name
        assert rows(lake, "quarantine", name, IBM_DATE) == [], name
    drift = {name: m["schema_drift"] for name, m in metrics["feeds"].items()}
    assert drift == {
        "demographics": [],
        "location": ["Location ID"],
        "population": [],
        "services": ["Service ID"],
        "status": ["Status ID"],
    }
    money = "customer_id, monthly_charge, total_charges, total_revenue, source_line"
    assert rows(lake, "standardized", "services", IBM_DATE, money) == [
        ("8779-QRDMV", Decimal("39.65"), Decimal("39.65"), Decimal("59.65"), 2),
        ("7495-OOKFY", Decimal("80.65"), Decimal("633.30"), Decimal("1024.10"), 3),
        ("1658-BYGOY", Decimal("95.45"), Decimal("1752.55"), Decimal("1910.88"), 4),
    ]
    # The last line has no newline and CRLF endings leave no stray \r in the last column.
    assert rows(lake, "standardized", "population", IBM_DATE, "zip_code, population") == [
        ("90022", 68701),
        ("90063", 55668),
        ("90065", 47534),
    ]
    assert rows(lake, "standardized", "status", IBM_DATE, "churn_reason")[-1] == (
        "Competitor made better offer",
    )


def test_rerun_replaces_the_batch_and_gives_the_same_output(spark, ibm):
    lake, first = ibm
    before = {f: rows(lake, "standardized", f, IBM_DATE) for f in first["feeds"]}
    stray = lake / f"standardized/demographics/ingest_date={IBM_DATE}/part-stale.parquet"
    shutil.copy(next(stray.parent.glob("*.parquet")), stray)  # would double rows if appended
    again = job.run(spark, str(lake), IBM_DATE)
    assert again == first
    assert {f: rows(lake, "standardized", f, IBM_DATE) for f in first["feeds"]} == before
    assert not stray.exists()


def _plan(frame) -> str:
    return frame._jdf.queryExecution().executedPlan().toString()


def test_a_small_feed_is_numbered_and_deduplicated_without_a_join_or_a_shuffle(spark, tmp_path):
    """Each line's number comes from its file block's first line, which the inspection counts
    on the driver. The blocks used to be a table joined to every line: a broadcast, one more
    Spark job per feed; they are now constants in the query. Up to SINGLE_TASK_MAX_ROWS a
    feed's records are grouped in one partition, which satisfies the grouping's required
    distribution (Spark's EnsureRequirements plans no shuffle), as job B does. The dirty
    batch's services feed (two files, re-sent rows) gives the same rows both ways."""
    lake = copy_lake("dirty", tmp_path)
    found = job.batch_files(str(lake), DIRTY_DATE)
    lines = job.read_batch_lines(spark, str(lake), DIRTY_DATE, found)
    sources = {s.feed.name: s for s in job.inspect_batch(lines, str(lake), DIRTY_DATE, found)}
    services = sources["services"]
    files = [f.source_file for f in services.files]
    assert len(files) == 2
    checked = job.check_feed(spark, services, DIRTY_DATE).persist()  # as process_feed does
    try:
        assert "Join" not in _plan(checked)
        accepted = job.accepted_rows(checked)
        one_task = job.deduplicate(accepted, services.feed, files, services.rows_read)
        shuffled = job.deduplicate(accepted, services.feed, files, job.SINGLE_TASK_MAX_ROWS + 1)
        assert services.rows_read <= job.SINGLE_TASK_MAX_ROWS
        assert "Exchange" not in _plan(one_task)
        assert _plan(shuffled).count("Exchange hashpartitioning") == 1
        order = ["source_file", "source_line"]
        expected = shuffled.orderBy(*order).collect()
        assert one_task.orderBy(*order).collect() == expected
        assert 0 < len(expected) < accepted.count()  # re-sent rows were dropped
    finally:
        checked.unpersist()


# --------------------------------------------------------------------------------------------
# Inputs the job refuses: nothing is written
# --------------------------------------------------------------------------------------------


def test_schema_break_names_feed_file_and_column_and_writes_nothing(spark, tmp_path):
    lake = copy_lake("schema_break", tmp_path)
    with pytest.raises(job.SchemaMismatch) as caught:
        job.run(spark, str(lake), "2026-11-03")
    message = str(caught.value)
    assert "feed 'services'" in message
    assert "raw/services/ingest_date=2026-11-03/services.csv" in message
    assert "'Total Revenue'" in message
    assert sorted(p.name for p in lake.iterdir()) == ["raw"]  # demographics was fine: not written


def test_cli_reports_a_schema_break_with_exit_code_2(tmp_path, capsys):
    lake = copy_lake("schema_break", tmp_path)
    code = run_job.clean_standardize(["--lake_root", str(lake), "--batch_date", "2026-11-03"])
    assert code == 2
    assert "missing contract column(s) 'Total Revenue'" in capsys.readouterr().err


def test_batch_without_raw_folder_raises_no_input_files(spark, tmp_path):
    with pytest.raises(job.NoInputFiles, match="2026-12-24"):
        job.run(spark, str(tmp_path), "2026-12-24")


def test_header_matching_is_by_trimmed_case_insensitive_name():
    feed = job.FEEDS["population"]
    layout = job.parse_header(feed, "raw/population/x.csv", "\ufeff zip code ,Extra, POPULATION,id")
    assert layout.positions == {"zip_code": 0, "population": 2, "id": 3}
    assert layout.drift == ("Extra",)
    assert layout.field_count == 4
    with pytest.raises(job.SchemaMismatch, match="file is empty"):
        job.parse_header(feed, "raw/population/x.csv", None)
    with pytest.raises(job.SchemaMismatch, match="appears twice"):
        job.parse_header(feed, "raw/population/x.csv", "ID,Zip Code,Population,id")


def test_plain_lines_split_on_commas_give_what_the_csv_parser_gives(spark):
    """A plain line is split on commas, any other line goes through the CSV parser: the same
    content must come out the same either way (values, blanks, field-count errors)."""
    feed = job.FEEDS["demographics"]
    pairs = [  # (plain line, the same values with quotes, so that the CSV parser reads them)
        (
            "7590-VHVEG, 1 ,Female,  37, Yes ,No,Yes,No,0",
            '"7590-VHVEG"," 1 ",Female,"  37"," Yes ",No,Yes,No,0',
        ),
        ("7590-VHVEG,1,,,No,No,Yes,No,", '"7590-VHVEG",1,,,No,No,Yes,No,'),
        ("7590-VHVEG,1,Female,37,No,No,Yes,No", '"7590-VHVEG",1,Female,37,No,No,Yes,No'),
    ]
    pos = [job.position_column(c.name) for c in feed.columns]
    schema = (
        "_file int, source_line int, raw_line string, field_count int, "
        "bare_field_count int, header_line string, " + ", ".join(f"{p} int" for p in pos)
    )
    lines = [line for pair in pairs for line in pair]
    header = ",".join(feed.headers)
    rows = [(1, n, line, 9, 9, header, *range(9)) for n, line in enumerate(lines, start=2)]
    checked = job.apply_contract(
        job.split_fields(spark.createDataFrame(rows, schema), feed, 9), feed, "2026-11-01"
    )
    out = [r.asDict() for r in checked.orderBy("source_line").collect()]
    for row in out:
        del row["raw_line"], row["source_line"]
    plain, quoted = out[0::2], out[1::2]
    assert plain == quoted
    first, blanks, short = plain
    assert (first["customer_id"], first["count"], first["gender"], first["age"]) == (
        "7590-VHVEG",
        1,
        "Female",
        37,
    )
    assert (first["under_30"], first["number_of_dependents"], first["reason_codes"]) == (
        True,
        0,
        [],
    )
    assert blanks["gender"] is None and blanks["age"] is None
    assert blanks["reason_codes"] == ["missing_required"]
    assert blanks["reason_detail"] == "Gender: missing; Age: missing; Number of Dependents: missing"
    assert short["reason_codes"] == ["wrong_field_count"]
    assert short["reason_detail"] == "expected 9 fields (as in the header), found 8"


def test_simply_quoted_lines_give_what_the_csv_parser_gives(spark):
    """A line whose quotes only wrap whole fields (the real location export quotes every
    `Lat Long`) is split by a regular expression, not by Spark's CSV parser: each field must
    come out as the parser reads it with the job's options (RFC 4180 quoting; whitespace
    around a field ignored: https://spark.apache.org/docs/latest/sql-data-sources-csv.html),
    then trimmed as every value is. Lines the expression must not take (a doubled quote, a
    quote inside a field, a space before a quote, a tab, non-ASCII text) still go to the
    parser. Blank (NULL or empty) counts as one value: the checks treat both as missing."""
    feed = job.FEEDS["location"]
    tail = ',United States,California,Los Angeles,90003,"33.964131, -118.272783",33.96,-118.27'
    simple = [
        "3668-QPYBK,1" + tail,
        '"3668-QPYBK",1' + tail,  # the first field quoted
        ',1,United States,California,"Los Angeles",90003,"33.9, -118.2",33.9,-118.2',
        '3668-QPYBK,1,United States,,,90003,"",33.9,"-118.2"',  # empty fields
        '3668-QPYBK, 1 ,United States,California, LA ,90003," 33.9 , -118.2 ",33.9 ,-118.2',
        '3668-QPYBK,1,United States,"California, CA",LA,90003,"33.9, -118.2",33.9,-118.2',
        "3668-QPYBK,1" + tail + ",",  # one field too many
        '3668-QPYBK,1,United States,California,"Los Angeles",90003,"33.9, -118.2",33.9',
    ]
    parser_only = [
        '3668-QPYBK,1,United States,California,"Los ""Angeles""",90003,"33.9, -118.2",33.9,1',
        '3668-QPYBK,1,United States,Califor"ni"a,LA,90003,"33.9, -118.2",33.9,-118.2',
        '3668-QPYBK,1,United States,California, "LA",90003,"33.9, -118.2",33.9,-118.2',
        '3668-QPYBK,1,United States,California,\tLA,90003,"33.9, -118.2",33.9,-118.2',
        '3668-QPYBK,1,United States,California,"Málaga",90003,"33.9, -118.2",33.9,-118.2',
    ]
    lines = simple + parser_only
    frame = spark.createDataFrame(
        [(1, n, line) for n, line in enumerate(lines, start=2)],
        "_file int, source_line int, raw_line string",
    )
    taken = [
        r[0]
        for r in frame.selectExpr(f"raw_line RLIKE {job.sql_string(job.QUOTED_LINE)}").collect()
    ]
    assert taken == [True] * len(simple) + [False] * len(parser_only)

    layout = job.parse_header(feed, "raw/location/x.csv", ",".join(feed.headers))
    split = job.split_fields(frame, feed, 10, layout)
    got = {r["source_line"]: r for r in split.collect()}
    schema = ", ".join(f"_c{i} string" for i in range(9))
    options = (
        "map('mode', 'PERMISSIVE', 'quote', '\"', 'escape', '\"', "
        "'ignoreLeadingWhiteSpace', 'true', 'ignoreTrailingWhiteSpace', 'true')"
    )
    trim = job.sql_string(job.TRIM_CHARS)
    parsed = frame.selectExpr(
        "source_line",
        *[
            f"btrim(from_csv(raw_line, {job.sql_string(schema)}, {options})._c{i}, {trim}) AS c{i}"
            for i in range(9)
        ],
    ).collect()

    def blank_as_none(value):
        return None if value == "" else value

    for row in parsed:
        line = got[row["source_line"]]
        fields = len(next(csv.reader([lines[row["source_line"] - 2]])))
        if fields != 9:  # the same verdict as any other line with the wrong field count
            assert line["_field_error"] == f"expected 9 fields (as in the header), found {fields}"
            continue
        assert line["_field_error"] is None
        values = [blank_as_none(line[c.name]) for c in feed.columns]
        assert values == [blank_as_none(row[f"c{i}"]) for i in range(9)], lines[row[0] - 2]
    assert got[2]["lat_long"] == "33.964131, -118.272783"
    assert got[4]["customer_id"] in (None, "") and got[4]["count"] == "1"
    assert got[6]["state"] == "California" and got[6]["lat_long"] == "33.9 , -118.2"
    assert got[7]["state"] == "California, CA"


def test_sql_text_literals_are_read_back_exactly_with_their_types(spark):
    """The checks are built as Spark SQL text, so every literal in them must read back as
    exactly the Python value. Spark SQL string literals take backslash escapes (`\\t`, `\\'`,
    `\\\\`; https://spark.apache.org/docs/latest/sql-ref-literals.html#string-literal), and a
    plain `1.5` is a DECIMAL there, not a DOUBLE (same page, "Fractional Literals"): a bound
    must keep the type `F.lit` gives it, or comparisons change."""
    texts = [
        "it's",
        'say "hi", twice',
        "C:\\exports\\a.csv",
        "back\\'slash quote",
        job.TRIM_CHARS,
        "\ufeffCustomer ID",
        "line\nbreak",
        "50%_off",
        job.THOUSANDS_PATTERN,
        job.DATE_PATTERN,
        "",
    ]
    row = spark.range(1).selectExpr(*[f"{job.sql_string(t)} AS t{i}" for i, t in enumerate(texts)])
    assert list(row.first()) == texts
    numbers = spark.range(1).selectExpr(
        *[f"{job.sql_number(n)} AS n{i}" for i, n in enumerate([-90, 2**40, 0.5, 1e-9])]
    )
    assert [f.dataType.simpleString() for f in numbers.schema.fields] == [
        "int",
        "bigint",
        "double",
        "double",
    ]
    assert list(numbers.first()) == [-90, 2**40, 0.5, 1e-9]
    with pytest.raises(TypeError):
        job.sql_number(True)


def test_ascii_text_is_lower_cased_without_icu_and_every_text_as_spark_lower_does(spark):
    """`sql_lower` keeps Spark's `lower` for category and Yes/No spellings, but skips ICU (the
    default case mapping of Spark 4, `spark.sql.icu.caseMappings.enabled`, whose first use in a
    JVM loads its break rules for seconds) for ASCII text. Spark's own `lower` is the reference:
    the same text for ASCII spellings and for the ones only ICU maps (dotted capital I, Kelvin
    sign, German sharp s, final sigma, fullwidth letters), NULL for NULL."""
    texts = [
        "Fiber Optic",
        "FIBER-OPTIC",
        "fiber_optic ",
        "YES",
        "No",
        "Month-to-month",
        "\u0130nternet",  # İ: lower-cases to i + combining dot above
        "\u212a",  # Kelvin sign: lower-cases to ASCII k
        "STRASSE Stra\u00dfe",
        "\u03a3\u0391\u03a3",  # final sigma: σας
        "\uff39\uff25\uff33",  # fullwidth YES
        "caf\u00e9 AU LAIT",
        "",
        None,
    ]
    values = ", ".join(job.sql_value(t) for t in texts)
    frame = spark.range(1).selectExpr(f"explode(array({values})) AS v")
    frame = frame.selectExpr("v", f"{job.sql_lower('v')} AS ours", "lower(v) AS spark")
    rows = frame.collect()
    assert [r["v"] for r in rows] == texts
    assert [r["ours"] for r in rows] == [r["spark"] for r in rows]
    assert rows[0]["ours"] == "fiber optic" and rows[7]["ours"] == "k"
    assert job.sql_lower("v").count("lower(v)") == 1  # only the non-ASCII branch calls it


def test_money_too_large_for_a_long_is_still_out_of_range(spark):
    """Money is parsed into DECIMAL(18, 2), which Spark holds in a long, before its checks.
    A value that is a number but too large for that type must still be refused as out of range
    (as when it was parsed into DECIMAL(38, 2)), not as unparseable; `try_cast` gives NULL on
    overflow (https://spark.apache.org/docs/latest/sql-ref-ansi-compliance.html#cast), so the
    parse must not lean on it alone. More than 20 digits before the point is not a number to
    DECIMAL(38, 18) and stays unparseable."""
    from telco360.shipped.contract import FEEDS

    column = FEEDS["services"].column("monthly_charge")
    verdict = job.sql_case(
        [(cond, job.sql_string(code)) for code, cond, _text in job._rules(column, False)]
    )
    cases = {
        "999999.99": None,
        "1000000.01": "out_of_range",
        "99999999999": "out_of_range",
        "12345678901234567.5": "out_of_range",  # 17 digits: beyond DECIMAL(18, 2)
        "1,234,567,890,123,456,789.00": "out_of_range",
        "-98765432109876543210": "out_of_range",  # 20 digits
        "1e19": "out_of_range",
        "123456789012345678901": "unparseable_number",  # 21 digits
    }
    values = ", ".join(job.sql_string(v) for v in cases)
    frame = (
        spark.range(1)
        .selectExpr(f"explode(array({values})) AS monthly_charge")
        .selectExpr("monthly_charge", f"{job._parsed(column)} AS _parsed_monthly_charge")
        .selectExpr("monthly_charge", f"{verdict} AS verdict", "_parsed_monthly_charge")
    )
    got = {r["monthly_charge"]: r["verdict"] for r in frame.collect()}
    assert got == cases
    assert frame.schema["_parsed_monthly_charge"].dataType.simpleString() == "decimal(18,2)"
