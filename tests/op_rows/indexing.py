"""Rows for indexing (issue 3): advanced/boolean getitem, index_put, gather/scatter family."""

from __future__ import annotations

import numpy as np

import ndgrad as ng
from tests.op_db import OpSpec

IDX = np.array([2, 0, 2, 2])                       # repeated on purpose: grads accumulate
MASK = np.array([[True, False, True, True], [False, False, True, False], [True] * 4])
GIDX = np.array([[0, 2, 2, 1], [1, 1, 0, 0]])      # gather/scatter along dim 0 of (3, 4)
SIDX = np.array([[0, 2], [3, 1], [1, 0]])          # along dim 1 of (3, 4): two columns, unique


def _np_put(x, index, v):
    out = x.copy()
    out[index] = v
    return out


def _np_accum(x, index, v):
    out = x.copy()
    np.add.at(out, index, np.broadcast_to(v, out[index].shape))
    return out


def _np_scatter_add(x, src):
    out = x.copy()
    for i in range(GIDX.shape[0]):
        for j in range(GIDX.shape[1]):
            out[GIDX[i, j], j] += src[i, j]
    return out


def _np_scatter1(x, src, add):
    out = x.copy()
    for i in range(SIDX.shape[0]):
        for j in range(SIDX.shape[1]):
            out[i, SIDX[i, j]] = out[i, SIDX[i, j]] + src[i, j] if add else src[i, j]
    return out


def _np_put_torch(x, v):  # x[0, :, [1, 2]] = v in PyTorch's layout: the int applies first
    out = x.copy()
    out[0][:, [1, 2]] = v
    return out


ROWS = [
    OpSpec("getitem_adv_repeat", lambda x: x[IDX], lambda x: x[IDX], [(3, 4), (3,)]),
    OpSpec("getitem_adv_list", lambda x: x[[0, 0, 1], [1, 1, 3]], lambda x: x[[0, 0, 1], [1, 1, 3]],
           [(2, 4)]),
    OpSpec("getitem_adv_tensor", lambda x: x[:, ng.tensor(IDX[:2])], lambda x: x[:, IDX[:2]],
           [(2, 3)]),
    OpSpec("getitem_adv_2d_index", lambda x: x[np.array([[1, 1], [0, 2]])],
           lambda x: x[np.array([[1, 1], [0, 2]])], [(3, 2)]),
    OpSpec("getitem_bool", lambda x: x[ng.tensor(MASK)], lambda x: x[MASK], [(3, 4)]),
    OpSpec("getitem_bool_rows", lambda x: x[np.array([True, False, True])],
           lambda x: x[np.array([True, False, True])], [(3, 2)]),
    OpSpec("getitem_none_ellipsis", lambda x: x[None, ..., 1, None],
           lambda x: x[None, ..., 1, None], [(2, 3, 2)]),
    OpSpec("getitem_neg_step", lambda x: x[::-1, -1:0:-2], lambda x: x[::-1, -1:0:-2],
           [(3, 5)]),
    OpSpec("getitem_mixed", lambda x: x[1:, [0, 0], ::-1], lambda x: x[1:, [0, 0], ::-1],
           [(3, 2, 3)]),
    OpSpec("getitem_0d", lambda x: x[()], lambda x: x[()], [()]),
    OpSpec("getitem_empty", lambda x: x[2:2], lambda x: x[2:2], [(3, 2)]),
    OpSpec("index_put", lambda x, v: ng.index_put(x, (slice(None), [1, 3]), v),
           lambda x, v: _np_put(x, (slice(None), [1, 3]), v), [((2, 4), (2, 2)), ((2, 4), (2,)),
                                                                ((2, 4), ())]),
    OpSpec("index_put_mask", lambda x, v: ng.index_put(x, MASK, v),
           lambda x, v: _np_put(x, MASK, v), [((3, 4), ()), ((3, 4), (8,))]),
    OpSpec("index_put_accumulate", lambda x, v: ng.index_put(x, IDX, v, accumulate=True),
           lambda x, v: _np_accum(x, IDX, v), [((3, 2), (4, 2)), ((3, 2), (2,))]),
    OpSpec("gather", lambda x: ng.gather(x, 0, ng.tensor(GIDX)),
           lambda x: np.take_along_axis(x, GIDX, 0), [(3, 4)]),
    OpSpec("gather_neg_dim", lambda x: ng.gather(x, -1, ng.tensor(GIDX.T[:, :2])),
           lambda x: np.take_along_axis(x[:, :3], GIDX.T[:, :2], -1), [(4, 3)]),
    OpSpec("take_along_dim", lambda x: ng.take_along_dim(x, ng.tensor(GIDX), 0),
           lambda x: np.take_along_axis(x, GIDX, 0), [(3, 4)]),
    OpSpec("scatter_add", lambda x, s: ng.scatter_add(x, 0, ng.tensor(GIDX), s),
           _np_scatter_add, [((3, 4), (2, 4))]),
    OpSpec("scatter", lambda x, s: ng.scatter(x, 0, ng.tensor(GIDX[:1]), s),
           lambda x, s: _np_put(x, (GIDX[:1], np.arange(4)[None]), s[:1]), [((3, 4), (2, 4))]),
    OpSpec("scatter_dim1", lambda x, s: ng.scatter(x, 1, ng.tensor(SIDX), s),
           lambda x, s: _np_scatter1(x, s, False), [((3, 4), (3, 2)), ((3, 4), (4, 3))]),
    OpSpec("scatter_add_dim_neg1", lambda x, s: ng.scatter_add(x, -1, ng.tensor(SIDX), s),
           lambda x, s: _np_scatter1(x, s, True), [((3, 4), (3, 2)), ((3, 4), (3, 3))]),
    OpSpec("take_along_dim_flat", lambda x: ng.take_along_dim(x, ng.tensor(SIDX)),
           lambda x: x.reshape(-1)[SIDX.reshape(-1)], [(2, 3)]),
    OpSpec("getitem_int_slice_list", lambda x: x[0, :, [1, 2, 1]], lambda x: x[0][:, [1, 2, 1]],
           [(2, 3, 4)]),
    OpSpec("index_put_int_slice_list", lambda x, v: ng.index_put(x, (0, slice(None), [1, 2]), v),
           _np_put_torch, [((2, 3, 4), (3, 2)), ((2, 3, 4), (2,))]),
    OpSpec("index_select", lambda x: ng.index_select(x, -1, ng.tensor(IDX)),
           lambda x: x[:, IDX], [(2, 3)]),
    OpSpec("take", lambda x: ng.take(x, ng.tensor(np.array([[0, 5], [5, 3]]))),
           lambda x: np.take(x, np.array([[0, 5], [5, 3]])), [(2, 3)]),
    OpSpec("masked_fill", lambda x: ng.masked_fill(x, ng.tensor(MASK), -1.5),
           lambda x: np.where(MASK, -1.5, x), [(3, 4)]),
    OpSpec("masked_fill_bcast", lambda x: ng.masked_fill(x, ng.tensor(MASK[0]), 2.0),
           lambda x: np.where(MASK[0], 2.0, x), [(3, 4)]),
    OpSpec("masked_fill_tensor_value", lambda x, v: ng.masked_fill(x, ng.tensor(MASK), v),
           lambda x, v: np.where(MASK, v, x), [((3, 4), ())]),
    OpSpec("masked_select", lambda x: ng.masked_select(x, ng.tensor(MASK[1])),
           lambda x: x[np.broadcast_to(MASK[1], x.shape)], [(3, 4), (4,)]),
]
