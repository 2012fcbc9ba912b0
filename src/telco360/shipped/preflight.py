"""Pre-flight check of one batch, before any Glue job starts.

For the batch date: every required feed is present, every file is non-empty and complete (no
upload in flight), every header satisfies the feed contract, and the batch is not committed
yet unless a re-run is asked for. A failure raises a specific error whose message names the
feed, file and column and says what to do; the state machine's Catch turns it into one page.

The lake root is `s3://bucket` on AWS or a local folder when the local runner calls the
handler in-process. On AWS this module comes from the contract layer and the function's own
code is only its entry, functions/preflight/app.py.

Cold start matters: the X-Ray SDK, boto3 and pydantic are slow to import, so none of them
is imported at module level. The Tracer comes from telco360.shipped.lambda_tracing (built on
the first invocation), the S3 client is created on first use and patches boto3 for X-Ray, and
the request model is built on the first parse; each is then cached for warm invocations.
"""

from __future__ import annotations

import csv
import functools
import os
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from telco360.shipped import batch_lock, lake_io, lake_layout
from telco360.shipped.batch_lock import BatchInProgress
from telco360.shipped.contract import (
    BOM,
    FEEDS,
    REQUIRED_FEEDS,
    header_fields,
    header_key,
    without_bom,
)
from telco360.shipped.lambda_tracing import capture_lambda_handler, tracer

logger = Logger()
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Telco360"))


HEAD_BYTES = 64 * 1024  # enough for any header row of the contract
TAIL_BYTES = 64 * 1024  # enough for the last line of any row of the contract
# Names that copy tools give a file while it is being written (hadoop fs, rsync, browsers...).
IN_FLIGHT_SUFFIXES = (".tmp", ".part", ".partial", "._copying_", ".filepart", ".crdownload")
# What a feed file may be: CSV text, or CSV text compressed with gzip (Spark and Glue read
# both natively; gzip is not splittable, so one such file is read by one task).
ACCEPTED_SUFFIXES = (".csv", ".csv.gz")
STREAM_CHUNK = 1024 * 1024  # a gzip file is read whole, in chunks of this size (see _gzip_tail)


class PreflightError(Exception):
    """Base of every pre-flight failure; the class name is the Step Functions error name."""


class InvalidBatchDate(PreflightError):
    pass


class BatchAlreadyCommitted(PreflightError):
    pass


class UploadInProgress(PreflightError):
    pass


class BatchIncomplete(PreflightError):
    pass


class EmptyFeedFile(PreflightError):
    pass


class SchemaMismatch(PreflightError):
    pass


class UnsupportedFile(PreflightError):
    """A file in a feed folder is neither CSV nor gzip-compressed CSV."""


class UnsupportedEncoding(PreflightError):
    """A feed file is not UTF-8 text (UTF-16/32, binary, or Latin-1/Windows-1252)."""


# ---------------------------------------------------------------------------- lake access


@dataclass(frozen=True)
class LakeFile:
    path: str  # relative to the lake root: raw/<feed>/ingest_date=D/<name>
    size: int

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


def _files(lake_root: str, folder: str) -> list[LakeFile]:
    return [
        LakeFile(f"{folder}/{name}", size)
        for name, size in lake_io.list_files(lake_io.join(lake_root, folder))
    ]


@functools.cache
def _trace_s3() -> None:
    tracer().patch(["boto3"])  # X-Ray subsegments for the S3 calls


# ---------------------------------------------------------------------------- the checks


def _is_gzip(f: LakeFile) -> bool:
    return f.name.lower().endswith(".gz")


def _head_bytes(lake_root: str, path: str, gzip: bool) -> bytes | None:
    """The first HEAD_BYTES of the file's text: decompressed from the start of a gzip file
    (a ranged read of the compressed bytes, however large the file is); None when those bytes
    are not gzip data."""
    raw = lake_io.read_range(lake_io.join(lake_root, path), HEAD_BYTES)
    if not gzip:
        return raw
    try:
        return zlib.decompressobj(wbits=31).decompress(raw, HEAD_BYTES)
    except zlib.error:
        return None


def _head(lake_root: str, f: LakeFile) -> str:
    return (_head_bytes(lake_root, f.path, _is_gzip(f)) or b"").decode("utf-8", errors="replace")


def _first_line(text: str) -> str:
    """The first line, ended as Spark's line reader ends one: LF, CRLF or a lone CR."""
    return re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]


