"""Notebook metadata exactly as JupyterLab writes it, so opening a notebook
changes nothing (no "unsaved changes" mark, no diff on save).

JupyterLab, on opening a notebook and starting its kernel, replaces the
kernelspec with the installed one (display name "Python 3 (ipykernel)") and
language_info with the kernel's own report, and on saving writes the widget
state as JavaScript numbers (0.0 becomes 0). `normalise` does the same to a
notebook's JSON; tools/normalise_notebooks.py applies it to files.
"""
from __future__ import annotations

import copy


def kernelspec() -> dict:
    """The installed python3 kernelspec, as JupyterLab stores it."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    return {"display_name": spec.display_name, "language": spec.language, "name": "python3"}


def language_info() -> dict:
    """What ipykernel reports in its kernel_info reply (JupyterLab copies it)."""
    from ipykernel.ipkernel import IPythonKernel

    return copy.deepcopy(dict(IPythonKernel.language_info))


def as_javascript_numbers(value):
    """Integral floats as ints, recursively: what JSON.stringify writes."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        return int(value)
    if isinstance(value, dict):
        return {key: as_javascript_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_javascript_numbers(item) for item in value]
    return value


def normalise(nb: dict, spec: dict | None = None, language: dict | None = None) -> bool:
    """Make `nb`'s metadata what JupyterLab would write; returns whether it changed."""
    before = copy.deepcopy(nb.get("metadata", {}))
    metadata = nb.setdefault("metadata", {})
    metadata["kernelspec"] = spec or kernelspec()
    metadata["language_info"] = language or language_info()
    if "widgets" in metadata:
        metadata["widgets"] = as_javascript_numbers(metadata["widgets"])
    return metadata != before
