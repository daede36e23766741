"""Join and split: cat/concatenate stack split chunk unbind pad (split is one multi-output node).

pad joins a border to a tensor: 'constant' is one primitive, the other modes gather indices.
"""

from __future__ import annotations

from typing import Any, Sequence

from .._backend import array_module
from .._errors import shape_error
from .._tensor import Tensor
from ..autograd.function import Primitive
from ..autograd.grad_mode import grad_enabled as _grad_on
from ._common import to_tensor
from ._shape_utils import normalize_dim
from .binary import CATEGORY


class Cat(Primitive):
    _ctx_slots = ("dim", "sizes")

    @staticmethod
    def forward(ctx: Any, *xs: Any, dim: int) -> Any:
        ctx.dim = dim
        ctx.sizes = [x.shape[dim] for x in xs]
        return array_module(xs[0]).concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        return split(grad, ctx.sizes, ctx.dim)


class Split(Primitive):
    """One node, several outputs: the gradient of each piece goes back to its slice."""

    _ctx_slots = ("dim",)
    _view = True  # the output may share the input's memory (and version counter)

    _node_name = "SplitWithSizesBackward0"

    @staticmethod
    def forward(ctx: Any, x: Any, sizes: tuple, dim: int) -> Any:
        ctx.dim = dim
        idx = []
        acc = 0
        for s in sizes[:-1]:
            acc += s
            idx.append(acc)
        return tuple(array_module(x).split(x, idx, axis=dim))

    @staticmethod
    def backward(ctx: Any, *grads: Tensor) -> Tensor:
        return cat(list(grads), ctx.dim)


