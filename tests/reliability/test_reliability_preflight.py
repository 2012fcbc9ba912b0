"""Batch-level bad inputs: the pre-flight check refuses them with a named error (no Spark).

Each case starts from a small valid batch (one good row per feed) and applies one mutation.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import reliability_corpus as corpus
from reliability_corpus import BATCH

from telco360.local.runner import preflight_module
from telco360.shipped.contract import FEEDS

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


def _text(feed: str) -> str:
    return _header(feed) + "\r\n" + _row(feed) + "\r\n"


def _replace(lake, feed: str, data: bytes, name: str | None = None) -> None:
    _file(lake, feed).unlink()
    (_file(lake, feed).parent / (name or f"{feed}.csv")).write_bytes(data)


def utf16_le_with_bom(lake):
    _replace(lake, "status", _text("status").encode("utf-16"))


def utf16_be_with_bom(lake):
    _replace(lake, "status", b"\xfe\xff" + _text("status").encode("utf-16-be"))


def utf16_without_bom(lake):
    _replace(lake, "status", _text("status").encode("utf-16-le"))


def utf32_with_bom(lake):
    _replace(lake, "status", _text("status").encode("utf-32"))


def binary_with_nul_bytes(lake):
    _replace(lake, "status", b"\x00\x01\x02binary" + bytes(range(256)))


def xlsx_named_csv(lake):
    _replace(lake, "services", b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml")


def gzip_named_csv(lake):
    _replace(lake, "services", gzip.compress(_text("services").encode()))


def latin1_body_ascii_header_passes(lake):
    data = (
        _header("location").encode()
        + b"\n"
        + _row("location").encode().replace(b"Los Angeles", b"San Jos\xe9")
        + b"\n"
    )
    _replace(lake, "location", data)


def gzip_export_is_fine(lake):
    _replace(lake, "services", gzip.compress(_text("services").encode()), "services.csv.gz")


def gzip_export_header_only(lake):
    data = gzip.compress((_header("services") + "\n").encode())
    _replace(lake, "services", data, "services.csv.gz")


def gzip_export_empty(lake):
    _replace(lake, "services", gzip.compress(b""), "services.csv.gz")


def gzip_export_cut_short(lake):
    packed = gzip.compress((_text("services") * 200).encode())
    _replace(lake, "services", packed[: len(packed) - 40], "services.csv.gz")


def gzip_named_gz_but_plain(lake):
    _replace(lake, "services", _text("services").encode(), "services.csv.gz")


def bzip2_export(lake):
    _replace(lake, "services", b"BZh91AY&SY", "services.csv.bz2")


def workbook_only(lake):
    _replace(lake, "demographics", b"PK\x03\x04", "demographics.xlsx")


def hidden_and_marker_files_are_ignored(lake):
    folder = _file(lake, "services").parent
    (folder / "_SUCCESS").write_bytes(b"")
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")


def header_variants_are_fine(lake):
    headers = [f' "{h.upper()}" ' for h in FEEDS["services"].headers]
    headers[headers.index(' "MONTHLY CHARGE" ')] = "Monthly  Charge"
    headers[headers.index(' "TOTAL REVENUE" ')] = "Total\u00a0Revenue\t"
    data = "\ufeff" + ",".join(headers) + ",\n" + _row("services") + ",\n"
    _replace(lake, "services", data.encode())


def cr_line_endings_are_fine(lake):
    _replace(lake, "status", (_header("status") + "\r" + _row("status")).encode())


def cr_line_endings_header_only(lake):
    _replace(lake, "status", (_header("status") + "\r\r").encode())


def quoted_line_break_last_row_is_fine(lake):
    rec = corpus.record("status", corpus.cid(1), **{"Churn Reason": "Competitor made\nbetter"})
    _replace(lake, "status", (_header("status") + "\n" + corpus._csv(list(rec.values()))).encode())


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
    ("non-UTF-8 byte in header", non_utf8_header, BATCH, "UnsupportedEncoding", "Latin-1"),
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
    # Issue 17: encodings, compression, files, header and layout variants.
    ("UTF-16 LE with BOM", utf16_le_with_bom, BATCH, "UnsupportedEncoding", "UTF-16 (little"),
    ("UTF-16 BE with BOM", utf16_be_with_bom, BATCH, "UnsupportedEncoding", "UTF-16 (big"),
    ("UTF-16 without BOM", utf16_without_bom, BATCH, "UnsupportedEncoding", "every other byte"),
    ("UTF-32 with BOM", utf32_with_bom, BATCH, "UnsupportedEncoding", "UTF-32 text"),
    ("binary data (NUL bytes)", binary_with_nul_bytes, BATCH, "UnsupportedEncoding", "NUL"),
    ("xlsx workbook named .csv", xlsx_named_csv, BATCH, "UnsupportedEncoding", "Excel .xlsx"),
    ("gzip data named .csv", gzip_named_csv, BATCH, "UnsupportedEncoding", "name it .csv.gz"),
    ("Latin-1 row, ASCII header", latin1_body_ascii_header_passes, BATCH, None, ""),
    ("gzip export .csv.gz", gzip_export_is_fine, BATCH, None, ""),
    ("gzip export, header only", gzip_export_header_only, BATCH, "EmptyFeedFile", "header only"),
    ("gzip export of nothing", gzip_export_empty, BATCH, "EmptyFeedFile", "csv.gz: no text"),
    ("gzip export cut short", gzip_export_cut_short, BATCH, "UploadInProgress", "cut short"),
    ("plain text named .csv.gz", gzip_named_gz_but_plain, BATCH, "UnsupportedEncoding", ".gz"),
    ("bzip2 export", bzip2_export, BATCH, "UnsupportedFile", "services.csv.bz2"),
    ("workbook instead of CSV", workbook_only, BATCH, "UnsupportedFile", "demographics.xlsx"),
    ("_SUCCESS and .DS_Store ignored", hidden_and_marker_files_are_ignored, BATCH, None, ""),
    ("quoted, upper-case, spaced header", header_variants_are_fine, BATCH, None, ""),
    ("CR line endings", cr_line_endings_are_fine, BATCH, None, ""),
    ("CR line endings, header only", cr_line_endings_header_only, BATCH, "EmptyFeedFile", ""),
    ("quoted line break in the last row", quoted_line_break_last_row_is_fine, BATCH, None, ""),
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
