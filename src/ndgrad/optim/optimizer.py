"""Optimizer base: param groups, per-parameter state, zero_grad, state_dict round trips.

Algorithms subclass it and implement ``_update(group, params)``; updates work on the
parameters' arrays in place under no_grad (optimizer steps are not part of any graph).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from .. import _backend
from .._tensor import Tensor, zero_grad_in_place
from ..autograd.grad_mode import enable_grad, no_grad


class _Required:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()


class Optimizer:
    """Holds ``param_groups`` (dicts with ``params`` and hyper-parameters) and ``state``."""

    def __init__(self, params: Any, defaults: dict) -> None:
        self.defaults = defaults
        self.state: dict = {}
        self.param_groups: list[dict] = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {type(params).__name__}")
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(g):
                if k != "params":
                    lines.append(f"    {k}: {g[k]}")
        return "\n".join(lines) + "\n)"

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters (missing hyper-parameters take the defaults)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}")
            if p.grad_fn is not None:
                raise ValueError("can't optimize a non-leaf Tensor")
        group = {"params": params}
        for k, v in self.defaults.items():
            if k in param_group:
                group[k] = param_group[k]
            elif v is required:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {k}")
            else:
                group[k] = v
        for k, v in param_group.items():
            group.setdefault(k, v)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params):
            raise ValueError("optimizer contains a parameter group with duplicate parameters")
        if seen & {id(p) for p in params}:
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset gradients: to None (default) or to zeros."""
        for g in self.param_groups:
            for p in g["params"]:
                if p._grad is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    zero_grad_in_place(p)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns ``closure()`` if given."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                self._step_group(group)
        return loss

    def _step_group(self, group: dict) -> None:
        """Update the parameters of ``group`` that have a gradient (under no_grad)."""
        params = [p for p in group["params"] if p._grad is not None]
        if params:
            self._update(group, params)
            for p in params:  # written in place: saved copies of p are now stale
                p._bump()

    def _update(self, group: dict, params: list) -> None:
        raise NotImplementedError

    def _zeros_state(self, p: Tensor, fill: float = 0.0) -> Tensor:
        xp = _backend.array_module(p._data)
        return Tensor._make(xp.full_like(p._data, fill))

    # ---- state dicts
    def state_dict(self) -> dict:
        """{'state': {index: {name: value}}, 'param_groups': [{..., 'params': [index...]}]};
        parameters are named by their position over all groups, as PyTorch does."""
        index: dict = {}
        groups = []
        for g in self.param_groups:
            ids = []
            for p in g["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in g.items() if k != "params"}, "params": ids})
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyper-parameters and state saved by ``state_dict`` (a deep copy is taken)."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for mine, saved in zip(self.param_groups, groups):
            if len(mine["params"]) != len(saved["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't "
                                 "match the size of optimizer's group")
        id_map = {}
        for mine, saved in zip(self.param_groups, groups):
            for idx, p in zip(saved["params"], mine["params"]):
                id_map[idx] = p
        self.state = {}
        for k, s in state_dict["state"].items():
            p = id_map.get(int(k))
            if p is None:
                continue
            entry = {}
            for name, v in s.items():
                if isinstance(v, Tensor) or hasattr(v, "dtype") and hasattr(v, "shape"):
                    arr = v._data if isinstance(v, Tensor) else v
                    arr = _backend.to_device(arr, p.device)
                    if arr.dtype.kind in "fc" and arr.ndim:
                        arr = arr.astype(p.dtype)
                    entry[name] = Tensor._make(arr.copy())
                else:
                    entry[name] = copy.deepcopy(v)
            self.state[p] = entry
        for mine, saved in zip(self.param_groups, groups):
            for k, v in saved.items():
                if k != "params":
                    mine[k] = copy.deepcopy(v)


def _grad(p: Tensor, group: dict) -> Any:
    """The gradient array with ``maximize`` and ``weight_decay`` (L2) applied."""
    g = p._grad._data
    if group.get("maximize"):
        g = -g
    wd = group.get("weight_decay", 0)
    if wd:
        g = g + wd * p._data
    return g


def impl_flags(differentiable: bool, **flags: Any) -> dict:
    """PyTorch's implementation switches (foreach, fused, capturable...) as group entries, so
    param groups and state dicts carry PyTorch's keys. There is one implementation here, so
    they select nothing; ``differentiable=True`` (a step inside the graph) is refused."""
    if differentiable:
        raise NotImplementedError("differentiable=True is not supported: ndgrad's optimizer "
                                  "steps run outside the graph. Hint: leave it False.")
    return {"differentiable": False, **flags}


def _check(name: str, value: Any, low: float = 0.0) -> None:
    if not value >= low:
        raise ValueError(f"Invalid {name}: {value}")
