"""nn.functional layers, activations and losses against NumPy formulas; gradcheck in float64."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ndgrad as ng
from ndgrad.autograd import gradcheck, gradgradcheck
from ndgrad.nn import functional as F


def t64(a, rg=True):
    return ng.tensor(np.asarray(a, dtype=np.float64), requires_grad=rg)


def log_softmax_np(z, axis=1):
    z = z - z.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def test_linear_forward_grad_and_batched():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((5, 3)), rng.standard_normal(5)
    np.testing.assert_allclose(F.linear(t64(x, False), t64(w, False), t64(b, False)).numpy(),
                               x @ w.T + b, rtol=1e-12)
    xt, wt, bt = t64(x), t64(w), t64(b)
    gy = rng.standard_normal((4, 5))
    (F.linear(xt, wt, bt) * ng.tensor(gy)).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), gy @ w, rtol=1e-12)
    np.testing.assert_allclose(wt.grad.numpy(), gy.T @ x, rtol=1e-12)
    np.testing.assert_allclose(bt.grad.numpy(), gy.sum(0), rtol=1e-12)
    x3 = t64(rng.standard_normal((2, 4, 3)))
    assert gradcheck(F.linear, (x3, t64(w), t64(b)))
    assert gradgradcheck(F.linear, (x3, t64(w), t64(b)))
    assert gradgradcheck(F.linear, (t64(x), t64(w)))
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        F.linear(ng.randn(2, 4), ng.randn(5, 3))


def test_activations_match_numpy():
    x = np.linspace(-4, 4, 17)
    xt = t64(x, False)
    np.testing.assert_allclose(F.relu(xt).numpy(), np.maximum(x, 0))
    np.testing.assert_allclose(F.sigmoid(xt).numpy(), 1 / (1 + np.exp(-x)), rtol=1e-12)
    np.testing.assert_allclose(F.tanh(xt).numpy(), np.tanh(x), rtol=1e-12)
    erf = np.vectorize(math.erf)
    np.testing.assert_allclose(F.gelu(xt).numpy(), 0.5 * x * (1 + erf(x / math.sqrt(2))),
                               rtol=1e-12, atol=1e-15)
    tanh_form = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    np.testing.assert_allclose(F.gelu(xt, approximate="tanh").numpy(), tanh_form, rtol=1e-12,
                               atol=1e-15)
    y = t64(np.array([-1.3, -0.2, 0.4, 2.0]))
    assert gradcheck(F.gelu, (y,)) and gradgradcheck(F.gelu, (y,))
    assert gradcheck(lambda t: F.gelu(t, approximate="tanh"), (y,))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_log_softmax(dim):
    rng = np.random.default_rng(1)
    z = rng.standard_normal((3, 4)) * 30  # large logits: must stay finite
    ls = log_softmax_np(z, dim)
    np.testing.assert_allclose(F.log_softmax(t64(z, False), dim).numpy(), ls, rtol=1e-12)
    np.testing.assert_allclose(F.softmax(t64(z, False), dim).numpy(), np.exp(ls), rtol=1e-12)
    zt = t64(z / 30)
    assert gradcheck(lambda t: F.softmax(t, dim), (zt,))
    assert gradgradcheck(lambda t: F.log_softmax(t, dim), (zt,))


def test_dropout_mask_scale_and_eval():
    ng.manual_seed(0)
    x = ng.ones(1000, dtype=ng.float64)
    y = F.dropout(x, 0.25).numpy()
    assert set(np.unique(y)) <= {0.0, 1 / 0.75}
    assert abs((y == 0).mean() - 0.25) < 0.05
    assert F.dropout(x, 0.25, training=False) is x
    xt = ng.ones(50, dtype=ng.float64, requires_grad=True)
    out = F.dropout(xt, 0.5)
    out.sum().backward()
    np.testing.assert_array_equal(xt.grad.numpy(), out.detach().numpy())
    with pytest.raises(ValueError):
        F.dropout(x, 1.5)


def test_batch_norm_train_and_eval_vs_numpy():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((8, 3, 2, 2)) * 2 + 1
    bn = ng.nn.BatchNorm2d(3).double()
    bn.weight.data = ng.tensor(np.array([1.0, 2.0, 0.5]))
    bn.bias.data = ng.tensor(np.array([0.0, -1.0, 3.0]))
    out = bn(ng.tensor(x)).detach().numpy()
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    w, b = np.array([1.0, 2.0, 0.5]), np.array([0.0, -1.0, 3.0])
    want = (x - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-5)
    want = want * w[None, :, None, None] + b[None, :, None, None]
    np.testing.assert_allclose(out, want, rtol=1e-10, atol=1e-12)
    n = 8 * 2 * 2
    rm, rv = 0.1 * mean, 0.9 + 0.1 * var * n / (n - 1)
    np.testing.assert_allclose(bn.running_mean.numpy(), rm, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), rv, rtol=1e-12)
    assert int(bn.num_batches_tracked.item()) == 1
    bn.eval()
    x2 = rng.standard_normal((4, 3, 2, 2))
    want2 = (x2 - rm[None, :, None, None]) / np.sqrt(rv[None, :, None, None] + 1e-5)
    want2 = want2 * w[None, :, None, None] + b[None, :, None, None]
    np.testing.assert_allclose(bn(ng.tensor(x2)).detach().numpy(), want2, rtol=1e-10)
    np.testing.assert_allclose(bn.running_mean.numpy(), rm)  # eval leaves the stats alone


def test_batch_norm1d_momentum_none_and_grad():
    rng = np.random.default_rng(3)
    bn = ng.nn.BatchNorm1d(2, momentum=None).double()
    xs = [rng.standard_normal((5, 2)) for _ in range(3)]
    for x in xs:
        bn(ng.tensor(x))
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([x.mean(0) for x in xs], 0),
                               rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(),
                               np.mean([x.var(0, ddof=1) for x in xs], 0), rtol=1e-12)
    xt = t64(rng.standard_normal((6, 2)))
    wt, bt = t64([1.5, -0.5]), t64([0.1, 0.2])
    assert gradcheck(lambda a, w, b: F.batch_norm(a, None, None, w, b, training=True),
                     (xt, wt, bt))


def test_layer_norm_vs_numpy_and_grad():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 4))
    ln = ng.nn.LayerNorm((3, 4)).double()
    mu = x.mean(axis=(1, 2), keepdims=True)
    want = (x - mu) / np.sqrt(x.var(axis=(1, 2), keepdims=True) + 1e-5)
    np.testing.assert_allclose(ln(ng.tensor(x)).detach().numpy(), want, rtol=1e-10)
    w = t64(rng.standard_normal(4))
    assert gradcheck(lambda a, w: F.layer_norm(a, (4,), w), (t64(x), w))


def test_embedding_and_padding_idx():
    emb = ng.nn.Embedding(5, 3, padding_idx=0).double()
    assert np.all(emb.weight.detach().numpy()[0] == 0)
    idx = ng.tensor([[0, 2], [2, 4]])
    out = emb(idx)
    np.testing.assert_array_equal(out.detach().numpy(), emb.weight.detach().numpy()[[[0, 2],
                                                                                      [2, 4]]])
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy()[:, 0], [0, 0, 2, 0, 1])


# ---------------------------------------------------------------------------- losses
def test_mse_l1_losses():
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    np.testing.assert_allclose(F.mse_loss(t64(a, False), t64(b, False)).item(),
                               ((a - b) ** 2).mean())
    np.testing.assert_allclose(F.l1_loss(t64(a, False), t64(b, False), reduction="sum").item(),
                               np.abs(a - b).sum())
    assert F.mse_loss(t64(a, False), t64(b, False), reduction="none").shape == (3, 4)
    assert gradcheck(lambda x: F.mse_loss(x, t64(b, False)), (t64(a),))
    with pytest.raises(ValueError):
        F.mse_loss(t64(a, False), t64(b, False), reduction="avg")


def ce_ref(z, y, w=None, ignore=-100, eps=0.0, reduction="mean"):
    """PyTorch's documented cross entropy with class indices (class dim 1, any extra dims)."""
    z = np.moveaxis(z, 1, -1).reshape(-1, z.shape[1])
    y = y.reshape(-1)
    c = z.shape[1]
    w = np.ones(c) if w is None else w
    lp = log_softmax_np(z)
    valid = y != ignore
    ys = np.where(valid, y, 0)
    nll = -w[ys] * lp[np.arange(len(y)), ys] * valid
    smooth = -(lp * w).sum(1) * valid
    if reduction == "none":
        return (1 - eps) * nll + eps / c * smooth
    if reduction == "sum":
        return (1 - eps) * nll.sum() + eps / c * smooth.sum()
    denom = (w[ys] * valid).sum()
    return (1 - eps) * nll.sum() / denom + eps / c * smooth.sum() / denom


