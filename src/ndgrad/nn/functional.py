"""``ng.nn.functional``: activations, softmax family, losses (composite unless fused for stability)."""

from __future__ import annotations

from typing import Any

from .. import ops
from .._tensor import Tensor


def _reduce(loss: Tensor, reduction: str, op: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{op}: {reduction} is not a valid value for reduction "
                     "(use 'mean', 'sum' or 'none')")


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(input, 0)."""
    return input.relu_() if inplace else ops.relu(input)


def sigmoid(input: Tensor) -> Tensor:
    return ops.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    return ops.tanh(input)


def softplus_neg_abs(x: Tensor) -> Tensor:
    """log(1 + exp(-|x|)): the bounded part of every stable logistic loss."""
    return ops.log1p(ops.exp(-ops.abs(x)))


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Any = None,
                                     reduction: str = "mean", pos_weight: Any = None) -> Tensor:
    """BCE on logits, stable for large |input|: (1-t)x + w_p * (log1p(exp(-|x|)) + relu(-x))."""
    if not isinstance(target, Tensor):
        target = ops._common.to_tensor(target, input)
    if target.shape != input.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: Target size ({target.shape}) must be "
                         f"the same as input size ({input.shape})")
    log_sig_neg = softplus_neg_abs(input) + ops.relu(-input)  # = -log(sigmoid(x)) = softplus(-x)
    if pos_weight is not None:
        lw = 1 + (pos_weight - 1) * target
        loss = (1 - target) * input + lw * log_sig_neg
    else:
        loss = (1 - target) * input + log_sig_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")
