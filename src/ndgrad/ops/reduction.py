"""Reductions: sum mean prod logsumexp cumsum (max/min/amax/amin/arg* are in ``extremes``,
var/std in ``moments``).

Public functions resolve dim/axis and keepdim/keepdims once (``reduction_dims``); rules reshape
the output-shaped grad to the keepdim shape and let broadcasting expand it to the input's shape.
"""

from __future__ import annotations

from typing import Any

from .. import _backend, _dtypes
from .._backend import array_module, counter, ndarray, np
from .._errors import shape_error
from .._tensor import Tensor
from ..autograd.function import Primitive, _apply_one, _as_array, _tensor_of
from ..autograd.grad_mode import grad_enabled as _grad_on
from ._blas_sum import MIN_SIZE as BLAS_MIN
from ._blas_sum import blas_sum
from ._common import float_input, float_rule, kept_dims, to_tensor
from ._shape_utils import (
    inverse_perm,
    keepdim_of,
    normalize_dim,
    quick_dims,
    reduced_count,
    reduced_shape,
    reduction_dims,
    shape_arg,
)
from .binary import where
from .unary import exp

_add_reduce = np.add.reduce
_mul_reduce = np.multiply.reduce


class Sum(Primitive):
    _ctx_slots = ("in_shape", "dims", "keepdim")

    @staticmethod
    def forward(ctx: Any, x: Any, dims: Any, keepdim: bool = False, dtype: Any = None) -> Any:
        ctx.in_shape = x.shape
        ctx.dims = dims
        ctx.keepdim = keepdim
        if type(x) is ndarray:  # ndarray.sum without its Python wrapper: the same reduction
            if dtype is None and x.size >= BLAS_MIN:
                s = blas_sum(x, dims, keepdim)
                if s is not None:
                    return s
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
        shape, dims = ctx.in_shape, ctx.dims
        # the view over the input's shape can be made at once (g's strides on the kept dims,
        # 0 on the reduced ones: no reshape, no broadcast checks) when g is a NumPy array of
        # the reduced shape's rank; dividing by count keeps that, and makes it contiguous
        viewable = type(g) is ndarray and dims is not None and g.ndim and g.ndim == (
            len(shape) if ctx.keepdim else len(shape) - len(dims))
        if viewable and count is None and g.flags.c_contiguous:
            return _tensor_of(_spread_view(g, shape, dims, ctx.keepdim))
        e = _one_value(g)
        if e is not None:
            return _tensor_of(_backend.broadcast_scalar(e if count is None else e / count,
                                                        ctx.in_shape))
        if count is not None:
            g = _as_array(g / count)  # a 0-d result comes back as a scalar
        if viewable and g.flags.c_contiguous:
            return _tensor_of(_spread_view(g, shape, dims, ctx.keepdim))
        if not ctx.keepdim and dims is not None and g.ndim:
            g = g.reshape(reduced_shape(shape, dims))
        return _tensor_of(_backend.broadcast_to(g, shape))
    if not ctx.keepdim:
        grad = grad.reshape(reduced_shape(ctx.in_shape, ctx.dims))
    return (grad if count is None else grad / count).broadcast_to(ctx.in_shape)


