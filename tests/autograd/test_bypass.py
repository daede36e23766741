"""Dead pass-through nodes (``x + c`` whose output Tensor is gone) are bypassed by the edge of
the node that consumed them: gradients are unchanged, anything still reachable is kept."""

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
    # the two dead AddBackward1 nodes before MulBackward1 collapse, and the one between
    # mul and tanh is gone: only the last add before `* 3` was alive when `* 3` was recorded
    assert _chain_names(h) == ["MulBackward1", "AddBackward1", "TanhBackward0", "MulBackward1"]
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), _closed_form(x0), rtol=1e-12)


def test_live_intermediate_keeps_its_node() -> None:
    x = ng.tensor([0.5, -0.25], requires_grad=True)
    a = x * 2
    b = a + 1  # kept alive by this name
    c = ng.tanh(b)
    d = c * 3
    assert _chain_names(d) == ["MulBackward1", "TanhBackward0", "AddBackward1", "MulBackward1"]
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
    assert _chain_names(h).count("AddBackward1") == 1
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
    assert "AddBackward1" in _chain_names(h)
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
