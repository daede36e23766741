"""PyTorch's values at the edges of pow, arctan2, norms, det/slogdet, relu/abs/sign, and pow's
result dtypes. Expected values are written out or computed with NumPy (no torch here); smooth
points are checked with gradcheck / gradgradcheck in float64."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ndgrad as ng
from ndgrad.autograd import gradcheck, gradgradcheck

NAN, INF = float("nan"), float("inf")


def _t(v, dtype=np.float64):
    return ng.tensor(np.array(v, dtype=dtype), requires_grad=True)


def _grads(f, *vals, create_graph=False):
    xs = [_t(v) for v in vals]
    gs = ng.autograd.grad(f(*xs).sum(), xs, create_graph=create_graph, allow_unused=True)
    return xs, gs


def _eq(got, want):
    np.testing.assert_array_equal(np.asarray(got.detach().numpy() if hasattr(got, "detach")
                                             else got), np.asarray(want, dtype=np.float64))


# ---- pow: PyTorch's masked gradients
@pytest.mark.parametrize("create_graph", [False, True])
def test_pow_tensor_tensor_masks(create_graph):
    with np.errstate(all="ignore"):
        _, (gx, gy) = _grads(lambda x, y: x ** y, [0.0, NAN, 0.0, 0.0, 0.0, 2.0],
                             [0.0, 0.0, -1.0, NAN, 2.0, 0.0], create_graph=create_graph)
    _eq(gx, [0.0, 0.0, -INF, NAN, 0.0, 0.0])  # 0 where the exponent is 0
    # 0 where base 0 and exponent >= 0; -inf for a negative exponent; NaN for a NaN one
    _eq(gy, [0.0, NAN, -INF, NAN, 0.0, np.log(2.0)])


@pytest.mark.parametrize("create_graph", [False, True])
def test_rpow_zero_base(create_graph):
    with np.errstate(all="ignore"):
        _, (g,) = _grads(lambda x: 0.0 ** x, [2.0, 1.0, 0.0, -1.0, NAN],
                         create_graph=create_graph)
    _eq(g, [0.0, 0.0, 0.0, -INF, NAN])
    _, (g,) = _grads(lambda x: 2.0 ** x, [0.0, 3.0])
    _eq(g, np.array([1.0, 8.0]) * np.log(2.0))


def test_pow_scalar_one_is_differentiable_under_create_graph():
    x = _t([1.0, 2.0, NAN])
    (g,) = ng.autograd.grad((x ** 1).sum(), x, create_graph=True)
    assert g.requires_grad
    _eq(g, [1.0, 1.0, 1.0])
    (gg,) = ng.autograd.grad(g.sum(), x)
    _eq(gg, [0.0, 0.0, 0.0])
    x = _t([3.0])
    (g,) = ng.autograd.grad((x ** 1).sum(), x)
    assert not g.requires_grad


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(0.2, 3.0), min_size=2, max_size=4),
       st.lists(st.floats(-2.0, 2.0), min_size=2, max_size=4))
def test_pow_gradcheck_at_smooth_points(xs, ys):
    n = min(len(xs), len(ys))
    # exponents away from 0: there the base's rule is masked to 0 (PyTorch's choice), so its
    # derivative in the exponent is 0 too, not the limit a finite difference sees
    x, y = _t(xs[:n]), _t([v if abs(v) > 0.1 else 0.5 for v in ys[:n]])
    assert gradcheck(lambda a, b: a ** b, (x, y))
    assert gradgradcheck(lambda a, b: a ** b, (x, y))
    assert gradgradcheck(lambda a: 1.5 ** a, (y,))
    assert gradcheck(lambda a: 0.0 ** a, (_t([1.5, 2.5]),))  # 2nd order: NaN, as PyTorch


# ---- pow: result dtypes
@pytest.mark.parametrize("f, dtype, values", [
    (lambda: 2 ** ng.tensor([0, 1, 3]), "int64", [1, 2, 8]),
    (lambda: ng.pow(2, ng.tensor([0, 1, 3])), "int64", [1, 2, 8]),
    (lambda: 2 ** ng.tensor([True, False]), "int64", [2, 1]),
    (lambda: 2.0 ** ng.tensor([0, 1]), "float32", [1.0, 2.0]),
    (lambda: ng.tensor([True, False]) ** 2, "int64", [1, 0]),
    (lambda: ng.square(ng.tensor([True, False])), "int64", [1, 0]),
    (lambda: ng.tensor([True, False]) ** True, "bool", [True, False]),
    (lambda: ng.tensor([True, False]) ** False, "bool", [True, True]),
    (lambda: ng.tensor([3], dtype=ng.int8) ** 2, "int8", [9]),
    (lambda: ng.tensor([2, 3]) ** ng.tensor([-1, 2]), "int64", [0, 9]),
    (lambda: ng.tensor([1, -1, -1, 0, 5]) ** ng.tensor([-3, -3, -2, -1, -1]), "int64",
     [1, -1, 1, 0, 0]),
    (lambda: 2 ** ng.tensor([-1, 0, 1]), "int64", [0, 1, 2]),
    (lambda: ng.tensor([2, 4]) ** -1.0, "float32", [0.5, 0.25]),
])
def test_pow_result_dtypes(f, dtype, values):
    r = f()
    assert str(r.dtype).endswith(dtype)
    assert r.tolist() == values


def test_int_tensor_to_negative_int_raises():
    with pytest.raises(RuntimeError, match="Integers to negative integer powers"):
        ng.tensor([2, 3]) ** -1
    with pytest.raises(RuntimeError, match="Integers to negative integer powers"):
        ng.pow(ng.tensor([2]), -2)
    with pytest.raises(NotImplementedError, match="Bool"):
        ng.tensor([True]) ** ng.tensor([True])


# ---- arctan2
@pytest.mark.parametrize("create_graph", [False, True])
def test_arctan2_origin_gives_zero_grads(create_graph):
    _, (gy, gx) = _grads(ng.arctan2, [0.0, -0.0, 0.0, 3.0], [0.0, 0.0, -0.0, -4.0],
                         create_graph=create_graph)
    _eq(gy, [0.0, 0.0, -0.0, -4.0 / 25])
    _eq(gx, [-0.0, 0.0, -0.0, -3.0 / 25])
    assert np.signbit(gx.detach().numpy()[0]) and not np.signbit(gx.detach().numpy()[1])


def test_arctan2_dtypes_and_gradcheck():
    r = ng.arctan2(ng.tensor([1], dtype=ng.uint8), ng.tensor([1.0], dtype=ng.float16))
    assert r.dtype == ng.float16
    assert ng.arctan2(ng.tensor([1]), ng.tensor([2])).dtype == ng.float32
    y, x = _t([0.5, -1.0, 2.0]), _t([1.0, 0.3, -2.0])
    assert gradcheck(ng.arctan2, (y, x)) and gradgradcheck(ng.arctan2, (y, x))


# ---- norms at zeros
def _norm_grad_np(v, p):
    """PyTorch's norm_backward on NumPy arrays, for a 1-D v."""
    v = np.asarray(v, dtype=np.float64)
    a, s = np.abs(v), np.sign(v)
    if p == 0:
        return np.zeros_like(v)
    if p == 1:
        return s
    if np.isinf(p):
        n = a.max() if p > 0 else a.min()
        m = (a == n).astype(float)
        return s * m / m.sum()
    with np.errstate(all="ignore"):
        n = (a ** p).sum() ** (1 / p)
        if p < 1:
            return s * np.where(v == 0, 0.0, a ** (p - 1)) * n ** (1 - p)
        return 0 * v if n == 0 else s * a ** (p - 1) / n ** (p - 1)


