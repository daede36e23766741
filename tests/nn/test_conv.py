"""conv2d and pooling against naive NumPy loops; gradcheck and gradgradcheck in float64."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad as ng
from ndgrad.autograd import gradcheck, gradgradcheck
from ndgrad.nn import functional as F


def conv_ref(x, w, b, stride, padding, dilation, groups):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, o, oh, ow))
    og = o // groups
    for ni in range(n):
        for oc in range(o):
            g = oc // og
            for i in range(oh):
                for j in range(ow):
                    acc = 0.0
                    for ci in range(cg):
                        for a in range(kh):
                            for bb in range(kw):
                                acc += (xp[ni, g * cg + ci, i * sh + a * dh, j * sw + bb * dw]
                                        * w[oc, ci, a, bb])
                    out[ni, oc, i, j] = acc + (b[oc] if b is not None else 0.0)
    return out


CASES = [  # (C, O, H, W, k, stride, padding, dilation, groups)
    (2, 3, 5, 6, (3, 3), (1, 1), (0, 0), (1, 1), 1),
    (2, 4, 7, 7, (3, 2), (2, 1), (1, 2), (1, 1), 1),
    (3, 2, 8, 7, (3, 3), (1, 2), (2, 1), (2, 1), 1),
    (4, 6, 6, 6, (3, 3), (1, 1), (1, 1), (1, 1), 2),
    (4, 4, 6, 5, (2, 2), (2, 2), (1, 0), (1, 2), 4),
]


@pytest.mark.parametrize("case", CASES)
def test_conv2d_matches_naive_loop(case):
    c, o, h, w, k, s, p, d, g = case
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, c, h, w))
    wt = rng.standard_normal((o, c // g) + k)
    b = rng.standard_normal(o)
    got = F.conv2d(ng.tensor(x), ng.tensor(wt), ng.tensor(b), s, p, d, g)
    np.testing.assert_allclose(got.numpy(), conv_ref(x, wt, b, s, p, d, g), rtol=1e-10,
                               atol=1e-10)


@pytest.mark.parametrize("case", CASES)
def test_conv2d_gradcheck_and_gradgradcheck(case):
    c, o, h, w, k, s, p, d, g = case
    x = ng.randn(1, c, h, w, dtype=ng.float64, requires_grad=True)
    wt = ng.randn(o, c // g, *k, dtype=ng.float64, requires_grad=True)
    b = ng.randn(o, dtype=ng.float64, requires_grad=True)

    def fn(x, wt, b):
        return F.conv2d(x, wt, b, s, p, d, g)

    assert gradcheck(fn, (x, wt, b))
    assert gradgradcheck(fn, (x, wt, b))


def test_conv2d_backward_matches_numpy_adjoint():
    # <conv(x, w), gy> is linear in x and in w: its gradients are the naive-loop adjoints
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 2, 5, 5))
    w = rng.standard_normal((3, 2, 3, 3))
    gy = rng.standard_normal((2, 3, 3, 3))
    xt, wt = ng.tensor(x, requires_grad=True), ng.tensor(w, requires_grad=True)
    (F.conv2d(xt, wt) * ng.tensor(gy)).sum().backward()
    gw = np.zeros_like(w)
    gx = np.zeros_like(x)
    for i in range(3):
        for j in range(3):
            patch = x[:, :, i:i + 3, j:j + 3]  # (N, C, 3, 3)
            gw += np.einsum("no,ncab->ocab", gy[:, :, i, j], patch)
            gx[:, :, i:i + 3, j:j + 3] += np.einsum("no,ocab->ncab", gy[:, :, i, j], w)
    np.testing.assert_allclose(wt.grad.numpy(), gw, rtol=1e-10)
    np.testing.assert_allclose(xt.grad.numpy(), gx, rtol=1e-10)


def test_conv2d_errors_and_unbatched():
    with pytest.raises(RuntimeError, match="channels"):
        F.conv2d(ng.randn(1, 3, 5, 5), ng.randn(2, 2, 3, 3))
    x = ng.randn(2, 5, 5)
    w = ng.randn(4, 2, 3, 3)
    np.testing.assert_allclose(F.conv2d(x, w, padding="same").numpy(),
                               F.conv2d(x.unsqueeze(0), w, padding=1)[0].numpy(), rtol=1e-6)


def maxpool_ref(x, k, s, p):
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
    oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    out = np.empty((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = xp[:, :, i * s:i * s + k, j * s:j * s + k].max(axis=(2, 3))
    return out


@pytest.mark.parametrize("k,s,p", [(2, 2, 0), (3, 2, 1), (3, 1, 0), (2, 1, 1)])
def test_max_pool2d_forward_and_grad(k, s, p):
    rng = np.random.default_rng(2)
    x = rng.permutation(2 * 3 * 6 * 7).reshape(2, 3, 6, 7).astype(np.float64)  # no ties
    xt = ng.tensor(x, requires_grad=True)
    out = F.max_pool2d(xt, k, s, p)
    np.testing.assert_array_equal(out.detach().numpy(), maxpool_ref(x, k, s, p))
    gy = rng.standard_normal(out.shape)
    (out * ng.tensor(gy)).sum().backward()
    # reference: each window's gradient goes to its argmax (summed over overlapping windows)
    want = np.zeros((2, 3, 6 + 2 * p, 7 + 2 * p))
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
    for a in range(2):
        for c in range(3):
            for i in range(out.shape[2]):
                for j in range(out.shape[3]):
                    win = xp[a, c, i * s:i * s + k, j * s:j * s + k]
                    r, q = np.unravel_index(np.argmax(win), win.shape)
                    want[a, c, i * s + r, j * s + q] += gy[a, c, i, j]
    np.testing.assert_allclose(xt.grad.numpy(), want[:, :, p:p + 6, p:p + 7])
    xs = ng.tensor(x[:1, :1], requires_grad=True)
    assert gradcheck(lambda t: F.max_pool2d(t, k, s, p), (xs,))
    assert gradgradcheck(lambda t: F.max_pool2d(t, k, s, p), (xs,))


@pytest.mark.parametrize("k,s,p,cip", [(2, 2, 0, True), (3, 1, 1, True), (3, 2, 1, False)])
def test_avg_pool2d(k, s, p, cip):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 2, 5, 6))
    out = F.avg_pool2d(ng.tensor(x), k, s, p, count_include_pad=cip).numpy()
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    ones = np.pad(np.ones((5, 6)), p)
    oh, ow = (5 + 2 * p - k) // s + 1, (6 + 2 * p - k) // s + 1
    want = np.empty((2, 2, oh, ow))
    for i in range(oh):
        for j in range(ow):
            tot = xp[:, :, i * s:i * s + k, j * s:j * s + k].sum(axis=(2, 3))
            cnt = k * k if cip else ones[i * s:i * s + k, j * s:j * s + k].sum()
            want[:, :, i, j] = tot / cnt
    np.testing.assert_allclose(out, want, rtol=1e-12)
    xt = ng.tensor(x[:1], requires_grad=True)
    assert gradcheck(lambda t: F.avg_pool2d(t, k, s, p, count_include_pad=cip), (xt,))
