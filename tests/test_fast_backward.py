"""Array-only backward paths (taken when no graph is built) against the differentiable path
(create_graph=True) and against NumPy formulas; gradcheck/gradgradcheck with broadcasting."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad as ng
from ndgrad.autograd import gradcheck, gradgradcheck
from tests.fast_paths import both_paths, t

LOSSES = {
    "sum": lambda y: y.sum(),  # the incoming gradient is a broadcast constant
    "mean": lambda y: y.mean(),
    "sum1": lambda y: y.sum(dim=1).mean(),  # a broadcast column
    "weighted": lambda y: (y * ng.tensor(np.linspace(-1, 2, y.numel()).reshape(y.shape)
                                         .astype(y.dtype))).sum(),  # a full array
}


@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("square", ["mul", "pow"])
def test_square_fast_path_matches_general_path(loss, dtype, square):
    rng = np.random.default_rng(0)
    a = t(rng.standard_normal((4, 1)), dtype=dtype)
    b = t(rng.standard_normal((1, 5)), dtype=dtype)

    def f(a, b):
        y = ng.tanh(a + b)
        return LOSSES[loss](y * y if square == "mul" else y ** 2)

    fast, slow = both_paths(f, a, b)
    for gf, gs in zip(fast, slow, strict=True):
        assert gf.dtype == dtype
        np.testing.assert_allclose(gf, gs, rtol=1e-6 if dtype == np.float32 else 1e-13)
    # against NumPy: d/dy of y*y is 2y, through tanh
    y = np.tanh(a.detach().numpy() + b.detach().numpy())
    yt = ng.tensor(y, requires_grad=True)
    (gy,) = ng.autograd.grad(LOSSES[loss](yt), [yt])
    gs = gy.numpy() * 2 * y * (1 - y * y)
    np.testing.assert_allclose(fast[0], gs.sum(1, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(fast[1], gs.sum(0, keepdims=True), rtol=1e-5)


def test_square_gradgradcheck_broadcasting():
    rng = np.random.default_rng(1)
    a, b = t(rng.standard_normal((3, 1))), t(rng.standard_normal((1, 4)))

    def f(a, b):
        y = ng.tanh(a + b)
        return y.sum(dim=1).mean() + (y * y).mean() + (y ** 2 * a).sum()

    assert gradcheck(f, (a, b))
    assert gradgradcheck(f, (a, b))
    x = t(rng.standard_normal((3, 4)))
    assert gradgradcheck(lambda x: x * x, (x,))
    assert gradgradcheck(lambda x: x ** 2, (x,))


def test_square_of_a_scalar_and_leaf_grads_are_fresh():
    x = t(3.0)
    (x * x).backward()
    assert x.grad.item() == 6.0
    x = t([1.0, -2.0])
    (x * x).sum().backward()
    g = x.grad
    np.testing.assert_array_equal(g.numpy(), [2.0, -4.0])
    g.numpy()[0] = 7.0  # the grad is writable and owns its memory: no shared broadcast view
    assert x.detach().numpy()[0] == 1.0


def test_square_node_hook_still_sees_two_grad_inputs():
    x = t([2.0])
    y = x * x
    seen = []
    y.grad_fn.register_hook(lambda gi, go: seen.append([None if g is None else g.item()
                                                        for g in gi]))
    y.backward()
    assert seen == [[2.0, 2.0]] and x.grad.item() == 4.0


@pytest.mark.parametrize("op", ["tanh", "sigmoid"])
@pytest.mark.parametrize("loss", list(LOSSES))
def test_tanh_sigmoid_backward_in_place_temporaries(op, loss):
    rng = np.random.default_rng(2)
    a, b = t(rng.standard_normal((4, 1)), dtype=np.float32), t(rng.standard_normal((1, 5)),
                                                                dtype=np.float32)
    f = getattr(ng, op)
    fast, slow = both_paths(lambda a, b: LOSSES[loss](f(a + b)), a, b)
    for gf, gs in zip(fast, slow, strict=True):
        np.testing.assert_allclose(gf, gs, rtol=1e-6)
    z = a.detach().numpy() + b.detach().numpy()
    y = np.tanh(z) if op == "tanh" else 1 / (1 + np.exp(-z))
    yt = ng.tensor(y, requires_grad=True)
    (gy,) = ng.autograd.grad(LOSSES[loss](yt), [yt])
    d = (1 - y * y) if op == "tanh" else y * (1 - y)
    np.testing.assert_allclose(fast[0], (gy.numpy() * d).sum(1, keepdims=True), rtol=1e-5)
    # the upstream gradient a caller holds is not overwritten
    yt2 = f(a + b)
    g = ng.tensor(rng.standard_normal(yt2.shape).astype(np.float32))
    g0 = g.numpy().copy()
    yt2.backward(g)
    np.testing.assert_array_equal(g.numpy(), g0)


@pytest.mark.parametrize("op", ["tanh", "sigmoid"])
def test_tanh_sigmoid_gradgradcheck_and_scalars(op):
    rng = np.random.default_rng(3)
    f = getattr(ng, op)
    x = t(rng.standard_normal((3, 4)))
    assert gradcheck(f, (x,)) and gradgradcheck(f, (x,))
    s = t(0.5)
    assert gradcheck(f, (s,)) and gradgradcheck(f, (s,))
    (g,) = ng.autograd.grad(f(s), [s])
    y = np.tanh(0.5) if op == "tanh" else 1 / (1 + np.exp(-0.5))
    want = 1 - y * y if op == "tanh" else y * (1 - y)
    assert g.shape == () and abs(g.item() - want) < 1e-12


@pytest.mark.parametrize("shape,dim,keepdim", [
    ((3, 4), None, False), ((3, 4), None, True), ((3, 4), 1, False), ((3, 4), 0, True),
    ((2, 3, 4), (0, 2), False), ((5,), 0, False), ((), None, False), ((2, 3), (0, 1), False)])
@pytest.mark.parametrize("red", ["sum", "mean"])
def test_sum_mean_backward_fast_path(shape, dim, keepdim, red):
    rng = np.random.default_rng(4)
    x = t(rng.standard_normal(shape))
    f = getattr(ng, red)

    def r(x):
        return f(x, dim=dim, keepdim=keepdim) if dim is not None else f(x, keepdim=keepdim)

    g = rng.standard_normal(r(x).shape)
    fast, slow = both_paths(lambda x: (r(x) * ng.tensor(g)).sum(), x)
    np.testing.assert_array_equal(fast[0], slow[0])
    dims = tuple(range(len(shape))) if dim is None else (dim if isinstance(dim, tuple)
                                                         else (dim,))
    count = int(np.prod([shape[d] for d in dims]))
    gk = np.reshape(g, [1 if i in dims else s for i, s in enumerate(shape)])
    want = np.broadcast_to(gk / (count if red == "mean" else 1), shape)
    np.testing.assert_allclose(fast[0], want, rtol=1e-13)
    assert gradgradcheck(r, (x,))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_backward_mask_in_place(dtype):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((6, 7)).astype(dtype)
    x[0, :3] = 0.0  # subgradient 0 at 0
    x[1, 0] = np.nan
    xt = t(x, dtype=dtype)
    g = rng.standard_normal((6, 7)).astype(dtype)
    g[2, 0] = np.inf
    gt = ng.tensor(g)
    g0 = g.copy()
    fast, slow = both_paths(lambda x: (ng.relu(x) * gt).sum(), xt)
    want = g * ~(x <= 0)  # PyTorch's mask: a NaN passes the gradient
    np.testing.assert_array_equal(fast[0], want)
    np.testing.assert_array_equal(slow[0], want)
    assert fast[0].dtype == dtype
    np.testing.assert_array_equal(g, g0)
    # a broadcast upstream gradient (sum's) and a 0-d input
    (gs,) = ng.autograd.grad(ng.relu(xt).sum(), [xt])
    np.testing.assert_array_equal(gs.numpy(), (~(x <= 0)).astype(dtype))
    s = t(2.0)
    assert ng.autograd.grad(ng.relu(s), [s])[0].item() == 1.0
    y = t(rng.standard_normal((3, 4)) + 0.05)
    assert gradgradcheck(ng.relu, (y,))


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((3, 4), ()),
                                    ((), ())])
@pytest.mark.parametrize("need", ["both", "y"])
def test_div_backward_fast_path(shapes, need):
    rng = np.random.default_rng(6)
    x = t(rng.standard_normal(shapes[0]), rg=need == "both")
    y = t(rng.uniform(0.5, 2.0, shapes[1]))
    g = rng.standard_normal(np.broadcast_shapes(*shapes))
    ins = [x, y] if need == "both" else [y]
    fast, slow = both_paths(lambda *a: ((x / y) * ng.tensor(g)).sum(), *ins)
    for gf, gs in zip(fast, slow, strict=True):
        np.testing.assert_allclose(gf, gs, rtol=1e-14)
    xa, ya = x.detach().numpy(), y.detach().numpy()
    gy = (-g * xa / ya / ya).reshape(np.broadcast_shapes(*shapes))
    gy = gy.sum(axis=tuple(i for i, s in enumerate(np.shape(ya)) if s == 1 and gy.ndim)
                if np.ndim(ya) else None) if gy.ndim else gy
    np.testing.assert_allclose(fast[-1], np.reshape(gy, np.shape(ya)), rtol=1e-12)
    if need == "both":
        assert gradgradcheck(lambda a, b: a / b, (x, y))


@pytest.mark.parametrize("op, d", [
    (ng.tanh, lambda v: 1 - np.tanh(v) ** 2),
    (ng.sigmoid, lambda v: (1 / (1 + np.exp(-v))) * (1 - 1 / (1 + np.exp(-v)))),
    (ng.relu, lambda v: float(v > 0)),
])
def test_fused_rules_on_0d_give_array_grads(op, d):
    # without a graph the rules run their formula on the arrays; 0-d results come back from
    # NumPy as scalars and must still become arrays
    for v in (0.3, -0.7):
        x = ng.tensor(np.array(v), requires_grad=True)
        op(x).backward()
        assert type(x.grad._data) is np.ndarray and x.grad.shape == ()
        np.testing.assert_allclose(x.grad.item(), d(v), rtol=1e-12)
