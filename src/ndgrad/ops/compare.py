"""Comparisons and logic: non-differentiable, bool results (no node is ever recorded)."""

from __future__ import annotations

from typing import Any

from .._backend import array_module
from .._errors import shape_error
from .._tensor import Tensor
from ._common import pair, to_tensor


def _cmp(name: str) -> Any:
    def op(input: Any, other: Any) -> Tensor:
        x, y = pair(input, other)
        xp = array_module(x._data)
        try:
            return Tensor._make(getattr(xp, name)(x._data, y._data))
        except ValueError as e:
            raise shape_error(name, f"shapes {x.shape} and {y.shape} cannot be broadcast "
                              f"together ({e})",
                              hint="each pair of trailing dims must be equal or 1") from None

    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}`` (bool result, no gradient)."
    return op


eq = _cmp("equal")
ne = _cmp("not_equal")
lt = _cmp("less")
le = _cmp("less_equal")
gt = _cmp("greater")
ge = _cmp("greater_equal")
logical_and = _cmp("logical_and")
logical_or = _cmp("logical_or")
logical_xor = _cmp("logical_xor")
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def logical_not(input: Any) -> Tensor:
    """Elementwise not (bool result)."""
    x = to_tensor(input)
    return Tensor._make(array_module(x._data).logical_not(x._data))


def isnan(input: Any) -> Tensor:
    x = to_tensor(input)
    return Tensor._make(array_module(x._data).isnan(x._data))


def isinf(input: Any) -> Tensor:
    x = to_tensor(input)
    return Tensor._make(array_module(x._data).isinf(x._data))


def isfinite(input: Any) -> Tensor:
    x = to_tensor(input)
    return Tensor._make(array_module(x._data).isfinite(x._data))


def all(input: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Tensor:
    """True where every element (along dim) is nonzero."""
    x = to_tensor(input)
    d = axis if axis is not None else dim
    return Tensor._make(array_module(x._data).asarray(x._data.all(axis=d, keepdims=keepdim)))


def any(input: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Tensor:
    """True where some element (along dim) is nonzero."""
    x = to_tensor(input)
    d = axis if axis is not None else dim
    return Tensor._make(array_module(x._data).asarray(x._data.any(axis=d, keepdims=keepdim)))


def allclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    x, y = pair(input, other)
    return bool(array_module(x._data).allclose(x._data, y._data, rtol, atol, equal_nan))


def isclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    x, y = pair(input, other)
    return Tensor._make(array_module(x._data).isclose(x._data, y._data, rtol, atol, equal_nan))


def equal(input: Any, other: Any) -> bool:
    """True when both have the same shape and elements."""
    x, y = pair(input, other)
    return x.shape == y.shape and bool((x._data == y._data).all())


__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
           "not_equal", "logical_and", "logical_or", "logical_xor", "logical_not", "isnan",
           "isinf", "isfinite", "all", "any", "allclose", "isclose", "equal"]
