"""The log-sum-exp family: softmax and log_softmax over one dim, softplus = log(1 + e^x) and
logsigmoid, as stable fused primitives. ``logsumexp`` itself lives with the reductions;
``nn.functional`` calls these functions.
"""

from __future__ import annotations

import warnings
from typing import Any

from .. import _dtypes
from .._backend import array_module
from .._tensor import Tensor
from ..autograd.function import Primitive
from ._common import float_input
from ._shape_utils import normalize_dim
from .unary import exp, sigmoid


class Softmax(Primitive):
    """exp(x - max) / sum(exp(x - max)) along ``dim``."""

    _ctx_slots = ("dim",)

    @staticmethod
    def forward(ctx: Any, x: Any, dim: Any) -> Any:
        ctx.dim = dim
        ctx.save_outputs(0)
        if x.size == 0:
            return x.copy()
        e = array_module(x).exp(x - x.max(axis=dim, keepdims=True))
        e /= e.sum(axis=dim, keepdims=True)
        return e

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (y,) = ctx.saved_outputs
        gy = grad * y
        return gy - y * gy.sum(ctx.dim, keepdim=True)


class LogSoftmax(Primitive):
    """x - logsumexp(x) along ``dim``, shifted by the max so exp never overflows."""

    _ctx_slots = ("dim",)

    @staticmethod
    def forward(ctx: Any, x: Any, dim: Any) -> Any:
        ctx.dim = dim
        ctx.save_outputs(0)
        if x.size == 0:
            return x.copy()
        xp = array_module(x)
        z = x - x.max(axis=dim, keepdims=True)
        z -= xp.log(xp.exp(z).sum(axis=dim, keepdims=True))
        return z

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (y,) = ctx.saved_outputs
        return grad - exp(y) * grad.sum(ctx.dim, keepdim=True)


class Softplus(Primitive):
    """log(1 + exp(beta x)) / beta, linear above ``threshold`` (PyTorch's F.softplus).

    A primitive, not relu(x) + log1p(exp(-|x|)): that composite's derivative at exactly 0 is 0
    (both kinks take subgradient 0), while softplus'(0) = 1/2."""

    _ctx_slots = ("beta", "threshold")

    @staticmethod
    def forward(ctx: Any, x: Any, beta: float, threshold: float) -> Any:
        ctx.save_inputs(0)
        ctx.beta, ctx.threshold = beta, threshold
        xp = array_module(x)
        z = x * beta if beta != 1 else x
        out = xp.log1p(xp.exp(-xp.abs(z)))
        out += xp.maximum(z, 0)
        if beta != 1:
            out /= beta
        if threshold != float("inf"):
            out = xp.where(z > threshold, x, out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_inputs
        return SoftplusBackward.apply(grad, x, beta=ctx.beta, threshold=ctx.threshold)


class SoftplusBackward(Primitive):
    """grad * sigmoid(beta x), or grad where beta x > threshold (PyTorch's softplus_backward).

    Its own x-derivative masks with beta x < threshold, as PyTorch's double backward does:
    at beta x == threshold the first derivative is sigmoid but the second is 0 there."""

    _ctx_slots = ("beta", "threshold")

    @staticmethod
    def forward(ctx: Any, grad: Any, x: Any, beta: float, threshold: float) -> Any:
        ctx.save_inputs(0, 1)
        ctx.beta, ctx.threshold = beta, threshold
        z = x * beta if beta != 1 else x
        g = grad * sigmoid(Tensor._make(z))._data  # (the op's overflow-free forward)
        if threshold != float("inf"):
            g = array_module(g).where(z > threshold, grad, g)
        return g

    @staticmethod
    def backward(ctx: Any, gg: Tensor) -> tuple:
        grad, x = ctx.saved_inputs
        beta, threshold = ctx.beta, ctx.threshold
        need = ctx.needs_input_grad
        ggrad = SoftplusBackward.apply(gg, x, beta=beta, threshold=threshold) if need[0] else None
        gx = None
        if need[1]:
            s = sigmoid(x * beta if beta != 1 else x)
            gx = gg * grad * s * (1 - s) * beta
            if threshold != float("inf"):
                gx = gx * (x * beta < threshold)
        return ggrad, gx


def _prepare(op: str, input: Any, dim: Any, dtype: Any) -> tuple:
    x = float_input(input)
    if dtype is not None:
        x = x.to(_dtypes.to_dtype(dtype))
    nd = x._data.ndim
    if dim is None:
        # PyTorch's legacy implicit choice (F.softmax without dim), with its warning
        dim = 0 if nd in (0, 1, 3) else 1
        warnings.warn(f"Implicit dimension choice for {op} has been deprecated. Change the call "
                      "to include dim=X as an argument.", UserWarning, stacklevel=3)
    d = normalize_dim(op, nd, dim)
    return x, (d if nd else None)


def softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """Softmax along ``dim``: non-negative, sums to 1; stable for large inputs."""
    x, d = _prepare("softmax", input, dim, dtype)
    return Softmax.apply(x, dim=d)


def log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """log(softmax(input)) along ``dim``, computed without overflow or log(0)."""
    x, d = _prepare("log_softmax", input, dim, dtype)
    return LogSoftmax.apply(x, dim=d)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * input)) / beta without overflow; linear where beta*input > threshold."""
    return Softplus.apply(float_input(input), beta=beta, threshold=threshold)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(input)) = -softplus(-input), finite for large |input|."""
    return -Softplus.apply(-float_input(input), beta=1, threshold=float("inf"))


__all__ = ["softmax", "log_softmax", "softplus", "logsigmoid"]
