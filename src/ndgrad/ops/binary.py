"""Binary elementwise ops with NumPy broadcasting: add sub mul div pow maximum minimum ...

Tensor-with-Python-scalar forms are separate primitives that save no tensor (so ``2 * x`` can
be backpropagated twice, as in PyTorch) and never upcast the tensor's dtype.
"""

from __future__ import annotations

import math
from typing import Any

from .._backend import array_module
from .._tensor import Tensor
from ..autograd.function import Primitive
from ._common import float_input, is_scalar, pair, promote_int, to_tensor
from .unary import log

_PY_NUM = (int, float)


class Add(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        return x + y

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        n = ctx.needs_input_grad
        return (grad if n[0] else None, grad if n[1] else None)


class AddScalar(Primitive):
    _node_name = "AddBackward1"

    @staticmethod
    def forward(ctx: Any, x: Any, c: Any) -> Any:
        return x + c

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad


class Sub(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        return x - y

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        n = ctx.needs_input_grad
        return (grad if n[0] else None, -grad if n[1] else None)


class RSubScalar(Primitive):
    _node_name = "RsubBackward1"

    @staticmethod
    def forward(ctx: Any, x: Any, c: Any) -> Any:
        return c - x

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return -grad


class Mul(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        n = ctx.needs_input_grad
        if n[0] and n[1]:
            ctx.save_inputs(0, 1)
        elif n[0]:
            ctx.save_inputs(1)
        elif n[1]:
            ctx.save_inputs(0)
        return x * y

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        n = ctx.needs_input_grad
        saved = ctx.saved_tensors
        if n[0] and n[1]:
            x, y = saved
            return grad * y, grad * x
        if n[0]:
            return grad * saved[0], None
        return None, grad * saved[0]


class MulScalar(Primitive):
    _node_name = "MulBackward1"

    @staticmethod
    def forward(ctx: Any, x: Any, c: Any) -> Any:
        ctx.c = c
        return x * c

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad * ctx.c


class Div(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        ctx.save_inputs(0, 1)
        return x / y

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        x, y = ctx.saved_tensors
        n = ctx.needs_input_grad
        gx = grad / y if n[0] else None
        gy = -grad * x / (y * y) if n[1] else None
        return gx, gy


class DivScalar(Primitive):
    _node_name = "DivBackward1"

    @staticmethod
    def forward(ctx: Any, x: Any, c: Any) -> Any:
        ctx.c = c
        return x / c

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad / ctx.c


class RDivScalar(Primitive):
    """c / x."""

    _node_name = "DivBackward0"

    @staticmethod
    def forward(ctx: Any, x: Any, c: Any) -> Any:
        ctx.c = c
        ctx.save_inputs(0)
        return c / x

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return grad * (-ctx.c) / (x * x)


class Pow(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        ctx.save_inputs(0, 1)
        return x ** y

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        x, y = ctx.saved_tensors
        n = ctx.needs_input_grad
        gx = grad * y * x ** (y - 1) if n[0] else None
        gy = None
        if n[1]:
            # x == 0: d(x**y)/dy is taken as 0 (PyTorch's choice; the limit for y > 0)
            safe = where(x == 0, 1.0, x)
            gy = grad * where(x == 0, 0.0, x ** y * log(safe))
        return gx, gy


class PowScalar(Primitive):
    """x ** c for a Python number c."""

    _node_name = "PowBackward0"

    @staticmethod
    def forward(ctx: Any, x: Any, c: Any) -> Any:
        ctx.c = c
        ctx.save_inputs(0)
        return x ** c

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        c = ctx.c
        if c == 0:
            return grad * 0
        if c == 1:
            return grad
        if c == 2:
            return grad * x * 2
        return grad * c * x ** (c - 1)


class RPowScalar(Primitive):
    """c ** x for a Python number c."""

    _node_name = "PowBackward1"

    @staticmethod
    def forward(ctx: Any, x: Any, c: Any) -> Any:
        ctx.logc = math.log(c) if c > 0 else float("nan") if c < 0 else float("-inf")
        ctx.save_outputs(0)
        return c ** x

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (out,) = ctx.saved_outputs
        return grad * out * ctx.logc


def add(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    """input + alpha * other, broadcasting."""
    if type(other) in _PY_NUM and type(input) is Tensor:
        c = other * alpha
        if isinstance(c, float):
            input = promote_int(input)
        return AddScalar.apply(input, c=c)
    if type(input) in _PY_NUM and type(other) is Tensor and alpha == 1:
        if isinstance(input, float):
            other = promote_int(other)
        return AddScalar.apply(other, c=input)
    x, y = pair(input, other)
    if alpha != 1:
        y = mul(y, alpha)
    return Add.apply(x, y)


def sub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    """input - alpha * other, broadcasting."""
    if type(other) in _PY_NUM and type(input) is Tensor:
        c = -other * alpha
        if isinstance(c, float):
            input = promote_int(input)
        return AddScalar.apply(input, c=c)
    if type(input) in _PY_NUM and type(other) is Tensor and alpha == 1:
        return rsub(other, input)
    x, y = pair(input, other)
    if alpha != 1:
        y = mul(y, alpha)
    return Sub.apply(x, y)


def rsub(input: Tensor, other: Any) -> Tensor:
    """other - input (Python's reflected subtraction)."""
    if type(other) in _PY_NUM:
        if isinstance(other, float):
            input = promote_int(input)
        return RSubScalar.apply(input, c=other)
    x, y = pair(input, other)
    return Sub.apply(y, x)


def mul(input: Any, other: Any) -> Tensor:
    """input * other, broadcasting."""
    if type(other) in _PY_NUM and type(input) is Tensor:
        if isinstance(other, float):
            input = promote_int(input)
        return MulScalar.apply(input, c=other)
    if type(input) in _PY_NUM and type(other) is Tensor:
        if isinstance(input, float):
            other = promote_int(other)
        return MulScalar.apply(other, c=input)
    x, y = pair(input, other)
    return Mul.apply(x, y)


def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """input / other (true division; ints give the default float)."""
    if rounding_mode is not None:
        return _rounded_div(input, other, rounding_mode)
    if type(other) in _PY_NUM and type(input) is Tensor:
        return DivScalar.apply(float_input(input), c=other)
    if type(input) in _PY_NUM and type(other) is Tensor:
        return RDivScalar.apply(float_input(other), c=input)
    x, y = pair(input, other)
    if x._data.dtype.kind in "iub" and y._data.dtype.kind in "iub":
        x, y = float_input(x), float_input(y)
    return Div.apply(x, y)


def rdiv(input: Tensor, other: Any) -> Tensor:
    """other / input (Python's reflected division)."""
    if type(other) in _PY_NUM:
        return RDivScalar.apply(float_input(input), c=other)
    return div(other, input)


def pow(input: Any, exponent: Any) -> Tensor:
    """input ** exponent, broadcasting."""
    if type(exponent) in _PY_NUM and type(input) is Tensor:
        if isinstance(exponent, float) or exponent < 0:
            input = promote_int(input)
        return PowScalar.apply(input, c=exponent)
    if type(input) in _PY_NUM and type(exponent) is Tensor:
        return rpow(exponent, input)
    x, y = pair(input, exponent)
    return Pow.apply(x, y)


def rpow(input: Tensor, other: Any) -> Tensor:
    """other ** input (Python's reflected power)."""
    if type(other) in _PY_NUM:
        return RPowScalar.apply(float_input(input), c=other)
    return pow(other, input)


class Where(Primitive):
    """cond ? x : y, broadcasting all three; cond gets no gradient."""

    @staticmethod
    def forward(ctx: Any, cond: Any, x: Any, y: Any) -> Any:
        ctx.cond = cond
        return (x if cond.all() else y) if cond.ndim == 0 else _where(cond, x, y)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        n = ctx.needs_input_grad
        cond = Tensor._make(ctx.cond)
        zero = grad * 0
        return (None, where(cond, grad, zero) if n[1] else None,
                where(cond, zero, grad) if n[2] else None)


def _where(cond: Any, x: Any, y: Any) -> Any:
    return array_module(x).where(cond, x, y)


def where(condition: Any, input: Any = None, other: Any = None) -> Any:
    """Elementwise ``input if condition else other``; with one argument, the nonzero indices."""
    cond = to_tensor(condition)
    if input is None and other is None:
        xp = array_module(cond._data)
        return tuple(Tensor._make(i) for i in xp.nonzero(cond._data))
    x, y = pair(input, other)
    if cond._data.dtype.kind != "b":
        cond = Tensor._make(cond._data.astype(bool))
    return Where.apply(cond, x, y)


def _rounded_div(input: Any, other: Any, mode: str) -> Tensor:
    """Integer-valued division: 'floor' or 'trunc' (piecewise constant: zero gradient)."""
    x, y = pair(input, other)
    xp = array_module(x._data)
    with_floor = xp.floor_divide(x._data, y._data)
    if mode == "trunc":
        q = x._data / y._data
        out = xp.trunc(q).astype(xp.result_type(x._data, y._data)) if q.dtype != with_floor.dtype \
            else xp.trunc(q)
    elif mode == "floor":
        out = with_floor
    else:
        raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', got {mode!r}.")
    return Tensor._make(out)


true_divide = divide = div
multiply = mul
subtract = sub
power = pow

__all__ = ["add", "sub", "rsub", "mul", "div", "rdiv", "pow", "rpow", "true_divide", "divide",
           "multiply", "subtract", "power", "where"]
