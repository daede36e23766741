"""The binary rules that read their edges (ctx._next) and compute on arrays when no graph is
built (add, sub, mul, div, arctan2): the same gradients as the differentiable path
(create_graph) and as closed forms, with either input not requiring grad, broadcasting,
float32 and the x * x case."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad as ng
from tests.fast_paths import t

OPS = {
    "add": (lambda a, b: a + b, lambda a, b, g: (g, g)),
    "sub": (lambda a, b: a - b, lambda a, b, g: (g, -g)),
    "mul": (lambda a, b: a * b, lambda a, b, g: (g * b, g * a)),
    "div": (lambda a, b: a / b, lambda a, b, g: (g / b, -g * a / (b * b))),
    "arctan2": (ng.arctan2, lambda a, b, g: (g * b / (a * a + b * b), -g * a / (a * a + b * b))),
}


def _sum_to(g, shape):
    while g.ndim > len(shape):
        g = g.sum(0)
    return g.sum(axis=tuple(i for i, s in enumerate(shape) if s == 1), keepdims=True)


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("needs", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (4,)), ((1, 4), (3, 1))])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_rule_matches_closed_form_on_both_paths(op, needs, shapes, dtype):
    f, closed = OPS[op]
    rng = np.random.default_rng(0)
    av = rng.uniform(0.5, 2.0, shapes[0])
    bv = rng.uniform(0.5, 2.0, shapes[1]) * rng.choice([-1.0, 1.0], shapes[1])
    a, b = t(av, needs[0], dtype), t(bv, needs[1], dtype)
    gv = rng.standard_normal(np.broadcast_shapes(shapes[0], shapes[1]))
    want = closed(av, bv, gv)
    wrt = [x for x, n in zip((a, b), needs, strict=True) if n]
    exp = [_sum_to(w, s) for w, s, n in zip(want, shapes, needs, strict=True) if n]
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for create_graph in (False, True):
        got = ng.autograd.grad(f(a, b), wrt, ng.tensor(gv.astype(dtype)),
                               create_graph=create_graph)
        for gg, w, x in zip(got, exp, wrt, strict=True):
            assert gg.shape == x.shape and gg.dtype == x.dtype
            np.testing.assert_allclose(gg.detach().numpy(), w.reshape(x.shape), rtol=tol,
                                       atol=tol)


def test_mul_of_a_tensor_with_itself_and_with_a_storage_twin():
    x = t([1.0, 2.0, 3.0])
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0, 6.0])
    twin = x.detach().requires_grad_()  # the same storage, another leaf: two gradients
    (x * twin).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 6.0, 9.0])
    np.testing.assert_array_equal(twin.grad.numpy(), [1.0, 2.0, 3.0])


@pytest.mark.parametrize("op", ["mul", "div", "arctan2"])
def test_saved_input_modified_in_place_is_caught(op):
    a, b = t([1.0, 2.0]), t([3.0, 4.0])
    y = OPS[op][0](a, b)
    with ng.no_grad():
        b.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_node_hook_sees_none_for_an_input_without_grad():
    a, b = t([1.0, 2.0]), t([3.0, 4.0], rg=False)
    seen = []
    y = a + b
    y.grad_fn.register_hook(lambda gi, go: seen.append(gi))
    y.sum().backward()
    assert seen[0][1] is None and seen[0][0] is not None


def test_div_output_modified_in_place_is_caught():
    # div saves its output for y's gradient: writing into the output must not go unnoticed
    a, b = t([1.0, 2.0]), t([3.0, 4.0])
    y = a / b
    with ng.no_grad():
        y.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
