"""SGD with momentum, dampening, Nesterov, weight decay and maximize (PyTorch's update)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..autograd.grad_mode import no_grad
from .optimizer import Optimizer, _check, _grad, impl_flags, required


class SGD(Optimizer):
    """p -= lr * d, where d is the gradient (plus weight decay) or its momentum buffer
    ``b = momentum * b + (1 - dampening) * g`` (Nesterov: ``d = g + momentum * b``)."""

    def __init__(self, params: Any, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: Any = None, differentiable: bool = False,
                 fused: Any = None) -> None:
        if lr is not required:
            _check("learning rate", lr)
        _check("momentum value", momentum)
        _check("weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "weight_decay": weight_decay, "nesterov": nesterov,
                                  "maximize": maximize,
                                  **impl_flags(differentiable, foreach=foreach, fused=fused)})

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns ``closure()`` if given."""
        if closure is not None:
            return super().step(closure)
        for group in self.param_groups:
            lr = group["lr"]
            if (group["momentum"] or group["weight_decay"] or group["maximize"]
                    or type(lr) is not float and type(lr) is not int):
                with no_grad():
                    self._step_group(group)
                continue
            # plain SGD (the hot path): array updates only, so no grad mode to switch
            for p in group["params"]:
                g = p._grad
                if g is not None:
                    p._data -= lr * g._data
                    p._bump()  # a graph that saved p must not run on the new values
        return None

    def _update(self, group: dict, params: list) -> None:
        lr, momentum = group["lr"], group["momentum"]
        for p in params:  # (plain groups without a closure are updated by step directly)
            g = _grad(p, group)
            if momentum:
                state = self.state.setdefault(p, {})
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = self._zeros_state(p)
                    buf._data[...] = g
                else:
                    b = buf._data
                    b *= momentum
                    b += (1 - group["dampening"]) * g
                g = g + momentum * buf._data if group["nesterov"] else buf._data
            p._data -= lr * g
