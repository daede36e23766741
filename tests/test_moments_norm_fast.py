"""The fast paths of var, std and the 2-norm: the direct entry of the common call, the einsum /
BLAS-dot forwards and the array-only rules, against float64 NumPy formulas and against the
differentiable path (create_graph=True); edge values 0, nan, inf; version checks."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad as ng
from ndgrad.ops import linalg as linalg_ops
from ndgrad.ops import moments
from tests.fast_paths import both_paths


def _ref_var(x: np.ndarray, dim, correction: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """float64 var over ``dim`` (keepdims) and its derivative's factor ``2 (x - mean) / dof``."""
    x = x.astype(np.float64)
    d = x - x.mean(axis=dim, keepdims=True)
    dof = (x.size if dim is None else np.prod([x.shape[i] for i in np.atleast_1d(dim)])) - \
        correction
    return (d * d).sum(axis=dim, keepdims=True) / dof, 2 * d / dof


def _grad(y: ng.Tensor, x: ng.Tensor, g: np.ndarray, create_graph: bool = False) -> np.ndarray:
    (gx,) = ng.autograd.grad(y, [x], ng.tensor(g), create_graph=create_graph)
    return gx.detach().numpy()


CASES = [  # shape, dim, keepdim
    ((6, 7), 1, False),
    ((6, 7), -1, True),
    ((6, 7), 0, False),
    ((6, 7), -2, True),
    ((6, 7), None, False),
    ((6, 7), None, True),
    ((4, 5, 3), (0, 2), False),
    ((4, 5, 3), (0, 2), True),
    ((4, 5, 3), 1, False),
    ((9,), 0, False),
]


@pytest.mark.parametrize("op", ["var", "std"])
@pytest.mark.parametrize("shape,dim,keepdim", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("transposed", [False, True])
def test_var_std_match_float64_formula_and_graph_path(op, shape, dim, keepdim, dtype,
                                                      transposed):
    rng = np.random.default_rng(3)
    xa = (rng.standard_normal(shape[::-1] if transposed else shape) * 2 + 3).astype(dtype)
    if transposed:  # a non-contiguous input: the forward sums a strided view
        xa = xa.T
    x = ng.tensor(xa, requires_grad=True)
    y = getattr(ng, op)(x, dim=dim, keepdim=keepdim)
    v, dv = _ref_var(xa, dim)
    want = v if op == "var" else np.sqrt(v)
    if not keepdim:
        want = want.reshape(y.shape)
    assert y.dtype == x.dtype and y.shape == want.shape
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y.detach().numpy(), want, rtol=tol)
    g = np.linspace(-1.5, 2.0, y.numel()).reshape(y.shape).astype(dtype)
    gk = g.reshape(v.shape)
    want_g = gk * dv if op == "var" else gk * dv / (2 * np.sqrt(v))
    fast = _grad(y, x, g)
    slow = _grad(getattr(ng, op)(x, dim=dim, keepdim=keepdim), x, g, create_graph=True)
    assert fast.dtype == dtype
    # the gradient is ~ (x - mean): compare against its scale, not elementwise
    scale = np.abs(want_g).max()
    np.testing.assert_allclose(fast, want_g, rtol=0, atol=tol * scale)
    np.testing.assert_allclose(fast, slow, rtol=0, atol=tol * scale)


@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std_common_call_matches_the_general_entry(op):
    """The direct entry (int dim or None, default correction) and the general one (axis=,
    keepdims=, unbiased=) give the same values and gradients."""
    xa = np.random.default_rng(4).standard_normal((5, 8)).astype(np.float32)
    f = getattr(ng, op)
    for fast_call, general_call in [
            (lambda x: f(x, dim=1), lambda x: f(x, axis=1, unbiased=True)),
            (lambda x: f(x, -2, keepdim=True), lambda x: f(x, axis=0, keepdims=True)),
            (lambda x: f(x), lambda x: f(x, correction=1))]:
        x = ng.tensor(xa, requires_grad=True)
        a, b = fast_call(x), general_call(x)
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
        g = np.ones(a.shape, np.float32)
        np.testing.assert_array_equal(_grad(a, x, g), _grad(b, x, g))


@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std_without_grad_mode_match(op):
    xa = np.random.default_rng(5).standard_normal((4, 6)).astype(np.float32)
    with_graph = getattr(ng, op)(ng.tensor(xa, requires_grad=True), dim=1).detach().numpy()
    with ng.no_grad():
        plain = getattr(ng, op)(ng.tensor(xa, requires_grad=True), dim=1)
    assert not plain.requires_grad
    np.testing.assert_array_equal(plain.numpy(), with_graph)


