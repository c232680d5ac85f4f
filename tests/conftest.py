"""Shared test fixtures (the environment itself is set in ../conftest.py)."""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """test-artifacts/ at the repository root, for screenshots and reports."""
    path = ROOT / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path
