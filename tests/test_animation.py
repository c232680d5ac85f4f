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
    slider = re.search(r'<input type="range" class="cu-slider" min="0" max="(\d+)"', data["live"])
    assert slider and int(slider.group(1)) == 150


def test_the_html_is_self_contained(four_html):
    live = payload(four_html)["live"]
    for text in (four_html, live):
        assert "<link" not in text and "@import" not in text
        for ref in re.findall(r'(?:href|src)="([^"]*)"', text):
            assert ref.startswith("data:image/png;base64,")  # no external scripts or images
    assert "<button" in live and 'class="cu-speed"' in live  # play, slider, speed


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


def test_without_javascript_the_race_plays_as_an_animated_image(four_runs, four_html):
    # Sanitized outputs (GitHub, an untrusted notebook) drop <svg>, <style> and
    # <script>: what is left must be the animated picture and a readable legend,
    # with no dead controls and no run-together text.
    from io import BytesIO

    from PIL import Image

    shown = re.sub(r"<script.*?</script>|<style>.*?</style>", "", four_html, flags=re.S)
    assert "<svg" not in shown and "<button" not in shown and "<input" not in shown
    (data,) = re.findall(r'<img class="cu-static" src="data:image/png;base64,([^"]+)"', shown)
    import base64

    picture = Image.open(BytesIO(base64.b64decode(data)))
    assert picture.n_frames >= 20 and getattr(picture, "is_animated", False)
    items = re.findall(r'<li class="cu-item">(.*?)</li>', shown)
    assert len(items) == 4 and all(": loss" in item or "diverged" in item for item in items)
    # ...and the live view starts from the last frame: full paths, slider at the end
    live = payload(four_html)["live"]
    d = re.findall(r'class="cu-path" stroke="[^"]+" stroke-width="[^"]+" d="([^"]*)"', live)
    assert len(d) == 4 and all(path.count("L") >= 100 for path in d)
    assert "step 150 / 150" in live
