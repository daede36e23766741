"""Graph nodes (``grad_fn``): edges to the next nodes, saved tensors, hooks, and graph walking.

A node is also the ``ctx`` of the op that made it. Edges point at the next node, or straight
at a leaf Tensor (shown as ``AccumulateGrad`` by ``next_functions``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward.")

NO_SAVED = ()  # ``_saved`` of a node that saved nothing (the empty-tuple singleton)


class RemovableHandle:
    """Returned by ``register_hook``: ``remove()`` takes the hook out again."""

    __slots__ = ("_hooks", "_fn")

    def __init__(self, hooks: list, fn: Callable) -> None:
        self._hooks, self._fn = hooks, fn

    def remove(self) -> None:
        try:
            self._hooks.remove(self._fn)
        except ValueError:
            pass

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


_TRUE1 = (True,)


def edge_parts(e: Any) -> tuple:
    """``(node or leaf, output index)`` of a ``next_edges`` entry that is not None."""
    return e if e.__class__ is tuple else (e, 0)


class Node:
    """A backward function: ``grad_fn`` of the tensors an op made, and the op's ``ctx``.

    Slots hold what the engine needs; ops may also set attributes of their own on ``ctx``.
    """

    __slots__ = (
        "_next",             # the edges: a tuple with one entry per input, each a Node (its
                             # output 0), (Node, output index), a leaf Tensor or None; or, for
                             # one input, a bare Node or leaf (no tuple: 48 bytes less per node)
        "out_meta",          # per output: (shape, dtype)
        "_saved",            # saved Tensors or _SavedOutput entries; None once freed
        "_saved_ver",        # version of each saved entry at save time
        "_extra",            # None, or a NodeExtra with hooks/retain/anomaly state (rare)
        "_fwd",              # the forward's inputs while forward runs (for save_inputs)
        "_uses",             # edges ever made to this node; 1 lets backward skip discovery
        "__weakref__",
        # no __dict__: a primitive's node keeps its own attributes in slots (``_ctx_slots``),
        # which saves the dict pre-header and values array per node; custom Function nodes
        # add ``__dict__`` for the attributes their ctx takes (function._FunctionBase)
    )
    _fn: Any = None  # the Function/Primitive class whose backward this node runs
    # No __init__: a node is made by calling its class (cheaper than object.__new__ when there
    # is no __init__ to run) and the code that makes it sets every slot above except __dict__.

    @property
    def extra(self) -> NodeExtra:
        """Rarely used state (hooks, retain_grad, anomaly trace), made on first use."""
        if self._extra is None:
            self._extra = NodeExtra()
        return self._extra

    # ---- introspection (PyTorch names)
    def name(self) -> str:
        """The node's class name, e.g. ``MulBackward0``."""
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {id(self):#x}>"

    @property
    def next_edges(self) -> tuple:
        """One entry per input (see ``_next``), always as a tuple."""
        e = self._next
        return e if e.__class__ is tuple else (e,)

    @property
    def needs_input_grad(self) -> tuple:
        """Per input: did it require grad at forward. Read off the edges (an input has an
        edge exactly when it required grad), so no node stores it."""
        e = self._next
        if e.__class__ is not tuple:
            return _TRUE1
        if len(e) == 2:
            return (e[0] is not None, e[1] is not None)
        return tuple([c is not None for c in e])

    @property
    def next_functions(self) -> tuple:
        """((next node or AccumulateGrad, output index) or (None, 0)) per input."""
        out = []
        for e in self.next_edges:
            if e is None:
                out.append((None, 0))
            else:
                c, i = edge_parts(e)
                out.append((c, i) if isinstance(c, Node) else (AccumulateGrad(c), 0))
        return tuple(out)

    @property
    def metadata(self) -> dict:
        """A free-form dict for the user (as in PyTorch)."""
        extra = self.extra
        if extra.metadata is None:
            extra.metadata = {}
        return extra.metadata

    def register_hook(self, fn: Callable) -> RemovableHandle:
        """``fn(grad_inputs, grad_outputs)`` runs after backward; may return new grad_inputs."""
        hooks = self.extra.post_hooks
        hooks.append(fn)
        return RemovableHandle(hooks, fn)

    def register_prehook(self, fn: Callable) -> RemovableHandle:
        """``fn(grad_outputs)`` runs before this node's backward; may return new grad_outputs."""
        hooks = self.extra.node_pre_hooks
        hooks.append(fn)
        return RemovableHandle(hooks, fn)

    # ---- saved tensors
    def _unpack_saved(self) -> tuple:
        saved, vers = saved_entries(self)
        if saved is None:
            raise RuntimeError(FREED_MSG)
        out = []
        for entry, ver in zip(saved, vers):
            if entry is None:
                out.append(None)
                continue
            if type(entry) is _SavedOutput:
                cur = entry.version[0]
                if cur != ver:
                    raise RuntimeError(_version_msg(entry.unpack(self), self, entry, cur, ver))
                out.append(_TENSOR_FACTORY[0](entry.data, True, self, entry.index, entry.version))
            else:
                v = entry._version
                cur = 0 if v is None else v[0]
                if cur != ver:
                    raise RuntimeError(_version_msg(entry, self, entry, cur, ver))
                out.append(entry)
        return tuple(out)

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to ``save_for_backward`` (raises once they are freed)."""
        return self._unpack_saved()

    @property
    def saved_inputs(self) -> tuple:
        """Primitives: the inputs named by ``save_inputs``, in that order."""
        saved = saved_entries(self)[0]
        if saved is not None and all(type(e) is not _SavedOutput for e in saved):
            return self._unpack_saved()
        return tuple(t for t, e in zip(self._unpack_saved(), saved)
                     if type(e) is not _SavedOutput)

    @property
    def saved_outputs(self) -> tuple:
        """Primitives: the outputs named by ``save_outputs``, in that order."""
        saved = saved_entries(self)[0]
        if saved is not None and len(saved) == 1:
            return self._unpack_saved()
        return tuple(t for t, e in zip(self._unpack_saved(), saved)
                     if type(e) is _SavedOutput)


def saved_entries(node: Node) -> tuple:
    """``(entries, versions)`` of what ``node`` saved, with a compact saved output expanded.

    Compact form: a primitive that saved only its output 0 keeps the bare array in ``_saved``
    (no entry object, tuple or version counter: about 180 bytes less per node). The output
    has no version counter yet, so it is unmodified; ``new_version`` turns the node back into
    the general form when the output gets one. The expansion made here is transient, and a
    Tensor unpacked from it has a private counter."""
    saved = node._saved
    if saved is None or saved.__class__ is tuple:
        return saved, node._saved_ver
    return (_SavedOutput(saved, [0], 0, True),), (0,)


def share_version(base: Any, view: Any, node: Any = None) -> None:
    """A view shares its base's version counter: writing through either is seen by both. A
    recorded view ``node`` also keeps the base and its history at that moment, so that its
    rule can tell when an in-place op has rewritten that history since (``view_rule``)."""
    v = base._version
    if v is None:
        v = new_version(base)
    view._version = v
    if node is not None and base.grad_fn is not None:
        node._vbase = (base, base.grad_fn)


_MULTI_VIEW_MSG = ("Output {i} of {name} is a view and its base or another view of its base "
                   "has been modified inplace. This view is the output of a function that "
                   "returns multiple views. Such functions do not allow the output views to be "
                   "modified inplace. You should replace the inplace operation by an "
                   "out-of-place one.")


def view_rule(cls: type) -> None:
    """Make ``cls`` (a view primitive) check, in backward, that its base's history is still the
    one it was taken from. PyTorch rewrites a view's history when its base is changed in place
    with autograd; ndgrad keeps the old one, which is right only where the in-place op left
    the view's elements alone. So: PyTorch's error for ops that return several views, and a
    warning naming the problem for the others."""
    if "_vbase" not in cls._ctx_slots:
        cls._ctx_slots = (*cls._ctx_slots, "_vbase")
    rule = cls.__dict__.get("backward")
    if rule is None:
        return
    rule = rule.__func__ if isinstance(rule, staticmethod) else rule

    def backward(ctx: Any, *grads: Any) -> Any:
        vb = getattr(ctx, "_vbase", None)  # unset: the base had no history
        if vb is not None and vb[0].grad_fn is not vb[1]:
            name = type(ctx).__name__
            if len(ctx.out_meta) > 1:
                i = next((k for k, g in enumerate(grads) if g is not None), 0)
                raise RuntimeError(_MULTI_VIEW_MSG.format(i=i, name=name))
            warnings.warn(f"{name}: the base of this view was modified in place after the view "
                          "was taken; its gradient follows the view's old history (PyTorch "
                          "rewrites it), which is wrong where the in-place op changed the "
                          "view's elements. Take the view after the in-place op, or use an "
                          "out-of-place op.", RuntimeWarning, stacklevel=2)
        return rule(ctx, *grads)

    backward.__doc__ = rule.__doc__
    cls.backward = staticmethod(backward)


def new_version(t: Any) -> list:
    """Give ``t`` its version counter, ``[0]``, at its first need (an in-place write, a view,
    detach). A node that saved ``t`` in compact form takes the same counter, so a later write
    to ``t`` is still caught at backward."""
    v = t._version = [0]
    node = t.grad_fn
    if node is not None and node._saved is t._data and t._out_idx == 0:
        # versions first: readers take _saved, then _saved_ver only for the general form
        node._saved_ver = (0,)
        node._saved = (_SavedOutput(t._data, v, 0, True),)
    return v


class NodeExtra:
    """Hooks and flags that few nodes have, kept off the hot path."""

    __slots__ = ("pre_hooks", "retain", "post_hooks", "node_pre_hooks", "trace", "non_diff",
                 "materialize", "dirty", "metadata")

    def __init__(self) -> None:
        self.pre_hooks: dict = {}       # output index -> [hook(grad)] (Tensor.register_hook)
        self.retain: dict = {}          # output index -> weakref to a Tensor with retain_grad()
        self.post_hooks: list = []      # fn(grad_inputs, grad_outputs)
        self.node_pre_hooks: list = []  # fn(grad_outputs)
        self.trace = None               # forward stack (anomaly mode)
        self.non_diff: set = set()      # output indices marked non-differentiable
        self.materialize = True         # turn None output grads into zeros
        self.dirty: tuple = ()          # inputs modified in place by forward
        self.metadata = None            # the user's dict (Node.metadata), made on first use


def _version_msg(t: Any, node: Node, entry: Any, cur: int, ver: int) -> str:
    kind = t.dtype.name
    shape = list(t.shape)
    if type(entry) is _SavedOutput:
        where = f", which is output {entry.index} of {type(node).__name__},"
    elif t.grad_fn is not None:
        where = f", which is output {t._out_idx} of {type(t.grad_fn).__name__},"
    else:
        where = ""
    return (
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [ndgrad.{kind} {shape}]{where} is at version {cur}; expected "
        f"version {ver} instead. Hint: enable anomaly detection to find the operation that "
        "failed to compute its gradient, with ndgrad.autograd.set_detect_anomaly(True).")


class _SavedOutput:
    """An output saved without a reference cycle: its array, rebuilt as a Tensor on unpack."""

    __slots__ = ("data", "version", "index", "requires_grad")

    def __init__(self, data: Any, version: list, index: int, requires_grad: bool) -> None:
        self.data, self.version = data, version
        self.index, self.requires_grad = index, requires_grad

    def unpack(self, node: Node) -> Any:
        from_node = _TENSOR_FACTORY[0]
        return from_node(self.data, self.requires_grad, node, self.index, self.version)


# set by _tensor (layer 3) at import time: builds a Tensor from (array, requires_grad, node,
# index, version); graph.py is below _tensor and must not import it.
_TENSOR_FACTORY: list = [None]


class AccumulateGrad:
    """Stand-in shown by ``next_functions`` for a leaf: its ``variable`` is the leaf tensor."""

    __slots__ = ("variable",)

    def __init__(self, variable: Any) -> None:
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"

    @property
    def next_functions(self) -> tuple:
        return ()

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AccumulateGrad) and other.variable is self.variable

    def __hash__(self) -> int:
        return id(self.variable)


def iter_graph(root: Any) -> Iterator[Node | AccumulateGrad]:
    """Every node reachable from ``root`` (a Tensor or a Node), each once, without recursion."""
    start = root if isinstance(root, Node) else getattr(root, "grad_fn", None)
    if start is None:
        return
    seen = {id(start)}
    stack = [start]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, AccumulateGrad):
            continue
        for nxt, _ in node.next_functions:
            key = id(nxt.variable) if isinstance(nxt, AccumulateGrad) else id(nxt)
            if nxt is not None and key not in seen:
                seen.add(key)
                stack.append(nxt)


__all__ = ["Node", "NodeExtra", "AccumulateGrad", "RemovableHandle", "iter_graph", "FREED_MSG"]