def _header(lake_root: str, f: LakeFile) -> list[str]:
    return header_fields(_first_line(_head(lake_root, f)))


def _has_data_row(lake_root: str, f: LakeFile) -> bool:
    parts = re.split(r"\r\n|\r|\n", _head(lake_root, f), maxsplit=1)
    return len(parts) == 2 and parts[1].strip() != ""


def _describe_non_utf8(head: bytes) -> str | None:
    """What the start of a file is when it is not UTF-8 CSV text, or None when it is."""
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32 text (it starts with a UTF-32 byte-order mark)"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        order = "little" if head.startswith(b"\xff\xfe") else "big"
        return (
            f"UTF-16 ({order}-endian) text, as spreadsheet tools write for 'Unicode text' "
            "(it starts with a UTF-16 byte-order mark)"
        )
    if head.startswith(b"\x1f\x8b"):
        return "gzip-compressed data under a plain .csv name (name it .csv.gz)"
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP archive (an Excel .xlsx workbook is one), not CSV text"
    if b"\x00" in head:
        sample = head[:512]
        if sample[1::2].count(0) > len(sample) // 4 or sample[0::2].count(0) > len(sample) // 4:
            return "UTF-16 text without a byte-order mark (every other byte is NUL)"
        return "binary data (it contains NUL bytes), not CSV text"
    header = re.split(rb"\r\n|\r|\n", head.removeprefix(BOM.encode("utf-8")), maxsplit=1)[0]
    try:
        header.decode("utf-8")
    except UnicodeDecodeError as bad:
        if len(header) >= HEAD_BYTES - 4 and bad.start >= len(header) - 4:
            return None  # a character cut by the end of the read, not a bad byte
        shown = header[max(0, bad.start - 20) : bad.start + 20].decode("cp1252", errors="replace")
        return (
            f"not UTF-8: its header has byte 0x{header[bad.start]:02X} at position {bad.start} "
            f"(around {shown!r}), which is how Latin-1/Windows-1252 text looks"
        )
    return None


def _encoding_problem(lake_root: str, f: LakeFile) -> str | None:
    raw = lake_io.read_range(lake_io.join(lake_root, f.path), HEAD_BYTES)
    if _is_gzip(f):
        if not raw.startswith(b"\x1f\x8b"):
            return "named .gz but not gzip-compressed data"
        raw = _head_bytes(lake_root, f.path, True)
        if raw is None:
            return "named .gz but its compressed data cannot be read"
    return _describe_non_utf8(raw)


def _gzip_tail(lake_root: str, f: LakeFile) -> tuple[bytes, bool]:
    """(the last TAIL_BYTES of the decompressed text, whether the gzip stream is complete).

    A gzip file's end says nothing about its text's last line, so it is read whole: the
    Lambda streams it through zlib in constant memory (each step inflates at most STREAM_CHUNK
    bytes, however well the data compresses)."""
    inflate = zlib.decompressobj(wbits=31)
    tail = b""
    try:
        for data in lake_io.stream(lake_io.join(lake_root, f.path), STREAM_CHUNK):
            while not inflate.eof:  # until this input is used up and nothing more comes out
                out = inflate.decompress(data, STREAM_CHUNK)
                tail = (tail + out)[-TAIL_BYTES:]
                data = inflate.unconsumed_tail
                if not data and not out:
                    break
            if inflate.eof:
                break
    except zlib.error:
        return tail, False
    return tail, inflate.eof


def _truncated_last_line(lake_root: str, f: LakeFile, header_width: int) -> bool:
    """True when the file ends mid-row: no final newline AND the last line is short of fields.
    Real exports often omit the final newline, so a missing newline alone is not enough.
    A gzip file is also cut short when its compressed stream ends early."""
    size = f.size
    if _is_gzip(f):
        raw, complete = _gzip_tail(lake_root, f)
        if not complete:
            return True
        if not raw:
            return False  # no text at all: reported as an empty file
        size = len(raw) + 1 if len(raw) == TAIL_BYTES else len(raw)
    else:
        raw = lake_io.read_range(lake_io.join(lake_root, f.path), TAIL_BYTES, tail=True)
    tail = raw.decode("utf-8", errors="replace")
    if tail.endswith(("\n", "\r")):
        return False
    lines = re.split(r"\r\n|\r|\n", tail)
    if len(lines) == 1 and size > TAIL_BYTES:
        return False  # a last line longer than the tail read (a huge field): cannot tell
    # The last record: its last line, and, when that line closes a quoted field (an odd
    # number of quotes), the lines back to the one that opened it (job A's rule).
    record = [lines.pop()]
    if record[0].count('"') % 2 == 1:
        while lines:
            record.insert(0, lines.pop())
            if record[0].count('"') % 2 == 1:
                break
        else:
            return False  # the record starts before the tail read: cannot tell
    return len(next(csv.reader(["\n".join(record)]), [])) < header_width


