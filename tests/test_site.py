"""`make site` in Chromium from a local folder, with the network off.

Builds the site (tools/build_site.py) from a small lecture executed here -
markdown math, a figure, an explorer, a race and a race animation - and one
stored exercise, opens it from file:// in an offline headless Chromium and
checks: the math is MathML (no raw $...$), every image loads, the animation
plays, and the explorer's lr and the race's beta sliders change the drawing
with no kernel anywhere.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
import pytest

from lab_server import chromium, missing, race_animation_plays

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
IN_CI = os.environ.get("CI", "").lower() == "true"

LECTURE = [
    ("markdown", "# Lecture 99 - A tiny lecture\n\nThe ravine $L(\\theta) = \\theta_1^2 + "
                 "10\\theta_2^2$ has\n\n$$\\frac{2}{\\lambda_{\\max}} = 0.1.$$"),
    ("code", "%matplotlib inline\nimport matplotlib.pyplot as plt\n"
             "from course_utils import animation, landscapes, plotting, run, widgets\n"
             "from course_utils.optimizers import SGD, Adam"),
    ("code", "plotting.contour(landscapes.ravine())\nplt.show()"),
    ("code", "explorer = widgets.explorer(optimizers=('SGD', 'Adam'), steps=40)\nexplorer"),
    ("code", "race = widgets.race(optimizers=('SGD', 'SGD+momentum'), steps=40)\nrace"),
    ("code", "race.animation()"),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    reason = missing()
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true requires the site test to run: {reason}")
        pytest.skip(reason)
    from nbclient import NotebookClient

    import build_site

    folder = tmp_path_factory.mktemp("site")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(src) if kind == "markdown"
                else nbformat.v4.new_code_cell(src) for kind, src in LECTURE]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    lecture = folder / "99_tiny.ipynb"
    nbformat.write(nb, lecture)
    report = build_site.build(folder / "out", [lecture], [ROOT / "exercises" / "01_ravine.ipynb"])
    assert report["pages"] == 3 and report["bytes"] < build_site.BUDGET_BYTES
    return folder / "out"


def test_the_site_works_offline_from_a_local_folder(site, artifacts_dir):
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 720}, offline=True)
        requests = []
        context.on("request", lambda r: requests.append(r.url))
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto((site / "index.html").as_uri())
        assert page.locator("nav a", has_text="Lecture 99").count() == 1
        assert page.locator("nav a", has_text="Exercises 01").count() == 1
        page.locator("main a", has_text="Lecture 99").click()
        page.wait_for_selector(".cu-view canvas", state="attached")
        # math rendered by the browser from MathML
        assert page.locator("math").count() == 2
        assert "$" not in page.locator("main").inner_text().split("In [")[0]  # the prose before the code
        assert page.evaluate("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
        # the animation plays
        assert race_animation_plays(page, 700)
        # the kernel-free sliders
        for index, label in ((0, "lr"), (1, "beta")):
            view = page.locator(".cu-view").nth(index)
            view.scroll_into_view_if_needed()
            canvas = view.locator("canvas")
            if label == "beta":
                step = view.locator(".cu-control", has=page.locator("label", has_text="step"))
                step.locator("input[type=range]").focus()
                page.keyboard.press("End")
            picture = canvas.screenshot()
            control = view.locator(".cu-control", has=page.locator("label", has_text=label))
            control.locator("input[type=range]").focus()
            page.keyboard.press("ArrowLeft")
            page.wait_for_timeout(300)
            assert canvas.screenshot() != picture, f"the {label} slider changed nothing"
        page.screenshot(path=str(artifacts_dir / "site_lecture.png"))
        assert not errors, errors
        assert all(url.startswith("file://") or url.startswith("data:") for url in requests), \
            [u for u in requests if not u.startswith(("file://", "data:"))]
        context.close()
