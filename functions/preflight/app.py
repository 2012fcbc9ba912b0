"""Pre-flight check of one batch, before any Glue job starts.

For the batch date: every required feed is present, every file is non-empty and complete (no
upload in flight), every header satisfies the feed contract, and the batch is not committed
yet unless a re-run is asked for. A failure raises a specific error whose message names the
feed, file and column and says what to do; the state machine's Catch turns it into one page.

The lake root is `s3://bucket` on AWS or a local folder when the local runner calls
`check_batch` in-process.

Cold start matters: the X-Ray SDK, boto3 and pydantic are slow to import, so none of them
is imported at module level. The Tracer comes from telco360.lambda_tracing (built on the first
invocation), the S3 client is created on first use and patches boto3 for X-Ray, and the request
model is built on the first parse; each is then cached for warm invocations.
"""

from __future__ import annotations

import csv
import functools
import os
import re
from dataclasses import dataclass
from datetime import date

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from telco360 import batch_lock
from telco360.batch_lock import BatchInProgress
from telco360.contract import FEEDS, REQUIRED_FEEDS
from telco360.lambda_tracing import capture_lambda_handler, tracer

logger = Logger()
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Telco360"))


HEAD_BYTES = 64 * 1024  # enough for any header row of the contract
TAIL_BYTES = 64 * 1024  # enough for the last line of any row of the contract
# Names that copy tools give a file while it is being written (hadoop fs, rsync, browsers...).
IN_FLIGHT_SUFFIXES = (".tmp", ".part", ".partial", "._copying_", ".filepart", ".crdownload")


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


# ---------------------------------------------------------------------------- lake access


@dataclass(frozen=True)
class LakeFile:
    path: str  # relative to the lake root: raw/<feed>/ingest_date=D/<name>
    size: int

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


class LocalLake:
    def __init__(self, root: str):
        self.root = os.path.abspath(root)

    def _abs(self, rel: str) -> str:
        return os.path.join(self.root, *rel.split("/"))

    def list_files(self, folder: str) -> list[LakeFile]:
        base = self._abs(folder)
        if not os.path.isdir(base):
            return []
        return [
            LakeFile(f"{folder}/{n}", os.path.getsize(os.path.join(base, n)))
            for n in sorted(os.listdir(base))
            if os.path.isfile(os.path.join(base, n))
        ]

    def uploads_in_progress(self, folder: str) -> list[str]:
        return []  # a local copy in flight shows up as a temporary file name instead

    def exists(self, rel: str) -> bool:
        return os.path.exists(self._abs(rel))

    def read_range(self, rel: str, size: int, tail: bool) -> bytes:
        with open(self._abs(rel), "rb") as f:
            if tail:
                f.seek(max(0, os.path.getsize(self._abs(rel)) - size))
            return f.read(size)


@functools.cache
def _s3_client():
    import boto3  # lazily: cold start, and the local runner never needs it

    tracer().patch(["boto3"])  # X-Ray subsegments for the S3 calls
    return boto3.client("s3")


class S3Lake:
    def __init__(self, root: str):
        self.bucket, _, prefix = root[len("s3://") :].partition("/")
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.s3 = _s3_client()

    def list_files(self, folder: str) -> list[LakeFile]:
        prefix = f"{self.prefix}{folder}/"
        found = []
        pages = self.s3.get_paginator("list_objects_v2")
        for page in pages.paginate(Bucket=self.bucket, Prefix=prefix, Delimiter="/"):
            for obj in page.get("Contents", []):
                if not obj["Key"].endswith("/"):  # console "folders"
                    found.append(LakeFile(obj["Key"][len(self.prefix) :], obj["Size"]))
        return sorted(found, key=lambda f: f.path)

    def uploads_in_progress(self, folder: str) -> list[str]:
        prefix = f"{self.prefix}{folder}/"
        found = self.s3.list_multipart_uploads(Bucket=self.bucket, Prefix=prefix)
        return sorted(u["Key"][len(self.prefix) :] for u in found.get("Uploads", []))

    def exists(self, rel: str) -> bool:
        found = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix + rel, MaxKeys=1)
        return found.get("KeyCount", 0) > 0

    def read_range(self, rel: str, size: int, tail: bool) -> bytes:
        wanted = f"bytes=-{size}" if tail else f"bytes=0-{size - 1}"
        body = self.s3.get_object(Bucket=self.bucket, Key=self.prefix + rel, Range=wanted)
        return body["Body"].read()


def open_lake(lake_root: str) -> LocalLake | S3Lake:
    return S3Lake(lake_root) if lake_root.startswith("s3://") else LocalLake(lake_root)


# ---------------------------------------------------------------------------- the checks


def _normalize(header: str) -> str:
    return " ".join(header.strip().lower().split())


def _fields(line: str) -> list[str]:
    return next(csv.reader([line]), [])


def _header(lake, f: LakeFile) -> list[str]:
    head = lake.read_range(f.path, HEAD_BYTES, tail=False).decode("utf-8-sig", errors="replace")
    return _fields(head.split("\n", 1)[0].rstrip("\r"))


