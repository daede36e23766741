"""NumPy entry points on Tensors: same values as NumPy on the arrays, and the same gradient as
the ndgrad op they stand for; a clear TypeError for NumPy functions without a rule."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad as ng

RNG = np.random.default_rng(0)
A = RNG.uniform(0.5, 2.0, (3, 4))
B = RNG.uniform(0.5, 2.0, (4, 2))
SQ = RNG.uniform(-1, 1, (3, 3)) + 3 * np.eye(3)


def _grads(fn, arrays):
    ts = [ng.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*ts)
    outs = out if isinstance(out, (list, tuple)) else [out]
    assert all(isinstance(o, ng.Tensor) and o.requires_grad for o in outs)
    w = np.random.default_rng(1)
    loss = sum((o * ng.tensor(w.standard_normal(o.shape))).sum() for o in outs)
    loss.backward()
    return [o.detach().numpy() for o in outs], [t.grad.numpy() for t in ts]


CASES = [
    ("exp", lambda a: np.exp(a), lambda a: ng.exp(a), [A]),
    ("sum_axis", lambda a: np.sum(a, axis=0), lambda a: ng.sum(a, 0), [A]),
    ("sum_all", lambda a: np.sum(a), lambda a: ng.sum(a), [A]),
    ("matmul", lambda a, b: np.matmul(a, b), lambda a, b: ng.matmul(a, b), [A, B]),
    ("matmul_op", lambda a, b: a @ b, lambda a, b: ng.matmul(a, b), [A, B]),
    ("ndarray_add", lambda a: A[::-1] + a, lambda a: ng.add(ng.tensor(A[::-1]), a), [A]),
    ("ndarray_mul_right", lambda a: a * A, lambda a: ng.mul(a, ng.tensor(A)), [A]),
    ("np_scalar_mul", lambda a: np.float64(2) * a, lambda a: ng.mul(a, 2.0), [A]),
    ("np_scalar_div", lambda a: np.float64(2) / a, lambda a: ng.div(2.0, a), [A]),
    ("concatenate", lambda a, b: np.concatenate([a, b.T]), lambda a, b: ng.cat([a, b.T]),
     [A, RNG.uniform(size=(4, 1))]),
    ("concatenate_none", lambda a, b: np.concatenate([a, b], axis=None),
     lambda a, b: ng.cat([a.reshape(-1), b.reshape(-1)]), [A, B]),
    ("mean_keepdims", lambda a: np.mean(a, axis=1, keepdims=True),
     lambda a: ng.mean(a, 1, keepdim=True), [A]),
    ("where", lambda a, b: np.where(A > 1, a, b), lambda a, b: ng.where(ng.tensor(A > 1), a, b),
     [A, A[::-1]]),
    ("maximum", lambda a, b: np.maximum(a, b), lambda a, b: ng.maximum(a, b), [A, A[:, ::-1]]),
    ("clip", lambda a: np.clip(a, 0.8, 1.5), lambda a: ng.clamp(a, 0.8, 1.5), [A]),
    ("max_axis", lambda a: np.max(a, axis=1), lambda a: ng.amax(a, 1), [A]),
    ("log_sqrt", lambda a: np.sqrt(np.log(a + 1)), lambda a: ng.sqrt(ng.log(a + 1)), [A]),
    ("negative_abs", lambda a: np.abs(-a), lambda a: ng.abs(ng.neg(a)), [A]),
    ("add_reduce", lambda a: np.add.reduce(a), lambda a: ng.sum(a, 0), [A]),
    ("reshape", lambda a: np.reshape(a, (2, 6)), lambda a: a.reshape(2, 6), [A]),
    ("ravel", lambda a: np.ravel(a), lambda a: a.reshape(-1), [A]),
    ("transpose", lambda a: np.transpose(a), lambda a: a.T, [A]),
    ("swapaxes", lambda a: np.swapaxes(a, 0, 1), lambda a: a.swapaxes(0, 1), [A]),
    ("expand_dims", lambda a: np.expand_dims(a, (0, 3)), lambda a: a[None, ..., None], [A]),
    ("stack", lambda a, b: np.stack([a, b], axis=1), lambda a, b: ng.stack([a, b], 1), [A, A]),
    ("split", lambda a: np.split(a, [1, 3], axis=1), lambda a: ng.split(a, [1, 2, 1], 1), [A]),
    ("split_sections", lambda a: np.split(a, 2, axis=1), lambda a: ng.chunk(a, 2, 1), [A]),
    ("flip_roll", lambda a: np.roll(np.flip(a, 0), 2, axis=1),
     lambda a: ng.roll(ng.flip(a, 0), 2, 1), [A]),
    ("tile", lambda a: np.tile(a, (2, 1)), lambda a: ng.tile(a, (2, 1)), [A]),
    ("repeat", lambda a: np.repeat(a, 2, axis=0), lambda a: a[[0, 0, 1, 1, 2, 2]], [A]),
    ("pad", lambda a: np.pad(a, ((1, 0), (2, 1))), lambda a: ng.pad(a, (2, 1, 1, 0)), [A]),
    ("pad_edge", lambda a: np.pad(a, 1, mode="edge"),
     lambda a: ng.pad(a, (1, 1, 1, 1), mode="replicate"), [A]),
    ("dot", lambda a, b: np.dot(a, b), lambda a, b: ng.matmul(a, b), [A, B]),
    ("einsum", lambda a, b: np.einsum("ij,jk->ki", a, b),
     lambda a, b: ng.einsum("ij,jk->ki", a, b), [A, B]),
    ("tensordot", lambda a, b: np.tensordot(a, b, axes=1), lambda a, b: ng.matmul(a, b), [A, B]),
    ("outer", lambda a, b: np.outer(a, b), lambda a, b: ng.outer(a.reshape(-1), b.reshape(-1)),
     [A[0], B[:, 0]]),
    ("linalg_norm", lambda a: np.linalg.norm(a), lambda a: ng.linalg.norm(a), [A]),
    ("linalg_norm_axis", lambda a: np.linalg.norm(a, axis=1, keepdims=True),
     lambda a: ng.linalg.vector_norm(a, 2, 1, True), [A]),
    ("linalg_inv", lambda a: np.linalg.inv(a), lambda a: ng.linalg.inv(a), [SQ]),
    ("linalg_det", lambda a: np.linalg.det(a), lambda a: ng.linalg.det(a), [SQ]),
    ("linalg_solve", lambda a, b: np.linalg.solve(a, b), lambda a, b: ng.linalg.solve(a, b),
     [SQ, A[:, :2]]),
    ("take_along_axis", lambda a: np.take_along_axis(a, np.array([[0, 2]] * 3), 1),
     lambda a: ng.gather(a, 1, ng.tensor(np.array([[0, 2]] * 3))), [A]),
]


@pytest.mark.parametrize("name,np_fn,ng_fn,arrays", CASES, ids=[c[0] for c in CASES])
def test_numpy_entry_point_matches_numpy_and_ndgrad(name, np_fn, ng_fn, arrays):
    want = np_fn(*[a.copy() for a in arrays])
    vals, grads = _grads(np_fn, arrays)
    for v, w in zip(vals, want if isinstance(want, (list, tuple)) else [want]):
        np.testing.assert_allclose(v, w, rtol=1e-12, atol=1e-12)
    ref_vals, ref_grads = _grads(ng_fn, arrays)
    for g, rg in zip(grads, ref_grads):
        np.testing.assert_allclose(g, rg, rtol=1e-12, atol=1e-12)


def test_results_are_tensors_with_history():
    t = ng.tensor(A, requires_grad=True)
    for out in (np.exp(t), np.sum(t, axis=0), A + t, np.float64(3.0) * t):
        assert isinstance(out, ng.Tensor) and out.grad_fn is not None


def test_unsupported_numpy_function_says_what_to_do():
    t = ng.tensor(A, requires_grad=True)
    with pytest.raises(TypeError, match=r"numpy\.fft\.fft has no ndgrad rule for Tensors\. "
                                        r"Hint: call the ndgrad op .* t\.detach\(\)\.numpy\(\)"):
        np.fft.fft(t)
    with pytest.raises(TypeError, match=r"numpy\.histogram has no ndgrad rule"):
        np.histogram(t)


def test_unsupported_ufunc_usage_says_what_to_do():
    t = ng.tensor(A, requires_grad=True)
    with pytest.raises(TypeError, match=r"numpy\.add with out= has no ndgrad rule"):
        np.add(t, t, out=np.empty((3, 4)))
    with pytest.raises(TypeError, match=r"numpy\.add\.outer has no ndgrad rule"):
        np.add.outer(t, t)
    with pytest.raises(TypeError, match=r"numpy\.sum with out= has no ndgrad rule"):
        np.sum(t, out=np.empty(()))


def test_numpy_split_unequal_division_raises_like_numpy():
    with pytest.raises(ValueError, match="equal division"):
        np.split(ng.tensor(A), 3, axis=1)
