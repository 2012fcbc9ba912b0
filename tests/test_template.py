"""The SAM template has the shape the operators and the state machine rely on."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import shlex
import tomllib

import pytest
from conftest import REPO_ROOT
from iam_conditions import allowing_statements
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
        "GlueDatabaseName",
        "AthenaWorkGroupName",
        "DashboardUrl",
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


# ---------------------------------------------------------------------------- issue 18


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _role_policies(template):
    """(resource logical id, statement) of every inline policy of a role or function."""
    for logical, res in template["Resources"].items():
        for policy in res.get("Properties", {}).get("Policies", []) or []:
            doc = policy.get("PolicyDocument", policy) if isinstance(policy, dict) else None
            for st in (doc or {}).get("Statement", []):
                yield logical, st


# Actions AWS documents without resource-level permissions: "*" is the only valid Resource.
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html
# https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html (log delivery actions)
NO_RESOURCE_LEVEL = {
    "cloudwatch:PutMetricData",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
}


def overly_broad(template) -> list[str]:
    """Allow statements whose Resource is "*" (or an ARN with a wildcard in place of the
    account's own resource) for actions that support resource-level permissions."""
    found = []
    for logical, st in _role_policies(template):
        if st.get("Effect") != "Allow":
            continue
        actions = set(_as_list(st["Action"]))
        for resource in _as_list(st.get("Resource", "*")):
            text = json.dumps(resource)
            everything = resource == "*" or text in ('"arn:aws:s3:::*"', '"arn:aws:s3:::*/*"')
            if everything and not actions <= NO_RESOURCE_LEVEL:
                found.append(f"{logical}/{st.get('Sid')}: {sorted(actions - NO_RESOURCE_LEVEL)}")
    return found


def test_least_privilege_checks_resources_too(template):
    """No role may act on every resource where the action allows naming one; a `"*"` added to
    the Glue role's write statement fails this test."""
    assert overly_broad(template) == []
    broken = copy.deepcopy(template)
    role = broken["Resources"]["GlueJobRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    write = next(s for s in role["Statement"] if s["Sid"] == "WriteOwnZones")
    write["Resource"] = [*write["Resource"], "*"]
    assert overly_broad(broken) == [
        "GlueJobRole/WriteOwnZones: ['s3:DeleteObject', 's3:PutObject']"
    ]
    write = next(
        s
        for s in template["Resources"]["GlueJobRole"]["Properties"]["Policies"][0][
            "PolicyDocument"
        ]["Statement"]
        if s["Sid"] == "WriteOwnZones"
    )
    assert write["Resource"] == [
        {"Sub": "${LakeBucket.Arn}/standardized/*"},
        {"Sub": "${LakeBucket.Arn}/quarantine/*"},
        {"Sub": "${LakeBucket.Arn}/staging/*"},
    ]


def test_the_lake_key_is_retained_with_the_bucket(template):
    for name in ("LakeBucket", "LakeKey"):
        res = template["Resources"][name]
        assert res["DeletionPolicy"] == "Retain", name
        assert res["UpdateReplacePolicy"] == "Retain", name


def test_reserved_concurrency_is_a_parameter_off_by_default(template):
    param = template["Parameters"]["FunctionReservedConcurrency"]
    assert param["Default"] == 0 and param["MinValue"] == 0
    assert template["Conditions"]["HasReservedConcurrency"] == {
        "Not": [{"Equals": [{"Ref": "FunctionReservedConcurrency"}, 0]}]
    }
    for name, fn in resources_of(template, "AWS::Serverless::Function").items():
        assert fn["Properties"]["ReservedConcurrentExecutions"] == {
            "If": [
                "HasReservedConcurrency",
                {"Ref": "FunctionReservedConcurrency"},
                {"Ref": "AWS::NoValue"},
            ]
        }, name


def _rule_value(node, params):
    if isinstance(node, dict):
        ((fn, arg),) = node.items()
        if fn == "Ref":
            return params[arg]
        if fn == "Equals":
            a, b = (_rule_value(x, params) for x in arg)
            return a == b
        if fn == "Contains":
            values, value = _rule_value(arg[0], params), _rule_value(arg[1], params)
            return value in values
        raise NotImplementedError(fn)
    if isinstance(node, list):
        return [_rule_value(x, params) for x in node]
    return node


def rejected_by_rules(template, **overrides) -> list[str]:
    """AssertDescriptions of the template Rules that refuse these parameter values, with
    CloudFormation's rule semantics (RuleCondition true -> every Assert must hold):
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/rules-section-structure.html"""
    params = {k: v.get("Default") for k, v in template["Parameters"].items()} | overrides
    refused = []
    for rule in template.get("Rules", {}).values():
        if "RuleCondition" in rule and not _rule_value(rule["RuleCondition"], params):
            continue
        refused += [
            a["AssertDescription"]
            for a in rule["Assertions"]
            if not _rule_value(a["Assert"], params)
        ]
    return refused


def test_flex_requires_g1x_or_g2x(template):
    """https://docs.aws.amazon.com/glue/latest/dg/add-job.html: Flex runs on G.1X or G.2X."""
    message = "GlueExecutionClass FLEX runs only on G.1X or G.2X workers."
    for worker in ("G.4X", "G.8X"):
        assert rejected_by_rules(template, GlueExecutionClass="FLEX", GlueWorkerType=worker) == [
            message
        ]
    for worker in ("G.1X", "G.2X"):
        assert rejected_by_rules(template, GlueExecutionClass="FLEX", GlueWorkerType=worker) == []
    assert rejected_by_rules(template, GlueExecutionClass="STANDARD", GlueWorkerType="G.8X") == []


def test_glue_role_trust_is_what_glue_documents(template):
    """AWS Glue's service role trusts glue.amazonaws.com with no condition
    (https://docs.aws.amazon.com/glue/latest/dg/create-an-iam-role.html); Glue does not
    document sending aws:SourceAccount, and StringEquals on an absent key is false, so that
    condition could make every job run fail to assume its role (docs/AWS.md sandbox check)."""
    (trust,) = template["Resources"]["GlueJobRole"]["Properties"]["AssumeRolePolicyDocument"][
        "Statement"
    ]
    assert trust == {
        "Effect": "Allow",
        "Principal": {"Service": "glue.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }


def _packaged_script_arn(bucket: str, prefix: str | None, local_path: str) -> str:
    """Where `sam deploy` puts a Glue script: s3://<bucket>/[<prefix>/]<md5 of the file>
    (aws-sam-cli's S3Uploader.upload_with_dedup)."""
    digest = hashlib.md5((REPO_ROOT / local_path).read_bytes()).hexdigest()
    key = f"{prefix}/{digest}" if prefix else digest
    return f"arn:aws:s3:::{bucket}/{key}"


def _script_read_statement(template, params: dict) -> dict:
    role = template["Resources"]["GlueJobRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    st = next(s for s in role["Statement"] if s["Sid"] == "ReadJobScriptsUploadedBySam")
    values = {**{k: v.get("Default") for k, v in template["Parameters"].items()}, **params}
    values |= {"AWS::Partition": "aws", "AWS::AccountId": "123456789012"}

    def resolve(node):
        if isinstance(node, dict) and "If" in node:
            cond, yes, no = node["If"]
            assert cond == "HasArtifactsPrefix"
            return resolve(yes if values["ArtifactsPrefix"] else no)
        if isinstance(node, dict) and "Sub" in node:
            return re.sub(r"\$\{([^}]+)\}", lambda m: values[m.group(1)], node["Sub"])
        if isinstance(node, dict) and "Ref" in node:
            return values[node["Ref"]]
        if isinstance(node, dict):
            return {k: resolve(v) for k, v in node.items()}
        return node

    return {**st, "Resource": resolve(st["Resource"]), "Condition": resolve(st["Condition"])}


def _samconfig():
    return tomllib.loads((REPO_ROOT / "samconfig.toml").read_text())


def _overrides(env: str) -> dict[str, str]:
    text = _samconfig()[env]["deploy"]["parameters"]["parameter_overrides"]
    return dict(item.split("=", 1) for item in shlex.split(text))


SAM_BUCKET = "aws-sam-cli-managed-default-samclisourcebucket-"  # resolve_s3 creates it


@pytest.mark.parametrize(
    ("how", "bucket", "prefix", "params"),
    [
        # samconfig [default] and [prod]: resolve_s3 (SAM's managed bucket) + s3_prefix
        ("samconfig default", SAM_BUCKET + "1x2y3z", "default", None),
        ("samconfig prod", SAM_BUCKET + "1x2y3z", "prod", None),
        # `sam deploy --guided` with another stack name: s3_prefix = the stack name
        ("guided, other stack", SAM_BUCKET + "9q8r7s", "t360-eu", {}),
        # CI: `--s3-bucket ci-artifacts --s3-prefix builds/t360` with the two parameters
        ("ci bucket", "ci-artifacts-123456789012", "builds/t360",
         {"ArtifactsBucket": "ci-artifacts-123456789012", "ArtifactsPrefix": "builds/t360"}),
        # `--s3-bucket` without a prefix
        ("bucket, no prefix", "ci-artifacts-123456789012", "",
         {"ArtifactsBucket": "ci-artifacts-123456789012"}),
    ],
)  # fmt: skip
def test_glue_role_can_read_the_scripts_where_sam_deploy_puts_them(
    template, how, bucket, prefix, params
):
    if params is None:  # from samconfig.toml, as `sam deploy [--config-env prod]` reads it
        config = _samconfig()[prefix]["deploy"]["parameters"]
        assert config["resolve_s3"] is True
        prefix = config["s3_prefix"]
        params = {k: v for k, v in _overrides(how.split()[-1]).items() if k.startswith("Artifacts")}
    statement = _script_read_statement(template, params)
    context = {"aws:ResourceAccount": "123456789012"}
    for job in resources_of(template, "AWS::Glue::Job").values():
        script = _packaged_script_arn(
            bucket, prefix, job["Properties"]["Command"]["ScriptLocation"]
        )
        assert allowing_statements({"Statement": [statement]}, "s3:GetObject", script, context), (
            how,
            script,
        )
        # ...and never another account's bucket of the same name pattern
        other = {"aws:ResourceAccount": "999999999999"}
        assert not allowing_statements({"Statement": [statement]}, "s3:GetObject", script, other)


def test_samconfig_passes_its_s3_prefix_to_the_stack_and_never_the_schedule_state():
    """`sam deploy` sends UsePreviousValue for every parameter it is not given (aws-sam-cli
    DeployContext.merge_parameters): leaving ScheduleState out of samconfig means a deploy
    keeps a paused schedule paused; it changes only with --parameter-overrides ScheduleState=."""
    for env in ("default", "prod"):
        config = _samconfig()[env]["deploy"]["parameters"]
        overrides = _overrides(env)
        assert "ScheduleState" not in overrides, env
        assert overrides["ArtifactsPrefix"] == config["s3_prefix"], env


def test_new_stacks_start_with_the_schedule_paused(template):
    assert template["Parameters"]["ScheduleState"]["Default"] == "DISABLED"


# ---------------------------------------------------------------------------- alerts


def _rule_pattern(template) -> dict:
    resolver = Resolver(template)
    fn = template["Resources"]["NotifyFailureFunction"]["Properties"]
    pattern = copy.deepcopy(fn["Events"]["ExecutionEnded"]["Properties"]["Pattern"])
    pattern["detail"]["stateMachineArn"] = [
        resolver.value(v) for v in pattern["detail"]["stateMachineArn"]
    ]
    return pattern


@pytest.mark.parametrize(
    ("fixture", "matches"),
    [
        ("execution_failed_after_catch.json", True),
        ("execution_failed_invalid_input.json", True),
        ("execution_failed_input_omitted.json", True),
        ("execution_timed_out.json", True),
        ("execution_aborted.json", True),
        ("execution_succeeded.json", False),
    ],
)
def test_the_rule_pattern_matches_aws_status_events(template, fixture, matches):
    """The template's own EventBridge pattern, matched by moto's EventBridge matcher, against
    AWS's documented "Step Functions Execution Status Change" events
    (https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html)."""
    from moto.events.models import EventPattern

    pattern = EventPattern(
        raw_pattern=json.dumps(_rule_pattern(template)), pattern=_rule_pattern(template)
    )
    event = json.loads((REPO_ROOT / "events" / fixture).read_text())
    assert pattern.matches_event(event) is matches
    other_machine = copy.deepcopy(event)
    other_machine["detail"]["stateMachineArn"] += "-other"
    assert pattern.matches_event(other_machine) is False


def test_alarms_never_double_a_page(template):
    """The alert topic gets one message per failed execution (the notifier); execution metric
    alarms repeat that and go to the warning topic, as does a rising quarantine share (the
    batch passed; a batch above the gate fails and pages by itself). Only alarms for what no
    execution page reports go to the alert topic: a lost page (notifier errors, undelivered
    events) or no successful run in a day (the schedule did not fire)."""
    to_alert, to_warning = set(), set()
    for alarm in resources_of(template, "AWS::CloudWatch::Alarm").values():
        (action,) = alarm["Properties"]["AlarmActions"]
        {"AlertTopic": to_alert, "WarningTopic": to_warning}[action["Ref"]].add(
            alarm["Properties"]["MetricName"]
        )
    assert to_warning == {
        "ExecutionsFailed",
        "ExecutionsTimedOut",
        "ExecutionsAborted",
        "MaxQuarantineShare",
    }
    assert to_alert == {"ExecutionsSucceeded", "Errors", "ApproximateNumberOfMessagesVisible"}


def test_schedule_and_rule_have_an_encrypted_dead_letter_queue_with_an_alarm(template):
    dlq = {"GetAtt": "EventDeliveryDeadLetterQueue.Arn"}
    schedule = template["Resources"]["PipelineStateMachine"]["Properties"]["Events"]["Daily"]
    assert schedule["Properties"]["DeadLetterConfig"] == {"Arn": dlq}
    rule = template["Resources"]["NotifyFailureFunction"]["Properties"]["Events"]["ExecutionEnded"]
    assert rule["Properties"]["DeadLetterConfig"] == {"Arn": dlq}
    notifier = template["Resources"]["NotifyFailureFunction"]["Properties"]
    assert notifier["DeadLetterQueue"] == {"Type": "SQS", "TargetArn": dlq}
    queue = template["Resources"]["EventDeliveryDeadLetterQueue"]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True
    (statement,) = template["Resources"]["EventDeliveryDeadLetterQueuePolicy"]["Properties"][
        "PolicyDocument"
    ]["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"]["Sub"].endswith(
        ":rule/telco360-${EnvironmentName}-execution-ended"
    )
    assert rule["Properties"]["RuleName"] == {"Sub": "telco360-${EnvironmentName}-execution-ended"}
    alarm = template["Resources"]["UndeliveredEventsAlarm"]["Properties"]
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"GetAtt": "EventDeliveryDeadLetterQueue.QueueName"}}
    ]
    assert alarm["AlarmActions"] == [{"Ref": "AlertTopic"}]


# ---------------------------------------------------------------------------- retries


def _glue_start_job_run_errors() -> set[str]:
    import gzip
    from pathlib import Path

    import botocore

    model = Path(botocore.__file__).parent / "data/glue/2017-03-31/service-2.json.gz"
    doc = json.loads(gzip.decompress(model.read_bytes()))
    return {e["shape"] for e in doc["operations"]["StartJobRun"]["errors"]}


def test_glue_retry_names_are_errors_start_job_run_can_raise():
    """Each retried name is `Glue.<error>` for an error botocore's Glue model lists for
    StartJobRun, or what an unmodeled error becomes: the AWS common error for throttling
    (https://docs.aws.amazon.com/glue/latest/webapi/CommonErrors.html: ThrottlingException)
    and the SDK's base exception (`Glue.AWSGlueException`, as Step Functions names
    Lambda.AWSLambdaException: https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html).
    A failed run (States.TaskFailed) and bad input (InvalidInput, EntityNotFound) are never
    retried."""
    modeled = _glue_start_job_run_errors()
    assert modeled == {
        "InvalidInputException",
        "EntityNotFoundException",
        "InternalServiceException",
        "OperationTimeoutException",
        "ResourceNumberLimitExceededException",
        "ConcurrentRunsExceededException",
    }
    unmodeled = {"ThrottlingException", "AWSGlueException"}
    transient = modeled - {"InvalidInputException", "EntityNotFoundException"}
    definition = json.loads((REPO_ROOT / "statemachines/pipeline.asl.json").read_text())
    for name in ("CleanStandardize", "BuildStaging"):
        retried = {e for r in definition["States"][name]["Retry"] for e in r["ErrorEquals"]}
        assert all(e.startswith("Glue.") for e in retried), name
        assert {e.removeprefix("Glue.") for e in retried} == transient | unmodeled, name
