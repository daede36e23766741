"""Powers: pow (Tensor ** Tensor, Tensor ** number, number ** Tensor), rpow and square.

PyTorch's rules throughout. Dtypes: an int Python number keeps an int tensor's dtype (either
side), a bool tensor to an int gives int64, ``bool ** True`` stays bool; an int tensor to a
negative Python int raises, while negative elements of an int exponent tensor give ``1 / x**|y|``
truncated (1 for base 1, +-1 for base -1, else 0). Gradients are PyTorch's masked formulas
(``pow_backward_self`` / ``pow_backward_exponent``): the base's is 0 where the exponent is 0,
the exponent's is 0 where the base is 0 and the exponent >= 0 (the limit from a base > 0;
base 0 with a negative exponent gives -inf, a NaN exponent NaN).
"""

from __future__ import annotations

import math
from typing import Any

from .._backend import array_module, np
from .._tensor import Tensor
from ..autograd.function import Primitive, _apply_scalar
from ..autograd.grad_mode import grad_enabled as _grad_on
from ._common import float_input, promote_int, to_tensor, zeros_rule
from .binary import _PY_NUM, _operands, _square_grad, where
from .unary import log

_make = Tensor._make
_NEG_INT_MSG = "Integers to negative integer powers are not allowed."


def _quiet_pow() -> Any:
    """0 ** negative is inf (as in PyTorch), without NumPy's divide-by-zero warning."""
    return np.errstate(divide="ignore")


def _quiet_log() -> Any:
    """log(0) = -inf, log(negative) = NaN and 0 * inf = NaN, without NumPy's warnings."""
    return np.errstate(divide="ignore", invalid="ignore")


def _pow_number(a: Any, c: Any) -> Any:
    """``a ** c`` for a number ``c``; NumPy's error state is touched only when c < 0, the one
    case that can divide by zero."""
    if c < 0:
        with _quiet_pow():
            return a ** c
    return a ** c


def _int_pow(a: Any, b: Any) -> Any:
    """``a ** b`` on integer (or bool) arrays as PyTorch: a negative exponent gives
    ``1 / a**|b|`` truncated toward 0 (NumPy raises there)."""
    xp = array_module(a)
    dt = xp.result_type(a, b)
    if dt.kind == "b":
        raise NotImplementedError("pow: not implemented for 'Bool' tensors. Hint: cast one "
                                  "operand to an integer or floating dtype first.")
    a, b = xp.asarray(a, dtype=dt), xp.asarray(b, dtype=dt)
    neg = b < 0
    if not neg.any():
        return xp.asarray(a ** b)
    r = a ** xp.where(neg, 0, b)
    odd = (b & 1) != 0
    recip = xp.where(a == 1, 1, xp.where(a == -1, xp.where(odd, -1, 1), 0))
    return xp.asarray(xp.where(neg, recip, r), dtype=dt)


class Pow(Primitive):
    _node_name = "PowBackward1"

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        ctx.save_inputs(0, 1)
        if ctx.needs_input_grad[1]:
            ctx.save_outputs(0)  # x ** y again in the exponent's rule (as PyTorch's result)
        with _quiet_pow():
            return x ** y

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        n = ctx.needs_input_grad
        saved = ctx.saved_tensors
        x, y = saved[0], saved[1]
        g, a, b = grad._data, x._data, y._data
        if not _grad_on() and a.ndim and a.dtype.kind == "f" and (
                a.shape == b.shape == g.shape and a.dtype is b.dtype is g.dtype):
            return _pow_grads(array_module(a), g, a, b, saved[2]._data if n[1] else None, n)
        gx = gy = None
        if n[0]:  # y == 0: x ** 0 is constant, so 0 (not 0 * inf at x = 0), as PyTorch
            gx = where(b == 0, 0.0, grad * (y * x ** (y - 1)))
        if n[1]:
            # x == 0 and y >= 0: 0 (the limit from x > 0, PyTorch's choice); x == 0 and
            # y < 0 gives -inf (inf * log 0), as there
            with _quiet_log():
                gy = grad * where((a == 0) & (b >= 0), 0.0, saved[2] * log(x))
        return gx, gy


def _pow_grads(xp: Any, g: Any, a: Any, b: Any, out: Any, n: tuple) -> tuple:
    """Pow's rule on arrays of one shape (no graph): each gradient in one fresh temporary,
    the exponent's from the saved result instead of a second power. The masks cost a pass
    only when a zero is there (``all()`` is one reduction, no boolean array)."""
    gx = gy = None
    if n[0]:
        t = b - 1
        with _quiet_pow():
            xp.power(a, t, out=t)
        t *= b
        t *= g
        if not b.all():
            t[b == 0] = 0
        gx = _make(t)
    if n[1]:
        if a.all():
            t = xp.log(a)
            t *= out
        else:
            with _quiet_log():
                t = xp.log(a)
                t *= out
            t[(a == 0) & (b >= 0)] = 0
        t *= g
        gy = _make(t)
    return gx, gy


