"""Glue job B, "Build Staging": the latest state of every customer and zip code as of batch D,
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
