"""The widgets in a real browser: JupyterLab + headless Chromium + Playwright.

Serves a temporary copy of tests/browser_demo.ipynb with JupyterLab on
127.0.0.1, opens it in headless Chromium, runs all cells and checks that the
explorer and the race render (sliders, ipympl canvases), that moving a slider
with the keyboard redraws the figure, that the race plays, and that the
kernel-free HTML animation plays in the output. Screenshots land in
test-artifacts/.

Skips (with the reason) when Chromium or Playwright is missing - except under
CI=true, where a missing browser is a failure, never a skip.
"""
from __future__ import annotations

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

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "tests" / "browser_demo.ipynb"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
IN_CI = os.environ.get("CI", "").lower() == "true"


def _missing() -> str | None:
    """Why the browser test cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return (f"Chromium not found at {CHROMIUM} "
                "(apt-get install -y chromium chromium-driver)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed"
    if shutil.which("jupyter", path=str(Path(sys.executable).parent)) is None:
        return "jupyter (JupyterLab) is not installed next to this Python"
    return None


@pytest.fixture(scope="module")
def browser_ready():
    reason = _missing()
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true requires the browser test to run: {reason}")
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(browser_ready, tmp_path_factory):
    """A JupyterLab server on a temporary copy of the demo notebook: (url, token)."""
    root = tmp_path_factory.mktemp("lab")
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    settings = root / ".settings"
    # start the notebook's kernel without asking; no news or update toasts on screenshots
    for name, values in {
        "notebook-extension/tracker": {"autoStartDefaultKernel": True},
        "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False,
                                            "doNotDisturbMode": True},
    }.items():
        target = settings / "@jupyterlab" / f"{name}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    port, token = _free_port(), uuid.uuid4().hex
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # %matplotlib widget decides
    env.update(JUPYTER_RUNTIME_DIR=str(root / ".runtime"), JUPYTER_CONFIG_DIR=str(root / ".config"),
               JUPYTERLAB_SETTINGS_DIR=str(root / ".settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(root / ".workspaces"),
               PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""))
    command = [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser",
               f"--port={port}", "--ip=127.0.0.1", f"--ServerApp.token={token}",
               f"--ServerApp.root_dir={root}", "--LabApp.news_url=None",
               "--ServerApp.port_retries=0"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = open(root / "server.log", "wb")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root,
                              start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 45
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("JupyterLab did not start:\n"
                            + (root / "server.log").read_text(errors="replace")[-3000:])
            time.sleep(0.3)
        yield url, token
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)  # the server and its kernels
        except ProcessLookupError:
            pass
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=5)
        log.close()


@pytest.fixture(scope="module")
def page(lab, artifacts_dir):
    from playwright.sync_api import sync_playwright

    url, token = lab
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                                    timeout=30_000)
        try:
            context = browser.new_context(viewport={"width": 1500, "height": 1100})
            context.set_default_timeout(30_000)
            page = context.new_page()
            page.errors = []
            page.on("pageerror", lambda error: page.errors.append(str(error)))
            page.goto(f"{url}/lab/tree/{NOTEBOOK.name}?token={token}", timeout=45_000)
            page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]',
                                   timeout=45_000)
            yield page
        finally:
            browser.close()


def _prompts(page) -> list:
    return page.eval_on_selector_all(".jp-CodeCell .jp-InputPrompt",
                                     "nodes => nodes.map(n => n.textContent.trim())")


def _run_all(page, attempts: int = 3, timeout: float = 45.0):
    """Run > Run All Cells until every code cell has run.

    Right after a kernel starts, JupyterLab can drop a Run All or stop it
    after the first cell; when the kernel sits idle with cells left unrun,
    run all again (the notebook's cells are safe to rerun).
    """
    for _ in range(attempts):
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator('li[data-command="runmenu:run-all"]').click()
        deadline, idle_since = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            prompts = _prompts(page)
            if prompts and all(re.fullmatch(r"\[\d+\]:", p) for p in prompts):
                return
            idle = page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').count()
            busy = any("*" in p for p in prompts)
            if idle and not busy:
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since > 3:
                    break  # stopped early: run all again
            else:
                idle_since = None
            time.sleep(0.25)
    raise AssertionError(f"Run All did not run every cell: prompts {_prompts(page)}")


def _slider(page, label: str):
    """The first slider whose label is exactly `label`."""
    name = page.locator(".widget-label", has_text=re.compile(f"^{re.escape(label)}$"))
    return page.locator(".widget-slider", has=name).first


def _canvas_png(locator) -> bytes:
    return locator.screenshot(timeout=10_000)


def _colours(png: bytes) -> int:
    """How many distinct colours a screenshot holds (a blank canvas has one)."""
    import io

    from PIL import Image

    return len(Image.open(io.BytesIO(png)).convert("RGB").getcolors(maxcolors=1 << 20) or [])


def _wait_changed(read, before, timeout=15.0, what="value"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = read()
        if now != before:
            return now
        time.sleep(0.2)
    raise AssertionError(f"{what} did not change within {timeout} s")


def test_widgets_render_and_respond_in_jupyterlab(page, artifacts_dir):
    try:
        _check_widgets(page, artifacts_dir)
    except BaseException:
        page.screenshot(path=str(artifacts_dir / "browser_failure.png"), full_page=True)
        raise


def _check_widgets(page, artifacts_dir):
    canvases = page.locator(".jupyter-matplotlib-figure canvas")
    # explorer + race: two ipympl figures (each has a main canvas and an overlay canvas).
    # On a freshly created environment the very first Run All can leave the
    # widgets at "Loading widget..." (their comm messages raced the widget
    # manager's start); the cells are safe to rerun, so run them once more.
    for attempt in range(2):
        _run_all(page)
        try:
            page.wait_for_function(
                "document.querySelectorAll('.jupyter-matplotlib-figure').length >= 2",
                timeout=30_000 if attempt == 0 else 60_000)
            break
        except Exception:
            if attempt == 1:
                raise
            page.screenshot(path=str(artifacts_dir / "browser_first_attempt.png"), full_page=True)
    page.wait_for_selector(".cu-race .cu-readout", timeout=30_000)
    page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=30_000)
    assert page.locator(".widget-slider .noUi-handle").count() >= 8, "sliders did not render"
    assert canvases.count() >= 2
    page.wait_for_timeout(1500)  # let the first frames arrive
    page.screenshot(path=str(artifacts_dir / "browser_widgets_before.png"), full_page=True)

    # the explorer's lr slider: the first slider labelled "lr"
    lr = _slider(page, "lr")
    readout = lr.locator(".widget-readout")
    explorer_canvas = page.locator(".jupyter-matplotlib-figure").first.locator("canvas").first
    explorer_canvas.scroll_into_view_if_needed()
    before_value = readout.inner_text()
    before_png = _canvas_png(explorer_canvas)
    assert _colours(before_png) > 50, "the explorer's canvas is blank"
    handle = lr.locator(".noUi-handle")
    handle.focus()
    for _ in range(6):
        handle.press("ArrowRight")
    after_value = _wait_changed(readout.inner_text, before_value, what="lr readout")
    after_png = _wait_changed(lambda: _canvas_png(explorer_canvas), before_png,
                              what="explorer canvas")
    (artifacts_dir / "browser_explorer_before.png").write_bytes(before_png)
    (artifacts_dir / "browser_explorer_after.png").write_bytes(after_png)
    assert float(after_value) > float(before_value)

    # the race: Play advances the step slider and redraws its canvas
    race_figure = page.locator(".jupyter-matplotlib-figure").nth(1)
    race_canvas = race_figure.locator("canvas").first
    race_canvas.scroll_into_view_if_needed()
    step = _slider(page, "step")
    step_before = step.locator(".widget-readout").inner_text()
    race_before = _canvas_png(race_canvas)
    assert _colours(race_before) > 50, "the race's canvas is blank"
    page.locator(".widget-play button").first.click()
    _wait_changed(lambda: step.locator(".widget-readout").inner_text(), step_before,
                  what="race step readout")
    race_after = _wait_changed(lambda: _canvas_png(race_canvas), race_before, what="race canvas")
    (artifacts_dir / "browser_race_playing.png").write_bytes(race_after)

    # the kernel-free animation plays in the notebook output (its script ran)
    anim = page.locator(".cu-race").first
    anim.scroll_into_view_if_needed()
    readout = anim.locator(".cu-readout")
    assert readout.inner_text() == "step 60 / 60"
    anim.locator(".cu-play").click()
    _wait_changed(readout.inner_text, "step 60 / 60", what="animation readout")
    page.screenshot(path=str(artifacts_dir / "browser_widgets_after.png"), full_page=True)
    (artifacts_dir / "browser_page_errors.txt").write_text("\n".join(page.errors))
    assert not page.errors, page.errors  # uncaught JavaScript errors (ours or the widgets')
