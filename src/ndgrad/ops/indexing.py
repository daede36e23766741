"""Indexing: getitem (basic, advanced, boolean), index_put (``t[idx] = v``) and the gathers
built on them: take gather take_along_dim index_select masked_fill masked_select scatter
scatter_add. Results follow PyTorch's layout, which NumPy's index plus a permute gives.

The gradient of getitem scatters back with add (repeated indices accumulate); the gradient
of index_put splits between the tensor (zero at idx) and the value (grad at idx). New gathers
are composites: build a NumPy index and call ``getitem``/``index_add_at``.
"""

from __future__ import annotations

from typing import Any

from .._backend import array_module, asarray, ndarray
from .._errors import shape_error
from .._tensor import Tensor
from ..autograd.function import Primitive
from ._common import to_tensor
from ._shape_utils import broadcast_shapes, inverse_perm, normalize_dim
from .binary import where

_BASIC = (int, slice, type(None), type(Ellipsis))


def _idx_array(i: Any, op: str = "") -> Any:
    a = i._data
    if a.dtype.kind not in "iub":
        raise IndexError(f"{op + ': ' if op else ''}tensors used as indices must be long, int, "
                         f"byte or bool tensors, got {a.dtype}")
    return a


def _norm_index(index: Any) -> tuple:
    """(NumPy index, mixed): tensors inside become their integer or bool arrays; ``mixed``
    says a tuple's ints and advanced indices are not all adjacent and it holds both kinds (or
    an Ellipsis), where PyTorch's layout of the result may differ from NumPy's (``_torch_perm``)."""
    if type(index) in _BASIC:
        return index, False
    if isinstance(index, Tensor):
        return _idx_array(index), False
    if isinstance(index, tuple):
        out = []
        flags = 0  # 1: an int, 2: an advanced index, 4: an Ellipsis
        first = last = -1
        n = 0  # ints and advanced indices: NumPy's advanced set, from first to last
        for k, i in enumerate(index):
            t = type(i)
            if t is int:
                flags |= 1
            elif i is Ellipsis:
                flags |= 4
                out.append(i)
                continue
            elif t is slice or i is None:
                out.append(i)
                continue
            else:
                if t is Tensor:
                    i = _idx_array(i)
                elif t is list:
                    i = _norm_list(i)
                flags |= 1 if getattr(i, "ndim", 1) == 0 and i.dtype.kind in "iu" else 2
            if first < 0:
                first = k
            last = k
            n += 1
            out.append(i)
        return tuple(out), flags & 2 and flags & 5 and last - first + 1 != n
    if isinstance(index, list):
        return _norm_list(index), False
    return index, False


def _norm_list(index: list) -> Any:
    if any(isinstance(i, Tensor) for i in index):
        return [_idx_array(i) if isinstance(i, Tensor) else i for i in index]
    return index


def _torch_perm(idx: tuple, ndim: int) -> tuple | None:
    """The permutation taking NumPy's result of ``x[idx]`` to PyTorch's, or None if equal.

    PyTorch applies ints (and 0-d int tensors) as basic indexing before the advanced ones, and
    an Ellipsis standing for no dims does not separate advanced indices; NumPy counts ints as
    advanced and every Ellipsis as a separator. So the block of broadcast index dims can sit
    elsewhere: ``zeros(2, 3, 4)[0, :, [1, 2]]`` is (3, 2) in PyTorch, (2, 3) in NumPy.
    """
    dims: list = []  # result dims each item yields; None for an advanced index
    used = nb = 0
    ell = -1
    try:
        for k, i in enumerate(idx):
            if type(i) is slice or i is None:
                dims.append(1)
                used += i is not None
            elif i is Ellipsis:
                ell = k
                dims.append(0)
            elif type(i) is int or getattr(i, "ndim", 1) == 0 and i.dtype.kind in "iu":
                dims.append(0)
                used += 1
            else:
                a = i if hasattr(i, "dtype") else asarray(i)
                boolean = a.dtype.kind == "b"
                used += a.ndim if boolean else 1
                nb = max(nb, 1 if boolean else a.ndim)
                dims.append(None)
    except (TypeError, ValueError):
        return None  # a malformed index: NumPy raises its own error
    if used > ndim:
        return None
    if ell >= 0:
        dims[ell] = ndim - used
    adv = [k for k, n in enumerate(dims) if n is None]
    ints = [k for k, i in enumerate(idx) if dims[k] == 0 and i is not Ellipsis]
    np_set = sorted(adv + ints)
    p_np = _block_start(dims, np_set)
    kept = [k for k, n in enumerate(dims) if n != 0]  # PyTorch: items yielding no dims vanish
    p_t = _block_start(dims, [kept.index(k) for k in adv], kept)
    if p_np == p_t:
        return None
    n_out = nb + sum(n for n in dims if n) + (0 if ell >= 0 else ndim - used)
    rest = [d for d in range(n_out) if not p_np <= d < p_np + nb]
    return tuple(rest[:p_t] + list(range(p_np, p_np + nb)) + rest[p_t:])


