"""What AWS Glue runs: read the job arguments, take Glue's Spark session, call the job's `run`.

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
