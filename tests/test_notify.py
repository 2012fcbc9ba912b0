"""Failure-alert Lambda: alert content from each kind of payload, and one page per execution."""

from __future__ import annotations

import json

import boto3
import pytest
from conftest import REPO_ROOT, load_module
from moto import mock_aws

app = load_module("functions/notify_failure/app.py", "notify_app")
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


@pytest.mark.parametrize(
    ("name", "pages"),
    [
        ("notify_catch_glue_failure.json", True),
        ("execution_timed_out.json", True),
        ("execution_failed_invalid_input.json", True),
        ("execution_failed_after_catch.json", False),  # already paged by NotifyFailure
    ],
)
def test_exactly_one_page_rule(name, pages):
    assert app.should_page(event(name)) is pages


class Context:
    function_name = "telco360-dev-notify-failure"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:notify"
    aws_request_id = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def topic(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
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


def test_handler_skips_the_status_event_of_a_caught_failure(topic):
    result = app.lambda_handler(event("execution_failed_after_catch.json"), Context())
    assert result["published"] is False
    assert topic() == []
