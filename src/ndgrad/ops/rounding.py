"""Rounding division: floor_divide, div(rounding_mode=...), remainder, fmod (zero or unit grads)."""

from __future__ import annotations

from typing import Any

from .._backend import array_module
from .._tensor import Tensor
from ..autograd.function import Primitive
from .binary import _operands, div


class DivRounded(Primitive):
    """x / y rounded to a whole number ('floor' or 'trunc'): piecewise constant."""

    _node_name = "DivBackward2"

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any, mode: str) -> Any:
        xp = array_module(x)
        if mode == "floor":
            return xp.floor_divide(x, y)
        if x.dtype.kind == "f":
            return xp.trunc(x / y)
        q = xp.floor_divide(x, y)  # integers: floor, then step toward zero where inexact
        return q + ((q * y != x) & ((x < 0) != (y < 0)))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        n = ctx.needs_input_grad
        zero = grad * 0  # zero almost everywhere, as PyTorch
        return (zero if n[0] else None, zero if n[1] else None)


def floor_divide(input: Any, other: Any) -> Tensor:
    """floor(input / other) (Python's ``//``); zero gradient."""
    return rounded_div(input, other, "floor")


def rounded_div(input: Any, other: Any, mode: str) -> Tensor:
    if mode not in ("floor", "trunc"):
        raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', got {mode!r}. "
                         "Hint: pass one of those.")
    return DivRounded.apply(*_operands("div", input, other), mode=mode)


class Remainder(Primitive):
    """x - floor(x / y) * y (Python's ``%``: the sign of y); d/dx = 1, d/dy = -floor(x / y)."""

    _ctx_slots = ("mode",)

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any, mode: str) -> Any:
        ctx.mode = mode
        if ctx.needs_input_grad[1]:
            ctx.save_inputs(0, 1)
        xp = array_module(x)
        return xp.remainder(x, y) if mode == "floor" else xp.fmod(x, y)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        n = ctx.needs_input_grad
        gy = None
        if n[1]:
            x, y = ctx.saved_tensors
            gy = -grad * div(x, y, rounding_mode=ctx.mode)
        return (grad if n[0] else None, gy)


class Fmod(Remainder):
    """x - trunc(x / y) * y (C's fmod: the sign of x); d/dx = 1, d/dy = -trunc(x / y)."""


def remainder(input: Any, other: Any) -> Tensor:
    """Python's ``%``: the result has the sign of ``other``."""
    x, y = _operands("remainder", input, other)
    return Remainder.apply(x, y, mode="floor")


def fmod(input: Any, other: Any) -> Tensor:
    """C's fmod: the result has the sign of ``input``."""
    x, y = _operands("fmod", input, other)
    return Fmod.apply(x, y, mode="trunc")


__all__ = ["floor_divide", "remainder", "fmod"]
