"""Rows for the elementwise ops of issue 3: unary math, rounding, activations, binary ops with
broadcasting, clamp/where. Domains keep samples away from poles, kinks and ties."""

from __future__ import annotations

import numpy as np

import ndgrad as ng
from tests.op_db import OpSpec

UN = [(2, 3), (), (0, 2), (2, 1, 3)]
BIN = [((2, 3), (2, 3)), ((4, 1), (3,)), ((), (2,)), ((2, 1, 3), (4, 1)), ((0, 3), (3,))]
POS = (0.5, 2.5)
UNIT = (-0.9, 0.9)


def _away_from_zero(rng, shapes):
    """Magnitudes in [0.5, 2], random signs: no pole or kink at 0 within gradcheck's eps."""
    return [rng.uniform(0.5, 2.0, s) * rng.choice([-1.0, 1.0], s) for s in shapes]


def _numerator_denominator(rng, shapes):
    """x anywhere, y away from 0 (x/y hits a jump of floor/trunc with probability ~1e-6)."""
    return [rng.uniform(-3, 3, shapes[0]),
            rng.uniform(0.5, 2.0, shapes[1]) * rng.choice([-1.0, 1.0], shapes[1])]


def _int_pairs(rng, shapes):
    y = rng.integers(1, 5, shapes[1]) * rng.choice([-1, 1], shapes[1])
    return [rng.integers(-9, 10, shapes[0]), y]


def _clamp_inputs(rng, shapes):
    bounds = [rng.uniform(-1.0, -0.1, shapes[1])]
    if len(shapes) == 3:
        bounds.append(rng.uniform(0.1, 1.0, shapes[2]))
    return [rng.uniform(-2, 2, shapes[0])] + bounds


def _where_inputs(rng, shapes):
    return [rng.uniform(-1, 1, shapes[0])] + [rng.uniform(-2, 2, s) for s in shapes[1:]]


def _softplus_ref(x, beta=1.0, threshold=20.0):
    return np.where(x * beta > threshold, x, np.logaddexp(0, beta * x) / beta)


def _clip_kwargs(k):
    return {"a_min": k.get("min"), "a_max": k.get("max")}


