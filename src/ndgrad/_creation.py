"""Tensor factories: tensor, zeros/ones/full/empty(_like), arange, linspace, eye, meshgrid."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _backend, _dtypes
from ._tensor import Tensor
from .ops.shape import broadcast_to


def _new(arr: Any, requires_grad: bool, device: Any) -> Tensor:
    if device is not None:
        arr = _backend.to_device(arr, device)
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _size(size: tuple) -> tuple:
    if len(size) == 1 and not isinstance(size[0], int):
        return tuple(int(s) for s in size[0])
    return tuple(int(s) for s in size)


def _dt(dtype: Any) -> Any:
    return _dtypes.to_dtype(dtype) or _dtypes.get_default_dtype()


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """A new leaf tensor copying ``data`` (floats -> float32, ints -> int64, arrays keep dtype)."""
    if isinstance(data, Tensor):
        data = data._data
    if isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in data):
        data = [d._data if isinstance(d, Tensor) else d for d in data]
    arr = _dtypes.array_from_data(data, dtype)
    arr = np.array(arr, copy=True) if _backend.array_module(arr) is np else arr.copy()
    return _new(arr, requires_grad, device)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like ``tensor`` but shares memory with an ndarray when it can."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    return _new(_dtypes.array_from_data(data, dtype), False, device)


def from_numpy(ndarray: Any) -> Tensor:
    """A tensor sharing memory with ``ndarray`` (its dtype kept)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(ndarray).__name__})")
    return Tensor._make(ndarray)


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    return _new(np.zeros(_size(size), dtype=_dt(dtype)), requires_grad, device)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    return _new(np.ones(_size(size), dtype=_dt(dtype)), requires_grad, device)


def empty(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    return _new(np.empty(_size(size), dtype=_dt(dtype)), requires_grad, device)


def full(size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False,
         device: Any = None) -> Tensor:
    if dtype is None:
        dtype = (_dtypes.bool_ if isinstance(fill_value, bool) else _dtypes.int64
                 if isinstance(fill_value, int) else _dtypes.get_default_dtype())
    return _new(np.full(_size((size,)), fill_value, dtype=_dtypes.to_dtype(dtype)),
                requires_grad, device)


def _like(input: Tensor, fn: Any, dtype: Any, requires_grad: bool, *args: Any) -> Tensor:
    xp = _backend.array_module(input._data)
    arr = getattr(xp, fn)(input._data.shape, *args, dtype=_dtypes.to_dtype(dtype) or input.dtype)
    return _new(arr, requires_grad, None)


def zeros_like(input: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _like(input, "zeros", dtype, requires_grad)


def ones_like(input: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _like(input, "ones", dtype, requires_grad)


def empty_like(input: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _like(input, "empty", dtype, requires_grad)


def full_like(input: Tensor, fill_value: Any, dtype: Any = None,
              requires_grad: bool = False) -> Tensor:
    return _like(input, "full", dtype, requires_grad, fill_value)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None,
           requires_grad: bool = False, device: Any = None) -> Tensor:
    """Values from start to end (exclusive) by step; int64 when all are ints."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, int) for v in (start, end, step))
        dtype = _dtypes.int64 if ints else _dtypes.get_default_dtype()
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    return _new(np.arange(start, end, step, dtype=_dtypes.to_dtype(dtype)), requires_grad, device)


def linspace(start: float, end: float, steps: int, dtype: Any = None,
             requires_grad: bool = False, device: Any = None) -> Tensor:
    """``steps`` evenly spaced values from start to end inclusive."""
    if steps < 0:
        raise RuntimeError("linspace: number of steps must be non-negative")
    arr = np.linspace(start, end, steps).astype(_dt(dtype))
    return _new(arr, requires_grad, device)


def logspace(start: float, end: float, steps: int, base: float = 10.0, dtype: Any = None,
             requires_grad: bool = False) -> Tensor:
    return _new(np.logspace(start, end, steps, base=base).astype(_dt(dtype)), requires_grad, None)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False,
        device: Any = None) -> Tensor:
    return _new(np.eye(n, m, dtype=_dt(dtype)), requires_grad, device)


def meshgrid(*tensors: Any, indexing: str = "ij") -> tuple:
    """Coordinate grids from 1-D tensors; differentiable (each grid is a broadcast view)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    ts = [t if isinstance(t, Tensor) else tensor(t) for t in tensors]
    for i, t in enumerate(ts):
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid: expects all tensors to be 0- or 1-dimensional, "
                               f"tensor {i} has shape {t.shape}")
    ts = [t.reshape(-1) for t in ts]
    n = len(ts)
    sizes = [t.shape[0] for t in ts]
    swap = indexing == "xy" and n >= 2
    if swap:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, t in enumerate(ts):
        pos = i
        if swap and i < 2:
            pos = 1 - i
        shape = [1] * n
        shape[pos] = t.shape[0]
        out.append(broadcast_to(t.reshape(tuple(shape)), tuple(sizes)))
    return tuple(out)


__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "zeros_like",
           "ones_like", "empty_like", "full_like", "arange", "linspace", "logspace", "eye",
           "meshgrid"]
