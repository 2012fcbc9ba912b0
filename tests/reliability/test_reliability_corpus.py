"""The row-level bad-input corpus through the real steps: pre-flight, job A once, job B once.

Every case's outcome is asserted exactly (standardized with given typed values, quarantined
with given reason codes, dropped as a counted duplicate, or skipped as a blank line), and the
accounting is checked against line counts taken from the input files independently.
"""

from __future__ import annotations

from collections import Counter

import pytest
import reliability_corpus as corpus
from reliability_corpus import BATCH, Duplicate, Quarantined, Skipped, Std

from telco360.local.runner import preflight_module
from telco360.shipped.jobs import build_staging as job_b
from telco360.shipped.jobs import clean_standardize as job_a


@pytest.fixture(scope="module")
def corpus_run(spark, tmp_path_factory):
    lake = tmp_path_factory.mktemp("corpus_lake")
    files = corpus.row_files()
    corpus.write_batch(lake, files)
    preflight = preflight_module().check_batch(str(lake), BATCH, allow_rerun=False)
    # The corpus is mostly bad rows on purpose: the quarantine gate is off here (its own
    # tests are in test_reliability_faults.py).
    metrics = job_a.run(spark, str(lake), BATCH, quarantine_threshold=1.0)
    standardized, quarantined = {}, {}
    for feed in metrics["feeds"]:
        for row in spark.read.parquet(
            str(lake / f"standardized/{feed}/ingest_date={BATCH}")
        ).collect():
            key = (row["source_file"], row["source_line"])
            assert key not in standardized, f"{key} standardized twice"
            standardized[key] = row.asDict()
        folder = lake / f"quarantine/{feed}/ingest_date={BATCH}"
        for row in spark.read.parquet(str(folder)).collect():
            key = (row["source_file"], row["source_line"])
            assert key not in quarantined, f"{key} quarantined twice"
            quarantined[key] = row.asDict()
    manifest = job_b.run(spark, str(lake), BATCH, run_id="corpus")
    state = {
        r["customer_id"]: r.asDict()
        for path in manifest["files"]["customers/state"]
        for r in spark.read.parquet(str(lake / path)).collect()
    }
    return {
        "lake": lake,
        "files": files,
        "preflight": preflight,
        "metrics": metrics,
        "standardized": standardized,
        "quarantined": quarantined,
        "manifest": manifest,
        "state": state,
    }


def _result(e: corpus.Expectation, standardized: dict, quarantined: dict) -> tuple[str, bool]:
    """What actually happened to a case, and whether it is exactly what was expected."""
    keys = [(e.source_file, n) for n in e.lines]
    in_std = [standardized[k] for k in keys if k in standardized]
    in_q = [quarantined[k] for k in keys if k in quarantined]
    expect = e.expect
    if isinstance(expect, Std):
        if len(in_std) != 1 or in_q:
            return f"standardized {len(in_std)}x, quarantined {len(in_q)}x", False
        row = in_std[0]
        wrong = {k: row.get(k) for k, v in expect.values.items() if row.get(k) != v}
        return ("standardized as expected", True) if not wrong else (f"values {wrong}", False)
    if isinstance(expect, Quarantined):
        if in_std or len(in_q) != len(keys):
            return f"standardized {len(in_std)}x, quarantined {len(in_q)}/{len(keys)} lines", False
        codes = {tuple(q["reason_codes"]) for q in in_q}
        ok = codes == {expect.codes} and all(q["reason_detail"] for q in in_q)
        return f"quarantined {sorted(codes)}", ok
    if isinstance(expect, Duplicate | Skipped):
        ok = not in_std and not in_q
        return ("dropped" if ok else f"std {len(in_std)}, quarantined {len(in_q)}"), ok
    raise AssertionError(expect)


