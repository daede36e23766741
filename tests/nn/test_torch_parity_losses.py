"""Losses and activations at their special points (0, kinks, saturation, ignored targets), with
PyTorch's values and gradients written out from its formulas in NumPy; gradcheck and
gradgradcheck in float64 away from the kinks."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad as ng
from ndgrad.autograd import gradcheck, gradgradcheck
from ndgrad.nn import functional as F


def t64(v, rg=True):
    return ng.tensor(np.asarray(v, dtype=np.float64), requires_grad=rg)


def grad_of(fn, *vals, i=0, dtype=np.float64):
    xs = [ng.tensor(np.asarray(v, dtype=dtype), requires_grad=True) for v in vals]
    fn(*xs).sum().backward()
    return xs[i].grad.numpy()


def np_sigmoid(x):
    return np.exp(np.minimum(x, 0)) / (1 + np.exp(-np.abs(x)))


# ---------------------------------------------------------------------------- BCE with logits
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_grad_at_zero_logit(dtype):
    t = ng.tensor(np.array([0.0, 1.0, 0.5], dtype=dtype))
    g = grad_of(lambda x: F.binary_cross_entropy_with_logits(x, t, reduction="none"),
                [0.0, 0.0, 0.0], dtype=dtype)
    np.testing.assert_array_equal(g, [0.5, -0.5, 0.0])  # sigmoid(0) - t
    pw = ng.tensor(np.array([3.0], dtype=dtype))
    g = grad_of(lambda x: F.binary_cross_entropy_with_logits(
        x, ng.tensor(np.array([1.0], dtype=dtype)), pos_weight=pw), [0.0], dtype=dtype)
    np.testing.assert_array_equal(g, [-1.5])  # (pw t + 1 - t) / 2 - pw t


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_large_logits_values_and_grads(dtype):
    x = np.array([-1e4, -50.0, -1.0, 0.0, 2.0, 50.0, 1e4])
    t = np.array([1.0, 0.0, 0.3, 0.5, 1.0, 1.0, 0.0])
    pw, w = np.array([2.0]), np.linspace(0.5, 2.0, 7)
    xt = ng.tensor(x.astype(dtype), requires_grad=True)
    tt = ng.tensor(t.astype(dtype), requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(xt, tt, weight=ng.tensor(w.astype(dtype)),
                                              pos_weight=ng.tensor(pw.astype(dtype)),
                                              reduction="none")
    loss.sum().backward()
    softplus_neg = np.logaddexp(0, -x)  # -log(sigmoid(x))
    want = w * ((1 - t) * x + (1 + (pw - 1) * t) * softplus_neg)
    want_gx = w * ((pw * t + 1 - t) * np_sigmoid(x) - pw * t)
    want_gt = w * (-np.logaddexp(0, x) + pw * softplus_neg)  # logsig(-x) - pw logsig(x)
    tol = 1e-6 if dtype == np.float32 else 1e-12
    for got, exp in ((loss, want), (xt.grad, want_gx), (tt.grad, want_gt)):
        arr = got.detach().numpy()
        assert np.isfinite(arr).all()
        np.testing.assert_allclose(arr, exp, rtol=tol, atol=tol)


@pytest.mark.parametrize("kw", [{}, {"pos_weight": [0.5, 2.0, 3.0]},
                                {"pos_weight": [2.0, 1.0, 0.0], "weight": [1.0, 0.5, 2.0]}])
def test_bce_with_logits_gradcheck_gradgradcheck(kw):
    rng = np.random.default_rng(3)
    x = t64(rng.standard_normal((2, 3)) * 3)
    t = t64(rng.random((2, 3)))
    extra = {k: ng.tensor(np.array(v)) for k, v in kw.items()}
    fn = lambda a, b: F.binary_cross_entropy_with_logits(a, b, **extra)  # noqa: E731
    assert gradcheck(fn, (x, t)) and gradgradcheck(fn, (x, t))
    if "pos_weight" in kw:  # pos_weight is differentiable here (PyTorch refuses)
        pw = t64(kw["pos_weight"])
        assert gradcheck(lambda p: F.binary_cross_entropy_with_logits(x, t, pos_weight=p), (pw,))


# ---------------------------------------------------------------------------- softplus
@pytest.mark.parametrize("beta,threshold", [(1.0, 20.0), (2.0, 1.0), (0.5, 3.0)])
def test_softplus_beta_threshold_values_and_grads(beta, threshold):
    x = np.array([-30.0, -1.0, -0.0, 0.0, 0.5, 1.0, 2.0, 19.5, 20.5, 40.0])
    z = beta * x
    lin = z > threshold
    want = np.where(lin, x, np.logaddexp(0, z) / beta)
    want_g = np.where(lin, 1.0, np_sigmoid(z))
    for fn in (F.softplus, ng.softplus):
        xt = t64(x)
        y = fn(xt, beta=beta, threshold=threshold)
        y.sum().backward()
        np.testing.assert_allclose(y.detach().numpy(), want, rtol=1e-14, atol=1e-300)
        np.testing.assert_allclose(xt.grad.numpy(), want_g, rtol=1e-14)
    assert F.softplus(ng.tensor([2.0]), threshold=1.0).item() == 2.0
    assert grad_of(F.softplus, [0.0])[0] == 0.5


def test_softplus_second_derivative_masks_at_threshold():
    # PyTorch's double backward keeps beta * x < threshold: at beta * x == threshold the first
    # derivative is sigmoid, the second 0
    x = t64([-1.0, 0.0, 0.5, 0.75])
    (g,) = ng.autograd.grad(F.softplus(x, beta=2.0, threshold=1.0).sum(), x, create_graph=True)
    (gg,) = ng.autograd.grad(g.sum(), x)
    s = np_sigmoid(np.array([-2.0, 0.0, 1.0, 1.5]))
    np.testing.assert_allclose(g.detach().numpy(), [s[0], s[1], s[2], 1.0], rtol=1e-14)
    np.testing.assert_allclose(gg.numpy(), [2 * s[0] * (1 - s[0]), 0.5, 0.0, 0.0], rtol=1e-14)
    y = t64([-1.3, 0.2, 0.45])
    fn = lambda a: F.softplus(a, beta=2.0, threshold=1.0)  # noqa: E731
    assert gradcheck(fn, (y,)) and gradgradcheck(fn, (y,))


# ---------------------------------------------------------------------------- BCE
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_finite_grads_at_zero_and_one(dtype):
    p = np.array([0.0, 0.0, 1.0, 1.0, 0.3])
    t = np.array([0.0, 1.0, 1.0, 0.0, 0.2])
    pt = ng.tensor(p.astype(dtype), requires_grad=True)
    tt = ng.tensor(t.astype(dtype), requires_grad=True)
    loss = F.binary_cross_entropy(pt, tt, reduction="none")
    loss.sum().backward()
    eps = float(np.float32(1e-12))  # PyTorch's EPSILON is a C float
    with np.errstate(divide="ignore"):
        want = -(t * np.maximum(np.log(p), -100) + (1 - t) * np.maximum(np.log1p(-p), -100))
        want_gt = np.log1p(-p) - np.log(p)
    want_gp = (p - t) / np.maximum(p * (1 - p), eps)
    np.testing.assert_allclose(loss.detach().numpy(), want, rtol=1e-6)
    np.testing.assert_allclose(pt.grad.numpy(), want_gp, rtol=1e-6)
    np.testing.assert_allclose(tt.grad.numpy(), want_gt, rtol=1e-6)  # +-inf at p = 0, 1


def test_bce_of_saturated_float32_sigmoid_has_zero_grad():
    x = ng.tensor(np.array([17.0, 20.0, 40.0], dtype=np.float32), requires_grad=True)
    F.binary_cross_entropy(F.sigmoid(x), ng.tensor(np.ones(3, dtype=np.float32))).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])


def test_bce_checks_input_and_target_range_and_gradgradcheck():
    with pytest.raises(RuntimeError, match="input should be between 0 and 1"):
        F.binary_cross_entropy(t64([float("nan")], False), t64([1.0], False))
    with pytest.raises(RuntimeError, match="target should be between 0 and 1"):
        F.binary_cross_entropy(t64([0.5], False), t64([1.5], False))
    p, t = t64([0.2, 0.5, 0.9]), t64([0.1, 0.7, 0.3])
    w = ng.tensor([1.0, 2.0, 0.5], dtype=ng.float64)
    fn = lambda a, b: F.binary_cross_entropy(a, b, weight=w)  # noqa: E731
    assert gradcheck(fn, (p, t)) and gradgradcheck(fn, (p, t))


# ---------------------------------------------------------------------------- CE / NLL
def _all_ignored_calls():
    w = ng.tensor([0.5, 1.0, 2.0, 1.5], dtype=ng.float64)
    return [lambda x, t: F.cross_entropy(x, t), lambda x, t: F.cross_entropy(x, t, weight=w),
            lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1),
            lambda x, t: F.cross_entropy(x, t, weight=w, label_smoothing=0.2),
            lambda x, t: F.nll_loss(x, t), lambda x, t: F.nll_loss(x, t, weight=w)]


@pytest.mark.parametrize("k", range(6))
def test_all_ignored_mean_is_nan_with_zero_grad(k):
    fn = _all_ignored_calls()[k]
    x = t64(np.random.default_rng(0).standard_normal((3, 4)))
    t = ng.tensor(np.full(3, -100))
    loss = fn(x, t)
    assert np.isnan(loss.item())
    (g,) = ng.autograd.grad(loss, x)
    np.testing.assert_array_equal(g.numpy(), np.zeros((3, 4)))


def test_zero_total_weight_nan_only_where_pytorch_has_it():
    x = t64(np.random.default_rng(1).standard_normal((3, 4)))
    t = ng.tensor(np.array([0, -100, 0]))
    w = ng.tensor([0.0, 1.0, 2.0, 1.0], dtype=ng.float64)
    (g,) = ng.autograd.grad(F.nll_loss(x, t, weight=w), x)
    want = np.zeros((3, 4))
    want[[0, 2], 0] = np.nan  # 0 * (1 / 0) at the targets only
    np.testing.assert_array_equal(g.numpy(), want)
    (g,) = ng.autograd.grad(F.cross_entropy(x, t, weight=w), x)
    assert np.isnan(g.numpy()[[0, 2]]).all() and (g.numpy()[1] == 0).all()


def test_class_index_losses_ignore_minus_inf_off_target():
    inf = np.inf
    logits = np.array([[0.0, -inf, 1.0], [2.0, 0.0, -inf]])
    t = ng.tensor(np.array([0, 1]))
    lse = np.log(np.exp(logits).sum(1))
    want = lse - logits[[0, 1], [0, 1]]
    w = ng.tensor([1.0, 1.0, 1.0], dtype=ng.float64)
    for kw in ({}, {"weight": w}):
        x = t64(logits)
        loss = F.cross_entropy(x, t, reduction="none", **kw)
        loss.sum().backward()
        np.testing.assert_allclose(loss.detach().numpy(), want, rtol=1e-14)
        p = np.exp(logits - lse[:, None])
        np.testing.assert_allclose(x.grad.numpy(), p - np.eye(3)[[0, 1]], rtol=1e-14)
    np.testing.assert_array_equal(F.nll_loss(t64(logits, False), t, reduction="none").numpy(),
                                  -logits[[0, 1], [0, 1]])


def test_nll_create_graph_grad_requires_grad_and_is_linear():
    x = t64(np.random.default_rng(2).standard_normal((3, 4)))
    t = ng.tensor(np.array([1, 3, 0]))
    (g,) = ng.autograd.grad(F.nll_loss(x, t), x, create_graph=True)
    want = np.zeros((3, 4))
    want[[0, 1, 2], [1, 3, 0]] = -1 / 3
    np.testing.assert_allclose(g.detach().numpy(), want)
    assert g.requires_grad
    (gg,) = ng.autograd.grad((g * g).sum(), x)
    np.testing.assert_array_equal(gg.numpy(), np.zeros((3, 4)))
    fn = lambda a: F.nll_loss(a, t, reduction="sum")  # noqa: E731
    assert gradcheck(fn, (x,)) and gradgradcheck(fn, (x,))


# ---------------------------------------------------------------------------- activations
def test_leaky_relu_values_grads_and_create_graph():
    x = np.array([-2.0, -0.0, 0.0, 1e-9, 3.0])
    xt = t64(x)
    y = F.leaky_relu(xt, 0.2)
    np.testing.assert_array_equal(y.detach().numpy(), np.where(x > 0, x, 0.2 * x))
    (g,) = ng.autograd.grad(y.sum(), xt, create_graph=True)
    np.testing.assert_array_equal(g.detach().numpy(), np.where(x > 0, 1.0, 0.2))  # slope at 0
    assert g.requires_grad
    (gg,) = ng.autograd.grad((g * 3).sum(), xt)
    np.testing.assert_array_equal(gg.numpy(), np.zeros(5))
    y = t64([-1.3, -0.2, 0.4, 2.0])
    fn = lambda a: F.leaky_relu(a, 0.1)  # noqa: E731
    assert gradcheck(fn, (y,)) and gradgradcheck(fn, (y,))



# ---- PyTorch's deprecated size_average / reduce pair decides the reduction when given
LEGACY = [((None, False), "none"), ((False, None), "sum"), ((True, True), "mean"),
          ((False, True), "sum"), ((True, False), "none")]


@pytest.mark.parametrize(("args", "want"), LEGACY)
def test_legacy_size_average_and_reduce(args, want):
    import warnings as _w

    rng = np.random.default_rng(0)
    x = ng.tensor(rng.uniform(0.1, 0.9, (4, 3)))
    t = ng.tensor(rng.uniform(0.0, 1.0, (4, 3)))
    idx = ng.tensor([0, 2, 1, 1])
    calls = {
        "mse": (lambda **k: F.mse_loss(x, t, **k)),
        "l1": (lambda **k: F.l1_loss(x, t, **k)),
        "bce": (lambda **k: F.binary_cross_entropy(x, t, **k)),
        "bcel": (lambda **k: F.binary_cross_entropy_with_logits(x, t, **k)),
        "ce": (lambda **k: F.cross_entropy(x, idx, **k)),
        "nll": (lambda **k: F.nll_loss(x, idx, **k)),
    }
    sa, rd = args
    for name, f in calls.items():
        with pytest.warns(UserWarning, match=f"reduction='{want}'"):
            got = f(size_average=sa, reduce=rd, reduction="mean")
        with _w.catch_warnings():
            _w.simplefilter("error")
            ref = f(reduction=want)
        np.testing.assert_allclose(got.numpy(), ref.numpy(), err_msg=name)
    with pytest.warns(UserWarning):
        mod = ng.nn.MSELoss(size_average=sa, reduce=rd)
    assert mod.reduction == want
