"""Watching the pipeline: the CloudWatch dashboard and the quarantine-share warning alarm of
template.yaml use only metrics that something publishes, with the same namespace, name and
dimensions; and the age of the newest committed batch, which the pre-flight Lambda publishes
on every schedule tick.

Dashboard body as CloudWatch documents it (a JSON string; a metric row is namespace, name,
then dimension name/value pairs and an optional rendering object; an expression row holds
one object with "expression" and "id"):
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
"""

from __future__ import annotations

import contextlib
import importlib
import json
import re
import sys
from datetime import UTC, datetime

import pytest
from test_statemachine import Resolver, load_template

from telco360.shipped import quality_metrics
from telco360.shipped.contract import FEEDS

NAMESPACE = "Telco360/dev"


@pytest.fixture(scope="module")
def template():
    return load_template()


def resolve_sub(template, text: str) -> str:
    """A !Sub of the dashboard as CloudFormation resolves it (numbers stay numbers)."""
    resolver = Resolver(template)

    def one(match):
        name = match.group(1)
        if name.endswith(".Arn") and name.removesuffix(".Arn") in template["Resources"]:
            return f"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:{name}"
        if name in template["Parameters"] and name != "EnvironmentName":
            return str(template["Parameters"][name]["Default"])
        if template["Resources"].get(name, {}).get("Type") == "AWS::Serverless::StateMachine":
            return f"arn:aws:states:eu-west-1:123456789012:stateMachine:{name}"
        return str(resolver.value({"Ref": name}))

    return re.sub(r"\$\{([^}]+)\}", one, text)


def dashboard(template) -> dict:
    body = template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Sub"]
    return json.loads(resolve_sub(template, body))


def metric_rows(board: dict):
    """(widget title, namespace, name, {dimension: value}) of every metric row."""
    for widget in board["widgets"]:
        if widget["type"] != "metric":
            continue
        ids = set()
        for row in widget["properties"]["metrics"]:
            if isinstance(row[0], dict):  # an expression over the widget's metrics
                ids |= set(re.findall(r"\b(m\d+)\b", row[0]["expression"]))
                continue
            pairs = [x for x in row[2:] if not isinstance(x, dict)]
            options = next((x for x in row[2:] if isinstance(x, dict)), {})
            ids.discard(options.get("id"))
            dims = dict(zip(pairs[::2], pairs[1::2], strict=True))
            yield widget["properties"]["title"], row[0], row[1], dims
        assert not ids, f"expression uses unknown metric ids {ids}"


def glue_published() -> set:
    """What job A's Glue driver publishes for a batch with every feed and a quarantine reason."""
    counts = {"rows_read": 4, "rows_standardized": 3, "rows_quarantined": 1}
    one = counts | {"duplicates_dropped": 0, "quarantined_by_reason": {"out_of_range": 1}}
    metrics = {"feeds": dict.fromkeys(FEEDS, one)}
    return {
        (d["MetricName"], tuple(sorted((x["Name"], x["Value"]) for x in d["Dimensions"])))
        for d in quality_metrics.metric_data(metrics, datetime.now(UTC))
    }


def preflight_env(template) -> dict:
    glob = template["Globals"]["Function"]["Environment"]["Variables"]
    fn = template["Resources"]["PreflightFunction"]["Properties"]["Environment"]["Variables"]
    resolver = Resolver(template)
    return {
        "POWERTOOLS_METRICS_NAMESPACE": resolver.value(glob["POWERTOOLS_METRICS_NAMESPACE"]),
        "POWERTOOLS_SERVICE_NAME": fn["POWERTOOLS_SERVICE_NAME"],
    }


class Context:
    function_name = "telco360-dev-preflight"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:telco360-dev-preflight"
    aws_request_id = "00000000-0000-4000-8000-000000000000"


def committed(lake, *dates):
    for d in dates:
        folder = lake / "staging/_batches" / f"batch_date={d}"
        folder.mkdir(parents=True)
        (folder / "manifest.json").write_text("{}")


@pytest.fixture
def preflight(template, monkeypatch):
    """The pre-flight handler as deployed (namespace and service from the template), with
    metrics on; returns a function giving the EMF documents it printed."""
    for key, value in preflight_env(template).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    # Imported afresh: Powertools reads the namespace and service when the module is loaded.
    sys.modules.pop("telco360.shipped.preflight", None)
    return importlib.import_module("telco360.shipped.preflight")


def emf_documents(capsys) -> list[dict]:
    out = capsys.readouterr().out
    return [json.loads(line) for line in out.splitlines() if '"_aws"' in line]


def preflight_published(app, lake, capsys, batch_date="2026-11-02") -> set:
    app.metrics.clear_metrics()
    event = {"batch_date": batch_date, "allow_rerun": False, "lake_root": str(lake)}
    with contextlib.suppress(app.PreflightError):  # the batch is not there: metrics anyway
        app.lambda_handler(event, Context())
    published = set()
    for doc in emf_documents(capsys):
        for directive in doc["_aws"]["CloudWatchMetrics"]:
            for dims in directive["Dimensions"]:
                for metric in directive["Metrics"]:
                    key = tuple(sorted((d, doc[d]) for d in dims))
                    value = doc[metric["Name"]]  # a number, or a list of them
                    value = value[0] if isinstance(value, list) else value
                    published.add((directive["Namespace"], metric["Name"], key, value))
    return published


