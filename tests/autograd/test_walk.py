"""engine._walk, the lean loop of loss.backward(): on trees of plain nodes it finishes alone;
everywhere else it hands _execute the state that loop would have reached. Every case is
checked against autograd.grad (the general path) and for the engine's other promises (hooks
once with the full gradient, no aliasing of .grad, saved tensors freed)."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad as ng
from ndgrad.autograd import engine
from ndgrad.autograd.function import Primitive


def _leaves(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [ng.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]


def _check(f, leaves, calls=None):
    """backward() into .grad agrees with autograd.grad; returns whether _walk finished."""
    want = ng.autograd.grad(f(*leaves), leaves, allow_unused=True, materialize_grads=True)
    for t in leaves:
        t.grad = None
    done = []
    orig = engine._walk

    def spy(n, g, keep):
        r = orig(n, g, keep)
        done.append(r)
        return r

    engine._walk = spy
    try:
        f(*leaves).backward()
    finally:
        engine._walk = orig
    for t, w in zip(leaves, want, strict=True):
        got = t.grad.numpy() if t.grad is not None else np.zeros(t.shape)
        np.testing.assert_allclose(got, w.numpy(), rtol=1e-12, atol=1e-12)
    assert len(done) == 1, "backward() did not take the walk"
    return done[0]


def test_tree_finishes_in_the_walk():
    x, w, b = _leaves((4, 3), (3, 2), (2,))
    assert _check(lambda x, w, b: (ng.tanh(x @ w + b) * 2.0).sum(), [x, w, b])


def test_two_node_inputs_are_both_walked():
    x, y = _leaves((3,), (3,))
    assert _check(lambda x, y: (ng.exp(x) * ng.sin(y)).sum(), [x, y])


@pytest.mark.parametrize("case", ["shared", "diamond", "reused_leaf_node"])
def test_fan_in_hands_off_and_agrees(case):
    x, y = _leaves((3,), (3,))
    if case == "shared":
        def f(x, y):
            h = ng.tanh(x)
            return (h * h + h * y).sum()
    elif case == "diamond":
        def f(x, y):
            h = x * y
            return (ng.exp(h) + ng.sin(h)).sum()
    else:
        def f(x, y):
            return (ng.exp(x) * x + y).sum()  # a leaf reached twice needs no counts
    walked = _check(f, [x, y])
    assert walked == (case == "reused_leaf_node")


def test_leaf_with_hook_sees_the_summed_gradient_once():
    x, y = _leaves((3,), (3,))
    seen = []
    x.register_hook(lambda g: seen.append(g.numpy().copy()))
    assert not _check(lambda x, y: (x * 2.0 + x * y).sum(), [x, y])
    # _check ran grad (hook once) and backward (hook once): each saw the full gradient
    assert len(seen) == 2
    for s in seen:
        np.testing.assert_allclose(s, 2.0 + y.detach().numpy())


def test_non_leaf_hook_hands_off():
    x, = _leaves((3,))
    seen = []

    def f(x):
        h = ng.exp(x)
        h.register_hook(lambda g: seen.append(1))
        return (h * 3.0).sum()

    assert not _check(f, [x])
    assert seen == [1, 1]


@pytest.mark.parametrize("kind", ["function", "primitive"])
def test_none_gradient_to_a_node_hands_off_and_frees_the_subtree(kind):
    def rule(ctx, g):
        return g * 2, None

    if kind == "function":  # not primitive: handed off before it runs
        cls = type("NoGradForSecond", (ng.autograd.Function,), {
            "forward": staticmethod(lambda ctx, a, b: a * 2), "backward": staticmethod(rule)})
    else:  # a primitive the walk runs: its None for a node is handed off after it ran
        cls = type("NoGradForSecondP", (Primitive,), {
            "forward": staticmethod(lambda ctx, a, b: a * 2), "backward": staticmethod(rule)})
    x, y = _leaves((3,), (3,))
    h = ng.exp(y)  # a node that gets None
    out = cls.apply(ng.sin(x), h).sum()
    out.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.cos(x.detach().numpy()))
    assert y.grad is None
    with pytest.raises(RuntimeError, match="second time|freed"):
        h.sum().backward()  # h's node ran with no gradient and freed what it saved


def test_multi_output_node_hands_off():
    x, = _leaves((6,))
    assert not _check(lambda x: (ng.split(ng.exp(x), 3)[1] * 2.0).sum(), [x])


def test_fresh_gradient_shared_by_two_leaves_is_never_aliased():
    a, b = _leaves((4,), (4,))
    (ng.exp(a + b) * 1.0).sum().backward()  # add's rule passes one fresh tensor to both
    assert a.grad is not b.grad
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    before = b.grad.numpy().copy()
    a.grad.numpy()[...] = 0.0
    np.testing.assert_array_equal(b.grad.numpy(), before)


def test_callers_gradient_is_never_taken_or_written():
    a, b = _leaves((4,), (4,))
    g = ng.tensor(np.arange(4.0))
    (a + b).backward(g)
    assert not np.shares_memory(a.grad.numpy(), g.numpy())
    assert not np.shares_memory(b.grad.numpy(), g.numpy())
    (a + b).backward(g)  # accumulates in place into .grad, never into g
    np.testing.assert_array_equal(g.numpy(), np.arange(4.0))
    np.testing.assert_array_equal(a.grad.numpy(), 2 * np.arange(4.0))


def test_saved_tensors_freed_unless_retained():
    x, = _leaves((3,))
    y = (ng.exp(x) * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(),
                               2 * np.exp(x.detach().numpy()) * (1 + x.detach().numpy()))
    with pytest.raises(RuntimeError, match="second time|freed"):
        y.backward()


def test_gradient_is_validated_on_the_walk():
    # a broadcast input's gradient is summed back; a bad shape names the node
    x, b = _leaves((4, 3), (3,))
    assert _check(lambda x, b: ((x + b) * 2.0).sum(), [x, b])

    class Bad(ng.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 1

        @staticmethod
        def backward(ctx, g):
            return ng.ones(5)

    with pytest.raises(RuntimeError, match="invalid gradient"):
        Bad.apply(ng.exp(x)).sum().backward()


@pytest.mark.parametrize("chain", [True, False])
def test_gradient_a_rule_keeps_is_copied_not_taken(chain):
    # a rule whose result something else still holds: the leaf gets a copy (in the chain
    # step and in the delivery loop alike), so writing .grad never reaches the kept one
    kept = []

    def rule(ctx, g):
        r = ng.tensor(np.full(3, 5.0))
        kept.append(r)
        return r if chain else (r, None)

    fwd = (lambda ctx, a: a * 1) if chain else (lambda ctx, a, b: a * 1)
    cls = type("Keeps", (Primitive,), {"forward": staticmethod(fwd),
                                       "backward": staticmethod(rule)})
    x, y = _leaves((3,), (3,))
    out = cls.apply(x) if chain else cls.apply(x, y)
    out.sum().backward()
    assert x.grad is not kept[0]
    x.grad.numpy()[...] = 0.0
    np.testing.assert_array_equal(kept[0].numpy(), np.full(3, 5.0))


def test_fresh_gradient_is_taken_without_a_copy():
    # the other side of the rule above: a gradient nothing else holds becomes .grad itself
    x, = _leaves((3,))
    seen = []

    def rule(ctx, g):
        r = ng.tensor(np.full(3, 2.0))
        seen.append(id(r))
        return r

    cls = type("Fresh", (Primitive,), {"forward": staticmethod(lambda ctx, a: a * 1),
                                       "backward": staticmethod(rule)})
    cls.apply(x).sum().backward()
    assert id(x.grad) == seen[0]
