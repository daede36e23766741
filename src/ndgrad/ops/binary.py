"""Binary arithmetic with NumPy broadcasting: add sub mul div (powers live in ``powers.py``,
selection ops in ``select.py``, rounding division in ``rounding.py``).

Tensor-with-Python-scalar forms are separate primitives that save no tensor (so ``2 * x`` can
be backpropagated twice, as in PyTorch) and never upcast the tensor's dtype. Tensor-tensor forms
go through ``_operands``: PyTorch's promotion, and a broadcast error naming op and shapes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .._backend import array_module, np
from .._tensor import Tensor
from ..autograd import _peephole
from ..autograd.function import _OUT0, Primitive, _apply_scalar, _record, _tensor_of
from ..autograd.grad_mode import grad_enabled as _grad_on
from . import _fast_rules as fr
from ._common import float_input, pair, promote_int, to_tensor
from ._common import scalar_operand as _k
from ._shape_utils import broadcast_shapes
from .unary import neg_grad

_PY_NUM = (int, float)
_NO_PARAMS: dict = {}  # never written: _record only unpacks it
_make = Tensor._make


def _binary_op(cls: Any, scalar_cls: Any, ufunc: Any, checked: Callable,
               negate: bool = False) -> Callable:
    """The public ``cls`` op: ``checked`` (every case, with its checks and promotion) behind
    the common calls, decided here in one frame: two float Tensors of one dtype and shape
    (``cls`` recorded, or ``ufunc`` on the arrays), and a float Tensor with a Python number
    (``scalar_cls`` recorded, with the number negated for sub, or ``ufunc``). The first is
    recorded as ``cls``'s ``_exact`` twin (same node name): its rule's gradients then have
    the inputs' shape and dtype."""
    same = type(cls.__name__, (cls,), {"_exact": True, "__module__": cls.__module__,
                                       "_node_name": cls._backward_cls.__name__})

    def op(input: Any, other: Any, *args: Any, **kwargs: Any) -> Any:
        if type(input) is Tensor and not args and not kwargs:
            a = input._data
            dt = a.dtype  # NumPy attributes cost a descriptor call each: read once
            if dt.kind == "f":
                if type(other) is Tensor:
                    b = other._data
                    if dt is b.dtype and a.shape == b.shape:
                        if (input._rg or other._rg) and _grad_on():
                            return _record(same, (input, other), _NO_PARAMS)
                        if a.ndim:  # NumPy gives 0-d results back as scalars
                            return _make(ufunc(a, b))
                elif type(other) in _PY_NUM:
                    if input._rg and _grad_on():
                        return _apply_scalar(scalar_cls, input, -other if negate else other)
                    if a.ndim:
                        return _make(ufunc(a, _k(other, a)))
        return checked(input, other, *args, **kwargs)

    return functools.wraps(checked)(op)


CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}  # PyTorch's promotion categories


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
    cx, cy = CATEGORY.get(xd.kind, 3), CATEGORY.get(yd.kind, 3)
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


