"""ng.func transforms (grad, vjp, jvp, vmap, jacrev, jacfwd, hessian) against closed forms."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad as ng
from ndgrad import func as F

X = np.array([0.5, -1.0, 2.0])
A = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]])


def t(a, requires_grad=False):
    return ng.tensor(np.array(a, dtype=np.float64), requires_grad=requires_grad)


def test_grad_returns_function_and_closed_form():
    g = F.grad(lambda x: (x.sin() * x).sum())
    out = g(t(X))
    np.testing.assert_allclose(out.numpy(), np.cos(X) * X + np.sin(X), rtol=1e-12)
    assert not out.requires_grad


def test_grad_argnums_and_has_aux():
    def f(x, y):
        return (x * y).sum() + (y * y).sum(), x.exp()

    y = np.array([1.0, 2.0, -3.0])
    (gx, gy), aux = F.grad(f, argnums=(0, 1), has_aux=True)(t(X), t(y))
    np.testing.assert_allclose(gx.numpy(), y)
    np.testing.assert_allclose(gy.numpy(), X + 2 * y)
    np.testing.assert_allclose(aux.numpy(), np.exp(X))
    gy_only = F.grad(lambda x, y: (x * y).sum(), argnums=1)(t(X), t(y))
    np.testing.assert_allclose(gy_only.numpy(), X)
    g, v = F.grad_and_value(lambda x: (x ** 2).sum())(t(X))
    np.testing.assert_allclose(g.numpy(), 2 * X)
    np.testing.assert_allclose(v.numpy(), (X ** 2).sum())


def test_grad_requires_scalar_output():
    with pytest.raises(RuntimeError, match="scalar Tensor"):
        F.grad(lambda x: x * 2)(t(X))


def test_nested_grad_gives_second_derivative():
    d2 = F.grad(lambda x: F.grad(lambda z: (z ** 4).sum())(x).sum())(t(X))
    np.testing.assert_allclose(d2.numpy(), 12 * X ** 2, rtol=1e-12)


def test_vjp_fn_reusable():
    out, vjp_fn = F.vjp(lambda x: t(A) @ x.exp(), t(X))
    np.testing.assert_allclose(out.numpy(), A @ np.exp(X))
    for ct in ([1.0, 0.0], [2.0, -1.0]):
        (g,) = vjp_fn(t(ct))
        np.testing.assert_allclose(g.numpy(), (np.array(ct) @ A) * np.exp(X), rtol=1e-12)


def test_vjp_two_primals():
    out, vjp_fn = F.vjp(lambda x, y: x * y, t(X), t([2.0, 3.0, 4.0]))
    gx, gy = vjp_fn(t(np.ones(3)))
    np.testing.assert_allclose(gx.numpy(), [2.0, 3.0, 4.0])
    np.testing.assert_allclose(gy.numpy(), X)


def test_jvp_closed_form():
    v = np.array([1.0, -2.0, 0.5])
    out, jv = F.jvp(lambda x: t(A) @ x.tanh(), (t(X),), (t(v),))
    np.testing.assert_allclose(out.numpy(), A @ np.tanh(X))
    np.testing.assert_allclose(jv.numpy(), A @ ((1 - np.tanh(X) ** 2) * v), rtol=1e-12)
    with pytest.raises(RuntimeError, match="tuples"):
        F.jvp(lambda x: x, t(X), t(v))


def test_vmap_loops_over_batch():
    b = np.arange(12.0).reshape(4, 3) / 5
    w = t(X)
    out = F.vmap(lambda r: (r * w).sum())(t(b))
    np.testing.assert_allclose(out.numpy(), b @ X)
    out2 = F.vmap(lambda c, s: c * s, in_dims=(1, None), out_dims=1)(t(b), 2.0)
    assert out2.shape == (4, 3)
    np.testing.assert_allclose(out2.numpy(), 2 * b)
    pair = F.vmap(lambda r: (r.sum(), r * 2))(t(b))
    np.testing.assert_allclose(pair[0].numpy(), b.sum(1))
    np.testing.assert_allclose(pair[1].numpy(), 2 * b)
    with pytest.raises(ValueError, match="same size"):
        F.vmap(lambda p, q: p + q)(t(b), t(np.ones((3, 3))))


def test_vmap_of_grad_is_per_sample_gradient():
    b = np.array([[0.1, 0.2, 0.3], [1.0, -1.0, 2.0]])
    g = F.vmap(F.grad(lambda r: (r ** 3).sum()))(t(b))
    np.testing.assert_allclose(g.numpy(), 3 * b ** 2, rtol=1e-12)


def test_vmap_is_differentiable():
    b = t(np.array([[1.0, 2.0, 3.0], [0.5, 0.5, 0.5]]), requires_grad=True)
    F.vmap(lambda r: (r * r).sum())(b).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), 2 * b.detach().numpy())


def test_jacrev_jacfwd_hessian():
    jr = F.jacrev(lambda x: t(A) @ x.sin())(t(X))
    jf = F.jacfwd(lambda x: t(A) @ x.sin())(t(X))
    expect = A * np.cos(X)[None, :]
    np.testing.assert_allclose(jr.numpy(), expect, rtol=1e-12)
    np.testing.assert_allclose(jf.numpy(), expect, rtol=1e-12)
    h = F.hessian(lambda x: (x ** 3).sum() + x[0] * x[2])(t(X))
    he = np.diag(6 * X)
    he[0, 2] = he[2, 0] = 1.0
    np.testing.assert_allclose(h.numpy(), he, rtol=1e-12)


def test_vmap_dim_errors_are_pytorchs():
    x = ng.ones((3, 2))
    with pytest.raises(ValueError, match="expected in_dim to satisfy -2 <= in_dim < 2"):
        ng.func.vmap(lambda t: t * 2, in_dims=2)(x)
    with pytest.raises(ValueError, match="out_dim is None"):
        ng.func.vmap(lambda t: t * 2, out_dims=None)(ng.tensor([[1.0, 2.0], [3.0, 4.0]]))
    same = ng.func.vmap(lambda t, c: c * 1, in_dims=(0, None), out_dims=None)(x, ng.ones(2))
    np.testing.assert_array_equal(same.numpy(), [1.0, 1.0])  # the same for every element
    with pytest.raises(NotImplementedError, match="size 0"):
        ng.func.vmap(lambda t: t * 2)(ng.zeros((0, 3)))
