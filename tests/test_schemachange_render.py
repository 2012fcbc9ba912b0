"""snowflake/ as schemachange itself renders and deploys it, offline.

schemachange is a deploy tool, not an app dependency: the Makefile installs the pinned
schemachange (tools/schemachange-requirements.txt) into its own venv, .tools/schemachange,
before `make test`; nothing here reaches the network or Snowflake.

Semantics relied on (schemachange 4.4.0, https://github.com/Snowflake-Labs/schemachange,
README "Versioned Script Naming" / "Repeatable Script Naming" / "Change History Table", and
schemachange/deploy.py): a versioned script is applied once per change history table and
then skipped for good (a changed checksum is only logged: "Script checksum has drifted since
application"); a repeatable script is applied whenever the sha224 checksum of its RENDERED
text differs from the last applied one; the config file is rendered with Jinja's env_var only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess

import pytest
from test_snowflake_sql import VARS, load_config

from telco360.local.sql_statements import MIGRATIONS_DIR, SNOWFLAKE_DIR, migration_files, render

REPO = SNOWFLAKE_DIR.parent
TOOL = REPO / ".tools" / "schemachange" / "bin"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Run offline and without any Snowflake connection setting of the developer's shell.
ENV = {k: v for k, v in os.environ.items() if not k.startswith(("SNOWFLAKE_", "TELCO360_"))}


@pytest.fixture(scope="module", autouse=True)
def _tool():
    assert (TOOL / "schemachange").exists(), "run `make test` (it installs .tools/schemachange)"


def _schemachange_render(script, variables: dict | None = None) -> str:
    """The checksum `schemachange render` prints for a script (sha224 of the rendered text)."""
    args = [str(TOOL / "schemachange"), "render", "--config-folder", "snowflake"]
    if variables:
        args += ["--vars", json.dumps(variables)]
    done = subprocess.run(
        [*args, str(script.relative_to(REPO))],
        cwd=REPO,
        env=ENV,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    (checksum,) = re.findall(r"checksum=(\w{56})", ANSI.sub("", done.stdout + done.stderr))
    return checksum


def _local_checksum(script, variables: dict) -> str:
    """What schemachange checksums: the rendered text, stripped, without a final `;`."""
    text = render(script.read_text(encoding="utf-8"), variables, script.name).strip()
    return hashlib.sha224(text.removesuffix(";").encode("utf-8")).hexdigest()


@pytest.mark.parametrize("script", migration_files(), ids=lambda p: p.name)
def test_schemachange_renders_every_script_offline_as_the_local_reader_does(script):
    assert _schemachange_render(script) == _local_checksum(script, VARS)


def test_the_optional_error_integration_renders_identically_when_off():
    off = {"error_integration": ""}
    for name in ("R__01_account_objects.sql", "R__20_task.sql"):
        script = MIGRATIONS_DIR / name
        assert _schemachange_render(script, off) == _local_checksum(script, VARS | off)
    task = render((MIGRATIONS_DIR / "R__20_task.sql").read_text(), VARS | off)
    account = render((MIGRATIONS_DIR / "R__01_account_objects.sql").read_text(), VARS | off)
    assert "ERROR_INTEGRATION" not in task
    assert "NOTIFICATION INTEGRATION" not in account
    assert "    SCHEDULE = 'USING CRON 30 7 * * * UTC'\n    SUSPEND_TASK_AFTER_NUM_FAILURES" in task


def _deploys(runs: list[dict]) -> list[dict]:
    done = subprocess.run(
        [str(TOOL / "python"), "tests/schemachange_deploy_plan.py"],
        cwd=REPO,
        env=ENV,
        input=json.dumps(runs),
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return json.loads(done.stdout)


# A second value for every deploy variable but `database` (which names the change history).
CHANGED = {
    "deploy_role": "TELCO360_DEPLOY",
    "admin_role": "SECURITYADMIN",
    "warehouse": "TELCO360_WH_2",
    "warehouse_size": "SMALL",
    "auto_suspend_seconds": 120,
    "pipeline_role": "TELCO360_PIPELINE_2",
    "reader_role": "TELCO360_READER_2",
    "lake_bucket": "telco360-lake-prod-123456789012",
    "storage_integration": "TELCO360_STAGING_S3_2",
    "storage_aws_role_arn": "arn:aws:iam::123456789012:role/telco360-prod-snowflake",
    "error_integration": "",
    "sns_topic_arn": "arn:aws:sns:eu-west-1:123456789012:telco360-prod-alerts",
    "sns_role_arn": "arn:aws:iam::123456789012:role/telco360-prod-snowflake-alerts",
    "load_cron": "0 8 * * *",
    "load_time_zone": "Europe/Paris",
    "suspend_task_after_num_failures": 5,
    "task_timeout_ms": 7200000,
    "task_state": "RESUME",
}


def test_a_second_deploy_applies_every_variable_change():
    """Deploy once, then redeploy with one variable changed at a time: schemachange's own
    deploy() re-applies a script that carries the new value, every time; a redeploy with
    nothing changed applies nothing. With the variable-dependent ALTER ... SET statements in
    versioned scripts (the old layout), a change of e.g. warehouse_size applied nothing."""
    assert set(CHANGED) == set(VARS) - {"database"}
    runs = [{"vars": {}}, {"vars": {}}] + [{"vars": {name: v}} for name, v in CHANGED.items()]
    # each redeploy starts from the first deploy's history plus the previous redeploys'; revert
    # each change right after it so every change is measured against the defaults
    plan = [runs[0], runs[1]]
    for run in runs[2:]:
        plan += [run, {"vars": {}}]
    results = _deploys(plan)
    first, unchanged = results[0], results[1]
    assert first["applied"] == [p.name for p in migration_files()]
    assert unchanged["applied"] == []
    applied = {name: results[2 + 2 * i]["applied"] for i, name in enumerate(CHANGED)}
    for name, scripts in applied.items():
        assert scripts, f"a change of {name} would never reach Snowflake"
        assert all(s.startswith("R__") for s in scripts), (name, scripts)
        value = str(CHANGED[name])
        if value:  # the new value is in what is re-applied
            rendered = "".join(
                render((MIGRATIONS_DIR / s).read_text(), VARS | {name: CHANGED[name]})
                for s in scripts
            )
            assert value in rendered, name
    assert applied["warehouse_size"] == ["R__01_account_objects.sql"]
    assert applied["lake_bucket"] == ["R__01_account_objects.sql", "R__02_stage_grants.sql"]
    assert applied["load_cron"] == ["R__20_task.sql"]
    assert applied["task_state"] == ["R__20_task.sql"]
    assert applied["error_integration"] == ["R__01_account_objects.sql", "R__20_task.sql"]


def test_the_change_history_follows_the_database():
    """Two environments in one account (two databases) keep two change histories: the
    database comes from TELCO360_DATABASE, which names both the `database` variable and the
    change history table (schemachange renders its config file with Jinja env_var)."""
    results = _deploys([{"vars": {}}, {"env": {"TELCO360_DATABASE": "TELCO360_PROD"}}])
    assert [r["change_history_table"] for r in results] == [
        "TELCO360.SCHEMACHANGE.CHANGE_HISTORY",
        "TELCO360_PROD.SCHEMACHANGE.CHANGE_HISTORY",
    ]
    assert [r["vars"]["database"] for r in results] == ["TELCO360", "TELCO360_PROD"]
    assert results[1]["applied"] == [p.name for p in migration_files()]  # a fresh environment
    assert load_config({"TELCO360_DATABASE": "TELCO360_PROD"})["vars"]["database"] == (
        "TELCO360_PROD"
    )


def test_versioned_scripts_depend_on_no_variable_but_the_database():
    """What a versioned script reads is applied once per database, for good: only create-once
    objects there, and no deploy variable but `database` (which names the change history)."""
    for script in migration_files():
        used = set(re.findall(r"\{\{\s*(\w+)\s*\}\}|\{%-?\s*if\s+(\w+)", script.read_text()))
        names = {a or b for a, b in used}
        if script.name.startswith("V"):
            assert names <= {"database"}, (script.name, names)
            assert "ALTER " not in re.sub(r"--[^\n]*", "", script.read_text()), script.name
