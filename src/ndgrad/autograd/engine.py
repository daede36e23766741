"""The one backward traversal, used by Tensor.backward, autograd.backward and autograd.grad.

Steps: discover the nodes reachable from the roots (iteratively), prune to those that lead to
the requested inputs, count dependencies, run nodes from a ready stack, validate each gradient
(reducing broadcast shapes in one place), accumulate, and free saved tensors unless asked not to.
"""

from __future__ import annotations

import gc
import warnings
from typing import Any

from .. import _backend
from .._tensor import Tensor
from . import anomaly_mode
from ._grads import _accumulate_leaf, _add, _getrefcount, _validate, _zeros, call_hook
from .grad_mode import grad_enabled as _grad_on
from .grad_mode import reset_grad_flag, set_grad_flag
from .graph import NO_SAVED, Node

_make = Tensor._make
_PRIM_NODE: dict = {}  # class of a next_edges entry -> is it the node class of a Primitive


def _prim_node_class(cls: type) -> bool:
    r = _PRIM_NODE[cls] = issubclass(cls, Node) and cls._fn is not None and cls._fn._primitive
    return r


def _discover(roots: list, skip_leaves: bool = False) -> dict:
    """deps: node -> number of edges into it from reachable nodes. With ``skip_leaves``,
    leaves without hooks are left out: the engine adds into their ``.grad`` as each
    gradient arrives instead of waiting for all of them."""
    deps: dict = {}
    for r in roots:
        deps.setdefault(r, 0)
    stack = list(deps)
    while stack:
        n = stack.pop()
        if n.__class__ is Tensor or isinstance(n, Tensor):
            continue
        e = n._next
        for c in e if e.__class__ is tuple else (e,):
            if c is None:
                continue
            if c.__class__ is tuple:
                c = c[0]
            if c in deps:
                deps[c] += 1
            elif skip_leaves and isinstance(c, Tensor) and not c._hooks:
                continue
            else:
                deps[c] = 1
                stack.append(c)
    return deps


def _prune(roots: list, targets: set) -> dict:
    """Dependency counts restricted to nodes on a path from a root to a target."""
    parents: dict = {}
    seen = set(roots)
    stack = list(seen)
    while stack:
        n = stack.pop()
        if isinstance(n, Tensor):
            continue
        e = n._next
        for c in e if e.__class__ is tuple else (e,):
            if c is None:
                continue
            if c.__class__ is tuple:
                c = c[0]
            parents.setdefault(c, []).append(n)
            if c not in seen:
                seen.add(c)
                stack.append(c)
    needed = {t for t in targets if t in seen}
    stack = list(needed)
    while stack:
        for p in parents.get(stack.pop(), ()):
            if p not in needed:
                needed.add(p)
                stack.append(p)
    deps = {n: 0 for n in needed}
    for n in needed:
        if isinstance(n, Tensor):
            continue
        e = n._next
        for c in e if e.__class__ is tuple else (e,):
            if c.__class__ is tuple:
                c = c[0]
            if c is not None and c in needed:
                deps[c] += 1
    return deps


def backward_one(root: Tensor, seed: Tensor, keep_graph: bool, create_graph: bool) -> None:
    """``run_backward([root], [seed], ...)`` into the leaves' ``.grad``: the common call,
    ``loss.backward()``, set up without the general path's bookkeeping (one root, whose
    count is 0: the graph is a DAG)."""
    key = root.grad_fn
    anomaly = anomaly_mode._state.enabled
    if key is not None and not create_graph and not anomaly and root._out_idx == 0:
        _walk(key, seed, keep_graph)
        return
    if key is None:
        key = root
        buffers: dict = {key: [seed]}
    else:
        buf = [None] * len(key.out_meta)
        buf[root._out_idx] = seed
        buffers = {key: buf}
    # dependency counts are found lazily (see _execute): a chain of nodes that each have one
    # consumer (``_uses == 1``) never needs them
    _execute(_discover([key]) if anomaly else None, buffers, [key], keep_graph, create_graph,
             key, anomaly)


