"""``ng.autograd``: grad modes, Function, backward/grad, gradcheck, functional, forward_ad.

Low layers are imported here; higher ones (which need Tensor and the ops) resolve on first
access through ``__getattr__`` so that importing ``autograd.graph`` from ``_tensor`` stays
cycle-free.
"""

from __future__ import annotations

import importlib
from typing import Any

from .anomaly_mode import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)

_LAZY = {
    "Function": ("function", "Function"),
    "FunctionCtx": ("function", "FunctionCtx"),
    "once_differentiable": ("function", "once_differentiable"),
    "backward": ("api", "backward"),
    "grad": ("api", "grad"),
    "gradcheck": ("checks", "gradcheck"),
    "gradgradcheck": ("checks", "gradgradcheck"),
    "GradcheckError": ("checks", "GradcheckError"),
}
_SUBMODULES = {"function", "api", "engine", "graph", "checks", "functional", "forward_ad",
               "grad_mode", "anomaly_mode"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        mod, attr = _LAZY[name]
        value = getattr(importlib.import_module(f"{__name__}.{mod}"), attr)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'ndgrad.autograd' has no attribute {name!r}")


__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled", "detect_anomaly", "set_detect_anomaly",
           "is_anomaly_enabled", *_LAZY]
