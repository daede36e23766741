"""Embedding's PyTorch arguments: max_norm renormalises the looked-up rows in place (and
bumps the weight's version), scale_grad_by_freq divides each row's gradient by its count,
from_pretrained freezes by default, a bad padding_idx is an AssertionError (PyTorch's)."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad as ng
from ndgrad.autograd import gradcheck, gradgradcheck
from ndgrad.nn import functional as F

RNG = np.random.default_rng(11)
W = RNG.standard_normal((6, 3)) * 2
IDX = np.array([[0, 2, 2], [5, 0, 2]])


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, np.inf])
def test_max_norm_rescales_used_rows_in_place(p):
    w = ng.tensor(W.copy(), requires_grad=True)
    out = F.embedding(ng.tensor(IDX), w, max_norm=1.0, norm_type=p)
    want = W.copy()
    for r in np.unique(IDX):  # PyTorch's embedding_renorm_, by hand
        n = np.sum(np.abs(want[r]) ** p) ** (1 / p) if np.isfinite(p) else np.abs(want[r]).max()
        if n > 1.0:
            want[r] *= 1.0 / (n + 1e-7)
    np.testing.assert_allclose(w.detach().numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(out.detach().numpy(), want[IDX], rtol=1e-12)
    np.testing.assert_array_equal(w.detach().numpy()[[1, 3, 4]], W[[1, 3, 4]])  # unused rows


def test_max_norm_bumps_the_version():
    w = ng.tensor(W.copy(), requires_grad=True)
    y = (w * w).sum()  # saves w
    F.embedding(ng.tensor(IDX), w.detach(), max_norm=0.5)  # shares w's storage and version
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_scale_grad_by_freq():
    w = ng.tensor(W.copy(), requires_grad=True)
    g = RNG.standard_normal((2, 3, 3))
    out = F.embedding(ng.tensor(IDX), w, scale_grad_by_freq=True)
    np.testing.assert_array_equal(out.detach().numpy(), W[IDX])
    (out * ng.tensor(g)).sum().backward()
    want = np.zeros_like(W)
    counts = {r: int((IDX == r).sum()) for r in np.unique(IDX)}
    for pos in np.ndindex(IDX.shape):
        want[IDX[pos]] += g[pos] / counts[IDX[pos]]
    np.testing.assert_allclose(w.grad.numpy(), want, rtol=1e-12)
    # (not the derivative, by design, so no gradcheck here; the plain lookup is checked)
    f = lambda t: F.embedding(ng.tensor(IDX), t, max_norm=100.0) ** 2  # noqa: E731
    assert gradcheck(f, (ng.tensor(W, requires_grad=True),))
    assert gradgradcheck(f, (ng.tensor(W, requires_grad=True),))


def test_module_arguments_and_from_pretrained():
    e = ng.nn.Embedding(5, 3, None, 1.0)  # PyTorch's fourth positional is max_norm
    assert e.max_norm == 1.0 and e.weight.requires_grad
    p = ng.nn.Embedding.from_pretrained(ng.tensor(W))
    assert not p.weight.requires_grad and p.weight.shape == (6, 3)
    assert ng.nn.Embedding.from_pretrained(ng.tensor(W), freeze=False).weight.requires_grad
    m = ng.nn.Embedding(6, 3, padding_idx=2, scale_grad_by_freq=True, _weight=ng.tensor(W))
    m(ng.tensor(IDX)).sum().backward()
    np.testing.assert_array_equal(m.weight.grad.numpy()[2], 0.0)  # padding row: no gradient
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        ng.nn.Embedding(5, 3, padding_idx=7)
    with pytest.raises(NotImplementedError, match="sparse"):
        ng.nn.Embedding(5, 3, sparse=True)
