"""Indexing: getitem (basic, advanced, boolean), index_put (``t[idx] = v``) and the gathers
built on them: take gather index_select masked_fill masked_select scatter scatter_add.

The gradient of getitem scatters back with add (repeated indices accumulate); the gradient
of index_put splits between the tensor (zero at idx) and the value (grad at idx). New gathers
are composites: build a NumPy index and call ``getitem``/``index_add_at``.
"""

from __future__ import annotations

from typing import Any

from .._backend import array_module, ndarray
from .._errors import shape_error
from .._tensor import Tensor
from ..autograd.function import Primitive
from ._common import to_tensor
from ._shape_utils import normalize_dim
from .binary import where

_BASIC = (int, slice, type(None), type(Ellipsis))


def _idx_array(i: Any) -> Any:
    a = i._data
    if a.dtype.kind not in "iub":
        raise IndexError(f"tensors used as indices must be long, int, byte or bool tensors, "
                         f"got {a.dtype}")
    return a


def _norm_index(index: Any) -> Any:
    """Tensors inside an index become their (integer or bool) arrays."""
    if type(index) in _BASIC:
        return index
    if isinstance(index, Tensor):
        return _idx_array(index)
    if isinstance(index, tuple):
        return tuple(_idx_array(i) if isinstance(i, Tensor) else
                     _norm_list(i) if isinstance(i, list) else i for i in index)
    if isinstance(index, list):
        return _norm_list(index)
    return index


def _norm_list(index: list) -> Any:
    if any(isinstance(i, Tensor) for i in index):
        return [_idx_array(i) if isinstance(i, Tensor) else i for i in index]
    return index


def _is_basic(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(type(i) in _BASIC for i in items)


def _no_repeats(index: Any) -> bool:
    """Basic indexing and a lone boolean mask select each element at most once."""
    return _is_basic(index) or (isinstance(index, ndarray) and index.dtype.kind == "b")


class GetItem(Primitive):
    _ctx_slots = ("index", "in_shape")
    _view = True  # the output may share the input's memory (and version counter)
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

    _ctx_slots = ("index",)

    _node_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx: Any, g: Any, index: Any, shape: tuple) -> Any:
        ctx.index = index
        xp = array_module(g)
        out = xp.zeros(shape, dtype=g.dtype)
        if _no_repeats(index):
            out[index] = g
        else:  # repeated indices accumulate
            xp.add.at(out, index, g)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return GetItem.apply(grad, index=ctx.index)


class IndexPut(Primitive):
    """A copy of x with ``x[index] = v`` (v broadcast to the indexed shape)."""

    _ctx_slots = ("index",)

    @staticmethod
    def forward(ctx: Any, x: Any, v: Any, index: Any) -> Any:
        ctx.index = index
        out = x.copy()
        out[index] = v
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        n = ctx.needs_input_grad
        gx = gv = None
        if n[0]:
            zero = Tensor._make(array_module(grad._data).zeros((), dtype=grad._data.dtype))
            gx = IndexPut.apply(grad, zero, index=ctx.index)
        if n[1]:
            gv = GetItem.apply(grad, index=ctx.index)
        return gx, gv


def _index_error(op: str, e: Exception, shape: tuple, index: Any) -> IndexError:
    return IndexError(f"{op}: {e} (tensor of shape {shape}, index {index!r}). Hint: indices must "
                      "be ints, slices, None, ..., or integer/bool arrays within the shape")


def getitem(input: Tensor, index: Any) -> Tensor:
    """``input[index]``: basic, advanced (integer arrays) and boolean indexing, as NumPy."""
    idx = _norm_index(index)
    if type(idx) is int or (type(idx) is tuple and idx and
                            all(type(i) is int for i in idx) and len(idx) == input.ndim):
        # all dims indexed by ints: NumPy would return a copied scalar; PyTorch a 0-d view
        idx = (idx, Ellipsis) if type(idx) is int else idx + (Ellipsis,)
    try:
        return GetItem.apply(input, index=idx)
    except IndexError as e:
        raise _index_error("getitem", e, input.shape, index) from None


def index_add_at(input: Tensor, index: Any, shape: tuple) -> Tensor:
    """zeros(shape) with ``input`` added at ``index`` (repeats accumulate); getitem's adjoint."""
    try:
        return IndexAdd.apply(to_tensor(input), index=_norm_index(index), shape=tuple(shape))
    except (IndexError, ValueError) as e:
        raise _index_error("index_add_at", e, tuple(shape), index) from None


def index_put(input: Tensor, index: Any, value: Any, accumulate: bool = False) -> Tensor:
    """A new tensor equal to ``input`` with ``[index] = value`` (``+=`` with accumulate)."""
    idx = _norm_index(index)
    v = to_tensor(value, input)
    if v._data.dtype != input._data.dtype:
        v = v.to(input.dtype)
    if accumulate:
        sel = getitem(Tensor._make(input._data), index).shape
        return input + index_add_at(_broadcast(v, sel, "index_put"), idx, input.shape)
    try:
        return IndexPut.apply(input, v, index=idx)
    except IndexError as e:
        raise _index_error("index_put", e, input.shape, index) from None
    except ValueError as e:
        raise shape_error("index_put", f"{e}: value of shape {v.shape} for tensor of shape "
                          f"{input.shape} at index {index!r}",
                          hint="the value must broadcast to the indexed shape") from None


