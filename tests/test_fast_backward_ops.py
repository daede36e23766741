"""Array-only backward paths of elementwise ops and reductions (taken when no graph is built)
against the differentiable path (create_graph=True), against NumPy formulas, and gradcheck /
gradgradcheck in float64 with broadcasting; edge values 0, nan, inf and ties."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ndgrad as ng
from ndgrad.autograd import gradcheck, gradgradcheck
from ndgrad.ops import _fast_rules as fr
from tests.fast_paths import both_paths, t

LOSSES = {
    "sum": lambda y: y.sum(),  # the incoming gradient is a broadcast constant
    "sum1": lambda y: y.sum(dim=-1).mean(),  # a broadcast column
    "weighted": lambda y: (y * ng.tensor(np.linspace(-1, 2, y.numel()).reshape(y.shape)
                                         .astype(y.dtype))).sum(),  # a full array
}

# op -> (input domain (lo, hi), rule name in _fast_rules, NumPy derivative)
UNARY = {
    "sin": ((-3, 3), "d_sin", np.cos),
    "cos": ((-3, 3), "d_cos", lambda x: -np.sin(x)),
    "tan": ((-1.2, 1.2), "d_tan", lambda x: 1 + np.tan(x) ** 2),
    "sinh": ((-3, 3), "d_sinh", np.cosh),
    "cosh": ((-3, 3), "d_cosh", np.sinh),
    "arcsin": ((-0.9, 0.9), "d_asin", lambda x: 1 / np.sqrt(1 - x * x)),
    "arccos": ((-0.9, 0.9), "d_acos", lambda x: -1 / np.sqrt(1 - x * x)),
    "arctan": ((-3, 3), "d_atan", lambda x: 1 / (1 + x * x)),
    "arcsinh": ((-3, 3), "d_asinh", lambda x: 1 / np.sqrt(x * x + 1)),
    "arccosh": ((1.1, 3), "d_acosh", lambda x: 1 / np.sqrt(x * x - 1)),
    "arctanh": ((-0.9, 0.9), "d_atanh", lambda x: 1 / (1 - x * x)),
    "log1p": ((-0.5, 3), "d_log1p", lambda x: 1 / (1 + x)),
    "expm1": ((-3, 3), "d_expm1", np.exp),
    "sqrt": ((0.2, 3), "d_sqrt", lambda x: 0.5 / np.sqrt(x)),
    "rsqrt": ((0.2, 3), "d_rsqrt", lambda x: -0.5 * x ** -1.5),
    "reciprocal": ((0.2, 3), "d_reciprocal", lambda x: -1 / (x * x)),
    "abs": ((-3, 3), "d_abs", np.sign),
}


def _spy(monkeypatch, name):
    calls = []
    rule = getattr(fr, name)
    monkeypatch.setattr(fr, name, lambda *a: calls.append(1) or rule(*a))
    return calls


@pytest.mark.parametrize("op", list(UNARY))
@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary_fast_path_matches_general_path_and_numpy(op, loss, dtype, monkeypatch):
    (lo, hi), rule, deriv = UNARY[op]
    rng = np.random.default_rng(0)
    x = t(rng.uniform(lo, hi, (5, 6)), dtype=dtype)
    f = getattr(ng, op)
    calls = _spy(monkeypatch, rule)
    fast, slow = both_paths(lambda x: LOSSES[loss](f(x)), x)
    assert len(calls) == 1  # taken without a graph only
    assert fast[0].dtype == dtype
    rtol = 2e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(fast[0], slow[0], rtol=rtol, atol=rtol)
    xt = ng.tensor(f(x).detach().numpy(), requires_grad=True)
    (gy,) = ng.autograd.grad(LOSSES[loss](xt), [xt])
    xa = x.detach().numpy().astype(np.float64)
    np.testing.assert_allclose(fast[0], gy.numpy() * deriv(xa), rtol=10 * rtol, atol=rtol)


@pytest.mark.parametrize("op", list(UNARY))
def test_unary_gradcheck_gradgradcheck_broadcasting(op):
    (lo, hi), _, _ = UNARY[op]
    rng = np.random.default_rng(1)
    a = t(rng.uniform(lo, hi, (3, 1)) / 2)
    b = t(rng.uniform(lo, hi, (1, 4)) / 2)
    f = getattr(ng, op)
    if op == "abs":
        a = t(rng.uniform(0.2, 1, (3, 1)) * np.array([[1], [-1], [1]]))
        b = t(rng.uniform(0.05, 0.1, (1, 4)))

    def g(a, b):
        return f(a + b) if op != "arccosh" else f(a + b + 1.5)

    assert gradcheck(g, (a, b)) and gradgradcheck(g, (a, b))
    s = t(0.5 if op != "arccosh" else 1.5)  # a 0-d input takes the general path
    assert gradcheck(f, (s,)) and gradgradcheck(f, (s,))


def test_unary_fast_path_edge_values_and_grad_untouched():
    x = np.array([0.0, -0.0, np.nan, np.inf, -np.inf, 1.0, -2.0])
    g = np.array([1.0, 2.0, 3.0, 4.0, 5.0, np.inf, np.nan])
    g0 = g.copy()
    for op in ["sin", "cos", "abs", "sinh", "cosh", "arctan", "expm1"]:
        xt = t(x)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            y = getattr(ng, op)(xt)
            gt = ng.tensor(g)
            (fast,) = ng.autograd.grad(y, [xt], gt)
            (slow,) = ng.autograd.grad(getattr(ng, op)(xt), [xt], gt, create_graph=True)
        np.testing.assert_array_equal(fast.numpy(), slow.detach().numpy(), err_msg=op)
        np.testing.assert_array_equal(g, g0)  # the caller's gradient is never written
    # abs: subgradient 0 at 0 (sign(0)); 0 at nan (PyTorch's sgn(nan) = 0)
    xa = t(x)
    (ga,) = ng.autograd.grad(ng.abs(xa), [xa], ng.tensor(np.ones(7)))
    np.testing.assert_array_equal(ga.numpy(), [0, 0, 0, 1, -1, 1, -1])


def test_relu_forward_clip_semantics():
    x = np.array([-0.0, 0.0, np.nan, np.inf, -np.inf, -3.0, 2.5, 1e-45], np.float32)
    y = ng.relu(t(x, rg=False, dtype=np.float32)).numpy()
    np.testing.assert_array_equal(y, [0, 0, np.nan, np.inf, 0, 0, 2.5, np.float32(1e-45)])
    # -0.0 passes through unchanged (PyTorch's CPU relu is clamp_min: relu(-0.0) is -0.0)
    assert list(np.signbit(y)) == [True] + [False] * 7
    assert y.dtype == np.float32
    xi = np.array([-3, 0, 4], np.int64)
    yi = ng.relu(ng.tensor(xi)).numpy()
    assert yi.dtype == np.int64 and list(yi) == [0, 0, 4]
    assert ng.relu(t(-1.5)).item() == 0.0 and np.isnan(ng.relu(t(np.nan)).item())


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_sigmoid_one_exp_forward_matches_stable_form(dtype):
    floor = fr.exp_floor(np.dtype(dtype))
    rng = np.random.default_rng(2)
    x = rng.uniform(floor + 0.5, -floor, 200).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning on either path
        y = ng.sigmoid(t(x, rg=False, dtype=dtype)).numpy()
        tail = np.concatenate([x, np.array([floor - 5, -np.inf, np.inf], dtype)])
        yt = ng.sigmoid(t(tail, rg=False, dtype=dtype)).numpy()  # the split (two-exp) path
    assert y.dtype == dtype and yt.dtype == dtype
    x64 = x.astype(np.float64)
    want = np.exp(np.minimum(x64, 0)) / (1 + np.exp(-np.abs(x64)))
    tol = {np.float16: 2e-3, np.float32: 1e-6, np.float64: 1e-14}[dtype]
    np.testing.assert_allclose(y, want, rtol=tol, atol=0)
    np.testing.assert_allclose(yt[:200], y, rtol=tol, atol=0)
    assert yt[-2] == 0 and yt[-1] == 1 and 0 < yt[-3] < 1e-3
    # a NaN takes the split path and propagates
    yn = ng.sigmoid(t(np.array([0.0, np.nan]), rg=False)).numpy()
    assert yn[0] == 0.5 and np.isnan(yn[1])
    # float32 deep tail keeps relative accuracy (denormal result, not 0)
    d = ng.sigmoid(t(np.array([-100.0, 1.0]), rg=False, dtype=np.float32)).numpy()
    assert d[0] > 0 and abs(d[0] / np.exp(-100.0) - 1) < 0.05


# ---------------------------------------------------------------- selection and reductions
def _check_paths(f, *inputs, rtol=1e-13):
    fast, slow = both_paths(f, *inputs)
    for gf, gs, x in zip(fast, slow, inputs, strict=True):
        assert gf.dtype == x.dtype and gf.shape == x.shape
        np.testing.assert_allclose(gf, gs, rtol=rtol, atol=rtol)
    return fast


def _w(shape, seed=7):
    return ng.tensor(np.random.default_rng(seed).standard_normal(shape))


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4), (3, 4)), ((3, 1), (1, 4), (3, 4)),
                                    ((3, 4), (4,), ()), ((4,), (3, 4), (3, 1))])
@pytest.mark.parametrize("need", ["both", "x", "y"])
def test_where_select_matches_numpy_bit_for_bit(shapes, need):
    rng = np.random.default_rng(8)
    cs, xs, ys = shapes
    c = rng.random(cs) < 0.5
    xa, ya = rng.standard_normal(xs), rng.standard_normal(ys)
    if xa.ndim:
        xa.flat[0], xa.flat[-1] = np.nan, -0.0
    x, y = t(xa, rg=need != "y"), t(ya, rg=need != "x")
    out = ng.where(ng.tensor(c), x, y)
    want = np.where(c, xa, ya)
    assert out.dtype == want.dtype
    np.testing.assert_array_equal(out.detach().numpy().view(np.int64), want.view(np.int64))
    ins = [v for v in (x, y) if v.requires_grad]
    g = _w(want.shape).numpy().copy()
    g.flat[0] = np.inf  # an inf upstream gradient lands only where it is selected
    gt = ng.tensor(g)
    fast = _check_paths(lambda *a: (ng.where(ng.tensor(c), x, y) * gt).sum(), *ins, rtol=0)
    wants = {"x": np.where(c, g, 0), "y": np.where(c, 0, g)}
    for v, gf in zip(ins, fast, strict=True):
        w = wants["x" if v is x else "y"]
        w = w.sum(axis=tuple(range(w.ndim - v.ndim))) if w.ndim > v.ndim else w
        w = w.sum(axis=tuple(i for i, s in enumerate(v.shape) if s == 1), keepdims=True) \
            if v.ndim else w
        np.testing.assert_array_equal(gf, np.reshape(w, v.shape))
    xs, ys = t(rng.standard_normal(xs)), t(rng.standard_normal(ys))
    assert gradcheck(lambda a, b: ng.where(ng.tensor(c), a, b), (xs, ys))
    assert gradgradcheck(lambda a, b: ng.where(ng.tensor(c), a, b) ** 2, (xs, ys))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_where_select_dtypes_and_scalars(dtype):
    c = np.array([True, False, True])
    x = np.array([1.5, np.nan, -np.inf], dtype)
    out = ng.where(ng.tensor(c), ng.tensor(x), 0.0).numpy()
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, np.where(c, x, dtype(0)))
    assert ng.where(ng.tensor(True), t(2.0), t(3.0)).item() == 2.0  # 0-d: NumPy's where
    xi = ng.where(ng.tensor(c), ng.tensor(np.array([1, 2, 3])), 0).numpy()
    assert list(xi) == [1, 0, 3]


@pytest.mark.parametrize("bounds", [(-0.5, 0.5), (None, 0.5), (-0.5, None), (0.5, -0.5),
                                    (0.0, 0.0)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clamp_clip_forward_and_fast_backward(bounds, dtype):
    lo, hi = bounds
    x = np.array([-1.0, -0.5, -0.0, 0.0, 0.25, 0.5, 2.0, np.nan, np.inf, -np.inf], dtype)
    xt = t(x, dtype=dtype)
    y = ng.clamp(xt, lo, hi)
    want = np.minimum(np.maximum(x, -np.inf if lo is None else lo), np.inf if hi is None else hi)
    np.testing.assert_array_equal(y.detach().numpy(), want)
    assert y.dtype == dtype
    g = np.arange(1.0, 11.0).astype(dtype)
    fast = _check_paths(lambda x: (ng.clamp(x, lo, hi) * ng.tensor(g)).sum(), xt, rtol=0)
    inside = np.ones(10, bool)
    if lo is not None:
        inside &= x >= lo
    if hi is not None:
        inside &= x <= hi
    np.testing.assert_array_equal(fast[0], np.where(inside, g, 0))  # bounds pass, nan: 0
    xs = t(np.random.default_rng(9).uniform(-1, 1, (3, 4)))
    assert gradcheck(lambda x: ng.clamp(x, lo, hi), (xs,))
    assert gradgradcheck(lambda x: ng.clamp(x, lo, hi) ** 2, (xs,))
    xi = ng.tensor(np.array([-3, 0, 3]))
    assert list(ng.clamp(xi, -1, 1).numpy()) == [-1, 0, 1]  # ints: min/max path


@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_maximum_minimum_fast_split_and_ties(op):
    rng = np.random.default_rng(10)
    a, b = t(rng.standard_normal((3, 1))), t(rng.standard_normal((1, 4)))
    f = getattr(ng, op)
    w = _w((3, 4))
    fast = _check_paths(lambda a, b: (f(a, b) * w).sum(), a, b, rtol=0)
    an, bn = a.detach().numpy(), b.detach().numpy()
    wins = an > bn if op == "maximum" else an < bn
    np.testing.assert_allclose(fast[0], (np.where(wins, w.numpy(), 0)).sum(1, keepdims=True))
    tie = t([1.0, 2.0, 3.0])
    other = t([1.0, 0.0, 5.0])
    ft = _check_paths(lambda x, y: (f(x, y) * ng.tensor([1.0, 1.0, 1.0])).sum(), tie, other)
    assert ft[0][0] == 0.5 and ft[1][0] == 0.5  # tie: split half/half
    assert gradcheck(f, (a, b)) and gradgradcheck(f, (a, b))


@pytest.mark.parametrize("op,dim,keepdim", [("max", 1, False), ("min", 0, True),
                                            ("max", -1, True), ("min", 2, False)])
def test_max_min_dim_gather_scatter(op, dim, keepdim):
    rng = np.random.default_rng(11)
    xa = rng.integers(0, 4, (3, 4, 5)).astype(np.float64)  # many ties: first index wins
    xa[0, 0, 0] = np.nan
    x = t(xa)
    vals, idx = getattr(ng, op)(x, dim, keepdim=keepdim)
    ref_idx = getattr(np, "arg" + op)(xa, axis=dim, keepdims=True)
    ref_val = np.take_along_axis(xa, ref_idx, axis=dim)
    if not keepdim:
        ref_idx, ref_val = ref_idx.squeeze(dim), ref_val.squeeze(dim)
    np.testing.assert_array_equal(idx.numpy(), ref_idx)
    np.testing.assert_array_equal(vals.detach().numpy(), ref_val)
    assert idx.dtype == np.int64 and vals.shape == ref_val.shape
    w = _w(vals.shape)
    fast = _check_paths(lambda x: (getattr(ng, op)(x, dim, keepdim=keepdim)[0] * w).sum(), x,
                        rtol=0)
    want = np.zeros_like(xa)
    ik = ref_idx if keepdim else np.expand_dims(ref_idx, dim)
    wk = w.numpy() if keepdim else np.expand_dims(w.numpy(), dim)
    np.put_along_axis(want, ik, wk, axis=dim)
    np.testing.assert_array_equal(fast[0], want)
    xs = t(rng.standard_normal((3, 4)))
    assert gradcheck(lambda x: ng.max(x, 1)[0], (xs,))
    assert gradgradcheck(lambda x: ng.max(x, 1)[0] ** 2, (xs,))


@pytest.mark.parametrize("op,dims", [("amax", 1), ("amin", (0, 2)), ("max", None),
                                     ("min", None), ("amax", None)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_amax_max_all_ties_split_evenly(op, dims, dtype):
    xa = np.array([[[1, 3, 3], [0, 2, 1]], [[3, 3, 3], [1, 0, 0]]], dtype)
    x = t(xa, dtype=dtype)

    def f(x):
        if dims is None:
            return getattr(ng, op)(x)
        return getattr(ng, op)(x, dims)

    w = ng.tensor(np.arange(1.0, 1.0 + f(x).numel()).reshape(f(x).shape).astype(dtype))
    fast = _check_paths(lambda x: (f(x) * w).sum(), x, rtol=0)
    red = np.max if op in ("amax", "max") else np.min
    ref = red(xa, axis=dims, keepdims=True)
    hit = xa == ref
    wk = np.reshape(w.numpy(), ref.shape)
    np.testing.assert_allclose(fast[0], hit * wk / hit.sum(axis=dims, keepdims=True),
                               rtol=1e-7)
    xn = xa.copy()
    xn[0, 0, 0] = np.nan  # a NaN extreme: nothing equals it, as the general path
    xnt = t(xn, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _check_paths(lambda x: (f(x) * w).sum(), xnt, rtol=0)
    xs = t(np.random.default_rng(12).standard_normal((3, 4, 2)))
    assert gradcheck(f, (xs,)) and gradgradcheck(f, (xs,))


@pytest.mark.parametrize("rows", [
    [[1.0, 2.0, 0.5], [4.0, 3.0, 1.0]],             # no ties: one hit per slice
    [[np.nan, 1.0, 2.0], [5.0, 5.0, 1.0]],          # as many hits as slices, but a NaN
    [[2.0, 2.0, 0.0], [1.0, 7.0, 7.0]],             # ties in every slice
], ids=["no_ties", "nan_and_tie", "all_ties"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_amax_hit_count_shortcut_matches_the_general_rule(rows, dtype):
    # the array rule counts hits once over the whole mask and skips the per-slice count
    # only when every slice has exactly one; a NaN slice (no hit) beside a tie must not pass
    xa = np.array(rows, dtype)
    w = ng.tensor(np.array([1.5, -2.0], dtype))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fast = _check_paths(lambda x: (ng.amax(x, 1) * w).sum(), t(xa, dtype=dtype), rtol=0)
    hit = xa == np.max(xa, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        want = hit * (w.numpy()[:, None] / hit.sum(axis=1, keepdims=True))
    np.testing.assert_array_equal(fast[0], want.astype(dtype))


@pytest.mark.parametrize("op", ["var", "std"])
@pytest.mark.parametrize("dim,keepdim", [(1, False), ((0, 2), True), (None, False)])
def test_var_std_fast_path(op, dim, keepdim):
    rng = np.random.default_rng(13)
    xa = rng.standard_normal((3, 4, 5))
    xa[1, :, 2] = 0.5  # a constant slice for dim (0, 2)? and for dim 1: std 0 -> grad 0
    x = t(xa)
    f = getattr(ng, op)
    y = f(x, dim, keepdim=keepdim)
    w = _w(y.shape)
    fast = _check_paths(lambda x: (f(x, dim, keepdim=keepdim) * w).sum(), x, rtol=1e-12)
    n = xa.size // y.numel()
    d = xa - xa.mean(axis=dim, keepdims=True)
    wk = np.reshape(w.numpy(), xa.mean(axis=dim, keepdims=True).shape)
    if op == "var":
        want = d * wk * 2 / (n - 1)
    else:
        sd = np.sqrt((d * d).sum(axis=dim, keepdims=True) / (n - 1))
        want = d * wk / np.where(sd == 0, np.inf, sd) / (n - 1)
    np.testing.assert_allclose(fast[0], want, rtol=1e-10, atol=1e-12)
    xs = t(rng.standard_normal((3, 4)))
    assert gradcheck(lambda x: f(x, 1), (xs,)) and gradgradcheck(lambda x: f(x, 1), (xs,))


@pytest.mark.parametrize("dim,keepdim", [(1, False), (0, True), (None, False)])
def test_logsumexp_fast_path(dim, keepdim):
    rng = np.random.default_rng(14)
    xa = rng.standard_normal((3, 4)) * 10
    xa[0, 1] = -np.inf
    x = t(xa)

    def f(x):
        return ng.logsumexp(x, dim, keepdim=keepdim)

    w = _w(f(x).shape)
    fast = _check_paths(lambda x: (f(x) * w).sum(), x)
    m = xa.max(axis=dim, keepdims=True)
    p = np.exp(xa - m) / np.exp(xa - m).sum(axis=dim, keepdims=True)
    np.testing.assert_allclose(fast[0], p * np.reshape(w.numpy(), m.shape), rtol=1e-12)
    xs = t(rng.standard_normal((3, 4)))
    assert gradcheck(f, (xs,)) and gradgradcheck(f, (xs,))


@pytest.mark.parametrize("case", ["plain", "zero", "zero_inf", "underflow"])
def test_prod_zero_test_from_result(case):
    rng = np.random.default_rng(15)
    xa = rng.uniform(0.5, 2, (3, 4))
    if case == "zero":
        xa[1, 2] = 0.0
    elif case == "zero_inf":
        xa[1, 2], xa[1, 0] = 0.0, np.inf  # the product is NaN: the zero is still found
    elif case == "underflow":
        xa[2] = 1e-200  # the product underflows to 0 with no zero factor
    x = t(xa)
    w = _w((3,))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fast = _check_paths(lambda x: (ng.prod(x, 1) * w).sum(), x, rtol=1e-12)
    for i in range(3):
        for j in range(4):
            with np.errstate(invalid="ignore"):  # 0 * inf in the zero_inf row
                others = np.prod(np.delete(xa[i], j))
            if np.isfinite(others):
                np.testing.assert_allclose(fast[0][i, j], w.numpy()[i] * others, rtol=1e-12,
                                           atol=1e-300)
    xs = t(rng.uniform(0.5, 2, (3, 4)))
    assert gradcheck(lambda x: ng.prod(x, 1), (xs,))
    assert gradgradcheck(lambda x: ng.prod(x, 1), (xs,))


@pytest.mark.parametrize("dim", [None, 1])
def test_norm_two_real_and_zero(dim):
    rng = np.random.default_rng(16)
    xa = rng.standard_normal((3, 4))
    xa[1] = 0.0  # a zero row: subgradient 0
    x = t(xa)
    y = ng.norm(x, dim=dim)
    np.testing.assert_allclose(y.detach().numpy(), np.linalg.norm(xa, axis=dim), rtol=1e-14)
    w = _w(y.shape)
    fast = _check_paths(lambda x: (ng.norm(x, dim=dim) * w).sum(), x)
    nk = np.linalg.norm(xa, axis=dim, keepdims=True)
    want = xa * (np.reshape(w.numpy(), nk.shape) / np.where(nk == 0, 1, nk))
    np.testing.assert_allclose(fast[0], want, rtol=1e-14)
    xs = t(rng.standard_normal((3, 4)))
    assert gradcheck(lambda x: ng.norm(x, dim=dim), (xs,))
    assert gradgradcheck(lambda x: ng.norm(x, dim=dim), (xs,))


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 1), (1, 4))])
@pytest.mark.parametrize("need", ["both", "x", "y"])
def test_pow_tensor_exponent_fast_path(shapes, need):
    rng = np.random.default_rng(17)
    xa = rng.uniform(0.5, 2, shapes[0])
    xa.flat[0] = 0.0  # d/dy at x == 0 is 0
    x, y = t(xa, rg=need != "y"), t(rng.uniform(0.5, 2, shapes[1]), rg=need != "x")
    ins = [v for v in (x, y) if v.requires_grad]
    w = _w(np.broadcast_shapes(*shapes))
    fast = _check_paths(lambda *a: ((x ** y) * w).sum(), *ins, rtol=1e-12)
    if shapes[0] == shapes[1]:
        xn, yn, wn = xa, y.detach().numpy(), w.numpy()
        with np.errstate(divide="ignore"):  # 0 ** (y - 1) for y < 1: inf, times 0 below
            wants = {"x": wn * yn * xn ** (yn - 1),
                     "y": wn * np.where(xn == 0, 0, xn ** yn * np.log(np.where(xn == 0, 1,
                                                                                xn)))}
        for v, gf in zip(ins, fast, strict=True):
            np.testing.assert_allclose(gf, wants["x" if v is x else "y"], rtol=1e-12)
    xs, ys = t(rng.uniform(0.5, 2, (3, 1))), t(rng.uniform(0.5, 2, (1, 4)))
    assert gradcheck(lambda a, b: a ** b, (xs, ys)) and gradgradcheck(lambda a, b: a ** b,
                                                                       (xs, ys))


@pytest.mark.parametrize("c", [3.0, -1.5, 0.5, 3])
def test_pow_scalar_fast_path(c):
    rng = np.random.default_rng(18)
    x = t(rng.uniform(0.5, 2, (3, 4)))
    w = _w((3, 4))
    fast = _check_paths(lambda x: ((x ** c) * w).sum(), x)
    xa = x.detach().numpy()
    np.testing.assert_allclose(fast[0], w.numpy() * c * xa ** (c - 1), rtol=1e-13)
    assert gradcheck(lambda x: x ** c, (x,)) and gradgradcheck(lambda x: x ** c, (x,))


@pytest.mark.parametrize("dim,keepdim", [(None, False), (1, False), ((0, 2), True), (-1, True)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mean_node_has_the_bits_of_sum_then_divide(dim, keepdim, dtype):
    # mean is one primitive (MeanBackward0/1); forward and gradient equal the composite
    xa = np.random.default_rng(5).standard_normal((3, 5, 7)).astype(dtype)
    a, b = t(xa, dtype=dtype), t(xa, dtype=dtype)
    y = ng.mean(a, dim, keepdim=keepdim)
    n = xa.size if dim is None else int(np.prod([xa.shape[d] for d in np.atleast_1d(dim)]))
    z = ng.sum(b, dim, keepdim=keepdim) / n
    assert type(y.grad_fn).__name__ == ("MeanBackward0" if dim is None else "MeanBackward1")
    np.testing.assert_array_equal(y.detach().numpy(), z.detach().numpy())
    w = _w(y.shape)
    (y * w).sum().backward()
    (z * w).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
    assert a.grad.dtype == dtype
    assert gradcheck(lambda x: ng.mean(x, dim, keepdim=keepdim), (t(xa[:2, :3, :2]),))
    assert gradgradcheck(lambda x: ng.mean(x, dim, keepdim=keepdim) ** 2, (t(xa[:2, :3, :2]),))


@pytest.mark.parametrize("chain", ["sum_then_mean", "mean_then_sum", "mean_of_mean",
                                   "sum_keepdim_then_sum"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_reductions_fed_one_value_broadcast_it_with_the_same_bits(chain, dtype):
    # a sum's or mean's rule fed a gradient that holds one value (0-d, or a broadcast
    # scalar from the reduction after it) broadcasts that scalar: values and dtype as the
    # general rule, and the leaf's .grad is its own writable array
    xa = np.random.default_rng(4).standard_normal((3, 4, 5)).astype(dtype)
    f = {"sum_then_mean": lambda x: x.sum(dim=1).mean(),
         "mean_then_sum": lambda x: x.mean(dim=2).sum(),
         "mean_of_mean": lambda x: x.mean(dim=0).mean(),
         "sum_keepdim_then_sum": lambda x: x.sum(dim=1, keepdim=True).sum() * 3.0}[chain]
    fast = _check_paths(f, t(xa, dtype=dtype), rtol=0)
    assert fast[0].dtype == dtype
    x = t(xa, dtype=dtype)
    f(x).backward()
    assert x.grad._data.flags.writeable and x.grad._data.base is None
    x.grad.add_(1.0)  # the leaf owns it: writable in place
    assert gradcheck(f, (t(xa[:2, :2, :3]),))