def _missing_columns(feed_name: str, header: list[str]) -> tuple[list[str], list[str]]:
    """(contract headers absent from the file, file headers not in the contract)."""
    present = {header_key(h) for h in header}
    expected = FEEDS[feed_name].headers
    missing = [h for h in expected if header_key(h) not in present]
    known = {header_key(h) for h in expected}
    extra = [h.strip() for h in header if header_key(h) not in known and header_key(h)]
    return missing, extra


def _duplicated_columns(feed_name: str, header: list[str]) -> list[str]:
    """Contract headers that appear more than once (job A could not tell which to read)."""
    names = [header_key(h) for h in header]
    return [h for h in FEEDS[feed_name].headers if names.count(header_key(h)) > 1]


def check_batch(lake_root: str, batch_date: str, allow_rerun: bool) -> dict:
    """Check one batch; return its summary or raise the first kind of problem found (all the
    problems of that kind are listed in the message). One function per refusal, in order."""
    _check_date(batch_date)
    if lake_io.is_s3(lake_root):
        _trace_s3()
    committed = _check_not_committed(lake_root, batch_date, allow_rerun)
    folders = {name: lake_layout.batch_path(lake_layout.RAW, name, batch_date) for name in FEEDS}
    listed = {name: _files(lake_root, folder) for name, folder in folders.items()}
    csvs = {
        n: [f for f in files if f.name.lower().endswith(ACCEPTED_SUFFIXES)]
        for n, files in listed.items()
    }
    _check_file_kinds(batch_date, listed)
    _check_encoding(lake_root, batch_date, csvs)
    _check_uploads_finished(lake_root, batch_date, folders, listed, csvs)
    _check_required_feeds(batch_date, csvs)
    _check_not_empty(lake_root, batch_date, csvs)
    drift = _check_headers(lake_root, batch_date, csvs)
    return _summary(batch_date, committed, csvs, drift)


def _start_again(batch_date: str) -> str:
    return f'start the execution with {{"batch_date": "{batch_date}"}}'


def _check_date(batch_date: str) -> None:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", batch_date or ""):
        raise InvalidBatchDate(f"batch_date {batch_date!r} is not a YYYY-MM-DD date.")
    try:
        date.fromisoformat(batch_date)
    except ValueError as exc:
        raise InvalidBatchDate(f"batch_date {batch_date!r} is not a calendar date.") from exc


def _check_not_committed(lake_root: str, batch_date: str, allow_rerun: bool) -> bool:
    """Whether the batch is committed; refused when it is, unless a re-run was asked for."""
    marker = lake_layout.marker_file(batch_date)
    committed = lake_io.exists(lake_io.join(lake_root, marker))
    if committed and not allow_rerun:
        rerun = f'start the execution with {{"batch_date": "{batch_date}", "allow_rerun": true}}'
        raise BatchAlreadyCommitted(
            f"batch {batch_date} is already committed ({marker} exists); nothing was changed. "
            f"To rebuild it on purpose, {rerun}."
        )
    return committed


def _check_file_kinds(batch_date: str, listed: dict[str, list[LakeFile]]) -> None:
    unsupported = [
        f"feed {name}, file {f.path}"
        for name, files in listed.items()
        for f in files
        if not f.name.lower().endswith(ACCEPTED_SUFFIXES + IN_FLIGHT_SUFFIXES)
        and not f.name.startswith((".", "_"))  # hidden and marker files, as job A ignores them
    ]
    if unsupported:
        raise UnsupportedFile(
            f"batch {batch_date} has file(s) that are not feed exports: "
            + "; ".join(unsupported)
            + ". A feed file must be CSV (*.csv) or gzip-compressed CSV (*.csv.gz); other "
            "compressions and workbooks are not read. Re-export or rename the file, or move it "
            f"out of the batch folder, then {_start_again(batch_date)}."
        )


