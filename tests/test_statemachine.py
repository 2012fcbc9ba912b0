"""Executes the real ASL with moto, wired exactly as template.yaml wires it.

The definition's ${...} are replaced with the template's DefinitionSubstitutions (resolved from
the template's own resource names), the Lambda tasks run the real handlers in-process (moto
never runs Lambda code, so its simple Lambda backend is patched to call the handler each
function's entry, functions/*/app.py, imports from telco360.shipped),
the pre-flight handler reads a lake in moto S3, and the notifier publishes to moto SNS, read
back through an SQS subscription.

moto gaps worked around here (ARCHITECTURE §8): Glue .sync needs the callback pattern enabled;
moto Glue runs always succeed (a fake run's transitions are patched to end FAILED); retry
back-off sleeps are recorded instead of slept.
"""

from __future__ import annotations

import ast
import importlib
import json
import re
import time
import traceback

import boto3
import pytest
import yaml
from conftest import REPO_ROOT
from moto import mock_aws

from telco360.shipped import notify_failure
from telco360.shipped.contract import FEEDS

REGION = "eu-west-1"
ACCOUNT = "123456789012"
ENVIRONMENT = "dev"
BATCH = "2026-11-02"
KMS_KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"  # the key id of AWS's examples


# ---------------------------------------------------------------------------- the template


class _CfnLoader(yaml.SafeLoader):
    pass


def _tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {suffix: value}


_CfnLoader.add_multi_constructor("!", _tag)


def load_template() -> dict:
    return yaml.load((REPO_ROOT / "template.yaml").read_text(), Loader=_CfnLoader)


class Resolver:
    """Resolves the few intrinsics the substitutions use, as CloudFormation would."""

    def __init__(self, template: dict):
        self.t = template
        self.params = {k: v.get("Default") for k, v in template["Parameters"].items()}
        self.params.update(
            {
                "EnvironmentName": ENVIRONMENT,
                "AWS::AccountId": ACCOUNT,
                "AWS::Region": REGION,
                "AWS::Partition": "aws",
            }
        )

    def resource(self, name: str) -> dict:
        return self.t["Resources"][name]

    def ref(self, name: str) -> str:
        if name in self.params:
            return self.params[name]
        res = self.resource(name)
        props = res["Properties"]
        kind = res["Type"]
        if kind == "AWS::S3::Bucket":
            return self.value(props["BucketName"])
        if kind == "AWS::Glue::Job":
            return self.value(props["Name"])
        if kind == "AWS::SNS::Topic":
            return f"arn:aws:sns:{REGION}:{ACCOUNT}:{self.value(props['TopicName'])}"
        if kind == "AWS::Serverless::Function":
            return self.value(props["FunctionName"])
        if kind == "AWS::DynamoDB::Table":
            return self.value(props["TableName"])
        if kind == "AWS::KMS::Key":
            return KMS_KEY_ID
        if kind == "AWS::Glue::Database":
            return self.value(props["DatabaseInput"]["Name"])
        if kind == "AWS::Athena::WorkGroup":
            return self.value(props["Name"])
        raise NotImplementedError(f"Ref to {kind}")

    def get_att(self, name: str, attribute: str) -> str:
        kind = self.resource(name)["Type"]
        if attribute == "Arn" and kind == "AWS::Serverless::Function":
            return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.ref(name)}"
        if attribute == "Arn" and kind == "AWS::S3::Bucket":
            return f"arn:aws:s3:::{self.ref(name)}"
        if attribute == "Arn" and kind == "AWS::KMS::Key":
            return f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{KMS_KEY_ID}"
        if attribute == "Arn" and kind == "AWS::DynamoDB::Table":
            return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{self.ref(name)}"
        if attribute == "Arn" and kind == "AWS::SQS::Queue":
            queue = self.value(self.resource(name)["Properties"]["QueueName"])
            return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}"
        raise NotImplementedError(f"GetAtt {name}.{attribute}")

    def value(self, node):
        if isinstance(node, str):
            return node
        if "Ref" in node:
            return self.ref(node["Ref"])
        if "GetAtt" in node:
            target = node["GetAtt"]
            name, attribute = target.split(".", 1) if isinstance(target, str) else target
            return self.get_att(name, attribute)
        if "Sub" in node:
            return re.sub(
                r"\$\{([^}]+)\}",
                lambda m: (
                    self.get_att(*m.group(1).split(".", 1))
                    if "." in m.group(1)
                    else self.ref(m.group(1))
                ),
                node["Sub"],
            )
        raise NotImplementedError(str(node))


