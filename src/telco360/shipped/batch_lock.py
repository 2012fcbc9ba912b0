"""One execution per batch date on AWS: a lock item in DynamoDB, taken by a conditional write.

The pre-flight Lambda takes the lock for its execution before it checks the batch; the state
machine releases it on its success and failure paths (a conditional DeleteItem: only the
holder's item is removed), and the failure-alert Lambda releases it for executions that end
TIMED_OUT or ABORTED, which run no state of their own. An item whose `expires_at` is past is
free: an execution that could not release it (it cannot outlive the state machine timeout)
never blocks its date for longer than that; DynamoDB's TTL on `expires_at` deletes it later.

A conditional write is atomic in DynamoDB, so of two executions racing for a date exactly one
succeeds: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
TTL deletes expired items within a few days, not at once, hence the explicit `expires_at < now`
in the condition: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html

Locally the lake has its own lock (telco360.local.run_lock): this module is used only when the
Lambda is configured with a lock table (`BATCH_LOCK_TABLE`) and the lake is on S3.
Standard library only (boto3 is imported lazily), shipped to both Lambdas in the contract layer.
"""

from __future__ import annotations

import functools
import time

TABLE_ENV = "BATCH_LOCK_TABLE"
SECONDS_ENV = "BATCH_LOCK_SECONDS"


class BatchInProgress(Exception):
    """Another execution holds this batch date; the class name is the Step Functions error."""


@functools.cache
def _dynamodb():
    import boto3  # lazily: cold start, and the local runner never needs it

    return boto3.client("dynamodb")


def acquire(
    table: str, batch_date: str, holder: str, holder_name: str, seconds: int, now=None
) -> dict:
    """Take the lock on `batch_date` for `holder` (an execution ARN); raise BatchInProgress
    naming the current holder if another live execution has it. Taking it again as the same
    holder (a retried Lambda invocation) succeeds."""
    now = int(time.time() if now is None else now)
    item = {
        "batch_date": {"S": batch_date},
        "holder": {"S": holder},
        "holder_name": {"S": holder_name},
        "acquired_at": {"N": str(now)},
        "expires_at": {"N": str(now + seconds)},
    }
    client = _dynamodb()
    try:
        client.put_item(
            TableName=table,
            Item=item,
            ConditionExpression=(
                "attribute_not_exists(batch_date) OR holder = :me OR expires_at < :now"
            ),
            ExpressionAttributeValues={":me": {"S": holder}, ":now": {"N": str(now)}},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except client.exceptions.ConditionalCheckFailedException as exc:
        current = exc.response.get("Item") or {}
        if not current:  # older SDKs return no item: read it
            current = client.get_item(
                TableName=table, Key={"batch_date": {"S": batch_date}}, ConsistentRead=True
            ).get("Item", {})
        held_by = current.get("holder", {}).get("S", "(unknown)")
        name = current.get("holder_name", {}).get("S", held_by.rsplit(":", 1)[-1])
        since = int(current.get("acquired_at", {}).get("N", "0"))
        until = int(current.get("expires_at", {}).get("N", "0"))
        raise BatchInProgress(
            f"batch {batch_date} is being processed by execution {name} ({held_by}), "
            f"running since {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(since))}; "
            "nothing was changed. Wait for it to end (its lock is released on every exit, or "
            f"expires at {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(until))}), "
            "then re-run the date if it is still needed."
        ) from exc
    return {"batch_date": batch_date, "holder": holder, "expires_at": now + seconds}


def release(table: str, batch_date: str, holder: str) -> bool:
    """Remove the lock if `holder` still holds it; False when it holds nothing (never
    removes another execution's lock)."""
    client = _dynamodb()
    try:
        client.delete_item(
            TableName=table,
            Key={"batch_date": {"S": batch_date}},
            ConditionExpression="holder = :me",
            ExpressionAttributeValues={":me": {"S": holder}},
        )
    except client.exceptions.ConditionalCheckFailedException:
        return False
    return True
