"""`telco360 run`: every pending batch, in date order, through the state machine's own steps.

Per batch, `LocalPipeline.run_batch` reads as `statemachines/pipeline.asl.json` does: the
pre-flight Lambda handler in-process, Glue job A, Glue job B on local PySpark (the very `run`
functions Glue calls), then the warehouse load into DuckDB (on AWS that is the Snowflake
task). The first failure stops everything, records the alert the failure-alert Lambda would
have published, and is raised as `StepFailed`.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from telco360.local import lake_state
from telco360.local.pipeline_definition import failure_state_name
from telco360.shipped import lake_io, lake_layout

# The jobs (PySpark) and the warehouse (DuckDB, sqlglot) take seconds to import: they are
# imported where used, so that `telco360 run` starts the JVM before it imports them.

# The ASL's Task state names, as the steps are reported and alerted.
PREFLIGHT_STATE = "Preflight"
CLEAN_STANDARDIZE_STATE = "CleanStandardize"
BUILD_STAGING_STATE = "BuildStaging"
WAREHOUSE_STATE = "WarehouseLoad"  # not an ASL state: Snowflake's task does this on AWS


class StepFailed(Exception):
    """A step failed; the run stopped there. Carries the alert that was recorded."""

    def __init__(self, batch_date: str, state: str, error: BaseException, alert: dict):
        self.batch_date, self.state, self.error, self.alert = batch_date, state, error, alert
        super().__init__(alert["message"])

    def explain(self) -> str:
        """One paragraph for a person: what failed, for which batch, why, and what to do."""
        return (
            f"{self.state} failed for batch {self.batch_date}: "
            f"{type(self.error).__name__}: {self.error}. Nothing after it ran and no later batch "
            f"was started. Fix the cause, then run `telco360 run` again: it resumes from this "
            f"batch (re-running it is safe). The alert is in {self.alert['path']}."
        )


@dataclass
class BatchReport:
    batch_date: str
    steps: list[tuple[str, float]] = field(default_factory=list)  # (state, seconds)
    manifest: dict | None = None
    load: dict | None = None


class LocalLambdaContext:
    """What Powertools reads from a Lambda context, for calling handlers in-process."""

    function_name = "telco360-local"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:local:000000000000:function:telco360-local"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 300_000


def _quiet_powertools() -> None:
    # The handlers run in-process: keep their metrics/traces off and their logs to warnings.
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Telco360")
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "telco360-local")


def preflight_module():
    """The pre-flight Lambda's handler module, imported once Powertools is quieted (its Logger
    and Metrics read their settings when the module is imported)."""
    _quiet_powertools()
    from telco360.shipped import preflight

    return preflight


def notifier_module():
    """The failure-alert Lambda's handler module, imported as `preflight_module` is."""
    _quiet_powertools()
    from telco360.shipped import notify_failure

    return notify_failure