def _walk(n: Node, g: Tensor, keep_graph: bool | None) -> bool:
    """``loss.backward()`` from node ``n`` (whose output 0 is the root), no graph built: while
    the graph is a tree of plain primitive nodes, each node runs as soon as its one consumer
    has, and each leaf without hooks takes its gradient on arrival. At the first node that
    needs counts or hooks (or gets no gradient), ``_execute`` goes on from the state it would
    have reached itself (deps None, every pending node ready, the last one on top). True when
    the walk finished alone. ``Tensor.backward`` calls it directly. The gradients of an
    ``_exact`` rule go unchecked: ``g`` has the node's output shape and dtype (the caller's
    seed does, and every other gradient is checked or exact)."""
    root = n
    rest = None
    stack: list = []
    mode = set_grad_flag(False)  # rules build no graph
    try:
        while True:
            edges = n._next  # a tuple, or one bare Node or leaf (graph.Node._next)
            fn = n._fn
            ok = g is not None and n._extra is None and fn._primitive and len(n.out_meta) == 1
            if ok and edges.__class__ is not tuple and edges is not None:
                # one input: a chain step, as _execute's chain loop takes it
                c = edges
                leaf = c.__class__ is Tensor or isinstance(c, Tensor)
                if not c._hooks if leaf else c._uses == 1:
                    g = fn.backward(n, g)  # the input's gradient replaces the node's
                    if not keep_graph and n._saved is not NO_SAVED:
                        n._saved = None
                    if type(g) is tuple:
                        g = (_check_count(n, g) if len(g) != 1 else g)[0]
                    if g is not None and not fn._exact:  # (an exact rule's needs no check)
                        if leaf:
                            cd = c._data
                            shape, dtype = cd.shape, cd.dtype
                        else:
                            shape, dtype = c.out_meta[0]
                        if type(g) is not Tensor or g._data.shape != shape or (
                                g._data.dtype is not dtype and g._data.dtype != dtype):
                            g = _validate(n, 0, g, shape, dtype, False)
                    if not leaf:
                        n = c
                        continue
                    if g is not None:
                        if c._grad is not None:
                            _accumulate_leaf(c, g, False)
                        # a leaf's first gradient, nothing else holding it (refs: the local
                        # g and getrefcount's argument; its array: the Tensor's slot, the
                        # local a and the argument): kept as is, else a copy, as
                        # _accumulate_leaf does
                        elif _getrefcount(g) <= 2 and g.grad_fn is None and not g._rg and (
                                a := g._data).base is None and _getrefcount(a) <= 3:
                            c._grad = g
                        else:
                            c._grad = _make(g._data.copy())
                    g = a = None
                    if not stack:
                        break
                    n, g = stack.pop()
                    continue
            if edges.__class__ is not tuple:
                edges = (edges,)
            for c in edges if ok else ():
                if c is not None and (c._hooks if c.__class__ is Tensor or
                                      isinstance(c, Tensor) else
                                      c.__class__ is tuple or c._uses != 1):
                    ok = False
                    break
            if not ok:
                stack.append((n, g))
                rest = {}
                for m, gm in stack:
                    if gm is not None:
                        rest[m] = [gm] + [None] * (len(m.out_meta) - 1)
                break
            outs = fn.backward(n, g)
            if not keep_graph and n._saved is not NO_SAVED:
                n._saved = None
            if type(outs) is not tuple:
                outs = (outs,)
            if len(outs) != len(edges):
                outs = _check_count(n, outs)
            exact = fn._exact
            i = -1
            for c in edges:  # as _execute delivers (the same refcounts for _steal)
                i += 1
                if c is None:
                    continue
                g = outs[i]
                leaf = c.__class__ is Tensor or isinstance(c, Tensor)
                if g is not None and not exact:
                    if leaf:
                        cd = c._data
                        shape, dtype = cd.shape, cd.dtype
                    else:
                        shape, dtype = c.out_meta[0]
                    if type(g) is not Tensor or g._data.shape != shape or (
                            g._data.dtype is not dtype and g._data.dtype != dtype):
                        g = _validate(n, i, g, shape, dtype, False)
                if not leaf:
                    stack.append((c, g))
                elif g is not None:
                    # as in the chain step, with the refs of the rule's tuple and the local g
                    if c._grad is not None:
                        _accumulate_leaf(c, g, False)
                    elif _getrefcount(g) <= 3 and g.grad_fn is None and not g._rg and (
                            a := g._data).base is None and _getrefcount(a) <= 3:
                        c._grad = g
                    else:
                        c._grad = _make(g._data.copy())
            outs = g = a = None
            if not stack:
                break
            n, g = stack.pop()
    finally:
        reset_grad_flag(mode)
    if rest is None:
        return True
    # counts or hooks are needed from here on
    _execute(None, rest, [m for m, _ in stack], keep_graph, False, root, False)
    return False


