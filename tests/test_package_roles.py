"""The package's three roles (src/telco360/__init__.py): what ships to AWS stands alone.

The Lambda layer and the Glue bundle carry only telco360.shipped, so a shipped module that
imported telco360.local or telco360.ops would fail on AWS and nowhere else."""

import ast

import pytest

from telco360.ops.repo import REPO_ROOT

PACKAGE = REPO_ROOT / "src" / "telco360"
SHIPPED = sorted((PACKAGE / "shipped").rglob("*.py"))


def telco360_imports(path) -> set[str]:
    """Every telco360 module a file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("telco360"):
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("telco360"))
    return found


def test_every_module_sits_in_one_role():
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py")
    assert loose == []
    roles = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__")
    assert roles == ["local", "ops", "shipped"]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_shipped_code_imports_only_shipped_code(path):
    outside = sorted(
        m
        for m in telco360_imports(path)
        if not m.startswith("telco360.shipped.") and m != "telco360"
    )
    assert outside == [], f"{path.name} imports {outside}: the layer and Glue bundle lack them"