class LocalPipeline:
    """Runs batches on one machine. One Spark session for the whole run, created on first use."""

    def __init__(
        self,
        lake: str,
        warehouse_path: str,
        echo: Callable[[str], None] = print,
        quarantine_threshold: float | None = None,
    ):
        self.lake = os.path.abspath(lake)
        self.warehouse_path = warehouse_path
        self.echo = echo
        # Job A's gate (None: the job's default, as the stack parameter's default on AWS).
        self.quarantine_threshold = quarantine_threshold
        self.execution = f"local-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"
        self._spark = None
        self._starting = None  # the Spark session being started in the background

    # -- the steps -------------------------------------------------------------------------
    def start_spark(self, input_bytes: int | None = None) -> None:
        """Start the Spark session in the background: the JVM boots (seconds) while the
        pre-flight check runs, instead of after it. `input_bytes` (the raw files to process)
        tunes the JVM for the run's size (see telco360.local.spark.local_session)."""
        if self._spark is None and self._starting is None:
            from concurrent.futures import ThreadPoolExecutor

            from telco360.local.spark import local_session

            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spark-start")
            self._starting = pool.submit(local_session, "telco360-run", input_bytes=input_bytes)
            pool.shutdown(wait=False)  # the thread ends when the session is up

    @property
    def spark(self):
        if self._spark is None:
            from telco360.local.spark import local_session

            self._spark = (
                self._starting.result() if self._starting else local_session("telco360-run")
            )
        return self._spark

    def preflight(self, batch_date: str, rerun: bool) -> dict:
        event = {
            "batch_date": batch_date,
            "lake_root": self.lake,
            "allow_rerun": rerun,
            "execution_name": self.execution,
        }
        return preflight_module().lambda_handler(event, LocalLambdaContext())

    def clean_standardize(self, batch_date: str) -> dict:
        from telco360.shipped.jobs import clean_standardize

        threshold = self.quarantine_threshold
        if threshold is None:
            threshold = clean_standardize.DEFAULT_QUARANTINE_THRESHOLD
        return clean_standardize.run(
            self.spark, self.lake, batch_date, quarantine_threshold=threshold
        )

    def build_staging(self, batch_date: str) -> dict:
        from telco360.shipped.jobs import build_staging

        return build_staging.run(self.spark, self.lake, batch_date, run_id=self.execution)

    def load(self, batch_date: str) -> dict:
        from telco360.local import warehouse

        return warehouse.load_batch(self.lake, self.warehouse_path, batch_date)

    # -- running ---------------------------------------------------------------------------
    def _timed(self, report: BatchReport, state: str, action: Callable[[], object]):
        self.echo(f"  [{report.batch_date}] {state} ...")
        started = time.perf_counter()
        try:
            result = action()
        except Exception as error:
            raise self._fail(report.batch_date, state, error) from error
        elapsed = time.perf_counter() - started
        report.steps.append((state, elapsed))
        self.echo(f"  [{report.batch_date}] {state} ok ({elapsed:.1f}s)")
        return result

    def run_batch(self, batch_date: str, *, rerun: bool = False) -> BatchReport:
        """The state machine's Tasks, in the ASL's order, then the warehouse load."""
        report = BatchReport(batch_date)
        self._timed(report, PREFLIGHT_STATE, lambda: self.preflight(batch_date, rerun))
        self._timed(report, CLEAN_STANDARDIZE_STATE, lambda: self.clean_standardize(batch_date))
        report.manifest = self._timed(
            report, BUILD_STAGING_STATE, lambda: self.build_staging(batch_date)
        )
        report.load = self._timed(report, WAREHOUSE_STATE, lambda: self.load(batch_date))
        return report

    def load_only(self, batch_date: str) -> BatchReport:
        """A batch committed in the lake but not yet in the warehouse: the load alone."""
        report = BatchReport(batch_date, manifest=lake_state.manifest(self.lake, batch_date))
        report.load = self._timed(report, WAREHOUSE_STATE, lambda: self.load(batch_date))
        return report

    # -- failure ---------------------------------------------------------------------------
    def _fail(self, batch_date: str, state: str, error: BaseException) -> StepFailed:
        alert = record_alert(self.lake, batch_date, state, error, self.execution)
        return StepFailed(batch_date, state, error, alert)


def catch_payload(batch_date: str, state: str, error: BaseException, execution: str) -> dict:
    """The payload the state machine's NotifyFailure state hands to the failure-alert Lambda."""
    return {
        "source": "catch",
        "batch_date": batch_date,
        "error": type(error).__name__,
        "cause": str(error),
        "failed_state": state,
        "execution_arn": f"local:{execution}",
        "execution_name": execution,
        "state_machine_arn": "local:telco360",
        "execution_start_time": datetime.now(UTC).isoformat(),
    }


def record_alert(
    lake: str, batch_date: str, state: str, error: BaseException, execution: str
) -> dict:
    """Write the alert the failure-alert Lambda would publish to SNS under `_alerts/`."""
    payload = catch_payload(batch_date, state, error, execution)
    alert = dict(notifier_module().build_alert(payload))
    folder = Path(lake_io.join(lake, lake_layout.alerts_dir(batch_date)))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{state}.json"
    alert["path"] = str(path)
    alert["failure_state"] = failure_state_name()
    path.write_text(json.dumps(alert, indent=2, default=str) + "\n", encoding="utf-8")
    return alert


@dataclass(frozen=True)
class Plan:
    full: list[str]  # landed, not committed: every step
    load_only: list[str]  # committed, not loaded: the warehouse load

    @property
    def dates(self) -> list[str]:
        return sorted(self.full + self.load_only)


def to_process(lake: str, dates: list[str] | None = None) -> list[str]:
    """The batches the jobs will run for: landed but not committed (the lake alone tells)."""
    committed = set(lake_state.committed_dates(lake))
    landed = set(lake_state.landed_dates(lake))
    if dates is not None:
        landed &= set(dates)
    return sorted(landed - committed)


def plan(lake: str, warehouse_path: str, dates: list[str] | None = None) -> Plan:
    """What is pending: landed but not committed, or committed but not loaded."""
    from telco360.local import warehouse

    committed = set(lake_state.committed_dates(lake))
    loaded = (
        set(warehouse.loaded_batches(warehouse_path)) if Path(warehouse_path).exists() else set()
    )
    candidates = committed if dates is None else committed & set(dates)
    load_only = sorted(d for d in candidates if d not in loaded)
    return Plan(full=to_process(lake, dates), load_only=load_only)


def run_pending(pipeline: LocalPipeline, pending: Plan) -> list[BatchReport]:
    """Run the plan in date order; the first failure raises StepFailed and stops the rest."""
    reports = []
    full = set(pending.full)
    if full:
        pipeline.start_spark(lake_state.raw_bytes(pipeline.lake, sorted(full)))
    for day in pending.dates:
        pipeline.echo(f"batch {day}")
        if day in full:
            reports.append(pipeline.run_batch(day))
        else:
            reports.append(pipeline.load_only(day))
    return reports
