"""The file per job that Glue uploads (glue/<job>.py) is generated from the package.

It must equal, byte for byte, what `make glue` writes now (else the deployed job would run
stale code), say in its first line that it is generated, and carry every package module the
job imports: run as Glue runs it, it takes none of them from the checkout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from telco360.ops import glue_bundle
from telco360.ops.repo import REPO_ROOT


@pytest.mark.parametrize("job", glue_bundle.JOBS)
def test_glue_file_is_what_the_generator_writes(job):
    on_disk = glue_bundle.script_path(job).read_bytes()
    assert on_disk == glue_bundle.bundle_text(job).encode("utf-8"), (
        f"glue/{job}.py: run `make glue`"
    )
    assert on_disk.startswith(b"# GENERATED from src/telco360 by `make glue`")


def test_the_template_deploys_the_generated_files():
    template = (REPO_ROOT / "template.yaml").read_text(encoding="utf-8")
    for job in glue_bundle.JOBS:
        assert f"ScriptLocation: glue/{job}.py" in template


def test_each_file_bundles_its_job_and_not_the_other():
    a, b = glue_bundle.modules_for("clean_standardize"), glue_bundle.modules_for("build_staging")
    assert (
        "telco360.shipped.jobs.clean_standardize" in a
        and "telco360.shipped.jobs.build_staging" not in a
    )
    assert (
        "telco360.shipped.jobs.build_staging" in b
        and "telco360.shipped.jobs.clean_standardize" not in b
    )
    for modules in (a, b):
        assert {
            "telco360.shipped.contract",
            "telco360.shipped.lake_io",
            "telco360.shipped.jobs.glue_entry",
        } <= set(modules)


# What each job's Glue entry asks getResolvedOptions for (template.yaml's DefaultArguments).
GLUE_ARGUMENTS = {
    "clean_standardize": [
        "lake_root",
        "batch_date",
        "quarantine_threshold",
        "catalog_database",
        "metrics_namespace",
    ],
    "build_staging": ["lake_root", "batch_date", "catalog_database"],
}
STUB_UTILS = """
import json, sys
def getResolvedOptions(argv, names):
    origins = {n: m.__spec__.origin for n, m in sys.modules.items() if n.startswith("telco360")}
    print(json.dumps({"argv": argv[1:], "names": names, "origins": origins}))
    raise SystemExit(0)
"""


@pytest.mark.parametrize("job", glue_bundle.JOBS)
def test_run_as_glue_runs_it_every_package_module_comes_from_the_file(job, tmp_path):
    """A stub `awsglue` stands in for Glue's own; it reports what was imported, then stops."""
    stub = tmp_path / "awsglue"
    stub.mkdir()
    (stub / "__init__.py").write_text("")
    (stub / "context.py").write_text("class GlueContext: pass\n")
    (stub / "job.py").write_text("class Job: pass\n")
    (stub / "utils.py").write_text(STUB_UTILS)
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    args = ["--JOB_NAME", "j", "--lake_root", "s3://b/l", "--batch_date", "2026-11-01"]
    done = subprocess.run(
        [sys.executable, str(glue_bundle.script_path(job)), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    report = json.loads(done.stdout)
    assert report["argv"] == args
    assert report["names"] == ["JOB_NAME", *GLUE_ARGUMENTS[job]]
    assert f"telco360.shipped.jobs.{job}" in report["origins"]
    assert all(o.startswith("telco360-bundle/") for o in report["origins"].values())


def test_the_template_gives_every_argument_the_entry_asks_for():
    """getResolvedOptions fails on an argument never given: the state machine passes
    `--batch_date`, each job's DefaultArguments the others (a manual run gets them too)."""
    from test_statemachine import load_template

    definition = (REPO_ROOT / "statemachines/pipeline.asl.json").read_text(encoding="utf-8")
    assert '"--batch_date.$"' in definition
    for resource in load_template()["Resources"].values():
        if resource["Type"] != "AWS::Glue::Job":
            continue
        script = resource["Properties"]["Command"]["ScriptLocation"]
        job = script.removeprefix("glue/").removesuffix(".py")
        given = set(resource["Properties"]["DefaultArguments"]) | {"--batch_date"}
        assert {f"--{name}" for name in GLUE_ARGUMENTS[job]} <= given, job
