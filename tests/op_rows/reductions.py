"""Rows for the reductions of issue 3 (prod max min amax amin argmax argmin var std logsumexp
cumsum) and the softmax family. Random continuous inputs have no ties; ties and zeros in prod
get their own inputs."""

from __future__ import annotations

import numpy as np

import ndgrad as ng
from tests.op_db import OpSpec

S3 = [(2, 3, 4)]
DIMS = [{}, {"dim": 1}, {"dim": (0, 2), "keepdim": True}, {"dim": -1}]


def _axis(k):
    return {"axis": k.get("dim"), "keepdims": k.get("keepdim", False)}


def _moment_kwargs(k):
    ddof = k.get("correction", int(k.get("unbiased", True)))
    return {"axis": k.get("dim"), "keepdims": k.get("keepdim", False), "ddof": ddof}


def _lse(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _softmax_ref(x, dim):
    axis = dim if x.ndim else None
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax_ref(x, dim):
    axis = dim if x.ndim else None
    return x - _lse(x, axis, keepdims=True)


def _with_zeros(rng, shapes):
    """Row 0: no zero; row 1: one zero; row 2: two zeros (prod's three gradient cases)."""
    x = rng.uniform(0.5, 1.5, shapes[0]) * rng.choice([-1.0, 1.0], shapes[0])
    x[1, 2] = 0.0
    x[2, 0] = x[2, 3] = 0.0
    return [x]


def _extreme_ref(fn, arg):
    def ref(x, dim, keepdim=False):
        return fn(x, axis=dim, keepdims=keepdim), arg(x, axis=dim, keepdims=keepdim)

    return ref


ROWS = [
    OpSpec("prod", ng.prod, np.prod, S3 + [(3,), ()], kwargs=[{}, {"dim": 0}],
           domain=(-1.5, 1.5), ref_kwargs=_axis),
    OpSpec("prod_dims", ng.prod, np.prod, S3, kwargs=DIMS[1:], domain=(-1.5, 1.5),
           ref_kwargs=_axis),
    OpSpec("prod_zeros", ng.prod, np.prod, [(3, 4)],
           kwargs=[{"dim": 1}, {"dim": 1, "keepdim": True}, {"dim": 0}, {}],
           make_inputs=_with_zeros, ref_kwargs=_axis),
    OpSpec("prod_empty", lambda x: ng.prod(x, 1), lambda x: np.prod(x, 1), [(0, 3), (2, 0)]),
    OpSpec("amax", ng.amax, np.amax, S3 + [(5,)], kwargs=[{}, {"dim": 0}], ref_kwargs=_axis),
    OpSpec("amax_dims", ng.amax, np.amax, S3, kwargs=DIMS[1:], ref_kwargs=_axis),
    OpSpec("amin", ng.amin, np.amin, S3, kwargs=DIMS, ref_kwargs=_axis),
    OpSpec("max_all", ng.max, np.max, S3 + [(), (5,)]),
    OpSpec("min_all", ng.min, np.min, S3 + [(), (5,)]),
    OpSpec("max_dim", ng.max, _extreme_ref(np.max, np.argmax), S3,
           kwargs=[{"dim": 1}, {"dim": -1, "keepdim": True}, {"dim": 0}]),
    OpSpec("min_dim", ng.min, _extreme_ref(np.min, np.argmin), S3,
           kwargs=[{"dim": 1}, {"dim": 2, "keepdim": True}]),
    OpSpec("max_dim_0d", lambda x: ng.max(x, 0), lambda x: (x, np.array(0)), [()]),
    OpSpec("max_binary", ng.max, np.maximum, [((2, 3), (2, 3)), ((4, 1), (3,))]),
    OpSpec("argmax", ng.argmax, np.argmax, S3 + [(5,)], grad=False,
           kwargs=[{}, {"dim": 0}, {"dim": -1, "keepdim": True}],
           ref_kwargs=lambda k: {"axis": k.get("dim"), "keepdims": k.get("keepdim", False)}),
    OpSpec("argmin", ng.argmin, np.argmin, S3, grad=False,
           kwargs=[{}, {"dim": 1}, {"dim": 2, "keepdim": True}],
           ref_kwargs=lambda k: {"axis": k.get("dim"), "keepdims": k.get("keepdim", False)}),
    OpSpec("var", ng.var, np.var, S3,
           kwargs=DIMS + [{"correction": 0}, {"dim": 0, "unbiased": False},
                          {"dim": 2, "correction": 2}], ref_kwargs=_moment_kwargs),
    OpSpec("std", ng.std, np.std, S3, kwargs=DIMS + [{"dim": 1, "correction": 0}],
           ref_kwargs=_moment_kwargs),
    OpSpec("var_ddof", lambda x: ng.var(x, axis=0, ddof=0, keepdims=True),
           lambda x: np.var(x, axis=0, keepdims=True), [(4, 3)]),
    OpSpec("logsumexp", ng.logsumexp, _lse, S3 + [(5,)], kwargs=[{"dim": 0}, {}],
           ref_kwargs=_axis),
    OpSpec("logsumexp_dims", ng.logsumexp, _lse, S3, kwargs=DIMS[1:], ref_kwargs=_axis),
    OpSpec("logsumexp_large", lambda x: ng.logsumexp(x, 1), lambda x: _lse(x, 1), [(2, 3)],
           make_inputs=lambda rng, s: [rng.uniform(-1, 1, s[0]) + [[1000.0], [-1000.0]]]),
    OpSpec("cumsum", ng.cumsum, np.cumsum, [(3, 4), (2, 3, 4)],
           kwargs=[{"dim": 0}, {"dim": -1}, {"dim": 1}],
           ref_kwargs=lambda k: {"axis": k["dim"]}),
    OpSpec("cumsum_1d", lambda x: ng.cumsum(x, 0), lambda x: np.cumsum(x, 0), [(5,), (0,)]),
    OpSpec("softmax", ng.softmax, _softmax_ref, [(3, 4), (2, 3, 4), (5,)],
           kwargs=[{"dim": 0}, {"dim": -1}]),
    OpSpec("softmax_0d", ng.softmax, _softmax_ref, [()], kwargs=[{"dim": 0}]),
    OpSpec("softmax_large", lambda x: ng.softmax(x, 1), lambda x: _softmax_ref(x, 1), [(2, 3)],
           make_inputs=lambda rng, s: [rng.uniform(-1, 1, s[0]) * 50 + [[800.0], [-800.0]]]),
    OpSpec("log_softmax", ng.log_softmax, _log_softmax_ref, [(3, 4), (2, 3, 4), (5,), ()],
           kwargs=[{"dim": 0}, {"dim": -1}]),
    OpSpec("log_softmax_large", lambda x: ng.log_softmax(x, 0), lambda x: _log_softmax_ref(x, 0),
           [(3,)], make_inputs=lambda rng, s: [np.array([1000.0, 0.0, -1000.0])]),
]
