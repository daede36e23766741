"""Several outputs at once, where one output is an ancestor of another (``h`` and
``h.sin()``): each output's own seed counts, and the result is the sum of the single-output
gradients (linearity), through ``autograd.grad``, ``autograd.backward``, ``ng.grad``,
``func.vjp``, ``func.jacrev`` and ``checkpoint``. Also: a tensor hook may not change the
gradient's shape (PyTorch's check)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ndgrad as ng

X0 = np.array([0.5, -0.3])
FIRST = {"mul": lambda x: x * 2, "square": lambda x: x * x, "tanh": ng.tanh,
         "add": lambda x: x + 1}


def _x():
    return ng.tensor(X0.copy(), requires_grad=True)


@pytest.mark.parametrize("name", sorted(FIRST))
@pytest.mark.parametrize("order", [0, 1])
def test_ancestor_output_keeps_its_seed(name, order):
    h_of = FIRST[name]
    x = _x()
    h = h_of(x)
    s = ng.sin(h)
    one = ng.tensor(np.ones(2))
    outs = [h, s] if order == 0 else [s, h]
    (got,) = ng.autograd.grad(outs, [x], [one, one], retain_graph=True)
    (gh,) = ng.autograd.grad(h, [x], one, retain_graph=True)
    (gs,) = ng.autograd.grad(s, [x], one, retain_graph=True)
    np.testing.assert_allclose(got.numpy(), gh.numpy() + gs.numpy(), rtol=1e-12)
    ng.autograd.backward(outs, [one, one])
    np.testing.assert_allclose(x.grad.numpy(), gh.numpy() + gs.numpy(), rtol=1e-12)


def test_closed_form_and_other_entry_points():
    want = 2 + 2 * np.cos(2 * X0)  # d/dx of sum(2x) + sum(sin(2x))
    x = _x()
    h = x * 2
    np.testing.assert_allclose(ng.grad([h, ng.sin(h)], [x])[0].numpy(), want, rtol=1e-12)

    def f(t):
        u = t * 2
        return u, ng.sin(u)

    x = _x()
    v = ng.tensor(np.ones(2))
    _, vjp_fn = ng.func.vjp(f, x)
    np.testing.assert_allclose(vjp_fn((v, v))[0].detach().numpy(), want, rtol=1e-12)
    jac = ng.func.jacrev(f)(x)
    np.testing.assert_allclose(jac[0].detach().numpy(), 2 * np.eye(2), rtol=1e-12)
    np.testing.assert_allclose(jac[1].detach().numpy(), np.diag(2 * np.cos(2 * X0)), rtol=1e-12)
    x = _x()
    a, b = ng.utils.checkpoint.checkpoint(f, x, use_reentrant=False)
    (a.sum() + b.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-12)


UNARY = [ng.tanh, ng.sin, lambda t: t * 1.5, lambda t: t + 0.3, lambda t: t * t]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 99), st.integers(0, 4)), min_size=1, max_size=8),
       st.lists(st.integers(0, 99), min_size=2, max_size=4))
def test_multi_output_grad_is_the_sum_of_single_output_grads(steps, picks):
    x = _x()
    nodes = [x]
    for i, k in steps:
        nodes.append(UNARY[k](nodes[i % len(nodes)]))
    outs = [nodes[1 + p % (len(nodes) - 1)] for p in picks]
    rng = np.random.default_rng(len(steps))
    seeds = [ng.tensor(rng.uniform(-1, 1, 2)) for _ in outs]
    (got,) = ng.autograd.grad(outs, [x], seeds, retain_graph=True)
    want = sum(ng.autograd.grad(o, [x], s, retain_graph=True)[0].numpy()
               for o, s in zip(outs, seeds, strict=True))
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("leaf", [True, False])
def test_hook_may_not_change_the_shape(leaf):
    x = ng.ones(4, requires_grad=True)
    t = x if leaf else x * 1
    t.register_hook(lambda g: g.sum())
    with pytest.raises(RuntimeError, match="has changed the size of value"):
        (t * 2).sum().backward()
