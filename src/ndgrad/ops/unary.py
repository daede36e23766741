"""Unary elementwise ops: exp log sqrt trig/hyperbolic sigmoid relu abs rounding ... (one class
each, its public function below the classes). Rules save the input or the output, whichever the
derivative is cheapest in; float ops on int tensors compute in the default float dtype.
"""

from __future__ import annotations

from typing import Any

from .._backend import array_module, ndarray, np
from .._tensor import Tensor
from ..autograd.function import _OUT0, Primitive, _apply_one, _tensor_of
from ..autograd.grad_mode import grad_enabled as _grad_on
from . import _fast_rules as fr
from ._common import float_input, to_tensor, zeros_rule
from ._fast_rules import fast
from .grad_rules import sigmoid_backward, tanh_backward, threshold_backward

_INF = float("inf")
# NumPy's clip ufunc, called directly: ``np.clip`` reaches it through two Python wrappers,
# which cost more than the ufunc itself on small arrays. Not public API, so looked up softly.
_np_clip = getattr(getattr(np, "_core", None), "umath", None)
_np_clip = getattr(_np_clip, "clip", None) or np.clip


def neg_grad(ctx: Any, grad: Tensor) -> Tensor:
    """-grad, the rule of neg (and of ``c - x``, and sub's for its second input): on the array
    when no graph is built (no op dispatch), else differentiable."""
    return _tensor_of(-grad._data) if not _grad_on() else -grad


class Neg(Primitive):
    _exact = True

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return -x

    backward = staticmethod(neg_grad)  # the rule itself: no frame in between


class Exp(Primitive):
    _exact = True
    _fold_scale = True  # may take in a dead x * c (autograd._peephole)

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
        r = fast(fr.d_log1p, grad, x)
        return r if r is not None else grad / (x + 1)


