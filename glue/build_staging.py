# GENERATED from src/telco360 by `make glue` (telco360.ops.glue_bundle). Never edit: change
# the package and run `make glue`; a test fails when this file is stale.
"""AWS Glue entry of job `build_staging`: `telco360.shipped.jobs.glue_entry.build_staging()` with
the package modules it imports bundled below (sources in src/telco360)."""

import importlib.abc
import importlib.util
import sys

PACKAGES = ('telco360', 'telco360.shipped', 'telco360.shipped.jobs')
MODULES = {
    'telco360': r'''"""Telco Customer 360: one package, three roles, one sub-package each.

- `telco360.shipped`: what runs on AWS (the feed contract, lake layout and I/O, the Lambda
  handlers, the Glue jobs). Standard library, PySpark and Powertools only; copied into the
  Lambda layer by layers/contract/Makefile and bundled into glue/*.py by `make glue`, so it
  never imports the other two.
- `telco360.local`: what emulates AWS on one machine (`telco360 run`: the state machine's
  steps, the DuckDB warehouse, the run lock, the summary and report).
- `telco360.ops`: the operator's tools (the CLI, the test-data generator, backfill, AWS
  operations, the Glue bundle writer).
"""
''',
    'telco360.shipped': r'''"""What ships to AWS: the feed contract, the lake layout and I/O, the batch lock, the Lambda
handlers (preflight, notify_failure) and their lazy tracer, and the Glue jobs (jobs/).

The Lambda layer (layers/contract/Makefile) and the Glue bundle (`make glue`) carry only this
sub-package, so nothing here imports telco360.local or telco360.ops (tests/test_package_roles.py).
"""
''',
    'telco360.shipped.catalog': r'''"""The lake's tables in the AWS Glue Data Catalog, what Athena queries: built from the contract.

One table per feed and zone (`standardized_<feed>`, `quarantine_<feed>`) and one per staging
output (`staging_customers_state`, ...), in the stack's Glue database. Their columns come from
`telco360.contract` (the single source), with the types the jobs write (docs/DATA_LAYOUT.md);
a test compares every table with the Parquet the local jobs write.

Each table is partitioned by its folder's batch date, a `YYYY-MM-DD` string named as in the
lake (`ingest_date` for standardized/ and quarantine/, `batch_date` for staging/). That
column is also written inside the Parquet files (same value); the table lists it as its
partition key only, so queries filter on it and Athena reads only that batch's folder.

- standardized/ and quarantine/ hold plain `ingest_date=D/` folders: the tables use Athena
  partition projection (table properties), so a batch is queryable as soon as job A wrote it,
  quarantine included when the quarantine gate stopped the batch; nothing is registered.
- staging/ folders hold one `run=<id>` folder per run of job B, and only the run the commit
  marker names counts. Projection would show uncommitted or superseded runs, so job B
  registers each batch's partition at commit, located at the committed run
  (`register_batch`); a re-run of the date moves it to the new run.

Job A creates or updates the zone tables before it runs, job B the staging tables
(`ensure_tables`, called by `telco360.jobs.glue_entry` on Glue only). Standard library only:
it ships to Glue (glue/*.py), which passes in its boto3 Glue client.
"""

from __future__ import annotations

from dataclasses import dataclass

from telco360.shipped import lake_layout
from telco360.shipped.contract import CONTRACT_VERSION, CUSTOMER_FEEDS, FEEDS, LINEAGE_COLUMNS

PARTITION_TYPE = "string"  # `YYYY-MM-DD`, the folder name's value
PARQUET = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {
        "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    },
}


@dataclass(frozen=True)
class Table:
    name: str
    folder: str  # lake-relative folder holding one `<partition>=D` folder per batch
    columns: tuple[tuple[str, str], ...]  # (name, Hive type), the partition column excluded
    partition: str
    projected: bool  # partition projection (else partitions are registered at commit)
    description: str
    output: str = ""  # staging output (as in the manifest's "files"), for staging tables


# ---- the columns, from the contract ---------------------------------------------------------

_LINEAGE = tuple(c for c in LINEAGE_COLUMNS if c[0] != lake_layout.INGEST_PARTITION)
QUARANTINE_COLUMNS = (
    *_LINEAGE,
    ("raw_line", "string"),
    ("reason_codes", "array<string>"),
    ("reason_detail", "string"),
)
_NOT_IN_STATE = ("count", "quarter")  # describe the export, not the customer (job B drops them)
_BOOKKEEPING = (("first_seen_batch", "date"), ("last_changed_batch", "date"))


def _typed(feed: str, names) -> tuple[tuple[str, str], ...]:
    return tuple((n, FEEDS[feed].column(n).spark_type) for n in names)


def _values(feed: str) -> tuple[str, ...]:
    """The columns a feed owns in its entity's state: everything but the key, count, quarter."""
    f = FEEDS[feed]
    return tuple(c for c in f.column_names if c not in f.key and c not in _NOT_IN_STATE)


def _state(key_feed: str, feeds: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    columns = _typed(key_feed, FEEDS[key_feed].key)
    for feed in feeds:
        columns += _typed(feed, _values(feed))
    return columns + _BOOKKEEPING


def standardized_columns(feed: str) -> tuple[tuple[str, str], ...]:
    return tuple((c.name, c.spark_type) for c in FEEDS[feed].columns) + _LINEAGE


_CUSTOMERS = _state("demographics", CUSTOMER_FEEDS)
_POPULATION = _state("population", ("population",))
_CHANGE = (("change_type", "string"),)
STAGING_COLUMNS = {
    "customers/state": _CUSTOMERS,
    "customers/changes": _CUSTOMERS + _CHANGE + (("changed_feeds", "string"),),
    "population/state": _POPULATION,
    "population/changes": _POPULATION + _CHANGE,
    "usage/changes": _typed("usage", FEEDS["usage"].key + _values("usage")) + _CHANGE,
}
_STAGING_ABOUT = {
    "customers/state": "every customer, latest state as of the batch",
    "customers/changes": "customers inserted or updated by the batch",
    "population/state": "every zip code, latest as of the batch",
    "population/changes": "zip codes inserted or updated by the batch",
    "usage/changes": "usage facts delivered in the batch (latest per key)",
}


# ---- the tables -----------------------------------------------------------------------------


def _zone_table(zone: str, feed: str) -> Table:
    columns = standardized_columns(feed) if zone == lake_layout.STANDARDIZED else QUARANTINE_COLUMNS
    about = "typed rows" if zone == lake_layout.STANDARDIZED else "rejected rows and their reasons"
    return Table(
        name=f"{zone}_{feed}",
        folder=f"{zone}/{feed}",
        columns=columns,
        partition=lake_layout.INGEST_PARTITION,
        projected=True,
        description=f"{zone}/{feed}/: {about}, one partition per batch (ingest_date).",
    )


def _staging_table(output: str) -> Table:
    return Table(
        name="staging_" + output.replace("/", "_"),
        folder=f"{lake_layout.STAGING}/{output}",
        columns=STAGING_COLUMNS[output],
        partition=lake_layout.BATCH_PARTITION,
        projected=False,
        description=(
            f"staging/{output}/: {_STAGING_ABOUT[output]}; committed batches only "
            "(each partition is the run its commit marker names)."
        ),
        output=output,
    )


ZONE_TABLES = tuple(
    _zone_table(zone, feed)
    for zone in (lake_layout.STANDARDIZED, lake_layout.QUARANTINE)
    for feed in FEEDS
)
STAGING_TABLES = tuple(_staging_table(output) for output in STAGING_COLUMNS)
TABLES = {t.name: t for t in ZONE_TABLES + STAGING_TABLES}


def _uri(lake_root: str, folder: str) -> str:
    return f"{lake_root.rstrip('/')}/{folder.strip('/')}/"


def _storage(table: Table, location: str) -> dict:
    columns = [{"Name": n, "Type": t} for n, t in table.columns]
    return {"Columns": columns, "Location": location, **PARQUET}


def _projection_start(table_input: dict, partition: str) -> str | None:
    value = table_input.get("Parameters", {}).get(f"projection.{partition}.range", "")
    return value.split(",", 1)[0] or None


def table_input(table: Table, lake_root: str, first_batch: str) -> dict:
    """The Glue `TableInput` of a table of the lake at `lake_root` (`s3://bucket`).

    A projected table covers the batch dates from `first_batch` to today: Athena
    computes each date's folder from `storage.location.template` and reads it if it exists
    (https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html)."""
    parameters = {
        "classification": "parquet",
        "EXTERNAL": "TRUE",
        "contract_version": str(CONTRACT_VERSION),
    }
    if table.projected:
        p = table.partition
        folder = lake_layout.batch_path(*table.folder.split("/"), "${" + p + "}")
        parameters |= {
            "projection.enabled": "true",
            f"projection.{p}.type": "date",
            f"projection.{p}.format": "yyyy-MM-dd",
            f"projection.{p}.range": f"{first_batch},NOW",
            f"projection.{p}.interval": "1",
            f"projection.{p}.interval.unit": "DAYS",
            "storage.location.template": _uri(lake_root, folder),
        }
    return {
        "Name": table.name,
        "Description": table.description,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": parameters,
        "PartitionKeys": [{"Name": table.partition, "Type": PARTITION_TYPE}],
        "StorageDescriptor": _storage(table, _uri(lake_root, table.folder)),
    }


def _as_input(table: dict) -> dict:
    """The part of a GetTable answer that a TableInput sets (to compare with the wanted one)."""
    storage = table.get("StorageDescriptor", {})
    return {
        "Name": table["Name"],
        "Description": table.get("Description"),
        "TableType": table.get("TableType"),
        "Parameters": table.get("Parameters", {}),
        "PartitionKeys": [
            {"Name": k["Name"], "Type": k["Type"]} for k in table.get("PartitionKeys", [])
        ],
        "StorageDescriptor": {
            "Columns": [{"Name": c["Name"], "Type": c["Type"]} for c in storage.get("Columns", [])],
            "Location": storage.get("Location"),
            "InputFormat": storage.get("InputFormat"),
            "OutputFormat": storage.get("OutputFormat"),
            "SerdeInfo": {
                "SerializationLibrary": storage.get("SerdeInfo", {}).get("SerializationLibrary")
            },
        },
    }


def ensure_tables(glue, database: str, tables, lake_root: str, batch_date: str) -> list[str]:
    """Create the tables missing from `database` and update those that differ from the
    contract; returns the names created or updated. A projected table's date range starts at
    the earliest batch a job has run (`batch_date` or an earlier start already there)."""
    changed = []
    for table in tables:
        try:
            current = _as_input(glue.get_table(DatabaseName=database, Name=table.name)["Table"])
        except glue.exceptions.EntityNotFoundException:
            current = None
        start = _projection_start(current or {}, table.partition) or batch_date
        wanted = table_input(table, lake_root, min(start, batch_date))
        if current is None:
            try:
                glue.create_table(DatabaseName=database, TableInput=wanted)
            except glue.exceptions.AlreadyExistsException:  # created meanwhile by another run
                glue.update_table(DatabaseName=database, TableInput=wanted)
        elif current != wanted:
            glue.update_table(DatabaseName=database, TableInput=wanted)
        else:
            continue
        changed.append(table.name)
    return changed


def run_folder(lake_root: str, output: str, batch_date: str, run_id: str) -> str:
    """Where a committed staging batch's files are: its partition's location."""
    return _uri(lake_root, f"{lake_layout.staging_dir(output, batch_date)}/run={run_id}")


def register_batch(glue, database: str, lake_root: str, manifest: dict) -> list[str]:
    """Point each staging table's partition for the committed batch at the run its commit
    marker (`manifest`) names, creating the partition or moving it from an earlier run.
    An output with no rows in the batch has no file: its partition reads as empty."""
    batch_date, run_id = manifest["batch_date"], manifest["run_id"]
    registered = []
    for table in STAGING_TABLES:
        partition = {
            "Values": [batch_date],
            "StorageDescriptor": _storage(
                table, run_folder(lake_root, table.output, batch_date, run_id)
            ),
        }
        try:
            glue.create_partition(
                DatabaseName=database, TableName=table.name, PartitionInput=partition
            )
        except glue.exceptions.AlreadyExistsException:
            glue.update_partition(
                DatabaseName=database,
                TableName=table.name,
                PartitionValueList=[batch_date],
                PartitionInput=partition,
            )
        registered.append(table.name)
    return registered
''',
    'telco360.shipped.contract': r'''"""The feed contract: the one source of truth for what the CRM exports look like.

Used by the generator, the pre-flight Lambda (shipped in a SAM-built layer), both Glue
jobs (bundled into glue/*.py by `make glue`, checked for staleness by a test) and the tests.
Keep this module standard-library only and free of package-relative imports: it is copied
verbatim into runtimes that have nothing else of this project.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass

CONTRACT_VERSION = 1

# Column kinds. Each maps to one standardized (Spark / Parquet) type.
ID = "id"  # Customer ID, `7590-VHVEG`
STRING = "string"
INTEGER = "integer"
DECIMAL = "decimal"  # money: DECIMAL(12,2), rounded half-up
FLOAT = "float"  # coordinates, gigabytes
BOOLEAN = "boolean"  # Yes / No
CATEGORY = "category"  # one of a closed set, canonical spelling
DATE = "date"  # YYYY-MM-DD

SPARK_TYPES = {
    ID: "string",
    STRING: "string",
    INTEGER: "int",
    DECIMAL: "decimal(12,2)",
    FLOAT: "double",
    BOOLEAN: "boolean",
    CATEGORY: "string",
    DATE: "date",
}

CUSTOMER_ID_PATTERN = r"^[0-9]{4}-[A-Z]{5}$"
ZIP_CODE_PATTERN = r"^[0-9]{5}$"

TRUE_WORDS = ("yes", "y", "true", "1")
FALSE_WORDS = ("no", "n", "false", "0")

# Quarantine reason codes (a quarantined row carries one or more).
WRONG_FIELD_COUNT = "wrong_field_count"
MISSING_KEY = "missing_key"
MALFORMED_KEY = "malformed_key"
MALFORMED_VALUE = "malformed_value"  # fails a column's pattern (e.g. zip code)
UNPARSEABLE_NUMBER = "unparseable_number"
UNPARSEABLE_BOOLEAN = "unparseable_boolean"
UNPARSEABLE_DATE = "unparseable_date"
UNKNOWN_CATEGORY = "unknown_category"
MISSING_REQUIRED = "missing_required"
OUT_OF_RANGE = "out_of_range"  # outside a column's bounds; a date after the batch date
INCONSISTENT_VALUES = "inconsistent_values"  # two columns state the same fact differently
INVALID_ENCODING = "invalid_encoding"  # the line is not valid UTF-8
REPEATED_HEADER = "repeated_header"  # the file's header line again (concatenated exports)
REASON_CODES = (
    WRONG_FIELD_COUNT,
    MISSING_KEY,
    MALFORMED_KEY,
    MALFORMED_VALUE,
    UNPARSEABLE_NUMBER,
    UNPARSEABLE_BOOLEAN,
    UNPARSEABLE_DATE,
    UNKNOWN_CATEGORY,
    MISSING_REQUIRED,
    OUT_OF_RANGE,
    INCONSISTENT_VALUES,
    INVALID_ENCODING,
    REPEATED_HEADER,
)

# Lineage columns added to every standardized and quarantined row.
LINEAGE_COLUMNS = (("ingest_date", "date"), ("source_file", "string"), ("source_line", "int"))


def snake_case(header: str) -> str:
    """`Customer ID` -> `customer_id`, `Under 30` -> `under_30`, `CLTV` -> `cltv`."""
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")


def category_key(value: str) -> str:
    """The spelling-insensitive form used to match a category value to its canonical one:
    `Month-to-month`, `month to month` and `Month-to-Month` all give `monthtomonth`."""
    return re.sub(r"[^a-z0-9]", "", value.lower())


# Characters that spreadsheet and CRM tools leave in header names and that carry no meaning:
# byte-order marks (also mid-line, where a concatenated export puts them) and zero-width spaces.
BOM = "\ufeff"  # a UTF-8 file's byte-order mark, decoded
_INVISIBLE = dict.fromkeys(map(ord, BOM + "\u200b"))
_QUOTES = "\"'"


def without_bom(line: str) -> str:
    """A file's first line without the byte-order mark(s) in front of it (text, not a name)."""
    return line.lstrip(BOM)


def header_fields(header_line: str) -> list[str]:
    """The names of a file's header line, split as CSV, as pre-flight and job A read them. The
    byte-order mark in front is dropped first (left there, it would keep a quoted first name
    from reading as quoted); each name is then matched with `header_key`."""
    return next(csv.reader([without_bom(header_line)]), [])


def header_key(header: str) -> str:
    """The form in which a delivered header name is matched to a contract header; the one rule
    used by pre-flight and job A alike. Ignored: case, surrounding and repeated inner
    whitespace of any kind (tabs, no-break spaces), byte-order marks and zero-width spaces, and
    one pair of quotes around the name (left by a tool that quotes after padding). So
    `\ufeff"Monthly  Charge" `, `MONTHLY\u00a0CHARGE` and `Monthly Charge` all give
    `monthly charge`. A blank name (a trailing delimiter) gives ``."""
    text = " ".join(header.translate(_INVISIBLE).split())
    if len(text) >= 2 and text[0] == text[-1] and text[0] in _QUOTES:
        text = " ".join(text[1:-1].split())
    return text.casefold()


@dataclass(frozen=True)
class Column:
    header: str
    kind: str
    required: bool = True  # a blank value quarantines the row (else it becomes NULL)
    categories: tuple[str, ...] = ()  # canonical spellings, for CATEGORY
    minimum: float | None = None  # inclusive bounds for numbers
    maximum: float | None = None
    pattern: str | None = None  # regex the trimmed value must match (ID, zip codes)
    scale: int = 2  # decimal places kept for DECIMAL
    not_after_batch: bool = False  # DATE: a value later than the batch date is out_of_range

    @property
    def name(self) -> str:
        return snake_case(self.header)

    @property
    def spark_type(self) -> str:
        return SPARK_TYPES[self.kind]

    def canonical(self, value: str) -> str | None:
        """The canonical spelling of a category value, or None if it is not one."""
        wanted = category_key(value)
        for category in self.categories:
            if category_key(category) == wanted:
                return category
        return None


@dataclass(frozen=True)
class Feed:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # standardized column names
    required: bool  # must be present in every batch
    # Pairs (Yes/No flag, 0/1 integer) stating the same fact: a row where both are present
    # and disagree is quarantined as inconsistent_values (a blank side is never inconsistent).
    agreements: tuple[tuple[str, str], ...] = ()

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"feed {self.name!r} has no column {name!r}")


def _id() -> Column:
    return Column("Customer ID", ID, pattern=CUSTOMER_ID_PATTERN)


def _count() -> Column:
    return Column("Count", INTEGER, minimum=1, maximum=1)


def _quarter() -> Column:
    return Column("Quarter", CATEGORY, categories=("Q1", "Q2", "Q3", "Q4"))


def _flag(header: str) -> Column:
    return Column(header, BOOLEAN)


def _money(header: str, required: bool = True) -> Column:
    return Column(header, DECIMAL, required=required, minimum=0, maximum=1_000_000)


DEMOGRAPHICS = Feed(
    "demographics",
    (
        _id(),
        _count(),
        Column("Gender", CATEGORY, categories=("Male", "Female")),
        Column("Age", INTEGER, minimum=0, maximum=120),
        _flag("Under 30"),
        _flag("Senior Citizen"),
        _flag("Married"),
        _flag("Dependents"),
        Column("Number of Dependents", INTEGER, minimum=0, maximum=20),
    ),
    key=("customer_id",),
    required=True,
)

LOCATION = Feed(
    "location",
    (
        _id(),
        _count(),
        Column("Country", STRING),
        Column("State", STRING),
        Column("City", STRING),
        Column("Zip Code", STRING, pattern=ZIP_CODE_PATTERN),
        Column("Lat Long", STRING),
        Column("Latitude", FLOAT, minimum=-90, maximum=90),
        Column("Longitude", FLOAT, minimum=-180, maximum=180),
    ),
    key=("customer_id",),
    required=True,
)

POPULATION = Feed(
    "population",
    (
        Column("ID", INTEGER, minimum=0),
        Column("Zip Code", STRING, pattern=ZIP_CODE_PATTERN),
        Column("Population", INTEGER, minimum=0, maximum=10_000_000),
    ),
    key=("zip_code",),
    required=False,
)

SERVICES = Feed(
    "services",
    (
        _id(),
        _count(),
        _quarter(),
        _flag("Referred a Friend"),
        Column("Number of Referrals", INTEGER, minimum=0, maximum=100),
        Column("Tenure in Months", INTEGER, minimum=0, maximum=1200),
        Column(
            "Offer",
            CATEGORY,
            categories=("None", "Offer A", "Offer B", "Offer C", "Offer D", "Offer E"),
        ),
        _flag("Phone Service"),
        _money("Avg Monthly Long Distance Charges"),
        _flag("Multiple Lines"),
        _flag("Internet Service"),
        Column("Internet Type", CATEGORY, categories=("DSL", "Fiber Optic", "Cable", "None")),
        Column("Avg Monthly GB Download", INTEGER, minimum=0, maximum=10_000),
        _flag("Online Security"),
        _flag("Online Backup"),
        _flag("Device Protection Plan"),
        _flag("Premium Tech Support"),
        _flag("Streaming TV"),
        _flag("Streaming Movies"),
        _flag("Streaming Music"),
        _flag("Unlimited Data"),
        Column("Contract", CATEGORY, categories=("Month-to-Month", "One Year", "Two Year")),
        _flag("Paperless Billing"),
        Column(
            "Payment Method",
            CATEGORY,
            categories=("Bank Withdrawal", "Credit Card", "Mailed Check"),
        ),
        _money("Monthly Charge"),
        _money("Total Charges", required=False),  # blank in a customer's first month
        _money("Total Refunds"),
        _money("Total Extra Data Charges"),
        _money("Total Long Distance Charges"),
        _money("Total Revenue"),
    ),
    key=("customer_id",),
    required=True,
)

STATUS = Feed(
    "status",
    (
        _id(),
        _count(),
        _quarter(),
        Column("Satisfaction Score", INTEGER, minimum=1, maximum=5),
        Column("Customer Status", CATEGORY, categories=("Churned", "Stayed", "Joined")),
        _flag("Churn Label"),
        Column("Churn Value", INTEGER, minimum=0, maximum=1),
        Column("Churn Score", INTEGER, minimum=0, maximum=100),
        Column("CLTV", INTEGER, minimum=0, maximum=100_000),
        Column(
            "Churn Category",
            CATEGORY,
            required=False,  # empty unless churned
            categories=("Attitude", "Competitor", "Dissatisfaction", "Other", "Price"),
        ),
        Column("Churn Reason", STRING, required=False),
    ),
    key=("customer_id",),
    required=True,
    agreements=(("churn_label", "churn_value"),),
)

USAGE = Feed(
    "usage",
    (
        _id(),
        Column("Usage Date", DATE, not_after_batch=True),  # usage is reported after the day
        Column("Data GB", FLOAT, minimum=0, maximum=10_000),
        Column("Voice Minutes", INTEGER, minimum=0, maximum=1440),
        Column("SMS Count", INTEGER, minimum=0, maximum=100_000),
        Column("Roaming Minutes", INTEGER, minimum=0, maximum=1440),
    ),
    key=("customer_id", "usage_date"),
    required=False,
)

FEEDS: dict[str, Feed] = {
    f.name: f for f in (DEMOGRAPHICS, LOCATION, POPULATION, SERVICES, STATUS, USAGE)
}
CUSTOMER_FEEDS = ("demographics", "location", "services", "status")
REQUIRED_FEEDS = tuple(name for name, f in FEEDS.items() if f.required)

# Reasonable churn vocabulary, used by the generator and documented for analysts.
CHURN_REASONS = {
    "Competitor": (
        "Competitor had better devices",
        "Competitor made better offer",
        "Competitor offered more data",
        "Competitor offered higher download speeds",
    ),
    "Dissatisfaction": (
        "Product dissatisfaction",
        "Network reliability",
        "Service dissatisfaction",
        "Limited range of services",
    ),
    "Attitude": ("Attitude of support person", "Attitude of service provider"),
    "Price": ("Price too high", "Extra data charges", "Long distance charges"),
    "Other": ("Moved", "Deceased", "Don't know"),
}
''',
    'telco360.shipped.job_errors': r'''"""What an operator reads when a Glue job fails inside Spark.

An error raised by Spark, Py4J or the JVM carries a Java class name and a stack trace hundreds
of lines long, which says nothing to the person paged. Each Glue job's `run` is wrapped by
`readable_spark_errors`: such an error is logged in full (the job's log keeps every detail)
and replaced by `SparkJobFailed`, whose message is one paragraph: which job, which batch, that
nothing of the batch was published, and what to do. The project's own errors (bad input,
a quarantine gate, a missing input) pass through unchanged.

Standard library only: bundled into glue/*.py with the jobs (`make glue`).
"""

from __future__ import annotations

import functools
import logging

SPARK_MODULES = ("py4j", "pyspark")


class SparkJobFailed(Exception):
    """Spark could not finish a job; the full error is in the job's log."""


def from_spark(error: BaseException) -> bool:
    """True for an exception raised by Spark, Py4J or the JVM (not by this project)."""
    return any(
        (klass.__module__ or "").split(".")[0] in SPARK_MODULES for klass in type(error).__mro__
    )


def spark_condition(error: BaseException) -> str | None:
    """Spark's documented error condition (e.g. `PYTHON_VERSION_MISMATCH`), when it names one."""
    condition = getattr(error, "getCondition", None) or getattr(error, "getErrorClass", None)
    try:
        return condition() if condition else None
    except Exception:  # a JVM-side error without a condition
        return None


def readable_spark_errors(job: str, what_is_published: str):
    """Decorate a Glue job's `run(spark, lake_root, batch_date, ...)` (see the module doc)."""

    def decorate(run):
        @functools.wraps(run)
        def wrapped(spark, lake_root, batch_date, *args, **kwargs):
            try:
                return run(spark, lake_root, batch_date, *args, **kwargs)
            except Exception as error:
                if not from_spark(error):
                    raise
                logging.getLogger(job).exception("%s failed inside Spark", job)
                condition = spark_condition(error)
                named = f" (Spark error condition {condition})" if condition else ""
                raise SparkJobFailed(
                    f"{job} could not finish batch {batch_date}: Spark stopped with an internal "
                    f"error{named}. Nothing of this batch was published ({what_is_published} "
                    "is written only when the job succeeds), so running the batch again is "
                    "safe. The full error is in the job's log (Glue: the job run's CloudWatch "
                    "log; locally: the console output above); if a re-run with the same input "
                    "fails the same way, report it with that log."
                ) from None

        return wrapped

    return decorate
''',
    'telco360.shipped.jobs': r'''"""The two Glue jobs' logic (A: clean_standardize, B: build_staging): pure DataFrame
transforms plus `run(spark, lake_root, batch_date, ...)`. Imported by the local runner, the
tests and the benchmarks; on AWS, `glue_entry` calls the same `run`."""
''',
    'telco360.shipped.jobs.build_staging': r'''"""Glue job B, "Build Staging": the latest state of every customer and zip code as of batch D,
D's changes, and D's usage facts, published atomically under `staging/`.

    python -m telco360.local.run_job build_staging --lake_root <folder | s3://...> \
        --batch_date YYYY-MM-DD

Cost follows the day's delta, not history: the state for D is the state files of the latest
committed batch before D (listed by its manifest) merged with D's standardized rows. Every file
of a run goes under a fresh `run=<run_id>` folder; the manifest (commit marker) is written last.
Layout and schemas: docs/DATA_LAYOUT.md. On AWS Glue 6.0
`telco360.shipped.jobs.glue_entry` calls `run`; locally the runner imports it.
"""

from __future__ import annotations

import json
import math
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import (
    BooleanType,
    DataType,
    DateType,
    DecimalType,
    DoubleType,
    IntegerType,
    StringType,
    StructField,
    StructType,
)

from telco360.shipped import lake_layout
from telco360.shipped.contract import (
    CONTRACT_VERSION,
    CUSTOMER_FEEDS,
    FEEDS,
    LINEAGE_COLUMNS,
)
from telco360.shipped.job_errors import (
    readable_spark_errors,
)
from telco360.shipped.lake_io import (
    delete_tree,
    exists,
    join,
    list_names,
    partition_values,
    read_json,
    write_json,
)
from telco360.shipped.lake_layout import batch_path

SCHEMA_VERSION = 1
JOB_NAME = "build_staging"
ENTITIES_AT_ONCE = 3  # customers, population, usage: built concurrently (see run)

# A delta of at most this many rows sent (job A's standardized rows of the entity's feeds, so at
# most this many keys) is broadcast to the state scan: the (large) state is then read, merged
# and written in one pass with no shuffle. Bigger deltas (e.g. the first load) use an ordinary
# shuffle join. Decided from job A's counts, before the delta is built: counting its keys first
# cost a Spark job per entity.
BROADCAST_MAX_ROWS = 200_000
# Output files are coalesced to about this many rows each (a few files per batch).
ROWS_PER_FILE = 500_000
# A day's delta of at most this many standardized rows is resolved in one task, without a
# shuffle (see latest_per_key).
SINGLE_TASK_MAX_ROWS = 100_000

# The outputs of one batch, keyed as in the manifest's "files".
OUTPUTS = (
    "customers/state",
    "customers/changes",
    "population/state",
    "population/changes",
    "usage/changes",
)


class OutOfOrderBatch(Exception):
    """D is older than the latest committed batch: building it would fork the state chain."""


class PendingEarlierBatch(OutOfOrderBatch):
    """An earlier batch was standardized but never committed: D would silently skip it."""


class MissingStandardizedInput(Exception):
    """Job A's output (or its metrics file) for D is missing."""


class StandardizedSchemaMismatch(Exception):
    """Job A's Parquet for a feed lacks a contract or lineage column."""


# ---- the entity model (derived from the contract) -----------------------------------------

# Columns that identify or describe the export rather than the customer: not kept in staging.
_NOT_IN_STATE = ("count", "quarter")


def feed_value_columns(feed_name: str) -> list[str]:
    """The columns a feed owns in its entity's state: everything but the key, count, quarter."""
    feed = FEEDS[feed_name]
    return [c for c in feed.column_names if c not in feed.key and c not in _NOT_IN_STATE]


CUSTOMER_COLUMNS = {name: feed_value_columns(name) for name in CUSTOMER_FEEDS}
POPULATION_COLUMNS = {"population": ["id", "population"]}
USAGE_VALUES = feed_value_columns("usage")
BOOKKEEPING = [("first_seen_batch", "date"), ("last_changed_batch", "date"), ("batch_date", "date")]


def _spark_type(feed_name: str, column: str) -> str:
    return FEEDS[feed_name].column(column).spark_type


def _spark_data_type(name: str) -> DataType:
    # Built here (not parsed from DDL) so schemas exist before any Spark session does.
    return {
        "string": StringType(),
        "int": IntegerType(),
        "double": DoubleType(),
        "boolean": BooleanType(),
        "date": DateType(),
        "decimal(12,2)": DecimalType(12, 2),
    }[name]


def _schema(fields: list[tuple[str, str]]) -> StructType:
    return StructType([StructField(n, _spark_data_type(t), True) for n, t in fields])


def state_schema(key: tuple[str, ...], key_feed: str, columns: dict[str, list[str]]) -> StructType:
    fields = [(k, _spark_type(key_feed, k)) for k in key]
    for feed, names in columns.items():
        fields += [(c, _spark_type(feed, c)) for c in names]
    return _schema(fields + BOOKKEEPING)


CUSTOMER_KEY = ("customer_id",)
POPULATION_KEY = ("zip_code",)
USAGE_KEY = ("customer_id", "usage_date")
CUSTOMER_STATE_SCHEMA = state_schema(CUSTOMER_KEY, "demographics", CUSTOMER_COLUMNS)
POPULATION_STATE_SCHEMA = state_schema(POPULATION_KEY, "population", POPULATION_COLUMNS)


def standardized_schema(feed_name: str) -> StructType:
    feed = FEEDS[feed_name]
    return _schema([(c.name, c.spark_type) for c in feed.columns] + list(LINEAGE_COLUMNS))


# ---- pure transforms (DataFrame -> DataFrame) -----------------------------------------------


def sql_name(name: str) -> str:
    """A column reference in SQL text (backquoted: contract names such as `count` are SQL
    words). The per-column expressions are SQL text: built with Column functions instead,
    every `F.col`, `.cast`, `.alias` is a round trip to the JVM, thousands per batch."""
    return "`" + name.replace("`", "``") + "`"


def latest_per_key(
    feeds: dict[str, DataFrame],
    key: tuple[str, ...],
    columns: dict[str, list[str]],
    rows: int | None = None,
) -> DataFrame:
    """One row per key across several feeds of one batch (a single shuffle, or none).

    For each feed: `_v_<feed>`, the struct of the feed's columns from the row that wins
    precedence (later `source_file`, then later `source_line`), NULL when the feed did not send
    the key; and `_n_<feed>`, how many rows the feed sent for the key. `rows`: how many rows
    the feeds hold together, when known (job A's metrics); at most SINGLE_TASK_MAX_ROWS, they
    are grouped in one task.
    """
    wide = []
    for feed, frame in feeds.items():
        values = "struct(" + ", ".join(sql_name(c) for c in columns[feed]) + ")"
        order = "struct(source_file, source_line)"
        wide.append(
            frame.selectExpr(
                *[sql_name(k) for k in key],
                *[f"{values if other == feed else 'NULL'} AS _v_{other}" for other in columns],
                *[f"{order if other == feed else 'NULL'} AS _o_{other}" for other in columns],
            )
        )
    union = wide[0]
    for frame in wide[1:]:
        union = union.unionByName(frame)
    aggregates = []
    for feed in columns:
        # max_by skips rows whose ordering is NULL, i.e. rows of the other feeds.
        aggregates.append(F.max_by(f"_v_{feed}", f"_o_{feed}").alias(f"_v_{feed}"))
        aggregates.append(F.count(f"_o_{feed}").alias(f"_n_{feed}"))
    if rows is not None and rows <= SINGLE_TASK_MAX_ROWS:
        # One partition already has every row of a key together: Spark groups it in the same
        # stage, with no shuffle, which saves a Spark job (and its planning) per entity, most
        # of the time a small delta takes (bench/README.md, "Small deltas without a shuffle").
        return union.coalesce(1).groupBy(*key).agg(*aggregates)
    # max_by over structs has no fixed-width buffer, so Spark aggregates by sorting. Grouping
    # straight away would sort twice (a partial aggregate before the shuffle, which gains
    # nothing here: a key's rows come from different feeds, hence different input partitions,
    # and the final one after it); repartitioning by the key first leaves one sort.
    return union.repartition(*key).groupBy(*key).agg(*aggregates)


def merge_state(
    previous: DataFrame,
    delta: DataFrame,
    key: tuple[str, ...],
    columns: dict[str, list[str]],
    batch_date: str,
    broadcast_delta: bool = True,
) -> DataFrame:
    """The state as of `batch_date`: `previous` (state of the batch before) updated by `delta`
    (from `latest_per_key`). Each feed replaces only its own columns, and only for keys it sent.

    Returns the state columns plus `change_type` (INSERT | UPDATE | NULL), `changed_feeds`
    (feeds whose values changed, comma-separated, NULL-safe comparison), `_resent_unchanged` and
    `_duplicates` (the key's rows superseded by a later row of the same feed within the batch).
    """
    value_columns = [c for names in columns.values() for c in names]
    delta_columns = [f"_v_{f}" for f in columns] + [f"_n_{f}" for f in columns]
    right = F.broadcast(delta) if broadcast_delta else delta
    previous = previous.drop("batch_date")  # every row of the new state gets D
    existing = previous.join(right.select(*key, *delta_columns), list(key), "left").withColumn(
        "_existed", F.lit(True)
    )
    # New keys: the anti join reads only the key column of the previous state.
    state_types = {f.name: f.dataType.simpleString() for f in previous.schema.fields}
    fresh = delta.join(previous.select(*key), list(key), "left_anti").selectExpr(
        *[sql_name(k) for k in key],
        *delta_columns,
        *[f"CAST(NULL AS {state_types[c]}) AS {sql_name(c)}" for c in value_columns],
        "CAST(NULL AS DATE) AS first_seen_batch",
        "CAST(NULL AS DATE) AS last_changed_batch",
        "true AS _new",
    )
    both = existing.withColumn("_new", F.lit(False)).unionByName(
        fresh.withColumn("_existed", F.lit(False))
    )

    # Stage 1: per feed, was the key sent, and did its values change? Kept as columns so the
    # long comparisons are evaluated once, not inlined into every expression that uses them.
    flags = []
    for feed, names in columns.items():
        sent = F.col(f"_v_{feed}").isNotNull()
        # Struct <=> compares field by field, NULL fields equal only to NULL: null-safe per column.
        same = F.struct(*[F.col(c) for c in names]).eqNullSafe(F.col(f"_v_{feed}"))
        flags += [sent.alias(f"_s_{feed}"), (sent & (F.col("_new") | ~same)).alias(f"_c_{feed}")]
    flagged = both.select("*", *flags)
    any_sent = (
        F.greatest(*[F.col(f"_s_{f}") for f in columns])
        if len(columns) > 1
        else (F.col(f"_s_{next(iter(columns))}"))
    )
    any_changed = (
        F.greatest(*[F.col(f"_c_{f}") for f in columns])
        if len(columns) > 1
        else (F.col(f"_c_{next(iter(columns))}"))
    )
    flagged = flagged.select("*", any_sent.alias("_any_sent"), any_changed.alias("_any_changed"))

    # Stage 2: the new state row.
    d = F.lit(batch_date).cast("date")
    change_type = (
        F.when(F.col("_new"), F.lit("INSERT"))
        .when(F.col("_any_changed"), F.lit("UPDATE"))
        .otherwise(F.lit(None).cast("string"))
    )
    new_values = [
        F.expr(
            f"CASE WHEN _s_{feed} THEN _v_{feed}.{sql_name(c)} ELSE {sql_name(c)} END AS "
            f"{sql_name(c)}"
        )
        for feed, names in columns.items()
        for c in names
    ]
    return flagged.select(
        *key,
        *new_values,
        F.coalesce(F.col("first_seen_batch"), d).alias("first_seen_batch"),
        F.when(F.col("_any_changed"), d)
        .otherwise(F.col("last_changed_batch"))
        .alias("last_changed_batch"),
        d.alias("batch_date"),
        change_type.alias("change_type"),
        F.concat_ws(",", *[F.when(F.col(f"_c_{f}"), F.lit(f)) for f in columns]).alias(
            "changed_feeds"
        ),
        (F.col("_any_sent") & ~F.col("_any_changed")).alias("_resent_unchanged"),
        F.expr(
            " + ".join(f"coalesce(greatest(_n_{f} - 1, 0), 0)" for f in columns) + " AS _duplicates"
        ),
    )


def usage_changes(usage: DataFrame, batch_date: str, rows: int | None = None) -> DataFrame:
    """D's usage facts, latest row per (customer_id, usage_date), as UPSERTs (`rows`: see
    latest_per_key)."""
    latest = latest_per_key({"usage": usage}, USAGE_KEY, {"usage": USAGE_VALUES}, rows)
    return latest.select(
        *USAGE_KEY,
        *[F.col(f"_v_usage.{c}").alias(c) for c in USAGE_VALUES],
        F.lit(batch_date).cast("date").alias("batch_date"),
        F.lit("UPSERT").alias("change_type"),
        "_n_usage",
    )


# ---- reading ---------------------------------------------------------------------------------


def _marker(lake_root: str, batch_date: str) -> str:
    return join(lake_root, lake_layout.marker_file(batch_date))


def _backfill_hint(batch_date: str) -> str:
    return (
        f"re-run {batch_date} and every later date in order: "
        f"`telco360 backfill --from {batch_date}` (locally) / "
        f"`telco360 backfill --aws --from {batch_date}`"
    )


def previous_batch(lake_root: str, batch_date: str) -> str | None:
    """The committed batch D builds on; refuses dates that would fork or skip the chain."""
    committed = lake_layout.committed_dates(lake_root)
    if committed and committed[-1] > batch_date:
        raise OutOfOrderBatch(
            f"batch {batch_date} is older than the latest committed staging batch "
            f"{committed[-1]}; building it alone would leave later state stale. To rebuild it, "
            + _backfill_hint(batch_date)
        )
    before = [d for d in committed if d < batch_date]
    previous = before[-1] if before else None
    metrics = join(lake_root, lake_layout.METRICS_DIR)
    skipped = [
        d
        for d in partition_values(metrics, lake_layout.INGEST_PARTITION)
        if (previous is None or d > previous) and d < batch_date
    ]
    if skipped:
        raise PendingEarlierBatch(
            f"batch {batch_date} cannot be built yet: earlier batch(es) {', '.join(skipped)} "
            f"are standardized but not committed to staging, and state is built in date order. "
            + _backfill_hint(skipped[0])
        )
    return previous


def read_metrics(lake_root: str, batch_date: str) -> dict:
    path = join(lake_root, lake_layout.metrics_file(batch_date))
    if not exists(path):
        raise MissingStandardizedInput(
            f"job A's metrics for batch {batch_date} are missing ({path}): run job A "
            f"(clean_standardize) for {batch_date} first"
        )
    return read_json(path)


def parquet_files(folder: str) -> list[str]:
    return [join(folder, n) for n in list_names(folder) if n.endswith(".parquet")]


# Where Spark keeps the schema of a DataFrame it wrote, in each Parquet file's footer.
SPARK_SCHEMA_KEY = "org.apache.spark.sql.parquet.row.metadata"


def file_schema(spark: SparkSession, path: str) -> StructType:
    """The schema Spark infers for Parquet `path`, read from its footer by the driver.

    What `spark.read.parquet(path)` infers (the Spark schema stored in the footer, or else one
    derived from the Parquet schema), without the Spark job it runs to read one footer: job B
    read six feeds, six jobs of fixed cost in every run. Files Spark did not write have no
    stored schema and are left to Spark's own inference."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    hadoop_file = jvm.org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(
        jvm.org.apache.hadoop.fs.Path(path), conf
    )
    reader = jvm.org.apache.parquet.hadoop.ParquetFileReader.open(hadoop_file)
    try:
        stored = reader.getFooter().getFileMetaData().getKeyValueMetaData().get(SPARK_SCHEMA_KEY)
    finally:
        reader.close()
    if stored is None:
        return spark.read.parquet(path).schema
    return StructType.fromJson(json.loads(stored))


def read_standardized(
    spark: SparkSession, lake_root: str, feed_name: str, batch_date: str, metrics: dict
) -> DataFrame:
    """One feed's standardized rows of D in contract order and types (empty when not sent)."""
    schema = standardized_schema(feed_name)
    folder = join(lake_root, batch_path("standardized", feed_name, batch_date))
    files = parquet_files(folder)
    if not files:
        sent = metrics.get("feeds", {}).get(feed_name, {}).get("rows_standardized", 0)
        if sent:
            raise MissingStandardizedInput(
                f"job A's metrics for batch {batch_date} report {sent} standardized "
                f"{feed_name} rows but {folder} has no Parquet files: re-run job A "
                f"(clean_standardize) for {batch_date} first"
            )
        return empty_frame(spark, schema)
    frame = spark.read.schema(file_schema(spark, files[0])).parquet(*files)
    missing = [f.name for f in schema.fields if f.name not in frame.columns]
    if missing:
        raise StandardizedSchemaMismatch(
            f"standardized {feed_name} for batch {batch_date} ({folder}) lacks column(s) "
            f"{', '.join(missing)}: re-run job A (clean_standardize) for {batch_date} with the "
            f"current contract"
        )
    # As SQL text: one call into the JVM, not several per column (see sql_name).
    return frame.selectExpr(
        *[
            f"CAST({sql_name(f.name)} AS {f.dataType.simpleString()}) AS {sql_name(f.name)}"
            for f in schema.fields
        ]
    )


def read_state(
    spark: SparkSession, lake_root: str, manifest: dict | None, output: str, schema: StructType
) -> DataFrame:
    """The state files listed by the previous batch's manifest (never a folder listing)."""
    files = state_files(manifest, output)
    if not files:
        return empty_frame(spark, schema)  # the first batch: no state yet
    return spark.read.schema(schema).parquet(*[join(lake_root, f) for f in files])


def state_files(manifest: dict | None, output: str) -> list[str]:
    """The files of `output` the previous batch's manifest lists (none before the first)."""
    return (manifest or {}).get("files", {}).get(output, [])


def empty_frame(spark: SparkSession, schema: StructType) -> DataFrame:
    """No rows, with `schema`'s columns, as a plan Spark's optimizer knows to be empty.

    (`spark.createDataFrame([], schema)` is a Python RDD: every query over it starts Python
    workers, and the optimizer cannot tell it is empty. An always-false filter becomes an empty
    local relation (Spark's PruneFilters rule), and PropagateEmptyRelation then drops the joins
    with it: the first batch's merge is a projection of the delta.)"""
    columns = [f"CAST(NULL AS {f.dataType.simpleString()}) AS {sql_name(f.name)}" for f in schema]
    return spark.range(1).selectExpr(*columns).where("false")


# ---- writing and committing ------------------------------------------------------------------


def write_output(frame: DataFrame, lake_root: str, rel_folder: str, rows: int) -> list[str]:
    """Write a few Parquet files; return their lake-relative paths (what the manifest lists).

    An empty output writes and lists no file: Snowflake's COPY need not report a zero-row
    file as LOADED, and the loader counts the files it loaded against the list. The
    manifest's counts (entities) say 0 rows, which the load checks."""
    if rows == 0:
        return []
    files = max(1, math.ceil(rows / ROWS_PER_FILE))
    frame.coalesce(files).write.mode("overwrite").parquet(join(lake_root, rel_folder))
    names = [n for n in list_names(join(lake_root, rel_folder)) if n.endswith(".parquet")]
    return [f"{rel_folder}/{n}" for n in names]


def write_marker(lake_root: str, manifest: dict) -> None:
    """The commit: until this file exists, batch D does not exist for anyone downstream."""
    write_json(_marker(lake_root, manifest["batch_date"]), manifest)


def remove_stale_runs(lake_root: str, batch_date: str, run_id: str) -> None:
    """After the commit, other runs of D (failed or superseded) are garbage: remove them."""
    for output in OUTPUTS:
        folder = join(lake_root, lake_layout.staging_dir(output, batch_date))
        for run in partition_values(folder, "run"):
            if run != run_id:
                delete_tree(join(folder, f"run={run}"))


# ---- the job ---------------------------------------------------------------------------------


def _build_entity(
    previous: DataFrame,
    delta: DataFrame,
    key: tuple[str, ...],
    columns: dict[str, list[str]],
    batch_date: str,
    rows_sent: int,
    first_batch: bool,
) -> tuple[DataFrame, dict]:
    """Merge, cache and count one entity (one Spark action). Returns the merged frame (persisted)
    and its counts.

    The merge reads a later batch's delta twice (the join, and the anti join that finds new
    keys): it is cached. The first batch's merge is a projection of the delta (no state to join
    with), which reads it once: caching it too would build a second copy of every row
    (bench/README.md, "Job B: one cache and one count per entity")."""
    if not first_batch:
        delta = delta.persist()
    merged = merge_state(
        previous,
        delta,
        key,
        columns,
        batch_date,
        broadcast_delta=rows_sent <= BROADCAST_MAX_ROWS,
    ).persist()
    row = merged.agg(
        F.sum("_duplicates").alias("duplicates"),
        F.count(F.lit(1)).alias("total"),
        F.sum(F.when(F.col("change_type") == "INSERT", 1).otherwise(0)).alias("inserted"),
        F.sum(F.when(F.col("change_type") == "UPDATE", 1).otherwise(0)).alias("updated"),
        F.sum(F.when(F.col("_resent_unchanged"), 1).otherwise(0)).alias("unchanged"),
    ).first()
    delta.unpersist()
    counts = {
        "inserted": int(row["inserted"] or 0),
        "updated": int(row["updated"] or 0),
        "unchanged": int(row["unchanged"] or 0),
        "total": int(row["total"]),
        "duplicates_resolved": int(row["duplicates"] or 0),
    }
    return merged, counts


@readable_spark_errors("build_staging (job B)", "the commit marker")
def run(spark: SparkSession, lake_root: str, batch_date: str, run_id: str | None = None) -> dict:
    """Build and commit staging batch `batch_date`; returns the manifest."""
    batch_date = date.fromisoformat(batch_date).isoformat()
    run_id = run_id or f"local-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"
    previous = previous_batch(lake_root, batch_date)
    metrics = read_metrics(lake_root, batch_date)
    previous_manifest = read_json(_marker(lake_root, previous)) if previous else None

    def standardized(feed: str) -> DataFrame:
        return read_standardized(spark, lake_root, feed, batch_date, metrics)

    def rows_sent(feeds) -> int:
        """The feeds' standardized rows of D, as job A counted them."""
        sent = metrics.get("feeds", {})
        return sum(int(sent.get(f, {}).get("rows_standardized", 0)) for f in feeds)

    files: dict[str, list[str]] = {}
    entities: dict[str, dict] = {}

    def rel(output: str) -> str:
        return f"{lake_layout.staging_dir(output, batch_date)}/run={run_id}"

    def build_state(entity, key, columns, schema) -> tuple[dict, dict]:
        """One entity's state and changes: ({output: files}, counts)."""
        delta = latest_per_key(
            {f: standardized(f) for f in columns}, key, columns, rows_sent(columns)
        )
        prior = read_state(spark, lake_root, previous_manifest, f"{entity}/state", schema)
        prior_is_empty = not state_files(previous_manifest, f"{entity}/state")
        merged, counts = _build_entity(
            prior, delta, key, columns, batch_date, rows_sent(columns), first_batch=prior_is_empty
        )
        state_columns = [f.name for f in schema.fields]
        change_columns = state_columns + ["change_type"]
        if entity == "customers":
            change_columns.append("changed_feeds")
        changes = merged.where(F.col("change_type").isNotNull())
        written = {
            f"{entity}/state": write_output(
                merged.select(*state_columns), lake_root, rel(f"{entity}/state"), counts["total"]
            ),
            f"{entity}/changes": write_output(
                changes.select(*change_columns),
                lake_root,
                rel(f"{entity}/changes"),
                counts["inserted"] + counts["updated"],
            ),
        }
        merged.unpersist()
        return written, counts

    def build_usage() -> tuple[dict, dict]:
        usage = usage_changes(standardized("usage"), batch_date, rows_sent(["usage"])).persist()
        rows, dups = usage.agg(
            F.count(F.lit(1)), F.coalesce(F.sum(F.col("_n_usage") - 1), F.lit(0))
        ).first()
        written = {
            "usage/changes": write_output(
                usage.drop("_n_usage"), lake_root, rel("usage/changes"), rows
            )
        }
        usage.unpersist()
        return written, {"rows": int(rows), "duplicates_resolved": int(dups)}

    # The three entities are independent: built concurrently, so both cores stay busy while
    # one of them is being planned on the driver or runs a step with few tasks.
    with ThreadPoolExecutor(max_workers=ENTITIES_AT_ONCE, thread_name_prefix="entity") as pool:
        running = {
            "customers": pool.submit(
                build_state, "customers", CUSTOMER_KEY, CUSTOMER_COLUMNS, CUSTOMER_STATE_SCHEMA
            ),
            "population": pool.submit(
                build_state,
                "population",
                POPULATION_KEY,
                POPULATION_COLUMNS,
                POPULATION_STATE_SCHEMA,
            ),
            "usage": pool.submit(build_usage),
        }
        for entity, future in running.items():  # a fixed order: the manifest reads the same
            written, counts = future.result()
            files.update(written)
            entities[entity] = counts

    manifest = {
        "schema_version": SCHEMA_VERSION,
        "batch_date": batch_date,
        "run_id": run_id,
        "previous_batch": previous,
        "committed_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "job": JOB_NAME,
        "contract_version": CONTRACT_VERSION,
        "feeds": metrics.get("feeds", {}),
        "entities": entities,
        "files": files,
    }
    write_marker(lake_root, manifest)
    remove_stale_runs(lake_root, batch_date, run_id)
    return manifest
''',
    'telco360.shipped.jobs.glue_entry': r'''"""What AWS Glue runs: read the job arguments, take Glue's Spark session, call the job's `run`.

The only module that imports `awsglue` (it exists on Glue only). The file Glue uploads for
each job, `glue/<job>.py`, is generated from this package (`telco360.ops.glue_bundle`) and ends by
calling one of the functions below. Errors propagate: Glue marks the run FAILED with the
message, and the state machine's Catch sends it to the notifier.

Around each job, what only AWS has: the Glue Data Catalog tables of the job's zones
(`telco360.shipped.catalog`; job B registers the committed batch's partitions) and, after job A,
its data-quality metrics in CloudWatch (`telco360.shipped.quality_metrics`).
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

from telco360.shipped import catalog, lake_io, lake_layout, quality_metrics


def _glue_job(argv: list[str] | None, names: list[str]):
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from awsglue.utils import getResolvedOptions
    from pyspark.context import SparkContext

    args = getResolvedOptions(sys.argv if argv is None else argv, ["JOB_NAME", *names])
    glue = GlueContext(SparkContext.getOrCreate())
    job = Job(glue)
    job.init(args["JOB_NAME"], args)
    return glue.spark_session, job, args


def clean_standardize(argv: list[str] | None = None) -> int:
    """Job A on Glue: `--JOB_NAME --lake_root --batch_date --quarantine_threshold`, and for the
    catalog and metrics `--catalog_database --metrics_namespace`."""
    import boto3

    from telco360.shipped.jobs import clean_standardize as job_a

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    job_arguments = ["lake_root", "batch_date", "quarantine_threshold"]
    spark, job, args = _glue_job(argv, [*job_arguments, "catalog_database", "metrics_namespace"])
    lake_root, batch_date = args["lake_root"], job_a.batch_date_value(args["batch_date"])
    # Tables first: a batch stopped by the quarantine gate is queryable in quarantine_<feed>.
    catalog.ensure_tables(
        boto3.client("glue"), args["catalog_database"], catalog.ZONE_TABLES, lake_root, batch_date
    )
    job_a.run(
        spark, lake_root, batch_date, job_a.quarantine_threshold_value(args["quarantine_threshold"])
    )
    metrics = lake_io.read_json(lake_io.join(lake_root, lake_layout.metrics_file(batch_date)))
    data = quality_metrics.metric_data(metrics, datetime.now(UTC))
    quality_metrics.publish(boto3.client("cloudwatch"), args["metrics_namespace"], data)
    job.commit()
    return 0


def build_staging(argv: list[str] | None = None) -> int:
    """Job B on Glue: `--JOB_NAME --lake_root --batch_date --catalog_database` (the Glue run id
    names the run)."""
    import boto3

    from telco360.shipped.jobs import build_staging as job_b

    spark, job, args = _glue_job(argv, ["lake_root", "batch_date", "catalog_database"])
    glue, database, lake_root = boto3.client("glue"), args["catalog_database"], args["lake_root"]
    catalog.ensure_tables(glue, database, catalog.STAGING_TABLES, lake_root, args["batch_date"])
    manifest = job_b.run(spark, lake_root, args["batch_date"], args.get("JOB_RUN_ID"))
    # Read back the commit marker: the partitions point at the run it names.
    marker = lake_layout.marker_file(manifest["batch_date"])
    committed = lake_io.read_json(lake_io.join(lake_root, marker))
    catalog.register_batch(glue, database, lake_root, committed)
    print(f"committed staging batch {manifest['batch_date']}: {manifest['entities']}")
    job.commit()
    return 0
''',
    'telco360.shipped.lake_io': r'''"""Small file operations on the lake root, which is a local folder or `s3://bucket/prefix`.

Spark reads and writes the data files itself; this module does the few things Spark does not:
small JSON documents (metrics, commit markers), listing batch folders, and removing a batch
folder before it is rewritten, and a file's first line (a ranged read on S3). Standard library
only (boto3 is imported lazily, on S3 only): it ships to Glue (glue/*.py, `make glue`) and to
the Lambdas (the SAM-built layer).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zlib


def is_s3(uri: str) -> bool:
    return uri.startswith("s3://")


def join(root: str, *parts: str) -> str:
    """Join lake path parts; a local root becomes absolute so Spark and Python agree."""
    base = root.rstrip("/") if is_s3(root) else os.path.abspath(root)
    return "/".join([base, *(p.strip("/") for p in parts if p)])


def _split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key


def _s3():
    import boto3  # only on AWS (Glue ships boto3)

    return boto3.client("s3")


def write_text(uri: str, text: str) -> None:
    """Write a small text object atomically: readers see the old content or the new, never half."""
    if is_s3(uri):
        bucket, key = _split_s3(uri)
        _s3().put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"))
        return
    folder = os.path.dirname(uri)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, uri)


def read_text(uri: str) -> str:
    if is_s3(uri):
        bucket, key = _split_s3(uri)
        return _s3().get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
    with open(uri, encoding="utf-8") as f:
        return f.read()


def write_json(uri: str, document: dict) -> None:
    write_text(uri, json.dumps(document, indent=2, sort_keys=True, default=str) + "\n")


def read_json(uri: str) -> dict:
    return json.loads(read_text(uri))


def exists(uri: str) -> bool:
    if is_s3(uri):
        bucket, key = _split_s3(uri)
        found = _s3().list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
        return found.get("KeyCount", 0) > 0
    return os.path.exists(uri)


def list_names(uri: str) -> list[str]:
    """Sorted names of the immediate children (files and folders) of a folder; [] if absent."""
    if is_s3(uri):
        bucket, key = _split_s3(uri)
        prefix = key.rstrip("/") + "/"
        names: set[str] = set()
        pages = _s3().get_paginator("list_objects_v2")
        for page in pages.paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
            names.update(
                p["Prefix"][len(prefix) :].rstrip("/") for p in page.get("CommonPrefixes", [])
            )
            names.update(o["Key"][len(prefix) :] for o in page.get("Contents", []))
        return sorted(n for n in names if n)
    if not os.path.isdir(uri):
        return []
    return sorted(os.listdir(uri))


def list_files(uri: str) -> list[tuple[str, int]]:
    """(name, size in bytes) of the files directly in a folder, sorted by name; [] if absent."""
    if is_s3(uri):
        bucket, key = _split_s3(uri)
        prefix = key.rstrip("/") + "/"
        found = []
        pages = _s3().get_paginator("list_objects_v2")
        for page in pages.paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
            for obj in page.get("Contents", []):
                if not obj["Key"].endswith("/"):  # console "folders"
                    found.append((obj["Key"][len(prefix) :], obj["Size"]))
        return sorted(found)
    if not os.path.isdir(uri):
        return []
    return [
        (n, os.path.getsize(os.path.join(uri, n)))
        for n in sorted(os.listdir(uri))
        if os.path.isfile(os.path.join(uri, n))
    ]


def uploads_in_progress(uri: str) -> list[str]:
    """Names of the files being uploaded into a folder (S3 multipart uploads not completed).
    A local copy in flight shows up as a temporary file name instead: always [] locally."""
    if not is_s3(uri):
        return []
    bucket, key = _split_s3(uri)
    prefix = key.rstrip("/") + "/"
    found = _s3().list_multipart_uploads(Bucket=bucket, Prefix=prefix)
    return sorted(u["Key"][len(prefix) :] for u in found.get("Uploads", []))


def read_range(uri: str, size: int, tail: bool = False) -> bytes:
    """The first (or, with `tail`, the last) `size` bytes of a non-empty file."""
    if is_s3(uri):
        bucket, key = _split_s3(uri)
        wanted = f"bytes=-{size}" if tail else f"bytes=0-{size - 1}"
        return _s3().get_object(Bucket=bucket, Key=key, Range=wanted)["Body"].read()
    with open(uri, "rb") as f:
        if tail:
            f.seek(max(0, os.path.getsize(uri) - size))
        return f.read(size)


def stream(uri: str, chunk: int = 1024 * 1024):
    """A file's bytes, `chunk` bytes at a time."""
    if is_s3(uri):
        bucket, key = _split_s3(uri)
        yield from _s3().get_object(Bucket=bucket, Key=key)["Body"].iter_chunks(chunk)
        return
    with open(uri, "rb") as f:
        while data := f.read(chunk):
            yield data


def delete_tree(uri: str) -> None:
    """Remove a folder and everything under it; absent is fine (re-runs are safe)."""
    if is_s3(uri):
        bucket, key = _split_s3(uri)
        prefix = key.rstrip("/") + "/"
        client = _s3()
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                client.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
        return
    shutil.rmtree(uri, ignore_errors=True)


def partition_values(uri: str, name: str) -> list[str]:
    """Values of `name=value` sub-folders, sorted: the batch dates present under a folder."""
    prefix = name + "="
    return sorted(n[len(prefix) :] for n in list_names(uri) if n.startswith(prefix))


def _read_head(uri: str, limit: int) -> tuple[bytes, bool]:
    """The first `limit` bytes of a file, and whether that is the whole file."""
    if is_s3(uri):
        bucket, key = _split_s3(uri)
        client = _s3()
        size = client.head_object(Bucket=bucket, Key=key)["ContentLength"]
        if size == 0:  # a Range on an empty object is an error
            return b"", True
        wanted = min(size, limit)
        body = client.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{wanted - 1}")["Body"]
        return body.read(), wanted == size
    with open(uri, "rb") as f:
        head = f.read(limit)
        return head, len(head) < limit or not f.read(1)


def read_first_line(uri: str, chunk: int = 64 * 1024) -> str | None:
    """A file's first line (its header) without the line break: LF, CRLF or CR, as Spark's
    text reader splits lines; None for an empty file. Reads only the start of the file (a
    ranged GET on S3), however large it is."""
    limit = chunk
    gzip = uri.lower().endswith(".gz")
    while True:
        head, whole = _read_head(uri, limit)
        if gzip:  # the start of the compressed bytes gives the start of the text
            inflate = zlib.decompressobj(wbits=31)
            head = inflate.decompress(head)
            whole = whole or inflate.eof
        breaks = [i for i in (head.find(b"\n"), head.find(b"\r")) if i >= 0]
        if breaks or whole:
            break
        limit *= 4
    if not head:
        return None
    return head[: min(breaks, default=len(head))].decode("utf-8", errors="replace")
''',
    'telco360.shipped.lake_layout': r'''"""Where everything lives in the lake: the one spelling of every path, relative to the lake root.

Zones hold one folder per feed and batch (`<zone>/<feed>/ingest_date=D`); job A marks a batch
standardized with its metrics file, job B commits it with its manifest (the commit marker),
and the local runtime keeps its alerts and its run lock beside the zones. docs/DATA_LAYOUT.md
describes each. Join a path to a root with `lake_io.join(root, path)`. Standard library only
(and lake_io): it ships to Glue (glue/*.py) and to the Lambdas (the SAM-built layer).
"""

from __future__ import annotations

from telco360.shipped import lake_io

RAW = "raw"
STANDARDIZED = "standardized"
QUARANTINE = "quarantine"
STAGING = "staging"

METRICS_DIR = "standardized/_metrics"  # job A's metrics, one folder per batch: `ingest_date=D`
BATCHES_DIR = "staging/_batches"  # job B's commit markers, one folder per batch: `batch_date=D`
ALERTS_DIR = "_alerts"  # local runs: the alert the notifier would send, per batch
RUN_LOCK = "_locks/run.lock"  # local runs: one run per lake

INGEST_PARTITION = "ingest_date"  # zones and metrics
BATCH_PARTITION = "batch_date"  # staging, commit markers, alerts


def batch_path(zone: str, feed: str, batch_date: str) -> str:
    """One feed's batch in a zone: `raw/services/ingest_date=2026-11-01`."""
    return f"{zone}/{feed}/{INGEST_PARTITION}={batch_date}"


def metrics_dir(batch_date: str) -> str:
    return f"{METRICS_DIR}/{INGEST_PARTITION}={batch_date}"


def metrics_file(batch_date: str) -> str:
    """Job A's metrics for a batch: written last, it marks the batch standardized."""
    return f"{metrics_dir(batch_date)}/metrics.json"


def marker_dir(batch_date: str) -> str:
    return f"{BATCHES_DIR}/{BATCH_PARTITION}={batch_date}"


def marker_file(batch_date: str) -> str:
    """Job B's manifest for a batch: the commit marker, written last."""
    return f"{marker_dir(batch_date)}/manifest.json"


def staging_dir(output: str, batch_date: str) -> str:
    """One staging output of a batch (e.g. `customers/state`); job B writes each run under it
    in its own `run=<run_id>` folder, and the manifest names the run that counts."""
    return f"{STAGING}/{output}/{BATCH_PARTITION}={batch_date}"


def alerts_dir(batch_date: str) -> str:
    return f"{ALERTS_DIR}/{BATCH_PARTITION}={batch_date}"


def committed_dates(lake_root: str) -> list[str]:
    """Batch dates whose commit marker exists, in order (a folder without one is not a batch):
    what job B builds on, and what the local runtime and the operator's tools call committed."""
    folder = lake_io.join(lake_root, BATCHES_DIR)
    return [
        d
        for d in lake_io.partition_values(folder, BATCH_PARTITION)
        if lake_io.exists(lake_io.join(lake_root, marker_file(d)))
    ]
''',
    'telco360.shipped.quality_metrics': r'''"""Per-batch data-quality numbers as CloudWatch metrics, from job A's metrics file.

For each feed of a batch (dimension `Feed`): rows read, standardized, quarantined, duplicates
dropped, the quarantine share (quarantined / read, 0 to 1, as the quarantine gate computes
it) and the rows quarantined per reason code (dimensions `Feed`, `Reason`); for the batch
(no dimension), the largest quarantine share of its feeds, which the warning alarm watches.
One datapoint per batch: a re-run publishes the same values again, so graphs use Maximum.

Glue does not turn its log lines into metrics (no embedded metric format there), so the Glue
driver publishes with PutMetricData after job A wrote its metrics file
(`telco360.shipped.jobs.glue_entry`); the stack's IAM allows that only in its own namespace.
`metric_data` is pure (tested on the metrics of a local run); `publish` only runs on Glue.
Standard library only: it ships to Glue (glue/*.py), which passes in its boto3 client.
"""

from __future__ import annotations

from datetime import datetime

FEED = "Feed"
REASON = "Reason"
# (metric name, key in a feed's metrics), all counts of rows
FEED_COUNTS = (
    ("RowsRead", "rows_read"),
    ("RowsStandardized", "rows_standardized"),
    ("RowsQuarantined", "rows_quarantined"),
    ("DuplicatesDropped", "duplicates_dropped"),
)
QUARANTINE_SHARE = "QuarantineShare"
QUARANTINED_BY_REASON = "RowsQuarantinedByReason"
MAX_QUARANTINE_SHARE = "MaxQuarantineShare"
PER_CALL = 20  # metrics per PutMetricData call (the API's historical limit; later ones allow more)


def quarantine_share(feed_metrics: dict) -> float:
    read = feed_metrics["rows_read"]
    return feed_metrics["rows_quarantined"] / read if read else 0.0


def _datum(name: str, dimensions: dict, value: float, unit: str, timestamp: datetime) -> dict:
    return {
        "MetricName": name,
        "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
        "Timestamp": timestamp,
        "Value": float(value),
        "Unit": unit,
    }


def metric_data(metrics: dict, timestamp: datetime) -> list[dict]:
    """The `MetricData` of one batch, from job A's metrics (docs/DATA_LAYOUT.md)."""
    data, shares = [], []
    for feed, m in sorted(metrics["feeds"].items()):
        dims = {FEED: feed}
        data += [_datum(name, dims, m[key], "Count", timestamp) for name, key in FEED_COUNTS]
        share = quarantine_share(m)
        shares.append(share)
        data.append(_datum(QUARANTINE_SHARE, dims, share, "None", timestamp))
        data += [
            _datum(QUARANTINED_BY_REASON, {FEED: feed, REASON: reason}, n, "Count", timestamp)
            for reason, n in sorted(m.get("quarantined_by_reason", {}).items())
        ]
    data.append(_datum(MAX_QUARANTINE_SHARE, {}, max(shares, default=0.0), "None", timestamp))
    return data


def publish(cloudwatch, namespace: str, data: list[dict]) -> int:
    """PutMetricData in calls of at most PER_CALL metrics; returns the number of calls."""
    calls = 0
    for start in range(0, len(data), PER_CALL):
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[start : start + PER_CALL])
        calls += 1
    return calls
''',
}


class _Bundle(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports the modules above from their text, ahead of anything on sys.path."""

    def find_spec(self, name, path=None, target=None):
        if name not in MODULES:
            return None
        origin = "telco360-bundle/" + name.replace(".", "/") + ".py"
        return importlib.util.spec_from_loader(
            name, self, origin=origin, is_package=name in PACKAGES
        )

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        code = compile(MODULES[module.__spec__.name], module.__spec__.origin, "exec")
        exec(code, module.__dict__)


sys.meta_path.insert(0, _Bundle())

if __name__ == "__main__":
    from telco360.shipped.jobs import glue_entry

    sys.exit(glue_entry.build_staging())
