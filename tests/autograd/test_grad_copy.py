"""The engine's copy of a gradient into a leaf's ``.grad`` (``_grads.grad_copy``): the same
values and bits in every float dtype and layout, a new array the leaf owns, at every size
(the multiply path from 512 elements, memcpy below)."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad as ng
from ndgrad.autograd._grads import grad_copy

SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -3.5, 2.0**-1074]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.complex64])
@pytest.mark.parametrize("n", [3, 511, 512, 4096])
def test_grad_copy_is_bit_exact_and_fresh(dtype, n):
    rng = np.random.default_rng(n)
    a = rng.standard_normal(n).astype(dtype)
    k = min(n, len(SPECIAL))
    a[:k] = np.array(SPECIAL[:k]).astype(dtype)
    c = grad_copy(a)
    assert c is not a and c.base is None and not np.shares_memory(a, c)
    assert c.dtype == a.dtype and c.shape == a.shape
    np.testing.assert_array_equal(c.view(np.uint8), a.view(np.uint8))  # the same bits


def test_grad_copy_of_non_contiguous_and_broadcast_views():
    a = np.arange(4096.0, dtype=np.float32).reshape(64, 64)
    for v in (a.T, a[::2], np.broadcast_to(a[0], (64, 64))):
        c = grad_copy(v)
        np.testing.assert_array_equal(c, v)
        assert c.base is None and c.flags.writeable


def test_add_leaves_get_their_own_gradient_arrays():
    g = ng.tensor(np.arange(4096.0, dtype=np.float32).reshape(64, 64))
    a, b = (ng.zeros((64, 64), requires_grad=True) for _ in range(2))
    (a + b).backward(g)
    assert not np.shares_memory(a.grad.numpy(), g.numpy())
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    np.testing.assert_array_equal(a.grad.numpy(), g.numpy())
    np.testing.assert_array_equal(b.grad.numpy(), g.numpy())
