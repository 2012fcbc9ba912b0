"""Shared fixtures: one local Spark session for the whole test run, and the repo's paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from telco360.repo import REPO_ROOT
from telco360.repo import load_script as load_module  # glue/*.py, functions/*/app.py

__all__ = ["load_module"]


@pytest.fixture(scope="session")
def spark():
    from telco360.spark import local_session

    return local_session("telco360-tests")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
