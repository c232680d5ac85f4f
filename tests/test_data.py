"""course_utils.data: the real MNIST files, and the verified download.

Real data come from $MNIST_DIR (relative to the working directory), by default
the shared copy next to the repository. Downloads are tested against a local
HTTP server only; no test touches the internet.
"""
from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import http.server
import os
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from course_utils import data
from course_utils.data import MNISTDownloadError, load_mnist, read_idx

_DEFAULT_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"

# Published class counts of MNIST (digits 0..9).
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def mnist_folder() -> Path:
    if os.environ.get("MNIST_DIR"):
        folder = Path(os.environ["MNIST_DIR"]).resolve()
    elif _DEFAULT_MNIST.is_dir():
        folder = _DEFAULT_MNIST
    else:
        pytest.skip(f"no MNIST at {_DEFAULT_MNIST}; set MNIST_DIR to run these tests")
    assert folder.is_dir(), f"MNIST_DIR={folder} is not a folder"
    return folder


@pytest.fixture(scope="module")
def mnist(mnist_folder):
    return load_mnist(mnist_folder, download=False)


def _raw_bytes(folder: Path, name: str) -> bytes:
    plain = folder / name
    return plain.read_bytes() if plain.exists() else gzip.decompress((folder / (name + ".gz")).read_bytes())


def test_real_mnist_shapes_dtypes_and_ranges(mnist):
    x_train, y_train, x_test, y_test = mnist
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert x_train.dtype == np.uint8 and x_test.dtype == np.uint8
    assert y_train.dtype == np.int64 and y_test.dtype == np.int64
    assert y_train.min() == 0 and y_train.max() == 9
    assert x_train.max() == 255 and x_train.min() == 0


def test_real_mnist_label_counts_match_published_and_independent_read(mnist, mnist_folder):
    _, y_train, _, y_test = mnist
    assert np.bincount(y_train).tolist() == TRAIN_COUNTS
    assert np.bincount(y_test).tolist() == TEST_COUNTS
    independent = np.frombuffer(_raw_bytes(mnist_folder, "train-labels-idx1-ubyte"), np.uint8, offset=8)
    np.testing.assert_array_equal(independent, y_train)


def test_real_mnist_first_image_matches_independent_read(mnist, mnist_folder):
    x_train, y_train, x_test, _ = mnist
    raw = _raw_bytes(mnist_folder, "train-images-idx3-ubyte")
    first = np.frombuffer(raw, np.uint8, count=784, offset=16).reshape(28, 28)
    np.testing.assert_array_equal(first, x_train[0])
    assert int(x_train[0].sum()) == 27525 and y_train[0] == 5  # the famous "5"
    raw_test = _raw_bytes(mnist_folder, "t10k-images-idx3-ubyte")
    last = np.frombuffer(raw_test, np.uint8, offset=16)[-784:].reshape(28, 28)
    np.testing.assert_array_equal(last, x_test[-1])


def test_real_mnist_md5_matches_table(mnist_folder):
    for name in ("train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"):
        assert hashlib.md5(_raw_bytes(mnist_folder, name)).hexdigest() == data.MD5[name]


def test_returned_arrays_are_private_copies(mnist_folder):
    first = load_mnist(mnist_folder, download=False)
    first[0][0, 0, 0] = 99
    first[1][0] = 7
    again = load_mnist(mnist_folder, download=False)
    assert again[0][0, 0, 0] == 0 and again[1][0] == 5


def test_location_argument_then_env_then_repo(monkeypatch, tmp_path):
    monkeypatch.delenv("MNIST_DIR", raising=False)
    assert data.mnist_dir() == Path(data.__file__).resolve().parents[1] / "data" / "mnist"
    monkeypatch.setenv("MNIST_DIR", str(tmp_path))
    assert data.mnist_dir() == tmp_path.resolve()
    assert data.mnist_dir(tmp_path / "x") == (tmp_path / "x").resolve()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MNIST_DIR", "rel/mnist")
    assert data.mnist_dir() == (tmp_path / "rel" / "mnist").resolve()


# ---------------------------------------------------------------- IDX parsing

def _idx(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    return header + array.astype(np.uint8).tobytes()


def test_read_idx_plain_and_gz_agree(tmp_path):
    images = np.arange(3 * 28 * 28, dtype=np.int64).reshape(3, 28, 28) % 256
    (tmp_path / "a").write_bytes(_idx(images))
    (tmp_path / "a.gz").write_bytes(gzip.compress(_idx(images)))
    np.testing.assert_array_equal(read_idx(tmp_path / "a"), images)
    np.testing.assert_array_equal(read_idx(tmp_path / "a.gz", ndim=3), images)


def test_read_idx_wrong_magic_names_the_file(tmp_path):
    path = tmp_path / "labels"
    path.write_bytes(b"\x00\x00\x0d\x01" + np.array([2], ">u4").tobytes() + b"\x00" * 8)
    with pytest.raises(ValueError, match="labels.*magic"):
        read_idx(path, ndim=1)
    path.write_bytes(_idx(np.zeros(4)))
    with pytest.raises(ValueError, match="magic"):
        read_idx(path, ndim=3)


def test_read_idx_size_mismatch_names_the_file(tmp_path):
    path = tmp_path / "short-images"
    path.write_bytes(_idx(np.zeros((2, 28, 28)))[:-5])
    with pytest.raises(ValueError, match="short-images.*size mismatch"):
        read_idx(path, ndim=3)


def test_missing_files_without_download_say_where(tmp_path):
    with pytest.raises(FileNotFoundError, match="MNIST_DIR"):
        load_mnist(tmp_path, download=False)


# ------------------------------------------------------------ download

@pytest.fixture(scope="module")
def synthetic():
    """Small synthetic IDX files: raw bytes and md5 per MNIST file name."""
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (20, 28, 28)),
        "train-labels-idx1-ubyte": rng.integers(0, 10, 20),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (8, 28, 28)),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, 8),
    }
    raw = {name: _idx(a) for name, a in arrays.items()}
    return arrays, raw, {name: hashlib.md5(b).hexdigest() for name, b in raw.items()}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files; under /short/ it promises the whole good file but sends half."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        if not self.path.startswith("/short/"):
            return super().do_GET()
        body = Path(self.directory, "good", self.path.rsplit("/", 1)[-1]).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.close_connection = True


