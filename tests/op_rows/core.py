"""Rows for the core ops (issue 2): arithmetic, the seeds' unary ops, sum/mean, shape, matmul."""

from __future__ import annotations

import numpy as np

import ndgrad as ng
from tests.op_db import OpSpec

BIN = [((2, 3), (2, 3)), ((4, 1), (3,)), ((), (2,)), ((2, 1, 3), (4, 1)), ((0, 3), (3,))]
UN = [(3, 4), (), (0, 2), (2, 1, 3)]
POS = (0.5, 2.5)

ROWS = [
    OpSpec("add", ng.add, np.add, BIN),
    OpSpec("add_alpha", lambda x, y: ng.add(x, y, alpha=2.5), lambda x, y: x + 2.5 * y, BIN[:2]),
    OpSpec("sub", ng.sub, np.subtract, BIN),
    OpSpec("mul", ng.mul, np.multiply, BIN),
    OpSpec("div", ng.div, np.divide, BIN, domain=POS),
    OpSpec("pow", ng.pow, np.power, BIN[:4], domain=POS),
    OpSpec("add_scalar", lambda x: x + 1.5, lambda x: x + 1.5, UN),
    OpSpec("rsub_scalar", lambda x: 1.5 - x, lambda x: 1.5 - x, UN),
    OpSpec("mul_scalar", lambda x: 2.5 * x, lambda x: 2.5 * x, UN),
    OpSpec("div_scalar", lambda x: x / 4.0, lambda x: x / 4.0, UN),
    OpSpec("rdiv_scalar", lambda x: 3.0 / x, lambda x: 3.0 / x, UN, domain=POS),
    OpSpec("pow_scalar", lambda x: x ** 3, lambda x: x ** 3, UN),
    OpSpec("pow_scalar_frac", lambda x: x ** 2.5, lambda x: x ** 2.5, UN, domain=POS),
    OpSpec("rpow_scalar", lambda x: 2.0 ** x, lambda x: 2.0 ** x, UN),
    OpSpec("neg", ng.neg, np.negative, UN),
    OpSpec("exp", ng.exp, np.exp, UN),
    OpSpec("log", ng.log, np.log, UN, domain=POS),
    OpSpec("sin", ng.sin, np.sin, UN),
    OpSpec("cos", ng.cos, np.cos, UN),
    OpSpec("tanh", ng.tanh, np.tanh, UN),
    OpSpec("sigmoid", ng.sigmoid, lambda x: 1 / (1 + np.exp(-x)), UN, domain=(-6, 6)),
    OpSpec("relu", ng.relu, lambda x: np.maximum(x, 0), UN),
    OpSpec("sum_all", ng.sum, np.sum, [(), (3, 0), (2, 3)]),
    OpSpec("sum", ng.sum, np.sum, [(2, 3, 4), (3, 0, 2)],
           kwargs=[{}, {"dim": 1}, {"dim": (0, 2), "keepdim": True}, {"dim": -1}],
           ref_kwargs=lambda k: {"axis": k.get("dim"), "keepdims": k.get("keepdim", False)}),
    OpSpec("mean", ng.mean, np.mean, [(2, 3, 4)],
           kwargs=[{}, {"dim": 1}, {"dim": (0, 2), "keepdim": True}],
           ref_kwargs=lambda k: {"axis": k.get("dim"), "keepdims": k.get("keepdim", False)}),
    OpSpec("sum_to_size", lambda x: x.sum_to_size(3, 1), lambda x: x.sum(axis=(0, 2),
           keepdims=True)[0], [(2, 3, 4)]),
    OpSpec("reshape", lambda x: x.reshape(4, -1), lambda x: x.reshape(4, -1), [(2, 3, 2)]),
    OpSpec("transpose", lambda x: x.transpose(0, 2), lambda x: x.swapaxes(0, 2), [(2, 3, 4)]),
    OpSpec("permute", lambda x: x.permute(2, 0, 1), lambda x: x.transpose(2, 0, 1), [(2, 3, 4)]),
    OpSpec("T", lambda x: x.T, lambda x: x.T, [(2, 3)]),
    OpSpec("broadcast_to", lambda x: ng.broadcast_to(x, (2, 3, 4)),
           lambda x: np.broadcast_to(x, (2, 3, 4)), [(3, 1), (4,), ()]),
    OpSpec("expand", lambda x: x.expand(2, -1, 4), lambda x: np.broadcast_to(x, (2, 3, 4)),
           [(3, 1)]),
    OpSpec("getitem_basic", lambda x: x[1:, ::2], lambda x: x[1:, ::2], [(3, 5)]),
    OpSpec("getitem_int", lambda x: x[1], lambda x: x[1], [(3, 5)]),
    OpSpec("cat", lambda a, b: ng.cat([a, b], dim=1), lambda a, b: np.concatenate([a, b], 1),
           [((2, 3), (2, 4))]),
    OpSpec("stack", lambda a, b: ng.stack([a, b], dim=1), lambda a, b: np.stack([a, b], 1),
           [((2, 3), (2, 3))]),
    OpSpec("split", lambda x: ng.split(x, [1, 3], dim=1),
           lambda x: tuple(np.split(x, [1], axis=1)), [(2, 4)]),
    OpSpec("matmul", ng.matmul, np.matmul,
           [((2, 3), (3, 4)), ((3,), (3, 2)), ((2, 3), (3,)), ((3,), (3,)),
            ((2, 2, 3), (3, 4)), ((2, 1, 2, 3), (3, 3, 2))]),
    OpSpec("bce_with_logits", lambda x, t: ng.nn.functional.binary_cross_entropy_with_logits(x, t),
           lambda x, t: np.mean(np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))),
           [((3, 4), (3, 4))], nondiff=(1,),
           make_inputs=lambda rng, s: [rng.uniform(-3, 3, s[0]), rng.uniform(0, 1, s[1])]),
]
