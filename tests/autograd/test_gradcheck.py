"""gradcheck / gradgradcheck catch wrong rules and say where."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad as ng
from ndgrad.autograd import Function, GradcheckError, gradcheck, gradgradcheck


class WrongSquare(Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x)
        return x * x + y, y * 2

    @staticmethod
    def backward(ctx, g1, g2):
        (x,) = ctx.saved_tensors
        return g1 * 3 * x, g1 + g2 * 2  # wrong: d(x^2)/dx is 2x


class FirstOrderOnly(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x.detach() ** 2  # right value, but detached: no second derivative


def _inputs():
    return (ng.tensor(np.array([0.5, -1.0]), requires_grad=True),
            ng.tensor(np.array([2.0, 3.0]), requires_grad=True))


def test_gradcheck_passes_on_correct_ops():
    x, y = _inputs()
    assert gradcheck(lambda a, b: (a * b).sin() + a.exp(), (x, y))
    assert gradgradcheck(lambda a, b: (a * b).sin() + a.exp(), (x, y))


def test_gradcheck_names_output_and_input_and_shows_jacobians():
    x, y = _inputs()
    with pytest.raises(GradcheckError) as e:
        gradcheck(WrongSquare.apply, (x, y))
    msg = str(e.value)
    assert "output 0 with respect to input 0" in msg
    assert "numerical:" in msg and "analytical:" in msg
    assert "1." in msg and "1.5" in msg  # 2x = [1, -2] numerically vs 3x = [1.5, -3]


def test_gradcheck_can_return_false():
    x, y = _inputs()
    assert gradcheck(WrongSquare.apply, (x, y), raise_exception=False) is False


def test_gradgradcheck_catches_non_differentiable_backward():
    x = ng.tensor(np.array([0.5, 1.5]), requires_grad=True)
    assert gradcheck(FirstOrderOnly.apply, (x,))
    with pytest.raises(GradcheckError):
        gradgradcheck(FirstOrderOnly.apply, (x,))


def test_gradcheck_refuses_inputs_without_grad():
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        ng.autograd.gradcheck(lambda t: t * 2, (ng.ones(2, dtype=ng.float64),))