class PowScalar(Primitive):
    """x ** c for a Python number c."""

    _exact = True
    _ctx_slots = ("c",)

    _node_name = "PowBackward0"

    @staticmethod
    def forward(ctx: Any, x: Any, c: Any) -> Any:
        ctx.c = c
        ctx.save_inputs(0)
        if c == 3 and x.dtype.kind == "f":
            return x * x * x  # as PyTorch's CPU kernel (and ~6x faster than NumPy's pow)
        return _pow_number(x, c)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        c = ctx.c
        if c == 0:  # zeros, as PyTorch (not grad * 0: an inf upstream gradient gives 0)
            return zeros_rule(grad)
        if c == 1:  # grad * x ** 0 under create_graph: tied to x, as PyTorch's
            return grad * _apply_scalar(PowScalar, x, 0) if _grad_on() else grad
        if c == 2:
            return _square_grad(grad, x)
        g, a = grad._data, x._data
        if not _grad_on() and a.ndim and g.shape == a.shape and g.dtype is a.dtype and (
                a.dtype.kind == "f"):
            t = _pow_number(a, c - 1)  # no graph: one fresh temporary, scaled in place
            t *= g
            t *= c
            return _make(t)
        return grad * c * x ** (c - 1)


class RPowScalar(Primitive):
    """c ** x for a Python number c."""

    _ctx_slots = ("c", "logc")

    _node_name = "PowBackward2"  # PyTorch's names: x ** c 0, x ** y 1, c ** x 2

    @staticmethod
    def forward(ctx: Any, x: Any, c: Any) -> Any:
        ctx.c = c
        ctx.logc = math.log(c) if c > 0 else float("nan") if c < 0 else float("-inf")
        ctx.save_outputs(0)
        if c == 0:
            ctx.save_inputs(0)  # the exponent's sign decides the rule's mask
            with _quiet_pow():
                return c ** x
        return c ** x

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (out,) = ctx.saved_outputs
        if ctx.c == 0:  # 0 where x >= 0 (PyTorch's mask); -inf where x < 0, NaN at NaN
            (x,) = ctx.saved_inputs
            with _quiet_log():
                return grad * where(x._data >= 0, 0.0, out * ctx.logc)
        return grad * (out * ctx.logc)


def _pow_int_tensor(x: Tensor, c: Any) -> Tensor:
    """An integer, bool or complex tensor to a Python number (PyTorch's dtypes)."""
    if isinstance(c, float) or x._data.dtype.kind not in "iub":
        return PowScalar.apply(promote_int(x), c=c)
    if c < 0:
        raise RuntimeError(f"pow: {_NEG_INT_MSG} Hint: use a float exponent ({c}.0) or cast "
                           f"the {x._data.dtype} tensor to a floating dtype.")
    if x._data.dtype.kind == "b":  # bool ** int: int64, as PyTorch
        x = _make(x._data.astype(np.int64))
    return PowScalar.apply(x, c=c)


def pow(input: Any, exponent: Any) -> Tensor:
    """input ** exponent, broadcasting."""
    if type(exponent) in _PY_NUM and type(input) is Tensor:
        if input._data.dtype.kind == "f":  # the common call: without apply's keywords
            return _apply_scalar(PowScalar, input, exponent)
        return _pow_int_tensor(input, exponent)
    if type(input) in _PY_NUM and type(exponent) is Tensor:
        return rpow(exponent, input)
    if type(exponent) is bool and type(input) is Tensor:
        a = input._data
        if a.dtype.kind == "b":  # PyTorch: bool ** True is the tensor, ** False all True
            return _make(a.copy() if exponent else array_module(a).ones_like(a))
        return pow(input, int(exponent))
    x, y = _operands("pow", input, exponent)
    if x._data.dtype.kind in "iub" and y._data.dtype.kind in "iub":
        return _make(_int_pow(x._data, y._data))
    return Pow.apply(x, y)


def square(input: Tensor) -> Tensor:
    """input ** 2 (PyTorch's PowBackward0 node)."""
    if type(input) is Tensor and input._data.dtype.kind == "f":
        return _apply_scalar(PowScalar, input, 2)  # pow's common call, without pow's frame
    return pow(input if type(input) is Tensor else to_tensor(input), 2)


def rpow(input: Tensor, other: Any) -> Tensor:
    """other ** input (Python's reflected power)."""
    if type(other) in _PY_NUM:
        b = input._data
        if b.dtype.kind == "f":
            return RPowScalar.apply(input, c=other)
        if isinstance(other, int) and b.dtype.kind in "iub":  # int ** int tensor: ints
            dt = np.int64 if b.dtype.kind == "b" else b.dtype
            return _make(_int_pow(array_module(b).asarray(other, dtype=dt), b.astype(dt)))
        return RPowScalar.apply(float_input(input), c=other)
    return pow(other, input)


power = pow

__all__ = ["pow", "rpow", "power", "square"]
