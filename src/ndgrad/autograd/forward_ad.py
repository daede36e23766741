"""``ng.autograd.forward_ad``: forward-mode AD (dual tensors) on top of the reverse engine.

A dual tensor is a tensor that requires grad and is registered with its tangent in the current
level. ``unpack_dual(y)`` computes y's tangent as a JVP by the double-vjp trick,
d/du <vjp_y(u), tangent>, so every op that supports double backward works in forward mode.
Deviation from PyTorch: a dual made from a primal that does not require grad still reports
``requires_grad=True`` (it is how the engine tracks it).
"""

from __future__ import annotations

import threading
from collections import namedtuple
from typing import Any

from .. import _creation
from .._tensor import Tensor
from . import api
from .grad_mode import enable_grad
from .grad_mode import grad_enabled as _grad_on

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])


class _Level:
    __slots__ = ("duals",)

    def __init__(self) -> None:
        # id(dual) -> (dual, primal, tangent); strong refs live as long as the level
        self.duals: dict = {}


class _LevelState(threading.local):
    def __init__(self) -> None:
        self.levels: list[_Level] = []


_state = _LevelState()


def enter_dual_level() -> int:
    """Open a new forward-AD level and return its index."""
    if _state.levels:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _state.levels.append(_Level())
    return len(_state.levels) - 1


def exit_dual_level(*, level: int | None = None) -> None:
    """Close the current level; its tangents are dropped."""
    if not _state.levels:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that "
                           "was created. This is not supported.")
    if level is not None and level != len(_state.levels) - 1:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that "
                           "was created. This is not supported.")
    _state.levels.pop()


class dual_level:
    """Context manager for a forward-AD level: duals made inside lose their tangents on exit."""

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc: Any) -> None:
        exit_dual_level()


def _current(level: int | None) -> _Level | None:
    if not _state.levels:
        return None
    return _state.levels[-1 if level is None else level]


def make_dual(tensor: Tensor, tangent: Tensor, *, level: int | None = None) -> Tensor:
    """A tensor with ``tensor``'s values that carries ``tangent`` through later ops."""
    lv = _current(level)
    if lv is None:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, "
                           "make sure to enter_dual_level() first.")
    if not isinstance(tensor, Tensor) or not isinstance(tangent, Tensor):
        raise TypeError("make_dual: expected primal and tangent to be Tensors, got "
                        f"{type(tensor).__name__} and {type(tangent).__name__}. Wrap them "
                        "with ng.tensor.")
    if not (tensor.is_floating_point() or tensor.is_complex()):
        raise ValueError(f"Expected primal to be floating point or complex, but got: "
                         f"{tensor.dtype}")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError(f"Trying to set a forward gradient that has a different size than "
                           f"that of the original Tensor, this is not supported. Tensor is of "
                           f"size {list(tensor.shape)} while the given forward gradient is of "
                           f"size {list(tangent.shape)}.")
    if tensor.requires_grad and _grad_on():
        dual = tensor.view(tensor.shape)  # keeps reverse-mode gradients flowing to the primal
    else:
        dual = tensor.detach().requires_grad_(True)
    lv.duals[id(dual)] = (dual, tensor, tangent)
    return dual


def _reached(y: Tensor, lv: _Level) -> list:
    """The level's duals that ``y`` depends on (walks y's graph once)."""
    by_node: dict = {}
    for entry in lv.duals.values():
        d = entry[0]
        key = id(d.grad_fn) if d.grad_fn is not None else id(d)
        by_node.setdefault(key, []).append(entry)
    found, seen = [], set()
    stack = [y.grad_fn] if y.grad_fn is not None else []
    if y.grad_fn is None and id(y) in by_node:
        return by_node[id(y)]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if id(node) in by_node:
            found.extend(by_node[id(node)])
        for e in node.next_edges:
            if e is None:
                continue
            nxt = e[0] if e.__class__ is tuple else e
            if isinstance(nxt, Tensor):
                if id(nxt) in by_node and id(nxt) not in seen:
                    seen.add(id(nxt))
                    found.extend(by_node[id(nxt)])
            else:
                stack.append(nxt)
    return found


def unpack_dual(tensor: Tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """(primal, tangent) of ``tensor``; the tangent is None when it depends on no dual."""
    lv = _current(level)
    if lv is None or not isinstance(tensor, Tensor):
        return UnpackedDualTensor(tensor, None)
    entry = lv.duals.get(id(tensor))
    if entry is not None and entry[0] is tensor:
        return UnpackedDualTensor(entry[1], entry[2])
    if not tensor.requires_grad:
        return UnpackedDualTensor(tensor, None)
    duals = _reached(tensor, lv)
    if not duals:
        return UnpackedDualTensor(tensor, None)
    return UnpackedDualTensor(tensor.detach(), _jvp(tensor, duals))


def _jvp(y: Tensor, duals: list) -> Tensor:
    # Keep the tangent differentiable only when the caller's primals or tangents need it.
    create = _grad_on() and any(p.requires_grad or t.requires_grad
                                         for _, p, t in duals)
    with enable_grad():
        u = _creation.zeros_like(y).requires_grad_(True)
        gs = api.grad([y], [d for d, _, _ in duals], [u], retain_graph=True, create_graph=True,
                      allow_unused=True)
        total = None
        for g, (_, _, t) in zip(gs, duals):
            if g is None:
                continue
            term = (g * t).sum()
            total = term if total is None else total + term
        if total is None or not total.requires_grad:
            return _creation.zeros_like(y)
        (jv,) = api.grad([total], [u], retain_graph=True, create_graph=create, allow_unused=True)
    if jv is None:
        return _creation.zeros_like(y)
    return jv if create else jv.detach()


__all__ = ["dual_level", "make_dual", "unpack_dual", "enter_dual_level", "exit_dual_level",
           "UnpackedDualTensor"]
