"""One Glue job off Glue, on local PySpark: the local twin of telco360.shipped.jobs.glue_entry.

    python -m telco360.local.run_job clean_standardize --lake_root DIR --batch_date D \
        [--quarantine_threshold 0.1]
    python -m telco360.local.run_job build_staging --lake_root DIR --batch_date D

Same arguments as on Glue (`--JOB_NAME` is accepted and ignored); the session is
telco360.local.spark's. A job's refusal (bad input, out-of-order batch) is printed and exits 2.
"""

from __future__ import annotations

import argparse
import logging
import sys

from telco360.local.spark import local_session
from telco360.shipped.job_errors import SparkJobFailed
from telco360.shipped.jobs import build_staging as job_b
from telco360.shipped.jobs import clean_standardize as job_a

PROG = "python -m telco360.local.run_job"


def clean_standardize(argv: list[str] | None = None) -> int:
    """Job A: `--lake_root --batch_date [--quarantine_threshold]`."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    parser = argparse.ArgumentParser(
        prog=f"{PROG} clean_standardize", description=job_a.__doc__.split("\n")[0]
    )
    parser.add_argument("--lake_root", required=True, help="local folder or s3://bucket/prefix")
    parser.add_argument(
        "--batch_date", required=True, type=job_a.batch_date_value, help="YYYY-MM-DD"
    )
    parser.add_argument("--JOB_NAME", default=job_a.JOB_NAME, help="ignored off Glue")
    parser.add_argument(
        "--quarantine_threshold",
        type=job_a.quarantine_threshold_value,
        default=job_a.DEFAULT_QUARANTINE_THRESHOLD,
        help="largest share of a feed's rows that may be quarantined (0 to 1, 1 = no limit)",
    )
    args = parser.parse_args(argv)
    spark = local_session(job_a.JOB_NAME)
    try:
        metrics = job_a.run(spark, args.lake_root, args.batch_date, args.quarantine_threshold)
    except (job_a.JobInputError, SparkJobFailed) as error:
        print(f"clean_standardize: error: {error}", file=sys.stderr)
        return 2
    for name, m in metrics["feeds"].items():
        print(
            f"{name}: read {m['rows_read']}, standardized {m['rows_standardized']}, "
            f"quarantined {m['rows_quarantined']}, duplicates {m['duplicates_dropped']}"
        )
    return 0


def build_staging(argv: list[str] | None = None) -> int:
    """Job B: `--lake_root --batch_date`."""
    parser = argparse.ArgumentParser(
        prog=f"{PROG} build_staging", description=job_b.__doc__.split("\n")[0]
    )
    parser.add_argument("--lake_root", required=True, help="lake root folder or s3://bucket/prefix")
    parser.add_argument("--batch_date", required=True, help="batch date, YYYY-MM-DD")
    parser.add_argument("--JOB_NAME", default=job_b.JOB_NAME, help="ignored off Glue")
    args = parser.parse_args(argv)
    try:
        manifest = job_b.run(local_session(job_b.JOB_NAME), args.lake_root, args.batch_date)
    except (
        job_b.OutOfOrderBatch,
        job_b.MissingStandardizedInput,
        job_b.StandardizedSchemaMismatch,
    ) as error:
        print(f"build_staging: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    print(f"committed staging batch {manifest['batch_date']}: {manifest['entities']}")
    return 0


JOBS = {"clean_standardize": clean_standardize, "build_staging": build_staging}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in JOBS:
        print(f"usage: {PROG} {{{','.join(JOBS)}}} --lake_root DIR --batch_date D", file=sys.stderr)
        return 2
    return JOBS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main())
