"""Every S3 write the code makes, and a plain upstream upload, passes the lake bucket policy.

The oracle is template.yaml's own `LakeBucketPolicy`: the real requests are captured from
botocore (a `before-send` hook on moto, so the headers are the ones sent on the wire) and their
request context is evaluated against the policy's Deny statements with IAM's condition
semantics (tests/iam_conditions.py, itself tested against AWS's examples).

Writers covered: job A (`delete_tree` of its metrics, the metrics `write_json`), job B (the
commit marker, removal of stale runs), the operator backfill (`lake_io.delete_tree` of markers),
an upstream system's `aws s3 cp` equivalent without SSE flags (single PUT and multipart, as the
CLI switches to multipart above 8 MB), and Glue's own Spark writes, which the Glue security
configuration makes send SSE-KMS with the lake key (EMRFS; modelled from the template, since
Spark's S3 client is not boto3).

AWS's recommendation followed by the template: default bucket encryption with SSE-KMS and an
S3 Bucket Key, so writes need no headers; deny only a wrong algorithm or key when a header is
sent; deny non-TLS and TLS < 1.2.
- https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-encryption.html
- https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html
- https://docs.aws.amazon.com/AmazonS3/latest/userguide/specifying-kms-encryption.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
"""

from __future__ import annotations

import io
import ssl
from urllib.parse import unquote, urlsplit

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from iam_conditions import denying_statements
from moto import mock_aws
from test_statemachine import ACCOUNT, BATCH, REGION, Resolver, load_template

from telco360.shipped import lake_io
from telco360.shipped.jobs import build_staging as job_b
from telco360.shipped.jobs import clean_standardize as job_a

WRITE_ACTIONS = {
    "PutObject": "s3:PutObject",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "CopyObject": "s3:PutObject",
    "DeleteObject": "s3:DeleteObject",
    "DeleteObjects": "s3:DeleteObject",
}
SSE = "x-amz-server-side-encryption"
SSE_KEY = "x-amz-server-side-encryption-aws-kms-key-id"


def _value(resolver: Resolver, node):
    if isinstance(node, list):
        return [_value(resolver, n) for n in node]
    if isinstance(node, dict) and not ({"Ref", "GetAtt", "Sub"} & set(node)):
        return {k: _value(resolver, v) for k, v in node.items()}
    return resolver.value(node) if isinstance(node, dict) else node


def bucket_policy(template: dict | None = None) -> tuple[dict, Resolver]:
    resolver = Resolver(template or load_template())
    doc = resolver.resource("LakeBucketPolicy")["Properties"]["PolicyDocument"]
    return _value(resolver, doc), resolver


def tls_floor() -> str:
    """The lowest TLS version this Python's default context negotiates (boto3 uses it)."""
    floor = ssl.create_default_context().minimum_version
    return {ssl.TLSVersion.TLSv1_2: "1.2", ssl.TLSVersion.TLSv1_3: "1.3"}[floor]


def context_of(request) -> dict:
    """The request context S3 would build from these headers (condition keys per the S3 docs:
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html)."""
    ctx = {
        "aws:SecureTransport": "true" if request.url.startswith("https://") else "false",
        "s3:TlsVersion": tls_floor(),
    }
    headers = {k.lower(): v for k, v in request.headers.items()}
    for header in (SSE, SSE_KEY):
        if header in headers:
            value = headers[header]
            ctx[f"s3:{header}"] = value.decode() if isinstance(value, bytes) else value
    return ctx


def object_arn(url: str, bucket: str) -> str:
    parts = urlsplit(url)
    path = unquote(parts.path).lstrip("/")
    if parts.netloc.startswith(f"{bucket}."):
        key = path
    else:
        key = path.split("/", 1)[1] if "/" in path else ""
    return f"arn:aws:s3:::{bucket}/{key}"


class Captured:
    def __init__(self, bucket: str):
        self.bucket = bucket
        self.requests: list[dict] = []

    def __call__(self, request, event_name: str, **kwargs):
        operation = event_name.rsplit(".", 1)[-1]
        if operation in WRITE_ACTIONS:
            self.requests.append(
                {
                    "operation": operation,
                    "action": WRITE_ACTIONS[operation],
                    "resource": object_arn(request.url, self.bucket),
                    "context": context_of(request),
                }
            )
        return None  # never answers: moto does


@pytest.fixture
def lake(fake_aws_credentials):
    policy, resolver = bucket_policy()
    bucket = resolver.ref("LakeBucket")
    with mock_aws():
        boto3.setup_default_session(region_name=REGION)
        captured = Captured(bucket)
        # First, so it runs before moto's own before-send handler answers the request.
        boto3.DEFAULT_SESSION.events.register_first("before-send.s3", captured)
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        yield {"bucket": bucket, "s3": s3, "captured": captured, "policy": policy, "r": resolver}
        boto3.DEFAULT_SESSION = None


