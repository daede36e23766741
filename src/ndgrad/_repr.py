"""The PyTorch-like text form of a tensor (``tensor([6.], requires_grad=True)``)."""

from __future__ import annotations

from typing import Any

from . import _backend, _dtypes


def format_tensor(data: Any, grad_fn: Any, requires_grad: bool) -> str:
    """PyTorch-like repr: ``tensor([6.], requires_grad=True)``."""
    arr = _backend.to_numpy(data)
    np_ = _backend.array_module(arr)
    opts: dict = {"separator": ", ", "prefix": "tensor(", "threshold": 1000, "edgeitems": 3}
    if arr.dtype.kind == "f" and arr.size:
        finite = arr[np_.isfinite(arr)]
        integral = finite.size == 0 or bool(np_.all(finite == np_.round(finite)))
        big = finite.size and (np_.abs(finite).max() >= 1e8 or
                               (np_.abs(finite[finite != 0]).min(initial=1.0) < 1e-4))
        if big:
            opts["formatter"] = {"float_kind": lambda v: f"{v:.4e}"}
        elif not integral:
            opts.update(precision=4, floatmode="fixed")
    body = np_.array2string(arr, **opts) if arr.ndim else (
        _scalar_str(arr, opts))
    extras = []
    if arr.size == 0 and arr.ndim != 1:
        extras.append(f"size={tuple(arr.shape)}")
    if arr.dtype not in (_dtypes.float32, _dtypes.int64, _dtypes.bool_):
        extras.append(f"dtype=ndgrad.{arr.dtype.name}")
    if grad_fn is not None:
        extras.append(f"grad_fn=<{type(grad_fn).__name__}>")
    elif requires_grad:
        extras.append("requires_grad=True")
    dev = _backend.device_of(data)
    if dev.type != "cpu":
        extras.append(f"device='{dev}'")
    return "tensor(" + ", ".join([body] + extras) + ")"


def _scalar_str(arr: Any, opts: dict) -> str:
    return _backend.array_module(arr).array2string(arr.reshape(1), **opts)[1:-1]
