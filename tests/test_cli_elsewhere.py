"""`telco360 run` started the way README documents it, from a directory that is not the repo.

Seen (issue 17): from any other directory job B failed with PYTHON_VERSION_MISMATCH, because
the local Spark session let its Python workers run whatever `python3` came first on PATH
(`make run` hid it by exporting PYSPARK_PYTHON). The session now pins its workers to the
driver's own interpreter.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from telco360.ops.repo import REPO_ROOT

REAL_EXPORTS = Path(__file__).parent / "data" / "real_exports"


def _other_python() -> str:
    """A python3 of another minor version than the driver's (python3.11 on this machine)."""
    for candidate in ("/usr/bin/python3", "/usr/bin/python3.11", "/usr/bin/python3.12"):
        if not os.path.exists(candidate):
            continue
        version = subprocess.run(
            [candidate, "-c", "import sys; print(sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if version != str(sys.version_info[:2]):
            return candidate
    raise AssertionError("this test needs a python3 of another version than the driver's")


def test_run_from_another_directory_with_another_python3_first_on_path(tmp_path):
    shims = tmp_path / "shims"
    shims.mkdir()
    (shims / "python3").symlink_to(_other_python())
    (shims / "python").symlink_to(_other_python())
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(REAL_EXPORTS, elsewhere / "lake" / "raw", ignore=shutil.ignore_patterns("*.md"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYSPARK_")}
    env["PATH"] = f"{shims}{os.pathsep}{env['PATH']}"
    env["SPARK_LOCAL_IP"] = "127.0.0.1"
    telco360 = str(Path(sys.executable).parent / "telco360")
    done = subprocess.run(
        [telco360, "run", "--lake", "lake", "--warehouse", "w.duckdb"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "2 batch(es) pending: 2026-11-01, 2026-11-02" in done.stdout
    assert "analytics.customer_360: 10 customers, 6 churned (60.0%)" in done.stdout
    assert "PYTHON_VERSION_MISMATCH" not in done.stderr
    assert (elsewhere / "w.duckdb").exists()
    assert not (REPO_ROOT / "lake").exists()  # nothing was written relative to the repo
    # The summary's "Query it" line works as printed, from where the run was started: it names
    # this installation's telco360 and this run's warehouse (it used to print a path relative
    # to the repository, and no warehouse, so it queried the default one).
    hint = done.stdout.split("Query it:")[1].strip().splitlines()[0]
    assert hint.startswith(f"{telco360} query --warehouse {elsewhere / 'w.duckdb'} ")
    queried = subprocess.run(
        shlex.split(hint), cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120
    )
    assert queried.returncode == 0, queried.stderr[-2000:]
    assert re.search(r"Churned\s*│\s*6\s*│", queried.stdout), queried.stdout  # 6 of 10, as above
