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


def pytest_collection_modifyitems(items):
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
