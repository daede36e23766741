"""Reductions: sum mean sum_to_size (more in this family: prod max min var std logsumexp ...).

Rules return output-shaped gradients expanded back with ``broadcast_to``; the engine and
``sum_to_size`` take care of the rest.
"""

from __future__ import annotations

from typing import Any

from .. import _dtypes
from .._backend import array_module
from .._errors import shape_error
from .._tensor import Tensor
from ..autograd.function import Primitive
from ._common import to_tensor
from ._shape_utils import keepdim_of, normalize_dims, reduced_shape, shape_arg


class Sum(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any, dims: Any, keepdim: bool, dtype: Any) -> Any:
        ctx.in_shape = x.shape
        ctx.dims = dims
        ctx.keepdim = keepdim
        return x.sum(axis=dims, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        if not ctx.keepdim:
            grad = grad.reshape(reduced_shape(ctx.in_shape, ctx.dims))
        return grad.broadcast_to(ctx.in_shape)


class SumToSize(Primitive):
    """Sum broadcast dims away so the result has ``shape`` (inverse of broadcast_to)."""

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
    """Arithmetic mean over ``dim`` (composite: sum / count)."""
    input = to_tensor(input)
    if input._data.dtype.kind not in "fc" and dtype is None:
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {input._data.dtype}. Hint: call .float() first.")
    dims = normalize_dims("mean", input.ndim, dim, axis)
    shape = input.shape
    count = 1
    for i in (range(len(shape)) if dims is None else dims):
        count *= shape[i]
    s = sum(input, dims, keepdim_of(keepdim, keepdims), dtype=dtype)
    return s / count if count else s * float("nan")


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


__all__ = ["sum", "mean", "sum_to_size"]