@pytest.mark.parametrize("p", [0.5, 1, 1.5, 2, 3, INF, -INF, 0, -1])
@pytest.mark.parametrize("v", [[0.0, 1.0], [0.0, 0.0], [0.0, -2.0, 3.0], [1.0, -2.0, 0.5]])
def test_norm_grad_at_zero_elements(p, v):
    for f in (lambda x: ng.norm(x, p=p), lambda x: ng.linalg.vector_norm(x, p)):
        x = _t(v)
        f(x).backward()
        g = np.zeros(len(v)) if x.grad is None else x.grad.numpy()  # p = 0: a count
        np.testing.assert_allclose(g, _norm_grad_np(v, p), rtol=1e-12, atol=0)
        assert not np.isnan(g).any()


@pytest.mark.parametrize("ord", ["fro", 1, -1, INF, -INF])
def test_matrix_norm_grads_are_finite_at_zeros(ord):
    for m in ([[0.0, 1.0], [2.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]]):
        _, (g,) = _grads(lambda a: ng.linalg.matrix_norm(a, ord), m)
        assert np.isfinite(g.numpy()).all()


@pytest.mark.parametrize("p", [0.5, 1.5, 3])
def test_norm_gradcheck_away_from_zero(p):
    x = _t([[0.5, -1.0, 2.0], [1.5, 0.7, -0.3]])
    assert gradcheck(lambda a: ng.linalg.vector_norm(a, p, dim=1), (x,))
    assert gradgradcheck(lambda a: ng.linalg.vector_norm(a, p, dim=1), (x,))


# ---- det / slogdet at singular matrices; LinAlgError
def _adj_t(a):
    """adj(A)^T by cofactors (NumPy)."""
    n = a.shape[0]
    c = np.empty_like(a)
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(a, i, 0), j, 1)
            c[i, j] = (-1) ** (i + j) * (np.linalg.det(minor) if minor.size else 1.0)
    return c


