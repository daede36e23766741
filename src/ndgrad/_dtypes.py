"""dtype policy: the default float, which dtypes can require grad, and promotion of inputs.

PyTorch's rules: Python floats become the default dtype (float32), Python ints int64,
ndarrays keep their dtype, and a Python scalar never upcasts a tensor of the same kind.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

float16 = half = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
complex64 = cfloat = np.dtype(np.complex64)
complex128 = cdouble = np.dtype(np.complex128)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
int16 = short = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)

_FLOATING_KINDS = frozenset("fc")


class _DefaultDtype(threading.local):
    def __init__(self) -> None:
        self.value = float32


_default = _DefaultDtype()


def get_default_dtype() -> np.dtype:
    """The dtype Python floats become (float32 unless changed)."""
    return _default.value


def set_default_dtype(dtype: Any) -> None:
    """Change the dtype Python floats become; only float32 and float64 are allowed."""
    d = np.dtype(dtype)
    if d not in (float32, float64):
        raise TypeError(f"set_default_dtype: only float32 or float64 allowed, got {d}.")
    _default.value = d


def is_floating(dtype: Any) -> bool:
    """True for floating and complex dtypes: the only ones that can require grad."""
    return np.dtype(dtype).kind in _FLOATING_KINDS


def to_dtype(dtype: Any) -> np.dtype | None:
    """Normalise a dtype argument (None stays None)."""
    if dtype is None:
        return None
    if dtype is float:  # the builtin, as torch accepts
        return _default.value
    return np.dtype(dtype)


def array_from_data(data: Any, dtype: Any = None, force_float: bool = False) -> np.ndarray:
    """Turn user data into an ndarray under PyTorch's rules.

    ndarrays keep their dtype; Python floats become the default float; Python ints int64,
    or the default float when ``force_float`` (``ng.Tensor([...])``)."""
    d = to_dtype(dtype)
    if isinstance(data, np.ndarray):
        return data if d is None or data.dtype == d else data.astype(d)
    if isinstance(data, np.generic):
        return np.asarray(data, dtype=d)
    arr = np.asarray(data, dtype=d)
    if d is None:
        if arr.dtype.kind == "f" and arr.dtype != _default.value:
            arr = arr.astype(_default.value)
        elif force_float and arr.dtype.kind in "iub":
            arr = arr.astype(_default.value)
        elif arr.dtype.kind == "c" and arr.dtype != complex64 and _default.value == float32:
            arr = arr.astype(complex64)
    return arr
