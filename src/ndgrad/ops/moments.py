"""Moments: ``var`` and ``std`` over dims, one primitive each (PyTorch's correction / NumPy's
ddof), with array-only rules when no graph is built."""

from __future__ import annotations

from typing import Any

from .._backend import array_module, ndarray, np
from .._tensor import Tensor
from ..autograd.function import Primitive, _apply_one, _tensor_of
from ..autograd.grad_mode import grad_enabled as _grad_on
from ._common import to_tensor
from ._shape_utils import keepdim_of, quick_dims, reduced_count, reduced_shape, reduction_dims
from .binary import where

_INF = float("inf")
_F32, _F64 = np.dtype("float32"), np.dtype("float64")
_add_reduce = np.add.reduce
# NumPy's einsum without its Python wrapper (which only dispatches on ``optimize``). Not
# public API, so looked up softly.
_einsum = getattr(getattr(getattr(np, "_core", None), "multiarray", None), "c_einsum", None) \
    or np.einsum
_vecdot = getattr(np, "vecdot", None)  # NumPy >= 2
# BLAS dot sums in a few SIMD lanes, not in pairwise blocks: within about an ulp of
# add.reduce up to this many float32 terms per sum (20 ulp at 2**20); longer sums keep
# add.reduce. Also linalg's 2-norm.
_DOT_MAX = 1 << 16


def _rowdot(a: Any) -> Any:
    """``sum(a * a, axis=-1)`` of a C-contiguous 2-D array: a BLAS dot per row, as accurate as
    add.reduce's pairwise sum (to _DOT_MAX terms) and 2-3x faster, without an ``a * a``."""
    if _vecdot is not None:
        return _vecdot(a, a)
    return np.matmul(a[:, None, :], a[:, :, None]).reshape(a.shape[0])  # the same dots


class Var(Primitive):
    """sum((x - mean)^2) / (N - correction) over ``dims``."""

    _ctx_slots = ("dims", "keepdim", "scale", "mean")

    @staticmethod
    def forward(ctx: Any, x: Any, dims: Any, keepdim: bool = False, correction: Any = 1) -> Any:
        ctx.save_inputs(0)
        ctx.dims, ctx.keepdim = dims, keepdim
        nd = x.ndim
        k = nd if dims is None else len(dims)  # how many dims are reduced
        n = x.size if dims is None else x.shape[dims[0]] if k == 1 else \
            reduced_count(x.shape, dims)
        denom = n - correction if n > correction else 0
        ctx.scale = scale = 1.0 / denom if denom else _INF  # 0 dof: nan/inf as PyTorch
        if not n:  # nothing to centre: 0 * inf, nan as PyTorch
            ctx.mean = None
            return x.sum(axis=dims, keepdims=keepdim) * scale
        # the mean (keepdim-shaped, small) is kept: the array rule re-centres x with it
        plain = type(x) is ndarray and (x.dtype is _F32 or x.dtype is _F64)
        if plain and n <= _DOT_MAX and (dims is None or dims[0] == nd - k) and \
                x.flags.c_contiguous:
            # the trailing dims of a C-contiguous array: rows of a 2-D view, summed by einsum
            # (the mean only centres x: its last ulp does not reach the variance) and BLAS dots
            lead = x.shape[:nd - k]
            rows = x.reshape(-1, n)
            m = _einsum("ij->i", rows)
            m /= n
            d = rows - m[:, None]
            ctx.mean = m.reshape(lead + (1,) * k)
            out = _rowdot(d)
            out *= scale
            return out.reshape(ctx.mean.shape if keepdim else lead)
        # plain: ndarray.mean and .sum without their Python wrappers, the same reductions
        ctx.mean = m = _add_reduce(x, dims, None, None, True) / n if plain else \
            x.mean(axis=dims, keepdims=True)
        d = x - m
        if d.dtype.kind == "c":  # |x - mean|^2, real (PyTorch's and NumPy's complex variance)
            d = d.real * d.real + d.imag * d.imag
        else:
            d *= d
        s = _add_reduce(d, dims, None, None, keepdim) if plain else \
            d.sum(axis=dims, keepdims=keepdim)
        return s * scale

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        if not _grad_on():
            (a,) = ctx.saved_arrays()
            g = _kept(ctx, a, grad._data)
            if g is not None:  # (x - mean) * (2 * scale * g): the small factor first
                d = a - ctx.mean
                d *= g * (2 * ctx.scale)
                return _tensor_of(d)
        (x,) = ctx.saved_tensors
        if not ctx.keepdim:
            grad = grad.reshape(reduced_shape(x.shape, ctx.dims))
        return (x - x.mean(ctx.dims, keepdim=True)) * (grad * (2 * ctx.scale))


