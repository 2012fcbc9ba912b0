"""The contract layer's SAM build: the shared code, shipped with bytecode Lambda can use.

The functions' build (functions/lambda_function.mk) compiles with the same flags but needs PyPI
for their requirements, so it is checked by `make build` in CI, not here (no test reaches the
network)."""

import ast
import importlib.util
import marshal
import subprocess
import sys
from pathlib import Path

from telco360.ops.repo import REPO_ROOT

# The package's Lambda code, as the layer ships it (relative to its python/ folder).
LAYER_MODULES = [
    "telco360/__init__.py",
    "telco360/shipped/__init__.py",
    "telco360/shipped/batch_lock.py",
    "telco360/shipped/contract.py",
    "telco360/shipped/lake_io.py",
    "telco360/shipped/lake_layout.py",
    "telco360/shipped/lambda_tracing.py",
    "telco360/shipped/notify_failure.py",
    "telco360/shipped/preflight.py",
]
CHECKED_HASH = 0b11  # PEP 552 flags: hash-based, check the source


def build_layer(artifacts):
    subprocess.run(
        ["make", "--silent", "-f", str(REPO_ROOT / "layers/contract/Makefile"),
         "build-ContractLayer", f"ARTIFACTS_DIR={artifacts}", f"PYTHON={sys.executable}"],
        check=True, cwd=artifacts,
    )  # fmt: skip


def layer_sources(artifacts) -> list[str]:
    python = artifacts / "python"
    return sorted(str(p.relative_to(python)) for p in python.rglob("*.py"))


def test_layer_holds_the_shared_modules_from_src(tmp_path):
    build_layer(tmp_path)
    assert layer_sources(tmp_path) == LAYER_MODULES
    for name in LAYER_MODULES:
        shipped = (tmp_path / "python" / name).read_bytes()
        assert shipped == (REPO_ROOT / "src" / name).read_bytes(), name


def test_layer_carries_every_package_module_the_handlers_import(tmp_path):
    """Each function's entry (functions/*/app.py) imports its handler from the layer, and the
    handler imports only layer modules (or, lazily, the runtime's boto3 and Powertools)."""
    build_layer(tmp_path)
    shipped = set(LAYER_MODULES)
    for entry in sorted((REPO_ROOT / "functions").glob("*/app.py")):
        todo = [entry]
        while todo:
            tree = ast.parse(todo.pop().read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("telco360"):
                    names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                    found = [
                        f"{n.replace('.', '/')}{suffix}"
                        for n in names
                        for suffix in (".py", "/__init__.py")
                        if (REPO_ROOT / "src" / f"{n.replace('.', '/')}{suffix}").exists()
                    ]
                    assert found, (entry, node.module)
                    for name in found:
                        assert name in shipped, f"{entry} needs {name}, not in the layer"
                        if name.endswith(".py") and not name.endswith("__init__.py"):
                            todo.append(REPO_ROOT / "src" / name)


def test_every_layer_module_has_hash_checked_bytecode_for_opt_python(tmp_path):
    # SAM zips files with a 1980 timestamp: only hash-based .pyc stay valid once unzipped.
    build_layer(tmp_path)
    for source in sorted((tmp_path / "python").rglob("*.py")):
        pyc = importlib.util.cache_from_source(str(source))
        data = Path(pyc).read_bytes()
        assert data[:4] == importlib.util.MAGIC_NUMBER, source.name
        assert int.from_bytes(data[4:8], "little") == CHECKED_HASH, source.name
        assert data[8:16] == importlib.util.source_hash(source.read_bytes()), source.name
        code = marshal.loads(data[16:])
        relative = source.relative_to(tmp_path / "python")
        assert code.co_filename == f"/opt/python/{relative}"


def test_building_twice_gives_the_same_layer(tmp_path):
    # Re-running `sam build` is safe: same files, same bytes.
    first, second = tmp_path / "first", tmp_path / "second"
    for artifacts in (first, second):
        artifacts.mkdir()
        build_layer(artifacts)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    assert len(files) == 2 * len(LAYER_MODULES)  # each module and its bytecode
    for rel in files:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel
