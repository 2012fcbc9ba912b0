"""The contract layer's SAM build: the shared code, shipped with bytecode Lambda can use.

The functions' build (functions/lambda_function.mk) compiles with the same flags but needs PyPI
for their requirements, so it is checked by `make build` in CI, not here (no test reaches the
network)."""

import importlib.util
import marshal
import subprocess
import sys
from pathlib import Path

from telco360.repo import REPO_ROOT

LAYER_MODULES = [
    "__init__.py",
    "batch_lock.py",
    "contract.py",
    "lake_io.py",
    "lake_layout.py",
    "lambda_tracing.py",
]
CHECKED_HASH = 0b11  # PEP 552 flags: hash-based, check the source


def build_layer(artifacts):
    subprocess.run(
        ["make", "--silent", "-f", str(REPO_ROOT / "layers/contract/Makefile"),
         "build-ContractLayer", f"ARTIFACTS_DIR={artifacts}", f"PYTHON={sys.executable}"],
        check=True, cwd=artifacts,
    )  # fmt: skip


def test_layer_holds_the_shared_modules_from_src(tmp_path):
    build_layer(tmp_path)
    package = tmp_path / "python" / "telco360"
    assert sorted(p.name for p in package.glob("*.py")) == LAYER_MODULES
    for name in LAYER_MODULES[1:]:
        assert (package / name).read_bytes() == (REPO_ROOT / "src/telco360" / name).read_bytes()


def test_every_layer_module_has_hash_checked_bytecode_for_opt_python(tmp_path):
    # SAM zips files with a 1980 timestamp: only hash-based .pyc stay valid once unzipped.
    build_layer(tmp_path)
    for source in sorted((tmp_path / "python" / "telco360").glob("*.py")):
        pyc = importlib.util.cache_from_source(str(source))
        data = Path(pyc).read_bytes()
        assert data[:4] == importlib.util.MAGIC_NUMBER, source.name
        assert int.from_bytes(data[4:8], "little") == CHECKED_HASH, source.name
        assert data[8:16] == importlib.util.source_hash(source.read_bytes()), source.name
        code = marshal.loads(data[16:])
        assert code.co_filename == f"/opt/python/telco360/{source.name}"


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
