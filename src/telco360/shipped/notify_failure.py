"""Failure alert: one SNS message per failed, timed-out or aborted pipeline execution.

Two callers:
- the state machine's Catch path (NotifyFailure state), payload
  `{"source": "catch", "batch_date", "failure": {"<FailedState>": {"Error", "Cause"}},
    "execution_arn", "execution_name", "state_machine_arn", "execution_start_time"}`;
  the local runner passes the same shape (or flat `failed_state`/`error`/`cause` keys);
- an EventBridge rule on "Step Functions Execution Status Change" (FAILED, TIMED_OUT, ABORTED),
  for what a Catch cannot see.

One page per execution. AWS's status events carry no error or cause, and may omit the input
(https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html), so for a status event
the handler reads the execution itself (states:DescribeExecution, GetExecutionHistory): if
the NotifyFailure state already completed in that execution, the Catch path paged and the
event is skipped (`catch_path_paged`); otherwise it pages with the status, error and cause
DescribeExecution gives and the state the execution was in. Timeouts, aborts, invalid input
and a failure of NotifyFailure itself page this way. It also releases the batch-date lock the
execution may still hold (telco360.shipped.batch_lock): TIMED_OUT and ABORTED executions run no
state of their own to release it.

On AWS this module comes from the contract layer; the function's own code is only its entry,
functions/notify_failure/app.py.

Cold start matters: the X-Ray SDK and boto3 are slow to import, so neither is imported at
module level. The Tracer comes from telco360.shipped.lambda_tracing (built on the first
invocation), and the SNS client is created on first use and patches boto3 for X-Ray; both are
then cached.
"""

from __future__ import annotations

import functools
import json
import os

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from telco360.shipped.lambda_tracing import capture_lambda_handler, tracer

logger = Logger()
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Telco360"))


CATCH_HANDLED_ERROR = "PipelineFailed"  # the Error of the ASL's final Fail state
CATCH_NOTIFY_STATE = "NotifyFailure"  # the ASL state that pages on the Catch path
STATUS_CHANGE = "Step Functions Execution Status Change"
SUBJECT_MAX = 100  # SNS limit
CAUSE_MAX = 1500


def is_status_event(payload: dict) -> bool:
    return payload.get("detail-type") == STATUS_CHANGE


def catch_path_paged(history: list[dict]) -> bool:
    """True when the execution's NotifyFailure state completed: the Catch path paged. (It has
    no Catch, so it exits only after a successful publish.)"""
    return any(
        e.get("type") == "TaskStateExited"
        and (e.get("stateExitedEventDetails") or {}).get("name") == CATCH_NOTIFY_STATE
        for e in history
    )


def should_page(payload: dict, history: list[dict] | None = None) -> bool:
    """False only for the status event of an execution whose Catch path already paged; the
    event alone cannot tell (it has no error), its execution history can."""
    if not is_status_event(payload):
        return True
    return not catch_path_paged(history or [])


def last_state(history: list[dict]) -> str | None:
    """The state the execution was in when it ended (the last one entered)."""
    entered = [
        (e.get("stateEnteredEventDetails") or {}).get("name")
        for e in history
        if e.get("type", "").endswith("StateEntered")
    ]
    return entered[-1] if entered else None


def readable_cause(cause: str | None) -> str:
    """Turn the JSON causes of Lambda and Glue into one readable paragraph, trimmed."""
    if not cause:
        return "(no cause given)"
    text = cause.strip()
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if isinstance(doc, dict):
        if "errorMessage" in doc or "errorType" in doc:  # a Lambda function error
            text = f"{doc.get('errorType', 'Error')}: {doc.get('errorMessage', '')}".strip()
        elif "JobRunState" in doc:  # a Glue job run that ended badly (.sync)
            seconds = doc.get("ExecutionTime")
            took = f" after {seconds} s" if seconds is not None else ""
            text = (
                f"Glue job {doc.get('JobName', '?')} run {doc.get('Id', '?')} ended "
                f"{doc['JobRunState']}{took}: {doc.get('ErrorMessage') or 'no error message'}"
            )
    text = " ".join(text.split())
    return text if len(text) <= CAUSE_MAX else text[: CAUSE_MAX - 1] + "…"


def console_url(execution_arn: str | None) -> str:
    if not execution_arn or not execution_arn.startswith("arn:"):
        return "(no console link: not an AWS execution)"
    region = execution_arn.split(":")[3]
    return (
        f"https://{region}.console.aws.amazon.com/states/home?region={region}"
        f"#/v2/executions/details/{execution_arn}"
    )


def _batch_date_from_input(raw_input: str | None) -> str | None:
    try:
        doc = json.loads(raw_input or "{}")
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    scheduled = doc.get("scheduled_time")
    return doc.get("batch_date") or (scheduled[:10] if isinstance(scheduled, str) else None)