def _check_encoding(lake_root: str, batch_date: str, csvs: dict[str, list[LakeFile]]) -> None:
    not_utf8 = [
        f"feed {name}, file {f.path} is {problem}"
        for name, files in csvs.items()
        for f in files
        if f.size and (problem := _encoding_problem(lake_root, f))
    ]
    if not_utf8:
        raise UnsupportedEncoding(
            f"batch {batch_date} has file(s) that are not UTF-8 CSV text: "
            + "; ".join(not_utf8)
            + ". Export the feed as UTF-8 CSV (Excel: 'CSV UTF-8 (Comma delimited)'; other "
            "tools: encoding UTF-8, with or without BOM), land it again, then "
            f"{_start_again(batch_date)}."
        )


def _check_uploads_finished(
    lake_root: str,
    batch_date: str,
    folders: dict[str, str],
    listed: dict[str, list[LakeFile]],
    csvs: dict[str, list[LakeFile]],
) -> None:
    in_flight = [
        f"feed {name}, file {f.path}: temporary upload name"
        for name, files in listed.items()
        for f in files
        if f.name.lower().endswith(IN_FLIGHT_SUFFIXES)
    ]
    for name in FEEDS:
        in_flight += [
            f"feed {name}, file {folders[name]}/{key}: multipart upload not completed"
            for key in lake_io.uploads_in_progress(lake_io.join(lake_root, folders[name]))
        ]
    for name, files in csvs.items():
        for f in files:
            # Compared with the file's own header: extra columns widen every row.
            if f.size and _truncated_last_line(lake_root, f, len(_header(lake_root, f))):
                in_flight.append(f"feed {name}, file {f.path}: last line cut short (no newline)")
    if in_flight:
        raise UploadInProgress(
            f"batch {batch_date} is still being uploaded: " + "; ".join(in_flight) + ". "
            "Wait for the upload to finish (or re-send the file), then re-run the date."
        )


def _check_required_feeds(batch_date: str, csvs: dict[str, list[LakeFile]]) -> None:
    missing_feeds = [n for n in REQUIRED_FEEDS if not csvs[n]]
    if missing_feeds:
        raise BatchIncomplete(
            f"batch {batch_date} is missing required feed(s): "
            + "; ".join(
                f"feed {n}: no *.csv under raw/{n}/ingest_date={batch_date}/ (nor *.csv.gz)"
                for n in missing_feeds
            )
            + f". Land the export(s), then {_start_again(batch_date)}."
        )


def _check_not_empty(lake_root: str, batch_date: str, csvs: dict[str, list[LakeFile]]) -> None:
    empty = []
    for name, files in csvs.items():
        for f in files:
            if f.size == 0:
                empty.append(f"feed {name}, file {f.path}: 0 bytes")
            elif not without_bom(_head(lake_root, f)):
                empty.append(f"feed {name}, file {f.path}: no text (compressed empty file)")
            elif not _has_data_row(lake_root, f):
                empty.append(f"feed {name}, file {f.path}: header only, no data rows")
    if empty:
        raise EmptyFeedFile(
            f"batch {batch_date} has empty file(s): " + "; ".join(empty) + ". "
            "Ask the CRM team to re-send the export, or remove the file if it was sent by mistake."
        )


def _check_headers(
    lake_root: str, batch_date: str, csvs: dict[str, list[LakeFile]]
) -> dict[str, list[str]]:
    """Refuses a file missing a contract column (or having one twice); returns the extra
    columns per feed (schema drift, reported, not refused)."""
    mismatches, drift = [], {}
    for name, files in csvs.items():
        for f in files:
            header = _header(lake_root, f)
            missing, extra = _missing_columns(name, header)
            if missing:
                mismatches.append(
                    f"feed {name}, file {f.path}: missing column(s) "
                    + ", ".join(repr(c) for c in missing)
                )
            twice = _duplicated_columns(name, header)
            if twice:
                mismatches.append(
                    f"feed {name}, file {f.path}: column(s) appearing twice "
                    + ", ".join(repr(c) for c in twice)
                )
            if extra:
                drift.setdefault(name, sorted(set(drift.get(name, [])) | set(extra)))
    if mismatches:
        raise SchemaMismatch(
            f"batch {batch_date} does not match the feed contract: "
            + "; ".join(mismatches)
            + ". Fix the export header (order and case do not matter, extra columns are allowed, "
            "each contract column must appear once)."
        )
    return drift


