"""The java command PySpark starts, for tests that start a bare JVM."""

from __future__ import annotations

import os
import shutil


def java() -> str:
    """JAVA_HOME's java when set, else the first on PATH (PySpark's launcher does the same)."""
    home = os.environ.get("JAVA_HOME")
    return os.path.join(home, "bin", "java") if home else shutil.which("java") or "java"