def run_backward(roots: list, grads: list, keep_graph: bool, create_graph: bool,
                 inputs: list | None = None, accumulate: bool = True,
                 retain_path: bool = False) -> list | None:
    """Backpropagate ``grads`` from ``roots``.

    ``inputs=None`` with ``accumulate``: add into every reachable leaf's ``.grad``.
    With ``inputs``: only the subgraph leading to them runs; their gradients are returned
    (``accumulate=False``) or added to their ``.grad``. ``retain_path`` sets ``.grad`` on
    every live tensor along the path (Chainer's ``retain_grad``).
    """
    if inputs is None and len(roots) == 1 and not retain_path and accumulate:
        backward_one(roots[0], grads[0], keep_graph, create_graph)
        return []
    captures: dict = {}  # (node, idx) of a non-leaf input -> position(s) in inputs
    pruned = False
    leaf_targets: dict = {}
    anomaly = anomaly_mode._state.enabled
    root_keys = [r.grad_fn if r.grad_fn is not None else r for r in roots]
    if inputs is not None:
        targets = set()
        for pos, t in enumerate(inputs):
            if t.grad_fn is None:
                leaf_targets.setdefault(t, []).append(pos)
                targets.add(t)
            else:
                captures.setdefault((t.grad_fn, t._out_idx), []).append(pos)
                targets.add(t.grad_fn)
        deps = None
        if not captures and not retain_path:
            # only leaves asked for: when every leaf the roots reach is one of them, every node
            # reached leads to one (each node has an edge, and edges end at leaves), so one
            # discovery pass gives the pruned counts and no edge needs a liveness test
            deps = _discover(root_keys)
            for k in deps:
                if (k.__class__ is Tensor or isinstance(k, Tensor)) and k not in leaf_targets:
                    deps = None
                    break
        pruned = deps is None
        if pruned:
            deps = _prune(root_keys, targets)
    else:
        deps = _discover(root_keys, skip_leaves=accumulate and not retain_path and not anomaly)
    result: list = [None] * (len(inputs) if inputs is not None else 0)

    buffers = {}
    for key, r, g in zip(root_keys, roots, grads):
        if key not in deps:
            continue
        buf = buffers.get(key)
        if buf is None:
            buf = buffers[key] = [None] * (len(key.out_meta) if not isinstance(key, Tensor) else 1)
        i = r._out_idx if not isinstance(key, Tensor) else 0
        buf[i] = g if buf[i] is None else buf[i] + g

    ready = [k for k in dict.fromkeys(root_keys) if deps.get(k) == 0]
    return _execute(deps, buffers, ready, keep_graph, create_graph, None, anomaly, inputs,
                    accumulate, retain_path, captures, leaf_targets, result, pruned)


