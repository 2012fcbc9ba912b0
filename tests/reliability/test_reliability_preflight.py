"""Batch-level bad inputs: the pre-flight check refuses them with a named error (no Spark).

Each case starts from a small valid batch (one good row per feed) and applies one mutation.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import reliability_corpus as corpus
from reliability_corpus import BATCH

from telco360.contract import FEEDS
from telco360.runner import preflight_module

app = preflight_module()


def _valid_batch(lake: Path, date: str = BATCH) -> None:
    for feed in FEEDS:
        folder = lake / f"raw/{feed}/ingest_date={date}"
        folder.mkdir(parents=True, exist_ok=True)
        header = _header(feed)
        (folder / f"{feed}.csv").write_text(header + "\n" + corpus.line(feed, corpus.cid(1)) + "\n")


def _file(lake: Path, feed: str) -> Path:
    return lake / f"raw/{feed}/ingest_date={BATCH}/{feed}.csv"


def _header(feed: str) -> str:
    return corpus._csv(list(FEEDS[feed].headers))


def _row(feed: str) -> str:
    return corpus.line(feed, corpus.cid(1))


def missing_required_feed(lake):
    _file(lake, "services").unlink()


def missing_optional_feed_is_fine(lake):
    _file(lake, "usage").unlink()


def empty_file(lake):
    _file(lake, "status").write_bytes(b"")


def header_only(lake):
    _file(lake, "demographics").write_text(_header("demographics") + "\r\n")


def header_only_no_newline(lake):
    _file(lake, "demographics").write_text(_header("demographics"))


def truncated_upload(lake):
    text = _header("services") + "\n" + _row("services")
    _file(lake, "services").write_text(text[: len(text) - 60])  # cut mid-row, no newline


def temporary_upload_name(lake):
    _file(lake, "location").rename(_file(lake, "location").with_suffix(".csv.part"))


def wrong_delimiter(lake):
    text = _header("status").replace(",", ";") + "\n" + _row("status").replace(",", ";") + "\n"
    _file(lake, "status").write_text(text)


def wrong_delimiter_no_final_newline(lake):
    text = _header("status").replace(",", ";") + "\n" + _row("status").replace(",", ";")
    _file(lake, "status").write_text(text)


def missing_column(lake):
    headers = [h for h in FEEDS["demographics"].headers if h != "Age"]
    rec = corpus.record("demographics", corpus.cid(1))
    text = corpus._csv(headers) + "\n" + corpus._csv([rec[h] for h in headers]) + "\n"
    _file(lake, "demographics").write_text(text)


def duplicated_header_column(lake):
    text = _header("demographics") + ",Age\n" + _row("demographics") + ",40\n"
    _file(lake, "demographics").write_text(text)


def non_utf8_header(lake):
    header = _header("location").replace("City", "Cit\xe9").encode("latin-1")
    _file(lake, "location").write_bytes(header + b"\n" + _row("location").encode() + b"\n")


def no_landing_folder(lake):
    pass  # the case checks another date


def landing_for_committed_date(lake):
    marker = lake / f"staging/_batches/batch_date={BATCH}/manifest.json"
    marker.parent.mkdir(parents=True)
    marker.write_text("{}")


def extra_columns_and_bom_are_fine(lake):
    data = "\ufeffLocation ID," + _header("location") + "\r\nX1," + _row("location")
    _file(lake, "location").write_bytes(data.encode())


def reordered_header_is_fine(lake):
    headers = list(reversed(FEEDS["population"].headers))
    rec = corpus.record("population")
    text = corpus._csv(headers) + "\n" + corpus._csv([rec[h] for h in headers]) + "\n"
    _file(lake, "population").write_text(text)


# (case, mutation, batch date checked, expected error class name or None = accepted, message)
PREFLIGHT_CASES = [
    ("missing required feed", missing_required_feed, BATCH, "BatchIncomplete", "feed services"),
    ("optional feed absent", missing_optional_feed_is_fine, BATCH, None, ""),
    ("empty file (0 bytes)", empty_file, BATCH, "EmptyFeedFile", "status.csv: 0 bytes"),
    ("header only", header_only, BATCH, "EmptyFeedFile", "header only"),
    ("header only, no newline", header_only_no_newline, BATCH, "EmptyFeedFile", "header only"),
    ("upload truncated mid-row", truncated_upload, BATCH, "UploadInProgress", "cut short"),
    ("temporary upload name", temporary_upload_name, BATCH, "UploadInProgress", "temporary"),
    ("wrong delimiter `;`", wrong_delimiter, BATCH, "SchemaMismatch", "'Customer ID'"),
    (
        "wrong delimiter, no final newline",
        wrong_delimiter_no_final_newline,
        BATCH,
        "SchemaMismatch",
        "feed status",
    ),
    ("header missing a column", missing_column, BATCH, "SchemaMismatch", "'Age'"),
    ("duplicated header column", duplicated_header_column, BATCH, "SchemaMismatch", "twice 'Age'"),
    ("non-UTF-8 byte in header", non_utf8_header, BATCH, "SchemaMismatch", "'City'"),
    ("batch date without landing folder", no_landing_folder, "2026-12-25", "BatchIncomplete", ""),
    ("invalid batch date", no_landing_folder, "2026-02-30", "InvalidBatchDate", "calendar"),
    (
        "landing for a committed date",
        landing_for_committed_date,
        BATCH,
        "BatchAlreadyCommitted",
        "",
    ),
    ("BOM, CRLF, extra column, no final newline", extra_columns_and_bom_are_fine, BATCH, None, ""),
    ("header in another order", reordered_header_is_fine, BATCH, None, ""),
]


@pytest.mark.parametrize(
    ("case", "mutate", "batch_date", "error", "says"),
    PREFLIGHT_CASES,
    ids=[c[0] for c in PREFLIGHT_CASES],
)
def test_preflight_case(tmp_path, case, mutate, batch_date, error, says):
    _valid_batch(tmp_path)
    mutate(tmp_path)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    if error is None:
        summary = app.check_batch(str(tmp_path), batch_date, allow_rerun=False)
        assert summary["batch_date"] == batch_date
    else:
        with pytest.raises(app.PreflightError) as raised:
            app.check_batch(str(tmp_path), batch_date, allow_rerun=False)
        assert type(raised.value).__name__ == error, str(raised.value)
        assert says in str(raised.value)
        assert batch_date in str(raised.value)  # every message names the batch
    # The check only reads: nothing in the lake changed.
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_a_committed_date_can_be_rerun_on_purpose(tmp_path):
    _valid_batch(tmp_path)
    landing_for_committed_date(tmp_path)
    assert app.check_batch(str(tmp_path), BATCH, allow_rerun=True)["rerun"] is True


def test_a_huge_last_line_without_newline_is_not_taken_for_a_truncated_upload(tmp_path):
    _valid_batch(tmp_path)
    rec = corpus.record("location", corpus.cid(1), City="x" * (2 * app.TAIL_BYTES))
    _file(tmp_path, "location").write_text(
        _header("location") + "\n" + corpus._csv(list(rec.values()))
    )
    assert app.check_batch(str(tmp_path), BATCH, allow_rerun=False)["feeds"]["location"]
