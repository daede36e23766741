"""Linear algebra semantics: gradients against closed forms, derivatives of higher order,
norm subgradients and ties, and shape errors that name the op and both shapes."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad as ng

RNG = np.random.default_rng(0)
SQ = RNG.uniform(-1, 1, (3, 3)) + 3 * np.eye(3)


def _leaf(a):
    return ng.tensor(np.array(a, dtype=np.float64), requires_grad=True)


def test_namespace_exports():
    for name in ("inv", "det", "slogdet", "solve", "norm", "cholesky", "vector_norm",
                 "matrix_norm"):
        assert callable(getattr(ng.linalg, name)), name
    assert "matmul" in ng.ops.__all__ and "einsum" in ng.ops.__all__


def test_det_grad_is_det_times_inverse_transpose():
    a = _leaf(SQ)
    ng.linalg.det(a).backward()
    np.testing.assert_allclose(a.grad.numpy(), np.linalg.det(SQ) * np.linalg.inv(SQ).T)


def test_det_hessian_of_2x2_is_the_constant_adjugate_pattern():
    a = _leaf([[1.0, 2.0], [3.0, 5.0]])
    (g,) = ng.autograd.grad(ng.linalg.det(a), a, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [[5.0, -3.0], [-2.0, 1.0]])  # d(ad-bc)
    rows = [ng.autograd.grad(g.reshape(-1)[k], a, retain_graph=True)[0].numpy().ravel()
            for k in range(4)]
    np.testing.assert_allclose(np.array(rows), [[0, 0, 0, 1], [0, 0, -1, 0], [0, -1, 0, 0],
                                                [1, 0, 0, 0]], atol=1e-12)


def test_inv_grad_matches_closed_form():
    a = _leaf(SQ)
    w = RNG.standard_normal((3, 3))
    (ng.linalg.inv(a) * ng.tensor(w)).sum().backward()
    ai = np.linalg.inv(SQ)
    np.testing.assert_allclose(a.grad.numpy(), -ai.T @ w @ ai.T)


def test_slogdet_sign_and_grad():
    m = -SQ
    a = _leaf(m)
    sign, logabs = ng.linalg.slogdet(a)
    s, la = np.linalg.slogdet(m)
    assert sign.item() == s == -1.0
    np.testing.assert_allclose(logabs.item(), la)
    logabs.backward()
    np.testing.assert_allclose(a.grad.numpy(), np.linalg.inv(m).T)


def test_solve_and_cholesky_reconstruct():
    a = ng.tensor(SQ)
    b = ng.tensor(RNG.standard_normal((3, 2)))
    x = ng.linalg.solve(a, b)
    np.testing.assert_allclose(SQ @ x.numpy(), b.numpy(), atol=1e-12)
    spd = SQ @ SQ.T
    lo = ng.linalg.cholesky(ng.tensor(spd)).numpy()
    np.testing.assert_allclose(lo @ lo.T, spd, atol=1e-12)
    assert np.allclose(lo, np.tril(lo))


def test_solve_grad_matches_closed_form():
    a, b = _leaf(SQ), _leaf(RNG.standard_normal(3))
    w = RNG.standard_normal(3)
    (ng.linalg.solve(a, b) * ng.tensor(w)).sum().backward()
    gb = np.linalg.solve(SQ.T, w)
    np.testing.assert_allclose(b.grad.numpy(), gb)
    np.testing.assert_allclose(a.grad.numpy(), -np.outer(gb, np.linalg.solve(SQ, b.numpy(
        force=True))))


def test_norm_subgradient_at_zero_is_zero():
    x = _leaf(np.zeros(3))
    ng.norm(x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(3))
    y = _leaf(np.zeros((2, 2)))
    ng.linalg.vector_norm(y, 3, dim=1).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), np.zeros((2, 2)))
    z = _leaf([[0.0, 0.0], [3.0, 4.0]])
    ng.linalg.norm(z, dim=1).sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), [[0.0, 0.0], [0.6, 0.8]])


def test_inf_norm_ties_split_the_gradient():
    x = _leaf([3.0, -3.0, 1.0])
    ng.linalg.vector_norm(x, float("inf")).backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, -0.5, 0.0])


def test_tensor_norm_method_and_fro():
    a = RNG.standard_normal((2, 3))
    x = ng.tensor(a, requires_grad=True)
    n = x.norm()
    np.testing.assert_allclose(n.item(), np.linalg.norm(a))
    n.backward()
    np.testing.assert_allclose(x.grad.numpy(), a / np.linalg.norm(a))


def test_einsum_third_order_derivative():
    x = _leaf([0.5, -1.0, 2.0])
    y = ng.einsum("i,i,i->", x, x, x)  # sum x^3
    (g,) = ng.autograd.grad(y, x, create_graph=True)
    (h,) = ng.autograd.grad(g.sum(), x, create_graph=True)
    (t,) = ng.autograd.grad(h.sum(), x)
    np.testing.assert_allclose(g.detach().numpy(), 3 * x.detach().numpy() ** 2)
    np.testing.assert_allclose(t.numpy(), [6.0, 6.0, 6.0])


@pytest.mark.parametrize("call,pattern", [
    (lambda: ng.matmul(ng.zeros(2, 3), ng.zeros(4, 5)),
     r"matmul: inner sizes differ: \(2, 3\) @ \(4, 5\)\. Hint:"),
    (lambda: ng.dot(ng.zeros(3), ng.zeros(4)), r"dot: inconsistent tensor size: \(3,\) . \(4,\)"),
    (lambda: ng.dot(ng.zeros(2, 3), ng.zeros(3)), r"dot: 1D tensors expected.*\(2, 3\).*\(3,\)"),
    (lambda: ng.outer(ng.zeros(2, 2), ng.zeros(3)), r"outer: 1D tensors expected"),
    (lambda: ng.linalg.solve(ng.eye(3), ng.zeros(4, 2)),
     r"solve: incompatible shapes.*\(3, 3\) and \(4, 2\)\)\. Hint:"),
    (lambda: ng.linalg.inv(ng.zeros(2, 3)), r"inv: A must be batches of square matrices.*\(2, 3\)"),
    (lambda: ng.linalg.det(ng.zeros(3)), r"det: A must be batches of square matrices.*\(3,\)"),
    (lambda: ng.einsum("ij,jk->ik", ng.zeros(2, 3), ng.zeros(4, 5)),
     r"einsum: dim 'j' has size 3 in one operand and 4.*\(2, 3\), \(4, 5\)"),
    (lambda: ng.einsum("ij->ij", ng.zeros(2)), r"einsum: subscripts 'ij' do not fit.*\(2,\)"),
    (lambda: ng.tensordot(ng.zeros(2, 3), ng.zeros(4, 5), 1),
     r"tensordot: contracted dims \[1\] of \(2, 3\) and \[0\] of \(4, 5\)"),
    (lambda: ng.linalg.matrix_norm(ng.zeros(3)), r"matrix_norm: .*at least 2 dimensions"),
])
def test_shape_errors_name_op_and_shapes(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


def test_singular_and_non_spd_inputs_raise_runtime_errors():
    with pytest.raises(RuntimeError, match="linalg.inv: Singular matrix"):
        ng.linalg.inv(ng.zeros(2, 2))
    with pytest.raises(RuntimeError, match="linalg.cholesky:"):
        ng.linalg.cholesky(-ng.eye(2))
    with pytest.raises(ValueError, match="einsum: the equation 'ij,jk' has 2 operands but 1"):
        ng.einsum("ij,jk", ng.zeros(2, 2))