@pytest.mark.parametrize("kw", [{}, {"reduction": "sum"}, {"reduction": "none"},
                                {"weight": np.array([0.2, 1.0, 3.0, 0.5])},
                                {"ignore_index": 1}, {"label_smoothing": 0.2},
                                {"weight": np.array([0.2, 1.0, 3.0, 0.5]), "ignore_index": 2,
                                 "label_smoothing": 0.1},
                                {"weight": np.array([0.2, 1.0, 3.0, 0.5]), "label_smoothing": 0.3,
                                 "reduction": "none"}])
def test_cross_entropy_indices_vs_numpy(kw):
    rng = np.random.default_rng(6)
    z = rng.standard_normal((6, 4)) * 3
    y = np.array([0, 1, 2, 3, 1, 2])
    ref_kw = {"w": kw.get("weight"), "ignore": kw.get("ignore_index", -100),
              "eps": kw.get("label_smoothing", 0.0), "reduction": kw.get("reduction", "mean")}
    fkw = dict(kw)
    if "weight" in fkw:
        fkw["weight"] = ng.tensor(fkw["weight"])
    got = F.cross_entropy(t64(z, False), ng.tensor(y), **fkw)
    np.testing.assert_allclose(got.numpy(), ce_ref(z, y, **ref_kw), rtol=1e-12)
    zt = t64(z)
    assert gradcheck(lambda t: F.cross_entropy(t, ng.tensor(y), **fkw), (zt,))
    assert gradgradcheck(lambda t: F.cross_entropy(t, ng.tensor(y), **fkw), (zt,))


