"""The reductions' lean paths (issue 3's per-op timings): amax/max() gather and scatter at the
forward's flat indices, logsumexp's kept exponentials, clamp's direct clip, the seed passed
unwrapped to backward and the op functions bound as Tensor methods. Each is checked against
the differentiable path (create_graph) or NumPy, including the cases that leave the fast path."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ndgrad as ng
from ndgrad.autograd import gradcheck, gradgradcheck
from tests.fast_paths import both_paths, t


def _same(f, *inputs, rtol=1e-12):
    fast, slow = both_paths(f, *inputs)
    for gf, gs in zip(fast, slow, strict=True):
        np.testing.assert_allclose(gf, gs, rtol=rtol, atol=rtol)
    return fast


@pytest.mark.parametrize("op", ["amax", "amin"])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("ties", [False, True])
def test_amax_last_axis_scatter_and_ties(op, keepdim, ties):
    rng = np.random.default_rng(1)
    xa = rng.standard_normal((4, 5))
    if ties:
        xa[2, 1] = xa[2, 3] = (xa[2].max() + 1) if op == "amax" else (xa[2].min() - 1)
    w = ng.tensor(rng.standard_normal((4, 1) if keepdim else (4,)))
    fast = _same(lambda x: (getattr(ng, op)(x, -1, keepdim) * w).sum(), t(xa))[0]
    red = np.max if op == "amax" else np.min
    hit = xa == red(xa, axis=1, keepdims=True)
    want = hit * w.numpy().reshape(4, 1) / hit.sum(1, keepdims=True)
    np.testing.assert_allclose(fast, want, rtol=1e-14)
    assert (fast[2] != 0).sum() == (2 if ties else 1)


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("where", ["first", "middle", "last", "tie"])
def test_max_all_no_tie_scatter_and_tie_split(op, where):
    xa = np.arange(12.0).reshape(3, 4)
    if op == "min":
        xa = -xa
    pos = {"first": 0, "middle": 6, "last": 11, "tie": 5}[where]
    ext = 100.0 if op == "max" else -100.0
    xa.flat[pos] = ext
    if where == "tie":
        xa.flat[9] = ext
    fast = _same(lambda x: getattr(ng, op)(x) * 3.0, t(xa))[0]
    want = np.where(xa == ext, 3.0 / (xa == ext).sum(), 0.0)
    np.testing.assert_array_equal(fast, want)


def test_max_all_nan_splits_among_nans_amax_gives_nan():
    xa = np.array([1.0, np.nan, 3.0, np.nan])
    x = t(xa)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no divide-by-zero warning on the way
        x.max().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.5, 0.0, 0.5])  # PyTorch's rule
        x.grad = None
        x.min().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.5, 0.0, 0.5])
        x.grad = None
        ng.amax(x, 0).backward()
    assert np.isnan(x.grad.numpy()).all()  # amax: no element equals NaN (PyTorch's too)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _same(lambda x: x.max() * 2.0, t(xa))


@pytest.mark.parametrize("dims", [None, 0, (0, 2)])
def test_amax_other_dims_and_noncontiguous_inputs(dims):
    rng = np.random.default_rng(3)
    base = rng.standard_normal((3, 4, 5))
    xa = np.ascontiguousarray(base.transpose(1, 0, 2))
    for x in (t(xa), t(base).permute(1, 0, 2)):  # C-ordered, then a non-contiguous view
        def f(v):
            return ng.amax(v, dims) if dims is not None else v.max()
        y = f(x)
        np.testing.assert_array_equal(y.detach().numpy(), np.max(xa, axis=dims))
        assert gradcheck(f, (x,)) and gradgradcheck(f, (x,))


def test_amax_float32_values_and_grads_match_numpy():
    rng = np.random.default_rng(4)
    xa = rng.standard_normal((64, 33)).astype(np.float32)
    x = ng.tensor(xa, requires_grad=True)
    g = rng.standard_normal(64).astype(np.float32)
    y = ng.amax(x, dim=1)
    assert y.dtype == ng.float32
    np.testing.assert_array_equal(y.detach().numpy(), xa.max(1))
    y.backward(ng.tensor(g))
    want = np.zeros_like(xa)
    want[np.arange(64), xa.argmax(1)] = g
    np.testing.assert_array_equal(x.grad.numpy(), want)


@pytest.mark.parametrize("dim,keepdim", [(1, False), (0, True), (None, False), ((0, 1), True)])
def test_logsumexp_kept_exponentials_rule(dim, keepdim):
    rng = np.random.default_rng(5)
    xa = rng.standard_normal((4, 6)) * 30
    fast = _same(lambda x: (ng.logsumexp(x, dim, keepdim) * 1.5).sum(), t(xa))[0]
    m = xa.max(axis=dim, keepdims=True)
    lse = m + np.log(np.exp(xa - m).sum(axis=dim, keepdims=True))
    np.testing.assert_allclose(fast, 1.5 * np.exp(xa - lse), rtol=1e-12)
    x = t(xa)
    assert gradcheck(lambda v: ng.logsumexp(v, dim, keepdim), (x,))
    assert gradgradcheck(lambda v: ng.logsumexp(v, dim, keepdim), (x,))


def test_logsumexp_infinite_rows_and_freed_exponentials():
    xa = np.array([[-np.inf, -np.inf, -np.inf], [0.0, np.inf, 1.0], [0.0, 1.0, 2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fast, slow = both_paths(lambda x: ng.logsumexp(x, 1).sum(), t(xa))
    np.testing.assert_array_equal(np.isnan(fast[0]), np.isnan(slow[0]))
    np.testing.assert_allclose(np.nan_to_num(fast[0]), np.nan_to_num(slow[0]), rtol=1e-14)
    x = t(xa[2:])
    y = ng.logsumexp(x, 1)
    assert len(y.grad_fn._saved) == 3  # the input, the exponentials, the output
    y.backward(ng.ones(1), retain_graph=True)
    y.backward(ng.ones(1))
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(xa[2:] - np.log(np.exp(xa[2]).sum())))
    assert y.grad_fn._saved is None  # kept arrays go with the saved tensors


def test_logsumexp_input_written_after_forward_raises():
    x = t(np.ones((2, 3)))
    h = x * 1.0
    y = ng.logsumexp(h, 1)
    h.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_clamp_float_bounds_fast_entry():
    rng = np.random.default_rng(6)
    xa = rng.uniform(-2, 2, (5, 4)).astype(np.float32)
    xa[0, 0], xa[0, 1] = -0.5, 0.5  # on the bounds the gradient passes
    x = ng.tensor(xa, requires_grad=True)
    y = ng.clamp(x, -0.5, 0.5)
    assert y.dtype == ng.float32 and type(y.grad_fn).__name__ == "ClampBackward1"
    np.testing.assert_array_equal(y.detach().numpy(), np.clip(xa, -0.5, 0.5))
    g = rng.standard_normal(xa.shape).astype(np.float32)
    g[1, 0] = np.inf
    xa[1, 0] = 1.5  # an inf upstream gradient outside the bounds gives 0, not NaN
    x = ng.tensor(xa, requires_grad=True)
    x.clamp(-0.5, 0.5).backward(ng.tensor(g))
    np.testing.assert_array_equal(x.grad.numpy(), np.where(np.abs(xa) <= 0.5, g, 0))


def test_backward_with_callers_gradient_never_written():
    g = ng.tensor(np.full((3,), 2.0))
    keep = g.numpy().copy()
    a, b = t(np.ones(3)), t(np.ones(3))
    (a + b).backward(g)
    (a + b).backward(g)  # the second adds into .grad: never into g
    np.testing.assert_array_equal(g.numpy(), keep)
    np.testing.assert_array_equal(a.grad.numpy(), [4.0, 4.0, 4.0])
    assert not np.shares_memory(a.grad.numpy(), g.numpy())
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())


def test_tensor_methods_are_the_op_functions():
    x = t(np.arange(6.0).reshape(2, 3))
    assert ng.Tensor.sum is ng.sum and ng.Tensor.amax is ng.amax
    np.testing.assert_array_equal(x.sum(1, keepdim=True).detach().numpy(), [[3.0], [12.0]])
    np.testing.assert_array_equal(x.max(dim=1).indices.numpy(), [2, 2])
    np.testing.assert_array_equal(x.clamp(max=2.0).detach().numpy(), [[0, 1, 2], [2, 2, 2]])
    x.std(dim=0).sum().backward()
    assert x.grad is not None and x.grad.shape == (2, 3)


@pytest.mark.parametrize("op", ["sum", "mean"])
@pytest.mark.parametrize("dims,keepdim", [(1, False), (0, True), ((0, 2), False), ((0, 2), True),
                                          (-1, False)])
@pytest.mark.parametrize("contiguous", [True, False])
def test_sum_mean_gradient_view_over_reduced_dims(op, dims, keepdim, contiguous):
    rng = np.random.default_rng(9)
    xa = rng.standard_normal((3, 4, 5))
    x = t(xa)
    y = getattr(ng, op)(x, dims, keepdim)
    ga = rng.standard_normal(y.shape[:-1] + (2 * y.shape[-1],))
    ga = np.ascontiguousarray(ga[..., ::2]) if contiguous else ga[..., ::2]  # strided: fallback
    y.backward(ng.tensor(ga))
    d = (dims,) if isinstance(dims, int) else dims
    d = tuple(i % 3 for i in d)
    gk = ga if keepdim else np.expand_dims(ga, d)
    count = np.prod([xa.shape[i] for i in d]) if op == "mean" else 1
    np.testing.assert_allclose(x.grad.numpy(), np.broadcast_to(gk / count, xa.shape), rtol=1e-15)
    x.grad.numpy()[...] = 0.0  # the .grad owns writable memory, not the read-only view


@pytest.mark.parametrize("f", [lambda x: x + 1.0, lambda x: x - 2.0, lambda x: (x + 1.0) + 2.0,
                               lambda x: x.reshape(6).reshape(2, 3), lambda x: x * 1.0,
                               lambda x: -(-x)])
@pytest.mark.parametrize("temporary", [False, True])
def test_chain_ending_at_leaf_never_aliases_callers_gradient(f, temporary):
    x = t(np.ones((2, 3)))
    g = ng.tensor(np.full((2, 3), 3.0))
    if temporary:
        f(x).backward(ng.tensor(np.full((2, 3), 3.0)))
    else:
        f(x).backward(g)
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 3.0))
    assert x.grad is not g and not np.shares_memory(x.grad.numpy(), g.numpy())
    x.grad.numpy()[...] = 0.0  # writable, its own memory
    np.testing.assert_array_equal(g.numpy(), np.full((2, 3), 3.0))
    f(x).backward(g)  # accumulates into x.grad, never into g
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 3.0))
    np.testing.assert_array_equal(g.numpy(), np.full((2, 3), 3.0))


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", [((3, 5), 1), ((3, 5), 0), ((3, 5), -1), ((6,), 0),
                                       ((2, 3, 4), 1)])
def test_max_dim_node_records_values_only(op, keepdim, shape, dim):
    # the indices are integers: no grad_fn, no requires_grad (PyTorch's), and the node has
    # one output, the values; the indices match NumPy's arg-extreme
    xa = np.random.default_rng(0).permutation(int(np.prod(shape))).reshape(shape) * 1.0
    x = t(xa)
    vals, idx = getattr(ng, op)(x, dim, keepdim)
    arg = getattr(np, "arg" + op)(xa, axis=dim, keepdims=keepdim)
    np.testing.assert_array_equal(idx.numpy(), arg)
    assert idx.dtype == np.int64 and idx.grad_fn is None and not idx.requires_grad
    assert vals.grad_fn.name() == ("MaxBackward0" if op == "max" else "MinBackward0")
    assert len(vals.grad_fn.out_meta) == 1
    np.testing.assert_array_equal(vals.detach().numpy(),
                                  np.take_along_axis(xa, np.asarray(arg).reshape(
                                      arg.shape if keepdim else np.expand_dims(arg, dim).shape),
                                      dim).reshape(arg.shape))
    _same(lambda x: (getattr(ng, op)(x, dim, keepdim).values * 2.0).sum(), x)
    with ng.no_grad():
        v2, i2 = getattr(ng, op)(x, dim, keepdim)
    assert v2.grad_fn is None and not v2.requires_grad
    np.testing.assert_array_equal(i2.numpy(), idx.numpy())
    np.testing.assert_array_equal(v2.numpy(), vals.detach().numpy())


@pytest.mark.parametrize("op", ["max", "min"])
def test_max_dim_second_order_and_indices_kept_for_backward(op):
    x = t(np.random.default_rng(1).standard_normal((4, 5)))
    assert gradcheck(lambda x: getattr(ng, op)(x, 1).values ** 2, (x,))
    assert gradgradcheck(lambda x: getattr(ng, op)(x, 1).values ** 2, (x,))
    vals, idx = getattr(ng, op)(x, 1)
    vals.sum().backward()
    want = np.zeros((4, 5))
    want[np.arange(4), idx.numpy()] = 1.0
    np.testing.assert_array_equal(x.grad.numpy(), want)


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("where", ["first", "last", "tie_after", "nan"])
def test_max_all_lean_rule_falls_back_for_ties_and_nan(op, where):
    # the lean rule takes the first extreme only when nothing after it ties and it is no NaN
    xa = np.arange(1.0, 13.0).reshape(3, 4) * (1.0 if op == "max" else -1.0)
    ext = 100.0 if op == "max" else -100.0
    if where == "first":
        xa.flat[0] = ext
    elif where == "last":
        xa.flat[11] = ext
    elif where == "tie_after":
        xa.flat[2] = xa.flat[10] = ext
    else:
        xa.flat[4] = np.nan
    x = t(xa)
    getattr(ng, op)(x).backward(ng.tensor(6.0))
    hit = np.isnan(xa) if where == "nan" else xa == ext
    np.testing.assert_array_equal(x.grad.numpy(), np.where(hit, 6.0 / hit.sum(), 0.0))
