"""Derivatives of order 3 through the elementwise/reduction rules (create_graph=True three
times), against closed forms."""

from __future__ import annotations

import numpy as np

import ndgrad as ng

grad = ng.autograd.grad
X = np.linspace(-1.7, 1.9, 7)


def _three_derivatives(fn, values):
    """d/dx, d2/dx2, d3/dx3 of sum(fn(x)) for an elementwise fn (the Hessians are diagonal)."""
    x = ng.tensor(values, requires_grad=True)
    (g1,) = grad(fn(x).sum(), [x], create_graph=True)
    (g2,) = grad(g1.sum(), [x], create_graph=True)
    (g3,) = grad(g2.sum(), [x])
    return g1.detach().numpy(), g2.detach().numpy(), g3.numpy()


def test_third_derivative_of_tanh_cubed():
    g1, g2, g3 = _three_derivatives(lambda x: ng.tanh(x) ** 3, X)
    t = np.tanh(X)
    np.testing.assert_allclose(g1, 3 * t**2 * (1 - t**2), rtol=1e-12)
    np.testing.assert_allclose(g2, (6 * t - 12 * t**3) * (1 - t**2), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(g3, (1 - t**2) * (6 - 54 * t**2 + 60 * t**4), rtol=1e-10)


def test_third_derivative_of_sigmoid_times_exp():
    # f = sigmoid(x) * exp(x) = e^{2x} / (1 + e^x); checked against the product rule on
    # sigmoid's derivatives s' = s(1-s), s'' = s'(1-2s), s''' = s'(1-6s+6s^2)
    g1, g2, g3 = _three_derivatives(lambda x: ng.sigmoid(x) * ng.exp(x), X)
    s, e = 1 / (1 + np.exp(-X)), np.exp(X)
    d1 = s * (1 - s)
    d2 = d1 * (1 - 2 * s)
    d3 = d1 * (1 - 6 * s + 6 * s**2)
    np.testing.assert_allclose(g1, e * (s + d1), rtol=1e-12)
    np.testing.assert_allclose(g2, e * (s + 2 * d1 + d2), rtol=1e-12)
    np.testing.assert_allclose(g3, e * (s + 3 * d1 + 3 * d2 + d3), rtol=1e-10)


def test_third_derivatives_of_other_unary_ops():
    cases = [
        (ng.log1p, lambda x: 2 / (1 + x) ** 3, np.linspace(-0.5, 2.0, 5)),
        (ng.rsqrt, lambda x: -15 / 8 * x ** -3.5, np.linspace(0.5, 2.0, 5)),
        (ng.arctan, lambda x: (6 * x**2 - 2) / (1 + x**2) ** 3, X),
        (ng.softplus, lambda x: (s := 1 / (1 + np.exp(-x))) * (1 - s) * (1 - 2 * s), X),
        (ng.sqrt, lambda x: 3 / 8 * x ** -2.5, np.linspace(0.5, 2.0, 5)),
        (ng.tan, lambda x: 2 * (1 + np.tan(x) ** 2) * (1 + 3 * np.tan(x) ** 2),
         np.linspace(-1.0, 1.0, 5)),
    ]
    for fn, third, xs in cases:
        np.testing.assert_allclose(_three_derivatives(fn, xs)[2], third(xs), rtol=1e-9,
                                   err_msg=fn.__name__)


def test_mixed_third_derivative_of_a_binary_composite():
    # f = sum(x^2 * y^3 / (x + y)) is not separable; d3f/dx2dy by hand:
    # with u = x^2 y^3, v = 1/(x+y): compare to finite differences of the exact d2f/dx2
    x = ng.tensor(np.array([0.7, 1.3]), requires_grad=True)
    y = ng.tensor(np.array([1.1, 0.4]), requires_grad=True)
    f = (x**2 * y**3 / (x + y)).sum()
    (gx,) = grad(f, [x], create_graph=True)
    (gxx,) = grad(gx.sum(), [x], create_graph=True)
    (gxxy,) = grad(gxx.sum(), [y])

    def fxx(a, b):  # d2/dx2 of a^2 b^3 / (a + b), written out
        return b**3 * (2 / (a + b) - 4 * a / (a + b) ** 2 + 2 * a**2 / (a + b) ** 3)

    a, b, h = x.detach().numpy(), y.detach().numpy(), 1e-6
    np.testing.assert_allclose(gxxy.numpy(), (fxx(a, b + h) - fxx(a, b - h)) / (2 * h),
                               rtol=1e-6)


def test_third_order_through_reductions():
    # logsumexp over 2 entries: d3/dx0^3 of log(e^x0 + e^x1) = s(1-s)(1-2s), s = softmax_0
    x = ng.tensor(np.array([0.3, -0.4]), requires_grad=True)
    (g1,) = grad(ng.logsumexp(x, 0), [x], create_graph=True)
    (g2,) = grad(g1[0], [x], create_graph=True)
    (g3,) = grad(g2[0], [x])
    s = 1 / (1 + np.exp(-0.7))
    np.testing.assert_allclose(g3.numpy()[0], s * (1 - s) * (1 - 2 * s), rtol=1e-10)
    # prod over three entries: d3/(dx0 dx1 dx2) = 1, also when an entry is 0
    for v in ([2.0, 3.0, 5.0], [0.0, 3.0, 0.0]):
        x = ng.tensor(np.array(v), requires_grad=True)
        (g1,) = grad(ng.prod(x), [x], create_graph=True)
        (g2,) = grad(g1[0], [x], create_graph=True)
        (g3,) = grad(g2[1], [x])
        np.testing.assert_allclose(g3.numpy(), [0.0, 0.0, 1.0], atol=1e-12)
    # var: the third derivative of a quadratic is 0, the second is 2/(n-1) (1 - 1/n) on the
    # diagonal
    x = ng.tensor(np.array([1.0, 4.0, 2.0, 8.0]), requires_grad=True)
    (g1,) = grad(ng.var(x), [x], create_graph=True)
    (g2,) = grad(g1[0], [x], create_graph=True)
    np.testing.assert_allclose(g2.detach().numpy(), [2 / 3 * 0.75, -2 / 3 * 0.25,
                                                     -2 / 3 * 0.25, -2 / 3 * 0.25])
    assert not g2.requires_grad  # constant: every third derivative is 0, as in PyTorch