def test_cross_entropy_gradient_is_softmax_minus_onehot():
    rng = np.random.default_rng(7)
    z = rng.standard_normal((5, 3))
    y = np.array([2, 0, 1, 1, 0])
    zt = t64(z)
    F.cross_entropy(zt, ng.tensor(y)).backward()
    p = np.exp(log_softmax_np(z))
    p[np.arange(5), y] -= 1
    np.testing.assert_allclose(zt.grad.numpy(), p / 5, rtol=1e-12)


def test_cross_entropy_spatial_and_unbatched():
    rng = np.random.default_rng(8)
    z = rng.standard_normal((2, 3, 4, 5))
    y = rng.integers(0, 3, (2, 4, 5))
    np.testing.assert_allclose(F.cross_entropy(t64(z, False), ng.tensor(y)).item(),
                               ce_ref(z, y), rtol=1e-12)
    none = F.cross_entropy(t64(z, False), ng.tensor(y), reduction="none")
    assert none.shape == (2, 4, 5)
    z1 = rng.standard_normal(4)
    np.testing.assert_allclose(F.cross_entropy(t64(z1, False), ng.tensor(2)).item(),
                               -log_softmax_np(z1[None])[0, 2], rtol=1e-12)
    with pytest.raises(IndexError, match="out of bounds"):
        F.cross_entropy(t64(z1[None], False), ng.tensor([7]))


@pytest.mark.parametrize("kw", [{}, {"label_smoothing": 0.25}, {"reduction": "sum"},
                                {"weight": np.array([1.0, 2.0, 0.5])}])
