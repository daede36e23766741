"""What a recorded op costs in memory: nodes without a __dict__, edges without a tuple for
output 0, one shared out_meta per (shape, dtype), and a bound on bytes per op of a long chain
(W4 of the benchmarks holds 100,000 nodes at once)."""

from __future__ import annotations

import ast
import gc
import inspect
import textwrap
import tracemalloc

import numpy as np
import pytest

import ndgrad as ng
from ndgrad.autograd.function import Primitive
from ndgrad.autograd.graph import Node, edge_parts


def _all_primitives() -> list[type]:
    out, stack = [], list(Primitive.__subclasses__())
    while stack:
        c = stack.pop()
        out.append(c)
        stack.extend(c.__subclasses__())
    return out


def _ctx_assignments(cls: type) -> set[str]:
    """Attribute names assigned as ``ctx.<name> = ...`` anywhere in the class body."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for t in node.targets:
                for e in t.elts if isinstance(t, ast.Tuple) else [t]:
                    if (isinstance(e, ast.Attribute) and isinstance(e.value, ast.Name)
                            and e.value.id == "ctx"):
                        names.add(e.attr)
    return names


def _slots(cls: type) -> set[str]:
    return {s for k in cls.__mro__ for s in getattr(k, "__slots__", ())}


@pytest.mark.parametrize("prim", _all_primitives(), ids=lambda c: c.__name__)
def test_every_ctx_attribute_is_a_slot(prim):
    missing = _ctx_assignments(prim) - _slots(prim._backward_cls)
    assert not missing, (f"{prim.__name__}.forward sets ctx.{sorted(missing)} but its "
                         f"_ctx_slots does not name them: its nodes would allocate a __dict__")


def _has_dict(obj: object) -> bool:
    return any(type(r) is dict for r in gc.get_referents(obj))


@pytest.mark.parametrize("make", [
    lambda x: x * 2.0, lambda x: x + 1, lambda x: ng.tanh(x), lambda x: x.sum(dim=0),
    lambda x: x.reshape(-1), lambda x: x[1:], lambda x: x @ x.T, lambda x: ng.softmax(x, 1),
], ids=["mul_scalar", "add_scalar", "tanh", "sum", "reshape", "getitem", "matmul", "softmax"])
def test_common_nodes_have_no_dict(make):
    x = ng.randn(3, 3, requires_grad=True)
    assert not _has_dict(make(x).grad_fn)


def test_edge_to_output_zero_is_the_node_itself():
    x = ng.randn(3, requires_grad=True)
    y = ng.tanh(x * 2.0)
    (e,) = y.grad_fn.next_edges
    assert isinstance(e, Node) and type(e).__name__ == "MulBackward0"
    assert edge_parts(e) == (e, 0)
    (leaf_edge,) = e.next_edges
    assert leaf_edge is x
    a, b = ng.randn(4, requires_grad=True).split(2)
    (e1,) = (b * 1.0).grad_fn.next_edges
    assert e1.__class__ is tuple and e1[1] == 1 and e1[0] is b.grad_fn
    # the PyTorch view of the same edges is unchanged
    assert (b * 1.0).grad_fn.next_functions == ((b.grad_fn, 1),)


def test_out_meta_is_shared_between_nodes_of_one_shape_and_dtype():
    x = ng.randn(5, 2, requires_grad=True)
    y = x * 3.0
    z = ng.tanh(y) + 1
    assert y.grad_fn.out_meta is z.grad_fn.out_meta
    assert y.grad_fn.out_meta == (((5, 2), np.dtype("float32")),)
    w = y.sum(dim=1)
    assert w.grad_fn.out_meta == (((5,), np.dtype("float32")),)


def _bytes_per_op(n: int) -> float:
    x = ng.tensor(np.array([0.3], np.float32), requires_grad=True)
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    h = x
    for i in range(n):
        k = i & 3
        h = h * 1.01 if k == 0 else h + 0.1 if k == 1 else ng.tanh(h) if k == 2 else h - 0.05
    used = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    h.backward()
    assert x.grad is not None
    return used / n


def _numpy_bytes_per_op(n: int) -> float:
    """The same chain by hand in NumPy, keeping what its backward needs (each tanh output)."""
    h = np.array([0.3], np.float32)
    c_mul, c_add, c_sub = (np.array(c, np.float32) for c in (1.01, 0.1, 0.05))
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    saved = []
    for i in range(n):
        k = i & 3
        if k == 2:
            h = np.tanh(h)
            saved.append(h)
        else:
            h = h * c_mul if k == 0 else h + c_add if k == 1 else h - c_sub
    used = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    return used / n


def test_a_long_chain_holds_few_bytes_per_op():
    # 532 bytes per op before nodes lost their unused slots, the edge tuples and their own
    # out_meta; about 140 after, and 59 once nodes lost their __dict__ and single edges and
    # single saved outputs their tuples. The bound catches a return of any of these.
    assert _bytes_per_op(4000) < 70


def test_a_long_chain_holds_at_most_twice_what_numpy_by_hand_holds():
    # issue 5's W4 memory bound, measured the same way as benchmarks/run.py (tracemalloc)
    ours, ref = _bytes_per_op(8000), _numpy_bytes_per_op(8000)
    assert ours <= 2 * ref, f"{ours:.1f} bytes per op against NumPy's {ref:.1f}"
