"""Activation checkpointing: same gradients as the plain run, and it really recomputes."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad as ng
from ndgrad.utils.checkpoint import checkpoint, checkpoint_sequential

RNG = np.random.default_rng(7)
XV = RNG.standard_normal((2, 3))
WV = RNG.standard_normal((3, 3))


def _block(w, counter):
    def block(h):
        counter[0] += 1
        return (h @ w).tanh() * h

    return block


def _leaves():
    return (ng.tensor(XV.copy(), requires_grad=True), ng.tensor(WV.copy(), requires_grad=True))


def _closed_form_grads():
    # loss = sum(tanh(x @ w) * x) ; d/dx and d/dw in NumPy
    s = np.tanh(XV @ WV)
    ds = (1 - s ** 2) * XV  # upstream into x @ w
    return s + ds @ WV.T, XV.T @ ds


def test_grads_match_plain_run_and_closed_form():
    gx_ref, gw_ref = _closed_form_grads()
    x, w = _leaves()
    calls = [0]
    out = checkpoint(_block(w, calls), x, use_reentrant=False)
    assert calls[0] == 1
    assert not out.grad_fn.name().startswith("Mul")  # the block's graph was not recorded
    out.sum().backward()
    assert calls[0] == 2  # recomputed once in backward
    np.testing.assert_allclose(x.grad.numpy(), gx_ref, rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), gw_ref, rtol=1e-12)


def test_forward_keeps_no_block_graph():
    x, w = _leaves()
    out = checkpoint(_block(w, [0]), x)
    # the only edge goes straight to x: no tanh/matmul nodes were saved
    nexts = [n for n, _ in out.grad_fn.next_functions if n is not None]
    assert [type(n).__name__ for n in nexts] == ["AccumulateGrad"]
    assert nexts[0].variable is x


def test_stacked_blocks_match_unchekpointed():
    x1, w1 = _leaves()
    c = [0]
    blk = _block(w1, c)
    blk(blk(x1)).sum().backward()
    x2, w2 = _leaves()
    c2 = [0]
    blk2 = _block(w2, c2)
    blk2(checkpoint(blk2, x2)).sum().backward()
    assert c2[0] == 3
    np.testing.assert_allclose(x2.grad.numpy(), x1.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(w2.grad.numpy(), w1.grad.numpy(), rtol=1e-12)


def test_autograd_grad_and_double_backward():
    x, w = _leaves()
    blk = _block(w, [0])
    (g_ref,) = ng.autograd.grad(blk(blk(x)).sum(), x, create_graph=True)
    (h_ref,) = ng.autograd.grad((g_ref * g_ref).sum(), x)
    x2, w2 = _leaves()
    blk2 = _block(w2, [0])
    (g,) = ng.autograd.grad(blk2(checkpoint(blk2, x2)).sum(), x2, create_graph=True)
    (h,) = ng.autograd.grad((g * g).sum(), x2)
    np.testing.assert_allclose(g.detach().numpy(), g_ref.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(h.numpy(), h_ref.numpy(), rtol=1e-10)


def test_rng_state_replayed_in_recompute():
    x = ng.tensor(XV.copy(), requires_grad=True)
    masks = []

    def noisy(h):
        m = ng.rand(*h.shape, dtype=ng.float64)
        masks.append(m.numpy().copy())
        return h * m

    checkpoint(noisy, x).sum().backward()
    assert len(masks) == 2
    np.testing.assert_array_equal(masks[0], masks[1])
    np.testing.assert_allclose(x.grad.numpy(), masks[0])


def test_multiple_outputs_and_non_tensor_args():
    x = ng.tensor(XV.copy(), requires_grad=True)

    def f(h, scale):
        return h.exp() * scale, (h * h).sum()

    a, b = checkpoint(f, x, 3.0)
    (a.sum() + b).backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.exp(XV) + 2 * XV, rtol=1e-12)


def test_inplace_change_of_saved_input_is_detected():
    x = ng.tensor(XV.copy(), requires_grad=True)
    h = x * 1
    out = checkpoint(lambda v: v.exp(), h)
    h.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_checkpoint_sequential_matches_and_recomputes():
    calls = [0]

    def counted(fn):
        def g(v):
            calls[0] += 1
            return fn(v)

        return g

    fns = [counted(f) for f in (lambda v: v.sin(), lambda v: v * 2, lambda v: v.exp(),
                                lambda v: v.tanh())]
    x = ng.tensor(XV.copy(), requires_grad=True)
    out = checkpoint_sequential(fns, 2, x)
    assert calls[0] == 4
    out.sum().backward()
    assert calls[0] == 6  # the first segment (2 functions) ran again
    u = np.exp(2 * np.sin(XV))
    expect = (1 - np.tanh(u) ** 2) * u * 2 * np.cos(XV)
    np.testing.assert_allclose(out.detach().numpy(), np.tanh(u), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), expect, rtol=1e-12)