def _execute(deps: dict | None, buffers: dict, ready: list, keep_graph: bool,
             create_graph: bool, root: Any, anomaly: bool, inputs: list | None = None,
             accumulate: bool = True, retain_path: bool = False, captures: dict | None = None,
             leaf_targets: dict | None = None, result: list | None = None,
             pruned: bool = False) -> list | None:
    """Run the nodes from the ready stack until every gradient has arrived (steps 2-5).

    ``deps=None`` (one root, accumulating into leaves): the counts are found from ``root`` only
    when a gradient first goes to a node with several consumers or to a leaf with hooks.
    Until then every node reached had one consumer, the node that just ran, so it is ready
    at once, and plain leaves take their gradient on arrival."""
    owned: dict = {}
    live_out = _live_outputs(list(deps)) if retain_path else None
    mode = set_grad_flag(create_graph)  # rules build a graph only for create_graph
    # the short path below: no hooks on the node, no capture of non-leaf inputs' grads
    simple = not retain_path and not anomaly and not captures
    # pruned: deps holds only the nodes that lead to the inputs, and edges out of it are dead
    old = None
    try:
        while ready:
            n = ready.pop()
            buf = buffers.pop(n, None)
            if owned and buf:
                for g in buf:
                    owned.pop(id(g), None)
            if n.__class__ is Tensor or isinstance(n, Tensor):  # a leaf
                g = buf[0] if buf else None
                if g is None:
                    continue
                if n._hooks:
                    for h in list(n._hooks):
                        g = call_hook(h, g)
                if inputs is None or n in leaf_targets:
                    if accumulate:
                        if n._rg:
                            _accumulate_leaf(n, g, create_graph)
                    else:
                        for pos in leaf_targets[n]:
                            result[pos] = g
                continue

            fn = n._fn
            if simple and n._extra is None and fn._primitive and buf is not None and \
                    buf[0] is not None and len(buf) == 1:
                # the common node: one output, no hooks, no pruning: fewer checks
                g = buf[0]
                while True:
                    edges = n._next  # a tuple, or one bare Node or leaf (graph.Node._next)
                    outs = fn.backward(n, g)
                    if not keep_graph and n._saved is not NO_SAVED:
                        n._saved = None
                    if edges.__class__ is not tuple:
                        edges = (edges,)
                    if type(outs) is tuple:
                        if len(outs) != len(edges):
                            outs = _check_count(n, outs)
                        if len(edges) != 1:
                            break
                        g = outs[0]
                    elif len(edges) != 1:
                        outs = _check_count(n, (outs,))  # raises
                    else:
                        g = outs  # one input, one gradient: no tuple
                    c = edges[0]
                    if c.__class__ is Tensor and deps is None and not c._hooks and \
                            g is not None:
                        # the chain ends at a plain leaf: its .grad takes g at once (what the
                        # delivery loop below does, without its per-edge bookkeeping)
                        cd = c._data
                        if type(g) is not Tensor or g._data.shape != cd.shape or (
                                g._data.dtype is not cd.dtype):
                            g = _validate(n, 0, g, cd.shape, cd.dtype, create_graph)
                        outs = None
                        _accumulate_leaf(c, g, create_graph)
                        edges = ()
                        break
                    # a chain: n is c's last pending parent and nothing is buffered for c, so
                    # c is ready now with g alone; run it directly instead of going through
                    # the buffers and the ready stack
                    prim = _PRIM_NODE.get(c.__class__)  # None, leaf, (node, idx): False
                    if prim is None:
                        prim = _prim_node_class(c.__class__)
                    if g is None or not prim or c._extra is not None:
                        outs = (g,)
                        break
                    meta = c.out_meta
                    # (c in buffers: a root of its own, or fed by another node, waits for
                    # that gradient too, even as n's one consumer)
                    if len(meta) != 1 or c in buffers or (
                            deps.get(c) != 1 if pruned else
                            c._uses != 1 and (deps is None or deps[c] != 1)):
                        outs = (g,)
                        break
                    shape, dtype = meta[0]
                    if type(g) is not Tensor or g._data.shape != shape or (
                            g._data.dtype is not dtype and g._data.dtype != dtype):
                        g = _validate(n, 0, g, shape, dtype, create_graph)
                    if deps is not None:
                        deps[c] = 0
                    n, fn = c, c._fn
                live = _live(edges, deps) if pruned else None
            else:
                grads = buf if buf is not None else [None] * len(n.out_meta)
                extra = n._extra
                if extra is not None:
                    _run_pre_hooks(n, extra, grads)
                if retain_path:
                    _retain_path(n, grads, live_out)
                if captures:
                    for i, g in enumerate(grads):
                        pos_list = captures.get((n, i))
                        if pos_list is not None and g is not None:
                            for pos in pos_list:
                                result[pos] = g
                edges = n._next
                if edges.__class__ is not tuple:
                    edges = (edges,)
                if pruned:
                    live = _live(edges, deps)
                    if not any(live):
                        continue
                else:
                    live = None
                if all(g is None for g in grads):
                    outs = (None,) * len(edges)
                else:
                    outs = _call_backward(n, grads, extra, anomaly)
                if not keep_graph and n._saved is not NO_SAVED:
                    n._saved = None
            # deliver each input's gradient: validated (broadcast reduced, cast), then added
            # into a plain leaf's .grad at once or into the next node's buffer
            i = -1
            for c in edges:
                i += 1
                if c is None or (live is not None and not live[i]):
                    continue
                if c.__class__ is tuple:
                    c, idx = c
                else:
                    idx = 0
                g = outs[i]
                is_leaf = c.__class__ is Tensor or isinstance(c, Tensor)
                if g is not None:
                    if is_leaf:
                        cd = c._data
                        shape, dtype = cd.shape, cd.dtype
                    else:
                        shape, dtype = c.out_meta[idx]
                    if type(g) is not Tensor or g._data.shape != shape or (
                            g._data.dtype is not dtype and g._data.dtype != dtype):
                        g = _validate(n, i, g, shape, dtype, create_graph)
                if deps is None:
                    if is_leaf:
                        if not c._hooks:
                            if g is not None:  # a plain leaf: accumulate at once
                                _accumulate_leaf(c, g, create_graph)
                            continue
                    elif c._uses == 1 and g is not None:
                        # n is c's one consumer (the only edge ever made to it): c is ready
                        # with this gradient alone, no counts needed
                        cbuf = buffers[c] = [None] * len(c.out_meta)
                        cbuf[idx] = g
                        ready.append(c)
                        continue
                    deps = _discover([root], skip_leaves=True)
                if c not in deps:  # a plain leaf (see _discover): accumulate at once
                    if g is not None:
                        _accumulate_leaf(c, g, create_graph)
                    continue
                if g is not None:
                    cbuf = buffers.get(c)
                    if cbuf is None:
                        if is_leaf:
                            buffers[c] = [g]
                        else:
                            cbuf = buffers[c] = [None] * len(c.out_meta)
                            cbuf[idx] = g
                    else:
                        old = cbuf[idx]
                        cbuf[idx] = g if old is None else _add(old, g, owned, create_graph)
                d = deps[c] - 1
                deps[c] = d
                if d == 0:
                    ready.append(c)
            outs = g = old = None  # drop references so leaf grads can be taken without a copy
    finally:
        reset_grad_flag(mode)
    return result


