"""Moments: ``var`` and ``std`` over dims, one primitive each (PyTorch's correction / NumPy's
ddof), with array-only rules when no graph is built."""

from __future__ import annotations

from typing import Any

from .._backend import array_module
from .._tensor import Tensor
from ..autograd.function import Primitive, _tensor_of
from ..autograd.grad_mode import grad_enabled as _grad_on
from ._common import kept_dims, to_tensor
from ._shape_utils import keepdim_of, normalize_dims, reduced_count, reduced_shape
from .binary import where

_INF = float("inf")


class Var(Primitive):
    """sum((x - mean)^2) / (N - correction) over ``dims``."""

    _ctx_slots = ("dims", "keepdim", "scale", "mean")

    @staticmethod
    def forward(ctx: Any, x: Any, dims: Any, keepdim: bool, correction: Any) -> Any:
        ctx.save_inputs(0)
        ctx.dims, ctx.keepdim = dims, keepdim
        n = reduced_count(x.shape, dims)
        denom = n - correction if n > correction else 0
        ctx.scale = 1.0 / denom if denom else float("inf")  # 0 dof: nan/inf as PyTorch
        # the mean (reduced-shape, small) is kept: the array rule re-centres x with it
        ctx.mean = m = x.mean(axis=dims, keepdims=True) if n else None
        d = x - m if n else x.copy()
        d *= d
        return d.sum(axis=dims, keepdims=keepdim) * ctx.scale

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        d = _centred(x, grad, ctx.mean)
        if d is not None:
            (g,) = kept_dims(ctx, x.shape, grad._data)
            d *= g * (2 * ctx.scale)
            return _tensor_of(d)
        if not ctx.keepdim:
            grad = grad.reshape(reduced_shape(x.shape, ctx.dims))
        return (x - x.mean(ctx.dims, keepdim=True)) * (grad * (2 * ctx.scale))


def _centred(x: Tensor, grad: Tensor, mean: Any) -> Any:
    """``x - mean`` (the forward's mean over the reduced dims) as a fresh array, to be scaled
    in place by the (small) keepdim-shaped factor: the no-graph path of var's and std's
    rules. None when a graph is being built (or for 0-d, empty, non-float or mixed-dtype
    inputs)."""
    a, g = x._data, grad._data
    if _grad_on() or not a.ndim or not a.size or a.dtype.kind != "f" or g.dtype is not a.dtype:
        return None
    return a - mean


class Std(Primitive):
    """sqrt(var); where the std is 0 the gradient is 0 (PyTorch's choice)."""

    _ctx_slots = Var._ctx_slots  # its forward is Var's

    @staticmethod
    def forward(ctx: Any, x: Any, dims: Any, keepdim: bool, correction: Any) -> Any:
        out = array_module(x).sqrt(Var.forward(ctx, x, dims, keepdim, correction))
        ctx.save_outputs(0)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        x, y = ctx.saved_tensors
        d = _centred(x, grad, ctx.mean)
        if d is not None:
            g, ya = kept_dims(ctx, x.shape, grad._data, y._data)
            ya = array_module(ya).where(ya == 0, _INF, ya)  # std 0: gradient 0, as PyTorch
            d *= g / ya * ctx.scale
            return _tensor_of(d)
        if not ctx.keepdim:
            shape = reduced_shape(x.shape, ctx.dims)
            grad, y = grad.reshape(shape), y.reshape(shape)
        y = where(y == 0, float("inf"), y)
        return (x - x.mean(ctx.dims, keepdim=True)) * (grad / y * ctx.scale)


def _moments(op: str, cls: Any, input: Any, dim: Any, unbiased: Any, keepdim: bool,
             correction: Any, axis: Any, keepdims: Any, ddof: Any) -> Tensor:
    x = to_tensor(input)
    if x._data.dtype.kind not in "fc":
        raise RuntimeError(f"{op}(): std and var only support floating point and complex "
                           f"dtypes, got {x._data.dtype}. Hint: call .float() first.")
    if isinstance(dim, bool):  # var(x, True): PyTorch's (input, unbiased) overload
        dim, unbiased = None, dim
    c = ddof if ddof is not None else correction if correction is not None else (
        1 if unbiased is None else int(bool(unbiased)))
    dims = normalize_dims(op, x._data.ndim, dim, axis)
    if x._data.ndim == 0:
        dims = None
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
