"""Data-quality metrics (telco360.shipped.quality_metrics): what job A's Glue driver publishes.

Exact values from the metrics file of a real local run of job A; published to moto's
CloudWatch as PutMetricData sends them; allowed by the Glue role in the stack's namespace
only, with the condition key AWS documents for it:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html
(`cloudwatch:namespace` on `cloudwatch:PutMetricData`, whose only Resource is "*":
https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
from conftest import LOCAL_RUN_DATE
from iam_conditions import allowing_statements
from moto import mock_aws
from test_statemachine import Resolver, load_template

from telco360.shipped import lake_layout, quality_metrics

AT = datetime(2026, 11, 2, 6, 40, tzinfo=UTC)
NAMESPACE = "Telco360/dev"

# The hand-written dirty batch (tests/data/clean/dirty), as job A counts it:
# feed: (read, standardized, quarantined, duplicates, {reason: rows})
EXPECTED = {
    "demographics": (10, 3, 6, 1, {
        "malformed_key": 1, "missing_key": 1, "missing_required": 1, "out_of_range": 1,
        "unknown_category": 1, "unparseable_boolean": 1, "unparseable_number": 1,
        "wrong_field_count": 1}),
    "location": (6, 3, 3, 0, {"malformed_value": 1, "out_of_range": 1, "unparseable_number": 1}),
    "population": (6, 3, 3, 0, {"malformed_key": 1, "missing_key": 1, "out_of_range": 1}),
    "services": (8, 4, 3, 1, {
        "malformed_key": 1, "missing_required": 1, "out_of_range": 1, "unknown_category": 1,
        "unparseable_number": 1}),
    "status": (5, 3, 2, 0, {"out_of_range": 2, "unknown_category": 1, "unparseable_boolean": 1}),
    "usage": (7, 1, 5, 1, {
        "missing_key": 1, "out_of_range": 1, "unparseable_date": 2, "unparseable_number": 1}),
}  # fmt: skip


def as_points(data: list[dict]) -> dict:
    return {
        (d["MetricName"], tuple((x["Name"], x["Value"]) for x in d["Dimensions"])): (
            d["Value"],
            d["Unit"],
        )
        for d in data
    }


def test_metric_data_of_a_real_batch_is_exact(local_run):
    lake, _, _ = local_run
    written = json.loads((lake / lake_layout.metrics_file(LOCAL_RUN_DATE)).read_text())
    data = quality_metrics.metric_data(written, AT)
    assert all(d["Timestamp"] == AT for d in data)
    expected = {}
    for feed, (read, standardized, quarantined, duplicates, reasons) in EXPECTED.items():
        dims = (("Feed", feed),)
        expected |= {
            ("RowsRead", dims): (read, "Count"),
            ("RowsStandardized", dims): (standardized, "Count"),
            ("RowsQuarantined", dims): (quarantined, "Count"),
            ("DuplicatesDropped", dims): (duplicates, "Count"),
            ("QuarantineShare", dims): (quarantined / read, "None"),
        }
        expected |= {
            ("RowsQuarantinedByReason", (("Feed", feed), ("Reason", r))): (n, "Count")
            for r, n in reasons.items()
        }
    expected[("MaxQuarantineShare", ())] = (5 / 7, "None")  # usage: 5 of 7 rows
    assert as_points(data) == expected
    assert len(data) == len(expected)


def test_a_feed_with_no_rows_has_share_zero():
    metrics = {"feeds": {"usage": {"rows_read": 0, "rows_standardized": 0,
                                   "rows_quarantined": 0, "duplicates_dropped": 0,
                                   "quarantined_by_reason": {}}}}  # fmt: skip
    points = as_points(quality_metrics.metric_data(metrics, AT))
    assert points[("QuarantineShare", (("Feed", "usage"),))] == (0.0, "None")
    assert points[("MaxQuarantineShare", ())] == (0.0, "None")


def test_published_to_cloudwatch_in_the_namespace(fake_aws_credentials):
    metrics = {"feeds": {f: {"rows_read": 4, "rows_standardized": 3, "rows_quarantined": 1,
                             "duplicates_dropped": 0,
                             "quarantined_by_reason": {"out_of_range": 1}}
                         for f in EXPECTED}}  # fmt: skip
    data = quality_metrics.metric_data(metrics, datetime.now(UTC))
    with mock_aws():
        cloudwatch = boto3.client("cloudwatch")
        calls = quality_metrics.publish(cloudwatch, NAMESPACE, data)
        assert calls == -(-len(data) // quality_metrics.PER_CALL)
        listed = cloudwatch.list_metrics(Namespace=NAMESPACE)["Metrics"]
        found = {
            (m["MetricName"], tuple(sorted((d["Name"], d["Value"]) for d in m["Dimensions"])))
            for m in listed
        }
        assert found == {
            (d["MetricName"], tuple(sorted((x["Name"], x["Value"]) for x in d["Dimensions"])))
            for d in data
        }


def _resolved(node, resolver: Resolver):
    if isinstance(node, list):
        return [_resolved(n, resolver) for n in node]
    if isinstance(node, dict) and set(node) & {"Ref", "Sub", "GetAtt"}:
        return resolver.value(node)
    if isinstance(node, dict):
        return {k: _resolved(v, resolver) for k, v in node.items()}
    return node


def glue_role_policy() -> dict:
    template = load_template()
    (policy,) = template["Resources"]["GlueJobRole"]["Properties"]["Policies"]
    return _resolved(policy["PolicyDocument"], Resolver(template))


def test_the_glue_role_may_publish_in_the_stacks_namespace_only():
    policy = glue_role_policy()
    ours = {"cloudwatch:namespace": NAMESPACE}
    assert allowing_statements(policy, "cloudwatch:PutMetricData", "*", ours)
    for other in ("Telco360/prod", "Telco360", "AWS/Glue", "Other"):
        context = {"cloudwatch:namespace": other}
        assert not allowing_statements(policy, "cloudwatch:PutMetricData", "*", context), other


def test_the_glue_role_may_maintain_the_stacks_tables_only():
    """Glue's ARNs for the Data Catalog: catalog, database/<db>, table/<db>/<table>
    (https://docs.aws.amazon.com/glue/latest/dg/glue-specifying-resource-arns.html)."""
    policy = glue_role_policy()
    arn = "arn:aws:glue:eu-west-1:123456789012"
    actions = ("glue:GetTable", "glue:CreateTable", "glue:UpdateTable")
    actions += ("glue:CreatePartition", "glue:UpdatePartition")
    for action in actions:
        for resource in (
            f"{arn}:catalog",
            f"{arn}:database/telco360_dev",
            f"{arn}:table/telco360_dev/staging_customers_state",
        ):
            assert allowing_statements(policy, action, resource, {}), (action, resource)
        for resource in (f"{arn}:database/other", f"{arn}:table/other/t", "*"):
            assert not allowing_statements(policy, action, resource, {}), (action, resource)
    assert not allowing_statements(policy, "glue:DeleteTable", f"{arn}:table/telco360_dev/t", {})
