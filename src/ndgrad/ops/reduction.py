"""Reductions: sum mean prod max min amax amin argmax argmin var std logsumexp cumsum.

Public functions resolve dim/axis and keepdim/keepdims once (``normalize_dims``); rules reshape
the output-shaped grad to the keepdim shape and let broadcasting expand it to the input's shape.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from .. import _backend, _dtypes
from .._backend import array_module, ndarray, np
from .._errors import shape_error
from .._tensor import Tensor
from ..autograd.function import Primitive, _as_array, _tensor_of
from ..autograd.grad_mode import grad_enabled as _grad_on
from ._common import float_input, float_rule, kept_dims, to_tensor
from ._shape_utils import (
    keepdim_of,
    normalize_dim,
    normalize_dims,
    reduced_count,
    reduced_shape,
    shape_arg,
)
from .binary import where
from .select import maximum, minimum
from .unary import exp

_add_reduce = np.add.reduce
_INF = float("inf")


class Sum(Primitive):
    _ctx_slots = ("in_shape", "dims", "keepdim")

    @staticmethod
    def forward(ctx: Any, x: Any, dims: Any, keepdim: bool, dtype: Any) -> Any:
        ctx.in_shape = x.shape
        ctx.dims = dims
        ctx.keepdim = keepdim
        if type(x) is ndarray:  # ndarray.sum without its Python wrapper: the same reduction
            return _add_reduce(x, dims, dtype, None, keepdim)
        return x.sum(axis=dims, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return _spread(ctx, grad, None)


def _spread(ctx: Any, grad: Tensor, count: int | None) -> Tensor:
    """The rule of sum (``count`` None) and mean: ``grad`` (/ count) broadcast back to the
    input's shape. With no graph to build, a broadcast view made directly; a one-valued
    gradient broadcasts its NumPy scalar (see _one_value)."""
    if not _grad_on():
        g = grad._data
        e = _one_value(g)
        if e is not None:
            return _tensor_of(_backend.broadcast_scalar(e if count is None else e / count,
                                                        ctx.in_shape))
        if count is not None:
            g = _as_array(g / count)  # a 0-d result comes back as a scalar
        shape, dims = ctx.in_shape, ctx.dims
        if type(g) is ndarray and dims is not None and g.flags.c_contiguous and g.ndim == (
                len(shape) if ctx.keepdim else len(shape) - len(dims)):
            # the view over the input's shape made at once: g's strides on the kept dims,
            # 0 on the reduced ones (no reshape, no broadcast checks)
            gs = g.strides
            if ctx.keepdim:
                st = tuple([0 if i in dims else gs[i] for i in range(len(shape))])
            else:
                it = iter(gs)
                st = tuple([0 if i in dims else next(it) for i in range(len(shape))])
            v = ndarray(shape, g.dtype, g, 0, st)
            v.flags.writeable = False
            return _tensor_of(v)
        if not ctx.keepdim and dims is not None and g.ndim:
            g = g.reshape(reduced_shape(shape, dims))
        return _tensor_of(_backend.broadcast_to(g, shape))
    if not ctx.keepdim:
        grad = grad.reshape(reduced_shape(ctx.in_shape, ctx.dims))
    return (grad if count is None else grad / count).broadcast_to(ctx.in_shape)


def _one_value(g: Any) -> Any:
    """The one value of a NumPy gradient that holds one (0-d, or a broadcast scalar: every
    stride 0, as a mean's or sum's gradient arrives), as a NumPy scalar; else None. The
    rules then broadcast the scalar itself, without reshaping or re-broadcasting a view."""
    if type(g) is ndarray and g.size and not any(g.strides):
        return g[(0,) * g.ndim]
    return None


class SumToSize(Primitive):
    """Sum broadcast dims away so the result has ``shape`` (inverse of broadcast_to)."""

    _ctx_slots = ("in_shape",)

    @staticmethod
    def forward(ctx: Any, x: Any, shape: tuple) -> Any:
        ctx.in_shape = x.shape
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            i + lead for i, s in enumerate(shape) if s == 1 and x.shape[i + lead] != 1)
        out = x.sum(axis=axes) if axes else x
        return out.reshape(shape)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad.broadcast_to(ctx.in_shape)


def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
        axis: Any = None, keepdims: bool | None = None) -> Tensor:
    """Sum over ``dim`` (all dims when None)."""
    if type(input) is Tensor and dtype is None and axis is None and keepdims is None and \
            input._data.dtype.kind == "f":  # the common call, without the argument checks
        nd = input._data.ndim
        if dim is None:
            return Sum.apply(input, dims=None, keepdim=bool(keepdim), dtype=None)
        if type(dim) is int and nd and -nd <= dim < nd:
            return Sum.apply(input, dims=(dim % nd,), keepdim=bool(keepdim), dtype=None)
    input = to_tensor(input)
    dims = normalize_dims("sum", input.ndim, dim, axis)
    kd = keepdim_of(keepdim, keepdims)
    d = _dtypes.to_dtype(dtype)
    if d is None and input._data.dtype.kind in "bu" or (
            d is None and input._data.dtype.kind == "i" and input._data.dtype.itemsize < 8):
        d = _dtypes.int64  # PyTorch sums bools and small ints as int64
    return Sum.apply(input, dims=dims, keepdim=kd, dtype=d)


def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
         axis: Any = None, keepdims: bool | None = None) -> Tensor:
    """Arithmetic mean over ``dim`` (one node: sum / count)."""
    if type(input) is Tensor and dtype is None and axis is None and keepdims is None and \
            input._data.dtype.kind == "f" and input._data.size:  # the common call, directly
        a = input._data
        nd = a.ndim
        if dim is None:
            return MeanAll.apply(input, dims=None, keepdim=bool(keepdim), count=a.size)
        if type(dim) is int and nd and -nd <= dim < nd:
            d = dim % nd
            return Mean.apply(input, dims=(d,), keepdim=bool(keepdim), count=a.shape[d])
    input = to_tensor(input)
    if input._data.dtype.kind not in "fc" and dtype is None:
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {input._data.dtype}. Hint: call .float() first.")
    dims = normalize_dims("mean", input.ndim, dim, axis)
    count = reduced_count(input.shape, dims)
    kd = keepdim_of(keepdim, keepdims)
    if count and dtype is None and input._data.dtype.kind == "f":
        op = MeanAll if dims is None else Mean
        return op.apply(input, dims=dims, keepdim=kd, count=count)
    s = sum(input, dims, kd, dtype=dtype)
    return s / count if count else s * float("nan")


class Mean(Primitive):
    """sum / count over ``dims`` in one node (the rule is the upstream gradient / count,
    broadcast back): the same bits as the sum-then-divide composite, one node fewer."""

    _ctx_slots = ("in_shape", "dims", "keepdim", "count")
    _node_name = "MeanBackward1"

    @staticmethod
    def forward(ctx: Any, x: Any, dims: Any, keepdim: bool, count: int) -> Any:
        ctx.in_shape, ctx.dims, ctx.keepdim, ctx.count = x.shape, dims, keepdim, count
        s = _add_reduce(x, dims, None, None, keepdim) if type(x) is ndarray else \
            x.sum(axis=dims, keepdims=keepdim)
        if s.ndim:
            return array_module(x).true_divide(s, count, out=s)
        return s / count  # a NumPy scalar (or 0-d array): the scalar division

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return _spread(ctx, grad, ctx.count)


class MeanAll(Mean):
    _node_name = "MeanBackward0"  # PyTorch's name for the mean of every element



class Prod(Primitive):
    _ctx_slots = ("dims", "keepdim")

    @staticmethod
    def forward(ctx: Any, x: Any, dims: Any, keepdim: bool, dtype: Any) -> Any:
        ctx.save_inputs(0)
        ctx.save_outputs(0)
        ctx.dims, ctx.keepdim = dims, keepdim
        return x.prod(axis=dims, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        x, y = ctx.saved_tensors
        if float_rule(x._data, grad._data) and _no_zero_factor(x, y):
            g, ya = kept_dims(ctx, x.shape, grad._data, y._data)
            return _tensor_of(array_module(g).divide(g * ya, x._data))  # (g * y) / x
        if not ctx.keepdim:
            shape = reduced_shape(x.shape, ctx.dims)
            grad, y = grad.reshape(shape), y.reshape(shape)
        if _no_zero_factor(x, y):
            return grad * y / x  # exact (at every order) while no factor is zero
        return grad * _prod_of_others(x, ctx.dims)


def _no_zero_factor(x: Tensor, y: Tensor) -> bool:
    """No factor of ``x`` is 0. A zero makes its product 0 or NaN, so a product with neither
    answers from the (small) result alone, without a pass over ``x``."""
    ya = y._data
    if ya.dtype.kind in "fc":
        xp = array_module(ya)
        if not (ya == 0).any() and not xp.isnan(ya).any():
            return True
    return not (x == 0).any()


def _prod_of_others(x: Tensor, dims: tuple | None) -> Tensor:
    """prod_{j != i} x_j for every i of each reduced slice, right with zeros: row i of a
    (k, k) stack is the slice with x_i replaced by 1 (O(k^2) memory; taken only with zeros)."""
    nd = x.ndim
    red = tuple(range(nd)) if dims is None else dims
    keep = tuple(i for i in range(nd) if i not in red)
    perm = keep + red
    kshape, rshape = [x.shape[i] for i in keep], [x.shape[i] for i in red]
    k = 1
    for s in rshape:
        k *= s
    xt = x.permute(perm).reshape(tuple(kshape) + (1, k))
    eye = Tensor._make(array_module(x._data).eye(k, dtype=bool))
    others = prod(where(eye, 1.0, xt), -1).reshape(tuple(kshape + rshape))
    inv = [0] * nd
    for i, p in enumerate(perm):
        inv[p] = i
    return others.permute(tuple(inv))


def prod(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
         axis: Any = None, keepdims: bool | None = None) -> Tensor:
    """Product over ``dim`` (all dims when None); gradients are right where factors are 0."""
    input = to_tensor(input)
    dims = normalize_dims("prod", input._data.ndim, dim, axis)
    if input._data.ndim == 0:
        dims = None
    return Prod.apply(input, dims=dims, keepdim=keepdim_of(keepdim, keepdims),
                      dtype=_int_accumulator(input, dtype))


def _int_accumulator(x: Tensor, dtype: Any) -> Any:
    d = _dtypes.to_dtype(dtype)
    if d is None and x._data.dtype.kind in "biu":
        return _dtypes.int64  # PyTorch accumulates bools and ints as int64
    return d


class Amax(Primitive):
    """Max over ``dims``; ties share the gradient evenly (PyTorch's amax rule)."""

    _ctx_slots = ("dims", "keepdim", "flat")
    _nan_hits = False  # a NaN result: does its gradient go to the NaN elements (MaxAll)?

    @staticmethod
    def forward(ctx: Any, x: Any, dims: Any, keepdim: bool, op: str) -> Any:
        ctx.save_inputs(0)
        ctx.save_outputs(0)
        ctx.dims, ctx.keepdim = dims, keepdim
        ctx.flat = None
        if type(x) is not ndarray or not x.size or not x.ndim or not x.flags.c_contiguous:
            return getattr(x, op)(axis=dims, keepdims=keepdim)
        arg = x.argmax if op == "max" else x.argmin
        if dims is None:
            # the first extreme's flat index, its value read there: argmax costs what the
            # reduction does, and the rule scatters at that index when nothing ties
            i = arg()
            ctx.flat = i
            val = x.reshape(-1)[i]
            return val.reshape((1,) * x.ndim) if keepdim else val
        if dims == (x.ndim - 1,):
            # along the last axis argmax runs ~2.5x faster than maximum.reduce here; the
            # values are gathered by flat index (row * n + idx)
            idx = arg(axis=-1, keepdims=keepdim)
            flat = np.arange(0, x.size, x.shape[-1])
            flat += idx.reshape(-1)
            ctx.flat = flat
            return x.reshape(-1)[flat].reshape(idx.shape)
        return (np.maximum if op == "max" else np.minimum).reduce(x, dims, None, None, keepdim)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        cls = type(ctx)._fn
        g = grad._data
        a, y = ctx.saved_arrays()
        if float_rule(a, g) and a.size <= _EXACT_COUNT.get(a.dtype.itemsize, 0):
            return _tensor_of(_amax_grad(cls, ctx, a, y, g))
        x, y = ctx.saved_tensors
        if not ctx.keepdim:
            shape = reduced_shape(x.shape, ctx.dims)
            grad, y = grad.reshape(shape), y.reshape(shape)
        # tie at the extreme: split grad evenly among the tied elements
        hit = x == y
        if cls._nan_hits and array_module(y._data).isnan(y._data).any():
            hit = Tensor._make(array_module(a).isnan(a))  # a NaN max(): the NaNs share it
        return grad / hit.sum(ctx.dims, keepdim=True) * hit


def _amax_grad(cls: Any, ctx: Any, a: Any, y: Any, g: Any) -> Any:
    """The array rule of amax/amin/max()/min() (no graph; counts exact in the dtype): the
    gradient scattered at the forward's flat indices when no slice ties (the common case),
    else a boolean hit mask scaled by each slice's share."""
    g, yd = kept_dims(ctx, a.shape, g, y)
    xp = array_module(a)
    flat = ctx.flat
    if ctx.dims is None:
        if yd.ndim:
            yd, g = yd.reshape(()), g.reshape(())
        if yd != yd:  # NaN: max() splits among the NaNs (PyTorch), amax gives NaN
            hit = xp.isnan(a) if cls._nan_hits else xp.zeros(a.shape, bool)
        elif flat is not None and (flat + 1 == a.size or (
                xp.maximum if cls._op == "max" else xp.minimum).reduce(
                    a.reshape(-1)[flat + 1:]) != yd):
            # no tie: every element before the first extreme is on the other side of it,
            # so one look at the rest decides
            out = xp.zeros(a.shape, a.dtype)
            out.reshape(-1)[flat] = g
            return out
        else:
            hit = xp.equal(a, yd)
        with np.errstate(divide="ignore", invalid="ignore"):  # no hits: g / 0 * 0, NaN
            out = hit.astype(a.dtype)
            out *= xp.true_divide(g, xp.count_nonzero(hit), dtype=a.dtype)
            return out
    hit = xp.equal(a, yd)
    if xp.count_nonzero(hit) == yd.size and not xp.isnan(yd).any():
        # no ties: every slice has its one hit (a NaN slice has none), so g / 1
        if flat is not None:
            out = xp.zeros(a.shape, a.dtype)
            out.reshape(-1)[flat] = g.reshape(-1)
            return out
        out = hit.astype(a.dtype)
        out *= g
        return out
    cnt = xp.count_nonzero(hit, axis=ctx.dims, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):  # a NaN slice: 0 hits, NaN
        return xp.multiply(hit, xp.true_divide(g, cnt, dtype=a.dtype))


_EXACT_COUNT = {2: 1 << 11, 4: 1 << 24, 8: 1 << 53}  # float16/32/64 count ones exactly


class Amin(Amax):
    _op = "min"


Amax._op = "max"


class MaxAll(Amax):
    """``max(input)``: a 0-d result; PyTorch splits the gradient evenly among ties here too,
    and a NaN result's among the NaN elements."""

    _node_name = "MaxBackward1"
    _nan_hits = True


class MinAll(Amin):
    _node_name = "MinBackward1"
    _nan_hits = True


class MaxDim(Primitive):
    """``max(input, dim)`` -> (values, indices); the gradient goes to the returned index only."""

    _ctx_slots = ("idx", "dim", "keepdim", "in_shape", "flat")

    _node_name = "MaxBackward0"

    @staticmethod
    def forward(ctx: Any, x: Any, dim: int, keepdim: bool, op: str) -> Any:
        xp = array_module(x)
        flat = None
        if x.ndim == 0:
            idx = xp.zeros((), dtype=_dtypes.int64)
            val = x.copy()
        elif dim == x.ndim - 1 and type(x) is ndarray and x.flags.c_contiguous and x.size:
            # along the last axis: gathered by flat index (row * n + idx), cheaper than
            # take_along_axis's fancy-index tuple; no second pass over x
            idx = getattr(x, op)(axis=dim, keepdims=keepdim)
            flat = xp.arange(0, x.size, x.shape[dim])
            flat += idx.reshape(-1)
            val = x.reshape(-1)[flat].reshape(idx.shape)
        else:  # the values gathered at the indices: no second pass over x
            idx = getattr(x, op)(axis=dim, keepdims=True)
            val = xp.take_along_axis(x, idx, axis=dim)
            if not keepdim:
                idx, val = idx.squeeze(dim), val.squeeze(dim)
        ctx.idx, ctx.dim, ctx.keepdim, ctx.in_shape = idx, dim, keepdim, x.shape
        ctx.flat = flat  # the flat positions, when found along the last axis: the rule's too
        return val, idx.astype(_dtypes.int64, copy=False)

    @staticmethod
    def backward(ctx: Any, grad: Tensor, grad_idx: Any = None) -> Tensor:
        shape, dim, idx = ctx.in_shape, ctx.dim, ctx.idx
        if not shape:
            return grad
        xp = array_module(idx)
        if not _grad_on():  # no graph: scatter the gradient into zeros at the indices
            g = grad._data
            out = xp.zeros(shape, g.dtype)
            flat = ctx.flat
            if flat is not None and type(out) is ndarray:
                # along the last axis: the forward's flat index per slice (row * n + idx),
                # a plain 1-D scatter instead of put_along_axis's fancy-index tuple
                out.reshape(-1)[flat] = g.reshape(-1)
            elif ctx.keepdim:
                xp.put_along_axis(out, idx, g, axis=dim)
            else:
                xp.put_along_axis(out, xp.expand_dims(idx, dim), xp.expand_dims(g, dim),
                                  axis=dim)
            return _tensor_of(out)
        if not ctx.keepdim:
            grad = grad.unsqueeze(dim)
            idx = xp.expand_dims(idx, dim)
        pos = xp.arange(shape[dim]).reshape((-1,) + (1,) * (len(shape) - 1 - dim))
        return grad * Tensor._make(pos == idx)  # a constant one-hot mask along dim


class MinDim(MaxDim):
    _node_name = "MinBackward0"


_MaxResult = namedtuple("max", ["values", "indices"])
_MinResult = namedtuple("min", ["values", "indices"])


def _extreme(op: str, input: Any, dim: Any, keepdim: bool, other: Any, axis: Any,
             keepdims: bool | None) -> Any:
    if isinstance(dim, Tensor) or other is not None:
        return (maximum if op == "max" else minimum)(input, other if other is not None else dim)
    x = to_tensor(input)
    if dim is None and axis is None:
        if x._data.size == 0:
            raise RuntimeError(f"{op}(): Expected reduction dim to be specified for "
                               f"input.numel() == 0. Specify the reduction dim with the "
                               f"'dim' argument.")
        return (MaxAll if op == "max" else MinAll).apply(x, dims=None, keepdim=False, op=op)
    d = normalize_dim(op, x._data.ndim, axis if dim is None else dim)
    if x._data.ndim and x._data.shape[d] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")
    kd = keepdim_of(keepdim, keepdims)
    if op == "max":
        return _MaxResult(*MaxDim.apply(x, dim=d, keepdim=kd, op="argmax"))
    return _MinResult(*MinDim.apply(x, dim=d, keepdim=kd, op="argmin"))


def max(input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None,
        axis: Any = None, keepdims: bool | None = None) -> Any:
    """``max(x)``: 0-d max; ``max(x, dim)``: (values, indices); ``max(x, tensor)``: maximum."""
    return _extreme("max", input, dim, keepdim, other, axis, keepdims)


def min(input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None,
        axis: Any = None, keepdims: bool | None = None) -> Any:
    """``min(x)``: 0-d min; ``min(x, dim)``: (values, indices); ``min(x, tensor)``: minimum."""
    return _extreme("min", input, dim, keepdim, other, axis, keepdims)


def _amax_dims(op: str, x: Tensor, dim: Any, axis: Any) -> tuple | None:
    if dim == ():
        dim = None
    dims = normalize_dims(op, x._data.ndim, dim, axis)
    if x._data.size == 0 and (dims is None or any(x._data.shape[d] == 0 for d in dims)):
        raise IndexError(f"{op}(): Expected reduction dim to have non-zero size. Hint: "
                         f"input shape is {x.shape}; reduce over non-empty dims only.")
    return None if x._data.ndim == 0 else dims


def amax(input: Tensor, dim: Any = (), keepdim: bool = False, *, axis: Any = None,
         keepdims: bool | None = None) -> Tensor:
    """Max over ``dim`` (all dims when empty); tied maxima share the gradient evenly."""
    x = to_tensor(input)
    dims = _amax_dims("amax", x, dim, axis)
    return Amax.apply(x, dims=dims, keepdim=keepdim_of(keepdim, keepdims), op="max")


def amin(input: Tensor, dim: Any = (), keepdim: bool = False, *, axis: Any = None,
         keepdims: bool | None = None) -> Tensor:
    """Min over ``dim`` (all dims when empty); tied minima share the gradient evenly."""
    x = to_tensor(input)
    dims = _amax_dims("amin", x, dim, axis)
    return Amin.apply(x, dims=dims, keepdim=keepdim_of(keepdim, keepdims), op="min")


def _arg_extreme(op: str, input: Any, dim: Any, keepdim: bool, axis: Any) -> Tensor:
    x = to_tensor(input)
    data = x._data
    if axis is not None:
        dim = axis
    if data.size == 0 and (dim is None or data.shape[normalize_dim(op, data.ndim, dim)] == 0):
        raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() "
                           f"== 0.")
    fn = data.argmax if op == "argmax" else data.argmin
    if dim is None or data.ndim == 0:
        out = fn()
        if keepdim:
            out = out.reshape((1,) * data.ndim)
    else:
        out = fn(axis=normalize_dim(op, data.ndim, dim), keepdims=keepdim)
    return Tensor._make(array_module(data).asarray(out, dtype=_dtypes.int64))


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False, *,
           axis: int | None = None) -> Tensor:
    """Index of the max (flat when ``dim`` is None), int64, no gradient; first among ties."""
    return _arg_extreme("argmax", input, dim, keepdim, axis)


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False, *,
           axis: int | None = None) -> Tensor:
    """Index of the min (flat when ``dim`` is None), int64, no gradient; first among ties."""
    return _arg_extreme("argmin", input, dim, keepdim, axis)


