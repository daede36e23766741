"""Rules marked ``_exact`` (function._FunctionBase): engine._walk takes their gradients
without checking shape and dtype, so each must give every input a gradient of exactly that
input's shape and dtype. Every marked class is driven here, in each float dtype, and its
gradients compared (values, shape, dtype) with autograd.grad, whose path checks them all."""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ndgrad as ng
from ndgrad.autograd.function import _FunctionBase

# class name -> calls that record it (x, y: float tensors of one shape and dtype, x > 0)
DRIVERS = {
    "Neg": [lambda x, y: -x],
    "Exp": [lambda x, y: ng.exp(x), lambda x, y: ng.exp(x * 0.5)],  # the second: the scaled twin
    "Tanh": [lambda x, y: ng.tanh(x), lambda x, y: ng.tanh(x * -2.0)],
    "Sigmoid": [lambda x, y: ng.sigmoid(x), lambda x, y: ng.sigmoid(x * 3)],
    "Relu": [lambda x, y: ng.relu(x - 1.0), lambda x, y: ng.relu((x - 1) * 2)],
    "AddScalar": [lambda x, y: x + 2.5, lambda x, y: x - 1, lambda x, y: 3 + x,
                  lambda x, y: ng.add(x, 2, alpha=1.5)],
    "RSubScalar": [lambda x, y: 2.5 - x, lambda x, y: 1 - x],
    "MulScalar": [lambda x, y: x * 3, lambda x, y: 0.5 * x, lambda x, y: x * -1e30],
    "DivScalar": [lambda x, y: x / 3, lambda x, y: x / 1e-30],
    "PowScalar": [lambda x, y: x ** 2, lambda x, y: x ** 3, lambda x, y: x ** 0.5,
                  lambda x, y: x ** 0, lambda x, y: x ** 1, lambda x, y: x ** -1.5,
                  lambda x, y: ng.square(x)],
    "Add": [lambda x, y: x + y, ng.add],
    "Sub": [lambda x, y: x - y, lambda x, y: ng.sub(y, x)],
    "Mul": [lambda x, y: x * y, lambda x, y: x * x],
    "Div": [lambda x, y: x / y, lambda x, y: y / x],
}


def _exact_classes() -> set[str]:
    seen, stack = set(), [_FunctionBase]
    while stack:
        c = stack.pop()
        stack.extend(c.__subclasses__())
        if c.__dict__.get("_exact"):
            seen.add(c.__name__)
    return seen


def test_every_exact_class_is_driven_here():
    # a class marked _exact without a row here would have its rule go unchecked everywhere
    assert _exact_classes() == set(DRIVERS)


def _compare(f, xa, ya, seed_dtype=None):
    x = ng.tensor(xa, requires_grad=True)
    y = ng.tensor(ya, requires_grad=True)
    out = f(x, y)
    g = np.random.default_rng(1).standard_normal(out.shape).astype(seed_dtype or xa.dtype)
    want = ng.autograd.grad(f(x, y), [x, y], ng.tensor(g), allow_unused=True)
    out.backward(ng.tensor(g))
    for t, w in zip((x, y), want, strict=True):
        if w is None:
            assert t.grad is None
            continue
        assert t.grad.shape == t.shape and t.grad.dtype == t.dtype
        np.testing.assert_array_equal(t.grad.numpy(), w.numpy())


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(DRIVERS))
def test_exact_rule_gives_each_input_its_own_shape_and_dtype(name, dtype):
    rng = np.random.default_rng(0)
    for shape in [(3, 4), (5,), ()]:
        xa = rng.uniform(0.5, 2.0, shape).astype(dtype)
        ya = rng.uniform(0.5, 2.0, shape).astype(dtype)
        for f in DRIVERS[name]:
            with np.errstate(over="ignore", divide="ignore"):
                _compare(f, xa, ya)


@pytest.mark.parametrize("name", ["Add", "Mul", "Div", "Sub", "Exp", "MulScalar"])
def test_a_seed_of_another_float_dtype_takes_the_output_s_dtype(name):
    # as PyTorch: a float64 gradient for a float32 output is cast before any rule runs
    rng = np.random.default_rng(2)
    xa = rng.uniform(0.5, 2.0, (4, 3)).astype(np.float32)
    ya = rng.uniform(0.5, 2.0, (4, 3)).astype(np.float32)
    for f in DRIVERS[name]:
        _compare(f, xa, ya, seed_dtype=np.float64)


def test_a_complex_seed_for_a_real_output_is_refused():
    x = ng.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="both grad_output and output are required"):
        (x * 2).backward(ng.tensor(np.ones(3, np.complex128)))


def test_broadcasting_binary_ops_are_not_exact_and_still_reduce():
    x = ng.tensor(np.ones((3, 1), np.float32), requires_grad=True)
    y = ng.tensor(np.ones(4, np.float32), requires_grad=True)
    for out in (x + y, x - y, x * y, x / y):
        assert not out.grad_fn._fn._exact
    (x * y).backward(ng.ones((3, 4)))
    assert x.grad.shape == (3, 1) and y.grad.shape == (4,)
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 1), 4.0, np.float32))


def test_the_exact_twin_keeps_pytorch_s_node_name():
    x = ng.tensor(np.ones(2), requires_grad=True)
    names = [(x + x).grad_fn.name(), (x - x).grad_fn.name(), (x * x).grad_fn.name(),
             (x / x).grad_fn.name()]
    assert names == ["AddBackward0", "SubBackward0", "MulBackward0", "DivBackward0"]


@settings(max_examples=40, deadline=None)
@given(data=st.data(), name=st.sampled_from(sorted(DRIVERS)),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_exact_rules_match_the_checked_path_on_random_shapes(data, name, dtype):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))
    vals = hnp.arrays(dtype, shape, elements=st.floats(0.25, 4.0, width=32))
    xa, ya = data.draw(vals), data.draw(vals)
    f = data.draw(st.sampled_from(DRIVERS[name]))
    _compare(f, xa, ya)