def _live(edges: tuple, deps: dict) -> list:
    """Per edge: does it lead to a node or leaf that this (pruned) backward runs."""
    return [e is not None and (e[0] if e.__class__ is tuple else e) in deps for e in edges]


def _run_pre_hooks(n: Node, extra: Any, grads: list) -> None:
    for i, hooks in extra.pre_hooks.items():
        if grads[i] is None:
            continue
        for h in list(hooks):
            grads[i] = call_hook(h, grads[i])
    for i, ref in extra.retain.items():
        t = ref()
        g = grads[i]
        if t is None or g is None:
            continue
        if t._grad is None:
            t._grad = g if _grad_on() else Tensor._make(g._data.copy())
        else:
            t._grad = t._grad + g if _grad_on() else Tensor._make(t._grad._data + g._data)
    for h in list(extra.node_pre_hooks):
        r = h(tuple(grads))
        if r is not None:
            grads[:] = list(r)


def _retain_path(n: Node, grads: list, live: dict) -> None:
    for t in live.get(n, ()):
        g = grads[t._out_idx]
        if g is not None:
            t._grad = g


def _live_outputs(nodes: list) -> dict:
    """node -> the live Tensors it produced. Nodes keep no references to their outputs (no
    cycles, no per-op weakref), so Chainer's ``retain_grad`` asks the garbage collector which
    Tensors point at them: one heap scan, only on that rarely used path."""
    nodeset = {n for n in nodes if isinstance(n, Node)}
    found: dict = {}
    if nodeset:
        for obj in gc.get_referrers(*nodeset):
            if isinstance(obj, Tensor) and obj.grad_fn in nodeset:
                found.setdefault(obj.grad_fn, []).append(obj)
    return found


