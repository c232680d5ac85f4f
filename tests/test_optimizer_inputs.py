"""Bad hyperparameters and bad inputs fail loudly, with torch's messages; bad
numbers (NaN or inf gradients, absurd learning rates) never raise and never
warn: they just propagate, and the runner reports the divergence.
"""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from course_utils.optimizers import (SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, EMAMomentum,
                                     HeavyBall, NAdam, NesterovLookahead, RAdam, RMSprop)

ALL = [SGD, Adagrad, RMSprop, Adam, AdamW, NAdam, RAdam, Adadelta, Adamax,
       HeavyBall, EMAMomentum, NesterovLookahead]
WITH_BETAS = [Adam, AdamW, NAdam, RAdam, Adamax]
WITH_EPS = [Adagrad, RMSprop, Adam, AdamW, NAdam, RAdam, Adadelta, Adamax]
WITH_WEIGHT_DECAY = [SGD, Adagrad, RMSprop, Adam, AdamW, NAdam, RAdam, Adadelta, Adamax]
TEXTBOOK = [HeavyBall, EMAMomentum, NesterovLookahead]
SMALL = settings(max_examples=50, deadline=None)
TINY = settings(max_examples=20, deadline=None)

classes = st.sampled_from
negative = st.floats(max_value=0, exclude_max=True, allow_infinity=False)
non_finite = st.sampled_from([np.nan, np.inf, -np.inf])


def message(prefix: str, value) -> str:
    """A regex for torch's message text, "Invalid learning rate: -0.1"."""
    return "^" + re.escape(f"{prefix}: {float(value)}")


# -- hyperparameters ----------------------------------------------------------

@SMALL
@given(cls=classes(ALL), lr=st.floats(max_value=0, allow_infinity=False))
def test_lr_at_or_below_zero_is_rejected_with_torchs_message(cls, lr):
    with pytest.raises(ValueError, match=message("Invalid learning rate", lr)):
        cls(lr=lr)


def test_lr_zero_is_rejected_with_the_reason():
    with pytest.raises(ValueError, match=re.escape("Invalid learning rate: 0.0 (must be > 0)")):
        SGD(lr=0)


@TINY
@given(cls=classes(ALL), lr=non_finite)
def test_non_finite_lr_is_rejected(cls, lr):
    with pytest.raises(ValueError, match=r"^Invalid learning rate: .* \(must be finite\)"):
        cls(lr=lr)


@SMALL
@given(cls=classes(WITH_BETAS), index=st.sampled_from([0, 1]),
       beta=st.floats().filter(lambda b: not 0 <= b < 1))
def test_betas_outside_zero_to_one_are_rejected(cls, index, beta):
    betas = [0.9, 0.999]
    betas[index] = beta
    with pytest.raises(ValueError, match=f"^Invalid beta parameter at index {index}: "):
        cls(betas=tuple(betas))


@SMALL
@given(cls=classes(TEXTBOOK), beta=st.floats().filter(lambda b: not 0 <= b < 1))
def test_textbook_beta_outside_zero_to_one_is_rejected(cls, beta):
    with pytest.raises(ValueError, match="^Invalid beta value: "):
        cls(lr=0.1, beta=beta)


@SMALL
@given(cls=classes([SGD, RMSprop]), momentum=negative)
def test_negative_momentum_is_rejected(cls, momentum):
    with pytest.raises(ValueError, match=message("Invalid momentum value", momentum)):
        cls(momentum=momentum)


@SMALL
@given(cls=classes(WITH_EPS), eps=negative)
def test_negative_eps_is_rejected(cls, eps):
    with pytest.raises(ValueError, match=message("Invalid epsilon value", eps)):
        cls(eps=eps)


@SMALL
@given(cls=classes(WITH_WEIGHT_DECAY), weight_decay=negative)
def test_negative_weight_decay_is_rejected(cls, weight_decay):
    with pytest.raises(ValueError, match=message("Invalid weight_decay value", weight_decay)):
        cls(weight_decay=weight_decay)


@SMALL
@given(momentum=st.floats(0, 0.99), dampening=st.floats(-1, 1))
def test_nesterov_needs_momentum_and_no_dampening(momentum, dampening):
    assume(momentum == 0 or dampening != 0)
    with pytest.raises(ValueError,
                       match="^Nesterov momentum requires a momentum and zero dampening$"):
        SGD(lr=0.1, momentum=momentum, dampening=dampening, nesterov=True)