def _facts(payload: dict, execution: dict | None = None) -> dict:
    """The alert's facts, from either caller's payload (and, for a status event, from
    DescribeExecution and the history: `execution` = {"described", "history"})."""
    if is_status_event(payload):
        detail = payload.get("detail") or {}
        described = (execution or {}).get("described") or {}
        status = described.get("status") or detail.get("status", "FAILED")
        where = last_state((execution or {}).get("history") or [])
        kind = {"TIMED_OUT": "execution timeout", "ABORTED": "execution aborted"}.get(status)
        failed_state = f"{kind} in {where}" if kind and where else kind or where or "execution"
        error = described.get("error") or detail.get("error")
        return {
            "status": status,
            "failed_state": failed_state,
            "error": error or {"TIMED_OUT": "States.Timeout"}.get(status, status),
            "cause": described.get("cause") or detail.get("cause"),
            "batch_date": _batch_date_from_input(described.get("input") or detail.get("input")),
            "execution_name": detail.get("name"),
            "execution_arn": detail.get("executionArn"),
        }
    failure = payload.get("failure") or {}
    if failure:
        failed_state, error_doc = next(iter(failure.items()))
    else:
        failed_state = payload.get("failed_state") or "unknown state"
        error_doc = {"Error": payload.get("error"), "Cause": payload.get("cause")}
    return {
        "status": "FAILED",
        "failed_state": failed_state,
        "error": error_doc.get("Error") or "unknown error",
        "cause": error_doc.get("Cause"),
        "batch_date": payload.get("batch_date"),
        "execution_name": payload.get("execution_name"),
        "execution_arn": payload.get("execution_arn"),
    }


def build_alert(
    payload: dict, environment: str | None = None, execution: dict | None = None
) -> dict:
    """{"subject", "message", "attributes"} for one failed execution."""
    env = environment or os.environ.get("ENVIRONMENT_NAME", "local")
    facts = _facts(payload, execution)
    batch = facts["batch_date"] or "unknown date"
    subject = f"[telco360 {env}] {facts['status']}: {facts['failed_state']}, batch {batch}"
    subject = " ".join(subject.split())  # SNS subjects: one line
    if len(subject) > SUBJECT_MAX:
        subject = subject[: SUBJECT_MAX - 3] + "..."
    message = "\n".join(
        [
            f"The Telco Customer 360 pipeline ({env}) did not complete.",
            "",
            f"Failed state:  {facts['failed_state']}",
            f"Status:        {facts['status']}",
            f"Error:         {facts['error']}",
            f"Cause:         {readable_cause(facts['cause'])}",
            f"Batch date:    {batch}",
            f"Execution:     {facts['execution_name'] or '(unknown)'}",
            f"Console:       {console_url(facts['execution_arn'])}",
            "",
            "Nothing after the failed step ran; the batch is not committed. Fix the cause, then",
            f'start a new execution with {{"batch_date": "{batch}"}} (see docs/AWS.md, Operating).',
        ]
    )
    return {
        "subject": subject,
        "message": message,
        "attributes": {
            "environment": env,
            "failed_state": facts["failed_state"],
            "batch_date": batch,
            "error": str(facts["error"]),
        },
    }


@functools.cache
def _sns():
    import boto3  # lazily: cold start

    tracer().patch(["boto3"])  # X-Ray subsegment for the publish call
    return boto3.client("sns")


@functools.cache
def _sfn():
    import boto3  # lazily: cold start

    tracer().patch(["boto3"])
    return boto3.client("stepfunctions")


def read_execution(execution_arn: str) -> dict:
    """DescribeExecution (full input, error, cause) and the whole execution history."""
    sfn = _sfn()
    described = sfn.describe_execution(executionArn=execution_arn)
    history: list[dict] = []
    pages = sfn.get_paginator("get_execution_history")
    for page in pages.paginate(executionArn=execution_arn, includeExecutionData=False):
        history.extend(page["events"])
    return {"described": described, "history": history}


def _release_lock(execution: dict) -> bool:
    """Free the batch date if this ended execution still holds it (only its own lock)."""
    from telco360.shipped import batch_lock  # the contract layer

    table = os.environ.get(batch_lock.TABLE_ENV)
    described = execution["described"]
    batch_date = _batch_date_from_input(described.get("input"))
    if not table or not batch_date:
        return False
    return batch_lock.release(table, batch_date, described["executionArn"])


@metrics.log_metrics
@capture_lambda_handler
@logger.inject_lambda_context(log_event=True)
def lambda_handler(event: dict, context) -> dict:
    execution_name = event.get("execution_name") or (event.get("detail") or {}).get("name")
    logger.set_correlation_id(execution_name)
    execution = None
    if is_status_event(event):
        execution = read_execution(event["detail"]["executionArn"])
        if _release_lock(execution):
            logger.info("released the batch lock the ended execution held")
        if not should_page(event, execution["history"]):
            logger.info("already paged by the Catch path; not paging twice")
            metrics.add_metric(name="AlertsDeduplicated", unit=MetricUnit.Count, value=1)
            return {"published": False, "reason": "failure already paged by NotifyFailure"}
    alert = build_alert(event, execution=execution)
    response = _sns().publish(
        TopicArn=os.environ["ALERT_TOPIC_ARN"],
        Subject=alert["subject"],
        Message=alert["message"],
        MessageAttributes={
            k: {"DataType": "String", "StringValue": v} for k, v in alert["attributes"].items()
        },
    )
    metrics.add_metric(name="AlertsPublished", unit=MetricUnit.Count, value=1)
    logger.info("alert published", extra={"subject": alert["subject"]})
    return {"published": True, "message_id": response["MessageId"], "subject": alert["subject"]}
