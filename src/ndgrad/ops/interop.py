"""NumPy interop: ``np.exp(t)``, ``np.sum(t, axis=0)``, ``ndarray + t`` dispatch to ndgrad ops.

``__array_ufunc__`` maps ufuncs by name; ``__array_function__`` maps NumPy functions by name.
A NumPy function without an ndgrad rule raises a TypeError that says so.
"""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor

_UFUNC_TO_OP = {
    "add": "add", "subtract": "sub", "multiply": "mul", "true_divide": "div", "divide": "div",
    "power": "pow", "negative": "neg", "exp": "exp", "log": "log", "log1p": "log1p",
    "sqrt": "sqrt", "sin": "sin", "cos": "cos", "tanh": "tanh", "absolute": "abs",
    "sign": "sign", "matmul": "matmul", "equal": "eq", "not_equal": "ne", "less": "lt",
    "less_equal": "le", "greater": "gt", "greater_equal": "ge", "square": "square",
    "logical_and": "logical_and", "logical_or": "logical_or", "logical_not": "logical_not",
    "isnan": "isnan", "isfinite": "isfinite",
}


def _ops() -> Any:
    from .. import ops  # the package namespace, complete once ndgrad is imported

    return ops


def array_ufunc(ufunc: Any, method: str, inputs: tuple, kwargs: dict) -> Any:
    """Dispatch a NumPy ufunc call on Tensors to the ndgrad op of the same meaning."""
    if method != "__call__" or kwargs.get("out") is not None:
        raise TypeError(f"numpy.{ufunc.__name__}.{method} has no ndgrad rule for Tensors. "
                        "Call the ndgrad op (ng.*) or use t.detach().numpy() for plain arrays.")
    name = _UFUNC_TO_OP.get(ufunc.__name__)
    op = getattr(_ops(), name, None) if name else None
    if op is None:
        raise TypeError(f"numpy.{ufunc.__name__} has no ndgrad rule for Tensors. Call the "
                        "ndgrad op (ng.*) or use t.detach().numpy() for plain arrays.")
    return op(*inputs)


def array_function(func: Any, types: Any, args: tuple, kwargs: dict) -> Any:
    """Dispatch ``np.<name>(tensor, ...)`` to ``ng.<name>`` when ndgrad has it."""
    name = func.__name__
    op = getattr(_ops(), name, None)
    if op is None or not callable(op):
        raise TypeError(f"numpy.{name} has no ndgrad rule for Tensors. Call an ndgrad op "
                        "(ng.*) or use t.detach().numpy() for plain arrays.")
    return op(*args, **kwargs)


__all__ = ["array_ufunc", "array_function", "Tensor"]