def _summary(
    batch_date: str, committed: bool, csvs: dict[str, list[LakeFile]], drift: dict
) -> dict:
    feeds = {
        name: {
            "files": [f.path for f in files],
            "bytes": sum(f.size for f in files),
            "extra_columns": drift.get(name, []),
        }
        for name, files in csvs.items()
        if files
    }
    return {
        "batch_date": batch_date,
        "rerun": committed,
        "feeds": feeds,
        "files": sum(len(f["files"]) for f in feeds.values()),
        "bytes": sum(f["bytes"] for f in feeds.values()),
        "optional_feeds_absent": sorted(n for n in FEEDS if n not in feeds),
    }


# ---------------------------------------------------------------------------- the batch lock


def _take_batch_lock(lake_root: str, request) -> dict | None:
    """On AWS, one execution per batch date (telco360.shipped.batch_lock); the state machine
    releases it. Locally (no lock table, or a folder lake) the local runner's lake lock does
    the job."""
    table = os.environ.get(batch_lock.TABLE_ENV)
    if not table or not lake_root.startswith("s3://") or not request.execution_arn:
        return None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", request.batch_date):
        return None  # check_batch names the problem
    return batch_lock.acquire(
        table,
        request.batch_date,
        holder=request.execution_arn,
        holder_name=request.execution_name or request.execution_arn.rsplit(":", 1)[-1],
        seconds=int(os.environ[batch_lock.SECONDS_ENV]),
    )


# ---------------------------------------------------------------------------- batch age

BATCH_AGE_METRIC = "NewestCommittedBatchAge"


def newest_committed_batch_age(lake_root: str, now: datetime) -> float | None:
    """Seconds from the start (00:00 UTC) of the newest committed batch date to `now`; None
    before the first commit. Published on every run (every schedule tick), it keeps growing
    while no new batch gets committed. A batch folder counts only with its commit marker
    (lake_layout.committed_dates' rule), checked from the newest date down: usually one read."""
    folder = lake_io.join(lake_root, lake_layout.BATCHES_DIR)
    dates = []
    for value in lake_io.partition_values(folder, lake_layout.BATCH_PARTITION):
        try:
            dates.append(date.fromisoformat(value))
        except ValueError:
            continue  # not a batch folder
    for newest in sorted(dates, reverse=True):
        marker = lake_io.join(lake_root, lake_layout.marker_file(newest.isoformat()))
        if lake_io.exists(marker):
            start = datetime.combine(newest, datetime.min.time(), tzinfo=UTC)
            return (now - start).total_seconds()
    return None


def _record_batch_age(lake_root: str) -> None:
    try:
        age = newest_committed_batch_age(lake_root, datetime.now(UTC))
    except Exception as exc:  # a missing number must never stop the batch
        logger.warning("could not read the commit markers", extra={"error": repr(exc)})
        return
    if age is not None:
        metrics.add_metric(name=BATCH_AGE_METRIC, unit=MetricUnit.Seconds, value=age)


# ---------------------------------------------------------------------------- the handler


@functools.cache
def _request_model() -> type:
    """The handler's event model, built on first use: pydantic is slow to import."""
    from aws_lambda_powertools.utilities.parser import BaseModel, Field

    class PreflightRequest(BaseModel):
        batch_date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
        allow_rerun: bool = False
        lake_root: str | None = None
        execution_name: str | None = None
        execution_arn: str | None = None

    return PreflightRequest


@metrics.log_metrics
@capture_lambda_handler
@logger.inject_lambda_context(correlation_id_path="execution_name", log_event=True)
def lambda_handler(event: dict, context) -> dict:
    from aws_lambda_powertools.utilities.parser import parse  # lazily: see _request_model

    request = parse(event=event, model=_request_model())
    lake_root = request.lake_root or os.environ["LAKE_ROOT"]
    _record_batch_age(lake_root)  # before any check: published whether the batch is ready or not
    try:
        lock = _take_batch_lock(lake_root, request)
        summary = check_batch(lake_root, request.batch_date, request.allow_rerun)
    except (PreflightError, BatchInProgress) as exc:
        metrics.add_metric(name="PreflightFailed", unit=MetricUnit.Count, value=1)
        logger.error("pre-flight failed", extra={"error": type(exc).__name__, "detail": str(exc)})
        raise
    if lock:
        summary["lock"] = lock
    metrics.add_metric(name="PreflightFeeds", unit=MetricUnit.Count, value=len(summary["feeds"]))
    metrics.add_metric(name="PreflightFiles", unit=MetricUnit.Count, value=summary["files"])
    metrics.add_metric(name="PreflightBytes", unit=MetricUnit.Bytes, value=summary["bytes"])
    logger.info("batch ready", extra={"summary": summary})
    return summary
