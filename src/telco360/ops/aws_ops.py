"""`--aws`: the same operations against the deployed stack, one execution at a time.

`telco360 run --aws --date D` starts the state machine for D and follows it to the end; it
refuses a date older than a committed batch it would not also run (job B builds each date on
the latest committed batch before it, so the later ones would stay built on the old state) and
prints the backfill command instead.
`telco360 backfill --aws --from D1 [--to D2]` un-commits D1 and every later committed date in
the lake bucket, then runs the dates in order, waiting for each; it stops at the first failure.
Every execution gets a unique name (Standard workflow names must be unique for 90 days).
"""

from __future__ import annotations

import json
import sys
import time
import uuid

import boto3

from telco360.local import lake_state
from telco360.ops import backfill as backfill_policy

POLL_SECONDS = 10.0
STATE_MACHINE_OUTPUT = "StateMachineArn"
BUCKET_OUTPUT = "LakeBucketName"


def _session(region: str | None):
    return boto3.session.Session(region_name=region) if region else boto3.session.Session()


def stack_outputs(session, stack: str) -> dict[str, str]:
    described = session.client("cloudformation").describe_stacks(StackName=stack)
    return {o["OutputKey"]: o["OutputValue"] for o in described["Stacks"][0].get("Outputs", [])}


def execution_name(batch_date: str) -> str:
    """Unique per start: a name already used in the last 90 days is refused by Step Functions
    (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html)."""
    return f"manual-{batch_date}-{uuid.uuid4().hex[:12]}"


def start_and_follow(sfn, state_machine_arn: str, batch_date: str, poll: float = POLL_SECONDS):
    """Start one execution for `batch_date` and wait for it; returns describe_execution."""
    name = execution_name(batch_date)
    started = sfn.start_execution(
        stateMachineArn=state_machine_arn, name=name, input=json.dumps({"batch_date": batch_date})
    )
    print(f"[{batch_date}] started {name}")
    while True:
        described = sfn.describe_execution(executionArn=started["executionArn"])
        if described["status"] != "RUNNING":
            print(f"[{batch_date}] {described['status']}")
            return described
        time.sleep(poll)


def _run_in_order(sfn, arn: str, dates: list[str], poll: float) -> int:
    for day in dates:
        described = start_and_follow(sfn, arn, day, poll)
        if described["status"] != "SUCCEEDED":
            print(
                f"error: the execution for {day} ended {described['status']}: "
                f"{described.get('error', '')} {described.get('cause', '')}. Later dates were not "
                f"started. See the execution in the Step Functions console and the SNS alert; "
                f"fix the cause and run `telco360 backfill --aws --from {day}`.",
                file=sys.stderr,
            )
            return 1
    return 0


def backfill_command(stack: str, region: str | None, first: str) -> str:
    region_option = f" --region {region}" if region else ""
    return f"telco360 backfill --aws --stack {stack}{region_option} --from {first}"


def later_committed(lake: str, dates: list[str]) -> list[str]:
    """Committed batches after the first of `dates` that `dates` would not re-run."""
    first = min(dates)
    return [d for d in lake_state.committed_dates(lake) if d > first and d not in dates]


def run_dates(
    stack: str,
    dates: list[str] | None,
    *,
    region: str | None = None,
    state_machine_arn: str | None = None,
    from_date: str | None = None,
    to_date: str | None = None,
    poll: float = POLL_SECONDS,
) -> int:
    """Run `dates`, or (None) the dates landed or committed in the bucket within from/to."""
    session = _session(region)
    outputs = stack_outputs(session, stack)
    arn = state_machine_arn or outputs[STATE_MACHINE_OUTPUT]
    lake = f"s3://{outputs[BUCKET_OUTPUT]}"
    if dates is None and (from_date or to_date):
        dates = lake_state.dates_between(lake, from_date, to_date)
    if not dates:
        print(
            "error: --aws needs --date, or --from/--to matching dates in the bucket",
            file=sys.stderr,
        )
        return 1
    later = later_committed(lake, dates)
    if later:
        print(
            f"error: {min(dates)} is older than committed batch(es) {', '.join(later)}, which "
            "were built on the state this re-run would change; nothing was started. Re-run it "
            f"and every later date in order with `{backfill_command(stack, region, min(dates))}`.",
            file=sys.stderr,
        )
        return 1
    return _run_in_order(session.client("stepfunctions"), arn, dates, poll)


def backfill(
    stack: str,
    from_date: str,
    to_date: str | None = None,
    *,
    region: str | None = None,
    state_machine_arn: str | None = None,
    poll: float = POLL_SECONDS,
) -> int:
    """The local backfill's policy (`telco360.ops.backfill`) on the lake bucket, then the dates
    run in order, one execution at a time."""
    session = _session(region)
    outputs = stack_outputs(session, stack)
    arn = state_machine_arn or outputs[STATE_MACHINE_OUTPUT]
    lake = f"s3://{outputs[BUCKET_OUTPUT]}"
    first, last = from_date, to_date or from_date
    dates = backfill_policy.dates_to_rerun(lake, first, last)
    later = backfill_policy.uncommit_from(lake, first)
    print(f"un-committed {', '.join(later) or 'nothing'}; running {', '.join(dates)} in order")
    # The task's load sees ledger dates with no marker and rewinds by itself (docs/SNOWFLAKE.md,
    # "Re-runs and backfills on AWS"; tests/test_warehouse_follows_lake.py).
    print(
        f"Snowflake: nothing to do; its next task run rewinds to before {first} and loads each "
        "date again as it is committed."
    )
    return _run_in_order(session.client("stepfunctions"), arn, dates, poll)
