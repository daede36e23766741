"""Tensor hooks, retain_grad, node hooks, handles."""

from __future__ import annotations

import pytest

import ndgrad as ng


def test_leaf_hook_can_replace_grad():
    x = ng.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    h = x.register_hook(lambda g: (seen.append(g.tolist()), g * 10)[1])
    (x * 3).sum().backward()
    assert seen == [[3.0, 3.0]] and x.grad.tolist() == [30.0, 30.0]
    h.remove()
    x.grad = None
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_nonleaf_hook_changes_downstream_grad():
    x = ng.tensor([1.0], requires_grad=True)
    h = x * 2
    h.register_hook(lambda g: g * 0.5)
    (h * 4).backward()
    assert x.grad.item() == 4.0


def test_retain_grad_on_nonleaf_and_accumulation():
    x = ng.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    assert h.retains_grad
    (h ** 2).sum().backward(retain_graph=True)
    assert h.grad.tolist() == [6.0, 12.0]
    (h ** 2).sum().backward()
    assert h.grad.tolist() == [12.0, 24.0]


def test_nonleaf_grad_is_none_without_retain():
    x = ng.tensor([1.0], requires_grad=True)
    h = x * 3
    (h * 2).backward()
    assert h.grad is None and x.grad.item() == 6.0


def test_hook_requires_grad():
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't "
                       "require gradient"):
        ng.tensor([1.0]).register_hook(lambda g: g)


def test_node_hooks():
    x = ng.tensor([2.0], requires_grad=True)
    y = x * x
    calls = []
    y.grad_fn.register_prehook(lambda go: calls.append(("pre", go[0].item())))
    y.grad_fn.register_hook(lambda gi, go: calls.append(("post", gi[0].item())))
    y.backward()
    assert calls == [("pre", 1.0), ("post", 2.0)]


def test_next_functions_and_accumulate_grad():
    x = ng.tensor([1.0], requires_grad=True)
    y = (x * 2).exp()
    (fn, idx), = y.grad_fn.next_functions
    assert fn.name() == "MulBackward0" and idx == 0
    (acc, _), = fn.next_functions
    assert acc.name() == "AccumulateGrad" and acc.variable is x
