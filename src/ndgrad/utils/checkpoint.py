"""Activation checkpointing: run a block without keeping its graph, recompute it in backward.

``checkpoint`` is a custom ``autograd.Function``: forward runs ``fn`` under no_grad, backward
re-runs it with grad (restoring the RNG state, so dropout masks match) and backpropagates.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Iterable

from .. import random as _random
from .._tensor import Tensor
from ..autograd import api
from ..autograd.function import Function
from ..autograd.grad_mode import enable_grad
from ..autograd.grad_mode import grad_enabled as _grad_on


def _module_params(fn: Any) -> list:
    """Parameters of an ``nn.Module`` (or a bound method of one) that ``fn`` will use."""
    owner = fn if hasattr(fn, "parameters") else getattr(fn, "__self__", None)
    params = getattr(owner, "parameters", None)
    if not callable(params):
        return []
    return [p for p in params() if isinstance(p, Tensor) and p.requires_grad]


class _Checkpoint(Function):
    """Inputs: (fn, kwargs, preserve_rng, n_args, *args, *params); params get gradients too."""

    @staticmethod
    def forward(ctx: Any, fn: Callable, kwargs: dict, preserve_rng: bool, n_args: int,
                *rest: Any) -> Any:
        args = rest[:n_args]
        ctx.fn, ctx.kwargs, ctx.n_args = fn, kwargs, n_args
        ctx.rng_state = _random.get_rng_state() if preserve_rng else None
        tensors = [a for a in rest if isinstance(a, Tensor)]
        ctx.tensor_pos = [i for i, a in enumerate(rest) if isinstance(a, Tensor)]
        ctx.others = [None if isinstance(a, Tensor) else a for a in rest]
        ctx.save_for_backward(*tensors)
        out = fn(*args, **kwargs)
        return out

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> tuple:
        saved = ctx.saved_tensors
        rest = list(ctx.others)
        create_graph = _grad_on()
        n_args = ctx.n_args
        for pos, t in zip(ctx.tensor_pos, saved):
            # Module parameters stay themselves (fn uses them). With create_graph the inputs
            # stay too, so the returned gradients are differentiable; otherwise detach them.
            keep = create_graph or pos >= n_args
            rest[pos] = t if keep else t.detach().requires_grad_(t.requires_grad)
        args = rest[:n_args]
        after = None
        if ctx.rng_state is not None:
            after = _random.get_rng_state()
            _random.set_rng_state(ctx.rng_state)
        try:
            with enable_grad():
                out = ctx.fn(*args, **ctx.kwargs)
        finally:
            if after is not None:
                _random.set_rng_state(after)
        outs = out if isinstance(out, tuple) else (out,)
        pairs = [(o, g) for o, g in zip(outs, grad_outputs)
                 if isinstance(o, Tensor) and o.requires_grad and g is not None]
        targets = [t for t in rest if isinstance(t, Tensor) and t.requires_grad]
        closure = _closure_leaves([o for o, _ in pairs], targets)
        grads: tuple = ()
        if pairs and (targets or closure):
            grads = api.grad([o for o, _ in pairs], targets + closure, [g for _, g in pairs],
                             retain_graph=True, create_graph=create_graph, allow_unused=True)
        by_id = {id(t): g for t, g in zip(targets + closure, grads)}
        for v in closure:
            g = by_id[id(v)]
            if g is not None:
                v._grad = g if v._grad is None else v._grad + g
        res = [by_id.get(id(t)) if isinstance(t, Tensor) else None for t in rest]
        return (None, None, None, None, *res)


def _closure_leaves(outs: list, targets: list) -> list:
    """Leaves requiring grad that ``outs`` reach without passing through ``targets``.

    They are tensors ``fn`` used without receiving them as arguments: PyTorch's reentrant
    checkpoint writes their gradients straight into ``.grad``, and so do we.
    """
    stop = {id(t) for t in targets}
    stop_nodes = {id(t.grad_fn) for t in targets if t.grad_fn is not None}
    found, seen = [], set()
    stack = [o.grad_fn for o in outs if o.grad_fn is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen or id(node) in stop_nodes:
            continue
        seen.add(id(node))
        for e in node.next_edges:
            if e is None:
                continue
            nxt = e[0] if e.__class__ is tuple else e
            if isinstance(nxt, Tensor):
                if nxt.requires_grad and id(nxt) not in stop and id(nxt) not in seen:
                    seen.add(id(nxt))
                    found.append(nxt)
            else:
                stack.append(nxt)
    return found


def checkpoint(function: Callable, *args: Any, use_reentrant: bool | None = None,
               preserve_rng_state: bool = True, **kwargs: Any) -> Any:
    """Run ``function(*args, **kwargs)`` keeping no intermediate activations for backward.

    Backward recomputes the block, so gradients equal those of the plain call. Tensors used
    by ``function`` but not passed as arguments (other than module parameters) get their
    gradients written into ``.grad`` directly, so use ``.backward()`` for those, as in PyTorch's
    reentrant variant. ``use_reentrant`` is accepted for compatibility; both behave the same.
    """
    params = _module_params(function)
    arg_ids = {id(a) for a in args}
    params = [p for p in params if id(p) not in arg_ids]
    tracked = any(isinstance(a, Tensor) and a.requires_grad for a in args) or params
    if not _grad_on():
        return function(*args, **kwargs)
    if not tracked:
        if use_reentrant:
            warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                          stacklevel=2)
        # nothing to save memory on that we can see; a plain call keeps closure gradients right
        return function(*args, **kwargs)
    return _Checkpoint.apply(function, kwargs, preserve_rng_state, len(args), *args, *params)


def checkpoint_sequential(functions: Any, segments: int, input: Any,
                          use_reentrant: bool | None = None, **kwargs: Any) -> Any:
    """Split ``functions`` (a Sequential or a list) into ``segments`` chunks and checkpoint
    all but the last, which runs normally (its activations are needed right away)."""
    fns = _as_list(functions)
    if segments < 1:
        raise ValueError(f"checkpoint_sequential: segments must be >= 1, got {segments}.")
    size = max(len(fns) // segments, 1)

    def run(start: int, end: int) -> Callable:
        def forward(x: Any) -> Any:
            for f in fns[start:end + 1]:
                x = f(x)
            return x

        return forward

    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        if end >= len(fns) - 1:
            end = start - 1
            break
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant, **kwargs)
    return run(end + 1, len(fns) - 1)(input)


def _as_list(functions: Any) -> list:
    children = getattr(functions, "children", None)
    if callable(children):
        return list(children())
    if isinstance(functions, Iterable):
        return list(functions)
    raise TypeError("checkpoint_sequential: functions must be a Sequential or a list of "
                    f"callables, got {type(functions).__name__}.")


__all__ = ["checkpoint", "checkpoint_sequential"]
