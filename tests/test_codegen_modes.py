"""Spark evaluates the jobs' expressions in one of two ways: as generated Java code (Spark's
default, what Glue and large local runs use) or interpreted, expression by expression (what the
local session uses for small input: compiling the code of job A's wide checks costs more than
a small batch's rows, see telco360.local.spark.INTERPRETED_MAX_BYTES).

Spark documents the two as the same semantics: its own expression tests run every expression
both ways (`spark.sql.codegen.factoryMode`, CODEGEN_ONLY / NO_CODEGEN, in
sql/catalyst/.../expressions/ExpressionEvalHelper.scala). This test holds our jobs to it: the
hand-written dirty batch (every quarantine reason, quoted and multi-line records, duplicates)
run both ways must give the same metrics and the same rows in every output.
"""

from __future__ import annotations

import shutil

import duckdb
from compare_outputs import datasets, digest
from conftest import LOCAL_RUN_DATE

from telco360.local.spark import FACTORY_MODE, INTERPRETED
from telco360.ops.repo import REPO_ROOT
from telco360.shipped.jobs import build_staging, clean_standardize


def test_generated_and_interpreted_code_write_the_same_outputs(spark, local_run, tmp_path):
    interpreted_lake, interpreted_metrics, _manifest = local_run
    assert spark.conf.get(FACTORY_MODE) == INTERPRETED  # the tests' session: small input
    lake = tmp_path / "lake"
    shutil.copytree(REPO_ROOT / "tests/data/clean/dirty", lake)
    spark.conf.set(FACTORY_MODE, "FALLBACK")  # Spark's default: generated code
    try:
        metrics = clean_standardize.run(spark, str(lake), LOCAL_RUN_DATE, quarantine_threshold=1.0)
        build_staging.run(spark, str(lake), LOCAL_RUN_DATE, run_id="generated")
    finally:
        spark.conf.set(FACTORY_MODE, INTERPRETED)

    assert metrics == interpreted_metrics
    con = duckdb.connect()
    generated, interpreted = datasets(str(lake)), datasets(str(interpreted_lake))
    assert generated.keys() == interpreted.keys()
    digests = {name: digest(con, files) for name, files in generated.items()}
    assert digests == {name: digest(con, files) for name, files in interpreted.items()}
    # Not vacuous: the outputs compared hold rows, quarantined ones included.
    assert digests["quarantine/demographics"][0] > 0
    assert digests["standardized/services"][0] > 0
    assert digests["staging/customers/state"][0] > 0
