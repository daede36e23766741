"""Shape ops: reshape view flatten squeeze unsqueeze permute transpose swapaxes expand repeat
tile repeat_interleave flip roll.

Each rule is the inverse rearrangement of the gradient; repeat/tile compose broadcast + reshape.
"""

from __future__ import annotations

from typing import Any

from .. import _backend
from .._backend import array_module
from .._errors import shape_error
from .._tensor import Tensor
from ..autograd.function import Primitive
from ..autograd.grad_mode import grad_enabled as _grad_on
from ._common import to_tensor
from ._shape_utils import inverse_perm, normalize_dim, normalize_dims, shape_arg


class Reshape(Primitive):
    _ctx_slots = ("in_shape",)
    _view = True  # the output may share the input's memory (and version counter)
    @staticmethod
    def forward(ctx: Any, x: Any, shape: tuple) -> Any:
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad.reshape(ctx.in_shape)


class Permute(Primitive):
    _ctx_slots = ("dims",)
    _view = True  # the output may share the input's memory (and version counter)
    @staticmethod
    def forward(ctx: Any, x: Any, dims: tuple) -> Any:
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad.permute(inverse_perm(ctx.dims))


class BroadcastTo(Primitive):
    _view = True  # the output may share the input's memory (and version counter)
    _node_name = "ExpandBackward0"

    @staticmethod
    def forward(ctx: Any, x: Any, shape: tuple) -> Any:
        return _backend.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad  # the engine sums the broadcast dims back to the input's shape


def _resolve_shape(op: str, numel: int, shape: tuple, in_shape: tuple) -> tuple:
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred, got shape {shape}")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"{op}: invalid shape dimension {s} in {shape}")
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"{op}: shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"{op}: shape '{list(shape)}' is invalid for input of size {numel} "
                           f"(input shape {in_shape}). Hint: the product of the sizes must "
                           f"equal {numel}")
    return shape


def reshape(input: Tensor, *shape: Any) -> Tensor:
    """The same data with a new shape (one size may be -1)."""
    input = to_tensor(input)
    shape = _resolve_shape("reshape", input._data.size, shape_arg(shape), input.shape)
    if shape == input.shape:
        return Reshape.apply(input, shape=shape) if input._rg else input
    return Reshape.apply(input, shape=shape)


