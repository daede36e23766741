"""Extremes: max min amax amin argmax argmin. amax and max() split a tie's gradient evenly;
max(dim) sends it to the returned index (PyTorch's choices). Along the last axis of a
C-contiguous array the forwards index by argmax and gather, and the rules scatter at those
flat positions when nothing ties."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from .. import _dtypes
from .._backend import array_module, counter, ndarray, np
from .._tensor import Tensor
from ..autograd.function import Primitive, _apply_one, _as_array, _tensor_of
from ..autograd.grad_mode import grad_enabled as _grad_on
from ._common import float_rule, kept_dims, to_tensor
from ._shape_utils import keepdim_of, normalize_dim, reduced_shape, reduction_dims
from .select import maximum, minimum

_INT64 = np.dtype(_dtypes.int64)


class Amax(Primitive):
    """Max over ``dims``; ties share the gradient evenly (PyTorch's amax rule)."""

    _ctx_slots = ("dims", "keepdim", "flat")
    _op = "max"  # the forward's ``op``, read by the rule's tie test
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
            # along the last axis argmax runs ~2.5x faster than maximum.reduce here
            ctx.flat, val = _gather_last(x, arg(axis=-1, keepdims=keepdim))
            return val
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
            return _scatter(a.shape, a.dtype, flat, g)
        else:
            hit = xp.equal(a, yd)
        with np.errstate(divide="ignore", invalid="ignore"):  # no hits: g / 0 * 0, NaN
            out = hit.astype(a.dtype)
            out *= xp.true_divide(g, xp.count_nonzero(hit), dtype=a.dtype)
            return out
    hit = xp.equal(a, yd)
    count = counter(hit)  # C calls, not the Python wrappers
    if count(hit) == yd.size and not count(yd != yd):
        # no ties: every slice has its one hit (a NaN slice has none), so g / 1
        if flat is not None:
            return _scatter(a.shape, a.dtype, flat, g.reshape(-1))
        out = hit.astype(a.dtype)
        out *= g
        return out
    cnt = xp.count_nonzero(hit, axis=ctx.dims, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):  # a NaN slice: 0 hits, NaN
        return xp.multiply(hit, xp.true_divide(g, cnt, dtype=a.dtype))


_REDUCE = {"max": np.maximum.reduce, "min": np.minimum.reduce}
_EXACT_COUNT = {2: 1 << 11, 4: 1 << 24, 8: 1 << 53}  # float16/32/64 count ones exactly


def _gather_last(x: Any, idx: Any) -> tuple:
    """The flat positions (row * n + idx) of ``idx``, an arg-extreme along the last axis of
    the C-contiguous ``x``, and the values there in ``idx``'s shape: cheaper than
    take_along_axis's fancy-index tuple, and the rules scatter at the same positions."""
    flat = np.arange(0, x.size, x.shape[-1])
    flat += idx.reshape(-1)
    val = x.reshape(-1)[flat]
    return flat, (val if idx.ndim == 1 else val.reshape(idx.shape))


def _scatter(shape: tuple, dtype: Any, flat: Any, g: Any) -> Any:
    """Zeros of ``shape`` with ``g`` written at the flat positions ``flat`` (the rule of a
    gather by flat index): a plain 1-D scatter."""
    out = np.zeros(shape, dtype)
    out.reshape(-1)[flat] = g
    return out


class Amin(Amax):
    _op = "min"


class MaxAll(Amax):
    """``max(input)``: a 0-d result; PyTorch splits the gradient evenly among ties here too,
    and a NaN result's among the NaN elements."""

    _node_name = "MaxBackward1"
    _nan_hits = True

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:  # one input, no parameters: _apply_one calls it
        return Amax.forward(ctx, x, None, False, "max")

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        flat, g = ctx.flat, grad._data
        if flat is not None and type(g) is ndarray and not _grad_on():
            # the common case at once: no NaN and no tie, so all of g goes to the first
            # extreme (elements before it are on the other side of it: one look at the rest)
            a, y = ctx.saved_arrays()
            if y == y and (flat + 1 == a.size or _REDUCE[type(ctx)._fn._op](
                    a.reshape(-1)[flat + 1:]) != y):
                return _tensor_of(_scatter(a.shape, a.dtype, flat, g))
        return Amax.backward(ctx, grad)


class MinAll(Amin):
    _node_name = "MinBackward1"
    _nan_hits = True

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return Amax.forward(ctx, x, None, False, "min")

    backward = staticmethod(MaxAll.backward)


class MaxDim(Primitive):
    """The values of ``max(input, dim)``; the gradient goes to the returned index only. The
    indices are no output of the node (integers: no gradient and no grad_fn, as in PyTorch);
    the node keeps them, and ``max`` hands them out beside the values."""

    _ctx_slots = ("idx", "dim", "keepdim", "in_shape", "flat")

    _node_name = "MaxBackward0"

    @staticmethod
    def forward(ctx: Any, x: Any, dim: int, keepdim: bool = False) -> Any:
        return _dim_forward(ctx, x, dim, keepdim, "argmax")

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        shape, dim, idx = ctx.in_shape, ctx.dim, ctx.idx
        if not shape:
            return grad
        xp = array_module(idx)
        if not _grad_on():  # no graph: scatter the gradient into zeros at the indices
            g = grad._data
            flat = ctx.flat
            if flat is not None and type(g) is ndarray:
                # along the last axis: the forward's flat index per slice (row * n + idx)
                return _tensor_of(_scatter(shape, g.dtype, flat, g.reshape(-1)))
            out = xp.zeros(shape, g.dtype)
            if ctx.keepdim:
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

    @staticmethod
    def forward(ctx: Any, x: Any, dim: int, keepdim: bool = False) -> Any:
        return _dim_forward(ctx, x, dim, keepdim, "argmin")


def _dim_forward(ctx: Any, x: Any, dim: int, keepdim: bool, arg: str) -> Any:
    """MaxDim's/MinDim's forward: the values; the node keeps the indices for max/min."""
    val, ctx.idx, ctx.flat = _dim_extreme(x, dim, keepdim, arg)
    ctx.dim, ctx.keepdim, ctx.in_shape = dim, keepdim, x.shape
    return val


def _dim_extreme(x: Any, dim: int, keepdim: bool, arg: str) -> tuple:
    """(values, int64 indices, flat positions or None) of ``arg`` (argmax/argmin) along
    ``dim``. Along the last axis of a C-contiguous array the flat positions (row * n + idx)
    are the gather's, and the rule scatters at them."""
    xp = array_module(x)
    flat = None
    if x.ndim == 0:
        idx = xp.zeros((), dtype=_dtypes.int64)
        val = x.copy()
    elif dim == x.ndim - 1 and type(x) is ndarray and x.flags.c_contiguous and x.size:
        idx = getattr(x, arg)(axis=dim, keepdims=keepdim)
        flat, val = _gather_last(x, idx)
    else:  # the values gathered at the indices: no second pass over x
        idx = getattr(x, arg)(axis=dim, keepdims=True)
        val = xp.take_along_axis(x, idx, axis=dim)
        if not keepdim:
            idx, val = idx.squeeze(dim), val.squeeze(dim)
    if type(idx) is not ndarray:
        idx = _as_array(idx)  # a 1-D input's index comes back as a NumPy scalar
    return val, (idx if idx.dtype is _INT64 else idx.astype(_INT64)), flat


_MaxResult = namedtuple("max", ["values", "indices"])
_MinResult = namedtuple("min", ["values", "indices"])


def _extreme(op: str, input: Any, dim: Any, keepdim: bool, other: Any, axis: Any,
             keepdims: bool | None) -> Any:
    if type(input) is Tensor and other is None and axis is None and keepdims is None:
        # the common calls, max(x) and max(x, d), without the argument checks
        data = input._data
        if dim is None and data.size:
            return _apply_one(MaxAll if op == "max" else MinAll, input)
        if type(dim) is int and data.size and -data.ndim <= dim < data.ndim:
            return _by_dim(op, input, dim % data.ndim, keepdim)
    if isinstance(dim, Tensor) or other is not None:
        return (maximum if op == "max" else minimum)(input, other if other is not None else dim)
    x = to_tensor(input)
    if dim is None and axis is None:
        if x._data.size == 0:
            raise RuntimeError(f"{op}(): Expected reduction dim to be specified for "
                               f"input.numel() == 0. Specify the reduction dim with the "
                               f"'dim' argument.")
        return _apply_one(MaxAll if op == "max" else MinAll, x)
    d = normalize_dim(op, x._data.ndim, axis if dim is None else dim)
    if x._data.ndim and x._data.shape[d] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")
    return _by_dim(op, x, d, keepdim_of(keepdim, keepdims))


def _by_dim(op: str, x: Tensor, d: int, keepdim: bool) -> Any:
    """``max(x, d)`` / ``min(x, d)``: (values, indices); the node records the values."""
    result = _MaxResult if op == "max" else _MinResult
    if x._rg and _grad_on():
        cls = MaxDim if op == "max" else MinDim
        v = cls.apply(x, dim=d, keepdim=True) if keepdim else _apply_one(cls, x, d)
        return result(v, _tensor_of(v.grad_fn.idx))
    val, idx, _ = _dim_extreme(x._data, d, keepdim, "argmax" if op == "max" else "argmin")
    return result(_tensor_of(val), _tensor_of(idx))


def max(input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None,
        axis: Any = None, keepdims: bool | None = None) -> Any:
    """``max(x)``: 0-d max; ``max(x, dim)``: (values, indices); ``max(x, tensor)``: maximum."""
    return _extreme("max", input, dim, keepdim, other, axis, keepdims)


def min(input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None,
        axis: Any = None, keepdims: bool | None = None) -> Any:
    """``min(x)``: 0-d min; ``min(x, dim)``: (values, indices); ``min(x, tensor)``: minimum."""
    return _extreme("min", input, dim, keepdim, other, axis, keepdims)


def _amax_dims(op: str, x: Tensor, dim: Any, axis: Any) -> tuple | None:
    if dim == ():  # amax's default (every dim), so that axis= can be given alone
        dim = None
    dims = reduction_dims(op, x._data.ndim, dim, axis)
    if x._data.size == 0:  # PyTorch's errors: a RuntimeError without dims, else IndexError
        if dims is None:
            raise RuntimeError(f"{op}(): Expected reduction dim to be specified for "
                               f"input.numel() == 0. Specify the reduction dim with the 'dim' "
                               f"argument (input shape {x.shape}).")
        for d in dims:
            if x._data.shape[d] == 0:
                raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size "
                                 f"(input shape {x.shape}). Hint: reduce over non-empty dims.")
    return dims


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


__all__ = ["max", "min", "amax", "amin", "argmax", "argmin"]
