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
IDLE = '.jp-Notebook-ExecutionIndicator[data-status="idle"]'


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
            "@jupyterlab/notebook-extension:tracker": {"autoStartDefaultKernel": True},
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
        page.goto(f"{self.url}/lab/tree/{path}?token={self.token}", timeout=60_000)
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
    return page.eval_on_selector_all(".jp-CodeCell .jp-InputPrompt",
                                     "nodes => nodes.map(n => n.textContent.trim())")


def run_all(page, attempts: int = 3, timeout: float = 90.0):
    """Run > Run All Cells until every code cell has run (JupyterLab can drop a
    Run All right after a kernel starts; the cells are safe to rerun)."""
    for _ in range(attempts):
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator('li[data-command="runmenu:run-all"]').click()
        deadline, idle_since = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            now = prompts(page)
            if now and all(re.fullmatch(r"\[\d+\]:", p) for p in now):
                return
            idle = page.locator(IDLE).count()
            busy = any("*" in p for p in now)
            if idle and not busy:
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since > 3:
                    break
            else:
                idle_since = None
            time.sleep(0.25)
    raise AssertionError(f"Run All did not run every cell: prompts {prompts(page)}")
