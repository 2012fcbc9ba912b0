"""Failure-alert Lambda: alert content from each kind of payload, and one page per execution."""

from __future__ import annotations

import json

import boto3
import pytest
from conftest import REPO_ROOT
from moto import mock_aws

from telco360.shipped import notify_failure as app

EXEC_ARN = (
    "arn:aws:states:eu-west-1:123456789012:execution:telco360-dev-pipeline:"
    "d9f3c1e0-2026-11-02-scheduled"
)
CONSOLE = (
    "https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1"
    f"#/v2/executions/details/{EXEC_ARN}"
)


def event(name: str) -> dict:
    return json.loads((REPO_ROOT / "events" / name).read_text())


def test_glue_failure_alert():
    alert = app.build_alert(event("notify_catch_glue_failure.json"), environment="prod")
    assert alert["subject"] == "[telco360 prod] FAILED: CleanStandardize, batch 2026-11-02"
    lines = alert["message"].splitlines()
    assert "Failed state:  CleanStandardize" in lines
    assert "Error:         States.TaskFailed" in lines
    assert (
        "Cause:         Glue job telco360-dev-clean-standardize run "
        "jr_3c1b9f0e7d2a4c11b2f0a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8 "
        "ended FAILED after 312 s: AnalysisException: "
        "[PATH_NOT_FOUND] Path does not exist: "
        "s3://telco360-dev-lake-123456789012-eu-west-1/raw/services/ingest_date=2026-11-02."
    ) in lines
    assert "Batch date:    2026-11-02" in lines
    assert "Execution:     d9f3c1e0-2026-11-02-scheduled" in lines
    assert f"Console:       {CONSOLE}" in lines


def test_lambda_error_cause_drops_the_stack_trace():
    alert = app.build_alert(event("notify_catch_preflight_failure.json"), environment="dev")
    assert alert["subject"] == "[telco360 dev] FAILED: Preflight, batch 2026-11-02"
    assert (
        "Cause:         SchemaMismatch: batch 2026-11-02 does not match the feed contract: feed "
        "services, file raw/services/ingest_date=2026-11-02/services.csv: missing column(s) "
        "'Monthly Charge'."
    ) in alert["message"]
    assert "stackTrace" not in alert["message"] and "/var/task" not in alert["message"]


def test_timed_out_status_event_alert():
    alert = app.build_alert(event("execution_timed_out.json"), environment="dev")
    assert alert["subject"] == "[telco360 dev] TIMED_OUT: execution timeout, batch 2026-11-02"
    assert "Error:         States.Timeout" in alert["message"]
    assert f"Console:       {CONSOLE}" in alert["message"]


def test_flat_payload_of_the_local_runner_and_long_values_are_trimmed():
    payload = {
        "failed_state": "BuildStaging" * 10,
        "error": "Py4JJavaError",
        "cause": "x" * 5000,
        "batch_date": "2026-11-03",
        "execution_name": "local-2026-11-03",
    }
    alert = app.build_alert(payload, environment="local")
    assert len(alert["subject"]) == 100 and alert["subject"].endswith("...")
    cause_line = next(x for x in alert["message"].splitlines() if x.startswith("Cause:"))
    assert len(cause_line) == len("Cause:         ") + app.CAUSE_MAX
    assert "Console:       (no console link: not an AWS execution)" in alert["message"]


def _entered(name: str) -> dict:
    return {"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": name}}


def _exited(name: str) -> dict:
    return {"type": "TaskStateExited", "stateExitedEventDetails": {"name": name}}


PAGED = [_entered("Preflight"), _entered("NotifyFailure"), _exited("NotifyFailure")]
NOT_PAGED = [_entered("Preflight"), _exited("Preflight"), _entered("CleanStandardize")]


