"""The Glue Data Catalog tables (telco360.shipped.catalog): what Athena sees of the lake.

- Each table's columns and partition key are those of the Parquet the jobs write: the local
  jobs A and B run on a hand-written batch, and pyarrow reads the schema of their files.
- Against moto's Glue: the jobs' calls create the tables once, keep them equal to the contract,
  widen a projected table's date range to older batches, and point a staging partition at
  the committed run (moved on a re-run).
- Partition projection properties as Athena documents them:
  https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html
  (type `date`, `format`, `range` "start,NOW", `interval`, `interval.unit`) and
  https://docs.aws.amazon.com/athena/latest/ug/partition-projection-setting-up.html
  (`projection.enabled`, `storage.location.template` with `${column}`).
"""

from __future__ import annotations

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import LOCAL_RUN_DATE
from moto import mock_aws
from test_statemachine import load_template

from telco360.shipped import catalog, lake_layout
from telco360.shipped.contract import FEEDS

DATABASE = "telco360_dev"
LAKE = "s3://telco360-dev-lake-123456789012-eu-west-1"


def hive_type(t: pa.DataType) -> str:
    """The Hive/Athena type of a Parquet column as pyarrow reads it."""
    simple = {
        pa.string(): "string",
        pa.int32(): "int",
        pa.int64(): "bigint",
        pa.float64(): "double",
        pa.bool_(): "boolean",
        pa.date32(): "date",
    }
    if t in simple:
        return simple[t]
    if pa.types.is_decimal(t):
        return f"decimal({t.precision},{t.scale})"
    if pa.types.is_list(t):
        return f"array<{hive_type(t.value_type)}>"
    raise AssertionError(f"no Hive type for {t}")


def written_files(lake, manifest, table: catalog.Table) -> list:
    if table.projected:
        folder = lake / lake_layout.batch_path(*table.folder.split("/"), LOCAL_RUN_DATE)
        return sorted(folder.glob("*.parquet"))
    return [lake / f for f in manifest["files"][table.output]]


def test_there_is_a_table_per_feed_and_zone_and_per_staging_output():
    assert sorted(catalog.TABLES) == sorted(
        [f"standardized_{f}" for f in FEEDS]
        + [f"quarantine_{f}" for f in FEEDS]
        + [
            "staging_customers_state",
            "staging_customers_changes",
            "staging_population_state",
            "staging_population_changes",
            "staging_usage_changes",
        ]
    )


@pytest.mark.parametrize("name", sorted(catalog.TABLES))
def test_table_columns_are_those_of_the_parquet_the_jobs_write(local_run, name):
    """Columns by name and Hive type, plus the partition column: the Parquet carries it as a
    `date` equal to the folder's value, the table as its `YYYY-MM-DD` partition key."""
    lake, _, manifest = local_run
    table = catalog.TABLES[name]
    files = written_files(lake, manifest, table)
    assert files, f"the local run wrote no file for {name}"
    for path in files:
        schema = pq.read_schema(path)
        written = {field.name: hive_type(field.type) for field in schema}
        assert written == {**dict(table.columns), table.partition: "date"}, path
        dates = pq.read_table(path, columns=[table.partition]).column(0).unique().to_pylist()
        assert [d.isoformat() for d in dates] in ([LOCAL_RUN_DATE], []), path
    key = catalog.table_input(table, LAKE, LOCAL_RUN_DATE)["PartitionKeys"]
    assert key == [{"Name": table.partition, "Type": "string"}]


def test_projected_tables_find_every_batch_folder_job_a_writes():
    table = catalog.TABLES["quarantine_services"]
    params = catalog.table_input(table, LAKE, "2026-11-01")["Parameters"]
    assert params["projection.enabled"] == "true"
    assert params["projection.ingest_date.type"] == "date"
    assert params["projection.ingest_date.format"] == "yyyy-MM-dd"
    assert params["projection.ingest_date.range"] == "2026-11-01,NOW"
    assert params["projection.ingest_date.interval.unit"] == "DAYS"
    template = params["storage.location.template"]
    folder = lake_layout.batch_path("quarantine", "services", "2026-11-03")
    assert template.replace("${ingest_date}", "2026-11-03") == f"{LAKE}/{folder}/"
    staging = catalog.table_input(catalog.TABLES["staging_customers_state"], LAKE, "2026-11-01")
    assert not any(k.startswith("projection") for k in staging["Parameters"])


@pytest.fixture
def glue(fake_aws_credentials):
    with mock_aws():
        client = boto3.client("glue")
        client.create_database(DatabaseInput={"Name": DATABASE})
        yield client


