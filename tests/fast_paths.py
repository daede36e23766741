"""Helpers shared by the tests of the array-only backward paths (tests/test_fast_backward*.py)."""

from __future__ import annotations

import numpy as np

import ndgrad as ng


def t(a, rg=True, dtype=np.float64):
    return ng.tensor(np.asarray(a, dtype=dtype), requires_grad=rg)


def both_paths(f, *inputs):
    """Gradients of f(*inputs) without and with create_graph (the general path)."""
    fast = ng.autograd.grad(f(*inputs), inputs)
    slow = ng.autograd.grad(f(*inputs), inputs, create_graph=True)
    return [g.detach().numpy() for g in fast], [g.detach().numpy() for g in slow]