class LogSumExp(Primitive):
    """log(sum(exp(x))) over ``dims``, shifted by the max so exp never overflows. The shifted
    exponentials and their sums are kept for the array rule, exp(x - y) = e / s: one pass in
    backward instead of a subtraction, an exp and a product (at one input-sized array)."""

    _ctx_slots = ("dims", "keepdim", "s")
    _node_name = "LogsumexpBackward0"

    @staticmethod
    def forward(ctx: Any, x: Any, dims: Any, keepdim: bool) -> Any:
        ctx.save_inputs(0)
        ctx.save_outputs(0)
        ctx.dims, ctx.keepdim = dims, keepdim
        xp = array_module(x)
        if x.size == 0:
            return xp.log(xp.exp(x).sum(axis=dims, keepdims=keepdim))
        m = xp.maximum.reduce(x, dims, None, None, True) if type(x) is ndarray else \
            x.max(axis=dims, keepdims=True)
        if not xp.isfinite(m).all():
            m = xp.where(xp.isfinite(m), m, 0)  # all -inf or an inf: no shift, no inf - inf
        e = x - m
        e = xp.exp(e, out=e) if e.ndim else xp.exp(e)
        s = _add_reduce(e, dims, None, None, True) if type(e) is ndarray else \
            e.sum(axis=dims, keepdims=True)
        ctx.save_array(e)
        ctx.s = s
        out = xp.log(s)
        out += m
        return out if keepdim else out.reshape(_dropped(x.shape, dims))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        g = grad._data
        if not _grad_on() and g.dtype.kind == "f":
            saved = ctx.saved_arrays()
            if len(saved) == 3 and saved[1].dtype is g.dtype:  # (x, e, y): not for empty x
                e = saved[1]
                (gk,) = kept_dims(ctx, e.shape, g)
                return _tensor_of(e * (gk / ctx.s))  # g * exp(x - y), one pass over x
        saved = ctx.saved_tensors
        x, y = saved[0], saved[-1]  # the input and the output (e, if kept, between them)
        if not ctx.keepdim:
            shape = reduced_shape(x.shape, ctx.dims)
            grad, y = grad.reshape(shape), y.reshape(shape)
        return grad * exp(x - y)


