"""Softmax family for ``nn.functional``: the ops library's fused versions when it has them,
else stable composites (a constant max shift, then log-sum-exp) that differentiate to any order.
"""

from __future__ import annotations

from typing import Any

from .. import ops
from .._backend import array_module
from .._tensor import Tensor


def _softmax_dim(ndim: int) -> int:
    """PyTorch's legacy implicit dim (with a deprecation warning there): 0 for 0/1/3-D, else 1."""
    return 0 if ndim in (0, 1, 3) else 1


def _max_const(x: Tensor, dim: Any) -> Tensor:
    """max(x) along ``dim`` as a constant (softmax is shift-invariant, so it needs no grad);
    rows that are all -inf (fully masked) get 0 so they stay -inf instead of nan."""
    data = x._data
    xp = array_module(data)
    m = data.max(axis=dim, keepdims=True)
    return Tensor._make(xp.where(xp.isfinite(m), m, 0).astype(data.dtype, copy=False))


def _shift(x: Tensor, dim: Any) -> Tensor:
    if x._data.size == 0:
        return x
    return x - _max_const(x, dim)


def _logsumexp(x: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    m = _max_const(x, dim)
    out = ops.log(ops.exp(x - m).sum(dim=dim, keepdim=True)) + m
    return out if keepdim else out.squeeze(dim)


def _log_softmax(x: Tensor, dim: int) -> Tensor:
    z = _shift(x, dim)
    return z - ops.log(ops.exp(z).sum(dim=dim, keepdim=True))


def _softmax(x: Tensor, dim: int) -> Tensor:
    e = ops.exp(_shift(x, dim))
    return e / e.sum(dim=dim, keepdim=True)


_ops_softmax = getattr(ops, "softmax", None)
_ops_log_softmax = getattr(ops, "log_softmax", None)
_ops_logsumexp = getattr(ops, "logsumexp", None)


def softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim``."""
    if dtype is not None:
        input = input.to(dtype)
    if dim is None:
        dim = _softmax_dim(input.ndim)
    if _ops_softmax is not None:
        return _ops_softmax(input, dim)
    return _softmax(input, dim)


def log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """x - logsumexp(x) along ``dim``, computed stably."""
    if dtype is not None:
        input = input.to(dtype)
    if dim is None:
        dim = _softmax_dim(input.ndim)
    if _ops_log_softmax is not None:
        return _ops_log_softmax(input, dim)
    return _log_softmax(input, dim)


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    if _ops_logsumexp is not None:
        return _ops_logsumexp(input, dim, keepdim)
    return _logsumexp(input, dim, keepdim)
