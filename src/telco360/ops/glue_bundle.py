"""Generate the one file per job that AWS Glue uploads (`glue/<job>.py`) from this package.

Glue runs a single script file (`ScriptLocation`, uploaded by `sam deploy`). The job logic
lives in importable modules (`telco360.shipped.jobs.*`); the generated file carries, as text,
the sources of exactly the package modules the job imports, serves them to Python's import
system (a meta path finder), and calls the job's entry in `telco360.shipped.jobs.glue_entry`.
Nothing in it is hand-written: `make glue` (`telco360 glue`) rewrites it and
`tests/test_glue_bundle.py` fails when it differs from what this module produces.
"""

from __future__ import annotations

import ast
from pathlib import Path

from telco360.ops.repo import REPO_ROOT

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # src/telco360
GLUE_DIR = REPO_ROOT / "glue"
JOBS = ("clean_standardize", "build_staging")

HEADER = (
    "# GENERATED from src/telco360 by `make glue` (telco360.ops.glue_bundle). Never edit: change\n"
    "# the package and run `make glue`; a test fails when this file is stale.\n"
)

LOADER = '''

class _Bundle(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports the modules above from their text, ahead of anything on sys.path."""

    def find_spec(self, name, path=None, target=None):
        if name not in MODULES:
            return None
        origin = "telco360-bundle/" + name.replace(".", "/") + ".py"
        return importlib.util.spec_from_loader(
            name, self, origin=origin, is_package=name in PACKAGES
        )

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        code = compile(MODULES[module.__spec__.name], module.__spec__.origin, "exec")
        exec(code, module.__dict__)


sys.meta_path.insert(0, _Bundle())
'''


def _module_path(name: str) -> Path:
    relative = Path(*name.split(".")[1:])
    package = PACKAGE_DIR / relative / "__init__.py"
    return package if package.exists() else PACKAGE_DIR / relative.with_suffix(".py")


def _imports(name: str) -> set[str]:
    """The telco360 modules `name` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(_module_path(name).read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("telco360"):
            found.add(node.module)
            for alias in node.names:  # `from telco360.shipped.jobs import build_staging`
                if _module_path(f"{node.module}.{alias.name}").exists():
                    found.add(f"{node.module}.{alias.name}")
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("telco360"))
    return found


def modules_for(job: str) -> list[str]:
    """Every package module the job needs, with their parent packages, sorted. The entry
    module imports each job only inside that job's function: its imports are followed except
    the other jobs."""
    entry = "telco360.shipped.jobs.glue_entry"
    others = {f"telco360.shipped.jobs.{j}" for j in JOBS if j != job}
    wanted = {entry}
    todo = [f"telco360.shipped.jobs.{job}", *sorted(_imports(entry) - others)]
    while todo:
        name = todo.pop()
        if name in wanted:
            continue
        wanted.add(name)
        parts = name.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))
        todo.extend(_imports(name))
    return sorted(wanted)


def _literal(source: str) -> str:
    if "'''" not in source and not source.endswith("\\"):
        return "r'''" + source + "'''"
    return repr(source)


def bundle_text(job: str) -> str:
    """The text of `glue/<job>.py`."""
    names = modules_for(job)
    packages = [n for n in names if _module_path(n).name == "__init__.py"]
    parts = [
        HEADER,
        f'"""AWS Glue entry of job `{job}`: `telco360.shipped.jobs.glue_entry.{job}()` with\n'
        'the package modules it imports bundled below (sources in src/telco360)."""\n\n',
        "import importlib.abc\nimport importlib.util\nimport sys\n\n",
        f"PACKAGES = {tuple(packages)!r}\n",
        "MODULES = {\n",
    ]
    for name in names:
        source = _module_path(name).read_text(encoding="utf-8")
        parts.append(f"    {name!r}: {_literal(source)},\n")
    parts.append("}\n")
    parts.append(LOADER)
    parts.append(
        f'\nif __name__ == "__main__":\n'
        f"    from telco360.shipped.jobs import glue_entry\n\n"
        f"    sys.exit(glue_entry.{job}())\n"
    )
    return "".join(parts)


def script_path(job: str) -> Path:
    return GLUE_DIR / f"{job}.py"


def write_all() -> list[Path]:
    """Rewrite every job's Glue file; returns the ones that changed."""
    changed = []
    for job in JOBS:
        path, text = script_path(job), bundle_text(job)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed
