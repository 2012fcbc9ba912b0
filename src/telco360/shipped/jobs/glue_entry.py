"""What AWS Glue runs: read the job arguments, take Glue's Spark session, call the job's `run`.

The only module that imports `awsglue` (it exists on Glue only). The file Glue uploads for
each job, `glue/<job>.py`, is generated from this package (`telco360.ops.glue_bundle`) and ends by
calling one of the functions below. Errors propagate: Glue marks the run FAILED with the
message, and the state machine's Catch sends it to the notifier.
"""

from __future__ import annotations

import logging
import sys


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
    """Job A on Glue: `--JOB_NAME --lake_root --batch_date --quarantine_threshold`."""
    from telco360.shipped.jobs import clean_standardize as job_a

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    spark, job, args = _glue_job(argv, ["lake_root", "batch_date", "quarantine_threshold"])
    job_a.run(
        spark,
        args["lake_root"],
        job_a.batch_date_value(args["batch_date"]),
        job_a.quarantine_threshold_value(args["quarantine_threshold"]),
    )
    job.commit()
    return 0


def build_staging(argv: list[str] | None = None) -> int:
    """Job B on Glue: `--JOB_NAME --lake_root --batch_date` (the Glue run id names the run)."""
    from telco360.shipped.jobs import build_staging as job_b

    spark, job, args = _glue_job(argv, ["lake_root", "batch_date"])
    manifest = job_b.run(spark, args["lake_root"], args["batch_date"], args.get("JOB_RUN_ID"))
    print(f"committed staging batch {manifest['batch_date']}: {manifest['entities']}")
    job.commit()
    return 0