def test_jobs_create_the_tables_once_and_keep_them_equal_to_the_contract(glue):
    created = catalog.ensure_tables(glue, DATABASE, catalog.ZONE_TABLES, LAKE, "2026-11-02")
    assert created == [t.name for t in catalog.ZONE_TABLES]
    assert catalog.ensure_tables(glue, DATABASE, catalog.ZONE_TABLES, LAKE, "2026-11-03") == []
    table = glue.get_table(DatabaseName=DATABASE, Name="standardized_services")["Table"]
    columns = [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]
    assert columns[:3] == [("customer_id", "string"), ("count", "int"), ("quarter", "string")]
    assert ("monthly_charge", "decimal(12,2)") in columns
    assert table["StorageDescriptor"]["Location"] == f"{LAKE}/standardized/services/"
    # A column changed by hand (or an older contract): the next run puts it back.
    broken = catalog.table_input(catalog.TABLES["standardized_services"], LAKE, "2026-11-02")
    broken["StorageDescriptor"]["Columns"][0]["Type"] = "int"
    glue.update_table(DatabaseName=DATABASE, TableInput=broken)
    fixed = catalog.ensure_tables(glue, DATABASE, catalog.ZONE_TABLES, LAKE, "2026-11-03")
    assert fixed == ["standardized_services"]


def test_a_backfill_widens_the_projected_date_range(glue):
    catalog.ensure_tables(glue, DATABASE, catalog.ZONE_TABLES, LAKE, "2026-11-02")
    catalog.ensure_tables(glue, DATABASE, catalog.ZONE_TABLES, LAKE, "2026-10-15")
    table = glue.get_table(DatabaseName=DATABASE, Name="quarantine_usage")["Table"]
    assert table["Parameters"]["projection.ingest_date.range"] == "2026-10-15,NOW"


def test_staging_partitions_point_at_the_committed_run(glue):
    assert catalog.ensure_tables(glue, DATABASE, catalog.STAGING_TABLES, LAKE, "2026-11-02")
    catalog.register_batch(glue, DATABASE, LAKE, {"batch_date": "2026-11-02", "run_id": "jr_1"})
    catalog.register_batch(glue, DATABASE, LAKE, {"batch_date": "2026-11-03", "run_id": "jr_2"})
    # A re-run of 2026-11-02 commits run jr_3: the partition moves there.
    catalog.register_batch(glue, DATABASE, LAKE, {"batch_date": "2026-11-02", "run_id": "jr_3"})
    for table in catalog.STAGING_TABLES:
        partitions = glue.get_partitions(DatabaseName=DATABASE, TableName=table.name)
        located = sorted(
            (p["Values"][0], p["StorageDescriptor"]["Location"]) for p in partitions["Partitions"]
        )
        folder = f"{LAKE}/staging/{table.output}/batch_date="
        assert located == [
            ("2026-11-02", f"{folder}2026-11-02/run=jr_3/"),
            ("2026-11-03", f"{folder}2026-11-03/run=jr_2/"),
        ]


def test_the_partition_is_the_folder_job_b_lists_in_its_commit_marker(local_run):
    lake, _, manifest = local_run
    for table in catalog.STAGING_TABLES:
        folder = catalog.run_folder(str(lake), table.output, LOCAL_RUN_DATE, manifest["run_id"])
        for listed in manifest["files"][table.output]:
            assert str(lake / listed).startswith(folder), listed


# ---------------------------------------------------------------------------- the stack


def test_the_stack_has_the_database_and_an_encrypted_enforced_workgroup():
    """https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-athena-workgroup-encryptionconfiguration.html
    (SSE_KMS with the key's ARN); results under the lake bucket's athena-results/ prefix,
    which a lifecycle rule expires."""
    template = load_template()
    resources = template["Resources"]
    database = resources["LakeDatabase"]["Properties"]
    assert database["DatabaseInput"]["Name"] == {"Sub": "telco360_${EnvironmentName}"}
    config = resources["AthenaWorkGroup"]["Properties"]["WorkGroupConfiguration"]
    assert config["EnforceWorkGroupConfiguration"] is True
    results = config["ResultConfiguration"]
    assert results["OutputLocation"] == {"Sub": "s3://${LakeBucket}/athena-results/"}
    assert results["EncryptionConfiguration"] == {
        "EncryptionOption": "SSE_KMS",
        "KmsKey": {"GetAtt": "LakeKey.Arn"},
    }
    rules = resources["LakeBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    (expiry,) = [r for r in rules if r.get("Prefix") == "athena-results/"]
    assert expiry["ExpirationInDays"] == 30
    for job in ("CleanStandardizeJob", "BuildStagingJob"):
        args = resources[job]["Properties"]["DefaultArguments"]
        assert args["--catalog_database"] == {"Ref": "LakeDatabase"}
    outputs = template["Outputs"]
    assert outputs["GlueDatabaseName"]["Value"] == {"Ref": "LakeDatabase"}
    assert outputs["AthenaWorkGroupName"]["Value"] == {"Ref": "AthenaWorkGroup"}
