"""Property tests (hypothesis) for the elementwise and reduction families: random broadcastable
shapes, dims and keepdim. Values are compared with NumPy; gradients with NumPy closed forms,
summed over the broadcast dims the way the engine must reduce them."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import ndgrad as ng

shapes = st.lists(st.integers(1, 3), min_size=0, max_size=3).map(tuple)


@st.composite
def broadcastable_pair(draw):
    """Two shapes that broadcast: one is the other with dims set to 1 or leading dims dropped."""
    full = draw(shapes)
    other = tuple(1 if draw(st.booleans()) else s for s in full)
    other = other[draw(st.integers(0, len(other))):]
    return (full, other) if draw(st.booleans()) else (other, full)


def _unbroadcast(g, shape):
    """Sum a broadcast-shaped gradient back to ``shape`` (the reference for the engine)."""
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))
    return g.sum(axis=tuple(i for i, s in enumerate(shape) if s == 1), keepdims=True)


def _values(shape, seed, lo=-2.0, hi=2.0):
    return np.random.default_rng(seed).uniform(lo, hi, shape)


# (op, NumPy forward, d/dx, d/dy, domain of x, domain of y)
BINARY = {
    "add": (ng.add, np.add, lambda x, y: np.ones_like(x + y), lambda x, y: np.ones_like(x + y),
            (-2, 2), (-2, 2)),
    "sub": (ng.sub, np.subtract, lambda x, y: np.ones_like(x + y),
            lambda x, y: -np.ones_like(x + y), (-2, 2), (-2, 2)),
    "mul": (ng.mul, np.multiply, lambda x, y: y + 0 * x, lambda x, y: x + 0 * y, (-2, 2),
            (-2, 2)),
    "div": (ng.div, np.divide, lambda x, y: 1 / y + 0 * x, lambda x, y: -x / y**2, (-2, 2),
            (0.5, 2)),
    "pow": (ng.pow, np.power, lambda x, y: y * x ** (y - 1), lambda x, y: x**y * np.log(x),
            (0.5, 2), (-2, 2)),
    "maximum": (ng.maximum, np.maximum, lambda x, y: (x > y) + 0.0, lambda x, y: (x < y) + 0.0,
                (-2, 2), (-2, 2)),
    "minimum": (ng.minimum, np.minimum, lambda x, y: (x < y) + 0.0, lambda x, y: (x > y) + 0.0,
                (-2, 2), (-2, 2)),
    "arctan2": (ng.arctan2, np.arctan2, lambda x, y: y / (x**2 + y**2),
                lambda x, y: -x / (x**2 + y**2), (0.5, 2), (-2, 2)),
    "remainder": (ng.remainder, np.remainder, lambda x, y: np.ones_like(x + y),
                  lambda x, y: -np.floor(x / y), (-2, 2), (0.5, 2)),
}

# (op, NumPy forward, derivative, domain)
UNARY = {
    "exp": (ng.exp, np.exp, np.exp, (-2, 2)),
    "expm1": (ng.expm1, np.expm1, np.exp, (-2, 2)),
    "log": (ng.log, np.log, lambda x: 1 / x, (0.2, 3)),
    "log1p": (ng.log1p, np.log1p, lambda x: 1 / (1 + x), (-0.5, 3)),
    "sqrt": (ng.sqrt, np.sqrt, lambda x: 0.5 / np.sqrt(x), (0.2, 3)),
    "rsqrt": (ng.rsqrt, lambda x: x**-0.5, lambda x: -0.5 * x**-1.5, (0.2, 3)),
    "tan": (ng.tan, np.tan, lambda x: 1 / np.cos(x) ** 2, (-1.2, 1.2)),
    "sinh": (ng.sinh, np.sinh, np.cosh, (-2, 2)),
    "cosh": (ng.cosh, np.cosh, np.sinh, (-2, 2)),
    "arcsin": (ng.arcsin, np.arcsin, lambda x: 1 / np.sqrt(1 - x**2), (-0.9, 0.9)),
    "arccos": (ng.arccos, np.arccos, lambda x: -1 / np.sqrt(1 - x**2), (-0.9, 0.9)),
    "arctan": (ng.arctan, np.arctan, lambda x: 1 / (1 + x**2), (-2, 2)),
    "sigmoid": (ng.sigmoid, lambda x: 1 / (1 + np.exp(-x)),
                lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2, (-4, 4)),
    "softplus": (ng.softplus, lambda x: np.logaddexp(0, x), lambda x: 1 / (1 + np.exp(-x)),
                 (-4, 4)),
    "reciprocal": (ng.reciprocal, np.reciprocal, lambda x: -1 / x**2, (0.5, 2)),
    "relu": (ng.relu, lambda x: np.maximum(x, 0), lambda x: (x > 0) + 0.0, (-2, 2)),
    "abs": (ng.abs, np.abs, np.sign, (-2, 2)),
    "clamp": (lambda x: ng.clamp(x, -0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7),
              lambda x: ((x >= -0.5) & (x <= 0.7)) + 0.0, (-2, 2)),
}


@given(st.sampled_from(sorted(BINARY)), broadcastable_pair(), st.integers(0, 2**16))
def test_binary_value_and_gradients_reduce_over_broadcast_dims(name, pair, seed):
    op, ref, dx, dy, xd, yd = BINARY[name]
    sx, sy = pair
    a, b = _values(sx, seed, *xd), _values(sy, seed + 1, *yd)
    w = _values(np.broadcast_shapes(sx, sy), seed + 2)
    x, y = ng.tensor(a, requires_grad=True), ng.tensor(b, requires_grad=True)
    out = op(x, y)
    np.testing.assert_allclose(out.detach().numpy(), ref(a, b), rtol=1e-12)
    (out * ng.tensor(w)).sum().backward()
    assert x.grad.shape == sx and y.grad.shape == sy
    np.testing.assert_allclose(x.grad.numpy(), _unbroadcast(w * dx(a, b), sx).reshape(sx),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(y.grad.numpy(), _unbroadcast(w * dy(a, b), sy).reshape(sy),
                               rtol=1e-10, atol=1e-12)


@given(st.sampled_from(sorted(UNARY)), shapes, st.integers(0, 2**16))
def test_unary_value_and_gradient(name, shape, seed):
    op, ref, d, dom = UNARY[name]
    a, w = _values(shape, seed, *dom), _values(shape, seed + 1)
    x = ng.tensor(a, requires_grad=True)
    out = op(x)
    np.testing.assert_allclose(out.detach().numpy(), ref(a), rtol=1e-12, atol=1e-300)
    (out * ng.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), w * d(a), rtol=1e-10, atol=1e-12)


@st.composite
def shape_and_dims(draw):
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple))
    dims = draw(st.lists(st.integers(-len(shape), len(shape) - 1), max_size=len(shape),
                         unique_by=lambda d: d % len(shape)))
    return shape, (None if not dims else tuple(dims)), draw(st.booleans())


REDUCTIONS = {
    "sum": (ng.sum, np.sum), "mean": (ng.mean, np.mean), "prod": (ng.prod, np.prod),
    "amax": (ng.amax, np.amax), "amin": (ng.amin, np.amin),
    "logsumexp": (ng.logsumexp,
                  lambda a, axis, keepdims: np.log(np.exp(a).sum(axis=axis, keepdims=keepdims))),
    "var": (ng.var, lambda a, axis, keepdims: np.var(a, axis=axis, keepdims=keepdims, ddof=1)),
    "std": (lambda x, dim, keepdim: ng.std(x, dim, keepdim=keepdim, correction=0),
            np.std),
}


@given(st.sampled_from(sorted(REDUCTIONS)), shape_and_dims(), st.integers(0, 2**16))
def test_reductions_match_numpy_for_random_dims(name, sdk, seed):
    op, ref = REDUCTIONS[name]
    shape, dims, keepdim = sdk
    n = int(np.prod([shape[d] for d in dims])) if dims is not None else int(np.prod(shape))
    if name == "var" and n < 2:
        dims, n = None, int(np.prod(shape))
        if n < 2:
            return
    a = _values(shape, seed, 0.5, 1.5)
    out = op(ng.tensor(a), dims, keepdim=keepdim)
    want = ref(a, axis=dims, keepdims=keepdim)
    assert out.shape == np.shape(want)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-10)


@given(shape_and_dims(), st.integers(0, 2**16))
def test_reduction_gradients_have_closed_forms(sdk, seed):
    shape, dims, keepdim = sdk
    a = _values(shape, seed, 0.5, 1.5)
    axis = dims

    def grad_of(fn):
        x = ng.tensor(a, requires_grad=True)
        out = fn(x)
        w = _values(out.shape, seed + 1)
        (out * ng.tensor(w)).sum().backward()
        return x.grad.numpy(), (w if keepdim else np.expand_dims(w, axis) if axis is not None
                                else w.reshape((1,) * a.ndim))

    g, w = grad_of(lambda x: ng.prod(x, dims, keepdim=keepdim))
    np.testing.assert_allclose(g, w * np.prod(a, axis=axis, keepdims=True) / a, rtol=1e-10)
    g, w = grad_of(lambda x: ng.logsumexp(x, dims, keepdim=keepdim))
    lse = np.log(np.exp(a).sum(axis=axis, keepdims=True))
    np.testing.assert_allclose(g, w * np.exp(a - lse), rtol=1e-10)
    g, w = grad_of(lambda x: ng.amax(x, dims, keepdim=keepdim))
    hit = a == np.amax(a, axis=axis, keepdims=True)
    np.testing.assert_allclose(g, w * hit / hit.sum(axis=axis, keepdims=True), rtol=1e-12)
    g, w = grad_of(lambda x: ng.var(x, dims, keepdim=keepdim, correction=0))
    np.testing.assert_allclose(g, w * 2 * (a - a.mean(axis=axis, keepdims=True)) /
                               (a.size // np.mean(a, axis=axis, keepdims=True).size),
                               rtol=1e-10, atol=1e-12)


@given(st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), st.data())
def test_softmax_family_and_cumsum_along_a_random_dim(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    a = _values(shape, data.draw(st.integers(0, 2**16)), -5, 5)
    w = _values(shape, 7)
    e = np.exp(a - a.max(axis=dim, keepdims=True))
    sm = e / e.sum(axis=dim, keepdims=True)
    x = ng.tensor(a, requires_grad=True)
    y = ng.softmax(x, dim)
    np.testing.assert_allclose(y.detach().numpy(), sm, rtol=1e-12)
    (y * ng.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), sm * (w - (w * sm).sum(dim, keepdims=True)),
                               rtol=1e-9, atol=1e-12)
    x = ng.tensor(a, requires_grad=True)
    y = ng.log_softmax(x, dim)
    np.testing.assert_allclose(y.detach().numpy(), np.log(sm), rtol=1e-10, atol=1e-12)
    (y * ng.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), w - sm * w.sum(dim, keepdims=True),
                               rtol=1e-9, atol=1e-12)
    x = ng.tensor(a, requires_grad=True)
    y = ng.cumsum(x, dim)
    np.testing.assert_allclose(y.detach().numpy(), np.cumsum(a, dim), rtol=1e-12)
    (y * ng.tensor(w)).sum().backward()
    rev = np.flip(np.cumsum(np.flip(w, dim), dim), dim)
    np.testing.assert_allclose(x.grad.numpy(), rev, rtol=1e-12)


@given(st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), st.data())
def test_max_dim_matches_numpy_and_routes_gradient(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    keepdim = data.draw(st.booleans())
    a = _values(shape, data.draw(st.integers(0, 2**16)))
    x = ng.tensor(a, requires_grad=True)
    values, indices = ng.max(x, dim, keepdim=keepdim)
    np.testing.assert_array_equal(values.detach().numpy(), np.max(a, dim, keepdims=keepdim))
    np.testing.assert_array_equal(indices.numpy(), np.argmax(a, dim, keepdims=keepdim))
    values.sum().backward()
    want = np.zeros_like(a)
    np.put_along_axis(want, np.argmax(a, dim, keepdims=True), 1.0, dim)
    np.testing.assert_array_equal(x.grad.numpy(), want)
