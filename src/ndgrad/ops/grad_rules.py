"""Fused gradient formulas used inside backward rules (PyTorch's ``tanh_backward`` & co).

Each is a primitive of its own, so a rule costs one op instead of three when no graph is
built, and stays differentiable (its own backward) when ``create_graph=True``.
"""

from __future__ import annotations

from typing import Any

from .._backend import array_module
from .._tensor import Tensor
from ..autograd.function import Primitive, _tensor_of
from ..autograd.grad_mode import grad_enabled as _grad_on
from ._common import const_zeros
from ._common import scalar_operand as _k

_IN_PLACE_MIN = 1024  # below this many elements ufuncs with out= cost more than they save


def _fits(t: Any, g: Any) -> bool:
    """True when ``g`` and ``t`` have one shape and dtype and ``t`` is big enough for in-place
    work to pay (fewer fresh temporaries; 0-d NumPy scalars have no ``out=``): the result may
    then be built in place in a fresh array of that shape (never in ``g`` or a saved tensor)."""
    return t.size >= _IN_PLACE_MIN and t.shape == g.shape and t.dtype == g.dtype


def _tanh_grad(g: Any, y: Any) -> Any:
    """grad * (1 - y**2) on arrays."""
    t = y * y
    # three passes over one fresh temporary instead of three arrays (the size test first
    # spares small arrays, the hot case, the call)
    if t.size >= _IN_PLACE_MIN and _fits(t, g):
        xp = array_module(t)
        xp.subtract(1, t, out=t)
        xp.multiply(g, t, out=t)
        return t
    return g * (_k(1, t) - t)


def _sigmoid_grad(g: Any, y: Any) -> Any:
    """grad * y * (1 - y) on arrays."""
    t = _k(1, y) - y
    if _fits(t, g):
        xp = array_module(t)
        xp.multiply(y, t, out=t)
        xp.multiply(g, t, out=t)
        return t
    return g * (y * t)


def _threshold_grad(g: Any, y: Any) -> Any:
    """grad where y != 0, else 0, on arrays. y is relu's output (>= 0, or NaN), so this is
    PyTorch's ``y <= 0 ? 0 : grad``: a NaN output passes the gradient, as there."""
    if _fits(y, g):
        # the mask written straight as 0.0/1.0 into the result, then scaled in place: no
        # boolean temporary and a same-dtype multiply (g * mask casts bool in chunks)
        xp = array_module(g)
        out = xp.not_equal(y, 0, out=xp.empty_like(g))
        out *= g
        return out
    return g * (y != 0)


class TanhBackward(Primitive):
    """grad * (1 - y**2) for y = tanh(x)."""

    @staticmethod
    def forward(ctx: Any, g: Any, y: Any) -> Any:
        ctx.save_inputs(0, 1)
        return _tanh_grad(g, y)

    @staticmethod
    def backward(ctx: Any, gg: Tensor) -> tuple:
        g, y = ctx.saved_tensors
        n = ctx.needs_input_grad
        return (gg * (1 - y * y) if n[0] else None, gg * g * y * -2 if n[1] else None)


class SigmoidBackward(Primitive):
    """grad * y * (1 - y) for y = sigmoid(x)."""

    @staticmethod
    def forward(ctx: Any, g: Any, y: Any) -> Any:
        ctx.save_inputs(0, 1)
        return _sigmoid_grad(g, y)

    @staticmethod
    def backward(ctx: Any, gg: Tensor) -> tuple:
        g, y = ctx.saved_tensors
        n = ctx.needs_input_grad
        return (gg * y * (1 - y) if n[0] else None, gg * g * (1 - y * 2) if n[1] else None)


class ThresholdBackward(Primitive):
    """grad where y != 0, else 0 (relu's rule, y its output; the mask is constant, so its own
    rule is too)."""

    @staticmethod
    def forward(ctx: Any, g: Any, y: Any) -> Any:
        ctx.save_inputs(1)
        return _threshold_grad(g, y)

    @staticmethod
    def backward(ctx: Any, gg: Tensor) -> tuple:
        (y,) = ctx.saved_tensors
        need = ctx.needs_input_grad
        # y's gradient is 0, but given (PyTorch's threshold_backward is a function of the
        # output too): a second derivative through relu then reaches x, as zeros, not None
        gy = const_zeros(y) if need[1] else None
        return (ThresholdBackward.apply(gg, y) if need[0] else None, gy)


# Without a graph to build (no create_graph) each rule is its primitive's array formula, called
# directly on the saved output's array: the same formula, without apply's dispatch.
def tanh_backward(ctx: Any, grad: Tensor) -> Tensor:
    """d tanh: grad * (1 - y**2), y the output ``ctx`` saved."""
    if _grad_on():
        return TanhBackward.apply(grad, ctx.saved_outputs[0])
    return _tensor_of(_tanh_grad(grad._data, ctx.saved_out0()))


def sigmoid_backward(ctx: Any, grad: Tensor) -> Tensor:
    """d sigmoid: grad * y * (1 - y), y the output ``ctx`` saved."""
    if _grad_on():
        return SigmoidBackward.apply(grad, ctx.saved_outputs[0])
    return _tensor_of(_sigmoid_grad(grad._data, ctx.saved_out0()))


def threshold_backward(ctx: Any, grad: Tensor) -> Tensor:
    """d relu: grad where the saved output y != 0 (subgradient 0 at 0, as PyTorch; NaN passes)."""
    if _grad_on():
        return ThresholdBackward.apply(grad, ctx.saved_outputs[0])
    return _tensor_of(_threshold_grad(grad._data, ctx.saved_out0()))


__all__: list[str] = []  # internal helpers for rules, not part of ng.*