def substituted_definition(resolver: Resolver) -> str:
    props = resolver.resource("PipelineStateMachine")["Properties"]
    text = (REPO_ROOT / props["DefinitionUri"]).read_text()
    for key, node in props["DefinitionSubstitutions"].items():
        text = text.replace("${" + key + "}", resolver.value(node))
    assert "${" not in text, "a ${...} in the ASL has no DefinitionSubstitution"
    return text


# ---------------------------------------------------------------------------- moto fixtures


def handler_module(code_uri: str, handler: str):
    """The module whose `lambda_handler` a function runs: its Handler (`app.lambda_handler`)
    names a thin entry file in CodeUri that imports the handler from telco360.shipped. The entry
    is read, not executed; the module it names is imported as any other."""
    file_name, name = handler.rsplit(".", 1)
    entry = ast.parse((REPO_ROOT / code_uri / f"{file_name}.py").read_text(encoding="utf-8"))
    (module,) = [
        node.module
        for node in ast.walk(entry)
        if isinstance(node, ast.ImportFrom) and any(a.name == name for a in node.names)
    ]
    assert module.startswith("telco360.shipped."), module
    return importlib.import_module(module)


class Handlers:
    """Calls the real handler of each function the template declares, in-process."""

    def __init__(self, resolver: Resolver, monkeypatch):
        self.by_name: dict[str, tuple[object, dict]] = {}
        self.calls: list[tuple[str, dict]] = []
        self.fail_next: dict[str, Exception] = {}
        # name -> callback(event), run inside that handler's invocation, after the handler
        self.after: dict[str, object] = {}
        glob_env = resolver.t["Globals"]["Function"]["Environment"]["Variables"]
        for logical, res in resolver.t["Resources"].items():
            if res["Type"] != "AWS::Serverless::Function":
                continue
            props = res["Properties"]
            module = handler_module(props["CodeUri"], props["Handler"])
            env = {**glob_env, **props.get("Environment", {}).get("Variables", {})}
            env = {k: str(resolver.value(v)) for k, v in env.items()}
            self.by_name[resolver.ref(logical)] = (module, env)
        self.monkeypatch = monkeypatch

    def invoke(self, function_name: str, body: bytes, response_headers: dict) -> bytes:
        name = function_name.split(":function:")[-1]
        module, env = self.by_name[name]
        event = json.loads(body or b"{}")
        self.calls.append((name, event))
        for key, value in env.items():
            self.monkeypatch.setenv(key, value)
        try:
            result = module.lambda_handler(event, FakeContext(name))
            if name in self.after:
                self.after.pop(name)(event)
        except Exception as exc:  # what the Lambda service returns for an unhandled error
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps(
                {
                    "errorType": type(exc).__name__,
                    "errorMessage": str(exc),
                    "stackTrace": traceback.format_tb(exc.__traceback__)[-1:],
                }
            ).encode()
        return json.dumps(result).encode()


class FakeContext:
    def __init__(self, name: str):
        self.function_name = name
        self.memory_limit_in_mb = 256
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
        self.aws_request_id = "00000000-0000-4000-8000-000000000000"


def write_csv(s3, bucket: str, feed: str, rows: int = 2, headers=None) -> None:
    headers = headers or FEEDS[feed].headers
    lines = [",".join(f'"{h}"' if "," in h else h for h in headers)]
    lines += [",".join(f"v{r}" for _ in headers) for r in range(rows)]
    key = f"raw/{feed}/ingest_date={BATCH}/{feed}.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=("\r\n".join(lines) + "\r\n").encode())


