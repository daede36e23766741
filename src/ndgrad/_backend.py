"""The one door to the array library: numpy on the CPU, cupy on a GPU when installed.

Ops call ``array_module(x)`` and compute with what it returns, so GPU paths are the CPU
paths with another ``xp``. Only this module imports cupy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

try:  # optional GPU extra
    import cupy as _cupy  # type: ignore[import-not-found]
except Exception:  # pragma: no cover - depends on the machine
    _cupy = None

try:  # the C function np.count_nonzero(a) calls after its Python wrapper (0.25 us of 0.3)
    from numpy._core import multiarray as _multiarray
except ImportError:  # pragma: no cover - NumPy 1.x
    from numpy.core import multiarray as _multiarray
count_all = _multiarray.count_nonzero

ndarray = np.ndarray
generic = np.generic


def gpu_available() -> bool:
    """True when cupy imports and sees at least one device."""
    if _cupy is None:
        return False
    try:
        return _cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # pragma: no cover - depends on the machine
        return False


def array_module(x: Any):
    """numpy or cupy, whichever owns ``x`` (numpy for anything that is not a cupy array)."""
    if _cupy is not None and isinstance(x, _cupy.ndarray):
        return _cupy
    return np


def counter(a: Any) -> Any:
    """The whole-array nonzero count for ``a``'s library: NumPy's C function (without its
    Python wrapper) for a NumPy array, the module's ``count_nonzero`` otherwise."""
    return count_all if type(a) is ndarray else array_module(a).count_nonzero


def broadcast_to(a: Any, shape: tuple) -> Any:
    """``xp.broadcast_to(a, shape)``: a read-only view. For a C-contiguous NumPy array it is
    built directly (a zero stride per broadcast dim); NumPy's own builds an nditer in Python
    (3-7 us against about 2 us here, more than the rest of a rule that only broadcasts)."""
    if type(a) is ndarray and a.flags.c_contiguous:
        lead = len(shape) - a.ndim
        if lead >= 0:
            strides = [0] * len(shape)
            for i, (n, st) in enumerate(zip(a.shape, a.strides)):
                if n == shape[lead + i]:
                    strides[lead + i] = st
                elif n != 1:
                    break  # does not broadcast: NumPy's error below
            else:
                try:
                    v = np.ndarray(shape, a.dtype, a, 0, tuple(strides))
                except (TypeError, ValueError):  # dtypes without a buffer (object, ...)
                    return np.broadcast_to(a, shape)
                v.flags.writeable = False
                return v
    return array_module(a).broadcast_to(a, shape)


def broadcast_scalar(s: Any, shape: tuple) -> Any:
    """A read-only array of ``shape`` whose every element is the NumPy scalar ``s``: a
    zero-stride view of the scalar's own bytes (0.5 us, nothing written)."""
    return np.ndarray(shape, s.dtype, s, 0, (0,) * len(shape))


class Device:
    """A device name as PyTorch spells it: ``cpu`` or ``cuda[:n]``."""

    __slots__ = ("type", "index")

    def __init__(self, spec: str | Device | None = "cpu") -> None:
        if isinstance(spec, Device):
            self.type, self.index = spec.type, spec.index
            return
        spec = "cpu" if spec is None else str(spec)
        kind, _, idx = spec.partition(":")
        if kind not in ("cpu", "cuda"):
            raise ValueError(f"device: unknown device {spec!r}. Use 'cpu' or 'cuda[:n]'.")
        self.type = kind
        self.index = int(idx) if idx else (0 if kind == "cuda" else None)

    def __repr__(self) -> str:
        return f"device(type='{self.type}')" if self.index is None else (
            f"device(type='{self.type}', index={self.index})")

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = Device(other)
        return isinstance(other, Device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


CPU = Device("cpu")


def device_of(x: Any) -> Device:
    """The Device holding array ``x``."""
    if _cupy is not None and isinstance(x, _cupy.ndarray):
        return Device(f"cuda:{x.device.id}")
    return CPU


def to_device(x: Any, device: str | Device) -> Any:
    """Copy array ``x`` to ``device`` (no copy when it is already there)."""
    dev = Device(device)
    if dev.type == "cpu":
        if _cupy is not None and isinstance(x, _cupy.ndarray):
            return _cupy.asnumpy(x)
        return x
    if _cupy is None:
        raise RuntimeError(
            "to: device 'cuda' needs cupy, which is not installed. "
            "Install the GPU extra: pip install 'ndgrad[gpu]'.")
    with _cupy.cuda.Device(dev.index or 0):
        return _cupy.asarray(x)


def to_numpy(x: Any) -> np.ndarray:
    """A host numpy array for ``x`` (copying from the GPU when needed)."""
    if _cupy is not None and isinstance(x, _cupy.ndarray):
        return _cupy.asnumpy(x)
    return np.asarray(x)


def asarray(x: Any, dtype: Any = None, xp: Any = np) -> Any:
    """``xp.asarray`` without a copy when possible."""
    return xp.asarray(x, dtype=dtype)
