"""Indexing: getitem (basic, advanced, boolean) and index_put (``t[idx] = v``).

The gradient of getitem scatters back with add (repeated indices accumulate); the gradient
of index_put splits between the tensor (zero at idx) and the value (grad at idx).
"""

from __future__ import annotations

from typing import Any

from .._backend import array_module
from .._tensor import Tensor
from ..autograd.function import Primitive
from ._common import to_tensor


def _norm_index(index: Any) -> Any:
    """Tensors inside an index become their arrays."""
    if isinstance(index, Tensor):
        return index._data
    if isinstance(index, tuple):
        return tuple(i._data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list) and any(isinstance(i, Tensor) for i in index):
        return [i._data if isinstance(i, Tensor) else i for i in index]
    return index


def _is_basic(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, slice)) and not isinstance(i, bool)
               for i in items)


class GetItem(Primitive):
    _node_name = "IndexBackward0"

    @staticmethod
    def forward(ctx: Any, x: Any, index: Any) -> Any:
        ctx.index = index
        ctx.in_shape = x.shape
        return x[index]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return IndexAdd.apply(grad, index=ctx.index, shape=ctx.in_shape)


class IndexAdd(Primitive):
    """zeros(shape) with ``grad`` added at ``index`` (the adjoint of getitem)."""

    _node_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx: Any, g: Any, index: Any, shape: tuple) -> Any:
        ctx.index = index
        xp = array_module(g)
        out = xp.zeros(shape, dtype=g.dtype)
        if _is_basic(index):
            out[index] = g
        else:
            xp.add.at(out, index, g)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return GetItem.apply(grad, index=ctx.index)


class IndexPut(Primitive):
    """A copy of x with ``x[index] = v`` (v broadcast to the indexed shape)."""

    @staticmethod
    def forward(ctx: Any, x: Any, v: Any, index: Any) -> Any:
        ctx.index = index
        ctx.v_shape = v.shape
        out = x.copy()
        out[index] = v
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        n = ctx.needs_input_grad
        gx = gv = None
        if n[0]:
            gx = IndexPut.apply(grad, Tensor._make(_zero_like_scalar(grad)), index=ctx.index)
        if n[1]:
            gv = GetItem.apply(grad, index=ctx.index)
        return gx, gv


def _zero_like_scalar(t: Tensor) -> Any:
    return array_module(t._data).zeros((), dtype=t._data.dtype)


def getitem(input: Tensor, index: Any) -> Tensor:
    """``input[index]``: basic, advanced (integer arrays) and boolean indexing, as NumPy."""
    idx = _norm_index(index)
    try:
        return GetItem.apply(input, index=idx)
    except IndexError as e:
        raise IndexError(f"getitem: {e} (tensor of shape {input.shape}, index {index!r})") from None


def index_put(input: Tensor, index: Any, value: Any) -> Tensor:
    """A new tensor equal to ``input`` with ``[index] = value``; differentiable in both."""
    idx = _norm_index(index)
    v = to_tensor(value, input)
    if v._data.dtype != input._data.dtype:
        v = v.to(input.dtype)
    return IndexPut.apply(input, v, index=idx)


__all__ = ["getitem", "index_put"]