class Pipeline:
    def __init__(self, resolver: Resolver, handlers: Handlers, sleeps: list[float]):
        self.resolver = resolver
        self.handlers = handlers
        self.sleeps = sleeps
        self.sfn = boto3.client("stepfunctions", region_name=REGION)
        self.glue = boto3.client("glue", region_name=REGION)
        self.s3 = boto3.client("s3", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.dynamodb = boto3.client("dynamodb", region_name=REGION)
        self.bucket = resolver.ref("LakeBucket")
        self.job_a = resolver.ref("CleanStandardizeJob")
        self.job_b = resolver.ref("BuildStagingJob")
        self.lock_table = resolver.ref("BatchLockTable")

    def deploy(self) -> None:
        self.s3.create_bucket(
            Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        for feed in ("demographics", "location", "services", "status", "population"):
            write_csv(self.s3, self.bucket, feed)
        sns = boto3.client("sns", region_name=REGION)
        topic_name = self.resolver.value(
            self.resolver.resource("AlertTopic")["Properties"]["TopicName"]
        )
        topic = sns.create_topic(Name=topic_name)["TopicArn"]
        assert topic == self.resolver.ref("AlertTopic")
        self.queue = self.sqs.create_queue(QueueName="pager")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

        table = self.resolver.resource("BatchLockTable")["Properties"]
        self.dynamodb.create_table(
            TableName=self.lock_table,
            AttributeDefinitions=table["AttributeDefinitions"],
            KeySchema=table["KeySchema"],
            BillingMode=table["BillingMode"],
        )
        iam = boto3.client("iam", region_name=REGION)
        role = iam.create_role(RoleName="test", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        lam = boto3.client("lambda", region_name=REGION)
        for name in self.handlers.by_name:
            lam.create_function(
                FunctionName=name,
                Runtime="python3.13",
                Role=role,
                Handler="app.lambda_handler",
                Code={"ZipFile": b"not used: the handler runs in-process"},
            )
        for logical in ("CleanStandardizeJob", "BuildStagingJob"):
            props = self.resolver.resource(logical)["Properties"]
            self.glue.create_job(
                Name=self.resolver.ref(logical),
                Role=role,
                Command={"Name": "glueetl", "ScriptLocation": props["Command"]["ScriptLocation"]},
                GlueVersion=props["GlueVersion"],
                MaxRetries=props["MaxRetries"],
                ExecutionProperty=props["ExecutionProperty"],
            )
        self.state_machine = self.sfn.create_state_machine(
            name=self.resolver.value(
                self.resolver.resource("PipelineStateMachine")["Properties"]["Name"]
            ),
            definition=substituted_definition(self.resolver),
            roleArn=role,
        )["stateMachineArn"]

    def start(self, execution_input: dict, name: str = "exec-1") -> str:
        return self.sfn.start_execution(
            stateMachineArn=self.state_machine, name=name, input=json.dumps(execution_input)
        )["executionArn"]

    def run(self, execution_input: dict, name: str = "exec-1") -> dict:
        return self.wait(self.start(execution_input, name))

    def wait(self, arn: str) -> dict:
        deadline = time.monotonic() + 60  # a safety net, not an assertion on speed
        while time.monotonic() < deadline:
            described = self.sfn.describe_execution(executionArn=arn)
            if described["status"] != "RUNNING":
                break
            time.sleep(0.1)
        history = self.sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        return {"described": described, "history": history, "arn": arn}

    def locks(self) -> dict[str, str]:
        """batch date -> holder execution name, as the lock table holds them now."""
        items = self.dynamodb.scan(TableName=self.lock_table)["Items"]
        return {i["batch_date"]["S"]: i["holder"]["S"].rsplit(":", 1)[-1] for i in items}

    def status_event(self, fixture: str, result: dict) -> dict:
        """AWS's documented status event (events/<fixture>) for this execution."""
        event = load_event(fixture)
        event["detail"]["executionArn"] = result["arn"]
        event["detail"]["name"] = result["arn"].rsplit(":", 1)[-1]
        event["detail"]["stateMachineArn"] = self.state_machine
        event["resources"] = [result["arn"]]
        return event

    def deliver(self, event: dict) -> dict:
        """What the EventBridge rule does: invoke the notifier with the event."""
        name = self.resolver.ref("NotifyFailureFunction")
        return json.loads(self.handlers.invoke(name, json.dumps(event).encode(), {}))

    def job_runs(self, job: str) -> list[dict]:
        return self.glue.get_job_runs(JobName=job)["JobRuns"]

    def pages(self) -> list[dict]:
        found = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in found.get("Messages", [])]


def entered(history: list[dict]) -> list[str]:
    return [
        e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e
    ]


@pytest.fixture
def pipeline(monkeypatch, fake_aws_credentials):
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")

    from moto.awslambda_simple.models import LambdaSimpleBackend
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        resource,
        state_task_service_glue,
    )

    # moto creates the callback endpoint .sync needs only when this pattern is listed.
    monkeypatch.setattr(
        state_task_service_glue,
        "_SUPPORTED_INTEGRATION_PATTERNS",
        {resource.ResourceCondition.Sync, resource.ResourceCondition.WaitForTaskToken},
    )
    sleeps: list[float] = []

    class RecordedTime:
        @staticmethod
        def sleep(seconds: float) -> None:
            sleeps.append(seconds)

    monkeypatch.setattr(retrier_decl, "time", RecordedTime)

    resolver = Resolver(load_template())
    handlers = Handlers(resolver, monkeypatch)

    def invoke(self, function_name, qualifier, body, headers, response_headers):
        return handlers.invoke(function_name, body, response_headers)

    monkeypatch.setattr(LambdaSimpleBackend, "invoke", invoke)
    with mock_aws(
        config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
    ):
        p = Pipeline(resolver, handlers, sleeps)
        p.deploy()
        yield p


def fail_runs_of(monkeypatch, job_name: str, message: str) -> None:
    """moto Glue runs always succeed: make this job's runs end FAILED with an error message."""
    from moto.glue import models

    original_init = models.FakeJobRun.__init__
    original_as_dict = models.FakeJobRun.as_dict

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        if self.job_name == job_name:
            self._transitions = [("STARTING", "RUNNING"), ("RUNNING", "FAILED")]
            self.status = "STARTING"

    def as_dict(self):
        out = original_as_dict(self)
        if self.job_name == job_name:
            out["ErrorMessage"] = message
        return out

    monkeypatch.setattr(models.FakeJobRun, "__init__", init)
    monkeypatch.setattr(models.FakeJobRun, "as_dict", as_dict)


def load_event(name: str) -> dict:
    return json.loads((REPO_ROOT / "events" / name).read_text())


# ---------------------------------------------------------------------------- the cases


def test_definition_has_the_fixed_task_sequence():
    definition = json.loads((REPO_ROOT / "statemachines/pipeline.asl.json").read_text())
    states = definition["States"]
    tasks = [n for n, s in states.items() if s["Type"] == "Task"]
    assert tasks == [
        "Preflight",
        "CleanStandardize",
        "BuildStaging",
        "ReleaseBatchLock",
        "NotifyFailure",
        "ReleaseBatchLockAfterFailure",
    ]
    for name in ("Preflight", "CleanStandardize", "BuildStaging"):
        (catch,) = states[name]["Catch"]
        assert catch["ErrorEquals"] == ["States.ALL"] and catch["Next"] == "NotifyFailure"
        assert catch["ResultPath"] == f"$.failure.{name}"
    for name in ("CleanStandardize", "BuildStaging"):
        assert states[name]["Resource"] == "arn:aws:states:::glue:startJobRun.sync"
        assert "ResultSelector" in states[name]
        retried = {e for r in states[name]["Retry"] for e in r["ErrorEquals"]}
        assert "Glue.ConcurrentRunsExceededException" in retried
        assert not retried & {"States.ALL", "States.TaskFailed"}, "never retry a failed run"
    assert states["BuildStaging"]["Next"] == "ReleaseBatchLock"
    assert states["ReleaseBatchLock"]["Next"] == "Succeed"
    assert states["NotifyFailure"]["Next"] == "ReleaseBatchLockAfterFailure"
    assert states["ReleaseBatchLockAfterFailure"]["Next"] == "Fail"
    assert states["Fail"]["Error"] == notify_failure.CATCH_HANDLED_ERROR
    assert notify_failure.CATCH_NOTIFY_STATE in states


def test_happy_path_from_the_schedule(pipeline):
    result = pipeline.run(load_event("scheduled_input.json"))

    assert result["described"]["status"] == "SUCCEEDED"
    assert entered(result["history"]) == [
        "ResolveBatchDate",
        "DeriveBatchDate",
        "Preflight",
        "CleanStandardize",
        "BuildStaging",
        "ReleaseBatchLock",
        "Succeed",
    ]
    output = json.loads(result["described"]["output"])
    assert output["batch_date"] == BATCH  # derived from the scheduled time
    assert output["allow_rerun"] is False
    assert output["preflight"]["summary"]["files"] == 5
    assert sorted(output["preflight"]["summary"]["feeds"]) == [
        "demographics",
        "location",
        "population",
        "services",
        "status",
    ]
    assert output["clean_standardize"]["state"] == "SUCCEEDED"
    assert output["build_staging"]["state"] == "SUCCEEDED"
    lake_root = f"s3://{pipeline.bucket}"
    for job in (pipeline.job_a, pipeline.job_b):
        (run,) = pipeline.job_runs(job)
        assert run["Arguments"]["--lake_root"] == lake_root
        assert run["Arguments"]["--batch_date"] == BATCH
    assert [name for name, _ in pipeline.handlers.calls] == ["telco360-dev-preflight"]
    assert output["preflight"]["summary"]["lock"]["holder"] == result["arn"]
    assert "lock_left_to_expire" not in output
    assert pipeline.locks() == {}, "the lock is released on success"
    assert pipeline.pages() == []


def test_preflight_failure_pages_and_starts_no_glue_job(pipeline):
    pipeline.s3.delete_object(
        Bucket=pipeline.bucket, Key=f"raw/status/ingest_date={BATCH}/status.csv"
    )
    result = pipeline.run({"batch_date": BATCH})

    assert result["described"]["status"] == "FAILED"
    assert result["described"]["error"] == "PipelineFailed"
    assert entered(result["history"])[-4:] == [
        "Preflight",
        "NotifyFailure",
        "ReleaseBatchLockAfterFailure",
        "Fail",
    ]
    assert pipeline.locks() == {}, "the lock is released on failure"
    assert "CleanStandardize" not in entered(result["history"])
    assert pipeline.job_runs(pipeline.job_a) == []
    assert pipeline.job_runs(pipeline.job_b) == []

    (notify_call,) = [e for n, e in pipeline.handlers.calls if n.endswith("notify-failure")]
    assert list(notify_call["failure"]) == ["Preflight"]
    assert notify_call["failure"]["Preflight"]["Error"] == "BatchIncomplete"
    assert notify_call["batch_date"] == BATCH
    assert notify_call["execution_name"] == "exec-1"
    (page,) = pipeline.pages()
    assert page["Subject"] == f"[telco360 dev] FAILED: Preflight, batch {BATCH}"
    assert "Error:         BatchIncomplete" in page["Message"]
    assert (
        f"BatchIncomplete: batch {BATCH} is missing required feed(s): feed status: "
        f"no *.csv under raw/status/ingest_date={BATCH}/" in page["Message"]
    )
    assert "Execution:     exec-1" in page["Message"]
    assert (
        f"#/v2/executions/details/arn:aws:states:{REGION}:{ACCOUNT}:execution:" in page["Message"]
    )


def test_glue_a_failure_pages_and_never_starts_glue_b(pipeline, monkeypatch):
    fail_runs_of(monkeypatch, pipeline.job_a, "AnalysisException: [PATH_NOT_FOUND] raw/services")
    result = pipeline.run({"batch_date": BATCH, "allow_rerun": False})

    assert result["described"]["status"] == "FAILED"
    assert entered(result["history"])[-5:] == [
        "Preflight",
        "CleanStandardize",
        "NotifyFailure",
        "ReleaseBatchLockAfterFailure",
        "Fail",
    ]
    assert pipeline.locks() == {}
    assert [r["JobRunState"] for r in pipeline.job_runs(pipeline.job_a)] == ["FAILED"]
    assert pipeline.job_runs(pipeline.job_b) == []
    assert pipeline.sleeps == [], "a failed job run is never retried"

    (notify_call,) = [e for n, e in pipeline.handlers.calls if n.endswith("notify-failure")]
    assert notify_call["failure"]["CleanStandardize"]["Error"] == "States.TaskFailed"
    (page,) = pipeline.pages()
    assert page["Subject"] == f"[telco360 dev] FAILED: CleanStandardize, batch {BATCH}"
    assert f"Glue job {pipeline.job_a} run jr_" in page["Message"]
    assert "ended FAILED" in page["Message"]
    assert "AnalysisException: [PATH_NOT_FOUND] raw/services" in page["Message"]


def test_glue_b_failure_pages_once(pipeline, monkeypatch):
    fail_runs_of(monkeypatch, pipeline.job_b, "Commit marker not written: S3 AccessDenied")
    result = pipeline.run(load_event("manual_rerun.json") | {"batch_date": BATCH})

    assert result["described"]["status"] == "FAILED"
    assert entered(result["history"])[-6:] == [
        "Preflight",
        "CleanStandardize",
        "BuildStaging",
        "NotifyFailure",
        "ReleaseBatchLockAfterFailure",
        "Fail",
    ]
    assert [r["JobRunState"] for r in pipeline.job_runs(pipeline.job_a)] == ["SUCCEEDED"]
    assert [r["JobRunState"] for r in pipeline.job_runs(pipeline.job_b)] == ["FAILED"]
    (page,) = pipeline.pages()
    assert page["Subject"] == f"[telco360 dev] FAILED: BuildStaging, batch {BATCH}"
    assert "Commit marker not written: S3 AccessDenied" in page["Message"]
    # AWS's FAILED status event of this execution (no error, no cause) must not page again.
    for fixture in ("execution_failed_after_catch.json", "execution_failed_input_omitted.json"):
        delivered = pipeline.deliver(pipeline.status_event(fixture, result))
        assert delivered == {
            "published": False,
            "reason": "failure already paged by NotifyFailure",
        }
    assert pipeline.pages() == []
    assert pipeline.locks() == {}


def test_throttled_glue_start_is_retried_with_backoff(pipeline, monkeypatch):
    from moto.glue import models
    from moto.glue.exceptions import ConcurrentRunsExceededException

    original = models.FakeJob.start_job_run
    refusals = {"left": 2}

    def start_job_run(self, *args, **kwargs):
        if self.name == pipeline.job_a and refusals["left"]:
            refusals["left"] -= 1
            raise ConcurrentRunsExceededException(f"Job with name {self.name} already running")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(models.FakeJob, "start_job_run", start_job_run)
    result = pipeline.run({"batch_date": BATCH})

    assert result["described"]["status"] == "SUCCEEDED"
    failed_starts = [e for e in result["history"] if e["type"] == "TaskFailed"]
    assert [e["taskFailedEventDetails"]["error"] for e in failed_starts] == [
        "Glue.ConcurrentRunsExceededException"
    ] * 2
    assert len(pipeline.job_runs(pipeline.job_a)) == 1
    assert len(pipeline.job_runs(pipeline.job_b)) == 1
    assert len(pipeline.sleeps) == 2 and all(s <= 300 for s in pipeline.sleeps)
    assert pipeline.pages() == []


def test_missing_input_fails_without_running_anything(pipeline):
    result = pipeline.run({"date": BATCH})

    assert result["described"]["status"] == "FAILED"
    assert result["described"]["error"] == "InvalidInput"
    assert entered(result["history"]) == ["ResolveBatchDate", "InvalidInput"]
    assert pipeline.handlers.calls == []
    # Caught by the EventBridge rule instead: AWS's status event (no error in it) pages once,
    # with the error and cause read from DescribeExecution.
    delivered = pipeline.deliver(
        pipeline.status_event("execution_failed_invalid_input.json", result)
    )
    assert delivered["published"] is True
    (page,) = pipeline.pages()
    assert page["Subject"] == "[telco360 dev] FAILED: InvalidInput, batch unknown date"
    assert "Error:         InvalidInput" in page["Message"]
    assert 'Cause:         Start the execution with {"batch_date": "YYYY-MM-DD"}' in page["Message"]


def test_aborted_execution_pages_once_and_frees_its_batch_date(pipeline):
    """Stopped while it holds the lock (after the pre-flight took it): no state of its own
    runs, so the EventBridge path pages (ABORTED, the state it was in) and releases it."""
    held = {}

    def stop_own_execution(event):
        held.update(pipeline.locks())
        pipeline.sfn.stop_execution(executionArn=event["execution_arn"], error="OperatorStop")

    pipeline.handlers.after["telco360-dev-preflight"] = stop_own_execution
    result = pipeline.run({"batch_date": BATCH}, name="manual-abort")

    assert result["described"]["status"] == "ABORTED"
    assert held == {BATCH: "manual-abort"}
    assert pipeline.locks() == {BATCH: "manual-abort"}, "an aborted execution runs no release"
    assert pipeline.pages() == []
    assert pipeline.job_runs(pipeline.job_a) == []

    delivered = pipeline.deliver(pipeline.status_event("execution_aborted.json", result))
    assert delivered["published"] is True
    (page,) = pipeline.pages()
    assert page["Subject"].startswith("[telco360 dev] ABORTED: execution aborted in ")
    assert f"batch {BATCH}" in page["Subject"]
    assert pipeline.locks() == {}


def test_two_executions_for_one_date_the_second_fails_batch_in_progress(pipeline, monkeypatch):
    """A manual re-run started while the scheduled run of the same date is in job A: the
    second one's pre-flight fails BatchInProgress naming the holder, starts no job, pages
    once, and leaves the first one's lock alone; the first one then succeeds and frees it."""
    from moto.glue import models

    original = models.FakeJob.start_job_run
    second = {}

    def start_job_run(self, *args, **kwargs):
        if self.name == pipeline.job_a and not second:
            second["result"] = pipeline.run({"batch_date": BATCH}, name="manual-rerun")
            second["locks"] = pipeline.locks()
        return original(self, *args, **kwargs)

    monkeypatch.setattr(models.FakeJob, "start_job_run", start_job_run)
    first = pipeline.run(load_event("scheduled_input.json"), name="scheduled-run")

    rerun = second["result"]
    assert rerun["described"]["status"] == "FAILED"
    assert entered(rerun["history"])[-4:] == [
        "Preflight",
        "NotifyFailure",
        "ReleaseBatchLockAfterFailure",
        "Fail",
    ]
    assert second["locks"] == {BATCH: "scheduled-run"}, "the holder's lock is left alone"
    (page,) = pipeline.pages()
    assert page["Subject"] == f"[telco360 dev] FAILED: Preflight, batch {BATCH}"
    assert "Error:         BatchInProgress" in page["Message"]
    assert f"batch {BATCH} is being processed by execution scheduled-run (" in page["Message"]
    assert "Execution:     manual-rerun" in page["Message"]

    assert first["described"]["status"] == "SUCCEEDED"
    assert len(pipeline.job_runs(pipeline.job_a)) == 1, "the second execution started no job"
    assert pipeline.locks() == {}
    third = pipeline.run({"batch_date": BATCH}, name="after-both")
    assert third["described"]["status"] == "SUCCEEDED", "the date is free again"


def test_an_expired_lock_does_not_block_the_date(pipeline):
    """A lock whose holder could not release it (expired) is taken over."""
    pipeline.dynamodb.put_item(
        TableName=pipeline.lock_table,
        Item={
            "batch_date": {"S": BATCH},
            "holder": {"S": f"arn:aws:states:{REGION}:{ACCOUNT}:execution:x:crashed"},
            "holder_name": {"S": "crashed"},
            "acquired_at": {"N": "1700000000"},
            "expires_at": {"N": "1700014700"},
        },
    )
    result = pipeline.run({"batch_date": BATCH}, name="after-expiry")
    assert result["described"]["status"] == "SUCCEEDED"
    assert pipeline.locks() == {}
