"""pytest plugin for the grader's nbval run (course_utils/grader.py loads it with -p).

- Records each cell's outcome in the file given by --grader-status, and
  moves the results a check cell's kernel wrote into the folder given by
  --grader-results, as soon as that cell ends: both are in the grader's
  private folder, written by this pytest process, not by a kernel, so a
  process started by a later notebook finds nothing left to forge.
- A kernel that dies is reported at once as dead, instead of after the cell
  timeout: nbval's wait for the reply is cut into short slices that check the
  kernel process.
- nbval marks every cell after a timed-out one as failed; when the cell was
  interrupted and the kernel is alive, the later cells run normally.
"""
from __future__ import annotations

import json
import os
import re
import stat
import sys
import time
from pathlib import Path
from queue import Empty

import pytest

# nbval reads the notebooks with nbformat; see course_utils/authoring.py.
sys.modules.setdefault("rfc3987_syntax", None)

KERNEL_DIED = "GRADER: kernel died while running this cell"


RESULT_FILE = re.compile(r"submit\(.*'(result-\w+\.json)'\)")
MAX_BYTES = 32 * 2 ** 20


def pytest_addoption(parser):
    parser.addoption("--grader-status", default=None, help="file for the cells' outcomes")
    parser.addoption("--grader-results", default=None, help="folder for the kernels' results")


def pytest_configure(config):
    from nbval.kernel import RunningKernel

    if getattr(RunningKernel, "_grader_watching", False):
        return
    await_reply = RunningKernel.await_reply

    def await_reply_watching(self, msg_id, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = 1.0 if deadline is None else min(1.0, deadline - time.monotonic())
            try:
                return await_reply(self, msg_id, timeout=max(left, 0.01))
            except Empty:
                if not self.is_alive():
                    raise RuntimeError(KERNEL_DIED) from None
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    RunningKernel.await_reply = await_reply_watching
    RunningKernel._grader_watching = True


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    notebook = getattr(item, "parent", None)
    kernel = getattr(notebook, "kernel", None)
    if getattr(notebook, "timed_out", False) and kernel is not None and kernel.is_alive():
        notebook.timed_out = False


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    path = item.config.getoption("--grader-status")
    if path and (report.when == "call" or (report.when == "setup" and not report.passed)):
        record = {"file": str(item.fspath), "cell": item.name, "outcome": report.outcome,
                  "text": _head_and_tail(report.longreprtext)}
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
    folder = item.config.getoption("--grader-results")
    match = RESULT_FILE.search(getattr(getattr(item, "cell", None), "source", "") or "")
    if folder and match and report.when == "call":
        source = Path(str(item.fspath)).parent / match.group(1)
        _move(source, Path(folder) / f"{source.parent.name}-{match.group(1)}")


def _move(source: Path, target: Path):
    """Copy a plain file of at most MAX_BYTES (no links, FIFOs or devices), then
    remove the original; anything else is left where it is."""
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BYTES:
            return
        data = os.read(fd, MAX_BYTES + 1)
        while len(data) < info.st_size:
            chunk = os.read(fd, MAX_BYTES + 1 - len(data))
            if not chunk:
                break
            data += chunk
    finally:
        os.close(fd)
    target.write_bytes(data[:MAX_BYTES + 1])
    try:
        source.unlink()
    except OSError:
        pass


def _head_and_tail(text: str, size: int = 3000) -> str:
    """nbval puts its own message first and the kernel's error last: keep both."""
    return text if len(text) <= 2 * size else text[:size] + "\n...\n" + text[-size:]
