"""Rows for linear algebra (issue 3): dot outer einsum tensordot, ng.linalg and norms.

Matrix inputs are well conditioned (A + n*I); cholesky sees a symmetrised SPD matrix.
"""

from __future__ import annotations

import numpy as np

import ndgrad as ng
from tests.op_db import OpSpec

INF = float("inf")


def _wellcond(rng, shapes):
    out = []
    for s in shapes:
        a = rng.uniform(-1, 1, s)
        if len(s) >= 2 and s[-1] == s[-2]:
            a = a + s[-1] * np.eye(s[-1])
        out.append(a)
    return out


def _spd_ng(a):
    return a @ a.mT + 3 * ng.eye(a.shape[-1], dtype=a.dtype)


def _spd_np(a):
    return a @ np.swapaxes(a, -1, -2) + 3 * np.eye(a.shape[-1])


def _np_solve(a, b):
    vec = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    return np.linalg.solve(a, b[..., None])[..., 0] if vec else np.linalg.solve(a, b)


def _np_vector_norm(x, ord=2, dim=None, keepdim=False):
    a = np.abs(x)
    if ord == INF:
        return a.max(axis=dim, keepdims=keepdim)
    if ord == -INF:
        return a.min(axis=dim, keepdims=keepdim)
    if ord == 0:
        return (x != 0).sum(axis=dim, keepdims=keepdim).astype(x.dtype)
    return (a ** ord).sum(axis=dim, keepdims=keepdim) ** (1.0 / ord)


def _vn_kwargs(k):
    return {"ord": k.get("ord", 2), "axis": k.get("dim"), "keepdims": k.get("keepdim", False)}