@pytest.mark.parametrize(
    ("name", "history", "pages"),
    [
        ("notify_catch_glue_failure.json", [], True),  # the Catch path itself
        ("execution_timed_out.json", NOT_PAGED, True),
        ("execution_aborted.json", NOT_PAGED, True),
        ("execution_failed_invalid_input.json", [], True),
        ("execution_failed_after_catch.json", PAGED, False),  # already paged by NotifyFailure
        ("execution_failed_input_omitted.json", PAGED, False),
        # NotifyFailure entered but never completed (its publish failed): page from here
        ("execution_failed_after_catch.json", PAGED[:2], True),
    ],
)
def test_exactly_one_page_rule(name, history, pages):
    """AWS's status events carry no error or cause
    (https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html): the decision comes
    from the execution's history, not from the event."""
    assert "error" not in event(name).get("detail", {})
    assert app.should_page(event(name), history) is pages


def test_documented_status_events_carry_no_error_and_may_omit_the_input():
    for name in (
        "execution_failed_after_catch.json",
        "execution_failed_invalid_input.json",
        "execution_timed_out.json",
        "execution_aborted.json",
        "execution_failed_input_omitted.json",
    ):
        detail = event(name)["detail"]
        assert not {"error", "cause"} & set(detail), name
        assert set(detail) == {
            "executionArn",
            "stateMachineArn",
            "name",
            "status",
            "startDate",
            "stopDate",
            "input",
            "inputDetails",
            "output",
            "outputDetails",
        }, name
    omitted = event("execution_failed_input_omitted.json")["detail"]
    assert omitted["input"] is None and omitted["inputDetails"] == {"included": False}


def test_timed_out_alert_takes_state_and_batch_from_the_execution_when_input_is_omitted():
    status_event = event("execution_failed_input_omitted.json")
    status_event["detail"]["status"] = "TIMED_OUT"
    execution = {
        "described": {
            "status": "TIMED_OUT",
            "input": '{"scheduled_time": "2026-11-02T05:30:00Z"}',
            "executionArn": EXEC_ARN,
        },
        "history": NOT_PAGED,
    }
    alert = app.build_alert(status_event, environment="dev", execution=execution)
    assert alert["subject"] == (
        "[telco360 dev] TIMED_OUT: execution timeout in CleanStandardize, batch 2026-11-02"
    )
    assert "Error:         States.Timeout" in alert["message"]


class Context:
    function_name = "telco360-dev-notify-failure"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:notify"
    aws_request_id = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def topic(monkeypatch, fake_aws_credentials):
    monkeypatch.setenv("ENVIRONMENT_NAME", "dev")
    with mock_aws():
        sns = boto3.client("sns")
        sqs = boto3.client("sqs")
        arn = sns.create_topic(Name="telco360-dev-alerts")["TopicArn"]
        queue = sqs.create_queue(QueueName="pager")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
        sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"])
        monkeypatch.setenv("ALERT_TOPIC_ARN", arn)

        def pages():
            got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
            return [json.loads(m["Body"]) for m in got.get("Messages", [])]

        yield pages


def test_handler_publishes_one_message(topic):
    result = app.lambda_handler(event("notify_catch_glue_failure.json"), Context())
    assert result["published"] is True
    (page,) = topic()
    assert page["Subject"] == "[telco360 dev] FAILED: CleanStandardize, batch 2026-11-02"
    assert page["MessageAttributes"]["failed_state"]["Value"] == "CleanStandardize"


class FakeSfn:
    """DescribeExecution / GetExecutionHistory of one ended execution."""

    def __init__(self, described: dict, history: list[dict]):
        self.described, self.history = described, history

    def describe_execution(self, executionArn):
        assert executionArn == self.described["executionArn"]
        return self.described

    def get_paginator(self, name):
        assert name == "get_execution_history"
        history = self.history

        class Pages:
            def paginate(self, **kwargs):
                return [{"events": history}]

        return Pages()


def test_handler_skips_the_status_event_of_a_caught_failure(topic, monkeypatch):
    described = {"status": "FAILED", "executionArn": EXEC_ARN, "error": "PipelineFailed"}
    monkeypatch.setattr(app, "_sfn", lambda: FakeSfn(described, PAGED))
    result = app.lambda_handler(event("execution_failed_after_catch.json"), Context())
    assert result["published"] is False
    assert topic() == []
