"""Unary elementwise ops: exp log sin cos tanh sigmoid relu abs sqrt ... (one class each).

Rules save the input or the output, whichever the derivative is cheapest in.
"""

from __future__ import annotations

from typing import Any

from .._backend import array_module
from .._tensor import Tensor
from ..autograd.function import Primitive
from ._common import float_input


class Neg(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return -x

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return -grad


class Exp(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_outputs(0)
        return array_module(x).exp(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (y,) = ctx.saved_outputs
        return grad * y


class Log(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_inputs(0)
        return array_module(x).log(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_inputs
        return grad / x


class Log1p(Primitive):
    """log(1 + x), accurate near 0."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_inputs(0)
        return array_module(x).log1p(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_inputs
        return grad / (x + 1)


class Sqrt(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_outputs(0)
        return array_module(x).sqrt(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        # at 0 the derivative is +inf, as in PyTorch
        (y,) = ctx.saved_outputs
        return grad / (y * 2)


class Sin(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_inputs(0)
        return array_module(x).sin(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_inputs
        return grad * cos(x)


class Cos(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_inputs(0)
        return array_module(x).cos(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_inputs
        return -grad * sin(x)


class Tanh(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_outputs(0)
        return array_module(x).tanh(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (y,) = ctx.saved_outputs
        return grad * (1 - y * y)


class Sigmoid(Primitive):
    """1 / (1 + exp(-x)), computed without overflow for large |x|."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_outputs(0)
        xp = array_module(x)
        e = xp.exp(-xp.abs(x))
        return xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (y,) = ctx.saved_outputs
        return grad * y * (1 - y)


class Relu(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_outputs(0)
        return array_module(x).maximum(x, 0)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        # subgradient 0 at x == 0 (PyTorch's choice)
        (y,) = ctx.saved_outputs
        return grad * (y > 0)


class Abs(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_inputs(0)
        return array_module(x).abs(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        # subgradient 0 at x == 0 (sign(0) = 0, as in PyTorch)
        (x,) = ctx.saved_inputs
        return grad * sign(x)


class Sign(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return array_module(x).sign(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad * 0


def neg(input: Tensor) -> Tensor:
    """-input."""
    return Neg.apply(input)


def exp(input: Tensor) -> Tensor:
    """Elementwise e**input."""
    return Exp.apply(float_input(input))


def log(input: Tensor) -> Tensor:
    """Elementwise natural logarithm."""
    return Log.apply(float_input(input))


def log1p(input: Tensor) -> Tensor:
    """Elementwise log(1 + input), accurate for small input."""
    return Log1p.apply(float_input(input))


def sqrt(input: Tensor) -> Tensor:
    """Elementwise square root."""
    return Sqrt.apply(float_input(input))


def sin(input: Tensor) -> Tensor:
    """Elementwise sine."""
    return Sin.apply(float_input(input))


def cos(input: Tensor) -> Tensor:
    """Elementwise cosine."""
    return Cos.apply(float_input(input))


def tanh(input: Tensor) -> Tensor:
    """Elementwise hyperbolic tangent."""
    return Tanh.apply(float_input(input))


def sigmoid(input: Tensor) -> Tensor:
    """Elementwise logistic function, stable for large |input|."""
    return Sigmoid.apply(float_input(input))


def relu(input: Tensor) -> Tensor:
    """max(input, 0) elementwise."""
    return Relu.apply(input)


def abs(input: Tensor) -> Tensor:
    """Elementwise absolute value."""
    return Abs.apply(input)


def sign(input: Tensor) -> Tensor:
    """-1, 0 or 1 elementwise (zero gradient)."""
    return Sign.apply(input)


def square(input: Tensor) -> Tensor:
    """input * input."""
    return input * input


negative = neg
absolute = abs

__all__ = ["neg", "negative", "exp", "log", "log1p", "sqrt", "sin", "cos", "tanh", "sigmoid",
           "relu", "abs", "absolute", "sign", "square"]
