"""The SAM template has the shape the operators and the state machine rely on."""

from __future__ import annotations

import json

import pytest
from conftest import REPO_ROOT
from test_statemachine import Resolver, load_template


@pytest.fixture(scope="module")
def template():
    return load_template()


def resources_of(template, kind):
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def test_every_parameter_is_described_constrained_and_grouped(template):
    interface = template["Metadata"]["AWS::CloudFormation::Interface"]
    grouped = [p for g in interface["ParameterGroups"] for p in g["Parameters"]]
    assert sorted(grouped) == sorted(template["Parameters"])
    for name, spec in template["Parameters"].items():
        assert spec.get("Description"), name
        assert {"AllowedValues", "AllowedPattern", "MinValue"} & set(spec), name
        assert name in interface["ParameterLabels"], name


def test_schedule_is_parameterised_and_carries_the_scheduled_time(template):
    props = template["Resources"]["PipelineStateMachine"]["Properties"]
    schedule = props["Events"]["Daily"]
    assert schedule["Type"] == "ScheduleV2"
    p = schedule["Properties"]
    assert p["State"] == {"Ref": "ScheduleState"}
    assert p["ScheduleExpression"] == {"Ref": "ScheduleExpression"}
    assert p["ScheduleExpressionTimezone"] == {"Ref": "ScheduleTimezone"}
    assert p["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    assert json.loads(p["Input"])["scheduled_time"] == "<aws.scheduler.scheduled-time>"
    assert props["Logging"]["Level"] == "ALL" and props["Logging"]["IncludeExecutionData"]
    assert props["Tracing"] == {"Enabled": True}


def test_substitutions_cover_the_definition_exactly(template):
    props = template["Resources"]["PipelineStateMachine"]["Properties"]
    text = (REPO_ROOT / props["DefinitionUri"]).read_text()
    import re

    used = set(re.findall(r"\$\{(\w+)\}", text))
    assert used == set(props["DefinitionSubstitutions"])


def test_glue_jobs(template):
    jobs = resources_of(template, "AWS::Glue::Job")
    scripts = sorted(j["Properties"]["Command"]["ScriptLocation"] for j in jobs.values())
    assert scripts == ["glue/build_staging.py", "glue/clean_standardize.py"]
    for job in jobs.values():
        p = job["Properties"]
        assert p["GlueVersion"] == "6.0"
        assert p["MaxRetries"] == 0 and p["ExecutionProperty"] == {"MaxConcurrentRuns": 1}
        assert p["SecurityConfiguration"] == {"Ref": "GlueSecurityConfiguration"}
        args = p["DefaultArguments"]
        assert args["--job-bookmark-option"] == "job-bookmark-disable"
        for flag in (
            "--enable-metrics",
            "--enable-observability-metrics",
            "--enable-continuous-cloudwatch-log",
            "--enable-auto-scaling",
        ):
            assert args[flag] == "true", flag


def test_lambdas_are_python313_arm64_with_log_retention(template):
    glob = template["Globals"]["Function"]
    assert glob["Runtime"] == "python3.13" and glob["Architectures"] == ["arm64"]
    for name, fn in resources_of(template, "AWS::Serverless::Function").items():
        group = fn["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert template["Resources"][group]["Properties"]["RetentionInDays"], name


def test_no_wildcard_actions_and_scoped_roles(template):
    def actions(doc):
        for st in doc["Statement"]:
            acts = st["Action"]
            yield from [acts] if isinstance(acts, str) else acts

    docs = []
    for res in template["Resources"].values():
        props = res.get("Properties", {})
        docs += [p["PolicyDocument"] for p in props.get("Policies", []) if "PolicyDocument" in p]
        docs += [p for p in props.get("Policies", []) if "Statement" in p]
    assert docs
    for doc in docs:
        for action in actions(doc):
            assert "*" not in action.split(":")[1] or action.endswith("ReEncrypt*"), action


def test_snowflake_role_is_optional_and_reads_staging_only(template):
    role = template["Resources"]["SnowflakeAccessRole"]
    assert role["Condition"] == "HasSnowflake"
    (policy,) = role["Properties"]["Policies"]
    read = next(s for s in policy["PolicyDocument"]["Statement"] if s["Sid"] == "ReadStaging")
    assert read["Resource"] == {"Sub": "${LakeBucket.Arn}/staging/*"}
    assert Resolver(template).ref("LakeBucket").startswith("telco360-dev-lake-")


def test_outputs_name_what_operators_look_for(template):
    assert {
        "StateMachineArn",
        "LakeBucketName",
        "AlertTopicArn",
        "CleanStandardizeJobName",
        "BuildStagingJobName",
        "SnowflakeAccessRoleArn",
    } <= set(template["Outputs"])


def test_snowflake_alerts_role_is_optional_and_may_only_publish_to_the_alert_topic(template):
    role = template["Resources"]["SnowflakeAlertsRole"]
    assert role["Condition"] == "HasSnowflakeAlerts"
    trust = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Condition"] == {
        "StringEquals": {"sts:ExternalId": {"Ref": "SnowflakeNotificationExternalId"}}
    }
    (policy,) = role["Properties"]["Policies"]
    statements = policy["PolicyDocument"]["Statement"]
    assert [(s["Action"], s["Resource"]) for s in statements] == [
        ("sns:Publish", {"Ref": "AlertTopic"}),
        (["kms:GenerateDataKey", "kms:Decrypt"], {"GetAtt": "LakeKey.Arn"}),
    ]
    assert "SnowflakeAlertsRoleArn" in template["Outputs"]