def _broadcast(v: Tensor, shape: tuple, op: str) -> Tensor:
    if v.shape == shape:
        return v
    try:
        return v.broadcast_to(shape)
    except ValueError:
        raise shape_error(op, f"value of shape {v.shape} cannot be broadcast to the indexed "
                          f"shape {shape}", hint="the value must broadcast to it") from None


def _dim_index(input: Tensor, dim: int, index: Any, op: str) -> tuple:
    """The NumPy index picking ``input[..., index[i, j, k], ...]`` at dim (gather/scatter)."""
    ix = to_tensor(index)
    idx = _idx_array(ix)
    nd = input.ndim
    if idx.ndim != nd:
        raise shape_error(op, f"Index tensor must have the same number of dimensions as input "
                          f"tensor: index {idx.shape}, input {input.shape}",
                          hint="reshape the index to the input's ndim")
    d = normalize_dim(op, nd, dim)
    for i, (a, b) in enumerate(zip(idx.shape, input.shape)):
        if i != d and a > b:
            raise shape_error(op, f"Size does not match at dimension {i} expected index "
                              f"{idx.shape} to be smaller than self {input.shape} apart from "
                              f"dimension {d}", hint="shrink the index")
    xp = array_module(idx)
    if idx.size and (idx.max() >= input.shape[d] or idx.min() < -input.shape[d]):
        raise IndexError(f"{op}: index {int(idx.max())} is out of bounds for dimension {d} with "
                         f"size {input.shape[d]} (input {input.shape}, index {idx.shape})")
    return tuple(idx if i == d else
                 xp.arange(s).reshape((-1,) + (1,) * (idx.ndim - 1 - i))
                 for i, s in enumerate(idx.shape))


def gather(input: Tensor, dim: int, index: Any) -> Tensor:
    """``out[i][j] = input[index[i][j]][j]`` for dim=0 (PyTorch's gather)."""
    input = to_tensor(input)
    return GetItem.apply(input, index=_dim_index(input, dim, index, "gather"))


def take_along_dim(input: Tensor, indices: Any, dim: int) -> Tensor:
    """NumPy's ``take_along_axis`` (a gather with broadcasting-free indices)."""
    return gather(input, dim, indices)


def _src_for(src: Any, input: Tensor, index: tuple, op: str) -> Tensor:
    shape = index[0].shape if index else ()
    s = to_tensor(src, input)
    if s._data.dtype != input._data.dtype:
        s = s.to(input.dtype)
    if s.ndim == 0:
        return s.broadcast_to(shape)
    if s.ndim != len(shape) or any(a < b for a, b in zip(s.shape, shape)):
        raise shape_error(op, f"src of shape {s.shape} is smaller than index of shape {shape}",
                          hint="give src at least the index's size in every dim")
    return s if s.shape == shape else s[tuple(slice(0, n) for n in shape)]


def scatter_add(input: Tensor, dim: int, index: Any, src: Any) -> Tensor:
    """``input`` plus ``src`` added at ``index`` along ``dim``; repeated indices accumulate."""
    input = to_tensor(input)
    idx = _dim_index(input, dim, index, "scatter_add")
    s = _src_for(src, input, idx, "scatter_add")
    return input + IndexAdd.apply(s, index=idx, shape=input.shape)


def scatter(input: Tensor, dim: int, index: Any, src: Any = None, *, value: Any = None) -> Tensor:
    """``input`` with ``src`` (or ``value``) written at ``index`` along ``dim``."""
    input = to_tensor(input)
    idx = _dim_index(input, dim, index, "scatter")
    s = _src_for(value if src is None else src, input, idx, "scatter")
    return IndexPut.apply(input, s, index=idx)


def index_select(input: Tensor, dim: int, index: Any) -> Tensor:
    """The slices ``index`` (1-D integers) along ``dim``."""
    input = to_tensor(input)
    idx = _idx_array(to_tensor(index))
    if idx.ndim > 1:
        raise shape_error("index_select", f"index must be 1-D, got shape {idx.shape}",
                          hint="flatten the index")
    d = normalize_dim("index_select", input.ndim, dim)
    return getitem(input, (slice(None),) * d + (idx,))


def take(input: Tensor, index: Any) -> Tensor:
    """Elements of the flattened ``input`` at ``index`` (result has the index's shape)."""
    input = to_tensor(input)
    return getitem(input.reshape(-1), _idx_array(to_tensor(index)))


def masked_fill(input: Tensor, mask: Any, value: Any) -> Tensor:
    """``value`` where ``mask`` is True, else ``input`` (mask broadcasts to input)."""
    input = to_tensor(input)
    m = to_tensor(mask)
    if m._data.dtype.kind != "b":
        raise TypeError(f"masked_fill: expected a bool mask, got {m._data.dtype}. "
                        "Hint: compare first, e.g. t > 0")
    out = where(m, value, input)
    return out if out.shape == input.shape else out.broadcast_to(input.shape)


def masked_select(input: Tensor, mask: Any) -> Tensor:
    """The 1-D tensor of elements where ``mask`` (broadcast with input) is True."""
    input = to_tensor(input)
    m = to_tensor(mask)._data
    xp = array_module(m)
    shape = xp.broadcast_shapes(input.shape, m.shape)
    return getitem(_broadcast(input, shape, "masked_select"), xp.broadcast_to(m, shape))


__all__ = ["getitem", "index_put", "index_add_at", "gather", "take_along_dim", "scatter",
           "scatter_add", "index_select", "take", "masked_fill", "masked_select"]