def _spread_view(g: Any, shape: tuple, dims: tuple, keepdim: bool) -> Any:
    """A read-only view of the C-contiguous ``g`` over ``shape``: g's strides on the kept
    dims, 0 on the reduced ``dims`` (what broadcast_to would give, without its checks)."""
    gs = g.strides
    if len(shape) == 2 and len(dims) == 1 and not keepdim:  # a matrix over one dim
        st = (0, gs[0]) if dims[0] == 0 else (gs[0], 0)
    elif keepdim:
        st = tuple([0 if i in dims else gs[i] for i in range(len(shape))])
    else:
        it = iter(gs)
        st = tuple([0 if i in dims else next(it) for i in range(len(shape))])
    v = ndarray(shape, g.dtype, g, 0, st)
    v.flags.writeable = False
    return v


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
        dims = quick_dims(dim, input._data.ndim)
        if dims is not False:  # keepdim False: one positional parameter, no keywords
            return Sum.apply(input, dims=dims, keepdim=True, dtype=None) if keepdim else \
                _apply_one(Sum, input, dims)
    input = to_tensor(input)
    dims = reduction_dims("sum", input.ndim, dim, axis)
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
        dims = quick_dims(dim, input._data.ndim)
        if dims is not False:  # Mean's forward counts the reduced elements itself
            op = MeanAll if dims is None else Mean
            return op.apply(input, dims=dims, keepdim=True) if keepdim else \
                _apply_one(op, input, dims)
    input = to_tensor(input)
    if input._data.dtype.kind not in "fc" and dtype is None:
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {input._data.dtype}. Hint: call .float() first.")
    dims = reduction_dims("mean", input.ndim, dim, axis)
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
    def forward(ctx: Any, x: Any, dims: Any, keepdim: bool = False, count: int = 0) -> Any:
        if not count:  # _apply_one passes dims alone: the count of the reduced elements
            count = x.size if dims is None else reduced_count(x.shape, dims)
        ctx.in_shape, ctx.dims, ctx.keepdim, ctx.count = x.shape, dims, keepdim, count
        s = None if x.size < BLAS_MIN else blas_sum(x, dims, keepdim)
        if s is None:
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
    def forward(ctx: Any, x: Any, dims: Any, keepdim: bool = False, dtype: Any = None) -> Any:
        ctx.save_inputs(0)
        ctx.save_outputs(0)
        ctx.dims, ctx.keepdim = dims, keepdim
        if type(x) is ndarray:  # ndarray.prod without its Python wrapper: the same reduction
            return _mul_reduce(x, dims, dtype, None, keepdim)
        return x.prod(axis=dims, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        a, ya = ctx.saved_arrays()
        g = grad._data
        if float_rule(a, g) and _no_zero_factor(a, ya):
            g = g * ya  # small: the reduced shape
            if not ctx.keepdim:
                g = g.reshape(reduced_shape(a.shape, ctx.dims))
            return _tensor_of(g / a)  # (g * y) / x
        x, y = ctx.saved_tensors
        if not ctx.keepdim:
            shape = reduced_shape(x.shape, ctx.dims)
            grad, y = grad.reshape(shape), y.reshape(shape)
        if _no_zero_factor(x._data, y._data):
            return grad * y / x  # exact (at every order) while no factor is zero
        return grad * _prod_of_others(x, ctx.dims)


def _no_zero_factor(a: Any, ya: Any) -> bool:
    """No factor of the array ``a`` is 0. A zero makes its product 0 or NaN, so a product
    ``ya`` with neither answers from the (small) result alone, without a pass over ``a``."""
    # count_nonzero counts NaN as nonzero, so NaN is counted apart, as ya != ya (C calls, not
    # the Python wrappers of count_nonzero or any; a reduce costs 1 us even on 2 elements, a
    # dot of ya with itself warns when it overflows)
    count = counter(ya)
    if ya.dtype.kind in "fc" and count(ya) == ya.size and not count(ya != ya):
        return True
    return not count(a == 0)


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
    return others.permute(inverse_perm(perm))


def prod(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
         axis: Any = None, keepdims: bool | None = None) -> Tensor:
    """Product over ``dim`` (all dims when None); gradients are right where factors are 0."""
    if type(input) is Tensor and dtype is None and axis is None and keepdims is None and \
            input._data.dtype.kind == "f":  # the common call, unchecked
        dims = quick_dims(dim, input._data.ndim)
        if dims is not False:
            return Prod.apply(input, dims=dims, keepdim=True, dtype=None) if keepdim else \
                _apply_one(Prod, input, dims)
    input = to_tensor(input)
    dims = reduction_dims("prod", input._data.ndim, dim, axis)
    return Prod.apply(input, dims=dims, keepdim=keepdim_of(keepdim, keepdims),
                      dtype=_int_accumulator(input, dtype))


def _int_accumulator(x: Tensor, dtype: Any) -> Any:
    d = _dtypes.to_dtype(dtype)
    if d is None and x._data.dtype.kind in "biu":
        return _dtypes.int64  # PyTorch accumulates bools and ints as int64
    return d


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
    dims = reduction_dims("logsumexp", x._data.ndim, dim, axis)
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


__all__ = ["sum", "mean", "sum_to_size", "prod", "logsumexp", "cumsum"]