def logsumexp(input: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
              keepdims: bool | None = None) -> Tensor:
    """log(sum(exp(input))) over ``dim`` (all dims when None), without overflow."""
    x = float_input(input)
    dims = normalize_dims("logsumexp", x._data.ndim, dim, axis)
    if x._data.ndim == 0:
        dims = None
    return LogSumExp.apply(x, dims=dims, keepdim=keepdim_of(keepdim, keepdims))


def sum_to_size(input: Tensor, *size: Any) -> Tensor:
    """Sum ``input`` down to ``size``, which ``input`` must broadcast from (PyTorch's name)."""
    shape = shape_arg(size)
    if input.shape == shape:
        return input
    src = input.shape
    lead = len(src) - len(shape)
    if lead < 0 or any(d != 1 and d != s for d, s in zip(shape, src[lead:])):
        raise shape_error("sum_to_size", f"size {shape} is not expandable to size {src}",
                          hint="every dim of size must equal the tensor's or be 1")
    return SumToSize.apply(input, shape=shape)


class Cumsum(Primitive):
    """Running sum along ``dim``; its rule is the running sum from the other end."""

    _ctx_slots = ("dim", "reverse")

    @staticmethod
    def forward(ctx: Any, x: Any, dim: Any, reverse: bool, dtype: Any) -> Any:
        ctx.dim, ctx.reverse = dim, reverse
        if x.ndim == 0:
            return x.astype(dtype) if dtype is not None else x.copy()
        xp = array_module(x)
        if not reverse:
            return xp.cumsum(x, axis=dim, dtype=dtype)
        return xp.flip(xp.cumsum(xp.flip(x, dim), axis=dim, dtype=dtype), dim)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return Cumsum.apply(grad, dim=ctx.dim, reverse=not ctx.reverse, dtype=None)


def cumsum(input: Tensor, dim: int | None = None, *, dtype: Any = None,
           axis: int | None = None) -> Tensor:
    """Cumulative sum along ``dim``."""
    x = to_tensor(input)
    d = axis if dim is None else dim
    if d is None:
        raise TypeError("cumsum: missing the dim argument. Hint: pass dim=0 (or reshape(-1) "
                        "first for NumPy's flattened cumsum).")
    d = normalize_dim("cumsum", x._data.ndim, d)
    return Cumsum.apply(x, dim=d, reverse=False, dtype=_int_accumulator(x, dtype))


def _dropped(shape: tuple, dims: tuple | None) -> tuple:
    """``shape`` without ``dims`` (the keepdim=False shape)."""
    if dims is None:
        return ()
    return tuple(s for i, s in enumerate(shape) if i not in dims)


__all__ = ["sum", "mean", "sum_to_size", "prod", "max", "min", "amax", "amin", "argmax",
           "argmin", "logsumexp", "cumsum"]
