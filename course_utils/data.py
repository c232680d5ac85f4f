"""MNIST: the IDX reader, where the files live, and a verified download.

Introduced in notebook 06. `load_mnist()` returns NumPy arrays straight from the
four files of the original MNIST database:

    x_train, y_train, x_test, y_test = load_mnist()
    x_train.shape, x_train.dtype   # (60000, 28, 28) uint8, pixels 0..255
    y_train.shape, y_train.dtype   # (60000,) int64, digits 0..9

Labels are int64 (not the uint8 stored in the file) because that is the dtype
`torch.nn.functional.cross_entropy` expects, so `torch.from_numpy(y)` just works.

Where the files are looked for, first match wins:
    1. the `root` argument,
    2. the MNIST_DIR environment variable (a relative path is read from the
       current working directory),
    3. `data/mnist` inside the course repository.
Each of the four files may be plain or gzip-compressed (`.gz`).

If they are missing, the first call downloads the `.gz` files from public
mirrors, checks the md5 of their uncompressed content against the published
values, and only then writes them (atomically: a temporary file in the same
folder, renamed into place). A failed download - offline, corrupted or cut
short - raises `MNISTDownloadError` and leaves nothing behind.
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import http.client
import os
import sys
import tempfile
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import numpy as np

__all__ = [
    "FILES",
    "MD5",
    "MIRRORS",
    "MNISTDownloadError",
    "download_mnist",
    "load_mnist",
    "mnist_dir",
    "read_idx",
]

# Uncompressed file names, in the order load_mnist returns their arrays.
FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

# md5 of the UNCOMPRESSED files (the .gz wrappers differ between mirrors).
MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}

# Tried in order; each serves `<mirror><file>.gz`.
MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
]

_REPO_DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "mnist"

# IDX header: two zero bytes, a type code, the number of dimensions; then one
# big-endian uint32 per dimension. MNIST only uses type 0x08 (unsigned byte).
_UBYTE = 0x08


class MNISTDownloadError(RuntimeError):
    """MNIST could not be downloaded (offline, corrupted or truncated)."""


def mnist_dir(root: str | os.PathLike | None = None) -> Path:
    """The folder MNIST is read from: `root`, else $MNIST_DIR, else data/mnist.

    Relative paths are resolved against the current working directory.
    """
    if root is None:
        root = os.environ.get("MNIST_DIR") or _REPO_DATA_DIR
    return Path(root).expanduser().resolve()


def _existing_file(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / (name + ".gz")):
        if candidate.is_file():
            return candidate
    return None


def _parse_idx(raw: bytes, ndim: int, source: str) -> np.ndarray:
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != _UBYTE or raw[3] != ndim:
        raise ValueError(
            f"{source}: not an unsigned-byte IDX file with {ndim} dimension(s) "
            f"(magic number {raw[:4].hex() or 'missing'}, expected 000008{ndim:02x})")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{source}: file ends inside its IDX header ({len(raw)} bytes)")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = int(np.prod(dims, dtype=np.int64))
    if len(raw) - header != expected:
        raise ValueError(
            f"{source}: size mismatch: header says {dims} = {expected} bytes of data, "
            f"file has {len(raw) - header}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def read_idx(path: str | os.PathLike, ndim: int | None = None) -> np.ndarray:
    """Read one IDX file (plain or .gz) into a uint8 array of its stated shape.

    Args:
        path: the file; a name ending in `.gz` is decompressed.
        ndim: the number of dimensions the file must have (3 for images, 1 for
            labels); None reads it from the header.

    Raises:
        ValueError naming the file if the magic number, the dimensions or the
        data size are wrong.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise ValueError(f"{path}: damaged gzip file ({err})") from err
    if ndim is None:
        ndim = raw[3] if len(raw) >= 4 else 0
    return _parse_idx(raw, ndim, str(path))


@functools.lru_cache(maxsize=2)
def _load_folder(folder: Path, _stamp: tuple) -> tuple[np.ndarray, ...]:
    # _stamp (sizes and mtimes) makes a replaced file invalidate the cache.
    paths = [_existing_file(folder, name) for name in FILES]
    x_train, y_train, x_test, y_test = (
        read_idx(p, ndim=3 if "images" in p.name else 1) for p in paths)
    for images, labels, part in ((x_train, y_train, "train"), (x_test, y_test, "test")):
        if len(images) != len(labels):
            raise ValueError(
                f"{folder}: {part} set has {len(images)} images but {len(labels)} labels")
    return x_train, y_train.astype(np.int64), x_test, y_test.astype(np.int64)