def test_cross_entropy_probabilities_vs_numpy(kw):
    rng = np.random.default_rng(9)
    z = rng.standard_normal((4, 3))
    t = rng.random((4, 3))
    t /= t.sum(1, keepdims=True)
    eps = kw.get("label_smoothing", 0.0)
    w = kw.get("weight", np.ones(3))
    tt = t * (1 - eps) + eps / 3
    per = -(tt * w * log_softmax_np(z)).sum(1)
    want = per.sum() if kw.get("reduction") == "sum" else per.mean()
    fkw = dict(kw)
    if "weight" in fkw:
        fkw["weight"] = ng.tensor(fkw["weight"])
    got = F.cross_entropy(t64(z, False), t64(t, False), **fkw)
    np.testing.assert_allclose(got.item(), want, rtol=1e-12)
    tg = t64(t)  # soft targets that need a gradient take the composite path
    zt = t64(z)
    F.cross_entropy(zt, tg, **fkw).backward()
    scale = 1.0 if kw.get("reduction") == "sum" else 1 / 4
    np.testing.assert_allclose(tg.grad.numpy(), -(1 - eps) * w * log_softmax_np(z) * scale,
                               rtol=1e-12)
    assert gradcheck(lambda a: F.cross_entropy(a, t64(t, False), **fkw), (t64(z),))


def test_nll_loss_vs_numpy():
    rng = np.random.default_rng(10)
    lp = log_softmax_np(rng.standard_normal((5, 4)))
    y = np.array([0, 3, 1, 1, 2])
    w = np.array([1.0, 0.5, 2.0, 1.5])
    got = F.nll_loss(t64(lp, False), ng.tensor(y), weight=ng.tensor(w), ignore_index=3)
    valid = y != 3
    want = -(w[y] * lp[np.arange(5), y] * valid).sum() / (w[y] * valid).sum()
    np.testing.assert_allclose(got.item(), want, rtol=1e-12)
    np.testing.assert_allclose(F.nll_loss(t64(lp, False), ng.tensor(y), reduction="none")
                               .numpy(), -lp[np.arange(5), y])
    assert gradcheck(lambda a: F.nll_loss(a, ng.tensor(y), weight=ng.tensor(w)), (t64(lp),))


def test_binary_cross_entropy_losses():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((3, 4)) * 5
    t = (rng.random((3, 4)) > 0.5).astype(np.float64)
    p = 1 / (1 + np.exp(-x))
    want = -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean()
    np.testing.assert_allclose(F.binary_cross_entropy(t64(p, False), t64(t, False)).item(),
                               want, rtol=1e-10)
    np.testing.assert_allclose(
        F.binary_cross_entropy_with_logits(t64(x, False), t64(t, False)).item(), want,
        rtol=1e-10)
    # log clamped at -100: a confident wrong prediction costs 100, not inf
    got = F.binary_cross_entropy(t64([0.0, 1.0], False), t64([1.0, 0.0], False))
    assert got.item() == pytest.approx(100.0)
    pw = np.array([1.0, 2.0, 3.0, 0.5])
    want_pw = -(pw * t * np.log(p) + (1 - t) * np.log(1 - p)).mean()
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(
        t64(x, False), t64(t, False), pos_weight=ng.tensor(pw)).item(), want_pw, rtol=1e-10)
    assert gradcheck(lambda a: F.binary_cross_entropy(a, t64(t, False)),
                     (t64(np.clip(p, 0.05, 0.95)),))
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(t64([1.5], False), t64([1.0], False))


