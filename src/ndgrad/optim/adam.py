"""Adam (with amsgrad) and AdamW: PyTorch's bias-corrected updates."""

from __future__ import annotations

import math
from typing import Any

from .. import _backend
from .optimizer import Optimizer, _check, _grad, impl_flags


class Adam(Optimizer):
    """m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
    p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps) (amsgrad: v -> running max of v).
    ``weight_decay`` adds wd * p to g (L2); AdamW decays p directly instead."""

    _decoupled = False

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: Any = None, capturable: bool = False,
                 differentiable: bool = False, fused: Any = None,
                 decoupled_weight_decay: bool = False) -> None:
        _check("learning rate", lr)
        _check("epsilon value", eps)
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        _check("weight_decay value", weight_decay)
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps,
                                  "weight_decay": weight_decay, "amsgrad": amsgrad,
                                  "maximize": maximize,
                                  **impl_flags(differentiable, foreach=foreach, fused=fused,
                                               capturable=capturable),
                                  "decoupled_weight_decay": bool(decoupled_weight_decay
                                                                 or self._decoupled)})

    def _update(self, group: dict, params: list) -> None:
        lr, (b1, b2), eps = group["lr"], group["betas"], group["eps"]
        wd, amsgrad = group["weight_decay"], group["amsgrad"]
        for p in params:
            state = self.state.get(p)
            if state is None:
                state = self.state[p] = {"step": 0, "exp_avg": self._zeros_state(p),
                                         "exp_avg_sq": self._zeros_state(p)}
                if amsgrad:
                    state["max_exp_avg_sq"] = self._zeros_state(p)
            if group.get("decoupled_weight_decay", self._decoupled):  # (older state dicts)
                g = -p._grad._data if group["maximize"] else p._grad._data
                if wd:
                    p._data *= 1 - lr * wd
            else:
                g = _grad(p, group)
            state["step"] += 1
            t = state["step"]
            m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * (g * g)
            xp = _backend.array_module(v)
            step_size = lr / (1 - b1 ** t)
            bc2_sqrt = math.sqrt(1 - b2 ** t)
            if amsgrad:
                vmax = state["max_exp_avg_sq"]._data
                xp.maximum(vmax, v, out=vmax)
                denom = xp.sqrt(vmax) / bc2_sqrt + eps
            else:
                denom = xp.sqrt(v) / bc2_sqrt + eps
            p._data -= step_size * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay: p *= 1 - lr * weight_decay before the Adam step."""

    _decoupled = True

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: Any = None, capturable: bool = False,
                 differentiable: bool = False, fused: Any = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         foreach=foreach, capturable=capturable, differentiable=differentiable,
                         fused=fused, decoupled_weight_decay=True)
