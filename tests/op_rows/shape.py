"""Rows for the shape and join family (issue 3): views, repeat/tile, flip/roll/pad, cat/split."""

from __future__ import annotations

import numpy as np

import ndgrad as ng
from tests.op_db import OpSpec


def _np_pad(x, pad, mode="constant", value=0.0):
    width = [(0, 0)] * (x.ndim - len(pad) // 2) + [
        (pad[i], pad[i + 1]) for i in range(len(pad) - 2, -1, -2)]
    if mode == "constant":
        return np.pad(x, width, constant_values=value)
    return np.pad(x, width, mode={"reflect": "reflect", "replicate": "edge",
                                  "circular": "wrap"}[mode])


ROWS = [
    OpSpec("reshape_infer", lambda x: x.reshape(-1, 2), lambda x: x.reshape(-1, 2),
           [(2, 3, 2), (0, 4), (2,)]),
    OpSpec("reshape_0d", lambda x: x.reshape(1, 1), lambda x: x.reshape(1, 1), [()]),
    OpSpec("view", lambda x: ng.view(x, (3, 4)), lambda x: x.reshape(3, 4), [(2, 6), (12,)]),
    OpSpec("flatten", ng.flatten, lambda x, start_dim=0, end_dim=-1: x.reshape(
        x.shape[:start_dim % x.ndim] + (-1,) + x.shape[end_dim % x.ndim + 1:]),
        [(2, 3, 2), (2, 0, 3)], kwargs=[{}, {"start_dim": 1}, {"start_dim": 0, "end_dim": -2}]),
    OpSpec("flatten_0d", ng.flatten, lambda x: x.reshape(1), [()]),
    OpSpec("squeeze", ng.squeeze, lambda x, dim=None: np.squeeze(x, dim), [(2, 1, 3, 1)],
           kwargs=[{}, {"dim": 1}, {"dim": -1}, {"dim": (1, 3)}]),
    OpSpec("squeeze_0d", ng.squeeze, np.squeeze, [(), (1, 1)]),
    OpSpec("unsqueeze", ng.unsqueeze, lambda x, dim: np.expand_dims(x, dim), [(2, 3), ()],
           kwargs=[{"dim": 0}, {"dim": -1}]),
    OpSpec("transpose_neg", lambda x: ng.transpose(x, -1, 0), lambda x: np.swapaxes(x, -1, 0),
           [(2, 3, 4), (3,)]),
    OpSpec("transpose_axes", lambda x: ng.transpose(x, axes=(1, 2, 0)),
           lambda x: np.transpose(x, (1, 2, 0)), [(2, 3, 4)]),
    OpSpec("permute_neg", lambda x: x.permute(-1, 0, 1), lambda x: x.transpose(2, 0, 1),
           [(2, 3, 4), (2, 0, 3)]),
    OpSpec("permute_0d", lambda x: x.permute(()), lambda x: x, [()]),
    OpSpec("swapaxes", lambda x: ng.swapaxes(x, 0, -1), lambda x: np.swapaxes(x, 0, -1),
           [(2, 3, 4)]),
    OpSpec("moveaxis", ng.moveaxis, np.moveaxis, [(2, 3, 4)],
           kwargs=[{"source": 0, "destination": -1}, {"source": (0, 1), "destination": (2, 0)}],
           ref_kwargs=lambda k: k),
    OpSpec("expand_lead", lambda x: x.expand(3, 2, -1), lambda x: np.broadcast_to(x, (3, 2, 4)),
           [(2, 4), (1, 4), (4,)]),
    OpSpec("repeat", lambda x: x.repeat(2, 1, 3), lambda x: np.tile(x, (2, 1, 3)),
           [(2, 3), (2, 1, 2), (), (0, 2)]),
    OpSpec("repeat_zero", lambda x: x.repeat(0, 2), lambda x: np.tile(x, (0, 2)), [(2, 3)]),
    OpSpec("tile", ng.tile, np.tile, [(2, 3), (3,), ()],
           kwargs=[{"dims": (2,)}, {"dims": (2, 1, 2)}, {"dims": 3}],
           ref_kwargs=lambda k: {"reps": k["dims"]}),
    OpSpec("repeat_interleave", ng.repeat_interleave, np.repeat, [(2, 3)],
           kwargs=[{"repeats": 2}, {"repeats": 2, "dim": 1}, {"repeats": [1, 0, 3], "dim": -1}],
           ref_kwargs=lambda k: {"repeats": k["repeats"], "axis": k.get("dim")}),
    OpSpec("flip", ng.flip, lambda x, dims: np.flip(x, dims), [(2, 3, 4), (3, 0)],
           kwargs=[{"dims": (0,)}, {"dims": (0, -1)}]),
    OpSpec("flip_all", lambda x: x.flip(None), np.flip, [(2, 3), (4,)]),
    OpSpec("roll", ng.roll, lambda x, shifts, dims=None: np.roll(x, shifts, dims),
           [(2, 3, 4), (5,)], kwargs=[{"shifts": 1}, {"shifts": -7, "dims": 0}]),
    OpSpec("roll_multi", lambda x: x.roll((1, -2), (0, 2)),
           lambda x: np.roll(x, (1, -2), (0, 2)), [(2, 3, 4)]),
    OpSpec("pad", ng.pad, _np_pad, [(2, 3, 4), (3, 4)],
           kwargs=[{"pad": (1, 2)}, {"pad": (1, 0, 0, 2), "value": 1.5},
                   {"pad": (2, 1, 1, 2), "mode": "reflect"},
                   {"pad": (2, 1, 1, 2), "mode": "replicate"},
                   {"pad": (3, 1, 0, 2), "mode": "circular"}]),
    OpSpec("pad_crop", lambda x: ng.pad(x, (-1, 2, 1, -1)),
           lambda x: np.pad(x[:-1, 1:], ((1, 0), (0, 2))), [(3, 4)]),
    OpSpec("pad_0d_empty", lambda x: ng.pad(x, (1, 1)), lambda x: np.pad(x, ((0, 0), (1, 1))),
           [(0, 2), (2, 0)]),
    OpSpec("cat_neg_dim", lambda a, b, c: ng.cat([a, b, c], dim=-1),
           lambda a, b, c: np.concatenate([a, b, c], -1), [((2, 1), (2, 3), (2, 0))]),
    OpSpec("cat_one", lambda a: ng.cat([a]), lambda a: np.concatenate([a]), [(2, 3)]),
    OpSpec("concatenate", lambda a, b: ng.concatenate((a, b), axis=0),
           lambda a, b: np.concatenate([a, b], 0), [((0, 3), (2, 3)), ((1,), (2,))]),
    OpSpec("stack_neg", lambda a, b, c: ng.stack([a, b, c], dim=-1),
           lambda a, b, c: np.stack([a, b, c], -1), [((2, 3), (2, 3), (2, 3)), ((), (), ())]),
    OpSpec("split_int", lambda x: ng.split(x, 2, dim=1), lambda x: tuple(np.split(x, [2, 4], 1)),
           [(2, 5)]),
    OpSpec("split_sizes_neg", lambda x: x.split([1, 0, 2], -1),
           lambda x: tuple(np.split(x, [1, 1], -1)), [(2, 3)]),
    OpSpec("chunk", lambda x: x.chunk(3, dim=-1), lambda x: tuple(np.split(x, [2, 4], -1)),
           [(2, 5)]),
    OpSpec("chunk_uneven", lambda x: ng.chunk(x, 4), lambda x: tuple(np.split(x, [2, 4])),
           [(6, 2)]),
    OpSpec("unbind", lambda x: ng.unbind(x, 1), lambda x: tuple(np.moveaxis(x, 1, 0)),
           [(2, 3, 2)]),
    OpSpec("unbind_neg", lambda x: x.unbind(-1), lambda x: tuple(np.moveaxis(x, -1, 0)), [(3, 2)]),
]