# ---------------------------------------------------------------------------- batch age


def test_batch_age_counts_from_the_newest_committed_batch_date(tmp_path, preflight):
    assert preflight.newest_committed_batch_age(str(tmp_path), datetime.now(UTC)) is None
    committed(tmp_path, "2026-10-30", "2026-11-01")
    (tmp_path / "staging/_batches/batch_date=not-a-date").mkdir()
    now = datetime(2026, 11, 2, 6, 30, tzinfo=UTC)
    assert preflight.newest_committed_batch_age(str(tmp_path), now) == 30.5 * 3600


def test_preflight_publishes_the_age_even_when_the_batch_is_not_there(tmp_path, preflight, capsys):
    """Batches stopped arriving: every tick fails pre-flight (BatchIncomplete) and still
    publishes the age, which keeps growing."""
    committed(tmp_path, "2026-11-01")
    published = preflight_published(preflight, tmp_path, capsys)
    ages = [p for p in published if p[1] == preflight.BATCH_AGE_METRIC]
    (age,) = ages
    assert age[:3] == (NAMESPACE, "NewestCommittedBatchAge", (("service", "preflight"),))
    expected = (datetime.now(UTC) - datetime(2026, 11, 1, tzinfo=UTC)).total_seconds()
    assert abs(age[3] - expected) < 60


def test_no_age_before_the_first_commit(tmp_path, preflight, capsys):
    published = preflight_published(preflight, tmp_path, capsys)
    assert not [p for p in published if p[1] == preflight.BATCH_AGE_METRIC]


# ---------------------------------------------------------------------------- dashboard


def test_every_dashboard_metric_is_published(template, preflight, tmp_path, capsys):
    committed(tmp_path, "2026-11-01")
    ours = {(name, dims) for name, dims in glue_published()}
    ours |= {(p[1], p[2]) for p in preflight_published(preflight, tmp_path, capsys)}
    resolver = Resolver(template)
    machine = "arn:aws:states:eu-west-1:123456789012:stateMachine:PipelineStateMachine"
    aws = {
        ("AWS/States", "StateMachineArn", machine),
        ("AWS/Lambda", "FunctionName", resolver.ref("PreflightFunction")),
        ("Glue", "JobName", resolver.ref("CleanStandardizeJob")),
        ("Glue", "JobName", resolver.ref("BuildStagingJob")),
    }
    rows = list(metric_rows(dashboard(template)))
    assert rows
    for title, namespace, name, dims in rows:
        if namespace == NAMESPACE:
            assert (name, tuple(sorted(dims.items()))) in ours, (title, name, dims)
        else:
            assert any(namespace == ns and dims.get(key) == value for ns, key, value in aws), (
                title,
                namespace,
                name,
                dims,
            )


def test_the_dashboard_shows_what_the_issue_asks_for(template):
    rows = list(metric_rows(dashboard(template)))
    names = {(ns, name) for _, ns, name, _ in rows}
    assert {
        ("AWS/States", "ExecutionsSucceeded"),
        ("AWS/States", "ExecutionsFailed"),
        ("AWS/States", "ExecutionsTimedOut"),
        ("AWS/States", "ExecutionsAborted"),
        ("AWS/Lambda", "Duration"),
        ("Glue", "glue.driver.aggregate.elapsedTime"),
        (NAMESPACE, "NewestCommittedBatchAge"),
    } <= names
    for metric in ("RowsRead", "RowsQuarantined", "QuarantineShare"):
        feeds = {dims["Feed"] for _, ns, name, dims in rows if name == metric}
        assert feeds == set(FEEDS), metric
    glue_jobs = {d["JobName"] for _, ns, _, d in rows if ns == "Glue"}
    assert glue_jobs == {"telco360-dev-clean-standardize", "telco360-dev-build-staging"}


def test_one_namespace_for_the_lambdas_the_glue_job_and_the_dashboard(template):
    resolver = Resolver(template)
    job = template["Resources"]["CleanStandardizeJob"]["Properties"]["DefaultArguments"]
    assert resolver.value(job["--metrics_namespace"]) == NAMESPACE
    assert preflight_env(template)["POWERTOOLS_METRICS_NAMESPACE"] == NAMESPACE


# ---------------------------------------------------------------------------- the alarm


def test_rising_quarantine_share_warns_below_the_failing_gate(template):
    alarm = template["Resources"]["QuarantineShareRisingAlarm"]["Properties"]
    resolver = Resolver(template)
    assert resolver.value(alarm["Namespace"]) == NAMESPACE
    assert (alarm["MetricName"], alarm.get("Dimensions", [])) == ("MaxQuarantineShare", [])
    assert (alarm["MetricName"], ()) in glue_published()
    assert alarm["Statistic"] == "Maximum"
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["Threshold"] == {"Ref": "QuarantineWarningShare"}
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["AlarmActions"] == [{"Ref": "WarningTopic"}]  # a warning, never the page
    params = template["Parameters"]
    warning, gate = params["QuarantineWarningShare"], params["QuarantineThreshold"]
    assert 0 < warning["Default"] < gate["Default"]
    assert (warning["MinValue"], warning["MaxValue"]) == (0, 1)
