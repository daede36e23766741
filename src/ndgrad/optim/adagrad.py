"""Adagrad with learning-rate decay and an initial accumulator value."""

from __future__ import annotations

from typing import Any

from .. import _backend
from .optimizer import Optimizer, _check, _grad, impl_flags


class Adagrad(Optimizer):
    """s += g^2; p -= lr / (1 + (t-1) lr_decay) * g / (sqrt(s) + eps)."""

    def __init__(self, params: Any, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: Any = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: Any = None) -> None:
        _check("learning rate", lr)
        _check("lr_decay value", lr_decay)
        _check("weight_decay value", weight_decay)
        _check("initial_accumulator_value value", initial_accumulator_value)
        _check("epsilon value", eps)
        super().__init__(params, {"lr": lr, "lr_decay": lr_decay, "eps": eps,
                                  "weight_decay": weight_decay,
                                  "initial_accumulator_value": initial_accumulator_value,
                                  "maximize": maximize,
                                  **impl_flags(differentiable, foreach=foreach, fused=fused)})
        for group in self.param_groups:  # PyTorch creates the state up front
            for p in group["params"]:
                self.state[p] = {"step": 0, "sum": self._zeros_state(
                    p, group["initial_accumulator_value"])}

    def _update(self, group: dict, params: list) -> None:
        lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
        for p in params:
            xp = _backend.array_module(p._data)
            state = self.state.get(p)
            if state is None:
                state = self.state[p] = {"step": 0, "sum": self._zeros_state(
                    p, group["initial_accumulator_value"])}
            g = _grad(p, group)
            state["step"] += 1
            clr = lr / (1 + (state["step"] - 1) * lr_decay)
            s = state["sum"]._data
            s += g * g
            p._data -= clr * (g / (xp.sqrt(s) + eps))
