"""Dead pass-through nodes (``x + c`` whose output Tensor is gone) are bypassed by the edge of
the node that consumed them, and dead ``x * c`` nodes are folded into an elementwise consumer
(tanh, sigmoid, relu, exp): gradients are unchanged bit for bit, anything still reachable or
hooked is kept."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import ndgrad as ng
from ndgrad.autograd.graph import edge_parts


def _chain_names(t: ng.Tensor) -> list[str]:
    """Node names from ``t.grad_fn`` down the first edge, ending at the leaf."""
    names, n = [], t.grad_fn
    while n is not None and not isinstance(n, ng.Tensor):
        names.append(type(n).__name__)
        e = n.next_edges[0]
        n = edge_parts(e)[0] if e is not None else None
    return names


def _closed_form(x0: np.ndarray) -> np.ndarray:
    # h = 3 * (tanh(2x + 1) - 1 + 0.5): dh/dx = 6 * (1 - tanh(2x + 1)^2)
    return 6 * (1 - np.tanh(2 * x0 + 1) ** 2)


def _chain(x: ng.Tensor) -> ng.Tensor:
    h = x * 2
    h = h + 1
    h = ng.tanh(h)
    h = h - 1
    h = h + 0.5
    return h * 3


def test_dead_add_nodes_are_bypassed_and_gradients_unchanged() -> None:
    x0 = np.linspace(-1, 1, 5)
    x = ng.tensor(x0, requires_grad=True)
    h = _chain(x)
    # the dead adds are bypassed and the dead `x * 2` is folded into tanh's node: only the
    # last add before `* 3` was alive when `* 3` was recorded
    assert _chain_names(h) == ["MulBackward0", "AddBackward0", "TanhBackward0"]
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), _closed_form(x0), rtol=1e-12)


def test_live_intermediate_keeps_its_node() -> None:
    x = ng.tensor([0.5, -0.25], requires_grad=True)
    a = x * 2
    b = a + 1  # kept alive by this name
    c = ng.tanh(b)
    d = c * 3
    assert _chain_names(d) == ["MulBackward0", "TanhBackward0", "AddBackward0", "MulBackward0"]
    (gb,) = ng.autograd.grad(d.sum(), b)  # b's node must still be in the graph
    np.testing.assert_allclose(gb.numpy(), 3 * (1 - np.tanh(b.detach().numpy()) ** 2))


def test_held_node_is_not_bypassed() -> None:
    x = ng.tensor([0.5], requires_grad=True)
    h = x * 2
    h = h + 1
    node = h.grad_fn  # the user holds the node: it stays reachable, so it stays in the graph
    h = ng.tanh(h)
    h = h * 3
    h = h * 1
    assert _chain_names(h).count("AddBackward0") == 1
    assert h.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0] is node


def test_hooked_node_is_not_bypassed() -> None:
    x = ng.tensor([0.5, 1.5], requires_grad=True)
    seen = []
    h = x * 2
    h = h + 1
    h.grad_fn.register_prehook(lambda gs: seen.append(gs[0].numpy().copy()))
    h = ng.tanh(h)
    h = h * 3  # the hooked add's output is dead now, but its node has a hook
    h = h * 1
    assert "AddBackward0" in _chain_names(h)
    h.sum().backward()
    assert len(seen) == 1


def test_retain_grad_on_dead_tensor_still_works() -> None:
    x = ng.tensor([0.5], requires_grad=True)
    h = x * 2
    h = h + 1
    h.retain_grad()
    kept = h
    h = ng.tanh(h)
    h = h * 3
    h = h * 1
    h.sum().backward()
    np.testing.assert_allclose(kept.grad.numpy(), [3 * (1 - np.tanh(2.0) ** 2)], rtol=1e-6)


def test_long_add_chain_keeps_few_nodes() -> None:
    x = ng.tensor(np.ones(3), requires_grad=True)
    h = x * 1.5
    for _ in range(1000):
        h = h + 0.001
    h = h * 2
    gc.collect()
    assert len(_chain_names(h)) <= 3  # mul, one add, mul: not 1,002 nodes
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, 3.0))


def test_bypass_under_create_graph_second_order() -> None:
    x = ng.tensor(np.array([0.3, -0.7]), requires_grad=True)
    h = x * x
    h = h + 1
    h = h + 2
    h = ng.tanh(h)
    h = h * 1
    (g,) = ng.autograd.grad(h.sum(), x, create_graph=True)
    (gg,) = ng.autograd.grad(g.sum(), x)
    xv = x.detach().numpy()
    u = np.tanh(xv * xv + 3)
    # d/dx [2x (1 - u^2)] = 2 (1 - u^2) - 8 x^2 u (1 - u^2)
    np.testing.assert_allclose(gg.numpy(), 2 * (1 - u**2) - 8 * xv**2 * u * (1 - u**2),
                               rtol=1e-10)


@pytest.mark.parametrize("shape", [(), (4,), (2, 3)])
def test_bypass_keeps_shapes_and_dtypes(shape: tuple) -> None:
    x = ng.tensor(np.full(shape, 0.25, np.float32), requires_grad=True)
    h = x * 2
    h = h + 1
    h = ng.tanh(h)
    h = h * 1
    h.sum().backward()
    assert x.grad.shape == x.shape and x.grad.dtype == ng.float32
    np.testing.assert_allclose(x.grad.numpy(), 2 * (1 - np.tanh(1.5) ** 2), rtol=1e-6)


def _grads(fn, x0: np.ndarray, keep: bool) -> tuple:
    """fn's gradient with the x * c intermediate dead (folded) or kept alive (not folded)."""
    x = ng.tensor(x0, requires_grad=True)
    m = x * 1.7
    a = fn(m)
    held = m if keep else None
    del m
    out = (a * 1.0).sum()
    names = _chain_names(out)
    out.backward()
    del held
    return x.grad.numpy(), names


