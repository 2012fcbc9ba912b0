"""The Glue entry (telco360.shipped.jobs.glue_entry) run as Glue runs it, on local PySpark with a
stand-in `awsglue` and moto's Glue and CloudWatch: job A creates the zone tables and, once
its metrics file is written, publishes the batch's metrics; job B creates the staging tables
and registers the committed batch at the run its commit marker names."""

from __future__ import annotations

import json
import shutil
import sys
import types

import boto3
import pytest
from conftest import REPO_ROOT
from moto import mock_aws

from telco360.shipped import catalog, lake_layout
from telco360.shipped.jobs import glue_entry

BATCH = "2026-11-02"
DATABASE = "telco360_dev"
NAMESPACE = "Telco360/dev"


@pytest.fixture
def fake_awsglue(spark, monkeypatch):
    """`awsglue` as Glue provides it, reduced to what the entry uses."""

    def get_resolved_options(argv, names):
        given = dict(zip(argv[1::2], argv[2::2], strict=True))
        return {n: given[f"--{n}"] for n in names} | (
            {"JOB_RUN_ID": given["--JOB_RUN_ID"]} if "--JOB_RUN_ID" in given else {}
        )

    class GlueContext:
        def __init__(self, spark_context):
            self.spark_session = spark

    class Job:
        commits = 0

        def __init__(self, glue_context):
            pass

        def init(self, name, args):
            pass

        def commit(self):
            Job.commits += 1

    modules = {
        "awsglue": types.ModuleType("awsglue"),
        "awsglue.context": types.SimpleNamespace(GlueContext=GlueContext),
        "awsglue.job": types.SimpleNamespace(Job=Job),
        "awsglue.utils": types.SimpleNamespace(getResolvedOptions=get_resolved_options),
    }
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    return Job


def test_glue_entries_catalog_the_batch_and_publish_its_metrics(
    fake_awsglue, fake_aws_credentials, tmp_path
):
    lake = tmp_path / "lake"
    shutil.copytree(REPO_ROOT / "tests/data/clean/dirty", lake)
    common = ["--lake_root", str(lake), "--batch_date", BATCH, "--catalog_database", DATABASE]
    with mock_aws():
        glue = boto3.client("glue")
        glue.create_database(DatabaseInput={"Name": DATABASE})
        job_a = ["--JOB_NAME", "a", *common, "--quarantine_threshold", "1"]
        assert glue_entry.clean_standardize(["a.py", *job_a, "--metrics_namespace", NAMESPACE]) == 0
        tables = {t["Name"] for t in glue.get_tables(DatabaseName=DATABASE)["TableList"]}
        assert tables == {t.name for t in catalog.ZONE_TABLES}
        listed = boto3.client("cloudwatch").list_metrics(Namespace=NAMESPACE)["Metrics"]
        names = {m["MetricName"] for m in listed}
        assert {"RowsRead", "QuarantineShare", "MaxQuarantineShare"} <= names

        job_b = ["--JOB_NAME", "b", *common, "--JOB_RUN_ID", "jr_0001"]
        assert glue_entry.build_staging(["b.py", *job_b]) == 0
        marker = json.loads((lake / lake_layout.marker_file(BATCH)).read_text())
        assert marker["run_id"] == "jr_0001"
        for table in catalog.STAGING_TABLES:
            (partition,) = glue.get_partitions(DatabaseName=DATABASE, TableName=table.name)[
                "Partitions"
            ]
            assert partition["Values"] == [BATCH]
            location = partition["StorageDescriptor"]["Location"]
            assert location == catalog.run_folder(str(lake), table.output, BATCH, "jr_0001")
    assert fake_awsglue.commits == 2


def test_a_batch_stopped_by_the_quarantine_gate_is_in_the_catalog_and_publishes_nothing(
    fake_awsglue, fake_aws_credentials, tmp_path
):
    """The tables exist before job A runs (its quarantine is queryable by projection); the
    failed batch writes no metrics file and publishes no metric: it pages instead."""
    from telco360.shipped.jobs.clean_standardize import QuarantineThresholdExceeded

    lake = tmp_path / "lake"
    shutil.copytree(REPO_ROOT / "tests/data/clean/dirty", lake)
    for folder in (lake / "raw").glob(f"*/ingest_date={BATCH}"):
        if folder.parent.name != "services":  # one feed over the gate is enough (and faster)
            shutil.rmtree(folder)
    args = ["a.py", "--JOB_NAME", "a", "--lake_root", str(lake), "--batch_date", BATCH]
    args += ["--quarantine_threshold", "0.1", "--catalog_database", DATABASE]
    args += ["--metrics_namespace", NAMESPACE]
    with mock_aws():
        glue = boto3.client("glue")
        glue.create_database(DatabaseInput={"Name": DATABASE})
        with pytest.raises(QuarantineThresholdExceeded):
            glue_entry.clean_standardize(args)
        tables = {t["Name"] for t in glue.get_tables(DatabaseName=DATABASE)["TableList"]}
        assert tables == {t.name for t in catalog.ZONE_TABLES}
        assert boto3.client("cloudwatch").list_metrics(Namespace=NAMESPACE)["Metrics"] == []
    assert list((lake / "quarantine/services").glob(f"ingest_date={BATCH}/*.parquet"))
    assert not (lake / lake_layout.metrics_file(BATCH)).exists()
    assert fake_awsglue.commits == 0
