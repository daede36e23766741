"""Forward-mode AD (dual tensors) against closed-form tangents."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad as ng
import ndgrad.autograd.forward_ad as fwAD

X = np.array([0.5, -1.0, 2.0])
TX = np.array([1.0, 0.5, -1.0])
W = np.array([0.3, -0.2, 0.7])
TW = np.array([2.0, 1.0, 1.0])


def t(a, requires_grad=False):
    return ng.tensor(np.array(a, dtype=np.float64), requires_grad=requires_grad)


def test_composite_tangent_two_duals():
    with fwAD.dual_level():
        x = fwAD.make_dual(t(X), t(TX))
        w = fwAD.make_dual(t(W), t(TW))
        y = (x.sin() * w + x.exp()) * x.tanh()
        primal, tangent = fwAD.unpack_dual(y)
    a = np.sin(X) * W + np.exp(X)
    da = (np.cos(X) * W + np.exp(X)) * TX + np.sin(X) * TW
    np.testing.assert_allclose(primal.numpy(), a * np.tanh(X), rtol=1e-12)
    expect = da * np.tanh(X) + a * (1 - np.tanh(X) ** 2) * TX
    np.testing.assert_allclose(tangent.numpy(), expect, rtol=1e-12)


def test_tangent_through_matmul_and_reduction():
    a = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]])
    with fwAD.dual_level():
        x = fwAD.make_dual(t(X), t(TX))
        y = (t(a) @ (x * x)).sum()
        _, tan = fwAD.unpack_dual(y)
    np.testing.assert_allclose(tan.numpy(), (a @ (2 * X * TX)).sum(), rtol=1e-12)


def test_unpack_dual_of_dual_and_non_dual():
    p = t(X)
    with fwAD.dual_level():
        x = fwAD.make_dual(p, t(TX))
        up = fwAD.unpack_dual(x)
        assert up.primal is p and up._fields == ("primal", "tangent")
        np.testing.assert_allclose(up.tangent.numpy(), TX)
        other = t(W, requires_grad=True) * 2
        assert fwAD.unpack_dual(other).tangent is None
        assert fwAD.unpack_dual(t(W)).tangent is None
        y = x * 3
    assert fwAD.unpack_dual(y).tangent is None  # level closed


def test_only_reached_duals_count():
    with fwAD.dual_level():
        x = fwAD.make_dual(t(X), t(TX))
        fwAD.make_dual(t(W), t(TW))  # unused dual
        _, tan = fwAD.unpack_dual(x.exp())
    np.testing.assert_allclose(tan.numpy(), np.exp(X) * TX, rtol=1e-12)


def test_make_dual_requires_level_and_matching_shape():
    with pytest.raises(RuntimeError, match="no level exists"):
        fwAD.make_dual(t(X), t(TX))
    with fwAD.dual_level(), pytest.raises(RuntimeError, match="different size"):
        fwAD.make_dual(t(X), t(TW[:2]))


def test_reverse_through_dual_reaches_primal():
    p = t(X, requires_grad=True)
    with fwAD.dual_level():
        x = fwAD.make_dual(p, t(TX))
        y = (x * x).sum()
        _, tan = fwAD.unpack_dual(y)
        # d(tangent)/dp = 2 * TX: the tangent is differentiable when the primal requires grad
        (g,) = ng.autograd.grad(tan, p)
    np.testing.assert_allclose(tan.detach().numpy(), (2 * X * TX).sum(), rtol=1e-12)
    np.testing.assert_allclose(g.numpy(), 2 * TX, rtol=1e-12)
