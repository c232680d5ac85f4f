"""A JupyterLab server and a headless Chromium page, for the browser tests and
benchmarks/browser_latency.py (one server serves every browser test).

    with LabServer(folder) as lab, chromium() as browser:
        page = lab.open(browser, "notebooks/01_ravine.ipynb", viewport=(1280, 720))
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
CURRENT = ".jp-NotebookPanel:not(.lm-mod-hidden)"
IDLE = CURRENT + ' .jp-Notebook-ExecutionIndicator[data-status="idle"]'


def missing() -> str | None:
    """Why a browser test cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install -y chromium chromium-driver)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed"
    if shutil.which("jupyter", path=str(Path(sys.executable).parent)) is None:
        return "jupyter (JupyterLab) is not installed next to this Python"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """JupyterLab on `root` with the course's settings and no pop-ups."""

    def __init__(self, root: Path, settings: dict | None = None):
        self.root = Path(root)
        self.settings = {
            "@jupyterlab/notebook-extension:tracker": {"autoStartDefaultKernel": True,
                                                      "windowingMode": "none"},
            "@jupyterlab/apputils-extension:notification": {
                "fetchNews": "false", "checkForUpdates": False, "doNotDisturbMode": True},
            **(settings or {})}

    def __enter__(self):
        state = self.root / ".lab-state"
        for key, values in self.settings.items():
            package, plugin = key.split(":")
            target = state / "settings" / package / f"{plugin}.jupyterlab-settings"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(values))
        self.port, self.token = _free_port(), uuid.uuid4().hex
        repo = Path(__file__).resolve().parents[1]
        env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
        env.update(JUPYTER_RUNTIME_DIR=str(state / "runtime"), JUPYTER_CONFIG_DIR=str(state / "config"),
                   JUPYTERLAB_SETTINGS_DIR=str(state / "settings"),
                   JUPYTERLAB_WORKSPACES_DIR=str(state / "workspaces"),
                   PYTHONPATH=str(repo) + os.pathsep + env.get("PYTHONPATH", ""))
        command = [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser",
                   f"--port={self.port}", "--ip=127.0.0.1", f"--ServerApp.token={self.token}",
                   f"--ServerApp.root_dir={self.root}", "--LabApp.news_url=None",
                   "--ServerApp.port_retries=0"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        self.log_path = state / "server.log"
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT,
                                        env=env, cwd=self.root, start_new_session=True)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}",
                                            timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise RuntimeError("JupyterLab did not start:\n"
                                   + self.log_path.read_text(errors="replace")[-3000:])
            time.sleep(0.3)

    def __exit__(self, *exc):
        try:
            os.killpg(self.process.pid, signal.SIGTERM)  # the server and its kernels
        except ProcessLookupError:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        self.log.close()

    def open(self, browser, path: str, viewport=(1280, 720), wait_idle: bool = True):
        """A new page with `path` open in JupyterLab (file browser shown)."""
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        context.set_default_timeout(30_000)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        # a fresh workspace per page: no tabs restored from an earlier page
        page.goto(f"{self.url}/lab/workspaces/w{uuid.uuid4().hex[:8]}/tree/{path}"
                  f"?token={self.token}&reset", timeout=60_000)
        page.wait_for_selector(".jp-NotebookPanel", timeout=60_000)
        if wait_idle:
            page.wait_for_selector(IDLE, timeout=60_000)
        return page


@contextlib.contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                                    timeout=30_000)
        try:
            yield browser
        finally:
            browser.close()


def prompts(page) -> list:
    return page.eval_on_selector_all(CURRENT + " .jp-CodeCell .jp-InputPrompt",
                                     "nodes => nodes.map(n => n.textContent.trim())")


def race_animation_plays(page, wait_ms: int) -> bool:
    """Press Play on the page's first kernel-free race animation; True if its readout moved."""
    anim = page.locator(".cu-race").first
    anim.scroll_into_view_if_needed()
    before = anim.locator(".cu-readout").inner_text()
    anim.locator(".cu-play").click()
    page.wait_for_timeout(wait_ms)
    return anim.locator(".cu-readout").inner_text() != before


def wait_settled(page, quiet: float = 2.0, timeout: float = 60.0):
    """Until the kernel has been idle for `quiet` seconds (right after opening,
    JupyterLab may still replace the kernel it first started)."""
    deadline, since = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        status = page.evaluate(f"() => {{ const n = document.querySelector('{CURRENT} "
                               ".jp-Notebook-ExecutionIndicator'); "
                               "return n ? n.getAttribute('data-status') : ''; }")
        if status == "idle":
            since = since or time.monotonic()
            if time.monotonic() - since >= quiet:
                return
        else:
            since = None
        time.sleep(0.2)
    raise AssertionError(f"the kernel did not settle (status {status!r})")


def run_all(page, attempts: int = 2, timeout: float = 120.0):
    """Clear every output, restart the kernel and run all cells, until every
    code cell has run (right after opening, JupyterLab may still replace the
    kernel it first started, which can drop a plain Run All)."""
    for _ in range(attempts):
        wait_settled(page)
        page.locator(".lm-MenuBar-itemLabel", has_text="Edit").first.click()
        page.locator('li[data-command="editmenu:clear-all"]').click()
        try:
            page.wait_for_function(f"() => ![...document.querySelectorAll('{CURRENT} .jp-CodeCell "
                                   ".jp-InputPrompt')].some(n => /\\d/.test(n.textContent))",
                                   timeout=10_000)
        except Exception:
            page.screenshot(path="/tmp/clear_fail.png")
            raise
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator('li[data-command="runmenu:restart-and-run-all"]').click()
        page.locator(".jp-Dialog-button.jp-mod-accept").click()
        deadline, idle_since = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            now = prompts(page)
            done = bool(now) and all(re.fullmatch(r"\[\d+\]:", p) for p in now)
            if page.locator(IDLE).count() and not any("*" in p for p in now):
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since > 3:
                    if done:
                        return
                    break  # stopped early: again
            else:
                idle_since = None
            time.sleep(0.25)
    raise AssertionError(f"Run All did not run every cell: prompts {prompts(page)}")
