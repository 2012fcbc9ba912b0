"""Job A's read_first_line: a CSV's header as Spark's text reader would give it, from a local
file or an S3 object (moto), reading only the start of the file."""

import boto3
import pytest
from moto import mock_aws

from telco360.shipped.lake_io import read_first_line

REGION = "eu-west-1"
BUCKET = "telco360-lake-test"

# (file bytes, expected first line)
CASES = {
    "lf": (b"Customer ID,Count\n0001-AAAAA,1\n", "Customer ID,Count"),
    "crlf": (b"Customer ID,Count\r\n0001-AAAAA,1\r\n", "Customer ID,Count"),
    "cr": (b"Customer ID,Count\r0001-AAAAA,1\r", "Customer ID,Count"),
    "no_line_break": (b"Customer ID,Count", "Customer ID,Count"),
    "bom_kept": (b"\xef\xbb\xbfCustomer ID,Count\n", "\ufeffCustomer ID,Count"),
    "blank_first_line": (b"\nCustomer ID,Count\n", ""),
    "not_utf8": (b"Customer ID,Co\xffunt\n", "Customer ID,Co\ufffdunt"),
    "empty": (b"", None),
    # Longer than the first read (chunk=16 below): the read grows until the line ends.
    "long_header": (b"A" * 100 + b",B\nrow\n", "A" * 100 + ",B"),
    "long_no_break": (b"C" * 64, "C" * 64),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_first_line_of_a_local_file(tmp_path, case):
    content, expected = CASES[case]
    path = tmp_path / f"{case}.csv"
    path.write_bytes(content)
    assert read_first_line(str(path), chunk=16) == expected


@pytest.fixture
def s3_lake(fake_aws_credentials):
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        yield s3


def test_first_line_of_s3_objects(s3_lake):
    for case, (content, _) in CASES.items():
        s3_lake.put_object(Bucket=BUCKET, Key=f"raw/{case}.csv", Body=content)
    found = {case: read_first_line(f"s3://{BUCKET}/raw/{case}.csv", chunk=16) for case in CASES}
    assert found == {case: expected for case, (_, expected) in CASES.items()}