def load_mnist(root: str | os.PathLike | None = None, *, download: bool = True,
               mirrors: list[str] | None = None, checksums: dict[str, str] | None = None,
               timeout: float = 30.0, progress: bool = True,
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """MNIST as NumPy arrays: (x_train, y_train, x_test, y_test).

    Images are uint8 arrays (N, 28, 28) with pixel values 0..255; labels are
    int64 arrays (N,) with digits 0..9. The arrays are fresh copies, so changing
    them does not affect the next call.

    Args:
        root: folder holding the four IDX files; None means $MNIST_DIR, or else
            data/mnist inside the course repository.
        download: fetch missing files (see `download_mnist`); if False, a missing
            file raises FileNotFoundError.
        mirrors, checksums, timeout, progress: passed to `download_mnist`.
    """
    folder = mnist_dir(root)
    if any(_existing_file(folder, name) is None for name in FILES):
        if not download:
            missing = [n for n in FILES if _existing_file(folder, n) is None]
            raise FileNotFoundError(
                f"MNIST files missing in {folder}: {', '.join(missing)} (plain or .gz). "
                "Set MNIST_DIR to the folder that holds them, or call load_mnist() "
                "with download=True.")
        download_mnist(folder, mirrors=mirrors, checksums=checksums,
                       timeout=timeout, progress=progress)
    stamp = tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns)
                  for p in (_existing_file(folder, name) for name in FILES))
    return tuple(a.copy() for a in _load_folder(folder, stamp))


def _fetch(url: str, timeout: float, progress: bool) -> bytes:
    from tqdm.auto import tqdm  # only needed when something is downloaded

    with urllib.request.urlopen(url, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        chunks = []
        with tqdm(total=total, unit="B", unit_scale=True, desc=url.rsplit("/", 1)[-1],
                  disable=not progress, file=sys.stderr, leave=False) as bar:
            while chunk := response.read(1 << 16):
                chunks.append(chunk)
                bar.update(len(chunk))
    data = b"".join(chunks)
    if total is not None and len(data) != total:
        raise http.client.IncompleteRead(data, total - len(data))
    return data


def _download_one(name: str, mirrors: list[str], md5: str | None, timeout: float,
                  progress: bool) -> tuple[bytes | None, list[str]]:
    """The verified .gz bytes of one file, or None and what went wrong per mirror."""
    failures = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + name + ".gz"
        try:
            packed = _fetch(url, timeout, progress)
        except http.client.IncompleteRead as err:
            failures.append(f"{url}: truncated download ({len(err.partial)} bytes received)")
            continue
        except urllib.error.HTTPError as err:
            failures.append(f"{url}: HTTP {err.code} {err.reason}")
            continue
        except (urllib.error.URLError, OSError, http.client.HTTPException) as err:
            reason = getattr(err, "reason", err)
            failures.append(f"{url}: unreachable ({reason})")
            continue
        try:
            content = gzip.decompress(packed)
        except (EOFError, zlib.error, gzip.BadGzipFile) as err:
            failures.append(f"{url}: truncated or damaged gzip data ({err})")
            continue
        digest = hashlib.md5(content).hexdigest()
        if md5 is not None and digest != md5:
            failures.append(f"{url}: corrupted (md5 of content {digest}, expected {md5})")
            continue
        return packed, failures
    return None, failures


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name + ".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def download_mnist(root: str | os.PathLike | None = None, *, mirrors: list[str] | None = None,
                   checksums: dict[str, str] | None = None, timeout: float = 30.0,
                   progress: bool = True) -> Path:
    """Download the MNIST files missing from `root`, verified, and return the folder.

    Every missing file is fetched as `<mirror><name>.gz`, mirror after mirror,
    until one passes the checks: complete, valid gzip, and md5 of the
    uncompressed content equal to `checksums[name]`. Files are written only
    after all missing files have passed, each atomically, so a failure leaves
    the folder as it was.

    Args:
        root: target folder (as for `load_mnist`); created if needed.
        mirrors: base URLs to try in order; default `MIRRORS`.
        checksums: expected md5 per uncompressed file name; default `MD5`.
        timeout: seconds to wait on a silent connection.
        progress: show a tqdm progress bar per file (on stderr).

    Raises:
        MNISTDownloadError: a file could not be fetched intact from any mirror;
        the message lists every attempt and what to do instead.
    """
    folder = mnist_dir(root)
    mirrors = list(MIRRORS if mirrors is None else mirrors)
    checksums = MD5 if checksums is None else checksums
    missing = [name for name in FILES if _existing_file(folder, name) is None]
    fetched = {}
    for name in missing:
        packed, failures = _download_one(name, mirrors, checksums.get(name), timeout, progress)
        if packed is None:
            tried = "\n".join("  - " + line for line in failures) or "  (no mirrors given)"
            raise MNISTDownloadError(
                f"Could not download MNIST file {name}.gz: every mirror failed.\n"
                f"Mirrors tried:\n{tried}\n"
                f"Nothing was written to {folder}.\n"
                "What to do: check your internet connection and try again, or download "
                f"the four files ({', '.join(f + '.gz' for f in FILES)}) by hand"
                f"{' (for example from ' + mirrors[0] + ')' if mirrors else ''} into "
                f"{folder}, or set the MNIST_DIR environment variable to a folder "
                "that already holds them.")
        fetched[name] = packed
    if fetched:
        folder.mkdir(parents=True, exist_ok=True)
        for name, packed in fetched.items():
            _write_atomically(folder / (name + ".gz"), packed)
    return folder