@pytest.mark.parametrize("fn", [ng.tanh, ng.sigmoid, ng.relu, ng.exp], ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dead_scale_is_folded_with_the_same_bits(fn, dtype: str) -> None:
    x0 = np.random.default_rng(3).standard_normal(17).astype(dtype)
    folded, names = _grads(fn, x0, keep=False)
    plain, names_kept = _grads(fn, x0, keep=True)
    assert "MulBackward0" not in names[2:] and "MulBackward0" in names_kept[2:]
    np.testing.assert_array_equal(folded, plain)  # the same operations in the same order
    assert folded.dtype == np.dtype(dtype)


def test_post_hook_on_folded_node_sees_unscaled_gradients() -> None:
    seen = {}
    for keep in (False, True):
        x = ng.tensor(np.array([0.3, -0.8]), requires_grad=True)
        m = x * 3.0
        t = ng.tanh(m)
        held = m if keep else None
        del m
        out = t * 1.0  # records on t: folds the dead x * 3 into tanh's node

        def hook(gi: tuple, go: tuple, k: bool = keep) -> None:
            seen[k] = gi[0].numpy().copy()

        t.grad_fn.register_hook(hook)
        out.sum().backward()
        seen[(keep, "x")] = x.grad.numpy()
        del held
    np.testing.assert_array_equal(seen[False], seen[True])  # d out / d (x * 3), unscaled
    np.testing.assert_array_equal(seen[(False, "x")], seen[(True, "x")])


def test_folded_node_second_order_and_retain_graph() -> None:
    x = ng.tensor(np.array([0.3, -0.7, 1.1]), requires_grad=True)
    h = ng.tanh(x * 2.5)
    h = h * 1.0
    (g,) = ng.autograd.grad(h.sum(), x, create_graph=True, retain_graph=True)
    (gg,) = ng.autograd.grad(g.sum(), x, retain_graph=True)
    xv = x.detach().numpy()
    u = np.tanh(2.5 * xv)
    np.testing.assert_allclose(g.detach().numpy(), 2.5 * (1 - u**2), rtol=1e-12)
    np.testing.assert_allclose(gg.numpy(), -2 * 2.5**2 * u * (1 - u**2), rtol=1e-10)
    (g2,) = ng.autograd.grad(h.sum(), x)  # the graph was retained: a second pass agrees
    np.testing.assert_array_equal(g2.numpy(), g.detach().numpy())


def test_held_or_hooked_scale_node_is_not_folded() -> None:
    x = ng.tensor(np.array([0.5]), requires_grad=True)
    m = x * 2.0
    node = m.grad_fn  # held by the user: reachable, so kept
    t = ng.tanh(m)
    del m
    t = t * 1.0
    assert _chain_names(t) == ["MulBackward0", "TanhBackward0", "MulBackward0"]
    assert t.grad_fn.next_functions[0][0].next_functions[0][0] is node
    seen = []
    m = x * 2.0
    m.grad_fn.register_prehook(lambda gs: seen.append(1))  # hooked: kept
    t = ng.tanh(m)
    del m
    t = t * 1.0
    assert _chain_names(t) == ["MulBackward0", "TanhBackward0", "MulBackward0"]
    t.sum().backward()
    assert seen == [1]