ROWS = [
    # unary math
    OpSpec("log1p", ng.log1p, np.log1p, UN, domain=(-0.9, 3.0)),
    OpSpec("expm1", ng.expm1, np.expm1, UN),
    OpSpec("sqrt", ng.sqrt, np.sqrt, UN, domain=POS),
    OpSpec("rsqrt", ng.rsqrt, lambda x: 1 / np.sqrt(x), UN, domain=POS),
    OpSpec("square", ng.square, np.square, UN),
    OpSpec("reciprocal", ng.reciprocal, np.reciprocal, UN, make_inputs=_away_from_zero),
    OpSpec("tan", ng.tan, np.tan, UN, domain=(-1.2, 1.2)),
    OpSpec("sinh", ng.sinh, np.sinh, UN),
    OpSpec("cosh", ng.cosh, np.cosh, UN),
    OpSpec("arcsin", ng.arcsin, np.arcsin, UN, domain=UNIT),
    OpSpec("arccos", ng.arccos, np.arccos, UN, domain=UNIT),
    OpSpec("arctan", ng.arctan, np.arctan, UN),
    OpSpec("asin_alias", ng.asin, np.arcsin, [(3,)], domain=UNIT),
    OpSpec("arcsinh", ng.arcsinh, np.arcsinh, UN),
    OpSpec("arccosh", ng.arccosh, np.arccosh, UN, domain=(1.2, 3.0)),
    OpSpec("arctanh", ng.arctanh, np.arctanh, UN, domain=UNIT),
    OpSpec("abs", ng.abs, np.abs, UN, make_inputs=_away_from_zero),
    OpSpec("sign", ng.sign, np.sign, UN, make_inputs=_away_from_zero),
    # piecewise constant: zero gradient away from the jumps
    OpSpec("floor", ng.floor, np.floor, UN, domain=(-3.0, 3.0)),
    OpSpec("ceil", ng.ceil, np.ceil, UN, domain=(-3.0, 3.0)),
    OpSpec("round", ng.round, np.round, UN, domain=(-3.0, 3.0),
           kwargs=[{}, {"decimals": 1}]),
    OpSpec("trunc", ng.trunc, np.trunc, UN, domain=(-3.0, 3.0)),
    # activations
    OpSpec("softplus", ng.softplus, _softplus_ref, UN, domain=(-4.0, 4.0),
           kwargs=[{}, {"beta": 2.0}, {"beta": 0.5, "threshold": 1.5}]),
    OpSpec("softplus_large", ng.softplus, _softplus_ref, [(4,)],
           make_inputs=lambda rng, s: [np.array([-800.0, -30.0, 30.0, 800.0])]),
    OpSpec("logsigmoid", ng.logsigmoid, lambda x: -np.logaddexp(0, -x), UN, domain=(-6.0, 6.0)),
    # binary
    OpSpec("maximum", ng.maximum, np.maximum, BIN),
    OpSpec("minimum", ng.minimum, np.minimum, BIN),
    OpSpec("arctan2", ng.arctan2, np.arctan2, BIN[:4], make_inputs=_away_from_zero),
    OpSpec("floor_divide", ng.floor_divide, np.floor_divide, BIN[:4],
           make_inputs=_numerator_denominator),
    OpSpec("div_trunc", lambda x, y: ng.div(x, y, rounding_mode="trunc"),
           lambda x, y: np.trunc(x / y), BIN[:4], make_inputs=_numerator_denominator),
    OpSpec("remainder", ng.remainder, np.remainder, BIN[:4], make_inputs=_numerator_denominator),
    OpSpec("fmod", ng.fmod, np.fmod, BIN[:4], make_inputs=_numerator_denominator),
    OpSpec("floor_divide_int", ng.floor_divide, np.floor_divide, [((2, 3), (2, 3)), ((6,), ())],
           make_inputs=_int_pairs),
    OpSpec("div_trunc_int", lambda x, y: ng.div(x, y, rounding_mode="trunc"),
           lambda x, y: np.trunc(x / y), [((2, 3), (2, 3))], make_inputs=_int_pairs),
    OpSpec("remainder_int", ng.remainder, np.remainder, [((2, 3), (2, 3))],
           make_inputs=_int_pairs),
    OpSpec("fmod_int", ng.fmod, np.fmod, [((2, 3), (2, 3))], make_inputs=_int_pairs),
    OpSpec("mod_operator", lambda x: x % 1.5, lambda x: np.remainder(x, 1.5), UN,
           make_inputs=lambda rng, s: [rng.integers(-3, 3, s[0]) * 1.5 +
                                       rng.uniform(0.1, 1.4, s[0])]),
    OpSpec("clamp", ng.clamp, np.clip, UN,
           kwargs=[{"min": -0.5, "max": 0.5}, {"min": -0.5}, {"max": 0.3}],
           ref_kwargs=_clip_kwargs),
    OpSpec("clip_alias", lambda x: ng.clip(x, -1.0, 1.0), lambda x: np.clip(x, -1.0, 1.0), UN),
    OpSpec("clamp_tensor", lambda x, lo, hi: ng.clamp(x, lo, hi),
           lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi),
           [((2, 3), (2, 3), (2, 3)), ((4, 1), (3,), ()), ((), (2,), (2,))],
           make_inputs=_clamp_inputs),
    OpSpec("clamp_tensor_min", lambda x, lo: ng.clamp(x, min=lo),
           lambda x, lo: np.maximum(x, lo), [((2, 3), (2, 3)), ((4, 1), (3,))],
           make_inputs=_clamp_inputs),
    OpSpec("clamp_tensor_max", lambda x, hi: ng.clamp(x, max=hi),
           lambda x, hi: np.minimum(x, hi), [((2, 3), (3,))],
           make_inputs=lambda rng, s: [rng.uniform(-2, 2, s[0]), rng.uniform(0.1, 1, s[1])]),
    OpSpec("where", lambda c, x, y: ng.where(c > 0, x, y), lambda c, x, y: np.where(c > 0, x, y),
           [((2, 3), (2, 3), (2, 3)), ((3,), (2, 1), ()), ((), (2,), (2,))], nondiff=(0,),
           make_inputs=_where_inputs),
    OpSpec("where_scalar", lambda c, x: ng.where(c > 0, x, 0.0),
           lambda c, x: np.where(c > 0, x, 0.0), [((2, 3), (2, 3)), ((2, 1), (3,))],
           nondiff=(0,), make_inputs=_where_inputs),
]