@pytest.mark.parametrize("m", [[[1.0, 2.0], [2.0, 4.0]], [[1.0, 2.0], [3.0, 6.0]],
                               [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]],
                               np.ones((3, 3)).tolist(), [[0.0, 0.0], [0.0, 0.0]],
                               [[2.0, 1.0], [1.0, 3.0]]])
@pytest.mark.parametrize("create_graph", [False, True])
def test_det_grad_is_the_adjugate_transpose(m, create_graph):
    _, (g,) = _grads(ng.linalg.det, m, create_graph=create_graph)
    np.testing.assert_allclose(g.detach().numpy(), _adj_t(np.array(m)), atol=1e-12)


def test_det_singular_batch_and_second_order_2x2():
    a = np.array([[[1.0, 2.0], [2.0, 4.0]], [[2.0, 1.0], [1.0, 3.0]]])
    _, (g,) = _grads(ng.linalg.det, a)
    np.testing.assert_allclose(g.numpy(), np.stack([_adj_t(m) for m in a]), atol=1e-12)
    x = _t(a[0])
    (g,) = ng.autograd.grad(ng.linalg.det(x), x, create_graph=True)
    (gg,) = ng.autograd.grad(g.sum(), x)
    _eq(gg, [[1.0, -1.0], [-1.0, 1.0]])
    x = _t([[2.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.1, 0.4, 1.5]])
    assert gradcheck(ng.linalg.det, (x,)) and gradgradcheck(ng.linalg.det, (x,))


def test_slogdet_singular_grad_is_not_finite_and_no_error():
    x = _t([[1.0, 2.0], [2.0, 4.0]])
    with np.errstate(all="ignore"):
        sign, logabs = ng.linalg.slogdet(x)
        logabs.backward()
    assert sign.item() == 0 and logabs.item() == -INF
    assert np.isinf(x.grad.numpy()).all()
    ratio = np.sign(x.grad.numpy()) * np.sign(_adj_t(x.detach().numpy()))  # adj / (+-0)
    assert (ratio == ratio[0, 0]).all()
    y = _t([[2.0, 1.0], [1.0, 3.0]])
    ng.linalg.slogdet(y)[1].backward()
    np.testing.assert_allclose(y.grad.numpy(), np.linalg.inv(y.detach().numpy()).T)


def test_linalg_errors_are_linalg_errors():
    assert issubclass(ng.linalg.LinAlgError, RuntimeError)
    with pytest.raises(ng.linalg.LinAlgError, match="linalg.inv: .*singular"):
        ng.linalg.inv(ng.ones(3, 3))
    with pytest.raises(ng.linalg.LinAlgError, match="linalg.solve: .*singular"):
        ng.linalg.solve(ng.ones(3, 3), ng.ones(3))
    with pytest.raises(ng.linalg.LinAlgError, match="linalg.cholesky: .*positive-definite"):
        ng.linalg.cholesky(-ng.eye(3))


# ---- relu / abs / sign at NaN
def test_nan_edges_of_relu_abs_sign():
    _, (g,) = _grads(ng.relu, [NAN, 0.0, -0.0, -1.0, 2.0])
    _eq(g, [1.0, 0.0, 0.0, 0.0, 1.0])  # PyTorch: result <= 0 ? 0 : grad
    for shape in [(3,), (), (2, 2)]:
        _, (g,) = _grads(ng.abs, np.full(shape, NAN))
        _eq(g, np.zeros(shape))
    _, (g,) = _grads(ng.abs, [NAN, 0.0, -3.0, 2.0], create_graph=True)
    _eq(g, [0.0, 0.0, -1.0, 1.0])
    _eq(ng.sign(ng.tensor([NAN, -INF, 0.0, 2.0])), [0.0, -1.0, 0.0, 1.0])
    _eq(ng.sign(ng.tensor(NAN)), 0.0)
    assert ng.sign(ng.tensor([NAN], dtype=ng.float16)).tolist() == [0.0]
    assert ng.sign(ng.tensor([-2, 0, 3])).tolist() == [-1, 0, 1]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(3,), (64, 128)])  # the small path and the large one
def test_sign_and_abs_grad_at_special_values_any_size(dtype, shape):
    rng = np.random.default_rng(5)
    a = rng.uniform(-2, 2, shape).astype(dtype)
    flat = a.reshape(-1)
    flat[:3] = [np.nan, 0.0, -0.0] if flat.size >= 3 else flat[:3]
    if flat.size > 5:
        flat[3:5] = [np.inf, -np.inf]
    want = np.where(np.isnan(a), 0, np.sign(a)).astype(dtype)  # PyTorch: sign(NaN) = 0
    got = ng.sign(ng.tensor(a)).numpy()
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, want)
    x = ng.tensor(a, requires_grad=True)
    g = rng.uniform(0.5, 1.5, shape).astype(dtype)
    ng.abs(x).backward(ng.tensor(g))
    np.testing.assert_array_equal(x.grad.numpy(), (g * want).astype(dtype))
