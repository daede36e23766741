"""Linear algebra: matmul (more in this family: dot outer einsum tensordot inv det ...)."""

from __future__ import annotations

from typing import Any

from .._errors import shape_error
from .._tensor import Tensor
from ..autograd.function import Primitive
from ._common import pair


class MatMul(Primitive):
    _node_name = "MmBackward0"

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        n = ctx.needs_input_grad
        if n[0] and n[1]:
            ctx.save_inputs(0, 1)
        elif n[0]:
            ctx.save_inputs(1)
        elif n[1]:
            ctx.save_inputs(0)
        ctx.ndims = (a.ndim, b.ndim)
        return a @ b

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        n = ctx.needs_input_grad
        saved = ctx.saved_tensors
        a = saved[0] if n[1] else None
        b = saved[-1] if n[0] else None
        na, nb = ctx.ndims
        ga = gb = None
        if na == 1 and nb == 1:
            return (grad * b if n[0] else None), (grad * a if n[1] else None)
        if na == 1:  # (k,) @ (..., k, m) -> (..., m)
            g = grad.unsqueeze(-2)
            if n[0]:
                ga = (g @ b.mT).squeeze(-2)
            if n[1]:
                gb = a.unsqueeze(-1) @ g
        elif nb == 1:  # (..., n, k) @ (k,) -> (..., n)
            g = grad.unsqueeze(-1)
            if n[0]:
                ga = g @ b.unsqueeze(-2)
            if n[1]:
                gb = (a.mT @ g).squeeze(-1)
        else:
            if n[0]:
                ga = grad @ b.mT
            if n[1]:
                gb = a.mT @ grad
        return ga, gb


def matmul(input: Any, other: Any) -> Tensor:
    """Matrix product with NumPy's rules (1-D operands, batch broadcasting)."""
    a, b = pair(input, other)
    sa, sb = a.shape, b.shape
    if not sa or not sb:
        raise shape_error("matmul", f"both arguments need at least 1 dim, got {sa} @ {sb}",
                          hint="use mul for scalars")
    ka = sa[-1]
    kb = sb[-2] if len(sb) > 1 else sb[0]
    if ka != kb:
        raise shape_error("matmul", f"inner sizes differ: {sa} @ {sb}",
                          hint="make a's last dim equal b's second-to-last dim")
    return MatMul.apply(a, b)


__all__ = ["matmul"]
