"""Elementwise selection: maximum minimum clamp/clip, and arctan2 (ties split as PyTorch)."""

from __future__ import annotations

from typing import Any

from .._backend import array_module, counter, np
from .._tensor import Tensor
from ..autograd.function import Primitive
from ..autograd.grad_mode import grad_enabled as _grad_on
from . import _fast_rules as fr
from ._common import float_input, is_scalar, promote_int, to_tensor
from .binary import _operands, where
from .unary import _np_clip

_make = Tensor._make
_INF = float("inf")


class Maximum(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        ctx.save_inputs(0, 1)
        return array_module(x).maximum(x, y)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        x, y = ctx.saved_tensors
        return _split(grad, x, y, ctx.needs_input_grad, "less")


class Minimum(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        ctx.save_inputs(0, 1)
        return array_module(x).minimum(x, y)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        x, y = ctx.saved_tensors
        return _split(grad, x, y, ctx.needs_input_grad, "greater")


def _split(grad: Tensor, x: Tensor, y: Tensor, n: tuple, loses: str) -> tuple:
    """PyTorch's rule for maximum (``loses`` is "less") and minimum ("greater"): each input
    gets the gradient, halved where x == y, zeroed where it loses (``x loses y`` for x,
    ``y loses x`` for y). A NaN loses nowhere, so both inputs get the full gradient there, as
    in PyTorch. Zeros are selected, never multiplied: an inf or NaN upstream gradient stays
    out of the loser's."""
    g, a, b = grad._data, x._data, y._data
    xp = array_module(g)
    cmp = getattr(xp, loses)
    if not _grad_on() and fr.can_select(g):
        m = xp.equal(a, b)
        if not m.any():  # arrays, no tie: one mask buffer, reused for each input
            gx = gy = None
            if n[0]:
                cmp(a, b, out=m)
                xp.logical_not(m, out=m)
                gx = _make(fr.select(xp, m, g))
            if n[1]:
                cmp(b, a, out=m)
                xp.logical_not(m, out=m)
                gy = _make(fr.select(xp, m, g))
            return gx, gy
    tie = x == y
    if tie.any():  # tie: each input gets half the gradient (PyTorch's rule)
        grad = where(tie, grad * 0.5, grad)
    return ((where(_make(cmp(a, b)), 0.0, grad) if n[0] else None),
            (where(_make(cmp(b, a)), 0.0, grad) if n[1] else None))


def maximum(input: Any, other: Any) -> Tensor:
    """Elementwise max, broadcasting; ties split the gradient half/half."""
    x, y = _operands("maximum", input, other)
    return Maximum.apply(x, y)


def minimum(input: Any, other: Any) -> Tensor:
    """Elementwise min, broadcasting; ties split the gradient half/half."""
    x, y = _operands("minimum", input, other)
    return Minimum.apply(x, y)


class Atan2(Primitive):
    """atan2(x, y); the rule is PyTorch's: ``r = 1 / (x^2 + y^2)``, 0 where that sum is 0 (at
    the origin, or where it underflows), then ``grad * y * r`` and ``grad * -x * r``."""

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        ctx.save_inputs(0, 1)
        return array_module(x).arctan2(x, y)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        e = ctx._next  # None where the input needs no grad
        if not _grad_on():
            # no graph: on the arrays, one temporary for 1 / (x^2 + y^2) and the results
            # written in place
            xa, ya = ctx.saved_arrays()
            g = grad._data
            if g.ndim and xa.shape == ya.shape == g.shape and xa.dtype == ya.dtype == g.dtype:
                r = xa * xa
                r += ya * ya
                xp = array_module(r)
                count = counter(r)
                if count(r) == r.size:  # one C count, no mask array: the common case
                    xp.reciprocal(r, out=r)
                else:
                    zero = r == 0
                    with np.errstate(divide="ignore"):
                        xp.reciprocal(r, out=r)
                    r[zero] = 0
                gx = gy = None
                if e[0] is not None:
                    gx = g * ya
                    gx *= r
                if e[1] is not None:
                    gy = g * xa
                    xp.negative(gy, out=gy)
                    gy *= r
                return (None if gx is None else _make(gx)), (None if gy is None else _make(gy))
        x, y = ctx.saved_tensors
        d = x * x + y * y
        zero = d._data == 0
        with np.errstate(divide="ignore"):
            r = where(zero, 0.0, 1 / d) if zero.any() else 1 / d
        return (grad * y * r if e[0] is not None else None,
                grad * -x * r if e[1] is not None else None)


def arctan2(input: Any, other: Any) -> Tensor:
    """Elementwise angle of the point (other, input), in (-pi, pi]."""
    x, y = _operands("arctan2", input, other)
    xd, yd = x._data.dtype, y._data.dtype
    if xd.kind in "iub" or yd.kind in "iub":  # PyTorch: an int meets a float in its dtype
        if yd.kind not in "iub":
            x = _make(x._data.astype(yd))
        elif xd.kind not in "iub":
            y = _make(y._data.astype(xd))
        else:
            x, y = float_input(x), float_input(y)
    return Atan2.apply(x, y)


class Clamp(Primitive):
    """Clamp to Python-number bounds (either may be None)."""

    _ctx_slots = ("lo", "hi")

    _node_name = "ClampBackward1"

    @staticmethod
    def forward(ctx: Any, x: Any, lo: Any, hi: Any) -> Any:
        ctx.save_inputs(0)
        ctx.lo, ctx.hi = lo, hi
        if lo is not None and hi is not None and lo <= hi:
            ctx.save_outputs(0)
        xp = array_module(x)
        if x.dtype.kind == "f":  # clip's loop is vectorised (max/min with a scalar are not)
            return (_np_clip if xp is np else xp.clip)(
                x, -_INF if lo is None else lo, _INF if hi is None else hi)
        if lo is None:
            return xp.minimum(x, hi)
        out = xp.maximum(x, lo)
        if hi is None:
            return out
        return xp.minimum(out, hi, out=out) if out.ndim else xp.minimum(out, hi)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        saved = ctx.saved_arrays()  # (x,) or (x, out)
        lo, hi = ctx.lo, ctx.hi
        g, a = grad._data, saved[0]
        it = fr.int_of(a.dtype)
        if (it is not None and not _grad_on() and a.ndim and g.shape == a.shape
                and g.dtype is a.dtype and (lo is None or hi is None or lo <= hi)):
            # no graph: the gradient selected where it passes, never multiplied by a float
            # mask (an inf upstream gradient gives 0, not NaN, outside, as in PyTorch): the
            # 0/1 mask written as integers into the result's own memory (a leaf keeps it),
            # times the gradient's bits
            xp = array_module(a)
            out = xp.empty_like(g)
            m = out.view(it)
            if lo is None:
                xp.less_equal(a, hi, out=m)
            elif hi is None:
                xp.greater_equal(a, lo, out=m)
            else:
                xp.equal(saved[1], a, out=m)
            xp.multiply(m, g.view(it), out=m)
            return _make(out)
        # on a bound the gradient passes (PyTorch: where min <= x <= max)
        x = ctx.saved_tensors[0]
        if lo is None:
            keep = x <= hi
        elif hi is None:
            keep = x >= lo
        elif lo <= hi:
            keep = ctx.saved_tensors[1] == x  # out == x exactly when lo <= x <= hi
        else:
            keep = (x >= lo) & (x <= hi)
        return where(keep, grad, 0.0)


def clamp(input: Any, min: Any = None, max: Any = None) -> Tensor:
    """Limit input to [min, max]; bounds are numbers or tensors, either may be None."""
    if type(input) is Tensor and type(min) is float and type(max) is float and \
            input._data.dtype.kind == "f":  # the common call: float bounds on a float tensor
        return Clamp.apply(input, lo=min, hi=max)
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


clip = clamp
atan2 = arctan2

__all__ = ["maximum", "minimum", "arctan2", "atan2", "clamp", "clip"]
