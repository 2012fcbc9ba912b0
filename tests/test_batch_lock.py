"""The batch-date lock (telco360.shipped.batch_lock) in moto DynamoDB, and pre-flight's use of it.

Conditional writes are atomic, so exactly one of two executions racing for a date wins:
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
"""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from telco360.shipped import batch_lock
from telco360.shipped.batch_lock import BatchInProgress

REGION = "eu-west-1"
TABLE = "telco360-dev-batch-locks"
ARN = "arn:aws:states:eu-west-1:123456789012:execution:telco360-dev-pipeline:"


@pytest.fixture
def table(fake_aws_credentials):
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(
            TableName=TABLE,
            AttributeDefinitions=[{"AttributeName": "batch_date", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "batch_date", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def holders(client) -> dict[str, str]:
    items = client.scan(TableName=TABLE)["Items"]
    return {i["batch_date"]["S"]: i["holder_name"]["S"] for i in items}


def test_one_holder_per_date_and_a_retried_invocation_keeps_it(table):
    batch_lock.acquire(TABLE, "2026-11-02", ARN + "a", "a", seconds=100, now=1000)
    # The same execution again (a retried Lambda invocation) still holds it.
    batch_lock.acquire(TABLE, "2026-11-02", ARN + "a", "a", seconds=100, now=1010)
    with pytest.raises(BatchInProgress) as refused:
        batch_lock.acquire(TABLE, "2026-11-02", ARN + "b", "b", seconds=100, now=1020)
    assert str(refused.value).startswith(
        f"batch 2026-11-02 is being processed by execution a ({ARN}a), running since "
        "1970-01-01T00:16:50Z; nothing was changed."
    )
    batch_lock.acquire(TABLE, "2026-11-03", ARN + "b", "b", seconds=100, now=1020)
    assert holders(table) == {"2026-11-02": "a", "2026-11-03": "b"}


def test_release_removes_only_the_holders_lock_and_expiry_frees_the_date(table):
    batch_lock.acquire(TABLE, "2026-11-02", ARN + "a", "a", seconds=100, now=1000)
    assert batch_lock.release(TABLE, "2026-11-02", ARN + "b") is False
    assert holders(table) == {"2026-11-02": "a"}
    # Past expires_at the lock is free even though the item is still there (TTL is lazy).
    batch_lock.acquire(TABLE, "2026-11-02", ARN + "b", "b", seconds=100, now=1101)
    assert holders(table) == {"2026-11-02": "b"}
    assert batch_lock.release(TABLE, "2026-11-02", ARN + "a") is False
    assert batch_lock.release(TABLE, "2026-11-02", ARN + "b") is True
    assert holders(table) == {}


def test_local_preflight_never_calls_dynamodb(tmp_path, monkeypatch):
    """Locally the lake is a folder and telco360.local.run_lock guards it: even with the lock table
    configured and an execution ARN given, the handler makes no AWS call (no mock here: any
    boto3 call would fail for want of credentials and network)."""
    from telco360.shipped.contract import FEEDS

    for feed in ("demographics", "location", "services", "status"):
        folder = tmp_path / "raw" / feed / "ingest_date=2026-11-02"
        folder.mkdir(parents=True)
        lines = [",".join(FEEDS[feed].headers), ",".join("x" for _ in FEEDS[feed].headers)]
        (folder / f"{feed}.csv").write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("BATCH_LOCK_TABLE", TABLE)
    monkeypatch.setenv("BATCH_LOCK_SECONDS", "14700")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")

    def no_aws():
        raise AssertionError("the local pre-flight called DynamoDB")

    monkeypatch.setattr(batch_lock, "_dynamodb", no_aws)
    from telco360.shipped import preflight as app

    class Context:
        function_name = "local"
        memory_limit_in_mb = 256
        invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:local"
        aws_request_id = "00000000-0000-4000-8000-000000000000"

    event = {
        "batch_date": "2026-11-02",
        "lake_root": str(tmp_path),
        "allow_rerun": False,
        "execution_name": "local-1",
        "execution_arn": ARN + "local-1",
    }
    summary = app.lambda_handler(event, Context())
    assert summary["files"] == 4 and "lock" not in summary


def test_the_local_runner_skips_the_lock_tasks_of_the_state_machine():
    """The ASL's DynamoDB lock tasks have no local step: the lake lock does that job."""
    from telco360.local.pipeline_definition import task_sequence

    assert task_sequence() == [
        ("Preflight", "preflight"),
        ("CleanStandardize", "clean_standardize"),
        ("BuildStaging", "build_staging"),
    ]
