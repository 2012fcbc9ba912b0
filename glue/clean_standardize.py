# GENERATED from src/telco360 by `make glue` (telco360.ops.glue_bundle). Never edit: change
# the package and run `make glue`; a test fails when this file is stale.
"""AWS Glue entry of job `clean_standardize`: `telco360.shipped.jobs.glue_entry.clean_standardize()` with
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
    'telco360.shipped.jobs.clean_standardize': r'''"""Glue job A, "Clean & Standardize": raw CSV exports -> typed Parquet + quarantine + metrics.

For one batch date D it reads `raw/<feed>/ingest_date=D/*.csv` (and `*.csv.gz`, which Spark
decompresses itself) for every feed present and writes
`standardized/<feed>/ingest_date=D/` (accepted rows, contract types, lineage),
`quarantine/<feed>/ingest_date=D/` (rejected rows with their original line and reason codes)
and, last, `standardized/_metrics/ingest_date=D/metrics.json` (docs/DATA_LAYOUT.md).

`run` is the job. On AWS Glue `telco360.shipped.jobs.glue_entry` calls it (`--JOB_NAME
--lake_root --batch_date --quarantine_threshold`); locally the runner imports it, or run
`python -m telco360.local.run_job clean_standardize --lake_root DIR --batch_date D`
(see QuarantineThresholdExceeded for `--quarantine_threshold`).

How a file is read, and why:
- Each CSV is read as text lines (splittable, so large files are read in parallel) and every
  physical line keeps its 1-based line number (the header is line 1), so a quarantined row can
  be traced back to the exact line of the exact file. A plain line (printable ASCII, no quote)
  is split on commas; any other line goes through Spark's built-in CSV parser (`from_csv`):
  quoted fields with commas and doubled quotes work. Both give the same fields for a plain line.
