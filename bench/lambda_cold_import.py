"""Cold import of each Lambda handler as it ships: the `sam build` artifact in .aws-sam/build.

What Lambda runs is that artifact (function folder in /var/task, contract layer in
/opt/python), not the project's virtualenv, so that is what is timed: a fresh interpreter
importing `app` with the same two folders on its path, minus a bare interpreter (`app` is the
function's entry; the handler it imports, telco360.shipped.*, comes from the layer). Each is also
timed from a copy with no bytecode, which is what a package without .pyc costs on Lambda
(/var/task is read-only, so nothing compiled at a cold start is ever kept).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / ".aws-sam" / "build"
LAYER = "ContractLayer"

# Counts the modules Python compiles from source during `import app`: with valid bytecode
# shipped, the loader never calls source_to_code.
_CHECK = """
import json, sys, _frozen_importlib_external as loader
compiled, original = [], loader.SourceLoader.source_to_code
def spy(self, data, path, **kw):
    compiled.append(path)
    return original(self, data, path, **kw)
loader.SourceLoader.source_to_code = spy
import app, aws_lambda_powertools
handler = sys.modules[app.lambda_handler.__module__]
print(json.dumps({"compiled": compiled, "app": app.__file__, "handler": handler.__file__,
                  "powertools": aws_lambda_powertools.__file__}))
"""


def _env(function_dir: Path, layer_dir: Path, logical_id: str) -> dict:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=f"{function_dir}:{layer_dir}",
        AWS_LAMBDA_FUNCTION_NAME=f"bench-{logical_id}",
        LAMBDA_TASK_ROOT=str(function_dir),
        POWERTOOLS_SERVICE_NAME="bench",
        POWERTOOLS_METRICS_NAMESPACE="Telco360",
        AWS_DEFAULT_REGION="eu-west-1",
        PYTHONDONTWRITEBYTECODE="1",  # as on Lambda: nothing compiled is kept
    )
    env.pop("POWERTOOLS_TRACE_DISABLED", None)
    return env


def _median_ms(code: str, env: dict, runs: int) -> float:
    def once() -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd="/")
        return time.perf_counter() - started

    once()  # warm the OS file cache
    return statistics.median(once() for _ in range(runs)) * 1000


def _import_ms(function_dir: Path, layer_dir: Path, logical_id: str, runs: int) -> tuple:
    env = _env(function_dir, layer_dir, logical_id)
    bare = _median_ms("pass", env, runs)
    return _median_ms("import app", env, runs) - bare, bare


def measure(logical_id: str, runs: int = 7) -> dict:
    function_dir, layer_dir = BUILD / logical_id, BUILD / LAYER / "python"
    if not (function_dir / "app.py").exists() or not layer_dir.exists():
        raise SystemExit(f"{function_dir} not built: run `make build` first (make bench does)")
    env = _env(function_dir, layer_dir, logical_id)
    check = json.loads(
        subprocess.run(
            [sys.executable, "-c", _CHECK], env=env, check=True, cwd="/", capture_output=True
        ).stdout
    )
    for module in ("app", "handler", "powertools"):
        if not check[module].startswith(str(BUILD)):
            raise SystemExit(f"{module} imported from {check[module]}, not from {BUILD}")
    shipped_ms, bare_ms = _import_ms(function_dir, layer_dir, logical_id, runs)
    with tempfile.TemporaryDirectory(prefix="telco360-nopyc-") as tmp:
        no_pyc = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(function_dir, Path(tmp) / "function", ignore=no_pyc)
        shutil.copytree(layer_dir, Path(tmp) / "layer", ignore=no_pyc)
        source_ms, _ = _import_ms(Path(tmp) / "function", Path(tmp) / "layer", logical_id, runs)
    return {
        "ms": round(shipped_ms),
        "without_bytecode_ms": round(source_ms),
        "bare_interpreter_ms": round(bare_ms),
        "modules_compiled_at_import": len(check["compiled"]),
        "artifact": str(function_dir.relative_to(REPO)),
        "runs": runs,
    }


if __name__ == "__main__":
    for name in sys.argv[1:] or ["PreflightFunction", "NotifyFailureFunction"]:
        print(name, measure(name))