def _check_count(n: Node, outs: tuple) -> tuple:
    n_in = len(n.next_edges)
    if len(outs) > n_in and all(o is None for o in outs[n_in:]):
        return outs[:n_in]
    raise RuntimeError(f"function {type(n).__name__} returned an incorrect number of "
                       f"gradients (expected {n_in}, got {len(outs)})")


def _call_backward(n: Node, grads: list, extra: Any, anomaly: bool) -> tuple:
    fn = n._fn
    materialize = extra is None or extra.materialize
    if materialize:
        for i, g in enumerate(grads):
            if g is None:
                meta = n.out_meta[i]
                if meta[1] is None or fn._primitive and meta[1].kind not in "fc":
                    continue  # not a Tensor, or a primitive's integer output (indices)
                grads[i] = _zeros(meta, next((x for x in grads if x is not None), None))
    # a scaled twin (autograd._peephole) with post-hooks: the hooks see the node's own
    # gradients, the folded x * c applies after them, as its own node would have
    twin_hooked = extra is not None and extra.post_hooks and hasattr(fn, "_inner")
    try:
        outs = fn._inner(n, *grads) if twin_hooked else fn.backward(n, *grads)
    except Exception:
        if anomaly and extra is not None and extra.trace:
            warnings.warn(f"Error detected in {type(n).__name__}. Traceback of forward call that "
                          "caused the error:\n" + "".join(extra.trace), stacklevel=2)
        raise
    if type(outs) is not tuple:
        outs = tuple(outs) if isinstance(outs, list) else (outs,)
    e = n._next
    if len(outs) != (len(e) if e.__class__ is tuple else 1):
        outs = _check_count(n, outs)
    if not fn._primitive:
        fwd_types = n.__dict__.get("_arg_is_tensor")
        if fwd_types is not None:
            for i, o in enumerate(outs):
                if o is not None and not fwd_types[i]:
                    raise RuntimeError(
                        f"function {type(n).__name__} returned a gradient different than None "
                        f"at position {i + 1}, but the corresponding forward input was not a "
                        "Variable")
    if extra is not None and extra.post_hooks:
        for h in list(extra.post_hooks):
            r = h(outs, tuple(grads))
            if r is not None:
                outs = tuple(r)
        if twin_hooked:
            outs = (fn.scale(n, outs[0]),)
    if anomaly and anomaly_mode._state.check_nan:
        for i, o in enumerate(outs):
            d = o._data if isinstance(o, Tensor) else o
            if o is not None and bool(_backend.array_module(d).isnan(d).any()):
                raise RuntimeError(f"Function '{type(n).__name__}' returned nan values in its "
                                   f"{i}th output.")
    return outs
