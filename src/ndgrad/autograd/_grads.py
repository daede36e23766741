"""Gradient values on their way to an input: validated against the input's shape and dtype
(broadcast dims summed away), added into a node's buffer, or accumulated into a leaf's
``.grad`` (in place, or by keeping the very array, when nothing else can see it)."""

from __future__ import annotations

import sys
from typing import Any

from .. import _backend
from .._backend import ndarray
from .._tensor import Tensor
from .graph import Node

_getrefcount = sys.getrefcount
# A grad may become a leaf's ``.grad`` without a copy only when nothing else can see it:
# refs to its array inside _steal (the Tensor, ``arr``, getrefcount's argument) and refs to
# the Tensor (run_backward's buffer list and local, two call arguments, getrefcount's).
_ARRAY_REFS = 3
_TENSOR_REFS = 5


def _sum_to(arr: Any, shape: tuple) -> Any:
    """Sum ``arr`` down to ``shape`` (raw arrays; the broadcast-reduction of every edge)."""
    lead = arr.ndim - len(shape)
    ashape = arr.shape
    axes = tuple([i + lead for i, s in enumerate(shape) if s == 1 and ashape[i + lead] != 1])
    if type(arr) is ndarray and not lead:  # kept dims give ``shape`` itself: no reshape
        return _add_reduce(arr, axes, None, None, True) if axes else arr
    if lead:
        axes = tuple(range(lead)) + axes
    out = arr.sum(axis=axes) if axes else arr
    return out.reshape(shape)


_add_reduce = _backend.np.add.reduce


def _broadcastable_to(src: tuple, dst: tuple) -> bool:
    lead = len(src) - len(dst)
    if lead < 0:
        return False
    return all(d == 1 or d == s for d, s in zip(dst, src[lead:]))


def _invalid_grad(node: Node, i: int, got: tuple, want: tuple) -> RuntimeError:
    return RuntimeError(
        f"Function {type(node).__name__} returned an invalid gradient at index {i} - got "
        f"{list(got)} but expected shape compatible with {list(want)}")


def _validate(node: Node, i: int, g: Any, shape: tuple, dtype: Any, create_graph: bool) -> Tensor:
    """Make ``g`` a Tensor of the input's shape and dtype (summing broadcast dims)."""
    if type(g) is not Tensor:
        if isinstance(g, Tensor):
            pass
        elif isinstance(g, ndarray) or _backend.array_module(g) is not _backend.np:
            g = Tensor._make(g)
        else:
            raise TypeError(f"Function {type(node).__name__} returned a {type(g).__name__} as "
                            f"gradient {i}; expected a Tensor or None")
    if g._data.shape != shape:
        if not _broadcastable_to(g._data.shape, shape):
            raise _invalid_grad(node, i, g._data.shape, shape)
        g = g.sum_to_size(*shape) if create_graph else Tensor._make(_sum_to(g._data, shape))
    if dtype is not None and g._data.dtype != dtype:
        g = g.to(dtype) if create_graph else Tensor._make(g._data.astype(dtype))
    return g


def call_hook(h: Any, g: Tensor) -> Tensor:
    """A tensor hook's result: ``g`` when it returns None, else its Tensor, which must keep
    ``g``'s shape (PyTorch's check; a hook that reshapes would corrupt ``.grad``)."""
    r = h(g)
    if r is None:
        return g
    if not isinstance(r, Tensor):
        raise TypeError(f"hook '{getattr(h, '__name__', h)}' returned a "
                        f"{type(r).__name__}; a tensor hook returns a Tensor or None")
    if r._data.shape != g._data.shape:
        raise RuntimeError(f"hook '{getattr(h, '__name__', h)}' has changed the size of value "
                           f"(from {g._data.shape} to {r._data.shape})")
    return r


def _steal(g: Tensor) -> bool:
    """True when ``g``'s array is referenced by ``g`` alone, so ``.grad`` may keep it as is."""
    arr = g._data
    return (arr.base is None and _getrefcount(arr) <= _ARRAY_REFS
            and _getrefcount(g) <= _TENSOR_REFS)


def _accumulate_leaf(leaf: Tensor, g: Tensor, create_graph: bool) -> None:
    old = leaf._grad
    if create_graph:
        leaf._grad = g if old is None else old + g
        return
    if old is None:
        if g.grad_fn is None and not g._rg and _steal(g):
            leaf._grad = g  # nothing else can see it: keep the very object
        else:
            leaf._grad = Tensor._make(g._data.copy())
    elif old._data.flags.writeable and old._data.base is None and old._rg is False:
        old._data += g._data  # the engine's own buffer: accumulate in place
    else:
        leaf._grad = Tensor._make(old._data + g._data)


def _add(old: Tensor, g: Tensor, owned: dict, create_graph: bool) -> Tensor:
    """``old + g`` for a gradient buffer: in place when the engine owns ``old`` (it made it)
    or nothing but the buffer can see it (a rule's fresh result: refcounts as in _steal),
    which spares a full-size allocation per accumulated gradient."""
    if create_graph:
        return old + g
    if id(old) in owned:
        old._data += g._data
        return old
    # _steal's refcounts hold here too: the buffer list, _execute's local and _add's argument
    # stand where run_backward's list, its local and _accumulate_leaf's argument do
    if (_steal(old) and old._rg is False and old._data.flags.writeable
            and old._data.dtype == g._data.dtype):
        old._data += g._data
        owned[id(old)] = old
        return old
    new = Tensor._make(old._data + g._data)
    owned[id(new)] = new
    return new


def _zeros(meta: tuple, like: Any) -> Tensor:
    xp = _backend.array_module(like._data) if like is not None else _backend.np
    return Tensor._make(xp.zeros(meta[0], dtype=meta[1]))
