"""The lake's tables in the AWS Glue Data Catalog, what Athena queries: built from the contract.

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