def _has_data_row(lake, f: LakeFile) -> bool:
    head = lake.read_range(f.path, HEAD_BYTES, tail=False).decode("utf-8-sig", errors="replace")
    first_newline = head.find("\n")
    return first_newline >= 0 and head[first_newline + 1 :].strip() != ""


def _truncated_last_line(lake, f: LakeFile, header_width: int) -> bool:
    """True when the file ends mid-row: no final newline AND the last line is short of fields.
    Real exports often omit the final newline, so a missing newline alone is not enough."""
    tail = lake.read_range(f.path, TAIL_BYTES, tail=True).decode("utf-8", errors="replace")
    if tail.endswith("\n"):
        return False
    if "\n" not in tail and f.size > TAIL_BYTES:
        return False  # a last line longer than the tail read (a huge field): cannot tell
    last_line = tail.rsplit("\n", 1)[-1].rstrip("\r")
    return len(_fields(last_line)) < header_width


def _missing_columns(feed_name: str, header: list[str]) -> tuple[list[str], list[str]]:
    """(contract headers absent from the file, file headers not in the contract)."""
    present = {_normalize(h) for h in header}
    expected = FEEDS[feed_name].headers
    missing = [h for h in expected if _normalize(h) not in present]
    known = {_normalize(h) for h in expected}
    extra = [h.strip() for h in header if _normalize(h) not in known and h.strip()]
    return missing, extra


def _duplicated_columns(feed_name: str, header: list[str]) -> list[str]:
    """Contract headers that appear more than once (job A could not tell which to read)."""
    names = [_normalize(h) for h in header]
    return [h for h in FEEDS[feed_name].headers if names.count(_normalize(h)) > 1]


def check_batch(lake_root: str, batch_date: str, allow_rerun: bool) -> dict:
    """Check one batch; return its summary or raise the first kind of problem found (all the
    problems of that kind are listed in the message)."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", batch_date or ""):
        raise InvalidBatchDate(f"batch_date {batch_date!r} is not a YYYY-MM-DD date.")
    try:
        date.fromisoformat(batch_date)
    except ValueError as exc:
        raise InvalidBatchDate(f"batch_date {batch_date!r} is not a calendar date.") from exc

    lake = open_lake(lake_root)
    rerun = f'start the execution with {{"batch_date": "{batch_date}", "allow_rerun": true}}'
    start_again = f'start the execution with {{"batch_date": "{batch_date}"}}'

    marker = f"staging/_batches/batch_date={batch_date}/manifest.json"
    committed = lake.exists(marker)
    if committed and not allow_rerun:
        raise BatchAlreadyCommitted(
            f"batch {batch_date} is already committed ({marker} exists); nothing was changed. "
            f"To rebuild it on purpose, {rerun}."
        )

    listed = {name: lake.list_files(f"raw/{name}/ingest_date={batch_date}") for name in FEEDS}

    in_flight = [
        f"feed {name}, file {f.path}: temporary upload name"
        for name, files in listed.items()
        for f in files
        if f.name.lower().endswith(IN_FLIGHT_SUFFIXES)
    ]
    for name in FEEDS:
        in_flight += [
            f"feed {name}, file {key}: multipart upload not completed"
            for key in lake.uploads_in_progress(f"raw/{name}/ingest_date={batch_date}")
        ]
    csvs = {n: [f for f in files if f.name.lower().endswith(".csv")] for n, files in listed.items()}
    for name, files in csvs.items():
        for f in files:
            # Compared with the file's own header: extra columns widen every row.
            if f.size and _truncated_last_line(lake, f, len(_header(lake, f))):
                in_flight.append(f"feed {name}, file {f.path}: last line cut short (no newline)")
    if in_flight:
        raise UploadInProgress(
            f"batch {batch_date} is still being uploaded: " + "; ".join(in_flight) + ". "
            "Wait for the upload to finish (or re-send the file), then re-run the date."
        )

    missing_feeds = [n for n in REQUIRED_FEEDS if not csvs[n]]
    if missing_feeds:
        raise BatchIncomplete(
            f"batch {batch_date} is missing required feed(s): "
            + "; ".join(
                f"feed {n}: no *.csv under raw/{n}/ingest_date={batch_date}/" for n in missing_feeds
            )
            + f". Land the export(s), then {start_again}."
        )

    empty = []
    for name, files in csvs.items():
        for f in files:
            if f.size == 0:
                empty.append(f"feed {name}, file {f.path}: 0 bytes")
            elif not _has_data_row(lake, f):
                empty.append(f"feed {name}, file {f.path}: header only, no data rows")
    if empty:
        raise EmptyFeedFile(
            f"batch {batch_date} has empty file(s): " + "; ".join(empty) + ". "
            "Ask the CRM team to re-send the export, or remove the file if it was sent by mistake."
        )

    mismatches, drift = [], {}
    for name, files in csvs.items():
        for f in files:
            header = _header(lake, f)
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
    """On AWS, one execution per batch date (telco360.batch_lock); the state machine releases
    it. Locally (no lock table, or a folder lake) the local runner's lake lock does the job."""
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
