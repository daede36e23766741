"""Conversions and copies: to (dtype/device), clone, copy_into, fill; random fills for init."""

from __future__ import annotations

from typing import Any

from .. import _backend, _dtypes
from .._backend import array_module
from .._tensor import Tensor
from ..autograd.function import Primitive
from ..random import default_generator
from ._common import to_tensor


class ToCopy(Primitive):
    """Cast dtype and/or move device; the gradient goes back with the input's dtype/device."""

    _ctx_slots = ("in_dtype", "in_device")

    @staticmethod
    def forward(ctx: Any, x: Any, dtype: Any, device: Any) -> Any:
        ctx.in_dtype = x.dtype
        ctx.in_device = _backend.device_of(x)
        out = x if device is None else _backend.to_device(x, device)
        if dtype is not None and out.dtype != dtype:
            out = out.astype(dtype)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return ToCopy.apply(grad, dtype=ctx.in_dtype, device=ctx.in_device)


class Clone(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return x.copy()

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad


class CopyInto(Primitive):
    """The value of ``src`` broadcast to ``x``'s shape and dtype (``x.copy_(src)``)."""

    _node_name = "CopyBackwards"

    @staticmethod
    def forward(ctx: Any, x: Any, src: Any) -> Any:
        xp = array_module(x)
        return xp.broadcast_to(src, x.shape).astype(x.dtype, copy=True)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        return None, grad if ctx.needs_input_grad[1] else None


class Fill(Primitive):
    _node_name = "FillBackward0"

    @staticmethod
    def forward(ctx: Any, x: Any, value: Any) -> Any:
        return array_module(x).full(x.shape, value, dtype=x.dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return None


def to(input: Tensor, *args: Any, dtype: Any = None, device: Any = None, copy: bool = False,
       non_blocking: bool = False) -> Tensor:
    """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other_tensor)``."""
    for a in args:
        if isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, (str, _backend.Device)):
            device = a
        elif a is not None:
            dtype = a
    d = _dtypes.to_dtype(dtype)
    dev = None if device is None else _backend.Device(device)
    same_dtype = d is None or d == input._data.dtype
    same_dev = dev is None or dev == input.device
    if same_dtype and same_dev and not copy:
        return input
    if d is not None and d.kind not in "fc" and input._rg:
        out = ToCopy.apply(input.detach(), dtype=d, device=dev)
        return out
    return ToCopy.apply(input, dtype=d, device=dev)


def clone(input: Tensor) -> Tensor:
    """A copy with its own storage (differentiable)."""
    return Clone.apply(to_tensor(input))


def copy_into(input: Tensor, src: Any) -> Tensor:
    """What ``input.copy_(src)`` writes: ``src`` broadcast and cast to ``input``."""
    s = to_tensor(src, input)
    return CopyInto.apply(input, s)


def full_like_grad(input: Tensor, value: Any) -> Tensor:
    """What ``input.fill_(value)`` writes (no gradient flows to the old value)."""
    return Fill.apply(input, value=value)


def rand_like_data(input: Tensor, kind: str, a: float, b: float) -> Any:
    """Random numbers for ``uniform_`` / ``normal_``, from ndgrad's default generator."""
    rng = default_generator()
    shape = input.shape
    arr = rng.uniform(a, b, shape) if kind == "uniform" else rng.normal(a, b, shape)
    return arr.astype(input.dtype, copy=False)


__all__ = ["to", "clone", "copy_into", "full_like_grad", "rand_like_data"]