- Columns are matched by header name (the contract's `header_key` rule, as pre-flight does),
  never by position; unknown columns are ignored and reported as schema drift. All headers of
  all files are checked before anything is written: a file missing a contract column fails
  the job and writes nothing.
- Lines that are blank (empty or whitespace only) are not rows: they are skipped, not counted.
- A quoted field containing a line break spans several physical lines. A file with such lines
  (a line with an odd number of quotes opens a record, the next one closes it) has them joined
  back into one record, numbered by its first line; only such files pay for it (a window over
  the file's lines). A quote left open to the end of the file is not joined: that line is
  quarantined as `wrong_field_count`.
- A line identical to the file's header (a concatenated export) is quarantined as
  `repeated_header`: it is counted, and visible, but never taken for data.
- Every rule is a Spark built-in (`try_cast` & co.): dirty values never raise under ANSI mode
  and there is no per-row Python.
"""

from __future__ import annotations

import argparse
import logging
import math
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from telco360.shipped import lake_layout
from telco360.shipped.contract import (
    BOM,
    BOOLEAN,
    CATEGORY,
    CONTRACT_VERSION,
    DATE,
    DECIMAL,
    FALSE_WORDS,
    FEEDS,
    FLOAT,
    ID,
    INCONSISTENT_VALUES,
    INTEGER,
    INVALID_ENCODING,
    MALFORMED_KEY,
    MALFORMED_VALUE,
    MISSING_KEY,
    MISSING_REQUIRED,
    OUT_OF_RANGE,
    REASON_CODES,
    REPEATED_HEADER,
    REQUIRED_FEEDS,
    STRING,
    TRUE_WORDS,
    UNKNOWN_CATEGORY,
    UNPARSEABLE_BOOLEAN,
    UNPARSEABLE_DATE,
    UNPARSEABLE_NUMBER,
    WRONG_FIELD_COUNT,
    Column,
    Feed,
    category_key,
    header_fields,
    header_key,
    without_bom,
)
from telco360.shipped.job_errors import (
    from_spark,
    readable_spark_errors,
)
from telco360.shipped.lake_io import (
    delete_tree,
    exists,
    join,
    list_names,
    read_first_line,
    write_json,
)
from telco360.shipped.lake_layout import batch_path

JOB_NAME = "clean_standardize"
GATE_EXAMPLES = 20  # distinct problems read back from the quarantine for the gate's message
# Per feed and batch: a larger share of quarantined rows fails the batch (see
# QuarantineThresholdExceeded). A stack parameter on AWS, an option of `telco360 run` locally.
DEFAULT_QUARANTINE_THRESHOLD = 0.10
THOUSANDS_PATTERN = r"^[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?$"  # 1,234 and 12,345,678.90
INTEGER_NOISE = "0.000000001"  # how far from a whole number float noise takes an integer
# A date as spreadsheet tools write one: year first, `-` or `/`, optionally a midnight time.
DATE_PATTERN = r"^([0-9]{4}[-/][0-9]{1,2}[-/][0-9]{1,2})([ T]00:00(:00(\.0+)?)?)?$"
ROWS_PER_FILE = 1_000_000  # quarantine: few, large Parquet files per feed and batch
TRIM_CHARS = " \t\u00a0"  # what "surrounding whitespace" means in these exports
# How lines are split (see split_fields). A plain line: printable ASCII, no quote.
PLAIN_LINE = r"^[ !#-~]*$"
# A simply quoted line: printable ASCII, each field either quoted whole, with no quote inside,
# or unquoted with no quote or comma.
_QUOTED = r'"[ !#-~]*+"'
_UNQUOTED = r"[ !#-+\-.-~]*+"
QUOTED_LINE = rf"^(?:{_QUOTED}|{_UNQUOTED})(?:,(?:{_QUOTED}|{_UNQUOTED}))*+$"
# Each field of such a line, quotes included. The comma before a field is looked behind, not
# matched: after an empty field (an empty match) the search resumes one character on, where a
# matched comma would already have been passed, and the next field lost.
QUOTED_FIELD = rf"(?<=^|,)({_QUOTED}|{_UNQUOTED})"
FEEDS_AT_ONCE = 2  # feeds processed concurrently (see process_feeds)
SINGLE_TASK_MAX_ROWS = 100_000  # a feed of at most this many rows is deduplicated in one task
# Whole-stage code generation fuses a feed's checks into one Java method of up to 64 KB.
# HotSpot compiles a method over 8,000 bytes of bytecode poorly (its optimizing compiler gives up,
# "out of nodes", leaving the quick first-tier code) or, with its default flags as on Glue, not
# at all. Stages with such a method run operator by operator instead, in small methods the JIT
# fully compiles (Spark's tuning guide suggests 8000 on HotSpot). Set by `run`, so it applies
# on Glue too.
SESSION_SETTINGS = {"spark.sql.codegen.hugeMethodLimit": "8000"}

log = logging.getLogger(JOB_NAME)


class JobInputError(Exception):
    """The batch's input cannot be processed as delivered; nothing was written."""


class SchemaMismatch(JobInputError):
    """A file's header lacks a contract column (or is ambiguous)."""


class NoInputFiles(JobInputError):
    """No raw folder exists for the batch date."""


class QuarantineThresholdExceeded(JobInputError):
    """Too large a share of a feed's rows was quarantined: upstream probably broke something
    for every row. The metrics file is not written, so job B commits nothing of the batch."""


class AccountingError(Exception):
    """Rows were lost between reading and classifying: a bug, never bad data."""


# --------------------------------------------------------------------------------------------
# Input discovery and header checks (driver side, small)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceFile:
    """One delivered CSV file and how its header maps onto the feed contract."""

    name: str  # file name inside the batch folder
    source_file: str  # path relative to the lake root (lineage)
    field_count: int  # fields in the header, hence in every well-formed row
    positions: dict[str, int]  # contract column name -> 0-based field position
    drift: tuple[str, ...]  # header names the contract does not know
    header_line: str = ""  # the header as read, without a BOM (see split_fields)
    # Fields without the header's trailing blank names (a trailing delimiter): a row may end
    # with the delimiter, as the header does, or without it.
    bare_field_count: int = 0

    def layout(self) -> tuple:
        """What splitting a line of this file needs to know (see split_fields)."""
        positions = tuple(sorted(self.positions.items()))
        return (self.field_count, self.bare_field_count, self.header_line, positions)


def batch_files(lake_root: str, batch_date: str) -> dict[str, list[str]]:
    """{feed: sorted CSV file names} for every feed delivered in the batch."""
    found: dict[str, list[str]] = {}
    any_folder = False
    for feed in FEEDS:
        folder = join(lake_root, batch_path("raw", feed, batch_date))
        names = list_names(folder)
        any_folder = any_folder or bool(names) or exists(folder)
        csvs = [n for n in names if n.lower().endswith(INPUT_SUFFIXES) and not n.startswith(".")]
        csvs = [n for n in csvs if not n.startswith("_")]
        if csvs:
            found[feed] = csvs
    if not any_folder:
        raise NoInputFiles(
            f"batch {batch_date}: no raw folder raw/<feed>/ingest_date={batch_date}/ under "
            f"{lake_root} for any feed ({', '.join(FEEDS)}); land the exports first or check "
            "the batch date"
        )
    return found


INPUT_SUFFIXES = (".csv", ".csv.gz")  # CSV text, or gzip-compressed CSV text


def parse_header(feed: Feed, source_file: str, header_line: str | None) -> SourceFile:
    """Map a header line onto the contract; raise SchemaMismatch naming what is missing."""
    name = source_file.rsplit("/", 1)[-1]
    if header_line is None:
        raise SchemaMismatch(
            f"feed {feed.name!r}, file {source_file}: the file is empty (no header row); "
            "re-deliver the export, then re-run the batch"
        )
    fields = header_fields(header_line)
    wanted = {header_key(h): c.name for c, h in zip(feed.columns, feed.headers, strict=True)}
    positions: dict[str, int] = {}
    drift: list[str] = []
    for position, field in enumerate(fields):
        header = field.strip(TRIM_CHARS)
        column = wanted.get(header_key(field))
        if not header_key(field):
            continue  # a blank name (a trailing delimiter): no column, no drift
        if column is None:
            drift.append(header)
        elif column in positions:
            raise SchemaMismatch(
                f"feed {feed.name!r}, file {source_file}: column {header!r} appears twice in "
                "the header; fix the export, then re-run the batch"
            )
        else:
            positions[column] = position
    missing = [c.header for c in feed.columns if c.name not in positions]
    if missing:
        raise SchemaMismatch(
            f"feed {feed.name!r}, file {source_file}: missing contract column(s) "
            f"{', '.join(repr(m) for m in missing)} (header was {header_line!r}); "
            "fix the export or the contract, then re-run the batch"
        )
    bare = len(fields)
    while bare > 1 and not header_key(fields[bare - 1]):
        bare -= 1
    header = without_bom(header_line)  # a data line equal to it is a repeated header
    return SourceFile(name, source_file, len(fields), positions, tuple(drift), header, bare)


# --------------------------------------------------------------------------------------------
# Pure DataFrame transforms
# --------------------------------------------------------------------------------------------


def read_lines(spark, paths: list[str]):
    """Every physical line of the files: value, file_name, block_start, mid.

    `mid` increases by one per line within a file block, which with the block's start lets
    `number_lines` give each line its exact line number without sorting the data.
    CR/LF and LF endings and a missing final newline are handled by the line reader."""
    from pyspark.sql import functions as F

    return spark.read.text(paths).select(
        "value",
        F.col("_metadata.file_name").alias("file_name"),
        F.col("_metadata.file_block_start").alias("block_start"),
        F.monotonically_increasing_id().alias("mid"),
    )


def summarize_blocks(lines, *keys: str):
    """Per file block (and per `keys`): lines, non-blank lines and first `mid`.

    Numbers only, so Spark aggregates in a hash table. (Taking each block's first line here
    as well, a string, made Spark sort every line of the batch: the headers are read on the
    driver instead, see inspect_batch.)"""
    from pyspark.sql import functions as F

    return lines.groupBy(*keys, "file_name", "block_start").agg(
        F.count(F.lit(1)).alias("lines"),
        F.expr(f"sum(CAST({non_blank('value')} AS BIGINT)) AS non_blank"),
        F.min("mid").alias("min_mid"),
        F.sum(_odd_quotes(F.col("value")).cast("long")).alias("odd_quote_lines"),
    )


def non_blank(line: str) -> str:
    """SQL: the line has a character other than the surrounding whitespace (TRIM_CHARS).

    Almost every line starts with another character, which one comparison of its first bytes
    shows; only the others are trimmed (btrim with a set of characters costs per character,
    and ran on every line of the batch, twice)."""
    starts = " OR ".join(f"startswith({line}, {sql_string(c)})" for c in TRIM_CHARS)
    return f"({line} != '' AND (NOT ({starts}) OR btrim({line}, {sql_string(TRIM_CHARS)}) != ''))"


def _odd_quotes(line):
    """True for a line with an odd number of double quotes: it opens or closes a quoted field
    that continues on another line (a doubled quote inside a field counts twice)."""
    from pyspark.sql import functions as F

    # In bytes: a quote is one byte of UTF-8, and a string's byte length is known, where its
    # length in characters is counted byte by byte (5% of a JFR profile of the location feed).
    quotes = F.octet_length(line) - F.octet_length(F.replace(line, F.lit('"'), F.lit("")))
    return line.contains('"') & (quotes % 2 == 1)


def number_lines(lines, numbering: dict[str, str], multiline_files: tuple[str, ...] = ()):
    """Data rows with their 1-based physical line number, header and blank lines dropped.

    `numbering` ({column: SQL}, see block_numbering) gives each line its `source_line` from
    its file, block and `mid`, and any per-file columns to carry along (the file's number, its
    layout). The lines of the files in `multiline_files` (they have a line with an odd number
    of quotes) are first joined into records by `join_quoted_lines`."""
    from pyspark.sql import functions as F

    numbered = lines.selectExpr(
        "file_name", "value", *[f"{sql} AS {sql_name(c)}" for c, sql in numbering.items()]
    ).where("source_line IS NOT NULL")  # a block the summary did not count: none, normally
    if multiline_files:
        joined = F.col("file_name").isin(*multiline_files)
        numbered = numbered.where(~joined).unionByName(join_quoted_lines(numbered.where(joined)))
    data = numbered.where((F.col("source_line") > 1) & F.expr(non_blank("value")))
    return data.withColumnRenamed("value", "raw_line")


def join_quoted_lines(numbered):
    """Join the physical lines of each record whose quoted field contains a line break.

    Per file, in line order: a line with an odd number of quotes opens a record, every line up
    to the next such line belongs to it (blank lines too: they are part of the value), and that
    line closes it; the record is numbered by its first line and its lines are joined with LF.
    The last odd line of a file with an odd count opens nothing (nothing closes it): it stays
    a line of its own and fails the field count. Columns other than `value` and `source_line`
    are per file and kept."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    in_file = Window.partitionBy("file_name")
    upto = in_file.orderBy("source_line").rowsBetween(Window.unboundedPreceding, 0)
    odd = _odd_quotes(F.col("value")).cast("int")
    counted = numbered.select(
        "*",
        (F.sum(odd).over(upto) - odd).alias("_odd_before"),
        F.sum(odd).over(in_file).alias("_odd_in_file"),
    )
    inside = (F.col("_odd_before") % 2 == 1) & (F.col("_odd_before") < F.col("_odd_in_file"))
    started = counted.select(
        "*", F.max(F.when(~inside, F.col("source_line"))).over(upto).alias("_record")
    )
    carried = [c for c in numbered.columns if c not in ("value", "source_line", "file_name")]
    parts = F.sort_array(F.collect_list(F.struct("source_line", "value")))
    return (
        started.groupBy("file_name", "_record")
        .agg(
            F.array_join(parts["value"], "\n").alias("value"),
            *[F.first(c).alias(c) for c in carried],
        )
        .withColumnRenamed("_record", "source_line")
        .select(*numbered.columns)
    )


def position_column(name: str) -> str:
    return f"_pos_{name}"


# --------------------------------------------------------------------------------------------
# The checks as Spark SQL text
# --------------------------------------------------------------------------------------------
# Every per-column expression below is built as SQL text and handed to Spark in one
# `selectExpr` per step. Built with PySpark's Column functions instead, each `F.when`,
# `F.col`, `.cast`, `&` ... is a round trip to the JVM: job A made 33k of them to build six
# small feeds' checks, seconds of every batch however small (bench/README.md). The text is the
# same expressions, parsed once by Spark's SQL parser.


QUOTE = "'"


def sql_string(text: str) -> str:
    """A Spark SQL string literal holding exactly `text` (backslash and quote escaped: Spark
    reads backslash escapes in literals)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def sql_name(name: str) -> str:
    """A column reference (backquoted: contract names such as `count` are SQL words)."""
    return "`" + name.replace("`", "``") + "`"


def sql_number(value: float) -> str:
    """A numeric literal of the type `F.lit` gives it: INT/BIGINT for an int, DOUBLE for a
    float (plain `1.5` would be a DECIMAL in Spark SQL and compare differently)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"not a number: {value!r}")
    return str(value) if isinstance(value, int) else f"CAST({sql_string(repr(value))} AS DOUBLE)"


def sql_value(value) -> str:
    """A literal for a Python value: NULL, a number or a string."""
    if value is None:
        return "NULL"
    return sql_string(value) if isinstance(value, str) else sql_number(value)


def sql_case(branches: list[tuple[str, str]], otherwise: str | None = None) -> str:
    """CASE WHEN c1 THEN v1 ... [ELSE otherwise] END (NULL when nothing matches)."""
    whens = " ".join(f"WHEN {cond} THEN {value}" for cond, value in branches)
    tail = f" ELSE {otherwise}" if otherwise is not None else ""
    return f"CASE {whens}{tail} END"


def sql_any(conditions: list[str]) -> str:
    return "(" + " OR ".join(conditions) + ")" if conditions else "false"


ASCII_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def sql_lower(value: str) -> str:
    """SQL: `lower(value)`, with ASCII text lower-cased by `translate`.

    Spark's `lower` maps case with ICU (spark.sql.icu.caseMappings.enabled, on by default), and
    the first call in a JVM loads ICU's break rules: 2.3-2.9 s of a job A run, in every fresh
    process (bench/README.md, "ICU"). An ASCII string (as many bytes as characters in UTF-8)
    lower-cases to the same text either way; any other still goes through `lower`."""
    ascii_lower = (
        f"translate({value}, {sql_string(ASCII_UPPER)}, {sql_string(ASCII_UPPER.lower())})"
    )
    return sql_case([(f"octet_length({value}) = length({value})", ascii_lower)], f"lower({value})")


def split_fields(rows, feed: Feed, max_fields: int, layout: SourceFile | None = None):
    """Split `raw_line` into the feed's contract columns (trimmed strings) by header position.

    `layout`: the header every file of the feed has (the usual case), written into the query
    as constants. Without it, each row carries its file's: `field_count` (the header width),
    `bare_field_count` (the width without the header's trailing blank names), `header_line`
    (the file's first line) and `_pos_<column>` (0-based position of each contract column).
    Adds `_field_error`: why the line cannot be split reliably (unbalanced quote, wrong number
    of fields), else NULL; `_repeated_header`: the line is the file's header again; and
    `_valid_utf8`: the line's bytes are UTF-8."""
    line = "raw_line"
    if layout is None:
        field_count, bare_field_count = "field_count", "bare_field_count"
        header_line = "header_line"
        position = {c.name: sql_name(position_column(c.name)) for c in feed.columns}
        per_file = [*position.values(), field_count, bare_field_count]
    else:  # constants: no per-row columns to copy through every step
        field_count, bare_field_count = str(layout.field_count), str(layout.bare_field_count)
        header_line = sql_string(layout.header_line)
        position = {c.name: str(layout.positions[c.name]) for c in feed.columns}
        per_file = []
    options = {
        "mode": "PERMISSIVE",
        "quote": '"',
        "escape": '"',  # RFC 4180: a quote inside a quoted field is doubled
        "ignoreLeadingWhiteSpace": "true",
        "ignoreTrailingWhiteSpace": "true",
    }
    csv_options = ", ".join(f"{sql_string(k)}, {sql_string(v)}" for k, v in options.items())
    schema = ", ".join(f"_c{i} string" for i in range(max_fields))
    # Most lines are plain: printable ASCII with no quote. Split on commas, such a line gives
    # exactly what the CSV parser gives (spaces are its only whitespace), so only the other
    # lines pay for the parser, and only they can hold a quoted comma.
    plain = "_plain"
    # Many other lines are simply quoted: printable ASCII whose every quote opens or closes a
    # whole field, as in each row of the real location export ("33.964131, -118.272783").
    # Their fields are taken by a regular expression (a quoted field whole, else up to the
    # next comma): what the parser gives once the quotes are dropped, at a fraction of its
    # cost (location at 1M rows: bench/README.md, "Quoted fields without the CSV parser").
    quoted = "_quoted"
    quote = sql_string('"')
    # Count fields without trusting the parser: drop quoted sections ("a, ""b""" included),
    # then count the commas left.
    quoted_section = sql_string('"[^"]*"')
    unquoted = f"regexp_replace({line}, {quoted_section}, '')"
    found = sql_case(
        [(f"{plain} OR {quoted}", "size(_fields)")],
        f"octet_length({unquoted}) - octet_length(replace({unquoted}, ',', '')) + 1",
    )
    quotes = f"(octet_length({line}) - octet_length(replace({line}, {quote}, '')))"  # as bytes
    field_error = sql_case(
        [
            (
                f"(NOT ({plain} OR {quoted})) AND ({quotes} % 2 = 1)",
                sql_string("unbalanced quote (a quoted field may contain a line break)"),
            ),
            (
                f"(({found}) != {field_count}) AND (({found}) != {bare_field_count})",
                f"format_string({sql_string('expected %d fields (as in the header), found %d')},"
                f" {field_count}, {found})",
            ),
        ],
        "CAST(NULL AS STRING)",
    )
    lineage = ["_file", "source_line", "raw_line"]
    # The parser already trims spaces and tabs around unquoted fields; only a line with a
    # quote, a tab or a no-break space can still hold a value that needs trimming (btrim with
    # a set of characters is slow, so it runs on those lines only).
    needs_trim = " OR ".join(f"contains({line}, {sql_string(c)})" for c in ('"', "\t", "\u00a0"))
    # One select per step, each reading the previous step's columns: the line is parsed once
    # and the field array built once per row. (In a single select every contract column
    # repeated the whole parse; Catalyst keeps these steps apart because merging them would
    # repeat a costly expression.)
    # A concatenated export repeats its header line (with its BOM, when the second part had
    # one). Compared as whole strings: cheap, and a line that differs is not the header.
    repeated = f"({line} = {header_line}) OR ({line} = concat({sql_string(BOM)}, {header_line}))"
    # `_plain` is written twice in this select, and computed once: Spark evaluates a common
    # subexpression of a select once per row (here the condition every row evaluates).
    is_plain = f"({line} RLIKE {sql_string(PLAIN_LINE)})"
    flags = ["_repeated_header", "_plain", "_quoted", "_needs_trim"]
    flagged = rows.selectExpr(
        *lineage,
        *per_file,
        f"{repeated} AS _repeated_header",
        f"{is_plain} AS _plain",
        f"CASE WHEN {is_plain} THEN false ELSE {line} RLIKE {sql_string(QUOTED_LINE)} END"
        " AS _quoted",
        # Only matters for lines that are not plain (see below): plain ones skip its scans.
        f"CASE WHEN {is_plain} THEN false ELSE {needs_trim} END AS _needs_trim",
    )
    parsed = flagged.selectExpr(
        *lineage,
        *per_file,
        *flags,
        f"CASE WHEN NOT ({plain} OR {quoted}) THEN "
        f"from_csv({line}, {sql_string(schema)}, map({csv_options})) END AS _parsed",
    )
    parsed_fields = "array(" + ", ".join(f"_parsed._c{i}" for i in range(max_fields)) + ")"
    arrays = parsed.selectExpr(
        *lineage,
        *per_file,
        *flags,
        sql_case(
            [
                (plain, f"split({line}, ',', -1)"),
                (quoted, f"regexp_extract_all({line}, {sql_string(QUOTED_FIELD)}, 1)"),
            ],
            parsed_fields,
        )
        + " AS _fields",
        # A plain or simply quoted line is ASCII: only the others need their bytes checked.
        f"{plain} OR {quoted} OR is_valid_utf8({line}) AS _valid_utf8",
    )
    values = []
    for c in feed.columns:
        value = f"try_element_at(_fields, {position[c.name]} + 1)"
        # Printable ASCII: a space is the only surrounding whitespace (TRIM_CHARS) it can hold.
        # `trim` of a value without one returns it as it is; scanning the line for a space next
        # to a comma to skip it cost more (UTF8String.contains: 6% of a services profile).
        inside = f"substr({value}, 2, length({value}) - 2)"
        dequoted = sql_case([(f"startswith({value}, {quote})", inside)], value)
        trimmed = sql_case(
            [
                (plain, f"trim({value})"),
                (quoted, f"trim({dequoted})"),
                ("_needs_trim", f"btrim({value}, {sql_string(TRIM_CHARS)})"),
            ],
            value,
        )
        values.append(f"CAST({trimmed} AS STRING) AS {sql_name(c.name)}")
    return arrays.selectExpr(
        *lineage, f"{field_error} AS _field_error", "_repeated_header", "_valid_utf8", *values
    )


def _parsed(column: Column) -> str:
    """The column's value parsed to its kind (NULL when it does not parse), before checks.

    Numbers parse wide (decimal(38, 18)) so that the range check sees huge values."""
    v = sql_name(column.name)
    kind = column.kind
    if kind in (ID, STRING):
        return v
    # Each kind has a fast path for the usual spelling and the general rule for the rest
    # (CASE and COALESCE evaluate the general rule only when the fast path gives nothing).
    # Numbers: `1,234.50` (comma thousands groups, as spreadsheets write them) loses its commas;
    # any other use of a comma (`39,65`, `1.234,50`) is ambiguous and does not parse.
    number = sql_case([(f"{v} RLIKE {sql_string(THOUSANDS_PATTERN)}", f"replace({v}, ',', '')")], v)
    if kind == INTEGER:
        # `65` and `65.0` parse, `65.5` does not; spreadsheet float noise (`28.000000000000004`,
        # within 1e-9 of a whole number) is the whole number.
        exact = f"try_cast({number} AS DECIMAL(38,18))"
        whole = f"round({exact}, 0)"
        near = f"abs({exact} - {whole}) <= CAST({sql_string(INTEGER_NOISE)} AS DECIMAL(38,18))"
        return f"coalesce(try_cast({v} AS INT), CASE WHEN {near} THEN try_cast({whole} AS INT) END)"
    if kind == DECIMAL:
        if column.minimum is None or column.maximum is None:  # relied on below
            raise ValueError(f"column {column.header!r}: a decimal column needs bounds")
        usual = f"try_cast({v} AS DECIMAL(12,{column.scale}))"  # rounds HALF_UP: 0.125 -> 0.13
        wide = f"round(try_cast({number} AS DECIMAL(38,18)), {column.scale})"
        # Kept as DECIMAL(18, s), which Spark holds in a long (a wider decimal is a BigDecimal
        # in every row, read back by each check). A value too large for it is far outside the
        # column's range (money: 0 to 1,000,000, see contract._money) and becomes the largest
        # value of its sign, so that the range check refuses it as before.
        compact = f"DECIMAL(18,{column.scale})"
        nines = "9" * (18 - column.scale)
        largest = f"CAST({sql_string(nines)} AS {compact})"
        clamped = f"CASE WHEN {wide} > 0 THEN {largest} WHEN {wide} < 0 THEN -{largest} END"
        return f"coalesce({usual}, try_cast({wide} AS {compact}), {clamped})"
    if kind == FLOAT:
        parsed = f"coalesce(try_cast({v} AS DOUBLE), try_cast({number} AS DOUBLE))"
        finite = f"(NOT isnan({parsed})) AND (abs({parsed}) != CAST('Infinity' AS DOUBLE))"
        return f"CASE WHEN {finite} THEN {parsed} END"
    if kind == BOOLEAN:
        word = sql_lower(v)
        return sql_case(
            [
                (f"{v} = 'Yes'", "true"),
                (f"{v} = 'No'", "false"),
                (f"{word} IN ({', '.join(sql_string(w) for w in TRUE_WORDS)})", "true"),
                (f"{word} IN ({', '.join(sql_string(w) for w in FALSE_WORDS)})", "false"),
            ]
        )
    if kind == CATEGORY:
        pairs = [sql_string(x) for c in column.categories for x in (category_key(c), c)]
        key = f"regexp_replace({sql_lower(v)}, '[^a-z0-9]', '')"
        spelled = f"try_element_at(map({', '.join(pairs)}), {key})"
        canonical = ", ".join(sql_string(c) for c in column.categories)
        return sql_case([(f"{v} IN ({canonical})", v)], spelled)
    if kind == DATE:
        # ISO dates; also what spreadsheet tools write for one: `2026/11/01`, `2026-11-1`, a
        # midnight time after the date (a date cell exported as date-time) and `1-Nov-2026`.
        # Day/month orders with slashes (`11/01/2026`) are ambiguous: they do not parse.
        ymd = f"regexp_extract({v}, {sql_string(DATE_PATTERN)}, 1)"
        spreadsheet = f"try_to_date(regexp_replace({ymd}, '/', '-'), 'yyyy-M-d')"
        return (
            f"coalesce(try_to_date({v}, 'yyyy-MM-dd'), "
            f"CASE WHEN {ymd} != '' THEN {spreadsheet} END, try_to_date({v}, 'd-MMM-yyyy'))"
        )
    raise ValueError(f"column {column.header!r}: unsupported kind {kind!r}")  # teach it here


def parsed_column(name: str) -> str:
    return f"_parsed_{name}"


def parses_to_itself(column: Column) -> bool:
    """An ID or STRING column is its trimmed text: it gets no `_parsed_` copy of it (copying
    strings from step to step is a large share of the checks' time)."""
    return column.kind in (ID, STRING)


def parsed_value(column: Column) -> str:
    """SQL: the column's parsed value (see _parsed), as the checks' later steps read it."""
    name = column.name if parses_to_itself(column) else parsed_column(column.name)
    return sql_name(name)


def _rules(column: Column, is_key: bool, batch_date: str | None = None):
    """[(reason code, condition, detail)] for one contract column, as SQL text.

    Reads the trimmed text (`<column>`) and its parsed value (`parsed_value`). A blank
    value is NULL in the output, and quarantines the row only when the column is required."""
    v = sql_name(column.name)
    value = parsed_value(column)
    blank = f"({v} IS NULL OR {v} = '')"
    present = f"(NOT {blank})"
    header = column.header

    def detail(what: str) -> str:
        before = sql_string(f"{header}: {what} '")
        return f"concat({before}, {v}, {sql_string(QUOTE)})"

    checks = []
    if column.required:
        code = MISSING_KEY if is_key else MISSING_REQUIRED
        checks.append((code, blank, sql_string(f"{header}: missing")))

    kind = column.kind
    unparsed = f"({present} AND {value} IS NULL)"
    if kind in (ID, STRING):
        if column.pattern:
            code = MALFORMED_KEY if is_key else MALFORMED_VALUE
            bad = f"({present} AND NOT ({v} RLIKE {sql_string(column.pattern)}))"
            checks.append((code, bad, detail(f"does not match {column.pattern}")))
    elif kind == INTEGER:
        checks.append((UNPARSEABLE_NUMBER, unparsed, detail("not an integer")))
    elif kind in (DECIMAL, FLOAT):
        checks.append((UNPARSEABLE_NUMBER, unparsed, detail("not a number")))
    elif kind == BOOLEAN:
        checks.append((UNPARSEABLE_BOOLEAN, unparsed, detail("not Yes/No")))
    elif kind == CATEGORY:
        checks.append((UNKNOWN_CATEGORY, unparsed, detail("unknown category")))
    elif kind == DATE:
        checks.append((UNPARSEABLE_DATE, unparsed, detail("not a date (YYYY-MM-DD)")))
        if column.not_after_batch and batch_date is not None:
            later = f"({value} > CAST({sql_string(batch_date)} AS DATE))"
            checks.append((OUT_OF_RANGE, later, detail(f"after the batch date {batch_date}")))

    bounded = column.minimum is not None or column.maximum is not None
    if kind in (INTEGER, DECIMAL, FLOAT) and bounded:
        low = "true" if column.minimum is None else f"{value} >= {sql_number(column.minimum)}"
        high = "true" if column.maximum is None else f"{value} <= {sql_number(column.maximum)}"
        bounds = " and ".join(
            f"{op} {bound:g}"
            for op, bound in ((">=", column.minimum), ("<=", column.maximum))
            if bound is not None
        )
        checks.append((OUT_OF_RANGE, f"(NOT (({low}) AND ({high})))", detail(f"not {bounds}")))

    # Comparisons with NULL are NULL: a check that cannot tell is not a failure.
    return [(code, f"coalesce({cond}, false)", text) for code, cond, text in checks]


def reason_column(name: str) -> str:
    return f"_reason_{name}"


def apply_contract(rows, feed: Feed, batch_date: str):
    """Type every contract column and collect the row's reason codes.

    In: _file, source_line, raw_line, _field_error, _repeated_header, _valid_utf8 and one
    trimmed string column per contract column (split_fields). Out: the contract columns typed,
    ingest_date, _file and source_line (lineage; see file_ranks), reason_codes (sorted,
    distinct; empty = accepted), reason_detail and raw_line, the original line, for a
    quarantined row only (NULL for an accepted one: only the quarantine keeps it, and the rows
    are cached).

    Three selects (parse, check, assemble), each reading the previous one's columns, so that
    every value is parsed and checked once per row (see split_fields). Only expressions with
    generated code are used (no lambda functions such as array_sort): one of those would make
    Spark interpret the whole select row by row."""
    lineage = [
        "_file",
        "source_line",
        "raw_line",
        "_field_error",
        "_repeated_header",
        "_valid_utf8",
    ]
    carried = [*lineage, *[sql_name(n) for n in feed.column_names]]
    typed_columns = [c for c in feed.columns if not parses_to_itself(c)]
    parsed = rows.selectExpr(
        *carried, *[f"{_parsed(c)} AS {parsed_value(c)}" for c in typed_columns]
    )

    # A column fails at most one of its checks (each needs the ones before it to pass), so
    # its verdict is one reason code, or NULL.
    rules = {c.name: _rules(c, c.name in feed.key, batch_date) for c in feed.columns}
    verdicts = []
    for name, checks in rules.items():
        verdict = sql_case([(cond, sql_string(code)) for code, cond, _text in checks])
        verdicts.append(
            f"{verdict if checks else 'CAST(NULL AS STRING)'} AS {sql_name(reason_column(name))}"
        )
    checked = parsed.selectExpr(*carried, *[parsed_value(c) for c in typed_columns], *verdicts)

    typed_by_name = {}
    found: dict[str, list[str]] = {}  # reason code -> conditions, for each code a row can get
    details = []
    for column in feed.columns:
        v, reason = sql_name(column.name), sql_name(reason_column(column.name))
        ok = f"{v} IS NOT NULL AND {v} != '' AND {reason} IS NULL"
        typed = f"CAST(CASE WHEN {ok} THEN {parsed_value(column)} END AS {column.spark_type})"
        typed_by_name[column.name] = typed
        checks = rules[column.name]
        if checks:
            details.append(
                sql_case([(f"{reason} = {sql_string(code)}", text) for code, _cond, text in checks])
            )
        for code, _cond, _text in checks:
            found.setdefault(code, []).append(f"{reason} = {sql_string(code)}")
    # Cross-column rule: a flag and its 0/1 value must agree (NULL on either side: no verdict).
    for flag, value in feed.agreements:
        disagree = f"coalesce(CAST({typed_by_name[flag]} AS INT) != {typed_by_name[value]}, false)"
        found.setdefault(INCONSISTENT_VALUES, []).append(disagree)
        flag_header = sql_string(f"{feed.column(flag).header} '")
        value_header = sql_string(f"' disagrees with {feed.column(value).header} '")
        text = (
            f"concat({flag_header}, {sql_name(flag)}, {value_header}, {sql_name(value)}, "
            f"{sql_string(QUOTE)})"
        )
        details.append(f"CASE WHEN {disagree} THEN {text} END")
    # Bytes that are not UTF-8 would reach Parquet as corrupt strings: quarantine the line.
    bad_bytes = "(NOT _valid_utf8)"
    found[INVALID_ENCODING] = [bad_bytes]
    details.append(
        f"CASE WHEN {bad_bytes} THEN {sql_string('line is not valid UTF-8 (re-export as UTF-8)')}"
        " END"
    )

    # Sorted and distinct by construction: one element per code, in sorted code order. Built
    # only for a failing row (most rows pass, and these arrays and texts cost per row).
    failed = sql_any(
        [f"{sql_name(reason_column(n))} IS NOT NULL" for n in rules]
        + [sql_any(found[c]) for c in (INCONSISTENT_VALUES, INVALID_ENCODING) if c in found]
    )
    codes = (
        "array_remove(array("
        + ", ".join(
            f"CASE WHEN {sql_any(found[c])} THEN {sql_string(c)} ELSE '' END" for c in sorted(found)
        )
        + "), '')"
    )
    # A line that does not split into the header's fields has no trustworthy values.
    reason_codes = sql_case(
        [
            ("_repeated_header", f"array({sql_string(REPEATED_HEADER)})"),
            ("_field_error IS NOT NULL", f"array({sql_string(WRONG_FIELD_COUNT)})"),
            (failed, codes),
        ],
        "CAST(array() AS ARRAY<STRING>)",
    )
    quarantined = f"_repeated_header OR _field_error IS NOT NULL OR {failed}"
    reason_detail = sql_case(
        [
            (
                "_repeated_header",
                sql_string("the file's header line again (a concatenated export)"),
            ),
            ("_field_error IS NOT NULL", "_field_error"),
            (failed, f"concat_ws('; ', {', '.join(details)})"),
        ]
    )
    return checked.selectExpr(
        *[f"{typed} AS {sql_name(name)}" for name, typed in typed_by_name.items()],
        f"CAST({sql_string(batch_date)} AS DATE) AS ingest_date",
        "CAST(_file AS INT) AS _file",
        "CAST(source_line AS INT) AS source_line",
        # Readable by any Parquet reader.
        f"CASE WHEN {quarantined} THEN make_valid_utf8(raw_line) END AS raw_line",
        f"{reason_codes} AS reason_codes",
        f"CAST({reason_detail} AS STRING) AS reason_detail",
    )


def accepted_rows(checked):
    from pyspark.sql import functions as F

    return checked.where(F.size("reason_codes") == 0)


def quarantined_rows(checked, source_files: list[str]):
    """The quarantine zone's schema (docs/DATA_LAYOUT.md)."""
    return checked.where("size(reason_codes) > 0").selectExpr(
        "ingest_date",
        f"{source_file_sql(source_files, '_file')} AS source_file",
        "source_line",
        "raw_line",
        "reason_codes",
        "reason_detail",
    )


def file_ranks(source_files: list[str]) -> dict[str, int]:
    """Each file's number (1, 2, ...) in the order of Spark's string comparison (UTF-8 bytes,
    which is code point order): the rows carry this small number, `_file`, not the file's path,
    through every step and the cache; source_file_sql turns it back into the path."""
    return {f: rank for rank, f in enumerate(sorted(source_files), start=1)}


def source_file_sql(source_files: list[str], rank: str) -> str:
    """SQL: the lineage path of the file numbered `rank` (an expression; see file_ranks)."""
    paths = ", ".join(sql_string(f) for f in sorted(source_files))
    return f"element_at(array({paths}), {rank})"


def deduplicate(accepted, feed: Feed, source_files: list[str], rows: int | None = None):
    """One row per distinct typed record; the first delivered (lowest file, then line) wins.

    Lineage is ignored when comparing: a row re-sent on another line is still a duplicate.
    "First" is the minimum of one number, (file's rank << 32) + line, so Spark can keep its
    groups in a hash table (a minimum of a string, or of a struct, forces a sort of them all).
    `rows`: how many rows were read, when known; at most SINGLE_TASK_MAX_ROWS, they are
    grouped in one task."""
    from pyspark.sql import functions as F

    names = [sql_name(n) for n in feed.column_names]
    shift = 2**32
    rank = "CAST(_file AS BIGINT)"  # file_ranks: the files' order
    file_path = source_file_sql(source_files, f"CAST(_order / {shift} AS INT)")
    keyed = accepted.selectExpr(*names, "ingest_date", f"{rank} * {shift} + source_line AS _order")
    if rows is not None and rows <= SINGLE_TASK_MAX_ROWS:
        # One partition has every copy of a record together: Spark groups it in the same stage,
        # with no shuffle (one Spark job less per feed), and writes one file.
        keyed = keyed.coalesce(1)
    return (
        keyed.groupBy(*feed.column_names)
        .agg(F.expr("min(_order) AS _order"), F.expr("first(ingest_date) AS ingest_date"))
        .selectExpr(
            *names,
            "ingest_date",
            f"{file_path} AS source_file",
            f"CAST(_order % {shift} AS INT) AS source_line",
        )
    )


# --------------------------------------------------------------------------------------------
# The job: read -> transform -> write, feeds two at a time after every header is checked
# --------------------------------------------------------------------------------------------


@dataclass
class FeedInput:
    feed: Feed
    files: list[SourceFile]
    lines: object  # this feed's rows of read_batch_lines
    blocks: list[dict]  # per file block: file_name, block_start, line_offset, min_mid
    rows_read: int  # records: physical lines, less those joined into an earlier line's record
    multiline_files: list[str] = dataclass_field(default_factory=list)  # see join_quoted_lines

    @property
    def drift(self) -> list[str]:
        return sorted({d for f in self.files for d in f.drift})


def read_batch_lines(spark, lake_root: str, batch_date: str, found: dict[str, list[str]]):
    """{feed: the lines of its files}, not cached.

    Each pass (the header check, then the feed's outputs) reads the files again, which costs
    less than caching every line of the batch. Both passes split the same files the same way,
    so every line gets the same `mid` in both, and the line numbers hold (a line that did not
    would be missing from the outputs, which the accounting check turns into an error)."""
    return {
        feed: read_lines(
            spark, [join(lake_root, batch_path("raw", feed, batch_date), n) for n in names]
        )
        for feed, names in found.items()
    }


def inspect_batch(
    lines: dict, lake_root: str, batch_date: str, found: dict[str, list[str]]
) -> list[FeedInput]:
    """Check every header and count every feed's rows (one small Spark job for the batch).

    Each header is the file's first line, read on the driver (a few kilobytes per file)."""
    from pyspark.sql import functions as F

    # One aggregate over every feed's lines: one shuffle for the batch, not one per feed.
    per_feed = [frame.withColumn("feed", F.lit(f)) for f, frame in lines.items()]
    union = per_feed[0]
    for frame in per_feed[1:]:
        union = union.unionByName(frame)
    summary = sorted(
        summarize_blocks(union, "feed").collect(),
        key=lambda r: (r["feed"], r["file_name"], r["block_start"]),
    )
    sources = []
    for feed_name, names in found.items():
        feed = FEEDS[feed_name]
        folder = batch_path("raw", feed_name, batch_date)
        files, blocks, rows_read, multiline = [], [], 0, []
        for name in names:
            mine = [r for r in summary if r["feed"] == feed_name and r["file_name"] == name]
            header = read_first_line(join(lake_root, folder, name))
            files.append(parse_header(feed, f"{folder}/{name}", header))
            if any(r["odd_quote_lines"] for r in mine):
                multiline.append(name)  # counted below, as records
                continue
            offset = 0
            for r in mine:
                blocks.append(
                    {
                        "file_name": name,
                        "block_start": r["block_start"],
                        "line_offset": offset,
                        "min_mid": r["min_mid"],
                    }
                )
                offset += r["lines"]
                rows_read += r["non_blank"]
            rows_read -= 1  # the header line
        source = FeedInput(feed, files, lines[feed_name], blocks, rows_read, multiline)
        if multiline:
            rows_read += _count_joined_records(source, summary, feed_name)
            source = FeedInput(feed, files, lines[feed_name], source.blocks, rows_read, multiline)
        sources.append(source)
    return sources


def _count_joined_records(source: FeedInput, summary: list, feed_name: str) -> int:
    """Add the blocks of the files whose lines are joined into records (`source.multiline_files`)
    to `source.blocks` and return their number of records (one small Spark job)."""
    from pyspark.sql import functions as F

    for name in source.multiline_files:
        offset = 0
        for r in summary:
            if r["feed"] == feed_name and r["file_name"] == name:
                source.blocks.append(
                    {
                        "file_name": name,
                        "block_start": r["block_start"],
                        "line_offset": offset,
                        "min_mid": r["min_mid"],
                    }
                )
                offset += r["lines"]
    mine = source.lines.where(F.col("file_name").isin(*source.multiline_files))
    numbering = block_numbering(source, per_file_layout=False)
    return number_lines(mine, numbering, tuple(source.multiline_files)).count()


def shared_layout(source: FeedInput) -> SourceFile | None:
    """The layout every file of the feed has (see split_fields), or None when they differ."""
    layouts = {f.layout() for f in source.files}
    return source.files[0] if len(layouts) == 1 else None


def block_numbering(source: FeedInput, per_file_layout: bool) -> dict[str, str]:
    """{column: SQL} for number_lines: each line's `source_line` (where its block's lines are
    numbered from, plus its `mid`), its file's number (`_file`, see file_ranks) and, with
    `per_file_layout`, its file's layout.

    The blocks are few (one per file split) and known on the driver, so they are written into
    the query as constants: a join with a table of them cost a broadcast (one more Spark job)
    per feed and copied every line once more."""
    by_name = {f.name: f for f in source.files}
    ranks = file_ranks([f.source_file for f in source.files])
    one_file = len(by_name) == 1

    def in_file(name: str) -> str:
        return "true" if one_file else f"file_name = {sql_string(name)}"

    def per_file(value_of) -> str:
        return sql_case([(in_file(n), sql_value(value_of(f))) for n, f in by_name.items()])

    starts = [
        (
            f"{in_file(b['file_name'])} AND block_start = {b['block_start']}",
            sql_number(b["line_offset"] - b["min_mid"] + 1),
        )
        for b in source.blocks
    ]
    first_line = sql_case(starts) if starts else "CAST(NULL AS BIGINT)"
    columns = {
        "_file": f"CAST({per_file(lambda f: ranks[f.source_file])} AS INT)",
        "source_line": f"CAST({first_line} + mid AS INT)",
    }
    if per_file_layout:
        columns["field_count"] = f"CAST({per_file(lambda f: f.field_count)} AS INT)"
        columns["bare_field_count"] = f"CAST({per_file(lambda f: f.bare_field_count)} AS INT)"
        columns["header_line"] = f"CAST({per_file(lambda f: f.header_line)} AS STRING)"
        for c in source.feed.columns:
            position = per_file(lambda f, name=c.name: f.positions[name])
            columns[position_column(c.name)] = f"CAST({position} AS INT)"
    return columns


def check_feed(spark, source: FeedInput, batch_date: str):
    """The classified rows of one feed (typed values + reason codes), not yet cached."""
    layout = shared_layout(source)
    numbering = block_numbering(source, per_file_layout=layout is None)
    numbered = number_lines(source.lines, numbering, tuple(source.multiline_files))
    max_fields = max(f.field_count for f in source.files)
    split = split_fields(numbered, source.feed, max_fields, layout)
    return apply_contract(split, source.feed, batch_date)


def _output_files(rows: int) -> int:
    return max(1, math.ceil(rows / ROWS_PER_FILE))


def _write(frame, uri: str, sort_by_lineage: bool = False) -> None:
    """Write `frame` as its partitions are (replacing exactly this batch's folder).

    The quarantine is read by people: each of its files is sorted by lineage (easy to trace).
    The standardized rows are read by job B, which needs no order (a sort there cost ~15%)."""
    if sort_by_lineage:
        frame = frame.sortWithinPartitions("source_file", "source_line")
    frame.write.mode("overwrite").parquet(uri)


def process_feed(spark, lake_root: str, batch_date: str, source: FeedInput) -> dict:
    """Write one feed's standardized and quarantine folders; return its metrics.

    The counts are Spark observations collected while writing: no extra pass over the data."""
    from pyspark import StorageLevel
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    feed = source.feed
    std_uri = join(lake_root, batch_path("standardized", feed.name, batch_date))
    quarantine_uri = join(lake_root, batch_path("quarantine", feed.name, batch_date))
    one = F.count(F.lit(1))
    accepted_seen, standardized_seen, quarantine_seen = (
        Observation(f"{feed.name}_{n}") for n in ("accepted", "standardized", "quarantined")
    )
    checked = check_feed(spark, source, batch_date).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        accepted = accepted_rows(checked).observe(accepted_seen, one.alias("rows"))
        # A large feed's dedup shuffle sets its file count: a few, written in parallel (a
        # coalesce after the aggregate would run its last step and the write in one task).
        source_files = [f.source_file for f in source.files]
        standardized = deduplicate(accepted, feed, source_files, source.rows_read).observe(
            standardized_seen, one.alias("rows")
        )
        _write(standardized, std_uri)
        quarantined = quarantined_rows(checked, source_files).observe(
            quarantine_seen,
            one.alias("rows"),
            *reason_counts(),
        )
        # Few rows: gathered into a few files (no shuffle; the observed counts need none).
        _write(
            quarantined.coalesce(_output_files(source.rows_read)),
            quarantine_uri,
            sort_by_lineage=True,
        )
    finally:
        checked.unpersist()
    q = _observed(quarantine_seen, lambda: _quarantine_counts(spark, quarantine_uri))
    rows_quarantined = q["rows"]
    # When no row is accepted, Spark (adaptive execution) skips the empty deduplication
    # stages, and their observations are never filled in: count the written files instead.
    rows_standardized = _observed(
        standardized_seen, lambda: {"rows": spark.read.parquet(std_uri).count()}
    )["rows"]
    rows_accepted = _observed(accepted_seen, lambda: {"rows": source.rows_read - rows_quarantined})[
        "rows"
    ]
    if rows_accepted + rows_quarantined != source.rows_read:
        raise AccountingError(
            f"feed {feed.name!r}, batch {batch_date}: read {source.rows_read} data lines but "
            f"classified {rows_accepted + rows_quarantined}; the metrics were not written, so "
            "the batch is not published (report this bug)"
        )
    return {
        "files": [f.source_file for f in source.files],
        "rows_read": source.rows_read,
        "rows_standardized": rows_standardized,
        "rows_quarantined": rows_quarantined,
        "duplicates_dropped": rows_accepted - rows_standardized,
        "quarantined_by_reason": {c: q[c] for c in REASON_CODES if q[c]},
        "schema_drift": source.drift,
    }


def _observed(observation, fallback) -> dict:
    """An Observation's metrics; `fallback()` when the observed plan never ran (Spark's adaptive
    execution replaces a stage over an empty input by an empty result, and then
    `Observation.get` fails inside the JVM instead of returning counts)."""
    try:
        return observation.get
    except Exception as error:
        if not from_spark(error):
            raise
        return fallback()


def reason_counts() -> list:
    """Per reason code, the quarantined rows carrying it (aggregates named after the code)."""
    from pyspark.sql import functions as F

    return [
        F.expr(f"sum(CAST(array_contains(reason_codes, {sql_string(code)}) AS BIGINT)) AS {code}")
        for code in REASON_CODES
    ]


def _quarantine_counts(spark, uri: str) -> dict:
    from pyspark.sql import functions as F

    written = spark.read.parquet(uri)
    row = written.agg(F.count(F.lit(1)).alias("rows"), *reason_counts()).first()
    return {k: int(v or 0) for k, v in row.asDict().items()}


def quarantine_gate(spark, lake_root: str, batch_date: str, feeds: dict, threshold: float):
    """Raise QuarantineThresholdExceeded when a feed's quarantined share is above `threshold`.

    The message names each such feed, its top reasons, the columns and the most frequent
    offending values (read back from the quarantine just written), and what to do."""
    from pyspark.sql import functions as F

    over = {
        name: m
        for name, m in feeds.items()
        if m["rows_read"] and m["rows_quarantined"] / m["rows_read"] > threshold
    }
    if not over:
        return
    parts = []
    for name, m in over.items():
        uri = join(lake_root, batch_path("quarantine", name, batch_date))
        problems = (
            spark.read.parquet(uri)
            .select(F.explode(F.split("reason_detail", "; ")).alias("problem"))
            .groupBy("problem")
            .count()
            .orderBy(F.desc("count"), "problem")
            .limit(GATE_EXAMPLES)
            .collect()
        )
        columns: dict[str, int] = {}
        for p in problems:
            column = p["problem"].split(": ", 1)[0] if ": " in p["problem"] else "(whole line)"
            columns[column] = columns.get(column, 0) + p["count"]
        reasons = sorted(m["quarantined_by_reason"].items(), key=lambda kv: (-kv[1], kv[0]))
        parts.append(
            f"feed {name}: {m['rows_quarantined']} of {m['rows_read']} rows quarantined "
            f"({m['rows_quarantined'] / m['rows_read']:.1%}); top reasons: "
            + ", ".join(f"{code} ({n})" for code, n in reasons[:3])
            + "; columns: "
            + ", ".join(f"{c} ({n})" for c, n in sorted(columns.items(), key=lambda kv: -kv[1]))
            + "; most frequent: "
            + ", ".join(f"{p['problem']} ({p['count']}x)" for p in problems[:5])
            + f"; the rows are in quarantine/{name}/ingest_date={batch_date}/"
        )
    raise QuarantineThresholdExceeded(
        f"batch {batch_date} has more than {threshold:.0%} of a feed's rows quarantined, so "
        "upstream probably changed or broke the export for every row: "
        + "; ".join(parts)
        + ". Nothing of this batch was committed (job A wrote no metrics file). Fix the export "
        "and land it again, or, if these rows are rightly refused, re-run this batch once with "
        "a higher threshold (locally `telco360 run --quarantine-threshold 1`, on AWS the Glue "
        "argument --quarantine_threshold); the threshold stays as set for later batches."
    )


def process_feeds(spark, lake_root: str, batch_date: str, sources: list[FeedInput]) -> dict:
    """Process the feeds FEEDS_AT_ONCE at a time, largest first; {feed: metrics} in input order.

    Concurrent Spark jobs keep every core busy while one feed is being planned on the driver or
    is in a step with few tasks. The first feed that fails fails the job (after the others end).
    """
    from concurrent.futures import ThreadPoolExecutor

    def one(source: FeedInput) -> dict:
        metrics = process_feed(spark, lake_root, batch_date, source)
        log.info("batch %s, feed %s: %s", batch_date, source.feed.name, metrics)
        return metrics

    largest_first = sorted(sources, key=lambda s: -s.rows_read)
    with ThreadPoolExecutor(max_workers=FEEDS_AT_ONCE, thread_name_prefix="feed") as pool:
        running = {s.feed.name: pool.submit(one, s) for s in largest_first}
        return {s.feed.name: running[s.feed.name].result() for s in sources}


def metrics_uri(lake_root: str, batch_date: str) -> str:
    return join(lake_root, lake_layout.metrics_file(batch_date))


@readable_spark_errors("clean_standardize (job A)", "the metrics file")
def run(
    spark,
    lake_root: str,
    batch_date: str,
    quarantine_threshold: float = DEFAULT_QUARANTINE_THRESHOLD,
) -> dict:
    """Clean and standardize every feed of one batch; return the metrics written.

    A feed whose quarantined share of rows is above `quarantine_threshold` (0 to 1; 1 turns
    the gate off) fails the batch with QuarantineThresholdExceeded, before the metrics file
    that marks job A complete is written."""
    threshold = quarantine_threshold_value(quarantine_threshold)
    for key, value in SESSION_SETTINGS.items():
        spark.conf.set(key, value)
    found = batch_files(lake_root, batch_date)
    if not found:
        raise NoInputFiles(
            f"batch {batch_date}: the raw folders under {lake_root} hold no "
            f"{' or '.join(INPUT_SUFFIXES)} file for any feed; land the exports first"
        )
    missing = [f for f in REQUIRED_FEEDS if f not in found]
    if missing:  # the pre-flight check stops such a batch; a manual run carries on
        log.warning("batch %s: required feed(s) not delivered: %s", batch_date, missing)
    lines = read_batch_lines(spark, lake_root, batch_date, found)
    # Every header of every file first: a schema break must leave the lake untouched.
    sources = inspect_batch(lines, lake_root, batch_date, found)
    # Job B takes the metrics file as "job A finished": remove it before rewriting.
    delete_tree(join(lake_root, lake_layout.metrics_dir(batch_date)))
    feeds = process_feeds(spark, lake_root, batch_date, sources)
    quarantine_gate(spark, lake_root, batch_date, feeds, threshold)
    metrics = {
        "batch_date": batch_date,
        "contract_version": CONTRACT_VERSION,
        "job": JOB_NAME,
        "feeds": feeds,
    }
    write_json(metrics_uri(lake_root, batch_date), metrics)  # last: the batch is complete
    return metrics


# --------------------------------------------------------------------------------------------
# Job arguments (as Glue and the local command line pass them: text)
# --------------------------------------------------------------------------------------------


def quarantine_threshold_value(value) -> float:
    """The threshold as a share from 0 to 1 (a job argument arrives as text)."""
    try:
        share = float(value)
    except (TypeError, ValueError):
        share = math.nan
    if not 0 <= share <= 1:
        raise argparse.ArgumentTypeError(
            f"quarantine threshold {value!r} is not a share from 0 to 1 (0.1 = 10%)"
        )
    return share


def batch_date_value(text: str) -> str:
    from datetime import date

    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None
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

    sys.exit(glue_entry.clean_standardize())
