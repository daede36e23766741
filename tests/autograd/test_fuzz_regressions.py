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


VIEWS = {"slice": lambda h: h[1:], "reshape": lambda h: h.reshape(3, 1),
         "expand": lambda h: h.expand(2, 3), "transpose": lambda h: h.reshape(1, 3).t()}


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_view_of_a_base_rewritten_in_place_warns(name):
    # PyTorch rewrites the view's history; ndgrad keeps the old one and says so
    x = ng.tensor([1.0, 2.0, 3.0], dtype=ng.float64, requires_grad=True)
    h = x * x
    v = VIEWS[name](h)
    h.mul_(3)
    with pytest.warns(RuntimeWarning, match="modified in place after the view was taken"):
        v.sum().backward()


def test_multi_output_view_of_a_rewritten_base_is_refused():
    x = ng.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    h = x * 1
    a, _ = h.unbind(0)
    h.add_(1)
    with pytest.raises(RuntimeError, match="returns multiple views"):
        a.sum().backward()


def test_views_taken_after_the_in_place_op_or_of_untouched_history_are_silent():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = ng.tensor([1.0, 2.0, 3.0], dtype=ng.float64, requires_grad=True)
        h = x * x
        h.mul_(3)
        h[1:].sum().backward()  # the view is taken after: PyTorch's 0, 12, 18
        np.testing.assert_array_equal(x.grad.numpy(), [0.0, 12.0, 18.0])
        x = ng.tensor([1.0, 2.0, 3.0], dtype=ng.float64, requires_grad=True)
        v = x[1:]
        with ng.no_grad():
            x.mul_(2)  # no history rewritten: the view's gradient is unchanged
        v.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 1.0])


def test_relu_second_derivative_reaches_x_as_zeros():
    x = ng.tensor([[1.0, -2.0]], requires_grad=True)
    (g,) = ng.autograd.grad(x.relu().sum(), x, create_graph=True)
    assert g.requires_grad
    (gg,) = ng.autograd.grad((g * g).sum(), [x])  # PyTorch: zeros, not "unused"
    np.testing.assert_array_equal(gg.numpy(), [[0.0, 0.0]])
