"""A gradient that reaches two leaves (add's pass-through) or comes from the caller becomes
each leaf's own array: never the caller's, never shared between leaves."""

from __future__ import annotations

import numpy as np

import ndgrad as ng


def test_add_leaves_get_their_own_gradient_arrays():
    g = ng.tensor(np.arange(4096.0, dtype=np.float32).reshape(64, 64))
    a, b = (ng.zeros((64, 64), requires_grad=True) for _ in range(2))
    (a + b).backward(g)
    assert not np.shares_memory(a.grad.numpy(), g.numpy())
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    np.testing.assert_array_equal(a.grad.numpy(), g.numpy())
    np.testing.assert_array_equal(b.grad.numpy(), g.numpy())
    (a + b).backward(g)  # accumulates in place into each leaf's own buffer
    np.testing.assert_array_equal(a.grad.numpy(), 2 * g.numpy())
    np.testing.assert_array_equal(g.numpy(), np.arange(4096.0).reshape(64, 64))
