"""The order of the pipeline's steps, read from the state machine definition itself.

`statemachines/pipeline.asl.json` is the one definition of the order: the local runner walks it
and maps each Task to its local counterpart, so the two can never drift apart.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from telco360.ops.repo import ASL_PATH

# Which ASL substitution names which local step.
LOCAL_STEP_FOR_SUBSTITUTION = {
    "PreflightFunctionArn": "preflight",
    "CleanStandardizeJobName": "clean_standardize",
    "BuildStagingJobName": "build_staging",
}
NOTIFIER_SUBSTITUTION = "NotifyFailureFunctionArn"
# The AWS-side batch-date lock (DynamoDB tasks); locally the lake lock (run_lock) does its job.
LOCK_SUBSTITUTION = "BatchLockTableName"


def _substitution(state: dict) -> str | None:
    params = state.get("Parameters", {})
    target = params.get("FunctionName") or params.get("JobName") or params.get("TableName") or ""
    found = re.fullmatch(r"\$\{(\w+)\}", str(target))
    return found.group(1) if found else None


def task_sequence(asl_path: Path = ASL_PATH) -> list[tuple[str, str]]:
    """(state name, local step) for every Task on the success path, in execution order.

    Follows Next / Default / Choices (never Catch), so the failure branch is not part of it.
    """
    definition = json.loads(asl_path.read_text(encoding="utf-8"))
    states = definition["States"]
    order: list[tuple[str, str]] = []
    seen: set[str] = set()
    pending = [definition["StartAt"]]
    while pending:
        name = pending.pop(0)
        if name in seen:
            continue
        seen.add(name)
        state = states[name]
        if state["Type"] == "Task":
            substitution = _substitution(state)
            if substitution in (NOTIFIER_SUBSTITUTION, LOCK_SUBSTITUTION):
                continue
            if substitution not in LOCAL_STEP_FOR_SUBSTITUTION:
                raise ValueError(f"ASL task {name!r} has no local counterpart ({substitution})")
            order.append((name, LOCAL_STEP_FOR_SUBSTITUTION[substitution]))
        following = [state.get("Next"), state.get("Default")]
        following += [choice.get("Next") for choice in state.get("Choices", [])]
        pending.extend(n for n in following if n)
    return order


def failure_state_name(asl_path: Path = ASL_PATH) -> str:
    """The name of the state that alerts on failure (the target of every Catch)."""
    definition = json.loads(asl_path.read_text(encoding="utf-8"))
    for name, state in definition["States"].items():
        if state["Type"] == "Task" and _substitution(state) == NOTIFIER_SUBSTITUTION:
            return name
    raise ValueError("the state machine has no failure-alert task")