def test_std_constant_slice_has_zero_gradient():
    xa = np.random.default_rng(6).standard_normal((3, 5)).astype(np.float32)
    xa[1] = 1.5  # std 0 in row 1 (an exact mean): gradient 0 there, as PyTorch
    for keepdim in (False, True):
        x = ng.tensor(xa, requires_grad=True)
        y = ng.std(x, dim=1, keepdim=keepdim)
        assert y.detach().numpy().reshape(-1)[1] == 0
        g = np.full(y.shape, 2.0, np.float32)
        fast = _grad(y, x, g)
        slow = _grad(ng.std(x, dim=1, keepdim=keepdim), x, g, create_graph=True)
        np.testing.assert_array_equal(fast[1], 0)
        assert np.isfinite(fast).all() and np.abs(fast[[0, 2]]).min() > 0
        np.testing.assert_allclose(fast, slow, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std_nan_stays_in_its_slice(op):
    xa = np.random.default_rng(7).standard_normal((3, 4)).astype(np.float32)
    xa[2, 1] = np.nan
    x = ng.tensor(xa, requires_grad=True)
    y = getattr(ng, op)(x, dim=1)
    out = y.detach().numpy()
    assert np.isnan(out[2]) and np.isfinite(out[:2]).all()
    gx = _grad(y, x, np.ones(3, np.float32))
    assert np.isnan(gx[2]).all() and np.isfinite(gx[:2]).all()
    x2 = ng.tensor(xa, requires_grad=True)  # over everything: all of it is nan
    assert np.isnan(_grad(getattr(ng, op)(x2), x2, np.float32(1))).all()


def test_var_of_one_element_is_nan_and_correction_zero_is_not():
    x = ng.tensor(np.array([[2.0], [3.0]], np.float32), requires_grad=True)
    with np.errstate(invalid="ignore"):  # 0 * inf
        assert np.isnan(ng.var(x, dim=1).detach().numpy()).all()  # 0 degrees of freedom
    np.testing.assert_array_equal(ng.var(x, dim=1, correction=0).detach().numpy(), [0, 0])


@pytest.mark.parametrize("op", ["var", "std"])
def test_long_reductions_keep_pairwise_accuracy(op):
    """Past moments._DOT_MAX terms per sum the forward keeps add.reduce: float32 results stay
    within a few ulp of float64 (BLAS dot's lane sums of 2**20 terms do not)."""
    n = 16 * moments._DOT_MAX + 2
    xa = np.random.default_rng(8).uniform(1, 2, n).astype(np.float32)
    y = getattr(ng, op)(ng.tensor(xa)).numpy()
    want = xa.astype(np.float64).var(ddof=1)
    want = want if op == "var" else np.sqrt(want)
    np.testing.assert_allclose(y, want, rtol=4e-7)


def test_var_saved_input_modified_in_place_raises():
    x = ng.tensor(np.random.default_rng(9).standard_normal((3, 4)), requires_grad=True)
    h = x * 1.0
    y = ng.var(h, dim=1)
    h.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_std_saved_output_modified_in_place_raises():
    x = ng.tensor(np.random.default_rng(10).standard_normal((3, 4)), requires_grad=True)
    y = ng.std(x, dim=1)
    y.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_common_calls_take_the_blas_forwards(monkeypatch):
    """var/std over trailing dims of a C-contiguous input and the 2-norm of everything sum by
    BLAS dots; other dims keep add.reduce (NumPy's results, covered above)."""
    calls = []
    rowdot, dot = moments._rowdot, linalg_ops._dot
    monkeypatch.setattr(moments, "_rowdot", lambda a: calls.append(a.shape) or rowdot(a))
    monkeypatch.setattr(linalg_ops, "_dot", lambda a, b: calls.append(a.shape) or dot(a, b))
    x = ng.tensor(np.ones((4, 6), np.float32), requires_grad=True)
    ng.var(x, dim=1)
    ng.std(x, dim=-1, keepdim=True)
    ng.var(x)
    ng.norm(x)
    assert calls == [(4, 6), (4, 6), (1, 24), (24,)]
    ng.var(x, dim=0)
    ng.std(ng.tensor(np.ones((6, 4), np.float32)).T, dim=1)
    assert len(calls) == 4


# ---- the 2-norm of all elements
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "1d", "3d"])
@pytest.mark.parametrize("fn", ["norm", "vector_norm"])
def test_two_norm_matches_float64_and_graph_path(dtype, layout, fn):
    rng = np.random.default_rng(11)
    xa = {"contiguous": lambda: rng.standard_normal((7, 9)),
          "transposed": lambda: rng.standard_normal((9, 7)).T,
          "1d": lambda: rng.standard_normal(13),
          "3d": lambda: rng.standard_normal((3, 4, 5))}[layout]().astype(dtype)
    f = ng.norm if fn == "norm" else ng.linalg.vector_norm
    x = ng.tensor(xa, requires_grad=True)
    y = f(x)
    x64 = xa.astype(np.float64)
    n64 = np.sqrt((x64 * x64).sum())
    tol = 1e-6 if dtype == np.float32 else 1e-14
    assert y.shape == () and y.dtype == x.dtype
    np.testing.assert_allclose(y.detach().numpy(), n64, rtol=tol)
    g = np.asarray(-1.75, dtype)
    fast = _grad(y, x, g)
    slow = _grad(f(x), x, g, create_graph=True)
    np.testing.assert_allclose(fast, x64 * (-1.75 / n64), rtol=2 * tol, atol=tol)
    np.testing.assert_allclose(fast, slow, rtol=2 * tol, atol=tol)


