"""A primitive that saves only its output keeps the bare array (graph.saved_entries): every
way the output can be written to afterwards must still be caught at backward, as PyTorch's
version counter does, and every reader of the saved values must see the same tensors."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad as ng
from ndgrad.autograd.graph import _SavedOutput

VERSION_ERR = "modified by an inplace operation"


def _tanh_out() -> tuple:
    x = ng.tensor(np.linspace(-1, 1, 6).reshape(2, 3), dtype=ng.float64, requires_grad=True)
    return x, ng.tanh(x)


def test_tanh_saves_its_output_compactly_and_backward_is_exact() -> None:
    x, y = _tanh_out()
    node = y.grad_fn
    assert node._saved is y._data  # the bare array: no entry, tuple or version counter
    assert y._version is None
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1 - np.tanh(x.detach().numpy()) ** 2, rtol=1e-12)
    assert node._saved is None  # freed after backward


@pytest.mark.parametrize("write", [
    lambda y: y.add_(1.0),
    lambda y: y.mul_(2.0),
    lambda y: y.detach()[0].zero_(),              # through a view made after the save
    lambda y: _no_grad_view_write(y),             # through a view made without a graph
    lambda y: y.detach().add_(1.0),               # detach shares the version counter
    lambda y: y.detach_().add_(1.0),              # so does detach_ (it drops grad_fn)
], ids=["add_", "mul_", "view_zero_", "reshape_add_", "detach_add_", "detach__add_"])
def test_a_write_to_the_saved_output_is_caught(write) -> None:
    x, y = _tanh_out()
    node = y.grad_fn
    write(y)
    assert type(node._saved) is tuple and type(node._saved[0]) is _SavedOutput  # expanded
    with pytest.raises(RuntimeError, match=VERSION_ERR):
        node.saved_tensors  # noqa: B018
    with pytest.raises(RuntimeError, match=VERSION_ERR):
        ng.autograd.backward(node_output(node, x), ng.ones(2, 3, dtype=ng.float64))


def _no_grad_view_write(y):
    with ng.no_grad():
        y.reshape(-1).add_(1.0)


def node_output(node, x):
    """A tensor whose backward must run ``node``'s rule: the node's output rebuilt."""
    from ndgrad.autograd.graph import _TENSOR_FACTORY
    return _TENSOR_FACTORY[0](x._data * 0, True, node, 0, [0])


def test_views_made_before_the_write_share_the_counter() -> None:
    x, y = _tanh_out()
    with ng.no_grad():
        v = y[1]  # the view is made first: it creates the counter and the node takes it
    assert y._version is v._version and y.grad_fn._saved[0].version is y._version
    v.add_(1.0)
    with pytest.raises(RuntimeError, match=VERSION_ERR):
        y.sum().backward()


def test_reading_saved_tensors_does_not_detach_the_counter() -> None:
    # a general read expands the compact entry only transiently: a write after it is caught
    x, y = _tanh_out()
    node = y.grad_fn
    (s,) = node.saved_tensors
    np.testing.assert_array_equal(s._data, y._data)  # (y.detach() would make the counter)
    assert s.grad_fn is node and s._version is not y._version
    assert node._saved is y._data  # still compact
    y.add_(1.0)
    with pytest.raises(RuntimeError, match=VERSION_ERR):
        node.saved_tensors  # noqa: B018


def test_a_custom_function_saving_the_output_sees_the_write() -> None:
    class Twice(ng.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return t * 2

        @staticmethod
        def backward(ctx, g):
            (t,) = ctx.saved_tensors
            return g * 2 + t * 0

    x, y = _tanh_out()
    z = Twice.apply(y)  # saves y, whose node also saved it compactly
    y.add_(1.0)
    with pytest.raises(RuntimeError, match=VERSION_ERR):
        z.sum().backward()


def test_unmodified_output_second_order_and_retain_graph() -> None:
    x, y = _tanh_out()
    (g,) = ng.autograd.grad(y.sum(), x, create_graph=True, retain_graph=True)
    (h,) = ng.autograd.grad(g.sum(), x, retain_graph=True)
    t = np.tanh(x.detach().numpy())
    np.testing.assert_allclose(g.detach().numpy(), 1 - t * t, rtol=1e-12)
    np.testing.assert_allclose(h.numpy(), -2 * t * (1 - t * t), rtol=1e-12)
    y.sum().backward()  # the graph was retained once: a second backward still works
    np.testing.assert_allclose(x.grad.numpy(), 1 - t * t, rtol=1e-12)


def test_saving_inputs_and_output_keeps_the_general_form() -> None:
    x = ng.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=ng.float64, requires_grad=True)
    y = x.std(dim=1)  # saves its input and its output
    saved = y.grad_fn._saved
    assert type(saved) is tuple and len(saved) == 2
    y.add_(1.0)
    with pytest.raises(RuntimeError, match=VERSION_ERR):
        y.sum().backward()


@pytest.mark.parametrize("make", [
    lambda a, b: a * b, lambda a, b: ng.maximum(a, b), lambda a, b: ng.where(a > 0, a, b),
], ids=["mul", "maximum", "where"])
@pytest.mark.parametrize("rg", [(True, False), (False, True), (True, True)])
def test_needs_input_grad_is_read_off_the_edges(make, rg) -> None:
    a = ng.randn(3, requires_grad=rg[0])
    b = ng.randn(3, requires_grad=rg[1])
    node = make(a, b).grad_fn
    want = rg if len(node.next_edges) == 2 else (False, *rg)
    assert node.needs_input_grad == want
    assert node.needs_input_grad == tuple(e is not None for e in node.next_edges)


def test_needs_input_grad_of_a_custom_function() -> None:
    seen = []

    class Scale(ng.autograd.Function):
        @staticmethod
        def forward(ctx, t, k, u):
            seen.append(ctx.needs_input_grad)
            return t * k + u

        @staticmethod
        def backward(ctx, g):
            return g, None, g

    t = ng.randn(2, requires_grad=True)
    u = ng.randn(2)
    Scale.apply(t, 3.0, u).sum().backward()
    assert seen == [(True, False, False)]


def test_one_input_edges_are_bare_and_two_input_edges_a_tuple() -> None:
    x = ng.randn(3, requires_grad=True)
    y = ng.tanh(x)
    assert y.grad_fn._next is x and y.grad_fn.next_edges == (x,)
    z = ng.exp(y)
    assert z.grad_fn._next is y.grad_fn
    w = z * y
    assert w.grad_fn._next == (z.grad_fn, y.grad_fn)


def test_node_metadata_is_a_dict_kept_per_node() -> None:
    x = ng.randn(3, requires_grad=True)
    y = ng.tanh(x)
    y.grad_fn.metadata["tag"] = 7
    assert y.grad_fn.metadata == {"tag": 7}
    assert ng.exp(x).grad_fn.metadata == {}
    y.sum().backward()  # a node with metadata still runs its rule
    np.testing.assert_allclose(x.grad.numpy(), 1 - np.tanh(x.detach().numpy()) ** 2, rtol=1e-5)