@pytest.fixture(scope="module")
def mirrors(tmp_path_factory, synthetic):
    """Base URLs of a local server: good, corrupted, gzip-damaged, truncated, offline."""
    _, raw, _ = synthetic
    root = tmp_path_factory.mktemp("mirrors")
    for kind in ("good", "corrupted", "damaged", "truncated"):
        (root / kind).mkdir()
    for name, content in raw.items():
        packed = gzip.compress(content)
        (root / "good" / (name + ".gz")).write_bytes(packed)
        flipped = bytearray(content)
        flipped[-1] ^= 0xFF  # one byte of content changed: valid gzip, wrong md5
        (root / "corrupted" / (name + ".gz")).write_bytes(gzip.compress(bytes(flipped)))
        damaged = bytearray(packed)
        damaged[len(damaged) // 2] ^= 0xFF  # one byte of the archive changed
        (root / "damaged" / (name + ".gz")).write_bytes(bytes(damaged))
        (root / "truncated" / (name + ".gz")).write_bytes(packed[: len(packed) // 2])
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with contextlib.closing(socket.socket()) as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    urls = {kind: base + kind + "/" for kind in ("good", "corrupted", "damaged", "truncated")}
    urls["short"] = base + "short/"
    urls["offline"] = f"http://127.0.0.1:{closed_port}/mnist/"
    yield urls
    server.shutdown()
    server.server_close()


def _download(folder, mirror_list, checksums):
    return load_mnist(folder, mirrors=mirror_list, checksums=checksums, timeout=5, progress=False)


def test_download_from_good_mirror_loads_and_keeps_files(tmp_path, mirrors, synthetic):
    arrays, _, md5 = synthetic
    folder = tmp_path / "mnist"
    x_train, y_train, x_test, y_test = _download(folder, [mirrors["good"]], md5)
    np.testing.assert_array_equal(x_train, arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(y_test, arrays["t10k-labels-idx1-ubyte"])
    assert sorted(p.name for p in folder.iterdir()) == sorted(n + ".gz" for n in data.FILES)
    # Second call reads the files, no server needed.
    again = load_mnist(folder, download=False)
    np.testing.assert_array_equal(again[1], y_train)


@pytest.mark.parametrize("kind, words", [
    ("corrupted", "corrupted"),
    ("damaged", "damaged"),
    ("truncated", "truncated"),
    ("short", "truncated download"),
    ("offline", "unreachable"),
])
def test_bad_mirror_raises_helpful_error_and_leaves_no_file(tmp_path, mirrors, synthetic, kind, words):
    _, _, md5 = synthetic
    folder = tmp_path / "mnist"
    folder.mkdir()
    with pytest.raises(MNISTDownloadError) as info:
        _download(folder, [mirrors[kind]], md5)
    message = str(info.value)
    assert words in message
    assert mirrors[kind] in message  # which mirror was tried
    assert str(folder) in message and "MNIST_DIR" in message  # what to do
    assert list(folder.iterdir()) == []  # no partial or temporary file


def test_good_second_mirror_after_bad_ones_succeeds(tmp_path, mirrors, synthetic):
    arrays, _, md5 = synthetic
    folder = tmp_path / "mnist"
    for bad in ("offline", "truncated", "short", "corrupted"):
        x_train, *_ = _download(folder, [mirrors[bad], mirrors["good"]], md5)
        np.testing.assert_array_equal(x_train, arrays["train-images-idx3-ubyte"])
        for path in folder.iterdir():
            path.unlink()


def test_only_missing_files_are_downloaded(tmp_path, mirrors, synthetic):
    arrays, raw, md5 = synthetic
    folder = tmp_path / "mnist"
    folder.mkdir()
    (folder / "train-images-idx3-ubyte").write_bytes(raw["train-images-idx3-ubyte"])
    _download(folder, [mirrors["good"]], md5)
    assert not (folder / "train-images-idx3-ubyte.gz").exists()
    assert (folder / "train-labels-idx1-ubyte.gz").exists()


def test_default_mirrors_and_checksums_are_the_published_ones():
    assert data.MD5["train-images-idx3-ubyte"] == "6bbc9ace898e44ae57da46a324031adb"
    assert data.MD5["t10k-labels-idx1-ubyte"] == "27ae3e4e09519cfbb04c329615203637"
    assert all(url.startswith("https://") and url.endswith("/") for url in data.MIRRORS)