def _pipeline_and_upstream_writes(lake) -> list[dict]:
    bucket, s3 = lake["bucket"], lake["s3"]
    root = f"s3://{bucket}"
    # An upstream system: `aws s3 cp export.csv s3://<bucket>/raw/...` with no --sse flags.
    s3.put_object(Bucket=bucket, Key=f"raw/status/ingest_date={BATCH}/status.csv", Body=b"a\n1\n")
    big = io.BytesIO(b"x" * (10 * 1024 * 1024))
    s3.upload_fileobj(
        big,
        bucket,
        f"raw/usage/ingest_date={BATCH}/usage.csv",
        Config=TransferConfig(multipart_threshold=8 * 1024 * 1024, use_threads=False),
    )
    lake_io.delete_tree(lake_io.join(root, "standardized/_metrics", f"ingest_date={BATCH}"))
    job_a.write_json(job_a.metrics_uri(root, BATCH), {"batch_date": BATCH, "feeds": {}})
    s3.put_object(Bucket=bucket, Key=f"staging/customers/batch_date={BATCH}/run=old/x", Body=b"")
    job_b.write_marker(root, {"batch_date": BATCH, "run_id": "new"})
    job_b.remove_stale_runs(root, BATCH, "new")
    lake_io.delete_tree(lake_io.join(root, "staging", "_batches", f"batch_date={BATCH}"))
    return lake["captured"].requests


def test_every_write_of_the_code_and_a_plain_upload_is_allowed_by_the_bucket_policy(lake):
    requests = _pipeline_and_upstream_writes(lake)
    operations = {r["operation"] for r in requests}
    assert {
        "PutObject",
        "CreateMultipartUpload",
        "UploadPart",
        "CompleteMultipartUpload",
        "DeleteObjects",
    } <= operations
    keys = {r["resource"].split(":::", 1)[1].split("/", 1)[1] for r in requests}
    assert f"standardized/_metrics/ingest_date={BATCH}/metrics.json" in keys
    assert f"staging/_batches/batch_date={BATCH}/manifest.json" in keys
    assert all(r["context"]["aws:SecureTransport"] == "true" for r in requests)
    denied = [
        (r["operation"], r["resource"], denying_statements(lake["policy"], **_req(r)))
        for r in requests
    ]
    assert [d for d in denied if d[2]] == []


def _req(r: dict) -> dict:
    return {"action": r["action"], "resource": r["resource"], "context": r["context"]}


def kms_write(key_arn: str) -> dict:
    """The request context of a PutObject over TLS that asks for SSE-KMS with `key_arn`."""
    return {
        "aws:SecureTransport": "true",
        "s3:TlsVersion": tls_floor(),
        f"s3:{SSE}": "aws:kms",
        f"s3:{SSE_KEY}": key_arn,
    }


def test_glue_spark_writes_with_the_security_configuration_key_are_allowed(lake):
    """EMRFS sends SSE-KMS with the security configuration's key on every Parquet write."""
    resolver = lake["r"]
    config = resolver.resource("GlueSecurityConfiguration")["Properties"]
    (s3_encryption,) = config["EncryptionConfiguration"]["S3Encryptions"]
    assert s3_encryption["S3EncryptionMode"] == "SSE-KMS"
    key_arn = resolver.value(s3_encryption["KmsKeyArn"])
    resource = f"arn:aws:s3:::{lake['bucket']}/standardized/status/ingest_date={BATCH}/p.parquet"
    assert denying_statements(lake["policy"], "s3:PutObject", resource, kms_write(key_arn)) == []


def test_athena_results_written_with_the_workgroup_key_are_allowed(lake):
    """The workgroup encrypts query results SSE_KMS with its KmsKey (the lake key's ARN), so
    Athena's result writes send that algorithm and key."""
    resolver = lake["r"]
    config = resolver.resource("AthenaWorkGroup")["Properties"]["WorkGroupConfiguration"]
    results = config["ResultConfiguration"]
    assert results["EncryptionConfiguration"]["EncryptionOption"] == "SSE_KMS"
    key_arn = resolver.value(results["EncryptionConfiguration"]["KmsKey"])
    prefix = resolver.value(results["OutputLocation"]).removeprefix(f"s3://{lake['bucket']}/")
    resource = f"arn:aws:s3:::{lake['bucket']}/{prefix}0a1b2c3d.csv"
    assert denying_statements(lake["policy"], "s3:PutObject", resource, kms_write(key_arn)) == []


def test_the_policy_still_refuses_a_wrong_key_a_wrong_algorithm_and_plain_http(lake):
    resource = f"arn:aws:s3:::{lake['bucket']}/raw/status/ingest_date={BATCH}/s.csv"
    good = {"aws:SecureTransport": "true", "s3:TlsVersion": "1.2"}
    other_key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000"
    policy = lake["policy"]

    def denied(action: str, extra: dict) -> list[str]:
        return denying_statements(policy, action, resource, good | extra)

    with_other_key = {f"s3:{SSE}": "aws:kms", f"s3:{SSE_KEY}": other_key}
    assert denied("s3:PutObject", with_other_key) == ["DenyWritesWithAnotherKey"]
    assert denied("s3:PutObject", {f"s3:{SSE}": "AES256"}) == ["DenyWritesWithAnotherAlgorithm"]
    assert denied("s3:PutObject", {"aws:SecureTransport": "false"}) == ["DenyInsecureTransport"]
    assert denied("s3:GetObject", {"s3:TlsVersion": "1.1"}) == ["DenyOldTls"]


def test_default_encryption_is_sse_kms_with_the_lake_key_and_a_bucket_key():
    resolver = Resolver(load_template())
    props = resolver.resource("LakeBucket")["Properties"]
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == {"GetAtt": "LakeKey.Arn"}
    assert rule["BucketKeyEnabled"] is True
