"""`--aws` operations against moto: executions started one at a time, in order, with the
batch date as input; backfill un-commits the later batches first."""

import json

import boto3
import pytest
from moto import mock_aws

from telco360.ops import aws_ops

REGION = "eu-west-1"
# A stand-in for the deployed machine: it only echoes its input, which is all this tests.
ECHO_ASL = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
FAIL_ASL = {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "GlueJobFailed"}}}


@pytest.fixture
def aws(fake_aws_credentials):
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield boto3.session.Session(region_name=REGION)


def _stack(session, definition: dict) -> str:
    iam = session.client("iam")
    role = iam.create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    arn = session.client("stepfunctions").create_state_machine(
        name="telco360-dev-pipeline", definition=json.dumps(definition), roleArn=role
    )["stateMachineArn"]
    s3 = session.client("s3")
    s3.create_bucket(Bucket="lake", CreateBucketConfiguration={"LocationConstraint": REGION})
    template = {
        "Resources": {"T": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {
            "StateMachineArn": {"Value": arn},
            "LakeBucketName": {"Value": "lake"},
        },
    }
    for stack in ("telco360-dev", "telco360-prod"):
        session.client("cloudformation").create_stack(
            StackName=stack, TemplateBody=json.dumps(template)
        )
    return arn


def _args(**overrides) -> dict:
    return {"stack": "telco360-dev", "state_machine_arn": None, "region": REGION, **overrides}


def _inputs(session, arn: str) -> list[str]:
    sfn = session.client("stepfunctions")
    executions = sfn.list_executions(stateMachineArn=arn)["executions"]
    described = [sfn.describe_execution(executionArn=e["executionArn"]) for e in executions]
    described.sort(key=lambda d: d["startDate"])
    return [json.loads(d["input"])["batch_date"] for d in described]


def test_run_starts_one_execution_per_date_in_order(aws):
    arn = _stack(aws, ECHO_ASL)
    code = aws_ops.run_dates(**_args(), dates=["2026-11-01", "2026-11-02"], poll=0.01)
    assert code == 0
    assert _inputs(aws, arn) == ["2026-11-01", "2026-11-02"]


def test_run_stops_at_the_first_failed_execution(aws, capsys):
    arn = _stack(aws, FAIL_ASL)
    code = aws_ops.run_dates(**_args(), dates=["2026-11-01", "2026-11-02"], poll=0.01)
    assert code == 1
    assert _inputs(aws, arn) == ["2026-11-01"]  # 2026-11-02 never started
    assert "ended FAILED" in capsys.readouterr().err


def test_backfill_uncommits_later_batches_then_runs_them_in_order(aws, capsys):
    arn = _stack(aws, ECHO_ASL)
    s3 = aws.client("s3")
    for day in ("2026-11-01", "2026-11-02", "2026-11-03"):
        s3.put_object(Bucket="lake", Key=f"raw/status/ingest_date={day}/status.csv", Body=b"x")
        key = f"staging/_batches/batch_date={day}/manifest.json"
        s3.put_object(Bucket="lake", Key=key, Body=b"{}")
    code = aws_ops.backfill(**_args(from_date="2026-11-02", to_date=None), poll=0.01)
    assert code == 0
    assert _inputs(aws, arn) == ["2026-11-02", "2026-11-03"]
    markers = s3.list_objects_v2(Bucket="lake", Prefix="staging/_batches/")["Contents"]
    assert [m["Key"] for m in markers] == ["staging/_batches/batch_date=2026-11-01/manifest.json"]
    out = capsys.readouterr().out
    assert "un-committed 2026-11-02, 2026-11-03; running 2026-11-02, 2026-11-03 in order" in out
    # The warehouse rewinds by itself (tests/test_warehouse_follows_lake.py): no manual step.
    assert "Snowflake: nothing to do; its next task run rewinds to before 2026-11-02" in out
    assert "REWIND" not in out


def _commit(s3, day: str) -> None:
    s3.put_object(Bucket="lake", Key=f"raw/status/ingest_date={day}/status.csv", Body=b"x")
    key = f"staging/_batches/batch_date={day}/manifest.json"
    s3.put_object(Bucket="lake", Key=key, Body=b"{}")


def test_rerunning_an_old_date_while_later_ones_are_committed_is_refused(aws, capsys):
    """Job B builds each date on the latest committed batch before it: re-running 11-01 alone
    would leave 11-02 and 11-03 built on the old 11-01. Refused, with the backfill command."""
    arn = _stack(aws, ECHO_ASL)
    for day in ("2026-11-01", "2026-11-02", "2026-11-03"):
        _commit(aws.client("s3"), day)
    code = aws_ops.run_dates(**_args(stack="telco360-prod"), dates=["2026-11-01"], poll=0.01)
    assert code == 1
    assert aws.client("stepfunctions").list_executions(stateMachineArn=arn)["executions"] == []
    err = capsys.readouterr().err
    assert "2026-11-01 is older than committed batch(es) 2026-11-02, 2026-11-03" in err
    assert (
        f"`telco360 backfill --aws --stack telco360-prod --region {REGION} --from 2026-11-01`"
        in err
    )
    # The latest date, or a range that includes every later committed date, may run.
    assert aws_ops.run_dates(**_args(stack="telco360-prod"), dates=["2026-11-03"], poll=0.01) == 0
    dates = ["2026-11-02", "2026-11-03"]
    assert aws_ops.run_dates(**_args(stack="telco360-prod"), dates=dates, poll=0.01) == 0


def test_the_same_date_run_twice_gets_two_unique_execution_names(aws):
    arn = _stack(aws, ECHO_ASL)
    for _ in range(2):
        assert aws_ops.run_dates(**_args(), dates=["2026-11-02"], poll=0.01) == 0
    names = [
        e["name"]
        for e in aws.client("stepfunctions").list_executions(stateMachineArn=arn)["executions"]
    ]
    assert len(names) == 2 and len(set(names)) == 2
    assert all(n.startswith("manual-2026-11-02-") for n in names)


def test_cli_run_aws_refuses_an_old_date_and_resolves_ranges_in_the_bucket(
    aws, capsys, monkeypatch
):
    import time

    from telco360.ops import cli

    class QuickPoll:
        @staticmethod
        def sleep(seconds):
            time.sleep(0.01)

    monkeypatch.setattr(aws_ops, "time", QuickPoll)

    arn = _stack(aws, ECHO_ASL)
    for day in ("2026-11-01", "2026-11-02"):
        _commit(aws.client("s3"), day)
    argv = ["run", "--aws", "--stack", "telco360-prod", "--region", REGION]
    assert cli.main([*argv, "--date", "2026-11-01"]) == 1
    assert "telco360 backfill --aws --stack telco360-prod" in capsys.readouterr().err
    # --from is resolved against the bucket (not the local lake): both dates, in order
    assert cli.main([*argv, "--from", "2026-11-01"]) == 0
    assert _inputs(aws, arn) == ["2026-11-01", "2026-11-02"]