def view(input: Tensor, *shape: Any) -> Tensor:
    """PyTorch's ``view``: a reshape that must not copy (PyTorch's error where the strides do
    not allow it; ``reshape`` copies there)."""
    input = to_tensor(input)
    a = input._data
    shape = _resolve_shape("view", a.size, shape_arg(shape), input.shape)
    if a.size > 1 and not a.flags.c_contiguous and not array_module(a).may_share_memory(
            a.reshape(shape), a):  # (a copy never overlaps its source; a view always does)
        raise RuntimeError(f"view size is not compatible with input tensor's size and stride "
                           f"(at least one dimension spans across two contiguous subspaces). "
                           f"Use .reshape(...) instead. (view: shape {input.shape} to {shape})")
    return Reshape.apply(input, shape=shape)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` into one."""
    input = to_tensor(input)
    if input.ndim == 0:
        return reshape(input, (1,))
    s = normalize_dim("flatten", input.ndim, start_dim)
    e = normalize_dim("flatten", input.ndim, end_dim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = input.shape
    n = 1
    for d in shape[s:e + 1]:
        n *= d
    return reshape(input, shape[:s] + (n,) + shape[e + 1:])


def squeeze(input: Tensor, dim: Any = None, *, axis: Any = None) -> Tensor:
    """Drop dims of size 1 (only those in ``dim`` when given)."""
    input = to_tensor(input)
    dims = normalize_dims("squeeze", input.ndim, dim, axis)
    shape = input.shape
    if dims is None:
        new = tuple(s for s in shape if s != 1)
    else:
        new = tuple(s for i, s in enumerate(shape) if not (i in dims and s == 1))
    return Reshape.apply(input, shape=new)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a dim of size 1 at ``dim``."""
    input = to_tensor(input)
    nd = input.ndim + 1
    if not -nd <= dim < nd:
        raise IndexError(f"unsqueeze: Dimension out of range (expected to be in range of "
                         f"[{-nd}, {nd - 1}], but got {dim})")
    dim %= nd
    shape = input.shape
    return Reshape.apply(input, shape=shape[:dim] + (1,) + shape[dim:])


def permute(input: Tensor, *dims: Any) -> Tensor:
    """Reorder dims."""
    input = to_tensor(input)
    dims = shape_arg(dims) if dims else ()
    if sorted(d % max(input.ndim, 1) for d in dims) != list(range(input.ndim)):
        raise shape_error("permute", f"dims {dims} are not a permutation of the "
                          f"{input.ndim} dims of a tensor of shape {input.shape}",
                          hint=f"give each of 0..{input.ndim - 1} once")
    dims = tuple(d % max(input.ndim, 1) for d in dims)
    return Permute.apply(input, dims=dims)


def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:
    """Exchange two dims."""
    input = to_tensor(input)
    nd = input.ndim
    if nd < 2 and axis0 in (0, -1) and axis1 in (0, -1):
        return input
    a = normalize_dim("transpose", nd, axis0)
    b = normalize_dim("transpose", nd, axis1)
    dims = list(range(nd))
    dims[a], dims[b] = dims[b], dims[a]
    return Permute.apply(input, dims=tuple(dims))


def transpose(input: Tensor, dim0: Any = None, dim1: Any = None, *, axes: Any = None) -> Tensor:
    """PyTorch: swap ``dim0`` and ``dim1``; NumPy: ``axes`` (or reverse all dims)."""
    input = to_tensor(input)
    if dim0 is not None and dim1 is not None:
        return swapaxes(input, dim0, dim1)
    if axes is None and dim0 is not None:
        axes = dim0
    if axes is None:
        if input.ndim > 2:
            raise TypeError("transpose: give dim0 and dim1 (PyTorch) or axes (NumPy).")
        axes = tuple(range(input.ndim - 1, -1, -1))
    return permute(input, tuple(axes))


def moveaxis(input: Tensor, source: Any, destination: Any) -> Tensor:
    """Move dims ``source`` to positions ``destination``."""
    input = to_tensor(input)
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    nd = input.ndim
    src = tuple(normalize_dim("moveaxis", nd, s) for s in src)
    dst = tuple(normalize_dim("moveaxis", nd, d) for d in dst)
    order = [d for d in range(nd) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return Permute.apply(input, dims=tuple(order))


def broadcast_to(input: Tensor, shape: Any) -> Tensor:
    """A read-only broadcast view of ``input`` with ``shape`` (NumPy rules)."""
    input = to_tensor(input)
    shape = shape_arg((shape,)) if not isinstance(shape, int) else (shape,)
    src = input.shape
    lead = len(shape) - len(src)
    if lead < 0 or any(s != 1 and s != d for s, d in zip(src, shape[lead:])):
        raise shape_error("broadcast_to", f"cannot broadcast shape {src} to {shape}",
                          hint="each input dim must equal the target's or be 1")
    if shape == src:  # a new view, as PyTorch's (a hook on it must not see the input's grads)
        return input.view(src) if input._rg and _grad_on() else input
    return BroadcastTo.apply(input, shape=shape)


def expand(input: Tensor, *sizes: Any) -> Tensor:
    """PyTorch's ``expand``: broadcast_to where -1 keeps a size."""
    input = to_tensor(input)
    sizes = shape_arg(sizes)
    lead = len(sizes) - input.ndim
    if lead < 0:
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater "
                           f"or equal to the number of dimensions in the tensor ({input.ndim})")
    shape = tuple(input.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return broadcast_to(input, shape)


def _tile_to(op: str, input: Tensor, reps: tuple) -> Tensor:
    """Tile with ``len(reps) >= ndim``: broadcast an interleaved (1, s) layout, then merge."""
    lead = len(reps) - input.ndim
    shape = (1,) * lead + input.shape
    if any(r < 0 for r in reps):
        raise RuntimeError(f"{op}: repeats can not be negative, got {reps}")
    inter = tuple(d for s in shape for d in (1, s))
    big = tuple(d for r, s in zip(reps, shape) for d in (r, s))
    out = broadcast_to(reshape(input, inter), big)
    return reshape(out, tuple(r * s for r, s in zip(reps, shape)))


def repeat(input: Tensor, *sizes: Any) -> Tensor:
    """PyTorch's ``repeat``: tile the tensor ``sizes[i]`` times along each dim."""
    input = to_tensor(input)
    sizes = shape_arg(sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError("repeat: Number of dimensions of repeat dims can not be smaller than "
                           f"number of dimensions of tensor (repeat dims {sizes} for a tensor of "
                           f"shape {input.shape}). Hint: give one size per dim")
    return _tile_to("repeat", input, sizes)


def tile(input: Tensor, dims: Any, *more: int) -> Tensor:
    """NumPy's / PyTorch's ``tile``: like repeat, but missing leading reps count as 1."""
    input = to_tensor(input)
    reps = shape_arg((dims,) + more) if not isinstance(dims, int) or more else (dims,)
    reps = (1,) * (input.ndim - len(reps)) + reps
    return _tile_to("tile", input, reps)


def repeat_interleave(input: Tensor, repeats: Any, dim: int | None = None) -> Tensor:
    """Repeat each element ``repeats`` times along ``dim`` (NumPy's ``repeat``); a gather."""
    input = to_tensor(input)
    if dim is None:
        input, dim = reshape(input, -1), 0
    d = normalize_dim("repeat_interleave", input.ndim, dim)
    xp = array_module(input._data)
    reps = repeats._data if isinstance(repeats, Tensor) else repeats
    idx = xp.repeat(xp.arange(input.shape[d]), reps)
    return input[(slice(None),) * d + (idx,)]


class Flip(Primitive):
    _ctx_slots = ("dims",)
    _view = True  # the output may share the input's memory (and version counter)
    @staticmethod
    def forward(ctx: Any, x: Any, dims: tuple) -> Any:
        ctx.dims = dims
        return array_module(x).flip(x, dims)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return Flip.apply(grad, dims=ctx.dims)


def flip(input: Tensor, dims: Any = None, *more: int) -> Tensor:
    """Reverse the order of elements along ``dims`` (all when None; a view in NumPy)."""
    input = to_tensor(input)
    if dims is None:
        dims = tuple(range(input.ndim))
    elif isinstance(dims, int):
        dims = (dims,) + more
    return Flip.apply(input, dims=normalize_dims("flip", input.ndim, dims) or ())


class Roll(Primitive):
    _ctx_slots = ("shifts", "dims")

    @staticmethod
    def forward(ctx: Any, x: Any, shifts: Any, dims: Any) -> Any:
        ctx.shifts, ctx.dims = shifts, dims
        return array_module(x).roll(x, shifts, dims)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        neg = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return Roll.apply(grad, shifts=neg, dims=ctx.dims)


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Shift elements cyclically along ``dims`` (over the flattened tensor when None)."""
    input = to_tensor(input)
    if dims is None:
        if not isinstance(shifts, int):
            shifts = tuple(shifts)
            if len(shifts) != 1:
                raise RuntimeError(f"roll: with dims=None, shifts must be one int, got {shifts}")
            shifts = shifts[0]
        return Roll.apply(input, shifts=int(shifts), dims=None)
    sh = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    ds = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(sh) != len(ds):
        raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(sh)}, "
                           f"dims: {len(ds)}. Hint: give one shift per dim")
    ds = tuple(normalize_dim("roll", input.ndim, d) for d in ds)
    return Roll.apply(input, shifts=tuple(int(s) for s in sh), dims=ds)


movedim = moveaxis
swapdims = swapaxes

__all__ = ["reshape", "view", "flatten", "squeeze", "unsqueeze", "permute", "swapaxes",
           "swapdims", "transpose", "moveaxis", "movedim", "broadcast_to", "expand", "repeat",
           "tile", "repeat_interleave", "flip", "roll"]