ROWS = [
    OpSpec("dot", ng.dot, np.dot, [((3,), (3,)), ((0,), (0,))]),
    OpSpec("outer", ng.outer, np.outer, [((3,), (4,)), ((0,), (2,))]),
    OpSpec("einsum_matmul", lambda a, b: ng.einsum("ij,jk->ik", a, b),
           lambda a, b: np.einsum("ij,jk->ik", a, b), [((2, 3), (3, 4))]),
    OpSpec("einsum_implicit", lambda a, b: ng.einsum("bij,bjk", a, b),
           lambda a, b: np.einsum("bij,bjk", a, b), [((2, 2, 3), (2, 3, 2))]),
    OpSpec("einsum_trace", lambda a: ng.einsum("ii", a), lambda a: np.einsum("ii", a), [(3, 3)]),
    OpSpec("einsum_diag", lambda a: ng.einsum("ii->i", a), lambda a: np.einsum("ii->i", a),
           [(4, 4)]),
    OpSpec("einsum_sum_out", lambda a, b: ng.einsum("ij,j->", a, b),
           lambda a, b: np.einsum("ij,j->", a, b), [((2, 3), (3,))]),
    OpSpec("einsum_private_dim", lambda a, b: ng.einsum("ijk,k->i", a, b),
           lambda a, b: np.einsum("ijk,k->i", a, b), [((2, 3, 2), (2,))]),
    OpSpec("einsum_outer", lambda a, b: ng.einsum("i,j->ji", a, b),
           lambda a, b: np.einsum("i,j->ji", a, b), [((2,), (3,))]),
    OpSpec("einsum_ellipsis", lambda a, b: ng.einsum("...ij,...jk->...ik", a, b),
           lambda a, b: np.einsum("...ij,...jk->...ik", a, b),
           [((2, 1, 2, 3), (3, 3, 2)), ((2, 3), (3, 2))]),
    OpSpec("einsum_ellipsis_implicit", lambda a: ng.einsum("i...->...i", a),
           lambda a: np.einsum("i...->...i", a), [(2, 3, 2), (3,)]),
    OpSpec("einsum_three", lambda a, b, c: ng.einsum("ij,jk,ik->k", [a, b, c]),
           lambda a, b, c: np.einsum("ij,jk,ik->k", a, b, c), [((2, 3), (3, 2), (2, 2))]),
    OpSpec("einsum_bcast_dim", lambda a, b: ng.einsum("ij,ij->i", a, b),
           lambda a, b: np.einsum("ij,ij->i", *np.broadcast_arrays(a, b)),
           [((2, 1), (2, 3))]),
    OpSpec("tensordot", ng.tensordot, np.tensordot, [((2, 3, 4), (3, 4, 2))],
           kwargs=[{}, {"dims": ([1, 0], [0, 2])}, {"dims": 0}],
           ref_kwargs=lambda k: {"axes": k.get("dims", 2)}),
    OpSpec("tensordot_1", ng.tensordot, np.tensordot, [((2, 3), (3, 4)), ((2,), (2, 3))],
           kwargs=[{"dims": 1}],
           ref_kwargs=lambda k: {"axes": k.get("dims", 2)}),
    OpSpec("tensordot_axes", lambda a, b: ng.tensordot(a, b, axes=([0], [1])),
           lambda a, b: np.tensordot(a, b, axes=([0], [1])), [((3, 2), (4, 3))]),
    OpSpec("linalg_inv", ng.linalg.inv, np.linalg.inv, [(3, 3), (2, 2, 2), (1, 1)],
           make_inputs=_wellcond),
    OpSpec("linalg_det", ng.linalg.det, np.linalg.det, [(3, 3), (2, 2, 2)],
           make_inputs=_wellcond),
    OpSpec("linalg_slogdet", ng.linalg.slogdet, np.linalg.slogdet, [(3, 3), (2, 2, 2)],
           make_inputs=lambda rng, s: [-a for a in _wellcond(rng, s)]),
    OpSpec("linalg_solve", ng.linalg.solve, _np_solve,
           [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3, 1)), ((2, 2, 2), (2, 2)),
            ((1, 2, 2), (3, 2, 1))], make_inputs=_wellcond),
    OpSpec("linalg_solve_right", lambda a, b: ng.linalg.solve(a, b, left=False),
           lambda a, b: np.swapaxes(np.linalg.solve(np.swapaxes(a, -1, -2),
                                                    np.swapaxes(b, -1, -2)), -1, -2),
           [((3, 3), (2, 3))], make_inputs=_wellcond),
    OpSpec("linalg_cholesky", lambda a: ng.linalg.cholesky(_spd_ng(a)),
           lambda a: np.linalg.cholesky(_spd_np(a)), [(3, 3), (2, 2, 2)]),
    OpSpec("linalg_cholesky_upper", lambda a: ng.linalg.cholesky(_spd_ng(a), upper=True),
           lambda a: np.swapaxes(np.linalg.cholesky(_spd_np(a)), -1, -2), [(3, 3)]),
    OpSpec("norm", ng.norm, lambda x, p="fro", dim=None, keepdim=False: _np_vector_norm(
        x, 2 if p == "fro" else p, dim, keepdim), [(2, 3), (0, 2)],
        kwargs=[{}, {"p": 1}, {"p": 3, "dim": -1}, {"p": "fro", "dim": (0, -1), "keepdim": True}]),
    OpSpec("norm_1d_0d", ng.norm, lambda x, p="fro": _np_vector_norm(x, 2 if p == "fro" else p),
           [(4,), ()], kwargs=[{}, {"p": 1}, {"p": 3}]),
    OpSpec("norm_method", lambda x: x.norm(2, 1, keepdim=True),
           lambda x: np.linalg.norm(x, 2, 1, keepdims=True), [(2, 3)]),
    OpSpec("linalg_vector_norm", ng.linalg.vector_norm, _np_vector_norm, [(2, 3, 2)],
           kwargs=[{}, {"ord": INF}, {"ord": -INF, "dim": 0}, {"ord": 1, "dim": (0, -1)},
                   {"ord": 0.5, "keepdim": True}, {"ord": 2, "dim": -1, "keepdim": True}],
           ref_kwargs=lambda k: {"ord": k.get("ord", 2), "dim": k.get("dim"),
                                 "keepdim": k.get("keepdim", False)}),
    OpSpec("linalg_vector_norm_ord0", lambda x: ng.linalg.vector_norm(x, 0),
           lambda x: np.linalg.norm(x.ravel(), 0), [(2, 3)], grad=False),
    OpSpec("linalg_matrix_norm", ng.linalg.matrix_norm, np.linalg.norm, [(3, 4), (2, 3, 3)],
           kwargs=[{}, {"ord": 1}, {"ord": -1}, {"ord": INF}, {"ord": -INF, "keepdim": True}],
           ref_kwargs=lambda k: {"ord": k.get("ord", "fro"), "axis": (-2, -1),
                                 "keepdims": k.get("keepdim", False)}),
    OpSpec("linalg_norm", ng.linalg.norm, np.linalg.norm, [(3, 4)],
           kwargs=[{}, {"ord": "fro"}, {"ord": 1}, {"ord": INF, "dim": (1, 0)},
                   {"ord": 3, "dim": 1}, {"dim": 0, "keepdim": True}],
           ref_kwargs=lambda k: {"ord": k.get("ord"), "axis": k.get("dim"),
                                 "keepdims": k.get("keepdim", False)}),
    OpSpec("linalg_norm_vec", ng.linalg.norm, np.linalg.norm, [(5,)],
           kwargs=[{}, {"ord": INF}, {"ord": 1}]),
]
