"""The sample-data generator: contract headers, determinism, realistic consistent values,
the day-to-day story, and export quirks at the asked rate (recounted from the files alone)."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from telco360.ops import cli
from telco360.ops.generate import dirty as quirks
from telco360.ops.generate import generate
from telco360.shipped.contract import (
    CATEGORY,
    CHURN_REASONS,
    CUSTOMER_FEEDS,
    CUSTOMER_ID_PATTERN,
    DECIMAL,
    FEEDS,
    FLOAT,
    ID,
    INTEGER,
)

START = date(2026, 11, 1)
DAYS = 3
CLEAN_N = 300
DIRTY_N, DIRTY_RATE = 2000, 0.05
BOM = b"\xef\xbb\xbf"


def batch(day: int) -> str:
    return (START + timedelta(days=day)).isoformat()


def feed_file(lake: Path, feed: str, day: int) -> Path:
    return lake / "raw" / feed / f"ingest_date={batch(day)}" / f"{feed}.csv"


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    text = path.read_bytes().decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text, newline="")))
    return header, rows


def records(lake: Path, feed: str, day: int) -> list[dict[str, str]]:
    header, rows = read_rows(feed_file(lake, feed, day))
    return [dict(zip(header, row, strict=True)) for row in rows]


def tree(lake: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(lake)): p.read_bytes() for p in sorted(lake.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    lake = tmp_path_factory.mktemp("clean")
    generate(str(lake), CLEAN_N, DAYS, START.isoformat(), seed=11, dirty=0)
    return lake


@pytest.fixture(scope="module")
def dirty(tmp_path_factory) -> Path:
    lake = tmp_path_factory.mktemp("dirty")
    generate(str(lake), DIRTY_N, DAYS, START.isoformat(), seed=5, dirty=DIRTY_RATE)
    return lake


# --- layout, headers, determinism ------------------------------------------------------


def test_writes_the_landing_layout_with_population_on_day_one_only(clean):
    expected = {
        f"raw/{feed}/ingest_date={batch(day)}/{feed}.csv"
        for day in range(DAYS)
        for feed in FEEDS
        if feed != "population" or day == 0
    }
    assert set(tree(clean)) == expected


@pytest.mark.parametrize("lake_name", ["clean", "dirty"])
def test_every_file_starts_with_the_contract_header_exactly(lake_name, request):
    lake = request.getfixturevalue(lake_name)
    for path in lake.rglob("*.csv"):
        first_line = path.read_bytes().removeprefix(BOM).split(b"\n")[0].rstrip(b"\r")
        feed = path.parent.parent.name
        assert first_line.decode("utf-8") == ",".join(FEEDS[feed].headers), path


def test_same_arguments_give_identical_bytes_and_another_seed_does_not(tmp_path):
    runs = {}
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        generate(str(tmp_path / name), 400, 3, "2026-11-01", seed=seed, dirty=0.05)
        runs[name] = tree(tmp_path / name)
    assert runs["a"] == runs["b"]
    assert runs["a"].keys() == runs["c"].keys()
    assert runs["a"] != runs["c"]


def test_rerun_into_the_same_lake_replaces_the_batch_files(tmp_path):
    generate(str(tmp_path), 100, 2, "2026-11-01", seed=1, dirty=0.02)
    first = tree(tmp_path)
    generate(str(tmp_path), 100, 2, "2026-11-01", seed=1, dirty=0.02)
    assert tree(tmp_path) == first


def test_population_is_resent_every_seventh_day_with_some_changes(tmp_path):
    generate(str(tmp_path), 3000, 8, "2026-11-01", seed=2, dirty=0)
    dates = sorted(p.name for p in (tmp_path / "raw" / "population").iterdir())
    assert dates == ["ingest_date=2026-11-01", "ingest_date=2026-11-08"]
    first, later = (
        {r["Zip Code"]: r["Population"] for r in records(tmp_path, "population", d)} for d in (0, 7)
    )
    assert first.keys() == later.keys()
    changed = sum(first[z] != later[z] for z in first)
    assert 0 < changed < 0.1 * len(first)


# --- clean output: consistent, realistic values -----------------------------------------


def test_day_one_is_a_full_export_of_n_customers_in_every_customer_feed(clean):
    ids = {}
    for feed in CUSTOMER_FEEDS:
        rows = records(clean, feed, 0)
        assert len(rows) == CLEAN_N
        ids[feed] = [r["Customer ID"] for r in rows]
        assert len(set(ids[feed])) == CLEAN_N
    assert len({frozenset(v) for v in ids.values()}) == 1
    zips = records(clean, "population", 0)
    assert 300 <= len(zips) <= 1600


def all_rows(lake: Path, feed: str) -> list[dict[str, str]]:
    return [
        r
        for day in range(DAYS)
        if feed_file(lake, feed, day).exists()
        for r in records(lake, feed, day)
    ]


def test_every_value_is_well_formed_and_canonical(clean):
    for feed, spec in FEEDS.items():
        rows = all_rows(clean, feed)
        assert rows, feed
        for row in rows:
            for col in spec.columns:
                value = row[col.header]
                assert value == value.strip(), (feed, col.header, value)
                if value == "":
                    assert not col.required, (feed, col.header)
                    continue
                if col.kind == ID:
                    assert re.fullmatch(CUSTOMER_ID_PATTERN, value)
                elif col.kind == CATEGORY:
                    assert value in col.categories, (feed, col.header, value)
                elif col.kind in (INTEGER, FLOAT, DECIMAL):
                    number = Decimal(value)
                    assert col.minimum is None or number >= Decimal(str(col.minimum))
                    assert col.maximum is None or number <= Decimal(str(col.maximum))
                    if col.kind == INTEGER:
                        assert re.fullmatch(r"-?\d+", value), (feed, col.header, value)
                    if col.kind == DECIMAL:
                        assert re.fullmatch(r"\d+\.\d\d", value), (feed, col.header, value)
                if col.header == "Count":
                    assert value == "1"
                if col.header == "Quarter":
                    assert value == "Q3"


def test_services_are_consistent(clean):
    no_internet_addons = (
        "Online Security",
        "Online Backup",
        "Device Protection Plan",
        "Premium Tech Support",
        "Streaming TV",
        "Streaming Movies",
        "Streaming Music",
        "Unlimited Data",
    )
    for r in all_rows(clean, "services"):
        internet = r["Internet Service"] == "Yes"
        assert internet == (r["Internet Type"] != "None")
        if not internet:
            assert all(r[h] == "No" for h in no_internet_addons)
            assert r["Avg Monthly GB Download"] == "0"
        if r["Phone Service"] == "No":
            assert r["Multiple Lines"] == "No"
            assert r["Avg Monthly Long Distance Charges"] == "0.00"
            assert r["Total Long Distance Charges"] == "0.00"
        if r["Unlimited Data"] == "Yes":
            assert r["Total Extra Data Charges"] == "0.00"
        assert (r["Referred a Friend"] == "Yes") == (int(r["Number of Referrals"]) > 0)
        charges = Decimal(r["Total Charges"] or "0")
        if r["Total Charges"] == "":
            assert int(r["Tenure in Months"]) <= 1  # not billed yet in month 1
        assert Decimal(r["Total Revenue"]) == (
            charges
            - Decimal(r["Total Refunds"])
            + Decimal(r["Total Extra Data Charges"])
            + Decimal(r["Total Long Distance Charges"])
        )
        assert Decimal(r["Total Refunds"]) <= charges


def test_status_churn_fields_agree(clean):
    rows = all_rows(clean, "status")
    assert {r["Customer Status"] for r in rows} == {"Churned", "Stayed", "Joined"}
    for r in rows:
        churned = r["Customer Status"] == "Churned"
        assert (r["Churn Label"] == "Yes") == churned
        assert r["Churn Value"] == ("1" if churned else "0")
        if churned:
            assert r["Churn Reason"] in CHURN_REASONS[r["Churn Category"]]
        else:
            assert r["Churn Category"] == r["Churn Reason"] == ""
        assert 1 <= int(r["Satisfaction Score"]) <= 5


def test_demographics_flags_agree_with_numbers(clean):
    for r in all_rows(clean, "demographics"):
        age = int(r["Age"])
        assert (r["Under 30"] == "Yes") == (age < 30)
        assert (r["Senior Citizen"] == "Yes") == (age >= 65)
        assert (r["Dependents"] == "Yes") == (int(r["Number of Dependents"]) > 0)


def test_locations_use_known_zip_codes_with_one_place_each(clean):
    population = {r["Zip Code"] for r in records(clean, "population", 0)}
    places: dict[str, tuple[str, str, str]] = {}
    for r in all_rows(clean, "location"):
        assert r["Zip Code"] in population
        assert (r["Country"], r["State"]) == ("United States", "California")
        assert r["Lat Long"] == f"{r['Latitude']}, {r['Longitude']}"
        place = (r["City"], r["Latitude"], r["Longitude"])
        assert places.setdefault(r["Zip Code"], place) == place
    raw = feed_file(clean, "location", 0).read_text().splitlines()[1]
    assert re.search(r',"\d+\.\d{6}, -\d+\.\d{6}",', raw)  # the comma-holding field is quoted


# --- clean output: the day-to-day story ---------------------------------------------------


def test_later_days_resend_changes_add_joiners_and_churns(clean):
    known = {r["Customer ID"] for r in records(clean, "demographics", 0)}
    churned = {r["Customer ID"] for r in records(clean, "status", 0) if r["Churn Value"] == "1"}
    zip_of = {r["Customer ID"]: r["Zip Code"] for r in records(clean, "location", 0)}
    for day in range(1, DAYS):
        day_rows = {feed: records(clean, feed, day) for feed in CUSTOMER_FEEDS}
        new = {r["Customer ID"] for r in day_rows["demographics"]}
        assert new and not new & known  # clean demographics re-sends only joiners
        for feed in CUSTOMER_FEEDS:
            assert new <= {r["Customer ID"] for r in day_rows[feed]}
        for r in day_rows["status"]:
            if r["Customer ID"] in new:
                assert r["Customer Status"] == "Joined"
        for r in day_rows["services"]:
            if r["Customer ID"] in new:
                assert int(r["Tenure in Months"]) <= 1
        resent = {r["Customer ID"] for r in day_rows["services"] + day_rows["status"]} - new
        assert resent and resent <= known
        newly_churned = {
            r["Customer ID"]
            for r in day_rows["status"]
            if r["Customer Status"] == "Churned" and r["Customer ID"] not in churned
        }
        assert newly_churned
        moved = [
            r
            for r in day_rows["location"]
            if r["Customer ID"] in known and r["Zip Code"] != zip_of[r["Customer ID"]]
        ]
        assert moved
        churned |= newly_churned
        # Usage: the day before, for every customer active then, nobody else.
        usage = records(clean, "usage", day)
        assert {r["Usage Date"] for r in usage} == {batch(day - 1)}
        assert [r["Customer ID"] for r in usage].count(usage[0]["Customer ID"]) == 1
        assert {r["Customer ID"] for r in usage} == known - churned
        known |= new
        zip_of |= {r["Customer ID"]: r["Zip Code"] for r in day_rows["location"]}


def test_day_one_usage_covers_exactly_the_not_churned_customers(clean):
    active = {r["Customer ID"] for r in records(clean, "status", 0) if r["Churn Value"] == "0"}
    usage = records(clean, "usage", 0)
    assert len(usage) == len(active)
    assert {r["Customer ID"] for r in usage} == active


# --- dirty output: every kind, at about the asked rate ----------------------------------


def _parses(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def classify(feed: str, fields: list[str], seen: set[tuple[str, ...]]) -> str | None:
    """The one dirt kind a data row carries, read from the row alone (None = clean)."""
    kind = _value_kind(feed, fields)
    if kind is None and tuple(fields) in seen:
        return quirks.DUPLICATE_LINE  # copies are made of clean rows only
    seen.add(tuple(fields))
    return kind


def _value_kind(feed: str, fields: list[str]) -> str | None:
    columns = FEEDS[feed].columns
    if len(fields) != len(columns):
        return quirks.WRONG_FIELD_COUNT
    for col, value in zip(columns, fields, strict=True):
        if col.kind == ID:
            if value == "":
                return quirks.EMPTY_CUSTOMER_ID
            if not re.fullmatch(CUSTOMER_ID_PATTERN, value):
                return quirks.MALFORMED_CUSTOMER_ID
    for col, value in zip(columns, fields, strict=True):
        if value == " " and col.kind == DECIMAL and not col.required:
            return quirks.BLANK_AS_SPACE
        if value != value.strip():
            return quirks.WHITESPACE
        if col.kind in (INTEGER, FLOAT, DECIMAL) and value and not _parses(value):
            return quirks.UNPARSEABLE_NUMBER
        if col.kind == CATEGORY and value:
            canonical = col.canonical(value)
            if canonical is None:
                return quirks.UNKNOWN_CATEGORY
            if canonical != value:
                return quirks.CATEGORY_SPELLING
        if col.kind == DECIMAL and re.fullmatch(r"\d+\.\d{3,}", value):
            return quirks.FLOAT_NOISE
    return None


def census(lake: Path):
    """Rows found per kind and rows expected per kind (rate x rows before the copies, per
    file, rounded half up); and how many files carry each file quirk."""
    found, expected, file_quirks = Counter(), Counter(), Counter()
    total_rows = 0
    for path in sorted(lake.rglob("*.csv")):
        feed = path.parent.parent.name
        data = path.read_bytes()
        file_quirks[quirks.BOM] += data.startswith(BOM)
        file_quirks[quirks.CRLF] += b"\r\n" in data
        file_quirks[quirks.NO_FINAL_NEWLINE] += not data.endswith(b"\n")
        if b"\r\n" in data:
            assert data.count(b"\n") == data.count(b"\r\n"), path  # whole file, not mixed
        _, rows = read_rows(path)
        seen: set[tuple[str, ...]] = set()
        kinds = Counter(classify(feed, row, seen) for row in rows)
        base = len(rows) - kinds[quirks.DUPLICATE_LINE]  # rows before the copies were added
        total_rows += base
        found.update(kinds)
        applicable = quirks.row_kinds(feed)
        for kind in applicable:
            expected[kind] += min(int(DIRTY_RATE * base + 0.5), base // len(applicable))
    return found, expected, file_quirks, total_rows


def test_dirty_output_has_every_kind_at_the_asked_rate(dirty):
    found, expected, file_quirks, total_rows = census(dirty)
    # Each kind hits exactly round(rate x rows) rows of every file it applies to, so the
    # recount is exact; a kind that silently fails to apply (or hits twice) fails here.
    assert {k: found[k] for k in quirks.ROW_KINDS} == {k: expected[k] for k in quirks.ROW_KINDS}
    assert all(expected[k] > 0 for k in quirks.ROW_KINDS)
    # Defect share: 5 defect kinds x 5% on customer feeds and usage, fewer on population.
    defects = sum(found[k] for k in quirks.DEFECTS)
    assert 0.2 < defects / total_rows < 0.26
    for quirk in quirks.FILE_QUIRKS:
        assert file_quirks[quirk] >= 1, quirk


def test_dirty_unknown_values_are_outside_the_contract():
    for header, value in quirks.UNKNOWN_VALUES.items():
        column = next(c for f in FEEDS.values() for c in f.columns if c.header == header)
        assert column.canonical(value) is None, (header, value)


def test_dirty_output_resends_unchanged_customers_across_days(dirty):
    header, day_one_rows = read_rows(feed_file(dirty, "demographics", 0))
    day_one = {row[0]: row for row in day_one_rows if row[0]}
    _, later_rows = read_rows(feed_file(dirty, "demographics", 1))
    resent = [row for row in later_rows if row[0] in day_one]
    assert resent
    assert any(row == day_one[row[0]] for row in resent)


def test_clean_output_has_no_quirk_and_no_defect(clean):
    found, _, file_quirks, total_rows = census(clean)
    assert total_rows > CLEAN_N * 4
    assert set(found) == {None}
    assert sum(file_quirks.values()) == 0


def test_dirty_rate_is_validated(tmp_path):
    with pytest.raises(ValueError, match="--dirty must be between 0 and 0.1"):
        generate(str(tmp_path), 10, 1, "2026-11-01", seed=1, dirty=0.5)
    with pytest.raises(ValueError, match="local folder"):
        generate("s3://bucket", 10, 1, "2026-11-01", seed=1, dirty=0)


# --- the command line ---------------------------------------------------------------------


def test_cli_generate_writes_the_lake(tmp_path, capsys):
    argv = ["generate", "--lake", str(tmp_path), "--customers", "50", "--days", "2"]
    argv += ["--start", "2026-11-01", "--seed", "3", "--dirty", "0"]
    assert cli.main(argv) == 0
    assert "wrote 11 files" in capsys.readouterr().out
    assert len(records(tmp_path, "services", 0)) == 50
    assert feed_file(tmp_path, "usage", 1).exists()
