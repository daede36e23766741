"""Argument normalisation shared by ops: dim/axis and keepdim/keepdims aliases, shapes."""

from __future__ import annotations

from typing import Any

from .._errors import shape_error


def normalize_dims(op: str, ndim: int, dim: Any = None, axis: Any = None) -> tuple | None:
    """A sorted tuple of non-negative dims (None means all); ``axis`` is NumPy's alias."""
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{op}: pass dim or axis, not both.")
        dim = axis
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    out = []
    for d in dims:
        d = int(d)
        nd = max(ndim, 1)
        if not -nd <= d < nd:
            raise IndexError(f"{op}: Dimension out of range (expected to be in range of "
                             f"[{-nd}, {nd - 1}], but got {d})")
        out.append(d % nd)
    if len(set(out)) != len(out):
        raise RuntimeError(f"{op}: dim {dims} appears multiple times in the list of dims")
    return tuple(sorted(out))


def reduction_dims(op: str, ndim: int, dim: Any = None, axis: Any = None) -> tuple | None:
    """``normalize_dims`` for a reduction: an empty tuple means every dim (PyTorch's
    ``sum(dim=())``), and a 0-d tensor's dim 0 or -1 is all of it; both give None."""
    dims = normalize_dims(op, ndim, dim, axis)
    return dims if dims and ndim else None


def inverse_perm(perm: tuple) -> tuple:
    """The permutation that undoes ``perm`` (``x.permute(perm).permute(inverse_perm(perm))``
    is ``x``)."""
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return tuple(inv)


def normalize_dim(op: str, ndim: int, dim: int) -> int:
    """One dim, wrapped to non-negative."""
    nd = max(ndim, 1)
    if not -nd <= dim < nd:
        raise IndexError(f"{op}: Dimension out of range (expected to be in range of "
                         f"[{-nd}, {nd - 1}], but got {dim})")
    return dim % nd


def quick_dims(dim: Any, ndim: int) -> Any:
    """The dims of a reduction's common call, ``dim`` None or one int in range, without
    ``normalize_dims``' checks: None, ``(dim % ndim,)``, or False for anything else (the
    caller's checked path)."""
    if dim is None:
        return None
    if type(dim) is int and -ndim <= dim < ndim:
        return (dim % ndim,)
    return False


def keepdim_of(keepdim: bool = False, keepdims: bool | None = None) -> bool:
    """``keepdims`` is NumPy's alias of ``keepdim``."""
    return bool(keepdims) if keepdims is not None else bool(keepdim)


def shape_arg(shape: tuple) -> tuple:
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])``."""
    if len(shape) == 1 and not isinstance(shape[0], int):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def broadcast_shapes(op: str, *shapes: tuple) -> tuple:
    """NumPy's broadcast of ``shapes``, or a clear error naming the op and the shapes."""
    nd = max(len(s) for s in shapes)
    out = []
    for i in range(nd):
        size = 1
        for s in shapes:
            j = i - (nd - len(s))
            if j < 0:
                continue
            d = s[j]
            if d != 1:
                if size != 1 and size != d:
                    raise shape_error(op, f"shapes {' and '.join(str(tuple(x)) for x in shapes)} "
                                      "cannot be broadcast together",
                                      hint="each pair of trailing dims must be equal or 1")
                size = d
        out.append(size)
    return tuple(out)


def reduced_shape(shape: tuple, dims: tuple | None) -> tuple:
    """``shape`` with ``dims`` set to 1 (the keepdim shape)."""
    if dims is None:
        return (1,) * len(shape)
    if len(dims) == 1:  # the common case, without a list comprehension's frame
        d = dims[0]
        return (*shape[:d], 1, *shape[d + 1:])
    return tuple([1 if i in dims else s for i, s in enumerate(shape)])


def reduced_count(shape: tuple, dims: tuple | None) -> int:
    """How many elements a reduction over ``dims`` (all when None) takes into each result."""
    n = 1
    for i in (range(len(shape)) if dims is None else dims):
        n *= shape[i]
    return n
