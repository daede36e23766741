"""``backward`` and ``grad``: argument checks, seed gradients, batched grads, set_grad/retain_grad.

All of them end in ``engine.run_backward``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import _backend
from .._tensor import Tensor
from . import anomaly_mode, engine


def _as_tuple(x: Any) -> tuple:
    if x is None:
        return ()
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _seed(outputs: tuple, grad_outputs: Any, implicit_ones: bool, api: str) -> list:
    """One gradient Tensor per output (new wrappers: the engine never writes into the user's)."""
    gos = _as_tuple(grad_outputs) if grad_outputs is not None else (None,) * len(outputs)
    if len(gos) != len(outputs):
        raise RuntimeError(f"{api}: got {len(gos)} grad_outputs for {len(outputs)} outputs; "
                           "give one per output (None for a scalar output).")
    seeds = []
    for i, (o, g) in enumerate(zip(outputs, gos)):
        if g is None:
            if o._data.size != 1 and not implicit_ones:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            seeds.append(_ones_seed(o._data))
            continue
        if not isinstance(g, Tensor):
            g = Tensor(g) if not hasattr(g, "dtype") else Tensor._make(g)
        if g._data.shape != o._data.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                               f"{_size(g.shape)} and output[{i}] has a shape of {_size(o.shape)}.")
        gd, od = g._data.dtype, o._data.dtype
        if gd != od:
            if gd.kind not in "fc" or (gd.kind == "c") != (od.kind == "c"):
                raise RuntimeError(f"For complex Tensors, both grad_output and output are "
                                   f"required to have the same dtype. Mismatch in dtype: "
                                   f"grad_output[{i}] has a dtype of {g.dtype} and output[{i}] "
                                   f"has a dtype of {o.dtype}.")
            # as PyTorch's engine: the seed takes its output's dtype before any rule runs
            # (engine._walk relies on it: gradients entering a node have its output's dtype)
            seeds.append(g.to(od) if g._rg else Tensor._make(g._data.astype(od)))
            continue  # (already a new wrapper: no second one below)
        seeds.append(g if g._rg else Tensor._make(g._data))
    return seeds


def _ones_seed(d: Any) -> Tensor:
    """The implicit gradient of an output: ones of its shape and dtype."""
    xp = _backend.array_module(d)
    return Tensor._make(xp.ones(d.shape, dtype=d.dtype) if d.ndim else xp.array(1, dtype=d.dtype))


def _size(shape: tuple) -> str:
    return f"ndgrad.Size({list(shape)})"