# Rules below compute on the arrays when no graph is being built (the engine then checks the
# shape and dtype of what they return, reducing broadcast dimensions), and with Tensor ops,
# differentiable, under create_graph.
class Add(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        return x + y

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        e = ctx._next  # a two-input node's edges: None where the input needs no grad
        return (grad if e[0] is not None else None, grad if e[1] is not None else None)


class AddScalar(Primitive):
    _exact = True
    _node_name = "AddBackward0"  # PyTorch 2 wraps the number: the tensor op's name

    @staticmethod
    def forward(ctx: Any, x: Any, c: Any) -> Any:
        return x + _k(c, x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad


_peephole.PASS_NODE[0] = AddScalar._backward_cls  # bypassed when dead (_peephole)


class Sub(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        return x - y

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        e = ctx._next
        if e[1] is None:
            return grad, None
        # neg_grad's array path in this frame (sub is among the cheapest rows)
        return (grad if e[0] is not None else None,
                _tensor_of(-grad._data) if not _grad_on() else -grad)


class RSubScalar(Primitive):
    _exact = True
    _node_name = "RsubBackward1"

    @staticmethod
    def forward(ctx: Any, x: Any, c: Any) -> Any:
        return _k(c, x) - x

    backward = staticmethod(neg_grad)


class Mul(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        e = ctx._next  # the edges (the null ctx's are None: nothing to save)
        if e[0] is not None and e[1] is not None:
            # save_inputs(0, 1) without the call (a fifth of a small mul): nothing is saved yet
            a, b = ctx._fwd
            va, vb = a._version, b._version
            ctx._saved = (a, b)
            ctx._saved_ver = (0 if va is None else va[0], 0 if vb is None else vb[0])
        elif e[0] is not None:
            ctx.save_inputs(1)
        elif e[1] is not None:
            ctx.save_inputs(0)
        return x * y

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        e = ctx._next
        if e[0] is not None and e[1] is not None:
            s = ctx._saved
            if s.__class__ is tuple and s[0] is not s[1] and not _grad_on():
                # saved_arrays' version check, for the two saved inputs, in this frame
                x, y = s
                vx, vy = x._version, y._version
                sv = ctx._saved_ver
                if (vx is None or vx[0] == sv[0]) and (vy is None or vy[0] == sv[1]):
                    g = grad._data
                    return _tensor_of(g * y._data), _tensor_of(g * x._data)
            x, y = ctx.saved_tensors
            if x is y and ctx._extra is None:
                # x * x: both edges lead to the same place, so send 2 * grad * x once (one
                # product instead of two products and the engine's add); not when a node
                # hook would see the two grad_inputs
                return _square_grad(grad, x), None
            return grad * y, grad * x
        other = ctx.saved_tensors[0]
        gi = _tensor_of(grad._data * other._data) if not _grad_on() else grad * other
        return (gi, None) if e[0] is not None else (None, gi)


def _square_grad(grad: Tensor, x: Tensor) -> Tensor:
    """2 * grad * x, the gradient of x * x (and of x ** 2)."""
    if _grad_on():  # create_graph: stay differentiable
        return grad * (x * 2)
    g, xa = grad._data, x._data
    if g.shape == xa.shape and g.dtype == xa.dtype and xa.ndim:
        strides = g.strides
        if not any(strides):  # a broadcast constant (a mean's or sum's gradient): one pass
            return _make(xa * (g[(0,) * g.ndim] * 2))
        out = g * xa
        out *= 2  # fresh, seen by no one else: scale in place instead of a temporary
        return _make(out)
    return grad * x * 2


class MulScalar(Primitive):
    _exact = True
    _ctx_slots = ("c", "k")
    _node_name = "MulBackward0"  # (as x + c above)

    @staticmethod
    def forward(ctx: Any, x: Any, c: Any) -> Any:
        ctx.c = c
        ctx.k = k = _k(c, x)  # the operand again for backward (grads have x's dtype)
        return x * k

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        if _grad_on():
            return grad * ctx.c
        return _tensor_of(grad._data * ctx.k)


_peephole.SCALE_NODE[0] = MulScalar._backward_cls  # folded when dead (_peephole)


class Div(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        fwd = ctx._fwd
        if fwd is not None:  # save_inputs(1) and save_outputs(0) without the calls
            t = fwd[1]
            v = t._version
            ctx._saved = (t,)
            ctx._saved_ver = (0 if v is None else v[0],)
            if ctx._next[1] is not None:
                ctx._save_out = _OUT0
        return x / y

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        e = ctx._next
        n0 = e[0] is not None
        if e[1] is None:
            return grad / ctx.saved_tensors[0], None
        s = ctx._saved
        if not _grad_on() and s.__class__ is tuple:
            # no graph: on the arrays, the fresh product negated in place. saved_arrays'
            # version check for the saved y and output, in this frame
            y, o = s
            vy, vo, sv = y._version, o.version, ctx._saved_ver
            if (vy is not None and vy[0] != sv[0]) or (vo is not None and vo[0] != sv[1]):
                ctx.saved_arrays()  # raises the version error
            yd, od = y._data, o.data
            gd = grad._data / yd  # the output's shape: g has it, and y broadcasts into it
            if gd.ndim and gd.dtype == od.dtype and gd.dtype.kind == "f":
                gy = gd * od
                gy *= -1  # exact negation of a real array, in place
                return (_tensor_of(gd) if n0 else None), _tensor_of(gy)
        y, out = ctx.saved_tensors
        gx = grad / y
        return (gx if n0 else None), gx * out * -1  # d(x/y)/dy = -(x/y) / y


class DivScalar(Primitive):
    _exact = True
    _ctx_slots = ("c",)
    _node_name = "DivBackward0"  # (as x + c above)

    @staticmethod
    def forward(ctx: Any, x: Any, c: Any) -> Any:
        ctx.c = c
        return x / _k(c, x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        if _grad_on():
            return grad / ctx.c
        g = grad._data
        return _tensor_of(g / _k(ctx.c, g))


class RDivScalar(Primitive):
    """c / x."""

    _ctx_slots = ("c",)

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
        from .rounding import rounded_div  # rounding imports this module

        return rounded_div(input, other, rounding_mode)
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


class Where(Primitive):
    """cond ? x : y, broadcasting all three; cond gets no gradient."""

    _ctx_slots = ("cond",)

    @staticmethod
    def forward(ctx: Any, cond: Any, x: Any, y: Any) -> Any:
        ctx.cond = cond
        xp = array_module(x)
        if fr.can_select(x, y):
            return fr.select(xp, cond, x, y)
        return xp.where(cond, x, y)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        n = ctx.needs_input_grad
        g = grad._data
        if not _grad_on() and fr.can_select(g):  # no graph: both selections on arrays
            xp, c = array_module(g), ctx.cond
            gx = fr.select(xp, c, g) if n[1] else None
            if n[2]:
                gy = fr.unselect(xp, g, gx) if n[1] else fr.select(xp, xp.logical_not(c), g)
                return None, (_make(gx) if n[1] else None), _make(gy)
            return None, _make(gx), None
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


# the common calls first (_binary_op), the functions above for everything else
add = _binary_op(Add, AddScalar, np.add, add)
sub = _binary_op(Sub, AddScalar, np.subtract, sub, negate=True)
mul = _binary_op(Mul, MulScalar, np.multiply, mul)
div = _binary_op(Div, DivScalar, np.true_divide, div)
true_divide = divide = div
multiply = mul
subtract = sub

__all__ = ["add", "sub", "rsub", "mul", "div", "rdiv", "true_divide", "divide", "multiply",
           "subtract", "where"]  # pow, rpow, power, square: powers.py