@SMALL
@given(lrs=arrays(np.float64, st.integers(1, 6), elements=st.floats(1e-4, 1.0)),
       where=st.integers(0, 5), bad=st.sampled_from([0.0, -0.5, np.nan, np.inf]))
def test_array_hyperparameters_are_checked_element_by_element(lrs, where, bad):
    where %= len(lrs)
    lrs[where] = bad
    with pytest.raises(ValueError, match=rf"^Invalid learning rate: .*element \({where},\)"):
        Adam(lr=lrs)


@pytest.mark.parametrize("make", [lambda: SGD(nesterov=1), lambda: Adam(amsgrad="yes"),
                                  lambda: RMSprop(centered=None)])
def test_switches_must_be_true_or_false(make):
    with pytest.raises(ValueError, match="must be True or False"):
        make()


def test_array_hyperparameters_must_broadcast_together():
    with pytest.raises(ValueError, match="must broadcast against each other"):
        SGD(lr=np.ones(3), momentum=np.full(4, 0.5))


# -- inputs to step -----------------------------------------------------------

def _mismatched(shapes):
    x_shape, g_shape = shapes
    try:
        return np.broadcast_shapes(x_shape, g_shape) != x_shape
    except ValueError:
        return True


@SMALL
@given(cls=classes(ALL),
       shapes=st.tuples(array_shapes(max_dims=3, max_side=4),
                        array_shapes(max_dims=3, max_side=4)).filter(_mismatched))
def test_gradient_that_does_not_fit_x_is_rejected(cls, shapes):
    x_shape, g_shape = shapes
    opt, x = cls(lr=0.1), np.zeros(x_shape)
    with pytest.raises(ValueError, match=re.escape(
            f"gradient shape {g_shape} does not match parameter shape {x_shape}")):
        opt.step(x, np.ones(g_shape), opt.init(x))


def test_gradient_may_broadcast_up_to_the_batch_shape():
    opt = SGD(lr=np.array([[0.1], [0.2]]))
    x1, _ = opt.step(np.zeros(2), np.ones(2), opt.init(np.zeros(2)))
    np.testing.assert_array_equal(x1, [[-0.1, -0.1], [-0.2, -0.2]])


@pytest.mark.parametrize("bad", ["x", "g"])
def test_integer_arrays_are_rejected(bad):
    opt = Adam(lr=0.1)
    x, g = np.zeros(2), np.ones(2)
    args = {"x": x, "g": g, bad: np.array([1, 2])}
    with pytest.raises(ValueError, match=f"^{bad} must be a floating-point array"):
        opt.step(args["x"], args["g"], opt.init(x))


SETTINGS = [
    lambda lr: SGD(lr=lr, momentum=0.9, nesterov=True, weight_decay=0.1),
    lambda lr: Adagrad(lr=lr, lr_decay=0.1),
    lambda lr: RMSprop(lr=lr, centered=True, momentum=0.9),
    lambda lr: Adam(lr=lr, amsgrad=True),
    lambda lr: AdamW(lr=lr),
    lambda lr: NAdam(lr=lr, weight_decay=0.1),
    lambda lr: RAdam(lr=lr, betas=(0.9, 0.9)),
    lambda lr: Adadelta(lr=lr),
    lambda lr: Adamax(lr=lr),
    lambda lr: HeavyBall(lr=lr),
    lambda lr: EMAMomentum(lr=lr),
    lambda lr: NesterovLookahead(lr=lr),
]
wild = st.floats(allow_nan=True, allow_infinity=True)


@SMALL
@given(make=st.sampled_from(SETTINGS), lr=st.floats(1e-3, 1e300),
       x=arrays(np.float64, (3, 2), elements=st.floats(-1e300, 1e300)),
       g=arrays(np.float64, (3, 2), elements=wild))
def test_nan_inf_gradients_and_huge_lr_neither_raise_nor_warn(make, lr, x, g):
    opt = make(lr)
    state = opt.init(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any RuntimeWarning fails the test
        for _ in range(3):
            x, state = opt.step(x, g, state)
            with np.errstate(over="ignore"):  # the test's own arithmetic
                g = g * 1e200  # overflows into inf on a later step
    assert x.shape == (3, 2) and state["step"] == 3
