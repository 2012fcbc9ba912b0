"""Where the project's non-package parts live (Glue scripts, Lambda handlers, ASL, SQL).

The local runtime executes the very files that ship to AWS, so it loads them by path from the
checkout this package is installed from (editable install: `make run` / `uv sync`).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
ASL_PATH = REPO_ROOT / "statemachines" / "pipeline.asl.json"


def load_script(relative_path: str, module_name: str) -> ModuleType:
    """Import a file that is not on the package path, once per process."""
    if module_name in sys.modules:
        return sys.modules[module_name]
    path = REPO_ROOT / relative_path
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module
