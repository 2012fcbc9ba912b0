"""Shared fixtures (one local Spark session for the whole run, the repo's paths) and the
kinds of test. Every test is one of three, by marker (`make test` runs them all):
- unmarked: unit and contract tests that need no Spark (seconds): `pytest -m "not spark"`;
- `spark`: runs a job on local PySpark (it uses the `spark` fixture);
- `e2e` (and `spark`): the whole local pipeline, `telco360 run` from landing to the warehouse.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from telco360.repo import REPO_ROOT
from telco360.repo import load_script as load_module  # functions/*/app.py, bench/*.py

__all__ = ["load_module"]


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
    from telco360.spark import local_session

    return local_session("telco360-tests")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
