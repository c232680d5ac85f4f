import numpy as np
import pytest

from course_utils.claims import claim


def test_claim_prints_one_fixed_line_when_it_holds(capsys):
    claim("GD needs 81 steps", 81, 81)
    claim("the rate is about 0.82", 0.8181818, 0.82, abs=0.005)
    assert capsys.readouterr().out == (
        "checked: GD needs 81 steps\nchecked: the rate is about 0.82\n")


@pytest.mark.parametrize("measured, expected, kwargs", [
    (80, 81, {}),
    (0.9, 0.82, {"abs": 0.005}),
    (np.array([2, 10]), np.array([2, 11]), {}),
    (np.array([2, 10]), np.array([2, 10, 20]), {}),
])
def test_claim_fails_loudly_when_the_text_is_wrong(measured, expected, kwargs, capsys):
    with pytest.raises(AssertionError, match="claim"):
        claim("a claim", measured, expected, **kwargs)
    assert capsys.readouterr().out == ""
