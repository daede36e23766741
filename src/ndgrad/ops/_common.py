"""Conversions shared by the op families: operands to Tensors under PyTorch's promotion rules."""

from __future__ import annotations

from typing import Any

from .. import _backend, _dtypes
from .._backend import ndarray
from .._tensor import Tensor
from ..autograd.grad_mode import grad_enabled as _grad_on
from ._shape_utils import reduced_shape

SCALARS = (int, float, bool)
np = _backend.np


def is_scalar(v: Any) -> bool:
    """A Python number (or NumPy scalar): these never upcast a tensor's dtype."""
    return type(v) in SCALARS or isinstance(v, (_backend.generic, complex))


def to_tensor(v: Any, like: Tensor | None = None) -> Tensor:
    """Wrap an operand: Tensors pass through; arrays keep their dtype; Python numbers take the
    dtype of ``like`` when it is of the same kind (a Python scalar never upcasts a tensor)."""
    if isinstance(v, Tensor):
        return v
    if isinstance(v, ndarray):
        return Tensor._make(v)
    if like is not None and is_scalar(v):
        ld = like._data.dtype
        xp = _backend.array_module(like._data)
        if isinstance(v, float) and ld.kind not in "fc":
            return Tensor._make(xp.asarray(v, dtype=_dtypes.get_default_dtype()))
        if isinstance(v, complex) and ld.kind != "c":
            return Tensor._make(xp.asarray(v))
        if isinstance(v, bool) or ld.kind != "b":
            return Tensor._make(xp.asarray(v, dtype=ld))
        return Tensor._make(xp.asarray(v))
    if _backend.array_module(v) is not np:
        return Tensor._make(v)
    return Tensor._make(_dtypes.array_from_data(v))


def pair(a: Any, b: Any) -> tuple[Tensor, Tensor]:
    """Both operands of a binary op as Tensors (the scalar one takes the other's dtype)."""
    if isinstance(a, Tensor):
        return a, to_tensor(b, a)
    if isinstance(b, Tensor):
        return to_tensor(a, b), b
    ta = to_tensor(a)
    return ta, to_tensor(b, ta)


def promote_int(x: Tensor) -> Tensor:
    """Integer/bool tensors meet a Python float: compute in the default float dtype."""
    if x._data.dtype.kind in "iub":
        return Tensor._make(x._data.astype(_dtypes.get_default_dtype()))
    return x


# Python-number operands as cached read-only 0-d arrays of the tensor's dtype. NumPy converts a
# Python number on every ufunc call, which costs more than a small array's whole product; a
# 0-d array of the same dtype gives the very same result (NEP 50 casts the number to that
# dtype too). Only nonzero finite values are cached (a zero's sign, NaN keys and overflowing
# casts keep NumPy's own handling), for float32/float64 NumPy arrays.
_K32: dict = {}
_K64: dict = {}
_F32, _F64 = np.dtype("float32"), np.dtype("float64")
_K_LIMIT = {_F32: 3.0e38, _F64: 1.0e308}


def scalar_operand(c: Any, x: Any) -> Any:
    """``c`` as an operand for a ufunc with the array ``x``: a cached 0-d array when it can be."""
    if type(x) is not ndarray:
        return c
    dt = x.dtype
    cache = _K32 if dt is _F32 else _K64 if dt is _F64 else None
    if cache is None:
        return c
    k = cache.get(c)
    if k is None:
        lim = _K_LIMIT[dt]
        if not (c != 0 and -lim < c < lim):
            return c
        if len(cache) >= 1024:
            cache.clear()
        k = cache[c] = np.array(c, dt)
        k.flags.writeable = False
    return k


def kept_dims(ctx: Any, in_shape: tuple, *arrays: Any) -> tuple:
    """Arrays shaped like a reduction's output, with the reduced dims kept (size 1): the
    no-graph rules broadcast them against the input (array reshapes, not Tensor ops)."""
    if ctx.keepdim:
        return arrays
    shape = reduced_shape(in_shape, ctx.dims)
    return tuple([a.reshape(shape) for a in arrays])


def float_rule(a: Any, g: Any) -> bool:
    """The array-only path of a reduction's rule applies: no graph, float, one dtype."""
    return not _grad_on() and a.ndim and a.dtype.kind == "f" and g.dtype is a.dtype


def float_input(x: Any) -> Tensor:
    """Tensor for ops whose result is floating (exp, sin, ...): ints become the default float."""
    if type(x) is Tensor and x._data.dtype.kind == "f":
        return x
    x = x if isinstance(x, Tensor) else to_tensor(x)
    if x._data.dtype.kind in "iub":
        return Tensor._make(x._data.astype(_dtypes.get_default_dtype()))
    return x


def const_zeros(t: Tensor) -> Tensor:
    """Zeros of ``t``'s shape and dtype, tied to no graph: the gradient of an input that a
    double-backward rule is constant in (given, not None, so the graph reaches it as PyTorch's)."""
    return Tensor._make(_backend.array_module(t._data).zeros_like(t._data))


def zeros_rule(grad: Tensor) -> Tensor:
    """The gradient of a locally constant function: zeros of grad's shape, never
    ``grad * 0``, so an inf or NaN upstream gradient gives 0 as in PyTorch. With a graph
    being built the zeros stay tied to ``grad`` (a masked fill)."""
    g = grad._data
    xp = _backend.array_module(g)
    if not _grad_on():
        return Tensor._make(xp.zeros_like(g))
    return grad.masked_fill(Tensor._make(xp.ones(g.shape, bool)), 0.0)
