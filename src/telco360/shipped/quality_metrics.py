"""Per-batch data-quality numbers as CloudWatch metrics, from job A's metrics file.

For each feed of a batch (dimension `Feed`): rows read, standardized, quarantined, duplicates
dropped, the quarantine share (quarantined / read, 0 to 1, as the quarantine gate computes
it) and the rows quarantined per reason code (dimensions `Feed`, `Reason`); for the batch
(no dimension), the largest quarantine share of its feeds, which the warning alarm watches.
One datapoint per batch: a re-run publishes the same values again, so graphs use Maximum.

Glue does not turn its log lines into metrics (no embedded metric format there), so the Glue
driver publishes with PutMetricData after job A wrote its metrics file
(`telco360.shipped.jobs.glue_entry`); the stack's IAM allows that only in its own namespace.
`metric_data` is pure (tested on the metrics of a local run); `publish` only runs on Glue.
Standard library only: it ships to Glue (glue/*.py), which passes in its boto3 client.
"""

from __future__ import annotations

from datetime import datetime

FEED = "Feed"
REASON = "Reason"
# (metric name, key in a feed's metrics), all counts of rows
FEED_COUNTS = (
    ("RowsRead", "rows_read"),
    ("RowsStandardized", "rows_standardized"),
    ("RowsQuarantined", "rows_quarantined"),
    ("DuplicatesDropped", "duplicates_dropped"),
)
QUARANTINE_SHARE = "QuarantineShare"
QUARANTINED_BY_REASON = "RowsQuarantinedByReason"
MAX_QUARANTINE_SHARE = "MaxQuarantineShare"
PER_CALL = 20  # metrics per PutMetricData call (the API's historical limit; later ones allow more)


def quarantine_share(feed_metrics: dict) -> float:
    read = feed_metrics["rows_read"]
    return feed_metrics["rows_quarantined"] / read if read else 0.0


def _datum(name: str, dimensions: dict, value: float, unit: str, timestamp: datetime) -> dict:
    return {
        "MetricName": name,
        "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
        "Timestamp": timestamp,
        "Value": float(value),
        "Unit": unit,
    }


def metric_data(metrics: dict, timestamp: datetime) -> list[dict]:
    """The `MetricData` of one batch, from job A's metrics (docs/DATA_LAYOUT.md)."""
    data, shares = [], []
    for feed, m in sorted(metrics["feeds"].items()):
        dims = {FEED: feed}
        data += [_datum(name, dims, m[key], "Count", timestamp) for name, key in FEED_COUNTS]
        share = quarantine_share(m)
        shares.append(share)
        data.append(_datum(QUARANTINE_SHARE, dims, share, "None", timestamp))
        data += [
            _datum(QUARANTINED_BY_REASON, {FEED: feed, REASON: reason}, n, "Count", timestamp)
            for reason, n in sorted(m.get("quarantined_by_reason", {}).items())
        ]
    data.append(_datum(MAX_QUARANTINE_SHARE, {}, max(shares, default=0.0), "None", timestamp))
    return data


def publish(cloudwatch, namespace: str, data: list[dict]) -> int:
    """PutMetricData in calls of at most PER_CALL metrics; returns the number of calls."""
    calls = 0
    for start in range(0, len(data), PER_CALL):
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[start : start + PER_CALL])
        calls += 1
    return calls
