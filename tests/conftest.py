"""Shared test setup: headless plotting, the MNIST location, artifact folder."""
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Set before any notebook kernel starts, so nbval's kernels inherit them.
os.environ.setdefault("MPLBACKEND", "Agg")
_shared_mnist = ROOT.parent / "shared" / "data" / "mnist"
if "MNIST_DIR" not in os.environ and _shared_mnist.is_dir():
    os.environ["MNIST_DIR"] = str(_shared_mnist)
elif "MNIST_DIR" in os.environ:
    # CI passes a path relative to the repository root; kernels run elsewhere.
    os.environ["MNIST_DIR"] = str(Path(os.environ["MNIST_DIR"]).resolve())


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """test-artifacts/ at the repository root, for screenshots and reports."""
    path = ROOT / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path
