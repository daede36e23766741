"""Sums by BLAS gemv (ops/_blas_sum.py): taken where the module says, as accurate as NumPy's
add.reduce there, the same shapes, dtypes and special values; the public sum/mean use it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ndgrad as ng
from ndgrad.ops._blas_sum import MIN_SIZE, ROW_MAX, blas_sum

DTYPES = [np.float32, np.float64]


def _exact(x: np.ndarray, dims, keepdim: bool):
    """The sum in extended precision (x86's 80-bit long double) and the sum of magnitudes (the
    scale of any rounding error)."""
    x64 = x.astype(np.longdouble)
    return (np.add.reduce(x64, dims, keepdims=keepdim),
            np.add.reduce(np.abs(x64), dims, keepdims=keepdim))


def _check(x: np.ndarray, dims, keepdim: bool) -> None:
    got = blas_sum(x, dims, keepdim)
    assert got is not None, f"gemv path not taken for {x.shape} {dims}"
    want = np.add.reduce(x, dims, keepdims=keepdim)
    assert np.shape(got) == np.shape(want)
    assert np.asarray(got).dtype == x.dtype
    exact, scale = _exact(x, dims, keepdim)
    eps = np.finfo(x.dtype).eps
    # NumPy's own error on the same data, and a few ulp of the sum of magnitudes
    np_err = np.abs(np.asarray(want, np.longdouble) - exact)
    err = np.abs(np.asarray(got, np.longdouble) - exact)
    # the worst output, against NumPy's worst (one column may land either side of it)
    assert err.max() <= max(2 * np_err.max(), 4 * eps * scale.max()), (
        f"{x.shape} {dims}: error {err.max()} vs NumPy's {np_err.max()}")


_shapes = st.tuples(st.integers(1, 300), st.integers(16, ROW_MAX)).filter(
    lambda s: s[0] * s[1] >= MIN_SIZE)


@settings(max_examples=40, deadline=None)
@given(shape=_shapes, dtype=st.sampled_from(DTYPES), keepdim=st.booleans(),
       which=st.sampled_from(["lead", "trail", "all"]), seed=st.integers(0, 2**16))
def test_gemv_sum_as_accurate_as_add_reduce(shape, dtype, keepdim, which, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    dims = {"lead": (0,), "trail": (1,), "all": None}[which]
    _check(x, dims, keepdim)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dims", [
    ((64, 8, 32), (0,)), ((64, 8, 32), (0, 1)), ((16, 8, 64), (1, 2)), ((16, 8, 64), (2,)),
    ((4096, 16), (0,)), ((16, 1024), (1,)), ((3, 5, 7, 64), None)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_gemv_sum_nd(shape, dims, dtype, keepdim):
    x = np.random.default_rng(1).random(shape).astype(dtype) + 1  # all positive: no cancel
    _check(x, dims, keepdim)


def test_long_leading_sum_beats_sequential():
    # NumPy adds 2**16 rows one after another: gemv is no worse (measured 2-3x better)
    x = (np.random.default_rng(2).random((1 << 16, 64)) + 1).astype(np.float32)
    _check(x, (0,), False)


@pytest.mark.parametrize("case", ["small", "int", "strided", "middle", "long_row", "narrow",
                                  "f16", "complex", "subclass"])
def test_add_reduce_kept_elsewhere(case):
    rng = np.random.default_rng(3)
    x = rng.random((128, 128)).astype(np.float32)
    dims: tuple | None = (1,)
    if case == "small":
        x = x[:8, :8].copy()
    elif case == "int":
        x = (x * 10).astype(np.int64)
    elif case == "strided":
        x = x[:, ::2]
    elif case == "middle":
        x, dims = x.reshape(8, 16, 128), (1,)
    elif case == "long_row":
        x = rng.random((8, ROW_MAX * 2)).astype(np.float32)
    elif case == "narrow":
        x, dims = rng.random((MIN_SIZE, 4)).astype(np.float32), (0,)
    elif case == "f16":
        x = x.astype(np.float16)
    elif case == "complex":
        x = x.astype(np.complex64)
    else:
        x = np.ma.masked_array(x)
    assert blas_sum(x, dims, False) is None


@pytest.mark.parametrize("dims", [(0,), (1,), None])
def test_special_values_as_numpy(dims):
    x = np.ones((64, 128), np.float32)
    x[3, 5] = np.inf
    x[7, 9] = np.nan
    x[10, 11], x[10, 12] = np.inf, -np.inf
    with np.errstate(invalid="ignore"):  # inf - inf warns on both sides
        got, want = blas_sum(x, dims, False), np.add.reduce(x, dims)
    np.testing.assert_array_equal(got, want)  # inf, nan and nan (inf - inf) where NumPy has


@pytest.mark.parametrize("fn", ["sum", "mean"])
@pytest.mark.parametrize("dim", [0, 1, -1, None, (0, 1)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_public_sum_mean_on_the_gemv_path(fn, dim, keepdim):
    a = np.random.default_rng(4).standard_normal((96, 160))
    x = ng.tensor(a, requires_grad=True)
    y = getattr(ng, fn)(x, dim, keepdim=keepdim)
    want = getattr(np, fn)(a, axis=dim, keepdims=keepdim)
    np.testing.assert_allclose(y.detach().numpy(), want, rtol=1e-12, atol=1e-12)
    g = np.random.default_rng(5).standard_normal(y.shape)
    y.backward(ng.tensor(g))
    count = a.size // max(np.size(want), 1) if fn == "mean" else 1
    expect = np.broadcast_to(g if keepdim or dim is None else np.expand_dims(g, dim), a.shape)
    np.testing.assert_allclose(x.grad.numpy(), expect / count, rtol=1e-12)