def _block_start(dims: list, pos: list, items: list | None = None) -> int:
    """Where the advanced block lands: after the dims of the items before it when the advanced
    items at ``pos`` (in ``items``, default all) are adjacent, else first."""
    items = list(range(len(dims))) if items is None else items
    if pos[-1] - pos[0] + 1 != len(pos):
        return 0
    return sum(dims[k] or 0 for k in items[:pos[0]])


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
    """``input[index]``: basic, advanced (integer arrays) and boolean indexing, as PyTorch."""
    idx, mixed = _norm_index(index)
    if type(idx) is int or (type(idx) is tuple and idx and
                            all(type(i) is int for i in idx) and len(idx) == input.ndim):
        # all dims indexed by ints: NumPy would return a copied scalar; PyTorch a 0-d view
        idx = (idx, Ellipsis) if type(idx) is int else idx + (Ellipsis,)
    try:
        out = GetItem.apply(input, index=idx)
    except IndexError as e:
        raise _index_error("getitem", e, input.shape, index) from None
    if mixed:
        perm = _torch_perm(idx, input.ndim)
        if perm is not None:
            return out.permute(perm)
    return out


def index_add_at(input: Tensor, index: Any, shape: tuple) -> Tensor:
    """zeros(shape) with ``input`` added at ``index`` (repeats accumulate); getitem's adjoint."""
    idx, mixed = _norm_index(index)
    shape = tuple(shape)
    v = to_tensor(input)
    perm = _torch_perm(idx, len(shape)) if mixed else None
    if perm is not None and v.ndim == len(perm):
        v = v.permute(inverse_perm(perm))
    try:
        return IndexAdd.apply(v, index=idx, shape=shape)
    except (IndexError, ValueError) as e:
        raise _index_error("index_add_at", e, shape, index) from None


def index_put(input: Tensor, index: Any, value: Any, accumulate: bool = False) -> Tensor:
    """A new tensor equal to ``input`` with ``[index] = value`` (``+=`` with accumulate)."""
    idx, mixed = _norm_index(index)
    v = to_tensor(value, input)
    if v._data.dtype != input._data.dtype:
        v = v.to(input.dtype)
    v0 = v
    if v.ndim and v.shape[0] == 1:  # PyTorch drops a value's leading 1s (NumPy would refuse
        k = 1                         # some, and the rule's gradient could not keep them)
        while k < v.ndim and v.shape[k] == 1:
            k += 1
        v = v.reshape(v.shape[k:])
    if accumulate:
        sel = getitem(Tensor._make(input._data), index).shape
        return input + index_add_at(_broadcast(v, sel, "index_put"), index, input.shape)
    perm = _torch_perm(idx, input.ndim) if mixed else None
    if perm is not None and v.ndim <= len(perm):
        # PyTorch's layout of the indexed block -> NumPy's (v broadcasts as in PyTorch)
        v = v.reshape((1,) * (len(perm) - v.ndim) + v.shape).permute(inverse_perm(perm))
    try:
        return IndexPut.apply(input, v, index=idx)
    except IndexError as e:
        raise _index_error("index_put", e, input.shape, index) from None
    except ValueError:
        sel = getitem(Tensor._make(input._data), index).shape
        raise shape_error("index_put", f"value of shape {v0.shape} cannot be broadcast to the "
                          f"indexed shape {sel} (tensor of shape {input.shape}, index "
                          f"{index!r})", hint="the value must broadcast to the indexed shape"
                          ) from None


def _broadcast(v: Tensor, shape: tuple, op: str) -> Tensor:
    if v.shape == shape:
        return v
    try:
        return v.broadcast_to(shape)
    except ValueError:
        raise shape_error(op, f"value of shape {v.shape} cannot be broadcast to the indexed "
                          f"shape {shape}", hint="the value must broadcast to it") from None


