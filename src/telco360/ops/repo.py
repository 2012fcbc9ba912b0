"""Where the project's non-package parts live (Glue scripts, ASL, SQL, events), found from the
checkout this package is installed from (editable install: `make run` / `uv sync`)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
ASL_PATH = REPO_ROOT / "statemachines" / "pipeline.asl.json"