def _check_outputs(outputs: tuple) -> None:
    for i, o in enumerate(outputs):
        if not isinstance(o, Tensor):
            raise TypeError(f"element {i} of tensors is a {type(o).__name__}, not a Tensor")
        if not o._rg:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have "
                               "a grad_fn")


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, grad_variables: Any = None,
             inputs: Any = None) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves (or ``inputs``)."""
    if type(tensors) is Tensor and inputs is None and grad_variables is None:
        tensor_backward(tensors, grad_tensors, retain_graph, create_graph)
        return
    outputs = _as_tuple(tensors)
    if grad_variables is not None:
        grad_tensors = grad_variables
    if not outputs:
        raise RuntimeError("backward: no tensors given. Pass the output(s) to differentiate.")
    _check_outputs(outputs)
    if retain_graph is None:
        retain_graph = create_graph
    seeds = _seed(outputs, grad_tensors, False, "backward")
    ins = _as_tuple(inputs) if inputs is not None else None
    if ins is not None:
        if not ins:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        for t in ins:
            if not t._rg:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
        ins = tuple({id(t): t for t in ins}.values())  # an input named twice counts once
        retained = [t.retains_grad for t in ins]  # .grad set by the engine already
        res = engine.run_backward(list(outputs), seeds, retain_graph, create_graph,
                                  inputs=list(ins), accumulate=False)
        for t, g, kept in zip(ins, res, retained):
            if g is not None and not kept:
                engine._accumulate_leaf(t, g if create_graph else Tensor._make(g._data.copy()),
                                        create_graph)
        return
    engine.run_backward(list(outputs), seeds, retain_graph, create_graph)


def tensor_backward(self: Tensor, gradient: Any = None, retain_graph: bool | None = None,
                    create_graph: bool = False, inputs: Any = None) -> None:
    """Accumulate d(self)/d(leaf) into each leaf's ``.grad``: ``Tensor.backward`` itself (bound
    by ``ndgrad/__init__``, no frame in between), ``backward`` for one tensor."""
    if inputs is not None or type(self) is not Tensor:
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)
        return
    # the common call, loss.backward(): backward's checks, for one tensor
    d = self._data
    if not self._rg:
        raise RuntimeError("element 0 of tensors does not require grad and does not have "
                           "a grad_fn")
    g = gradient
    n = self.grad_fn
    if g is None:
        if d.size != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        seed = _ones_seed(d)
    elif type(g) is Tensor and n is not None and (
            (m := n.out_meta[self._out_idx])[0] == (ga := g._data).shape and ga.dtype is m[1]):
        # the caller's own Tensor, unwrapped when no graph is built: the engine adds in place
        # only into buffers nothing else can see (_steal), so it never writes to it. (Checked
        # against the node's record of this output: one shape read instead of two.)
        seed = g if g._rg or not create_graph else Tensor._make(g._data)
    else:
        (seed,) = _seed((self,), g, False, "backward")
    if n is not None and not create_graph and not self._out_idx and \
            not anomaly_mode._state.enabled:
        engine._walk(n, seed, retain_graph)  # backward_one's common case (None: free)
        return
    engine.backward_one(self, seed, create_graph if retain_graph is None else retain_graph,
                        create_graph)


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False,
         set_grad: bool = False, retain_grad: bool = False) -> tuple:
    """The gradients of ``outputs`` w.r.t. ``inputs`` (a tuple), without touching ``.grad``.

    ``set_grad`` / ``retain_grad`` are Chainer's: write the results into the inputs' ``.grad``
    (overwriting), and keep ``.grad`` on every intermediate along the path.
    """
    outs = _as_tuple(outputs)
    single_input = isinstance(inputs, Tensor)
    ins = _as_tuple(inputs)
    if not ins:
        raise RuntimeError("grad requires non-empty inputs.")
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    if allow_unused is None:
        allow_unused = materialize_grads
    _check_outputs(outs)
    for t in ins:
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: inputs must be Tensors, got {type(t).__name__}")
        if not t._rg:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    if is_grads_batched:
        res = _batched(outs, ins, grad_outputs, retain_graph, create_graph)
    else:
        seeds = _seed(outs, grad_outputs, False, "grad")
        res = engine.run_backward(list(outs), seeds, retain_graph, create_graph,
                                  inputs=list(ins), accumulate=False, retain_path=retain_grad)
    return _finish(res, ins, allow_unused, materialize_grads, set_grad, create_graph,
                   single_input)


def _finish(res: list, ins: tuple, allow_unused: bool, materialize: bool, set_grad: bool,
            create_graph: bool, single: bool) -> tuple:
    out = []
    for i, (t, g) in enumerate(zip(ins, res)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have "
                                   "been used in the graph. Set allow_unused=True if this is "
                                   "the desired behavior.")
            if materialize:
                xp = _backend.array_module(t._data)
                g = Tensor._make(xp.zeros_like(t._data))
        elif not create_graph and g._rg:
            g = g.detach()
        out.append(g)
    if set_grad:
        for t, g in zip(ins, out):
            t._grad = None if g is None else Tensor._make(g._data.copy())
    return tuple(out)


def _batched(outs: tuple, ins: tuple, grad_outputs: Any, retain_graph: bool,
             create_graph: bool) -> list:
    """``is_grads_batched``: the first dim of each grad_output indexes separate backward passes."""
    gos = _as_tuple(grad_outputs)
    if len(gos) != len(outs):
        raise RuntimeError("grad: is_grads_batched=True needs one batched grad_output per output.")
    gos = [g if isinstance(g, Tensor) else Tensor(g) for g in gos]
    n = gos[0].shape[0]
    for i, (o, g) in enumerate(zip(outs, gos)):
        if g.shape[1:] != o.shape or g.shape[0] != n:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                               f"{_size(g.shape)} and output[{i}] has a shape of "
                               f"{_size(o.shape)}. With is_grads_batched=True the grad_output "
                               "needs one extra leading (batch) dim of the same size for all.")
    per: list[list] = [[] for _ in ins]
    for b in range(n):
        seeds = [g[b] for g in gos]
        r = engine.run_backward(list(outs), seeds, True if b < n - 1 else retain_graph,
                                create_graph, inputs=list(ins), accumulate=False)
        for k, g in enumerate(r):
            per[k].append(g)
    res = []
    for k, gs in enumerate(per):
        if all(g is None for g in gs):
            res.append(None)
            continue
        xp = _backend.array_module(ins[k]._data)
        full = [g if g is not None else Tensor._make(xp.zeros_like(ins[k]._data)) for g in gs]
        res.append(_stack(full))
    return res


def _stack(ts: list) -> Tensor:
    return _ops().stack(ts)


def _ops() -> Any:
    from .. import ops  # layer 6 may import layer 5; kept lazy to avoid a cycle at import time

    return ops


def chainer_grad(outputs: Sequence[Tensor], inputs: Sequence[Tensor], grad_outputs: Any = None,
                 grad_inputs: Any = None, set_grad: bool = False, retain_grad: bool = False,
                 enable_double_backprop: bool = False, create_graph: bool | None = None,
                 retain_graph: bool | None = None) -> list:
    """``chainer.grad``: lists in, a list out; a missing seed is ones; unreached inputs get None."""
    outs = _as_tuple(outputs)
    ins = _as_tuple(inputs)
    cg = bool(enable_double_backprop if create_graph is None else create_graph)
    _check_outputs(outs)
    for t in ins:
        if not t._rg:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    seeds = _seed(outs, grad_outputs, True, "grad")
    keep = True if retain_graph is None else retain_graph  # Chainer never frees the graph
    res = engine.run_backward(list(outs), seeds, keep, cg, inputs=list(ins), accumulate=False,
                              retain_path=retain_grad)
    if grad_inputs is not None:
        res = [g if gi is None else (gi if g is None else g + gi)
               for g, gi in zip(res, _as_tuple(grad_inputs))]
    out = list(_finish(res, ins, True, False, set_grad, cg, False))
    return out
