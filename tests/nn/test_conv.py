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


# ---------------------------------------------------------------------------- fast paths
# conv2d: im2col columns + batched matmul, bias fused into the conv node, weight gradient from
# the columns forward kept; max_pool2d with stride == kernel: tile views + flat argmax indices.

def conv_adjoints(x, w, gy, stride, padding, dilation, groups):
    """Naive-loop gradients of <conv(x, w), gy> in x and in w."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    gx, gw = np.zeros_like(xp), np.zeros_like(w)
    og = o // groups
    for oc in range(o):
        g = oc // og
        for i in range(gy.shape[2]):
            for j in range(gy.shape[3]):
                rs = slice(i * sh, i * sh + dh * (kh - 1) + 1, dh)
                cs = slice(j * sw, j * sw + dw * (kw - 1) + 1, dw)
                patch = xp[:, g * cg:(g + 1) * cg, rs, cs]  # (N, Cg, kh, kw)
                gw[oc] += np.einsum("n,ncab->cab", gy[:, oc, i, j], patch)
                gx[:, g * cg:(g + 1) * cg, rs, cs] += np.einsum("n,cab->ncab", gy[:, oc, i, j],
                                                                w[oc])
    return gx[:, :, ph:ph + h, pw:pw + wd], gw


@pytest.mark.parametrize("case", CASES + [(3, 2, 5, 6, (1, 1), (1, 1), (0, 0), (1, 1), 1),
                                          (2, 2, 7, 7, (1, 1), (2, 2), (0, 0), (1, 1), 2)])
@pytest.mark.parametrize("x_grad", [False, True])
@pytest.mark.parametrize("bias", [False, True])
def test_conv2d_grads_match_naive_adjoints(case, x_grad, bias):
    # covers the kept columns (input not requiring grad, as data), 1x1 kernels (columns are a
    # view), groups, stride, padding, dilation, with and without the fused bias
    c, o, h, w, k, s, p, d, g = case
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, c, h, w))
    wt = rng.standard_normal((o, c // g) + k)
    b = rng.standard_normal(o)
    xt = ng.tensor(x, requires_grad=x_grad)
    wtt = ng.tensor(wt, requires_grad=True)
    bt = ng.tensor(b, requires_grad=True) if bias else None
    out = F.conv2d(xt, wtt, bt, s, p, d, g)
    np.testing.assert_allclose(out.detach().numpy(),
                               conv_ref(x, wt, b if bias else None, s, p, d, g),
                               rtol=1e-10, atol=1e-10)
    gy = rng.standard_normal(out.shape)
    (out * ng.tensor(gy)).sum().backward()
    gx, gw = conv_adjoints(x, wt, gy, s, p, d, g)
    np.testing.assert_allclose(wtt.grad.numpy(), gw, rtol=1e-10, atol=1e-10)
    if x_grad:
        np.testing.assert_allclose(xt.grad.numpy(), gx, rtol=1e-10, atol=1e-10)
    else:
        assert xt.grad is None
    if bias:
        np.testing.assert_allclose(bt.grad.numpy(), gy.sum(axis=(0, 2, 3)), rtol=1e-10)
        assert out.grad_fn.name() == "Conv2dBackward0"  # the bias is inside the conv node


def test_conv2d_float32_weight_grad_and_bias_without_input_grad():
    # W6's shape of problem: float32 data that does not require grad
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 1, 9, 9)).astype(np.float32)
    w = rng.standard_normal((3, 1, 3, 3)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    wt, bt = ng.tensor(w, requires_grad=True), ng.tensor(b, requires_grad=True)
    out = F.conv2d(ng.tensor(x), wt, bt)
    assert out.dtype == ng.float32
    gy = rng.standard_normal(out.shape).astype(np.float32)
    (out * ng.tensor(gy)).sum().backward()
    _, gw = conv_adjoints(x.astype(np.float64), w.astype(np.float64), gy.astype(np.float64),
                          (1, 1), (0, 0), (1, 1), 1)
    assert wt.grad.dtype == bt.grad.dtype == ng.float32
    np.testing.assert_allclose(wt.grad.numpy(), gw, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(bt.grad.numpy(), gy.sum(axis=(0, 2, 3)), rtol=1e-4)


def test_conv2d_retain_graph_twice_and_inplace_check():
    # the kept columns are used once; a second backward rebuilds them
    x = ng.randn(2, 2, 6, 6, dtype=ng.float64)
    w = ng.randn(3, 2, 3, 3, dtype=ng.float64, requires_grad=True)
    b = ng.randn(3, dtype=ng.float64, requires_grad=True)
    out = F.conv2d(x, w, b, stride=2, padding=1).sum()
    out.backward(retain_graph=True)
    g1, gb1 = w.grad.numpy().copy(), b.grad.numpy().copy()
    out.backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * g1, rtol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), 2 * gb1, rtol=1e-12)
    # modifying the input in place after forward still makes backward fail
    xr = ng.randn(1, 1, 5, 5, dtype=ng.float64)
    wr = ng.randn(1, 1, 3, 3, dtype=ng.float64, requires_grad=True)
    y = F.conv2d(xr, wr).sum()
    with ng.no_grad():
        xr.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_conv2d_double_backward_weight_and_bias_only():
    # gradgradcheck with the data not requiring grad (kept columns, fused bias)
    x = ng.randn(2, 2, 6, 5, dtype=ng.float64)
    w = ng.randn(4, 1, 3, 2, dtype=ng.float64, requires_grad=True)
    b = ng.randn(4, dtype=ng.float64, requires_grad=True)

    def fn(w, b):
        return F.conv2d(x, w, b, stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)

    assert gradcheck(fn, (w, b))
    assert gradgradcheck(fn, (w, b))
    # a Hessian-vector product through the conv weight, against finite differences
    xs = ng.randn(1, 1, 5, 5, dtype=ng.float64)

    def loss(w):
        return (F.conv2d(xs, w, padding=1) ** 3).sum()

    w0 = np.random.default_rng(6).standard_normal((2, 1, 3, 3))
    v = np.random.default_rng(7).standard_normal(w0.shape)
    wt = ng.tensor(w0, requires_grad=True)
    (g,) = ng.autograd.grad(loss(wt), wt, create_graph=True)
    (hv,) = ng.autograd.grad(g, wt, grad_outputs=ng.tensor(v))
    eps = 1e-6

    def grad_at(a):
        t = ng.tensor(a, requires_grad=True)
        return ng.autograd.grad(loss(t), t)[0].numpy()

    fd = (grad_at(w0 + eps * v) - grad_at(w0 - eps * v)) / (2 * eps)
    np.testing.assert_allclose(hv.numpy(), fd, rtol=1e-5, atol=1e-6)


def test_conv2d_noncontiguous_input_and_bias_fallbacks():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 5, 6, 3)).transpose(0, 3, 1, 2)  # (2, 3, 5, 6), strided
    w = rng.standard_normal((2, 3, 2, 2))
    b = rng.standard_normal(2)
    got = F.conv2d(ng.tensor(x), ng.tensor(w), ng.tensor(b), stride=1, padding=1)
    np.testing.assert_allclose(got.numpy(), conv_ref(x, w, b, (1, 1), (1, 1), (1, 1), 1),
                               rtol=1e-10)
    # a bias of another dtype is added outside the conv node and promotes, as before
    out = F.conv2d(ng.tensor(x.astype(np.float32)), ng.tensor(w.astype(np.float32)),
                   ng.tensor(b))
    assert out.dtype == ng.float64
    np.testing.assert_allclose(out.numpy(), conv_ref(x, w, b, (1, 1), (0, 0), (1, 1), 1),
                               rtol=1e-5)
    with pytest.raises(RuntimeError, match="expected bias to be 1-dimensional with 2 elements"):
        F.conv2d(ng.tensor(x), ng.tensor(w), ng.tensor(rng.standard_normal(3)))


def pool_grad_ref(x, out_shape, gy, k, s):
    """Each window's gradient to its np.argmax (first on ties, first NaN), for stride == k."""
    (kh, kw), (sh, sw) = k, s
    want = np.zeros(x.shape)
    for a in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i in range(out_shape[2]):
                for j in range(out_shape[3]):
                    win = x[a, c, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    r, q = np.unravel_index(np.argmax(win), win.shape)
                    want[a, c, i * sh + r, j * sw + q] += gy[a, c, i, j]
    return want


@pytest.mark.parametrize("k", [(2, 2), (3, 3), (2, 3), (1, 1), (3, 1)])
@pytest.mark.parametrize("shape", [(2, 3, 6, 6), (2, 2, 7, 8), (1, 2, 5, 9)])
@pytest.mark.parametrize("ties", [False, True])
def test_max_pool2d_tiles_forward_grad_and_ties(k, shape, ties):
    # stride == kernel (the tile fast path), sizes that do not divide (cropped rows/columns),
    # and ties broken towards the first element in row-major order, as PyTorch
    rng = np.random.default_rng(9)
    if ties:
        x = np.maximum(rng.integers(-2, 3, shape), 0).astype(np.float64)  # relu-like zeros
    else:
        x = rng.permutation(int(np.prod(shape))).reshape(shape).astype(np.float64)
    xt = ng.tensor(x, requires_grad=True)
    out = F.max_pool2d(xt, k)
    oh, ow = shape[2] // k[0], shape[3] // k[1]
    want = x[:, :, :oh * k[0], :ow * k[1]].reshape(shape[0], shape[1], oh, k[0], ow, k[1])
    np.testing.assert_array_equal(out.detach().numpy(), want.max(axis=(3, 5)))
    gy = rng.standard_normal(out.shape)
    (out * ng.tensor(gy)).sum().backward()
    np.testing.assert_array_equal(xt.grad.numpy(), pool_grad_ref(x, out.shape, gy, k, k))
    if not ties:  # finite differences need distinct values
        xs = ng.tensor(x[:1, :1], requires_grad=True)
        assert gradcheck(lambda t: F.max_pool2d(t, k), (xs,))
        assert gradgradcheck(lambda t: F.max_pool2d(t, k), (xs,))


def test_max_pool2d_tiles_nan_noncontiguous_int_and_double_backward():
    rng = np.random.default_rng(10)
    x = rng.standard_normal((2, 2, 6, 6))
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = np.nan  # the first NaN of its tile gets the gradient
    x[1, 1, 5, 5] = np.nan
    xt = ng.tensor(x, requires_grad=True)
    out = F.max_pool2d(xt, 2)
    assert np.isnan(out.detach().numpy()[0, 0, 0, 0]) and np.isnan(out.detach().numpy()[1, 1, 2, 2])
    gy = rng.standard_normal(out.shape)
    (out * ng.tensor(gy)).sum().backward()
    np.testing.assert_array_equal(xt.grad.numpy(), pool_grad_ref(x, out.shape, gy, (2, 2), (2, 2)))
    # a strided (transposed) input
    xn = rng.standard_normal((2, 7, 6, 3)).transpose(0, 3, 1, 2)
    xnt = ng.tensor(xn, requires_grad=True)
    outn = F.max_pool2d(xnt, 2)
    np.testing.assert_array_equal(outn.detach().numpy(), maxpool_ref(xn, 2, 2, 0))
    gyn = rng.standard_normal(outn.shape)
    (outn * ng.tensor(gyn)).sum().backward()
    np.testing.assert_array_equal(xnt.grad.numpy(),
                                  pool_grad_ref(xn, outn.shape, gyn, (2, 2), (2, 2)))
    # integers: forward only
    xi = rng.integers(-50, 50, (1, 2, 4, 5))
    np.testing.assert_array_equal(F.max_pool2d(ng.tensor(xi), 2).numpy(),
                                  xi[:, :, :4, :4].reshape(1, 2, 2, 2, 2, 2).max(axis=(3, 5)))
    # double backward: the gradient of <grad_x, v> w.r.t. the upstream gradient is a gather
    xd = ng.tensor(rng.standard_normal((1, 2, 5, 4)), requires_grad=True)
    y = F.max_pool2d(xd, 2)
    u = ng.tensor(rng.standard_normal(y.shape), requires_grad=True)
    (gx,) = ng.autograd.grad(y, xd, grad_outputs=u, create_graph=True)
    v = rng.standard_normal(xd.shape)
    (gu,) = ng.autograd.grad((gx * ng.tensor(v)).sum(), u)
    xs = xd.detach().numpy()
    want = np.zeros(y.shape)
    for c in range(2):
        for i in range(2):
            for j in range(2):
                win = xs[0, c, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
                r, q = np.unravel_index(np.argmax(win), win.shape)
                want[0, c, i, j] = v[0, c, 2 * i + r, 2 * j + q]
    np.testing.assert_allclose(gu.numpy(), want)


def test_max_pool2d_output_too_small():
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.max_pool2d(ng.randn(1, 1, 1, 3), 2)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.max_pool2d(ng.randn(1, 1, 3, 3), 2, stride=1, dilation=3)
