"""pytest set-up for every test path (tests/, notebooks/, solutions/).

Runs before any notebook kernel starts, so nbval's kernels inherit it.
"""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent

os.environ.setdefault("MPLBACKEND", "Agg")
_shared_mnist = ROOT.parent / "shared" / "data" / "mnist"
if "MNIST_DIR" in os.environ:
    # CI passes a path relative to the repository root; kernels run elsewhere.
    os.environ["MNIST_DIR"] = str(Path(os.environ["MNIST_DIR"]).resolve())
elif _shared_mnist.is_dir():
    os.environ["MNIST_DIR"] = str(_shared_mnist)
