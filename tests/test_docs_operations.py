"""The operations documented in README.md and docs/AWS.md work as written.

- An execution name is unique per state machine for 90 days
  (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html):
  a documented `start-execution` must not use a fixed `--name`.
- A `sam deploy` that changes parameters says which environment it is for: with samconfig's
  two environments, a bare `sam deploy` is dev; prod is `--config-env prod`.
"""

from __future__ import annotations

import re

import pytest
from conftest import REPO_ROOT

DOCS = ["README.md", "docs/AWS.md"]


def _commands(pattern: str) -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        text = re.sub(r"```.*?```", "", (REPO_ROOT / doc).read_text(), flags=re.DOTALL)
        for snippet in re.findall(r"`([^`]+)`", re.sub(r"\n\s+", " ", text)):
            if re.search(pattern, snippet):
                found.append((doc, snippet))
    return found


def test_documented_start_execution_commands_use_unique_names():
    commands = _commands(r"aws stepfunctions start-execution")
    assert commands
    for doc, command in commands:
        name = re.search(r"--name\s+(\"[^\"]+\"|\S+)", command)
        assert name is None or "$(" in name.group(1), (doc, command)


def test_documented_parameter_changes_name_the_environment():
    commands = _commands(r"sam deploy .*--parameter-overrides")
    assert commands
    for doc, command in commands:
        assert "--config-env" in command or "--stack-name" in command, (doc, command)


@pytest.mark.parametrize("doc", DOCS)
def test_cli_re_run_commands_name_the_stack(doc):
    commands = [c for d, c in _commands(r"telco360 (run|backfill) --aws") if d == doc]
    assert commands
    for command in commands:
        assert "--stack " in command, command


def test_follow_one_batch_names_the_files_in_order_and_each_exists():
    """README's reading order: the state machine, pre-flight, job A, job B, the warehouse."""
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("## Follow one batch through the code", 1)[1].split("\n## ", 1)[0]
    steps = re.findall(r"^\d+\. `([^`]+)`", section, flags=re.MULTILINE)
    assert steps == [
        "statemachines/pipeline.asl.json",
        "src/telco360/shipped/preflight.py",
        "src/telco360/shipped/jobs/clean_standardize.py",
        "src/telco360/shipped/jobs/build_staging.py",
        "snowflake/",
    ]
    for path in steps:
        assert (REPO_ROOT / path).exists(), path
