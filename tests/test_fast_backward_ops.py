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


def t(a, rg=True, dtype=np.float64):
    return ng.tensor(np.asarray(a, dtype=dtype), requires_grad=rg)


def both_paths(f, *inputs):
    """Gradients of f(*inputs) without and with create_graph (the general path)."""
    fast = ng.autograd.grad(f(*inputs), inputs)
    slow = ng.autograd.grad(f(*inputs), inputs, create_graph=True)
    return [g.detach().numpy() for g in fast], [g.detach().numpy() for g in slow]


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
    # abs: subgradient 0 at 0 (sign(0)); nan at nan
    xa = t(x)
    (ga,) = ng.autograd.grad(ng.abs(xa), [xa], ng.tensor(np.ones(7)))
    np.testing.assert_array_equal(ga.numpy(), [0, 0, np.nan, 1, -1, 1, -1])


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
