"""Engine semantics: accumulation, pruning, freeing, deep chains, weak outputs, in-place grads."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import ndgrad as ng
from ndgrad.autograd import Function

FREED = "Trying to backward through the graph a second time"


def test_grad_accumulates_across_backward_calls():
    x = ng.tensor([1.0, 2.0], requires_grad=True)
    for k in range(1, 4):
        (x * x).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), k * 2 * np.array([1.0, 2.0]))


def test_grad_has_leaf_shape_and_dtype_after_broadcast():
    x = ng.tensor(np.ones((3, 1), dtype=np.float32), requires_grad=True)
    b = ng.tensor(np.ones(4, dtype=np.float64), requires_grad=True)
    y = (x * b).sum()
    y.backward()
    assert x.grad.shape == (3, 1) and x.grad.dtype == np.float32
    assert b.grad.shape == (4,) and b.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad.numpy(), np.full((3, 1), 4.0))
    np.testing.assert_allclose(b.grad.numpy(), np.full(4, 3.0))


def test_diamond_graph_sums_paths():
    x = ng.tensor([2.0], requires_grad=True)
    a = x * 3
    b = ng.exp(x)
    y = a * b + a + b
    y.backward()
    xv = 2.0
    expected = 3 * np.exp(xv) + 3 * xv * np.exp(xv) + 3 + np.exp(xv)
    assert x.grad.item() == pytest.approx(expected, rel=1e-6)


def test_long_chain_100k_ops_iterative():
    x = ng.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_weakref_to_intermediate_dies_after_backward():
    x = ng.tensor([1.0, 2.0], requires_grad=True)
    y = ng.exp(x * 2)
    ref = weakref.ref(y)
    loss = ng.tanh(y).sum()
    loss.backward()
    del y
    assert ref() is None  # no reference cycle keeps it alive
    node_ref = weakref.ref(loss.grad_fn)
    del loss
    assert node_ref() is None


def test_graph_is_freed_by_refcount_without_gc():
    gc.disable()
    try:
        x = ng.tensor([1.0], requires_grad=True)
        y = ng.sin(x) * ng.exp(x)
        ref = weakref.ref(y.grad_fn)
        del y
        assert ref() is None
    finally:
        gc.enable()


def test_saved_tensors_freed_after_backward_unless_retained():
    x = ng.tensor([1.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == 4.0
    with pytest.raises(RuntimeError, match=FREED):
        y.backward()


def test_constant_ops_can_backward_twice():
    x = ng.tensor([1.0], requires_grad=True)
    y = (x + 1).sum()
    y.backward()
    y.backward()
    assert x.grad.item() == 2.0


def _probe(ran: list) -> type:
    """An identity Function that records each time its backward runs."""

    class Probe(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 1

        @staticmethod
        def backward(ctx, g):
            ran.append(True)
            return g

    return Probe


def test_grad_only_runs_needed_subgraph():
    ran = []
    Probe = _probe(ran)
    x = ng.tensor([1.0], requires_grad=True)
    w = ng.tensor([1.0], requires_grad=True)
    y = Probe.apply(w) + x * 2
    (gx,) = ng.autograd.grad(y, x)
    assert gx.item() == 2.0 and ran == []


@pytest.mark.parametrize("ask", ["x", "w", "xw", "wx", "xx"])
def test_grad_on_every_reached_leaf_or_a_subset_gives_the_same_numbers(ask):
    # all reached leaves asked for: one discovery pass replaces the pruning pass; a subset:
    # the pruning pass; either way the numbers are the same and unasked branches never run
    ran = []
    Probe = _probe(ran)
    x = ng.tensor([1.5, -0.5], dtype=ng.float64, requires_grad=True)
    w = ng.tensor([2.0, 3.0], dtype=ng.float64, requires_grad=True)
    y = (Probe.apply(w) * ng.tanh(x) + x * x).sum() + (w ** 2).sum()
    leaves = {"x": x, "w": w}
    ins = [leaves[c] for c in ask]
    got = ng.autograd.grad(y, ins, retain_graph=True)
    t = np.tanh(x.detach().numpy())
    want = {"x": w.detach().numpy() * (1 - t * t) + 2 * x.detach().numpy(),
            "w": t + 2 * w.detach().numpy()}
    for c, g in zip(ask, got, strict=True):
        np.testing.assert_allclose(g.numpy(), want[c], rtol=1e-12)
    assert ran == ([True] if "w" in ask else [])


def test_grad_of_a_leaf_with_respect_to_itself_and_an_unreached_input():
    x = ng.tensor([1.0, 2.0], requires_grad=True)
    z = ng.tensor([3.0], requires_grad=True)
    (g,) = ng.autograd.grad(x, x, ng.tensor([4.0, 5.0]))
    np.testing.assert_array_equal(g.numpy(), [4.0, 5.0])
    gx, gz = ng.autograd.grad((x * 3).sum(), [x, z], allow_unused=True)
    np.testing.assert_array_equal(gx.numpy(), [3.0, 3.0])
    assert gz is None


def test_backward_inputs_restricts_accumulation():
    x = ng.tensor([1.0], requires_grad=True)
    w = ng.tensor([2.0], requires_grad=True)
    y = x * w
    y.backward(inputs=[x])
    assert x.grad.item() == 2.0 and w.grad is None


def test_backward_inputs_non_leaf_accumulates_into_it():
    x = ng.tensor([1.0], requires_grad=True)
    h = x * 3
    y = h * h
    y.backward(inputs=[h])
    assert h.grad.item() == pytest.approx(6.0) and x.grad is None


def test_nonscalar_backward_needs_gradient():
    x = ng.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError,
                       match="^grad can be implicitly created only for scalar outputs$"):
        (x * 2).backward()
    (x * 2).backward(ng.tensor([1.0, 3.0]))
    assert x.grad.tolist() == [2.0, 6.0]


def test_gradient_argument_is_not_aliased_into_grad():
    x = ng.tensor([1.0, 2.0], requires_grad=True)
    v = ng.tensor([1.0, 1.0])
    (x + 0).backward(v)
    (x + 0).backward(v)
    assert x.grad.tolist() == [2.0, 2.0]
    assert v.tolist() == [1.0, 1.0]  # the user's gradient was not written into


def test_shared_gradient_tensor_not_aliased_between_leaves():
    a = ng.tensor([1.0], requires_grad=True)
    b = ng.tensor([1.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad.mul_(10)
    assert b.grad.item() == 1.0


def test_in_place_accumulation_keeps_grad_object():
    x = ng.tensor([1.0], requires_grad=True)
    (x * 2).sum().backward()
    g = x.grad
    (x * 3).sum().backward()
    assert x.grad.item() == 5.0
    assert g.item() == 5.0 and x.grad is g  # accumulated in place, as PyTorch


def test_retain_graph_none_follows_create_graph():
    x = ng.tensor([1.5], requires_grad=True)
    y = x ** 3
    (g,) = ng.autograd.grad(y, x, create_graph=True)
    (g2,) = ng.autograd.grad(y, x)  # graph retained because create_graph=True
    assert g.item() == pytest.approx(3 * 1.5 ** 2) and g2.item() == pytest.approx(g.item())
    (h,) = ng.autograd.grad(g, x)
    assert h.item() == pytest.approx(6 * 1.5)


def test_create_graph_backward_gives_differentiable_grad():
    x = ng.tensor([0.7], requires_grad=True)
    y = ng.sin(x) * x
    y.backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    x.grad = None
    g.backward()
    xv = 0.7
    assert x.grad.item() == pytest.approx(-np.sin(xv) * xv + 2 * np.cos(xv), rel=1e-5)


def test_backward_under_no_grad_still_works():
    x = ng.tensor([2.0], requires_grad=True)
    y = x * x
    with ng.no_grad():
        y.backward()
    assert x.grad.item() == 4.0


def test_multi_output_unused_output_gets_zeros():
    x = ng.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    a, b = ng.split(x, 1, dim=0)
    (a * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2, 2, 2], [0, 0, 0]])


def test_error_element_index_in_message():
    x = ng.tensor([1.0], requires_grad=True)
    y = ng.tensor([1.0])
    with pytest.raises(RuntimeError, match="^element 1 of tensors does not require grad"):
        ng.autograd.backward([x * 2, y])


def test_mismatch_in_shape_error():
    x = ng.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^Mismatch in shape: grad_output\[0\] has a shape of "
                       r".*\[3\].* and output\[0\] has a shape of .*\[2\]"):
        ng.autograd.grad(x * 2, x, grad_outputs=ng.ones(3))


def test_differentiated_tensor_must_require_grad():
    x = ng.tensor([1.0], requires_grad=True)
    c = ng.tensor([1.0])
    with pytest.raises(RuntimeError,
                       match="^One of the differentiated Tensors does not require grad$"):
        ng.autograd.grad(x * c, [x, c])


def test_materialize_grads_gives_zeros():
    x = ng.tensor([1.0], requires_grad=True)
    u = ng.tensor([1.0, 2.0], requires_grad=True)
    gx, gu = ng.autograd.grad((x * 3).sum(), [x, u], materialize_grads=True)
    assert gx.item() == 3.0 and gu.tolist() == [0.0, 0.0]


def test_is_grads_batched_matches_loop():
    x = ng.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x ** 2
    eye = ng.eye(3)
    (jac,) = ng.autograd.grad(y, x, grad_outputs=eye, is_grads_batched=True)
    np.testing.assert_allclose(jac.numpy(), np.diag([2.0, 4.0, 6.0]))


def test_grad_of_intermediate_input():
    x = ng.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y = (h ** 2).sum()
    (gh,) = ng.autograd.grad(y, h)
    np.testing.assert_allclose(gh.numpy(), 2 * np.array([2.0, 4.0]))


def test_invalid_gradient_shape_from_custom_function():
    class Bad(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return ng.ones(5)

    x = ng.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^Function BadBackward returned an invalid gradient at "
                       r"index 0 - got \[5\] but expected shape compatible with \[2\]$"):
        Bad.apply(x).sum().backward()


def test_wrong_number_of_gradients():
    class Bad(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g

    x = ng.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^function BadBackward returned an incorrect number of "
                       r"gradients \(expected 2, got 1\)$"):
        Bad.apply(x, x).sum().backward()


def test_node_with_two_parents_gets_both_gradients():
    # y has two consumers; the second one reached must not run y with its gradient alone
    rng = np.random.default_rng(0)
    a0, b0 = rng.standard_normal((5, 1)), rng.standard_normal((1, 4))
    a = ng.tensor(a0, requires_grad=True)
    b = ng.tensor(b0, requires_grad=True)
    y = ng.tanh(a + b)
    (y.sum(dim=1).mean() + (y * y).mean()).backward()
    yv = np.tanh(a0 + b0)
    gy = 1.0 / 5 + yv * (2.0 / 20)
    gs = gy * (1 - yv * yv)
    np.testing.assert_allclose(a.grad.numpy(), gs.sum(1, keepdims=True), rtol=1e-10)
    np.testing.assert_allclose(b.grad.numpy(), gs.sum(0, keepdims=True), rtol=1e-10)
    for order in (0, 1):  # both orders in which the two consumers can be reached
        x = ng.tensor([0.3, -0.2], requires_grad=True)
        h = ng.exp(x)
        p, q = (h * 2.0, ng.sin(h)) if order else (ng.sin(h), h * 2.0)
        (p.sum() + q.sum()).backward()
        xv = np.array([0.3, -0.2])
        np.testing.assert_allclose(x.grad.numpy(), np.exp(xv) * (2 + np.cos(np.exp(xv))),
                                   rtol=1e-6)


def _chain_then_branch(x, discard_extra_use):
    """tanh chain -> a node h used twice (or once, plus a consumer that is thrown away)."""
    h = ng.exp(x * 0.5)
    if discard_extra_use:
        _ = h * 3.0  # a second edge to h's node that no backward will ever see
        return ng.tanh(h + 1.0).sum()
    return ng.tanh(h * h + 1.0).sum()


@pytest.mark.parametrize("discard", [False, True])
def test_lazy_dependency_counts_after_a_chain(discard):
    # backward starts down a chain of one-consumer nodes without dependency counts; they
    # are found when it reaches a node with several edges into it (counted at record time)
    xv = np.array([0.3, -0.7, 1.1])
    x = ng.tensor(xv, requires_grad=True)
    _chain_then_branch(x, discard).backward()
    h = np.exp(xv * 0.5)
    inner = h + 1.0 if discard else h * h + 1.0
    dinner = 1.0 if discard else 2 * h
    want = (1 - np.tanh(inner) ** 2) * dinner * h * 0.5
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-12)


def test_edges_made_to_a_node_are_counted():
    x = ng.randn(3, requires_grad=True)
    y = x * 2.0
    assert y.grad_fn._uses == 0
    z = ng.tanh(y)
    assert y.grad_fn._uses == 1 and z.grad_fn._uses == 0
    w = y * y  # two edges from one node
    assert y.grad_fn._uses == 3 and w.grad_fn.next_edges == (y.grad_fn, y.grad_fn)
    a, b = ng.randn(4, requires_grad=True).split(2)
    _ = b + 1.0
    assert b.grad_fn._uses == 1


def test_leaf_with_hook_at_the_end_of_a_chain_sees_the_summed_gradient():
    seen = []
    x = ng.tensor([0.5, -0.5], requires_grad=True)
    x.register_hook(lambda g: seen.append(g.numpy().copy()))
    y = ng.tanh(x * 2.0) + x * 3.0  # x reached through a chain and directly
    y.sum().backward()
    want = 2 * (1 - np.tanh(np.array([1.0, -1.0])) ** 2) + 3
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], want, rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-6)


def test_accumulating_into_a_rules_fresh_gradient_never_touches_one_held_elsewhere():
    # the engine adds a second gradient in place into a buffered one only when nothing but
    # the buffer holds it; a gradient the rule (or the user) still holds is left as it was
    kept = []

    class Keep(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 1

        @staticmethod
        def backward(ctx, g):
            out = g * 3
            kept.append((out, out.numpy().copy()))
            return out

    x = ng.tensor(np.arange(6.0).reshape(2, 3), dtype=ng.float64, requires_grad=True)
    h = ng.tanh(x)
    y = (Keep.apply(h) + h * 2).sum()  # h gets Keep's gradient and the product's
    y.backward()
    t = np.tanh(x.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), 5 * (1 - t * t), rtol=1e-12)
    out, snapshot = kept[0]
    np.testing.assert_array_equal(out.numpy(), snapshot)  # not accumulated into


def test_a_fresh_buffered_gradient_is_accumulated_in_place():
    # _add called as _execute calls it (the buffer list and a local hold the old gradient)
    from ndgrad.autograd import engine

    def deliver(cbuf, g, owned):
        old = cbuf[0]
        cbuf[0] = engine._add(old, g, owned, False)
        old = None

    arr = np.ones((4, 4))
    cbuf = [ng.Tensor._make(arr)]
    arr = None  # (a local would be a second holder)
    held = cbuf[0]._data
    ptr = held.__array_interface__["data"][0]
    held = None
    deliver(cbuf, ng.Tensor._make(np.full((4, 4), 2.0)), {})
    assert cbuf[0]._data.__array_interface__["data"][0] == ptr  # the same memory, added into
    np.testing.assert_array_equal(cbuf[0]._data, 3.0)
    kept = ng.Tensor._make(np.ones((4, 4)))
    cbuf = [kept]  # the caller still holds it: a new array
    deliver(cbuf, ng.Tensor._make(np.full((4, 4), 2.0)), {})
    assert cbuf[0] is not kept
    np.testing.assert_array_equal(kept._data, 1.0)
    np.testing.assert_array_equal(cbuf[0]._data, 3.0)
