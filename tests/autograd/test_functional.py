"""ng.autograd.functional against closed forms: jacobian, hessian, vjp, jvp, hvp, vhp."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad as ng
from ndgrad.autograd import functional as AF

X = np.array([0.5, -1.2, 2.0])
Y = np.array([1.5, 0.3])


def t(a, requires_grad=False):
    return ng.tensor(np.array(a, dtype=np.float64), requires_grad=requires_grad)


def test_jacobian_elementwise_is_diagonal():
    jac = AF.jacobian(lambda x: x.sin() * x, t(X))
    assert isinstance(jac, ng.Tensor) and jac.shape == (3, 3)
    np.testing.assert_allclose(jac.numpy(), np.diag(np.cos(X) * X + np.sin(X)), rtol=1e-12)
    assert not jac.requires_grad


def test_jacobian_matrix_function_shapes_and_values():
    a = np.arange(6.0).reshape(2, 3) / 7
    jac = AF.jacobian(lambda x: t(a) @ x.exp(), t(X))
    np.testing.assert_allclose(jac.numpy(), a * np.exp(X)[None, :], rtol=1e-12)
    m = np.array([[1.0, 2.0], [3.0, -1.0]])
    jac2 = AF.jacobian(lambda w: w * w, t(m))
    assert jac2.shape == (2, 2, 2, 2)
    expect = np.zeros((2, 2, 2, 2))
    for i in range(2):
        for j in range(2):
            expect[i, j, i, j] = 2 * m[i, j]
    np.testing.assert_allclose(jac2.numpy(), expect)


def test_jacobian_tuple_structures():
    def f(x, y):
        return x.sum() * y, (x * x).sum() + y * 0

    jac = AF.jacobian(f, (t(X), t(Y)))
    assert isinstance(jac, tuple) and len(jac) == 2 and all(len(r) == 2 for r in jac)
    np.testing.assert_allclose(jac[0][0].numpy(), np.outer(Y, np.ones(3)))
    np.testing.assert_allclose(jac[0][1].numpy(), X.sum() * np.eye(2))
    np.testing.assert_allclose(jac[1][0].numpy(), np.outer(np.ones(2), 2 * X))
    np.testing.assert_allclose(jac[1][1].numpy(), np.zeros((2, 2)))
    # tuple inputs, single output -> tuple of Tensors
    single = AF.jacobian(lambda x, y: x.sum() * y, (t(X), t(Y)))
    assert isinstance(single, tuple) and len(single) == 2
    assert isinstance(single[0], ng.Tensor) and single[0].shape == (2, 3)


def test_jacobian_unused_input_zero_or_strict_error():
    jac = AF.jacobian(lambda x, y: x * 2, (t(X), t(Y)))
    np.testing.assert_allclose(jac[1].numpy(), np.zeros((3, 2)))
    with pytest.raises(RuntimeError, match="independent of input 1"):
        AF.jacobian(lambda x, y: x * 2, (t(X), t(Y)), strict=True)


def test_jacobian_create_graph_differentiable():
    x = t(X, requires_grad=True)
    jac = AF.jacobian(lambda v: v ** 3, x, create_graph=True)
    assert jac.requires_grad
    (g,) = ng.autograd.grad(jac.sum(), x)
    np.testing.assert_allclose(g.numpy(), 6 * X)


def test_hessian_of_cubic_sum_is_diag_6x():
    h = AF.hessian(lambda x: (x ** 3).sum(), t(X))
    np.testing.assert_allclose(h.numpy(), np.diag(6 * X), rtol=1e-12)


def test_hessian_mixed_tuple_inputs():
    # f = sum(x)^2 * y0 + sin(y1) * x0
    def f(x, y):
        return x.sum() * x.sum() * y[0] + y[1].sin() * x[0]

    h = AF.hessian(f, (t(X), t(Y)))
    s = X.sum()
    hxx = np.full((3, 3), 2 * Y[0])
    hxy = np.zeros((3, 2))
    hxy[:, 0] = 2 * s
    hxy[0, 1] = np.cos(Y[1])
    hyy = np.array([[0.0, 0.0], [0.0, -np.sin(Y[1]) * X[0]]])
    np.testing.assert_allclose(h[0][0].numpy(), hxx, rtol=1e-12)
    np.testing.assert_allclose(h[0][1].numpy(), hxy, rtol=1e-12)
    np.testing.assert_allclose(h[1][0].numpy(), hxy.T, rtol=1e-12)
    np.testing.assert_allclose(h[1][1].numpy(), hyy, rtol=1e-12, atol=1e-15)


def test_hessian_rejects_vector_output():
    with pytest.raises(RuntimeError, match="single element"):
        AF.hessian(lambda x: x * 2, t(X))


def test_vjp_closed_form():
    v = np.array([1.0, -2.0, 0.5])
    out, g = AF.vjp(lambda x: x.exp() * x, t(X), t(v))
    np.testing.assert_allclose(out.numpy(), np.exp(X) * X)
    np.testing.assert_allclose(g.numpy(), v * np.exp(X) * (1 + X), rtol=1e-12)
    with pytest.raises(RuntimeError, match="v can only be None"):
        AF.vjp(lambda x: x * 2, t(X))
    with pytest.raises(RuntimeError, match="invalid size"):
        AF.vjp(lambda x: x * 2, t(X), t(Y))


def test_vjp_tuple_in_out():
    a = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]])

    def f(x, y):
        return t(a) @ x, (y * y).sum()

    out, (gx, gy) = AF.vjp(f, (t(X), t(Y)), (t([1.0, 2.0]), t(3.0)))
    assert isinstance(out, tuple) and len(out) == 2
    np.testing.assert_allclose(gx.numpy(), a.T @ np.array([1.0, 2.0]))
    np.testing.assert_allclose(gy.numpy(), 3.0 * 2 * Y)


def test_jvp_double_backward_trick():
    v = np.array([0.3, 1.0, -2.0])
    a = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]])
    out, jv = AF.jvp(lambda x: t(a) @ x.tanh(), t(X), t(v))
    np.testing.assert_allclose(out.numpy(), a @ np.tanh(X))
    np.testing.assert_allclose(jv.numpy(), a @ ((1 - np.tanh(X) ** 2) * v), rtol=1e-12)
    assert not jv.requires_grad


def test_jvp_tuple_inputs_and_constant_output():
    out, jv = AF.jvp(lambda x, y: (x * y[0]).sum(), (t(X), t(Y)), (t(np.ones(3)), t([2.0, 5.0])))
    np.testing.assert_allclose(jv.numpy(), Y[0] * 3 + 2.0 * X.sum())
    _, jz = AF.jvp(lambda x: x.detach() * 2, t(X), t(np.ones(3)))
    np.testing.assert_allclose(jz.numpy(), np.zeros(3))


def test_hvp_and_vhp_closed_form():
    # f = sum(x^2 * y0) + x0 * x1 ; H = diag(2 y0) + offdiag(0,1)
    y0 = 1.7

    def f(x):
        return (x * x * y0).sum() + x[0] * x[1]

    h = np.diag(np.full(3, 2 * y0))
    h[0, 1] = h[1, 0] = 1.0
    v = np.array([1.0, -1.0, 2.0])
    val, hv = AF.hvp(f, t(X), t(v))
    np.testing.assert_allclose(val.numpy(), (X * X * y0).sum() + X[0] * X[1])
    np.testing.assert_allclose(hv.numpy(), h @ v, rtol=1e-12)
    _, vh = AF.vhp(f, t(X), t(v))
    np.testing.assert_allclose(vh.numpy(), v @ h, rtol=1e-12)


def test_hvp_nonquadratic():
    v = np.array([0.5, 0.25, -1.0])
    _, hv = AF.hvp(lambda x: x.exp().sum(), t(X), t(v))
    np.testing.assert_allclose(hv.numpy(), np.exp(X) * v, rtol=1e-12)
    with pytest.raises(RuntimeError, match="single element"):
        AF.hvp(lambda x: x.exp(), t(X), t(v))
