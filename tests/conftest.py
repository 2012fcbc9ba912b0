"""Shared fixtures (one local Spark session for the whole run, the repo's paths) and the
kinds of test. Every test is one of three, by marker (`make test` runs them all):
- unmarked: unit and contract tests that need no Spark (seconds): `pytest -m "not spark"`;
- `spark`: runs a job on local PySpark (it uses the `spark` fixture);
- `e2e` (and `spark`): the whole local pipeline, `telco360 run` from landing to the warehouse.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from telco360.ops.repo import REPO_ROOT

# Modules whose tests run the whole pipeline (`telco360 run` / LocalPipeline).
END_TO_END = {
    "test_end_to_end.py",
    "test_report.py",
    "test_real_export_variants.py",
    "test_reliability_faults.py",
}


# The slowest modules (seconds of a full run, 2026-12-01), slowest first. `make test` hands
# whole modules to its two workers in collection order (pytest-xdist's loadscope with
# --no-loadscope-reorder), so these start first and the quick ones fill in at the end. In
# xdist's default order (most tests first) a one-test module of 30-50 s came last, and one
# worker ran on alone for most of a minute.
SLOWEST_FIRST = (
    "tests/reliability/test_reliability_faults.py",  # 92 s
    "tests/test_real_export_variants.py",  # 91 s
    "tests/test_class_archive.py",  # 53 s
    "tests/test_build_staging.py",  # 43 s
    "tests/test_end_to_end.py",  # 37 s
    "tests/test_catalog.py",  # 31 s
    "tests/test_cli_elsewhere.py",  # 29 s
    "tests/test_statemachine.py",  # 24 s
    "tests/test_report.py",  # 24 s
    "tests/test_codegen_modes.py",  # 23 s
    "tests/test_clean_standardize.py",  # 20 s
    "tests/reliability/test_reliability_corpus.py",  # 17 s
    "tests/test_warehouse_follows_lake.py",  # 15 s
    "tests/test_clean_generated.py",  # 15 s
    "tests/test_glue_entry.py",  # 15 s
    "tests/test_schemachange_render.py",  # 12 s
)


def pytest_collection_modifyitems(items):
    rank = {module: i for i, module in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))  # stable
    for item in items:
        end_to_end = item.path.name in END_TO_END
        if end_to_end:
            item.add_marker(pytest.mark.e2e)
        if end_to_end or "spark" in item.fixturenames:
            item.add_marker(pytest.mark.spark)


@pytest.fixture(scope="session")
def spark():
    from telco360.local.spark import local_session

    # Every batch a test runs is small: the JVM tuned for small input (see local_session).
    return local_session("telco360-tests", input_bytes=0)


FAKE_AWS_REGION = "eu-west-1"


@pytest.fixture
def fake_aws_credentials(monkeypatch) -> str:
    """Credentials and a region for moto (moto answers every call; nothing leaves the
    machine), with any AWS profile of the developer's shell kept out. Returns the region."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": FAKE_AWS_REGION,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return FAKE_AWS_REGION


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


LOCAL_RUN_DATE = "2026-11-02"


@pytest.fixture(scope="session")
def local_run(spark, tmp_path_factory):
    """The lake after the local jobs A and B ran once on the hand-written dirty batch
    (tests/data/clean/dirty: every feed, every zone, quarantined rows; the quarantine gate
    off). Returns (lake, job A's metrics, job B's manifest). Read it, never write to it."""
    import shutil

    from telco360.shipped.jobs import build_staging, clean_standardize

    lake = tmp_path_factory.mktemp("local_run") / "lake"
    shutil.copytree(REPO_ROOT / "tests/data/clean/dirty", lake)
    metrics = clean_standardize.run(spark, str(lake), LOCAL_RUN_DATE, quarantine_threshold=1.0)
    manifest = build_staging.run(spark, str(lake), LOCAL_RUN_DATE, run_id="local-run")
    return lake, metrics, manifest
