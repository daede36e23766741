"""Binary elementwise ops with NumPy broadcasting: add sub mul div pow maximum minimum arctan2
clamp where floor_divide remainder fmod.

Tensor-with-Python-scalar forms are separate primitives that save no tensor (so ``2 * x`` can
be backpropagated twice, as in PyTorch) and never upcast the tensor's dtype. Tensor-tensor forms
go through ``_operands``: PyTorch's promotion, and a broadcast error naming op and shapes.
"""

from __future__ import annotations

import math
from typing import Any

from .._backend import array_module
from .._tensor import Tensor
from ..autograd.function import Primitive
from ._common import float_input, is_scalar, pair, promote_int, to_tensor
from ._shape_utils import broadcast_shapes
from .unary import log

_PY_NUM = (int, float)
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _operands(op: str, input: Any, other: Any) -> tuple[Tensor, Tensor]:
    """Both operands as Tensors of PyTorch's result dtype, checked to broadcast."""
    x, y = pair(input, other)
    xd, yd = x._data.dtype, y._data.dtype
    if xd is not yd and xd != yd:
        x, y = _promote(x, y, xd, yd)
    sx, sy = x._data.shape, y._data.shape
    if sx != sy:
        for a, b in zip(sx[::-1], sy[::-1]):
            if a != b and a != 1 and b != 1:
                broadcast_shapes(op, sx, sy)  # raises the error naming op and shapes
    return x, y


def _promote(x: Tensor, y: Tensor, xd: Any, yd: Any) -> tuple[Tensor, Tensor]:
    """PyTorch's rule: the higher category (bool < int < float < complex) decides; within one
    category a 0-d tensor does not upcast a dimensioned one. Cast only where NumPy differs."""
    xp = array_module(x._data)
    natural = xp.promote_types(xd, yd)
    cx, cy = _CATEGORY.get(xd.kind, 3), _CATEGORY.get(yd.kind, 3)
    if cx != cy:
        target = natural if cx + cy == 5 else (xd if cx > cy else yd)  # float with complex
    else:
        zx, zy = x._data.ndim == 0, y._data.ndim == 0
        target = natural if zx == zy else (yd if zx else xd)
    if target == natural:
        return x, y
    return _cast(x, target), _cast(y, target)


def _cast(t: Tensor, dtype: Any) -> Tensor:
    if t._data.dtype == dtype:
        return t
    return t.to(dtype) if t._rg else Tensor._make(t._data.astype(dtype))


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
        ctx.save_inputs(1)
        if ctx.needs_input_grad[1]:
            ctx.save_outputs(0)
        return x / y

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        n = ctx.needs_input_grad
        if not n[1]:
            return grad / ctx.saved_tensors[0], None
        y, out = ctx.saved_tensors
        gx = grad / y
        return (gx if n[0] else None), gx * out * -1  # d(x/y)/dy = -(x/y) / y


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
    x, y = _operands("add", input, other)
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
    x, y = _operands("sub", input, other)
    if alpha != 1:
        y = mul(y, alpha)
    return Sub.apply(x, y)


def rsub(input: Tensor, other: Any) -> Tensor:
    """other - input (Python's reflected subtraction)."""
    if type(other) in _PY_NUM:
        if isinstance(other, float):
            input = promote_int(input)
        return RSubScalar.apply(input, c=other)
    y, x = _operands("sub", other, input)
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
    x, y = _operands("mul", input, other)
    return Mul.apply(x, y)


def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """input / other (true division; ints give the default float)."""
    if rounding_mode is not None:
        return _rounded_div(input, other, rounding_mode)
    if type(other) in _PY_NUM and type(input) is Tensor:
        return DivScalar.apply(float_input(input), c=other)
    if type(input) in _PY_NUM and type(other) is Tensor:
        return RDivScalar.apply(float_input(other), c=input)
    x, y = _operands("div", input, other)
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
    x, y = _operands("pow", input, exponent)
    return Pow.apply(x, y)


def rpow(input: Tensor, other: Any) -> Tensor:
    """other ** input (Python's reflected power)."""
    if type(other) in _PY_NUM:
        return RPowScalar.apply(float_input(input), c=other)
    return pow(other, input)


