"""RMSprop (PyTorch's form: eps outside the square root; optional centring and momentum)."""

from __future__ import annotations

from typing import Any

from .. import _backend
from .optimizer import Optimizer, _check, _grad, impl_flags


class RMSprop(Optimizer):
    """s = alpha s + (1-alpha) g^2; avg = sqrt(s - gbar^2 if centered else s) + eps;
    p -= lr * g / avg (with momentum: b = momentum b + g / avg; p -= lr * b)."""

    def __init__(self, params: Any, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach: Any = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check("learning rate", lr)
        _check("epsilon value", eps)
        _check("momentum value", momentum)
        _check("weight_decay value", weight_decay)
        _check("alpha value", alpha)
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps,
                                  "weight_decay": weight_decay, "momentum": momentum,
                                  "centered": centered, "maximize": maximize,
                                  **impl_flags(differentiable, foreach=foreach,
                                               capturable=capturable)})

    def _update(self, group: dict, params: list) -> None:
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        momentum, centered = group["momentum"], group["centered"]
        for p in params:
            xp = _backend.array_module(p._data)
            state = self.state.get(p)
            if state is None:
                state = self.state[p] = {"step": 0, "square_avg": self._zeros_state(p)}
                if momentum > 0:
                    state["momentum_buffer"] = self._zeros_state(p)
                if centered:
                    state["grad_avg"] = self._zeros_state(p)
            g = _grad(p, group)
            state["step"] += 1
            s = state["square_avg"]._data
            s *= alpha
            s += (1 - alpha) * (g * g)
            if centered:
                ga = state["grad_avg"]._data
                ga *= alpha
                ga += (1 - alpha) * g
                avg = xp.sqrt(s - ga * ga) + eps
            else:
                avg = xp.sqrt(s) + eps
            if momentum > 0:
                b = state["momentum_buffer"]._data
                b *= momentum
                b += g / avg
                p._data -= lr * b
            else:
                p._data -= lr * (g / avg)
