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


# Modules that read one session-scoped run (below): pytest-xdist gives each group to one
# worker, which then makes the run once (a module is its own group otherwise).
SHARED_RUNS = {
    "tests/test_build_staging.py": "local_run",
    "tests/test_catalog.py": "local_run",
    "tests/test_codegen_modes.py": "local_run",
    "tests/test_clean_standardize.py": "local_run",
    "tests/test_quality_metrics.py": "local_run",
    "tests/test_end_to_end.py": "real_exports_run",
    "tests/test_report.py": "real_exports_run",
}
# The slowest groups first (seconds of a full run, 2026-12-01). `make test` hands whole groups
# to its two workers in collection order (--no-loadscope-reorder), so these start first and
# the quick ones fill in at the end. In xdist's default order (most tests first) a one-test
# module of 30-50 s came last, and one worker ran on alone for most of a minute.
SLOWEST_FIRST = (
    "tests/test_build_staging.py",  # local_run: about 100 s together
    "tests/test_catalog.py",
    "tests/test_codegen_modes.py",
    "tests/test_clean_standardize.py",
    "tests/test_quality_metrics.py",
    "tests/test_real_export_variants.py",  # 91 s
    "tests/reliability/test_reliability_faults.py",  # 75 s
    "tests/test_class_archive.py",  # 53 s
    "tests/test_end_to_end.py",  # real_exports_run: about 45 s together
    "tests/test_report.py",
    "tests/test_cli_elsewhere.py",  # 29 s
    "tests/test_statemachine.py",  # 24 s
    "tests/reliability/test_reliability_corpus.py",  # 17 s
    "tests/test_warehouse_follows_lake.py",  # 15 s
    "tests/test_clean_generated.py",  # 15 s
    "tests/test_glue_entry.py",  # 15 s
    "tests/test_schemachange_render.py",  # 12 s
)


def _module(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: unknown when it is not loaded
def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's loadscope (a module's tests on one worker, so that they share its
    fixtures), with each SHARED_RUNS group as one unit."""
    if config.getoption("dist") != "loadscope":
        return None  # xdist's own scheduler
    from xdist.scheduler import LoadScopeScheduling

    class SharedRunScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = _module(nodeid)
            return SHARED_RUNS.get(module, module)

    return SharedRunScheduling(config, log)


def pytest_collection_modifyitems(items):
    rank = {module: i for i, module in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(_module(item.nodeid), len(rank)))  # stable
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


REAL_EXPORTS = REPO_ROOT / "tests/data/real_exports"


@pytest.fixture(scope="session")
def real_exports_run(spark, tmp_path_factory):
    """The real exports (tests/data/real_exports, two days) after one `telco360 run`:
    (lake, warehouse, what the run printed). Copy it (copy_run) before running anything on it."""
    import contextlib
    import io
    import shutil

    from telco360.ops import cli

    root = tmp_path_factory.mktemp("real_exports_run")
    lake, warehouse = root / "lake", root / "warehouse.duckdb"
    shutil.copytree(REAL_EXPORTS, lake / "raw", ignore=shutil.ignore_patterns("*.md"))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert cli.main(["run", "--lake", str(lake), "--warehouse", str(warehouse)]) == 0
    return str(lake), str(warehouse), printed.getvalue()


def copy_run(lake: str, warehouse: str, where: Path) -> tuple[str, str]:
    """A copy of a run's lake and warehouse under `where`: (lake, warehouse)."""
    import shutil

    shutil.copytree(lake, where / "lake")
    shutil.copy(warehouse, where / "warehouse.duckdb")
    return str(where / "lake"), str(where / "warehouse.duckdb")