def _dim_index(input: Tensor, dim: int, index: Any, op: str) -> tuple:
    """(the NumPy index picking ``input[..., index[i, j, k], ...]`` at dim, the index's shape),
    for gather and scatter."""
    idx = _idx_array(to_tensor(index), op)
    nd = input.ndim
    if idx.ndim != nd:
        raise shape_error(op, f"Index tensor must have the same number of dimensions as input "
                          f"tensor: index {idx.shape}, input {input.shape}",
                          hint="reshape the index to the input's ndim")
    d = normalize_dim(op, nd, dim)
    size = input.shape[d] if nd else 1  # PyTorch treats a 0-d tensor as one of size 1
    if idx.size:  # like PyTorch, an empty index is not checked against the sizes
        for i, (a, b) in enumerate(zip(idx.shape, input.shape)):
            if i != d and a > b:
                raise shape_error(op, f"Size does not match at dimension {i} expected index "
                                  f"{idx.shape} to be smaller than self {input.shape} apart "
                                  f"from dimension {d}", hint="shrink the index")
        if idx.max() >= size or idx.min() < -size:
            bad = int(idx.max()) if idx.max() >= size else int(idx.min())
            raise IndexError(f"{op}: index {bad} is out of bounds for dimension {d} with size "
                             f"{size} (input {input.shape}, index {idx.shape})")
    if nd == 0:
        return (), ()
    xp = array_module(idx)
    return tuple(idx if i == d else
                 xp.arange(s).reshape((-1,) + (1,) * (nd - 1 - i))
                 for i, s in enumerate(idx.shape)), idx.shape


def gather(input: Tensor, dim: int, index: Any) -> Tensor:
    """``out[i][j] = input[index[i][j]][j]`` for dim=0 (PyTorch's gather)."""
    input = to_tensor(input)
    return GetItem.apply(input, index=_dim_index(input, dim, index, "gather")[0])


def take_along_dim(input: Tensor, indices: Any, dim: int | None = None) -> Tensor:
    """Gather along ``dim`` with the other dims of input and indices broadcast together (NumPy's
    ``take_along_axis``); without ``dim``, from the flattened input at the flattened indices."""
    input = to_tensor(input)
    ix = to_tensor(indices)
    _idx_array(ix, "take_along_dim")
    if dim is None:
        return gather(input.reshape(-1), 0, ix.reshape(-1))
    if ix.ndim != input.ndim:
        raise shape_error("take_along_dim", f"input and indices should have the same number of "
                          f"dimensions, but got {input.ndim} dimensions for input, and "
                          f"{ix.ndim} dimensions for indices (shapes {input.shape} and "
                          f"{ix.shape})", hint="unsqueeze the indices to the input's ndim")
    d = normalize_dim("take_along_dim", input.ndim, dim)
    xs, js = input.shape, ix.shape
    if xs[:d] + xs[d + 1:] != js[:d] + js[d + 1:]:
        b = broadcast_shapes("take_along_dim", xs[:d] + (1,) + xs[d + 1:],
                             js[:d] + (1,) + js[d + 1:])
        input = _broadcast(input, b[:d] + xs[d:d + 1] + b[d + 1:], "take_along_dim")
        ix = _broadcast(ix, b[:d] + js[d:d + 1] + b[d + 1:], "take_along_dim")
    return gather(input, d, ix)


def _src_for(src: Any, input: Tensor, shape: tuple, op: str) -> Tensor:
    """``src`` cut to the index's ``shape`` (PyTorch reads src only where the index is)."""
    s = to_tensor(src, input)
    if s._data.dtype != input._data.dtype:
        s = s.to(input.dtype)
    if s.ndim == 0:
        return s if s.shape == shape else s.broadcast_to(shape)
    if s.ndim != len(shape):
        raise shape_error(op, f"Index tensor must have the same number of dimensions as src "
                          f"tensor: index {shape}, src {s.shape}",
                          hint="reshape src to the index's ndim, or pass a scalar value")
    if any(a < b for a, b in zip(s.shape, shape)):
        raise shape_error(op, f"src of shape {s.shape} is smaller than index of shape {shape}",
                          hint="give src at least the index's size in every dim")
    return s if s.shape == shape else s[tuple(slice(0, n) for n in shape)]


def scatter_add(input: Tensor, dim: int, index: Any, src: Any) -> Tensor:
    """``input`` plus ``src`` added at ``index`` along ``dim``; repeated indices accumulate."""
    input = to_tensor(input)
    idx, shape = _dim_index(input, dim, index, "scatter_add")
    s = _src_for(src, input, shape, "scatter_add")
    return input + IndexAdd.apply(s, index=idx, shape=input.shape)


def scatter(input: Tensor, dim: int, index: Any, src: Any = None, *, value: Any = None) -> Tensor:
    """``input`` with ``src`` (or ``value``) written at ``index`` along ``dim``."""
    input = to_tensor(input)
    idx, shape = _dim_index(input, dim, index, "scatter")
    s = _src_for(value if src is None else src, input, shape, "scatter")
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