def _kept(ctx: Any, a: Any, g: Any) -> Any:
    """The gradient ``g`` of var or std, shaped to broadcast against the input ``a`` (a 0-d
    one as it is), for the array rules; None where they do not apply (0-d, empty, non-float
    or mixed-dtype inputs: the Tensor rule)."""
    if not a.ndim or ctx.mean is None or a.dtype.kind != "f" or g.dtype is not a.dtype:
        return None
    if ctx.keepdim or not g.ndim:
        return g
    return g.reshape(ctx.mean.shape)


class Std(Primitive):
    """sqrt(var); where the std is 0 the gradient is 0 (PyTorch's choice)."""

    _ctx_slots = Var._ctx_slots  # its forward is Var's

    @staticmethod
    def forward(ctx: Any, x: Any, dims: Any, keepdim: bool = False, correction: Any = 1) -> Any:
        out = Var.forward(ctx, x, dims, keepdim, correction)
        ctx.save_outputs(0)
        if type(out) is ndarray and out.ndim:
            return np.sqrt(out, out=out)  # var's result is fresh: no second array
        return array_module(x).sqrt(out)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        if not _grad_on():
            a, ya = ctx.saved_arrays()
            g = _kept(ctx, a, grad._data)
            if g is not None:  # (x - mean) * (g / std * scale): the small factor first
                if g.ndim and not ctx.keepdim:
                    ya = ya.reshape(g.shape)
                f = g / array_module(ya).where(ya == 0, _INF, ya)  # std 0: gradient 0, as PyTorch
                f *= ctx.scale
                d = a - ctx.mean
                d *= f
                return _tensor_of(d)
        x, y = ctx.saved_tensors
        if not ctx.keepdim:
            shape = reduced_shape(x.shape, ctx.dims)
            grad, y = grad.reshape(shape), y.reshape(shape)
        y = where(y == 0, float("inf"), y)
        return (x - x.mean(ctx.dims, keepdim=True)) * (grad / y * ctx.scale)


def _moments(op: str, cls: Any, input: Any, dim: Any, unbiased: Any, keepdim: bool,
             correction: Any, axis: Any, keepdims: Any, ddof: Any) -> Tensor:
    if type(input) is Tensor and unbiased is None and correction is None and axis is None and \
            keepdims is None and ddof is None and input._data.dtype.kind == "f":
        # the common call (one int dim or none, default correction), without the argument
        # checks and, for keepdim False, without apply's keyword packing
        dims = quick_dims(dim, input._data.ndim)
        if dims is not False:
            if keepdim:
                return cls.apply(input, dims=dims, keepdim=True, correction=1)
            return _apply_one(cls, input, dims)
    x = to_tensor(input)
    if x._data.dtype.kind not in "fc":
        raise RuntimeError(f"{op}(): std and var only support floating point and complex "
                           f"dtypes, got {x._data.dtype}. Hint: call .float() first.")
    if isinstance(dim, bool):  # var(x, True): PyTorch's (input, unbiased) overload
        dim, unbiased = None, dim
    c = ddof if ddof is not None else correction if correction is not None else (
        1 if unbiased is None else int(bool(unbiased)))
    dims = reduction_dims(op, x._data.ndim, dim, axis)
    return cls.apply(x, dims=dims, keepdim=keepdim_of(keepdim, keepdims), correction=c)


def var(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False,
        *, correction: Any = None, axis: Any = None, keepdims: bool | None = None,
        ddof: Any = None) -> Tensor:
    """Variance over ``dim``; ``correction`` (default 1, Bessel) or NumPy's ``ddof``."""
    return _moments("var", Var, input, dim, unbiased, keepdim, correction, axis, keepdims, ddof)


def std(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False,
        *, correction: Any = None, axis: Any = None, keepdims: bool | None = None,
        ddof: Any = None) -> Tensor:
    """Standard deviation over ``dim``; same arguments as ``var``."""
    return _moments("std", Std, input, dim, unbiased, keepdim, correction, axis, keepdims, ddof)


__all__ = ["var", "std"]
