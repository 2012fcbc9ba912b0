"""Shared fixtures: one local Spark session for the whole test run, and the repo's paths."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def load_module(relative_path: str, name: str):
    """Import a script that is not on the package path (glue/*.py, functions/*/app.py)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / relative_path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def spark():
    from telco360.spark import local_session

    return local_session("telco360-tests")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
