"""The course in a real browser: JupyterLab + headless Debian Chromium + Playwright.

One JupyterLab server (tests/lab_server.py) serves every test here, on a
temporary folder holding copies of the stored notebooks:

- every stored lecture notebook opens, starts its kernel and shows no
  "unsaved changes" mark (its metadata is what JupyterLab writes);
- the demo notebook's fast widgets answer key presses from the browser,
  fit JupyterLab at 1280 x 720 with the file browser open, and the race plays;
- a stored race animation in an untrusted notebook shows its animated picture
  and a clean legend, with no dead controls.
Screenshots land in test-artifacts/. Skips (with the reason) when Chromium
or Playwright is missing - except under CI=true, where that is a failure.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
import pytest

from lab_server import IDLE, LabServer, chromium, missing, race_animation_plays, run_all, wait_settled

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "tests" / "browser_demo.ipynb"
LECTURES = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="module")
def browser_ready():
    reason = missing()
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true requires the browser tests to run: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def lab(browser_ready, tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    for path in [DEMO, *LECTURES]:
        shutil.copy(path, root / path.name)
    (root / "exercises").mkdir()
    for path in EXERCISES:
        shutil.copy(path, root / "exercises" / path.name)
    nb = nbformat.v4.new_notebook()
    from course_utils import animation, landscapes, run
    from course_utils.notebook_metadata import kernelspec, language_info
    from course_utils.optimizers import SGD, Adam

    ravine = landscapes.ravine()
    runs = [run(SGD(lr=0.05), ravine, [-5, 3], 60), run(Adam(lr=0.3), ravine, [-5, 3], 60)]
    cell = nbformat.v4.new_code_cell("animation.race_animation(ravine, runs)", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("execute_result", execution_count=1, data={
        "text/html": animation.race_html(ravine, runs), "text/plain": "<RaceAnimation>"})]
    nb.cells = [cell]
    nb.metadata.update(kernelspec=kernelspec(), language_info=language_info())
    nbformat.write(nb, root / "stored_race.ipynb")
    with LabServer(root) as server, chromium() as browser:
        yield server, browser


def _served_name(path: Path) -> str:
    return f"exercises/{path.name}" if path.parent.name == "exercises" else path.name


@pytest.mark.parametrize("path", [DEMO, *LECTURES, *EXERCISES], ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_opening_a_stored_notebook_changes_nothing(lab, path, artifacts_dir):
    server, browser = lab
    page = server.open(browser, _served_name(path))
    try:
        wait_settled(page, quiet=2.0)
        page.wait_for_timeout(1000)
        dirty = page.locator(".lm-TabBar-tab.jp-mod-dirty").count()
        if dirty:
            page.screenshot(path=str(artifacts_dir / f"dirty_{path.parent.name}_{path.stem}.png"))
        assert dirty == 0, f"{path.name} is marked changed right after opening"
    finally:
        page.context.close()


def _press_changes_canvas(page, view, label: str, key: str = "ArrowRight") -> bool:
    control = view.locator(".cu-control", has=page.locator("label", has_text=label)).first
    slider = control.locator("input[type=range]")
    slider.scroll_into_view_if_needed()
    canvas = view.locator("canvas")
    before = canvas.screenshot()
    slider.focus()
    page.keyboard.press(key)
    page.wait_for_timeout(300)
    return canvas.screenshot() != before


def test_fast_widgets_answer_in_the_browser_and_fit_at_1280x720(lab, artifacts_dir):
    server, browser = lab
    page = server.open(browser, DEMO.name, viewport=(1280, 720))
    try:
        run_all(page)
        page.wait_for_selector(".cu-view canvas", state="attached", timeout=60_000)
        page.wait_for_selector(IDLE, timeout=30_000)
        explorer, race = page.locator(".cu-view").nth(0), page.locator(".cu-view").nth(1)
        explorer.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        page.screenshot(path=str(artifacts_dir / "browser_explorer_1280x720.png"))
        # layout: view and control column side by side inside the output area
        geometry = page.evaluate("""() => {
          const view = document.querySelector('.cu-view');
          const out = view.closest('.jp-OutputArea-output');
          const box = view.closest('.widget-hbox');
          const column = box.children[1];
          const ranges = [...document.querySelectorAll('.cu-view input[type=range], .widget-slider .noUi-target')];
          const label = getComputedStyle(view.querySelector('.cu-control label')).fontSize;
          return {out: out.getBoundingClientRect().right, box: box.getBoundingClientRect().right,
                  viewTop: view.getBoundingClientRect().top, columnTop: column.getBoundingClientRect().top,
                  narrowest: Math.min(...ranges.map(r => r.getBoundingClientRect().width)),
                  label: parseFloat(label)};
        }""")
        assert geometry["box"] <= geometry["out"] + 1, geometry  # nothing runs off the right
        assert abs(geometry["columnTop"] - geometry["viewTop"]) < 40, geometry  # no wrapping
        assert geometry["narrowest"] >= 250, geometry
        from course_utils.widgets.view import LIVE_DPI, LIVE_RC

        assert geometry["label"] >= LIVE_RC["xtick.labelsize"] * LIVE_DPI / 72 - 0.5, geometry
        # the explorer's lr and steps, the race's beta and step: drawn by the browser
        assert _press_changes_canvas(page, explorer, "lr")
        assert _press_changes_canvas(page, explorer, "steps", "ArrowLeft")
        race.scroll_into_view_if_needed()
        assert _press_changes_canvas(page, race, "step", "End")  # the finished race
        assert _press_changes_canvas(page, race, "beta", "ArrowLeft")
        readout = race.locator(".cu-control", has=page.locator("label", has_text="step"))
        before = readout.locator(".cu-readout").inner_text()
        race.locator("button.cu-play").click()
        page.wait_for_timeout(800)
        assert readout.locator(".cu-readout").inner_text() != before
        page.screenshot(path=str(artifacts_dir / "browser_race_playing.png"))
        # the kernel-free HTML animation plays in the notebook output
        assert race_animation_plays(page, 800)
        assert not page.errors, page.errors
    finally:
        page.context.close()


def test_a_stored_race_plays_as_a_picture_in_an_untrusted_notebook(lab, artifacts_dir):
    server, browser = lab
    page = server.open(browser, "stored_race.ipynb", viewport=(1280, 720))
    try:
        race = page.locator(".jp-OutputArea-output").first
        race.wait_for(timeout=30_000)
        page.wait_for_timeout(500)
        page.screenshot(path=str(artifacts_dir / "browser_untrusted_race.png"))
        assert race.locator("img.cu-static").is_visible()
        assert race.locator("button, input, svg").count() == 0  # no dead controls
        items = race.locator("li").all_inner_texts()
        assert len(items) == 2 and all(": loss" in item for item in items), items
    finally:
        page.context.close()