class Sqrt(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_outputs(0)
        return array_module(x).sqrt(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        # at 0 the derivative is +inf, as in PyTorch
        (y,) = ctx.saved_outputs
        r = fast(fr.d_sqrt, grad, y)
        return r if r is not None else grad / (y * 2)


class Expm1(Primitive):
    """exp(x) - 1, accurate near 0."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_outputs(0)
        return array_module(x).expm1(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (y,) = ctx.saved_outputs
        r = fast(fr.d_expm1, grad, y)
        return r if r is not None else grad * (y + 1)


class Rsqrt(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_outputs(0)
        xp = array_module(x)
        y = xp.sqrt(x)
        return xp.reciprocal(y, out=y) if y.ndim else xp.reciprocal(y)  # 0-d: a NumPy scalar

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (y,) = ctx.saved_outputs
        r = fast(fr.d_rsqrt, grad, y)
        return r if r is not None else grad * (y * y * y) * -0.5


class Reciprocal(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_outputs(0)
        return array_module(x).reciprocal(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (y,) = ctx.saved_outputs
        r = fast(fr.d_reciprocal, grad, y)
        return r if r is not None else grad * (y * y) * -1


class Sin(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_inputs(0)
        return array_module(x).sin(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_inputs
        r = fast(fr.d_sin, grad, x)
        return r if r is not None else grad * cos(x)


class Cos(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_inputs(0)
        return array_module(x).cos(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_inputs
        r = fast(fr.d_cos, grad, x)
        return r if r is not None else -grad * sin(x)


class Tan(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_outputs(0)
        return array_module(x).tan(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (y,) = ctx.saved_outputs
        r = fast(fr.d_tan, grad, y)
        return r if r is not None else grad * (y * y + 1)


class Sinh(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_inputs(0)
        return array_module(x).sinh(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_inputs
        r = fast(fr.d_sinh, grad, x)
        return r if r is not None else grad * cosh(x)


class Cosh(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_inputs(0)
        return array_module(x).cosh(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_inputs
        r = fast(fr.d_cosh, grad, x)
        return r if r is not None else grad * sinh(x)


class Asin(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_inputs(0)
        return array_module(x).arcsin(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_inputs
        r = fast(fr.d_asin, grad, x)
        return r if r is not None else grad * rsqrt(1 - x * x)


class Acos(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_inputs(0)
        return array_module(x).arccos(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_inputs
        r = fast(fr.d_acos, grad, x)
        return r if r is not None else -grad * rsqrt(1 - x * x)


class Atan(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_inputs(0)
        return array_module(x).arctan(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_inputs
        r = fast(fr.d_atan, grad, x)
        return r if r is not None else grad / (x * x + 1)


class Asinh(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_inputs(0)
        return array_module(x).arcsinh(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_inputs
        r = fast(fr.d_asinh, grad, x)
        return r if r is not None else grad * rsqrt(x * x + 1)


class Acosh(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_inputs(0)
        return array_module(x).arccosh(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_inputs
        r = fast(fr.d_acosh, grad, x)
        return r if r is not None else grad * rsqrt(x * x - 1)


class Atanh(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_inputs(0)
        return array_module(x).arctanh(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_inputs
        r = fast(fr.d_atanh, grad, x)
        return r if r is not None else grad / (1 - x * x)


class Tanh(Primitive):
    _exact = True
    _fold_scale = True  # may take in a dead x * c (autograd._peephole)

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx._save_out = _OUT0  # save_outputs(0) without the call (see function._NullCtx)
        return np.tanh(x) if type(x) is ndarray else array_module(x).tanh(x)

    backward = staticmethod(tanh_backward)  # (ctx, grad), on the saved output


class Sigmoid(Primitive):
    """1 / (1 + exp(-x)), computed without overflow for large |x|."""

    _exact = True
    _fold_scale = True  # may take in a dead x * c (autograd._peephole)

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_outputs(0)
        xp = array_module(x)
        if x.ndim and x.size and x.dtype.kind == "f" and x.min() > fr.exp_floor(x.dtype):
            # no exp(-x) overflows (a NaN fails the test): 1 / (1 + exp(-x)) in one temporary
            # with one exp, as accurate here as the split form below (which takes two)
            e = xp.negative(x)
            xp.exp(e, out=e)
            e += 1
            return xp.reciprocal(e, out=e)
        # exp(min(x, 0)) / (1 + exp(-|x|)): no overflow, full relative accuracy in both tails
        num, den = xp.minimum(x, 0), xp.abs(x)
        if not num.ndim:  # 0-d: NumPy scalars have no out=
            return xp.exp(num) / (1 + xp.exp(-den))
        xp.exp(num, out=num)
        xp.negative(den, out=den)
        xp.exp(den, out=den)
        den += 1
        num /= den
        return num

    backward = staticmethod(sigmoid_backward)  # (ctx, grad), on the saved output


class Relu(Primitive):
    _exact = True
    _fold_scale = True  # may take in a dead x * c (autograd._peephole)

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_outputs(0)
        if x.dtype.kind == "f":
            # clip has a vectorised loop; maximum with a scalar does not (2-3x slower here).
            # The same values: NaN propagates, -0.0 stays -0.0 (as PyTorch's CPU clamp_min)
            xp = array_module(x)
            return _np_clip(x, 0, _INF) if xp is np else xp.clip(x, 0, _INF)
        return array_module(x).maximum(x, 0)

    backward = staticmethod(threshold_backward)  # subgradient 0 at x == 0 (as PyTorch)


class Abs(Primitive):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_inputs(0)
        return array_module(x).abs(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        # subgradient 0 at x == 0 (sign(0) = 0, as in PyTorch), and 0 at NaN (sign(NaN) = 0)
        (x,) = ctx.saved_inputs
        r = fast(fr.d_abs, grad, x)
        return r if r is not None else grad * sign(x)


class _PiecewiseConstant(Primitive):
    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return zeros_rule(grad)  # zero almost everywhere; PyTorch takes 0 at the jumps too


class Sign(_PiecewiseConstant):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return fr.sgn(array_module(x), x)  # 0 at NaN, as PyTorch


class Floor(_PiecewiseConstant):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return array_module(x).floor(x)


class Ceil(_PiecewiseConstant):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return array_module(x).ceil(x)


class Round(_PiecewiseConstant):
    """Round half to even (NumPy's and PyTorch's rule), optionally to ``decimals``."""

    @staticmethod
    def forward(ctx: Any, x: Any, decimals: int) -> Any:
        return array_module(x).round(x, decimals)


class Trunc(_PiecewiseConstant):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return array_module(x).trunc(x)


def neg(input: Tensor) -> Tensor:
    """-input."""
    if type(input) is Tensor:
        return _apply_one(Neg, input)
    return Neg.apply(to_tensor(input))


def exp(input: Tensor) -> Tensor:
    """Elementwise e**input."""
    return _apply_one(Exp, float_input(input))


def expm1(input: Tensor) -> Tensor:
    """Elementwise exp(input) - 1, accurate for small input."""
    return _apply_one(Expm1, float_input(input))


def log(input: Tensor) -> Tensor:
    """Elementwise natural logarithm."""
    return _apply_one(Log, float_input(input))


def log1p(input: Tensor) -> Tensor:
    """Elementwise log(1 + input), accurate for small input."""
    return _apply_one(Log1p, float_input(input))


def sqrt(input: Tensor) -> Tensor:
    """Elementwise square root."""
    return _apply_one(Sqrt, float_input(input))


def rsqrt(input: Tensor) -> Tensor:
    """Elementwise 1 / sqrt(input)."""
    return _apply_one(Rsqrt, float_input(input))


def reciprocal(input: Tensor) -> Tensor:
    """Elementwise 1 / input (ints give the default float)."""
    return _apply_one(Reciprocal, float_input(input))


def sin(input: Tensor) -> Tensor:
    """Elementwise sine."""
    return _apply_one(Sin, float_input(input))


def cos(input: Tensor) -> Tensor:
    """Elementwise cosine."""
    return _apply_one(Cos, float_input(input))


def tan(input: Tensor) -> Tensor:
    """Elementwise tangent."""
    return _apply_one(Tan, float_input(input))


def arcsin(input: Tensor) -> Tensor:
    """Elementwise inverse sine (derivative infinite at +-1)."""
    return _apply_one(Asin, float_input(input))


def arccos(input: Tensor) -> Tensor:
    """Elementwise inverse cosine (derivative infinite at +-1)."""
    return _apply_one(Acos, float_input(input))


def arctan(input: Tensor) -> Tensor:
    """Elementwise inverse tangent."""
    return _apply_one(Atan, float_input(input))


def sinh(input: Tensor) -> Tensor:
    """Elementwise hyperbolic sine."""
    return _apply_one(Sinh, float_input(input))


def cosh(input: Tensor) -> Tensor:
    """Elementwise hyperbolic cosine."""
    return _apply_one(Cosh, float_input(input))


def tanh(input: Tensor) -> Tensor:
    """Elementwise hyperbolic tangent."""
    return _apply_one(Tanh, float_input(input))


def arcsinh(input: Tensor) -> Tensor:
    """Elementwise inverse hyperbolic sine."""
    return _apply_one(Asinh, float_input(input))


def arccosh(input: Tensor) -> Tensor:
    """Elementwise inverse hyperbolic cosine (input >= 1)."""
    return _apply_one(Acosh, float_input(input))


def arctanh(input: Tensor) -> Tensor:
    """Elementwise inverse hyperbolic tangent (|input| < 1)."""
    return _apply_one(Atanh, float_input(input))


def sigmoid(input: Tensor) -> Tensor:
    """Elementwise logistic function, stable for large |input|."""
    return _apply_one(Sigmoid, float_input(input))


def relu(input: Tensor) -> Tensor:
    """max(input, 0) elementwise."""
    return Relu.apply(to_tensor(input))


def abs(input: Tensor) -> Tensor:
    """Elementwise absolute value."""
    return Abs.apply(to_tensor(input))


def sign(input: Tensor) -> Tensor:
    """-1, 0 or 1 elementwise (zero gradient)."""
    return Sign.apply(to_tensor(input))


def _rounding(cls: Any, input: Any, **params: Any) -> Tensor:
    x = to_tensor(input)
    if x._data.dtype.kind in "iub":
        return Tensor._make(x._data.copy())  # integers are already whole
    return cls.apply(x, **params)


def floor(input: Tensor) -> Tensor:
    """Largest whole number <= input (zero gradient)."""
    return _rounding(Floor, input)


def ceil(input: Tensor) -> Tensor:
    """Smallest whole number >= input (zero gradient)."""
    return _rounding(Ceil, input)


def round(input: Tensor, decimals: int = 0) -> Tensor:
    """Round half to even, to ``decimals`` places (zero gradient)."""
    return _rounding(Round, input, decimals=decimals)


def trunc(input: Tensor) -> Tensor:
    """Round toward zero (zero gradient)."""
    return _rounding(Trunc, input)


negative = neg
absolute = abs
asin, acos, atan = arcsin, arccos, arctan
asinh, acosh, atanh = arcsinh, arccosh, arctanh
fix = trunc

__all__ = ["neg", "negative", "exp", "expm1", "log", "log1p", "sqrt", "rsqrt", "reciprocal",
           "sin", "cos", "tan", "arcsin", "arccos", "arctan", "asin", "acos", "atan",
           "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "asinh", "acosh", "atanh",
           "sigmoid", "relu", "abs", "absolute", "sign", "floor",
           "ceil", "round", "trunc", "fix"]
