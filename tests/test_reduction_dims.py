"""Reductions given ``dim=()`` reduce every dim (PyTorch's ``sum(dim=())``), and a 0-d
tensor's dim 0 or -1 is the whole tensor; values, keepdim shapes and gradients (first and
second order) are those of the reduction over everything."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad as ng
from ndgrad.autograd import gradcheck, gradgradcheck

OPS = {
    "sum": (lambda t, **k: ng.sum(t, **k), np.sum),
    "mean": (lambda t, **k: ng.mean(t, **k), np.mean),
    "amax": (lambda t, **k: ng.amax(t, **k), np.max),
    "amin": (lambda t, **k: ng.amin(t, **k), np.min),
    "var": (lambda t, **k: ng.var(t, **k), lambda a, **k: np.var(a, ddof=1, **k)),
    "std": (lambda t, **k: ng.std(t, **k), lambda a, **k: np.std(a, ddof=1, **k)),
    "logsumexp": (lambda t, **k: ng.logsumexp(t, **k),
                  lambda a, **k: np.log(np.sum(np.exp(a), **k))),
}
RNG = np.random.default_rng(3)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("name", sorted(OPS))
def test_empty_dim_tuple_reduces_everything(name, keepdim):
    f, ref = OPS[name]
    a = RNG.standard_normal((2, 3))
    # (PyTorch 2.13 raises for logsumexp(dim=()) without keepdim, a shape bug of its
    # own; here it is the full reduction like every other)
    got = f(ng.tensor(a), dim=(), keepdim=keepdim)
    want = ref(a, keepdims=keepdim)
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    x = ng.tensor(a, requires_grad=True)
    assert gradcheck(lambda t: f(t, dim=(), keepdim=keepdim), (x,))
    if name not in ("amax", "amin"):
        assert gradgradcheck(lambda t: f(t, dim=(), keepdim=keepdim), (x,))


@pytest.mark.parametrize("dim", [0, -1, (0,)])
@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin", "logsumexp", "prod"])
def test_zero_dim_tensor_dim_zero_is_the_whole_tensor(name, dim):
    f = getattr(ng, name)
    x = ng.tensor(2.5, dtype=ng.float64, requires_grad=True)
    y = f(x, dim=dim)
    assert y.shape == ()
    np.testing.assert_allclose(y.detach().numpy(), 2.5)
    assert f(x, dim=dim, keepdim=True).shape == ()
    assert gradcheck(lambda t: f(t, dim=dim), (x,))


def test_zero_dim_tensor_dim_out_of_range_is_refused():
    with pytest.raises(IndexError, match=r"range of \[-1, 0\], but got 1"):
        ng.tensor(2.5).sum(dim=1)


def test_vector_norm_dims():
    x = ng.tensor(2.5, dtype=ng.float64, requires_grad=True)
    assert float(ng.norm(x, dim=0).detach().numpy()) == 2.5
    a = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(ng.linalg.vector_norm(ng.tensor(a), dim=()).numpy(),
                               np.sqrt((a * a).sum()))
    with pytest.raises(RuntimeError, match="floating point"):
        ng.norm(ng.tensor([1, 2]))


@pytest.mark.parametrize("op", ["amax", "amin"])
def test_empty_extreme_errors_are_pytorchs(op):
    f = getattr(ng, op)
    with pytest.raises(RuntimeError, match="Expected reduction dim to be specified"):
        f(ng.zeros((0, 3)))
    with pytest.raises(IndexError, match="Expected reduction dim 0 to have non-zero size"):
        f(ng.zeros((0, 3)), dim=0)
    assert f(ng.zeros((0, 3)), dim=1).shape == (0,)
