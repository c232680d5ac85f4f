"""course_utils.animation: a kernel-free race that keeps every frame, small and self-contained."""
import json
import re

import numpy as np
import pytest

from course_utils import animation, landscapes, run
from course_utils.optimizers import SGD, Adam, RMSprop

pytestmark = pytest.mark.filterwarnings("error")
RAVINE = landscapes.ravine()
START = [-5.0, 3.0]


@pytest.fixture(scope="module")
def four_runs():
    optimizers = [SGD(lr=0.09), SGD(lr=0.05, momentum=0.9), RMSprop(lr=0.1), Adam(lr=0.3)]
    return [run(opt, RAVINE, START, 150) for opt in optimizers]


@pytest.fixture(scope="module")
def four_html(four_runs):
    return animation.race_html(RAVINE, four_runs)


def payload(html):
    (text,) = re.findall(r'<script type="application/json" id="[^"]+">(.*?)</script>', html, re.S)

    def no_constants(name):
        raise AssertionError(f"JSON holds {name}")

    return json.loads(text, parse_constant=no_constants)


def test_150_frames_of_4_optimizers_stay_under_1_mb(four_html):
    size = len(four_html.encode("utf-8"))
    assert size < 1_000_000, f"{size / 1e6:.2f} MB"


def test_every_frame_of_every_run_is_in_the_html(four_runs, four_html):
    data = payload(four_html)
    assert data["frames"] == 151
    assert [r["label"] for r in data["runs"]] == [t.label for t in four_runs]
    for traj, r in zip(four_runs, data["runs"]):
        assert len(r["x"]) == len(r["y"]) == len(r["loss"]) == 151
        assert len(r["seg"]) == 150 and len(r["head"]) == 151
        np.testing.assert_allclose(np.column_stack([r["x"], r["y"]]), traj.xs, rtol=1e-6,
                                   atol=1e-12)
        np.testing.assert_allclose(r["loss"], traj.losses, rtol=1e-3, atol=1e-300)
    slider = re.search(r'<input type="range" class="cu-slider" min="0" max="(\d+)"', four_html)
    assert slider and int(slider.group(1)) == 150


def test_the_html_is_self_contained(four_html):
    assert "<link" not in four_html and "@import" not in four_html
    for ref in re.findall(r'(?:href|src)="([^"]*)"', four_html):
        assert ref.startswith("data:image/png;base64,")  # no external scripts or images
    assert "<button" in four_html and 'class="cu-speed"' in four_html  # play, slider, speed


def test_two_animations_never_share_an_element_id(four_runs):
    first = animation.race_html(RAVINE, four_runs[:2])
    second = animation.race_html(RAVINE, four_runs[2:])
    ids_first = set(re.findall(r'id="([^"]+)"', first))
    ids_second = set(re.findall(r'id="([^"]+)"', second))
    assert ids_first and not ids_first & ids_second
    root = re.match(r'<div id="([^"]+)"', first).group(1)
    assert all(i.startswith(root) for i in ids_first)
    assert f"#{root}" in first  # the CSS is scoped to its own block


def test_a_diverged_run_stops_at_its_last_finite_point_and_says_so():
    diverged = run(SGD(lr=0.11), RAVINE, START, 80, label="SGD lr=0.11")
    k = int(diverged.diverged_at)
    html = animation.race_html(RAVINE, [run(Adam(lr=0.3), RAVINE, START, 80), diverged])
    r = payload(html)["runs"][1]
    assert r["diverged_at"] == k
    assert r["x"][k] is None and r["x"][k - 1] is not None
    assert r["head"][-1] == r["head"][k - 1]  # the head waits at the last finite point
    assert r["left_at"] > 0 and r["off"][-1] == 1
    assert f"diverged at step {k}" in html  # in the static (no-JavaScript) legend


def test_runs_of_different_lengths_share_one_timeline():
    short = run(SGD(lr=0.05), RAVINE, START, 20)
    long = run(Adam(lr=0.3), RAVINE, START, 50)
    anim = animation.race_animation(RAVINE, {"short": short, "long": long})
    data = payload(anim.html)
    assert anim.frames == data["frames"] == 51
    first = data["runs"][0]
    assert first["x"][21] is None and first["head"][50] == first["head"][20]


def test_race_animation_displays_and_saves_a_page(tmp_path, four_runs):
    anim = animation.race_animation(RAVINE, four_runs[:2])
    assert anim._repr_html_() == anim.html
    path = anim.save(tmp_path / "race.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and anim.html in text
    assert "RaceAnimation: 151 frames" in repr(anim)


def test_without_javascript_the_finished_race_is_a_plain_image(four_runs, four_html):
    # Sanitized outputs (GitHub, an untrusted notebook) drop <svg>, <style> and
    # <script>; an <img> and the legend's final statuses survive.
    assert re.search(r'<img class="cu-static" src="data:image/png;base64,[^"]+"', four_html)
    assert re.search(r'<svg class="cu-live"[^>]*style="display:none', four_html)
    assert '<div class="cu-controls" style="display:none">' in four_html
    # ...and the live view starts from the last frame too: full paths, slider at the end
    d = re.findall(r'class="cu-path" stroke="[^"]+" stroke-width="[^"]+" d="([^"]*)"', four_html)
    assert len(d) == 4 and all(path.count("L") >= 100 for path in d)
    assert "step 150 / 150" in four_html