def cat(tensors: Sequence[Any], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join tensors along an existing dim. Like PyTorch, 1-D empty tensors (shape (0,)) join any
    shape: they only take part in the dtype promotion."""
    if axis is not None:
        dim = axis
    ts = [to_tensor(t) for t in tensors]
    if not ts:
        raise RuntimeError("cat: expected a non-empty list of Tensors")
    for i, t in enumerate(ts):
        if t.ndim == 0:
            raise RuntimeError(f"cat: zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated. Hint: use stack, or unsqueeze first")
    r = next((i for i, t in enumerate(ts) if t.shape != (0,)), 0)  # the reference tensor
    ref = ts[r].shape
    nd = len(ref)
    d = normalize_dim("cat", nd, dim) if r or ref != (0,) else 0
    empty = ref[:d] + (0,) + ref[d + 1:]
    for i, t in enumerate(ts):
        s = t.shape
        if s == (0,) and s != ref:
            ts[i] = t.reshape(empty)  # keeps the empty tensor in the graph: its grad is (0,)
        elif len(s) != nd or s[:d] + s[d + 1:] != ref[:d] + ref[d + 1:]:
            raise shape_error("cat", f"Sizes of tensors must match except in dimension {d}: "
                              f"tensor {r} has shape {ref}, tensor {i} has shape {s}",
                              hint="make every other dim equal, or concatenate along another dim")
    xp = array_module(ts[0]._data)
    dtype = _joined_dtype(xp, [t._data.dtype for t in ts])
    ts = [t if t._data.dtype == dtype else t.to(dtype) for t in ts]
    return Cat.apply(*ts, dim=d)


def _joined_dtype(xp: Any, dtypes: list) -> Any:
    """PyTorch's result type of a join: the highest category (bool < int < float < complex)
    decides and only its dtypes promote (float32 with int64 is float32; NumPy says float64);
    a complex join promotes with the floats too (float64 with complex64 is complex128)."""
    rank = [CATEGORY.get(d.kind, 3) for d in dtypes]
    top = max(rank)
    return xp.result_type(*[d for d, r in zip(dtypes, rank, strict=True) if r >= min(top, 2)])


def stack(tensors: Sequence[Any], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join same-shaped tensors along a new dim (composite: unsqueeze + cat)."""
    if axis is not None:
        dim = axis
    ts = [to_tensor(t) for t in tensors]
    if not ts:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, t in enumerate(ts):
        if t.shape != ts[0].shape:
            raise shape_error("stack", f"expects each tensor to be equal size, but got "
                              f"{ts[0].shape} at entry 0 and {t.shape} at entry {i}",
                              hint="reshape or pad the tensors to one shape first")
    nd = ts[0].ndim + 1
    if not -nd <= dim < nd:
        raise IndexError(f"stack: Dimension out of range (expected to be in range of "
                         f"[{-nd}, {nd - 1}], but got {dim})")
    d = dim % nd
    parts = [t.unsqueeze(d) for t in ts]
    if len(parts) == 1:
        return parts[0]
    return cat(parts, d)


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple:
    """Pieces of ``split_size`` along ``dim`` (last may be smaller), or of the listed sizes."""
    tensor = to_tensor(tensor)
    d = normalize_dim("split", tensor.ndim, dim)
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0:
            raise RuntimeError(f"split: split_size must be positive, got {size}")
        sizes = [size] * (n // size) + ([n % size] if n % size else [])
        if not sizes:
            sizes = [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n:
            raise shape_error("split", f"split_with_sizes expects split_sizes to sum exactly to "
                              f"{n} (input tensor's size at dimension {d}), but got "
                              f"split_sizes={sizes}", hint="make the sizes add up to that dim")
    if len(sizes) == 1:  # a new view, as PyTorch's (not the input itself)
        return (tensor.view(tensor.shape) if tensor._rg and _grad_on() else tensor,)
    return Split.apply(tensor, sizes=tuple(sizes), dim=d)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """``chunks`` nearly equal pieces along ``dim`` (PyTorch's sizing: ceil)."""
    input = to_tensor(input)
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0")
    n = input.shape[normalize_dim("chunk", input.ndim, dim)]
    size = max(-(-n // chunks), 1)
    return split(input, size, dim)


def unbind(input: Tensor, dim: int = 0) -> tuple:
    """The slices along ``dim``, each without that dim."""
    input = to_tensor(input)
    d = normalize_dim("unbind", input.ndim, dim)
    parts = split(input, 1, d)
    return tuple(p.squeeze(d) for p in parts)


class Pad(Primitive):
    """Constant padding; a negative pad crops. The rule is the inverse pad (with zeros)."""

    _ctx_slots = ("pads",)

    _node_name = "ConstantPadNdBackward0"

    @staticmethod
    def forward(ctx: Any, x: Any, pads: tuple, value: Any) -> Any:
        ctx.pads = pads
        xp = array_module(x)
        lead = x.ndim - len(pads)
        shape = x.shape[:lead] + tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[lead:], pads))
        out = xp.full(shape, value, dtype=x.dtype)
        src = [slice(None)] * lead
        dst = [slice(None)] * lead
        for n, (lo, hi) in zip(x.shape[lead:], pads):
            a, b = max(-lo, 0), n - max(-hi, 0)
            src.append(slice(a, max(a, b)))
            dst.append(slice(max(lo, 0), max(lo, 0) + max(b - a, 0)))
        out[tuple(dst)] = x[tuple(src)]
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return Pad.apply(grad, pads=tuple((-lo, -hi) for lo, hi in ctx.pads), value=0)


def _pad_index(xp: Any, n: int, lo: int, hi: int, mode: str) -> Any:
    idx = xp.arange(-lo, n + hi)
    if mode == "replicate":
        return xp.clip(idx, 0, n - 1)
    if mode == "circular":
        return idx % n
    period = 2 * (n - 1)  # reflect: mirror without repeating the edge
    m = xp.abs(idx) % period if period else xp.zeros_like(idx)
    return xp.where(m >= n, period - m, m)


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None
        ) -> Tensor:
    """PyTorch's ``F.pad``: ``pad`` lists (left, right) sizes from the last dim backwards."""
    input = to_tensor(input)
    pad = [int(p) for p in pad]
    shape = input.shape
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise shape_error("pad", f"padding length {len(pad)} must be even and at most twice the "
                          f"{input.ndim} dims of a tensor of shape {shape}",
                          hint="give (left, right) pairs, last dim first")
    k = len(pad) // 2
    pads = tuple((pad[2 * i], pad[2 * i + 1]) for i in range(k))[::-1]  # first padded dim first
    lead = input.ndim - k
    for n, (lo, hi) in zip(shape[lead:], pads):
        if n + lo + hi < 0:
            raise shape_error("pad", f"pads {tuple(pad)} shrink a dim of size {n} below 0 "
                              f"(tensor of shape {shape})", hint="use smaller negative pads")
    if mode == "constant":
        return Pad.apply(input, pads=pads, value=0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise ValueError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', "
                         f"got {mode!r}.")
    if value:
        raise ValueError(f"pad: padding mode {mode!r} doesn't take in value argument.")
    xp = array_module(input._data)
    out = input
    for j, (n, (lo, hi)) in enumerate(zip(shape[lead:], pads)):
        if lo < 0 or hi < 0 or (mode == "reflect" and (lo >= n or hi >= n)) or (
                mode != "reflect" and n == 0) or (mode == "circular" and (lo > n or hi > n)):
            raise shape_error("pad", f"{mode} padding {(lo, hi)} is invalid for dim {lead + j} of "
                              f"size {n} (tensor of shape {shape})",
                              hint="pads must be >= 0 and smaller than the dim (reflect)")
        if lo or hi:
            out = out[(slice(None),) * (lead + j) + (_pad_index(xp, n, lo, hi, mode),)]
    return out


concatenate = concat = cat

__all__ = ["cat", "concatenate", "concat", "stack", "split", "chunk", "unbind", "pad"]