def render_table(run) -> tuple[str, int, int]:
    """The corpus table (case, feed/file:line, input quirk, expected, result)."""
    lines = ["| # | case | file:line | expected | result |", "|---|---|---|---|---|"]
    handled = 0
    cases = corpus.expectations(run["files"])
    for i, e in enumerate(cases, 1):
        got, ok = _result(e, run["standardized"], run["quarantined"])
        handled += ok
        where = f"{e.source_file.split('/')[1]}/{e.source_file.rsplit('/', 1)[1]}:{e.line}"
        lines.append(f"| {i} | {e.case} | {where} | {e.expect} | {'OK' if ok else 'FAIL'}: {got} |")
    return "\n".join(lines), len(cases), handled


def test_the_corpus_batch_passes_preflight_with_its_drift_reported(corpus_run):
    summary = corpus_run["preflight"]
    assert sorted(summary["feeds"]) == sorted({f.feed for f in corpus_run["files"]})
    assert summary["feeds"]["location"]["extra_columns"] == ["Location ID"]
    assert summary["feeds"]["services"]["extra_columns"] == ["Service ID"]
    assert corpus_run["metrics"]["feeds"]["location"]["schema_drift"] == ["Location ID"]


def test_every_case_has_exactly_its_expected_outcome(corpus_run):
    table, tried, handled = render_table(corpus_run)
    print(f"\n{table}\n{tried} cases tried, {handled} handled as expected")
    assert tried >= 30
    assert handled == tried, table


def test_accounting_is_exact_and_nothing_is_lost_or_counted_twice(corpus_run):
    metrics, std, quar = (
        corpus_run["metrics"],
        corpus_run["standardized"],
        corpus_run["quarantined"],
    )
    cases = corpus.expectations(corpus_run["files"])
    lost = 0
    for feed, m in metrics["feeds"].items():
        files = [f for f in corpus_run["files"] if f.feed == feed]
        # Independent line count of the input files (not the job's own number).
        read = sum(corpus.count_data_lines(f.text_bytes()) for f in files)
        assert m["rows_read"] == read, feed
        assert m["rows_read"] == (
            m["rows_standardized"] + m["rows_quarantined"] + m["duplicates_dropped"]
        ), feed
        mine = [e for e in cases if e.feed == feed]
        physical = {
            (e.source_file, n) for e in mine if not isinstance(e.expect, Skipped) for n in e.lines
        }
        assert len(physical) == read, feed
        seen_std = {k for k in std if k[0].split("/")[1] == feed}
        seen_q = {k for k in quar if k[0].split("/")[1] == feed}
        dups = {(e.source_file, e.line) for e in mine if isinstance(e.expect, Duplicate)}
        assert not seen_std & seen_q, feed
        unaccounted = physical - seen_std - seen_q
        assert unaccounted == dups, feed  # the only lines in no output: counted duplicates
        lost += len(unaccounted - dups)
        assert m["rows_standardized"] == len(seen_std)
        assert m["rows_quarantined"] == len(seen_q)
        assert m["duplicates_dropped"] == len(dups)
        by_reason = Counter(
            code
            for e in mine
            if isinstance(e.expect, Quarantined)
            for code in e.expect.codes
            for _line in e.lines
        )
        assert m["quarantined_by_reason"] == dict(by_reason), feed
    assert lost == 0
    # The manifest carries job A's accounting unchanged.
    assert corpus_run["manifest"]["feeds"] == metrics["feeds"]


def test_job_b_resolves_a_customer_sent_twice_to_the_later_row(corpus_run):
    entities = corpus_run["manifest"]["entities"]
    assert (
        entities["customers"]["duplicates_resolved"] == corpus.EXPECTED_CUSTOMER_DUPLICATES_RESOLVED
    )
    assert entities["usage"]["duplicates_resolved"] == corpus.EXPECTED_USAGE_DUPLICATES_RESOLVED
    for customer, values in corpus.EXPECTED_LATEST.items():
        row = corpus_run["state"][customer]
        assert {k: row[k] for k in values} == values, customer
    # One state row per distinct customer standardized in the four customer feeds.
    ids = {
        row["customer_id"]
        for key, row in corpus_run["standardized"].items()
        if key[0].split("/")[1] in ("demographics", "location", "services", "status")
    }
    assert set(corpus_run["state"]) == ids
    assert entities["customers"]["total"] == len(ids)
