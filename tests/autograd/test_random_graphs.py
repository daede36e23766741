"""Random DAGs with shared subexpressions (diamonds, chains, fan-out): engine gradients of
every order agree with finite differences, whatever order the nodes are reached in."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import ndgrad as ng
from ndgrad.autograd import gradcheck, gradgradcheck

UNARY = [ng.tanh, ng.sin, lambda t: t * 1.5, lambda t: t + 0.3, ng.sigmoid, lambda t: t * t]
BINARY = [ng.add, ng.mul, ng.sub, lambda a, b: a * 0.5 + b]

step = st.tuples(st.booleans(), st.integers(0, 10_000), st.integers(0, 10_000),
                 st.integers(0, 10_000))


def _build(steps):
    def f(x, w):
        nodes = [x, w]
        for binary, i, j, k in steps:
            a = nodes[i % len(nodes)]
            if binary:
                nodes.append(BINARY[k % len(BINARY)](a, nodes[j % len(nodes)]))
            else:
                nodes.append(UNARY[k % len(UNARY)](a))
        # several outputs of the graph feed the loss: nodes are reached along many paths
        return sum((n * (1.0 + 0.1 * i)).sum() for i, n in enumerate(nodes[-3:]))

    return f


@settings(max_examples=30, deadline=None)
@given(st.lists(step, min_size=1, max_size=12))
def test_random_graph_gradients(steps):
    rng = np.random.default_rng(len(steps))
    x = ng.tensor(rng.uniform(-1, 1, (2, 3)), requires_grad=True)
    w = ng.tensor(rng.uniform(-1, 1, (3,)), requires_grad=True)
    f = _build(steps)
    assert gradcheck(f, (x, w))
    # backward() into .grad agrees with autograd.grad
    gx, gw = ng.autograd.grad(f(x, w), (x, w), allow_unused=True, materialize_grads=True)
    f(x, w).backward()
    for leaf, g in ((x, gx), (w, gw)):
        got = leaf.grad.numpy() if leaf.grad is not None else np.zeros(leaf.shape)  # unused leaf
        np.testing.assert_allclose(got, g.numpy(), rtol=1e-12, atol=1e-12)


@settings(max_examples=10, deadline=None)
@given(st.lists(step, min_size=1, max_size=8))
def test_random_graph_second_order(steps):
    rng = np.random.default_rng(len(steps) + 7)
    x = ng.tensor(rng.uniform(-1, 1, (2,)), requires_grad=True)
    w = ng.tensor(rng.uniform(-1, 1, (2,)), requires_grad=True)
    assert gradgradcheck(_build(steps), (x, w))
