"""Python-number operands are passed to NumPy as cached 0-d arrays of the tensor's dtype
(``ops.binary._k``): the results must be bit-for-bit NumPy's own, edge values included."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ndgrad as ng
from ndgrad.ops._common import scalar_operand as _k

EDGE = [1.5, -2.25, 1e-45, 3.4e38, 1e39, -1e300, float("inf"), float("-inf"), float("nan"),
        0.0, -0.0, 1, -7, 2**53 + 1, 10**30, 10**400, True]
OPS = {"add": lambda a, c: a + c, "sub": lambda a, c: a - c, "rsub": lambda a, c: c - a,
       "mul": lambda a, c: a * c, "div": lambda a, c: a / c}


def _same(got: np.ndarray, want: np.ndarray) -> None:
    """Equal bits, except that a NaN's sign is free (x - c is computed as x + (-c))."""
    assert got.dtype == want.dtype and got.shape == want.shape
    nan = np.isnan(want)
    np.testing.assert_array_equal(np.isnan(got), nan)
    g, w = got[~nan], want[~nan]
    np.testing.assert_array_equal(g.view(f"u{g.itemsize}"), w.view(f"u{w.itemsize}"))


def _numpy(fn, a, c):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return np.asarray(fn(a, c))
        except OverflowError:
            return OverflowError


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("c", EDGE, ids=repr)
@pytest.mark.parametrize("op", list(OPS))
def test_tensor_scalar_ops_match_numpy_bits(op: str, c, dtype: str) -> None:
    a = np.array([0.0, -0.0, 1.0, -3.5, 7e-3, np.inf, np.nan, 65000.0], dtype)
    want = _numpy(OPS[op], a, c)
    for rg in (False, True):
        x = ng.tensor(a, requires_grad=rg)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if want is OverflowError:
                with pytest.raises(OverflowError):
                    OPS[op](x, c)
                continue
            got = OPS[op](x, c)
        _same(got.detach().numpy(), want)


@settings(max_examples=200, deadline=None)
@given(c=st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                   st.integers(-2**70, 2**70)),
       dtype=st.sampled_from(["float32", "float64"]))
def test_cached_operand_is_numpys_cast(c, dtype: str) -> None:
    a = np.array([1.0, -2.5, 3e-8], dtype)
    k = _k(c, a)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            want = a * c
        except OverflowError:
            assert k is c  # never cached: NumPy's own error stands
            return
        got = a * k
    _same(np.asarray(got), np.asarray(want))
    if k is not c:
        assert k.shape == () and k.dtype == a.dtype and not k.flags.writeable


def test_zero_sign_and_nan_are_not_cached() -> None:
    a = np.ones(2, np.float32)
    assert _k(0.0, a) == 0.0 and type(_k(-0.0, a)) is float and type(_k(float("nan"), a)) is float
    assert type(_k(2.0, a)) is np.ndarray  # a plain value is


def test_scalar_backward_uses_the_same_values() -> None:
    x = ng.tensor(np.array([0.5, -1.25, 3.0], np.float32), requires_grad=True)
    y = ((x * 1.7) / 0.3 + 0.1 - 2.0) * 3
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, 3 * 1.7 / 0.3), rtol=1e-6)


def test_overflowing_operand_warns_every_time_as_numpy() -> None:
    x = ng.tensor(np.ones(2, np.float32))
    for _ in range(2):  # a cached cast would warn only the first time
        with pytest.warns(RuntimeWarning, match="overflow"):
            x * 1e39


@pytest.mark.parametrize("rg", [False, True])
def test_scalar_fast_paths_keep_alpha_and_rounding_mode(rg: bool) -> None:
    a = np.array([1.5, -2.5, 7.0], np.float32)
    x = ng.tensor(a, requires_grad=rg)
    np.testing.assert_allclose(ng.add(x, 2.0, alpha=3).detach().numpy(), a + 6)
    np.testing.assert_allclose(ng.sub(x, 2.0, alpha=3).detach().numpy(), a - 6)
    np.testing.assert_allclose(ng.div(x, 2.0, rounding_mode="floor").detach().numpy(),
                               np.floor(a / 2))
    np.testing.assert_allclose(ng.div(x, 2.0, rounding_mode="trunc").detach().numpy(),
                               np.trunc(a / 2))
    if rg:
        ng.add(x, 2.0, alpha=3).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), np.ones(3))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cube_is_computed_as_pytorch_does(dtype: str) -> None:
    a = np.random.default_rng(7).standard_normal(257).astype(dtype) * 3
    x = ng.tensor(a, requires_grad=True)
    y = x ** 3
    _same(y.detach().numpy(), a * a * a)  # PyTorch's CPU kernel multiplies for exponent 3
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * a * a, rtol=1e-6)
    xi = ng.tensor(np.array([2, -3]))  # integer tensors keep NumPy's integer power
    assert (xi ** 3).numpy().tolist() == [8, -27]
