"""Make every notebook's stored metadata exactly what JupyterLab writes.

    .venv/bin/python tools/normalise_notebooks.py                 # notebooks/, exercises/, solutions/, tests/
    .venv/bin/python tools/normalise_notebooks.py notebooks/01_ravine.ipynb
    .venv/bin/python tools/normalise_notebooks.py --check         # exit 1 if any would change

Run it after executing notebooks (nbconvert --execute writes its own
kernelspec and Python-style numbers). Idempotent: a second run changes
nothing. See course_utils.notebook_metadata.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course_utils.notebook_metadata import kernelspec, language_info, normalise  # noqa: E402

FOLDERS = ("notebooks", "exercises", "solutions", "tests")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if needed")
    args = parser.parse_args(argv)
    paths = args.paths or sorted(p for folder in FOLDERS for p in (ROOT / folder).glob("*.ipynb"))
    spec, language = kernelspec(), language_info()
    stale = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if normalise(nb, spec, language):
            stale.append(path)
            if not args.check:
                nbformat.write(nb, path)  # what the Jupyter server writes: indent 1, sorted keys
    for path in stale:
        print(("would change " if args.check else "normalised ") + str(path))
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
