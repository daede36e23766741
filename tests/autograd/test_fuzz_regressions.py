"""Engine cases a random-graph comparison with PyTorch 2.13 found: each must give PyTorch's
result (written out here, no PyTorch needed)."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad as ng


def test_single_piece_split_and_same_shape_expand_are_new_views():
    x = ng.ones((2, 1), requires_grad=True)
    h = x * 1
    (p,) = h.chunk(2, -1)  # one piece: a view, not h itself
    assert p is not h
    p.register_hook(lambda g: g * 10)  # p is unused: its hook must not touch h's gradient
    (h * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[3.0], [3.0]])
    x = ng.ones(2, requires_grad=True)
    h = x * 1
    e = h.expand(2)
    assert e is not h
    assert ng.autograd.grad(h.sum(), [e], allow_unused=True) == (None,)


def test_backward_inputs_named_twice_count_once():
    x = ng.tensor(1.0, requires_grad=True)
    (x * 3).backward(inputs=[x, x])
    assert float(x.grad.numpy()) == 3.0
    assert [float(g.numpy()) for g in ng.autograd.grad(x * 3, [x, x])] == [3.0, 3.0]


@pytest.mark.parametrize("retain", [True, False])
def test_backward_inputs_non_leaf_with_retain_grad_counts_once(retain):
    x = ng.tensor(1.0, requires_grad=True)
    h = x * 3
    if retain:
        h.retain_grad()
    (h * 2).backward(inputs=[h])
    assert float(h.grad.numpy()) == 2.0
    assert x.grad is None