class Maximum(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        ctx.save_inputs(0, 1)
        return array_module(x).maximum(x, y)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        x, y = ctx.saved_tensors
        return _split(grad, x > y, x == y, ctx.needs_input_grad)


class Minimum(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        ctx.save_inputs(0, 1)
        return array_module(x).minimum(x, y)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        x, y = ctx.saved_tensors
        return _split(grad, x < y, x == y, ctx.needs_input_grad)


def _split(grad: Tensor, wins: Tensor, tie: Tensor, n: tuple) -> tuple:
    if tie.any():  # tie: each input gets half the gradient (PyTorch's rule)
        gx = grad * where(tie, 0.5, wins.to(grad.dtype))
    else:
        gx = where(wins, grad, 0.0)
    return (gx if n[0] else None), (grad - gx if n[1] else None)


def maximum(input: Any, other: Any) -> Tensor:
    """Elementwise max, broadcasting; ties split the gradient half/half."""
    x, y = _operands("maximum", input, other)
    return Maximum.apply(x, y)


def minimum(input: Any, other: Any) -> Tensor:
    """Elementwise min, broadcasting; ties split the gradient half/half."""
    x, y = _operands("minimum", input, other)
    return Minimum.apply(x, y)


class Atan2(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        ctx.save_inputs(0, 1)
        return array_module(x).arctan2(x, y)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        x, y = ctx.saved_tensors
        n = ctx.needs_input_grad
        r = grad / (x * x + y * y)
        return (r * y if n[0] else None, -(r * x) if n[1] else None)


def arctan2(input: Any, other: Any) -> Tensor:
    """Elementwise angle of the point (other, input), in (-pi, pi]."""
    x, y = _operands("arctan2", input, other)
    if x._data.dtype.kind in "iub":
        x, y = float_input(x), float_input(y)
    return Atan2.apply(x, y)


class Clamp(Primitive):
    """Clamp to Python-number bounds (either may be None)."""

    _node_name = "ClampBackward1"

    @staticmethod
    def forward(ctx: Any, x: Any, lo: Any, hi: Any) -> Any:
        ctx.save_inputs(0)
        ctx.lo, ctx.hi = lo, hi
        if lo is not None and hi is not None and lo <= hi:
            ctx.save_outputs(0)
        xp = array_module(x)
        if lo is None:
            return xp.minimum(x, hi)
        out = xp.maximum(x, lo)
        if hi is None:
            return out
        return xp.minimum(out, hi, out=out) if out.ndim else xp.minimum(out, hi)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        x = ctx.saved_tensors[0]
        lo, hi = ctx.lo, ctx.hi
        # on a bound the gradient passes (PyTorch: where min <= x <= max)
        if lo is None:
            return grad * (x <= hi)
        if hi is None:
            return grad * (x >= lo)
        if lo <= hi:
            return grad * (ctx.saved_tensors[1] == x)  # out == x exactly when lo <= x <= hi
        return grad * ((x >= lo) & (x <= hi))


def clamp(input: Any, min: Any = None, max: Any = None) -> Tensor:
    """Limit input to [min, max]; bounds are numbers or tensors, either may be None."""
    x = to_tensor(input)
    if min is None and max is None:
        raise ValueError("clamp: min and max are both None. Hint: pass at least one bound.")
    if (min is None or is_scalar(min)) and (max is None or is_scalar(max)):
        if isinstance(min, float) or isinstance(max, float):
            x = promote_int(x)
        return Clamp.apply(x, lo=min, hi=max)
    # tensor bounds: x keeps its value (and its gradient) on a bound; a bound gets the
    # gradient where it is active (PyTorch's rule; only the grad_fn name differs)
    if min is not None:
        x = where(x < min, min, x)
    if max is not None:
        x = where(x > max, max, x)
    return x


class Where(Primitive):
    """cond ? x : y, broadcasting all three; cond gets no gradient."""

    @staticmethod
    def forward(ctx: Any, cond: Any, x: Any, y: Any) -> Any:
        ctx.cond = cond
        return array_module(x).where(cond, x, y)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        n = ctx.needs_input_grad
        cond = Tensor._make(ctx.cond)
        return (None, where(cond, grad, 0.0) if n[1] else None,
                where(cond, 0.0, grad) if n[2] else None)


def where(condition: Any, input: Any = None, other: Any = None) -> Any:
    """Elementwise ``input if condition else other``; with one argument, the nonzero indices."""
    cond = to_tensor(condition)
    if input is None and other is None:
        xp = array_module(cond._data)
        return tuple(Tensor._make(i) for i in xp.nonzero(cond._data))
    x, y = _operands("where", input, other)
    if cond._data.dtype.kind != "b":
        cond = Tensor._make(cond._data.astype(bool))
    cs = cond._data.shape
    if cs != x._data.shape or cs != y._data.shape:
        broadcast_shapes("where", cs, x._data.shape, y._data.shape)
    return Where.apply(cond, x, y)


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
    return _rounded_div(input, other, "floor")


def _rounded_div(input: Any, other: Any, mode: str) -> Tensor:
    if mode not in ("floor", "trunc"):
        raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', got {mode!r}. "
                         "Hint: pass one of those.")
    return DivRounded.apply(*_operands("div", input, other), mode=mode)


class Remainder(Primitive):
    """x - floor(x / y) * y (Python's ``%``: the sign of y); d/dx = 1, d/dy = -floor(x / y)."""

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


true_divide = divide = div
multiply = mul
subtract = sub
power = pow
clip = clamp
atan2 = arctan2

__all__ = ["add", "sub", "rsub", "mul", "div", "rdiv", "pow", "rpow", "true_divide", "divide",
           "multiply", "subtract", "power", "where", "maximum", "minimum", "arctan2", "atan2",
           "clamp", "clip", "floor_divide", "remainder", "fmod"]