def test_two_norm_keepdim_and_dim_calls_agree_with_the_plain_call():
    xa = np.random.default_rng(12).standard_normal((4, 6)).astype(np.float32)
    x = ng.tensor(xa, requires_grad=True)
    plain = ng.norm(x)
    kept = ng.norm(x, keepdim=True)
    assert kept.shape == (1, 1)
    both = ng.norm(x, dim=(0, 1))  # the general path (x * x, pairwise sum)
    np.testing.assert_allclose(kept.detach().numpy().reshape(()), plain.detach().numpy(),
                               rtol=1e-6)
    np.testing.assert_allclose(both.detach().numpy(), plain.detach().numpy(), rtol=1e-6)
    g = np.float32(0.5)
    np.testing.assert_allclose(_grad(kept, x, np.full((1, 1), g)), _grad(plain, x, g),
                               rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_two_norm_of_zeros_has_zero_gradient(dtype):
    x = ng.tensor(np.zeros((3, 4), dtype), requires_grad=True)
    fast, slow = both_paths(lambda t: ng.norm(t) * 3.0, x)
    assert ng.norm(x).item() == 0
    np.testing.assert_array_equal(fast[0], np.zeros((3, 4)))
    np.testing.assert_array_equal(slow[0], np.zeros((3, 4)))


def test_two_norm_nan_and_inf():
    xa = np.arange(1.0, 7.0, dtype=np.float32).reshape(2, 3)
    xa[1, 2] = np.nan
    x = ng.tensor(xa, requires_grad=True)
    y = ng.norm(x)
    assert np.isnan(y.item())
    assert np.isnan(_grad(y, x, np.float32(1))).all()
    xa[1, 2] = -np.inf
    x = ng.tensor(xa, requires_grad=True)
    assert ng.norm(x).item() == np.inf
    with np.errstate(invalid="ignore"):  # inf / inf
        fast, slow = both_paths(ng.norm, x)
    want = np.zeros((2, 3))
    want[1, 2] = np.nan  # inf / inf
    np.testing.assert_array_equal(fast[0], want)
    np.testing.assert_array_equal(slow[0], want)


def test_long_two_norm_keeps_pairwise_accuracy():
    """Past linalg_ops._DOT_MAX elements the 2-norm keeps the pairwise sum of x * x."""
    n = 16 * linalg_ops._DOT_MAX + 3
    xa = np.random.default_rng(13).uniform(1, 2, n).astype(np.float32)
    want = np.sqrt((xa.astype(np.float64) ** 2).sum())
    np.testing.assert_allclose(ng.norm(ng.tensor(xa)).numpy(), want, rtol=2e-7)


def test_two_norm_saved_input_modified_in_place_raises():
    x = ng.tensor(np.random.default_rng(14).standard_normal((3, 4)), requires_grad=True)
    h = x * 1.0
    y = ng.norm(h)
    h.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_two_norm_integer_input_still_raises():
    with pytest.raises(TypeError, match="floating point"):
        ng.linalg.vector_norm(ng.tensor(np.arange(4)))


@pytest.mark.parametrize("dtype,real", [(np.complex128, np.float64), (np.complex64, np.float32)])
@pytest.mark.parametrize("dim", [None, 1])
def test_var_std_of_complex_input_are_real_as_numpy(dtype, real, dim):
    rng = np.random.default_rng(11)
    z = (rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4))).astype(dtype)
    for op in ("var", "std"):
        got = getattr(ng, op)(ng.tensor(z), dim)
        want = getattr(np, op)(z, axis=dim, ddof=1)
        assert got.dtype == real
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5)