def test_loss_modules_match_functional():
    rng = np.random.default_rng(12)
    z = t64(rng.standard_normal((4, 3)), False)
    y = ng.tensor([0, 2, 1, 1])
    nn = ng.nn
    assert nn.CrossEntropyLoss(label_smoothing=0.1)(z, y).item() == pytest.approx(
        F.cross_entropy(z, y, label_smoothing=0.1).item())
    assert nn.NLLLoss()(F.log_softmax(z, 1), y).item() == pytest.approx(
        F.cross_entropy(z, y).item())
    t = t64(rng.random((4, 3)), False)
    assert nn.MSELoss(reduction="sum")(z, t).item() == pytest.approx(
        float(((z.numpy() - t.numpy()) ** 2).sum()))
    assert nn.L1Loss()(z, t).item() == pytest.approx(float(np.abs(z.numpy() - t.numpy()).mean()))
    s = F.sigmoid(z)
    assert nn.BCELoss()(s, t).item() == pytest.approx(nn.BCEWithLogitsLoss()(z, t).item())


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_index_fast_path_matches_general_path(reduction):
    rng = np.random.default_rng(3)
    x = ng.tensor(rng.standard_normal((4, 5)), requires_grad=True)
    t = ng.tensor(np.array([0, 4, 2, 2]))
    fast = F.cross_entropy(x, t, reduction=reduction)
    assert type(fast.grad_fn).__name__ == "NllLossBackward0"
    general = F.cross_entropy(x, t, weight=ng.ones(5, dtype=ng.float64), reduction=reduction)
    np.testing.assert_allclose(fast.item(), general.item(), rtol=1e-12)
    gf = ng.autograd.grad(fast, x)[0].numpy()
    gg = ng.autograd.grad(general, x)[0].numpy()
    np.testing.assert_allclose(gf, gg, rtol=1e-12)
    assert ng.autograd.gradcheck(lambda a: F.cross_entropy(a, t, reduction=reduction), (x,))
    assert ng.autograd.gradgradcheck(lambda a: F.cross_entropy(a, t, reduction=reduction), (x,))


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8])
@pytest.mark.parametrize("as_tensor", [True, False])
def test_cross_entropy_fast_path_target_dtypes(dtype, as_tensor):
    rng = np.random.default_rng(4)
    x = ng.tensor(rng.standard_normal((5, 4)), requires_grad=True)
    y = np.array([3, 0, 1, 1, 2], dtype=dtype)
    t = ng.tensor(y) if as_tensor else y
    fast = F.cross_entropy(x, t)
    assert type(fast.grad_fn).__name__ == "NllLossBackward0"
    general = F.cross_entropy(x, ng.tensor(y.astype(np.int64)), weight=ng.ones(4, dtype=ng.float64))
    np.testing.assert_allclose(fast.item(), general.item(), rtol=1e-12)
    fast.backward()
    gf = x.grad.numpy().copy()
    x.grad = None
    general.backward()
    np.testing.assert_allclose(gf, x.grad.numpy(), rtol=1e-12)


def test_cross_entropy_fast_path_out_of_range_targets():
    x = ng.tensor(np.zeros((3, 4)), requires_grad=True)
    with pytest.raises(IndexError, match="Target 4 is out of bounds"):
        F.cross_entropy(x, ng.tensor(np.array([0, 4, 1])))
    with pytest.raises(IndexError, match="Target -1 is out of bounds"):
        F.cross_entropy(x, ng.tensor(np.array([0, -1, 1])))
    # a negative ignore_index target is ignored, not wrapped around
    z = ng.tensor(np.random.default_rng(5).standard_normal((3, 4)), requires_grad=True)
    got = F.cross_entropy(z, ng.tensor(np.array([2, -100, 1])))
    want = F.cross_entropy(z[[0, 2]], ng.tensor(np.array([2, 1])))
    np.testing.assert_allclose(got.item(), want.item(), rtol=1e-12)
    # so is an ignore_index >= C (e.g. 255 for "void" labels)
    got = F.cross_entropy(z, ng.tensor(np.array([2, 255, 1])), ignore_index=255)
    np.testing.assert_allclose(got.item(), want.item(), rtol=1e-12)


def test_cross_entropy_fast_path_retain_graph_twice():
    x = ng.tensor(np.random.default_rng(6).standard_normal((3, 4)), requires_grad=True)
    loss = F.cross_entropy(x, ng.tensor(np.array([1, 2, 3])), reduction="sum")
    loss.backward(retain_graph=True)
    g1 = x.grad.numpy().copy()
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * g1, rtol=1e-12)


def test_relu_functional_and_module_match_ops():
    a = np.array([[-1.0, 0.0, 2.0], [3.0, -0.5, np.nan]])
    for f in (F.relu, ng.nn.ReLU()):
        x = ng.tensor(a.copy(), requires_grad=True)
        y = f(x)
        np.testing.assert_array_equal(y.detach().numpy(), ng.relu(ng.tensor(a)).numpy())
        y.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy()[:, :2], [[0.0, 0.0], [1.0, 0.0]])
    assert F.relu(ng.tensor(np.array([-2, 3]))).numpy().tolist() == [0, 3]
    with ng.no_grad():
        assert not F.relu(ng.tensor(a, requires_grad=True)).requires_grad
