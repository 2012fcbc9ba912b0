"""What an operator reads when a Glue job fails inside Spark.

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
