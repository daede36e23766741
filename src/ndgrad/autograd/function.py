"""Function (public, PyTorch's contract: forward sees Tensors) and Primitive (internal: forward
sees arrays). Both make the same node type, ``<Name>Backward``, which is also the ``ctx``.

To add a primitive: subclass ``Primitive`` with static ``forward(ctx, *arrays, **params)``
returning an array (or a tuple of arrays) and static ``backward(ctx, *grads)`` written with
Tensor operations, returning one gradient (or None) per input.
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable
from typing import Any

from .. import _backend
from .._backend import ndarray
from .._tensor import Tensor
from . import anomaly_mode
from ._peephole import DEAD_BARE as _DEAD_BARE
from ._peephole import DEAD_IN_TUPLE as _DEAD_IN_TUPLE
from ._peephole import PASS_NODE as _PASS_NODE
from ._peephole import SCALE_NODE as _SCALE_NODE
from ._peephole import TWINS as _TWINS
from ._peephole import refs as _refs
from ._peephole import scaled_twin
from .grad_mode import grad_enabled as _grad_on
from .grad_mode import no_grad
from .graph import FREED_MSG, NO_SAVED, Node, _SavedOutput, new_version, view_rule
from .graph import share_version as _share_version

_generic = _backend.generic
_OUT0 = (0,)


def _as_array(out: Any) -> Any:
    """Forward results may be NumPy scalars (0-d reductions); make them arrays."""
    if isinstance(out, _generic):
        return _backend.np.asarray(out)
    return out


def _tensor_of(out: Any) -> Tensor:
    """A Tensor (no grad) of an array result; 0-d results come back from NumPy as scalars."""
    t = _new(Tensor)  # Tensor._make inlined: every array rule's result goes through here
    t._data = out if type(out) is ndarray else _as_array(out)
    t._grad = t._version = t._hooks = t.grad_fn = None
    t._rg = False
    t._out_idx = 0
    return t


class BackwardNode(Node):
    """The node (and ctx) type of every op: holds the ctx API used inside forward."""

    # each Primitive names the ctx attributes its forward sets in ``_ctx_slots``; they become
    # slots of its node class, so nodes never allocate a __dict__ and carry no unused slots
    __slots__ = ("_save_out",)

    # ---- used by Primitive forwards (arrays in; inputs/outputs saved by position)
    def save_inputs(self, *indices: int) -> None:
        """Save the forward's inputs at ``indices`` (as Tensors) for backward."""
        fwd = self._fwd
        if fwd is None:  # no graph is being recorded
            return
        if fwd.__class__ is not tuple:
            fwd = (fwd,)  # _apply_one keeps its one input bare
        if len(indices) == 1:
            t = fwd[indices[0]]
            v = t._version
            self._saved += (t,)
            self._saved_ver += (0 if v is None else v[0],)
            return
        if len(indices) == 2:
            a, b = fwd[indices[0]], fwd[indices[1]]
            va, vb = a._version, b._version
            self._saved += (a, b)
            self._saved_ver += (0 if va is None else va[0], 0 if vb is None else vb[0])
            return
        ts = tuple([fwd[i] for i in indices])
        self._saved += ts
        self._saved_ver += tuple([0 if t._version is None else t._version[0] for t in ts])

    @property
    def saved_tensors(self) -> tuple:
        """What was saved for backward (raises once freed, or if modified in place)."""
        if self._save_out is None:  # a primitive that saved inputs only: check versions
            saved = self._saved
            if saved is None:
                raise RuntimeError(FREED_MSG)
            for t, ver in zip(saved, self._saved_ver):
                v = t._version
                if v is not None and v[0] != ver:
                    return self._unpack_saved()  # raises the version error
            return saved
        return self._unpack_saved()

    @property
    def saved_outputs(self) -> tuple:
        """Primitives: the outputs named by ``save_outputs``, in that order."""
        saved = self._saved
        if saved is None:
            raise RuntimeError(FREED_MSG)
        # the common cases (exp, tanh, sigmoid, relu...): one saved output, unmodified
        if saved.__class__ is not tuple:  # compact (graph.saved_entries): a private counter
            data, idx, ver = saved, 0, [0]
        elif len(saved) == 1 and type(saved[0]) is _SavedOutput and \
                saved[0].version[0] == self._saved_ver[0]:
            e = saved[0]
            data, idx, ver = e.data, e.index, e.version
        else:
            return Node.saved_outputs.fget(self)
        t = _new(Tensor)
        t._data = data
        t._grad = t._hooks = None
        t._rg = True
        t.grad_fn = self
        t._out_idx = idx
        t._version = ver
        return (t,)

    def saved_out0(self) -> Any:
        """The one saved output's array, version-checked, no Tensor built (array rules)."""
        saved = self._saved
        if saved.__class__ is not tuple and saved is not None:
            return saved  # compact: the output is unmodified (graph.saved_entries)
        if saved is not None and len(saved) == 1:
            e = saved[0]
            if e.__class__ is _SavedOutput and e.version[0] == self._saved_ver[0]:
                return e.data
        return self.saved_outputs[0]._data

    def saved_arrays(self) -> tuple:
        """The arrays of what was saved (inputs, then outputs), version-checked, without
        building Tensors (array rules); the errors of ``saved_tensors`` otherwise."""
        saved = self._saved
        if saved.__class__ is not tuple and saved is not None:
            return (saved,)  # compact: the output is unmodified (graph.saved_entries)
        if saved is None:
            raise RuntimeError(FREED_MSG)
        out = []
        for e, ver in zip(saved, self._saved_ver):
            if e.__class__ is Tensor:  # a saved input: the hot case, first
                v, arr = e._version, e._data
            elif e.__class__ is _SavedOutput:
                v, arr = e.version, e.data
            else:
                v, arr = (None, None) if e is None else (e._version, e._data)
            if v is not None and v[0] != ver:
                self._unpack_saved()  # raises the version error
            out.append(arr)
        return tuple(out)

    saved_inputs = property(
        lambda self: (self.saved_tensors if self._save_out is None
                      else Node.saved_inputs.fget(self)),
        doc="Primitives: the inputs named by ``save_inputs``, in that order.")

    def save_array(self, arr: Any) -> None:
        """Keep a forward intermediate for the array rule, freed with the saved tensors."""
        if self._fwd is None:
            return
        self._saved += (_make(arr),)
        self._saved_ver += (0,)

    def save_outputs(self, *indices: int) -> None:
        """Save outputs at ``indices``; they are kept as arrays to avoid a reference cycle."""
        if self._fwd is None:
            return
        self._save_out = _OUT0 if indices == _OUT0 else indices  # share the common (0,)

    # ---- used by public Function forwards (PyTorch's ctx API)
    def save_for_backward(self, *tensors: Any) -> None:
        """Save Tensors (inputs, outputs or None) for ``ctx.saved_tensors`` in backward."""
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError("save_for_backward can only save variables, but argument "
                                f"{tensors.index(t)} is of type {type(t).__name__}")
        self.__dict__["_to_save"] = tensors

    def mark_dirty(self, *tensors: Tensor) -> None:
        """Declare inputs that forward modified in place (they must also be returned)."""
        self.extra.dirty = tensors

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        """Declare outputs that never get a gradient (indices, masks, ...)."""
        self.__dict__["_non_diff_ids"] = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool) -> None:
        """When False, backward receives None (not zeros) for outputs that got no gradient."""
        self.extra.materialize = bool(value)


class _NullCtx:
    """The ctx forward sees when no graph is recorded: saving is a no-op, no input has an
    edge. Hot forwards may set ``ctx._save_out`` directly instead of calling
    ``save_outputs(0)``; here that write lands in an attribute nothing reads."""

    _fwd = _save_out = None
    needs_input_grad, _next = (False,) * 64, (None,) * 64
    save_inputs = save_outputs = save_array = save_for_backward = mark_dirty = (
        mark_non_differentiable) = set_materialize_grads = lambda self, *a: None


_NULL_CTX = _NullCtx()


def _edge(t: Tensor) -> Any:
    """The edge to ``t``'s producer (see ``graph.Node.next_edges``): the node itself for
    output 0, ``(node, index)`` otherwise, the leaf itself, or None when no grad flows."""
    fn = t.grad_fn
    if fn is not None:
        fn._uses += 1
        i = t._out_idx
        return fn if i == 0 else (fn, i)
    return t if t._rg else None


# out_meta of one-output nodes, shared: shape -> ((shape, dtype),) for float32 and float64 (found
# by the dtype's identity: hashing a NumPy dtype is slow), (shape, dtype) -> ... for the rest
_META32: dict = {}
_META64: dict = {}
_META: dict = {}


def _meta(shape: tuple, dt: Any) -> tuple:
    """``out_meta`` of a one-output node: shared between nodes, so a long graph holds one
    tuple per distinct (shape, dtype) instead of three per node (memory and GC time)."""
    cache = _META32 if dt is _F32 else _META64 if dt is _F64 else _META
    key = shape if cache is not _META else (shape, dt)
    m = cache.get(key)
    if m is None:
        if len(cache) >= 4096:
            cache.clear()
        m = cache[key] = ((shape, dt),)
    return m


class _FunctionBase:
    _backward_cls: type
    _ctx_slots: tuple = ()  # attribute names forward sets on ctx (slots of the node class)
    _primitive = False
    _view = False  # True for ops whose output may be a view of input 0 (reshape, getitem, ...)
    _exact = False  # rule's grads have the inputs' shapes/dtypes: unchecked (engine._walk)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        suffix = "Backward0" if cls._primitive else "Backward"
        name = cls.__dict__.get("_node_name") or (cls.__name__ + suffix)
        # a custom Function's ctx takes any attribute (ctx.k = ...): its node has a __dict__
        slots = cls._ctx_slots if cls._primitive else (*cls._ctx_slots, "__dict__")
        cls._backward_cls = type(name, (BackwardNode,),
                                 {"__slots__": slots, "_fn": cls,
                                  "__module__": cls.__module__})

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode AD.")

    vjp = backward


class Primitive(_FunctionBase):
    """Internal op base: ``forward(ctx, *arrays, **params)``; positional args are Tensors."""

    _primitive = True
    # an _exact elementwise one-input op may take in a dead ``x * c`` (_peephole): 2 slots
    _fold_scale = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        cls._primitive = True
        if cls._view:
            view_rule(cls)
        if cls.__dict__.get("_fold_scale"):
            cls._ctx_slots = tuple(cls.__dict__.get("_ctx_slots", ())) + ("_mc", "_mk")
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("_fold_scale"):
            _TWINS[cls._backward_cls] = scaled_twin(cls, _tensor_of)

    @classmethod
    def apply(cls, *inputs: Tensor, **params: Any) -> Any:
        """Run forward on the inputs' arrays; record a node when grad mode is on and needed."""
        if _grad_on():
            for t in inputs:
                if t._rg:
                    return _record(cls, inputs, params)
        n = len(inputs)
        if n == 1:
            out = cls.forward(_NULL_CTX, inputs[0]._data, **params)
        elif n == 2:
            out = cls.forward(_NULL_CTX, inputs[0]._data, inputs[1]._data, **params)
        else:
            out = cls.forward(_NULL_CTX, *[t._data for t in inputs], **params)
        if type(out) is not ndarray:
            if type(out) is tuple:
                res = tuple([_make(_as_array(o)) for o in out])
                if cls._view:
                    for r in res:
                        if r._data.base is not None:
                            _share_version(inputs[0], r)
                return res
            out = _as_array(out)
        t = _new(Tensor)  # Tensor._make inlined (hot: every op without a graph)
        t._data = out
        t._grad = t._version = t._hooks = t.grad_fn = None
        t._rg = False
        t._out_idx = 0
        if cls._view and out.base is not None:
            _share_version(inputs[0], t)
        return t


_NO_PARAM = object()


def _apply_one(cls: Any, x: Tensor, c: Any = _NO_PARAM) -> Tensor:
    """``cls.apply(x)`` or ``cls.apply(x, c=c)`` for a one-input, one-output primitive with a
    floating result, without the argument packing of ``apply`` (the hottest op shapes:
    ``x * 2.0``, ``x + 1``, ``tanh(x)``). ``c`` is passed to forward positionally."""
    if not (x._rg and _grad_on()):
        out = cls.forward(_NULL_CTX, x._data) if c is _NO_PARAM else \
            cls.forward(_NULL_CTX, x._data, c)
        return _tensor_of(out)
    node = cls._backward_cls()
    node._saved = node._saved_ver = ()
    node._extra = node._save_out = None
    node._uses = 0
    node._fwd = x
    fn = x.grad_fn
    if fn is not None:
        fn._uses += 1
        node._next = fn if x._out_idx == 0 else ((fn, x._out_idx),)
        e = fn._next  # peepholes on fn's input (_peephole): p is that input's node
        if e.__class__ is tuple:
            p = e[0] if e else None
            if p.__class__ is _PASS_NODE[0] and p._extra is None and _refs(p) == _DEAD_IN_TUPLE:
                pe = p._next
                fn._next = (pe if pe.__class__ is tuple else (pe,)) + e[1:]
        else:
            p = e
            if p.__class__ is _PASS_NODE[0] and p._extra is None and _refs(p) == _DEAD_BARE:
                fn._next = e = p._next
                p = e
            if p.__class__ is _SCALE_NODE[0] and fn.__class__ in _TWINS and \
                    fn._extra is None and p._extra is None and _refs(p) == _DEAD_BARE:
                fn._mc, fn._mk = p.c, p.k
                fn.__class__ = _TWINS[fn.__class__]
                fn._next = p._next
    else:
        node._next = x
    out = cls.forward(node, x._data) if c is _NO_PARAM else cls.forward(node, x._data, c)
    node._fwd = None
    if anomaly_mode._state.enabled:
        node.extra.trace = traceback.format_stack()[:-2]
    if type(out) is not ndarray:
        out = _as_array(out)  # 0-d results come back as NumPy scalars
    result = _new(Tensor)
    result._data = out
    result._grad = result._version = result._hooks = None
    result._rg = True
    result.grad_fn = node
    result._out_idx = 0
    dt = out.dtype
    m = _META32.get(out.shape) if dt is _F32 else None
    node.out_meta = m if m is not None else _meta(out.shape, dt)
    if node._save_out is not None:
        if node._saved is NO_SAVED:
            node._saved = out  # compact: see graph.saved_entries
        else:
            _save_out0(node, result)
    return result


_apply_scalar = _apply_one  # the name the scalar-operand ops use


_make = Tensor._make
_new = object.__new__
_F32 = _backend.np.dtype("float32")
_F64 = _backend.np.dtype("float64")


def _record(cls: Any, inputs: tuple, params: dict) -> Any:
    node = cls._backward_cls()
    node._saved = node._saved_ver = ()
    node._extra = node._save_out = None
    node._uses, node._fwd = 0, inputs
    n = len(inputs)
    if n == 2:  # the binary ops: first
        x, y = inputs
        fx, fy = x.grad_fn, y.grad_fn
        if fx is not None:
            fx._uses += 1
        if fy is not None:
            fy._uses += 1
        node._next = (
            (fx if x._out_idx == 0 else (fx, x._out_idx)) if fx is not None else
            (x if x._rg else None),
            (fy if y._out_idx == 0 else (fy, y._out_idx)) if fy is not None else
            (y if y._rg else None))
        out = cls.forward(node, x._data, y._data, **params) if params else \
            cls.forward(node, x._data, y._data)  # no keywords: a plain call is cheaper
    elif n == 1:
        x = inputs[0]
        fn = x.grad_fn
        if fn is not None:
            fn._uses += 1
            node._next = fn if x._out_idx == 0 else ((fn, x._out_idx),)
        else:
            node._next = x
        out = cls.forward(node, x._data, **params)
    elif n == 3:
        x, y, z = inputs
        node._next = (_edge(x), _edge(y), _edge(z))
        out = cls.forward(node, x._data, y._data, z._data, **params)
    else:
        node._next = tuple([_edge(t) for t in inputs])
        out = cls.forward(node, *[t._data for t in inputs], **params)
    node._fwd = None
    if anomaly_mode._state.enabled:
        node.extra.trace = traceback.format_stack()[:-2]
    if type(out) is not ndarray:
        if type(out) is tuple:
            return _record_outputs(node, out, cls._view and inputs[0])
        out = _as_array(out)
    dt = out.dtype
    if dt is not _F32 and dt is not _F64 and dt.kind not in "fc":
        return _make(out)  # integer/bool results never require grad
    result = _new(Tensor)  # Tensor._make inlined: this is the hottest line of every op
    result._data = out
    result._grad = result._version = result._hooks = None
    result._rg = True
    result.grad_fn = node
    result._out_idx = 0
    m = _META32.get(out.shape) if dt is _F32 else None
    node.out_meta = m if m is not None else _meta(out.shape, dt)
    if cls._view and out.base is not None:
        _share_version(inputs[0], result, node)
    if node._save_out is not None:
        if node._saved is NO_SAVED and result._version is None:
            node._saved = out  # compact: see graph.saved_entries
        else:
            _save_out0(node, result)
    return result


def _save_out0(node: Any, result: Tensor) -> None:
    """Save output 0 after saved inputs: an entry with the output's version counter."""
    result._version = vc = [0]
    node._saved += (_SavedOutput(result._data, vc, 0, True),)
    node._saved_ver += (0,)


def _record_outputs(node: Any, out: tuple, view_of: Any) -> tuple:
    res = []
    for i, o in enumerate(out):
        o = _as_array(o)
        diff = o.dtype.kind in "fc"
        r = _make(o, diff, node if diff else None, i)
        if view_of is not False and o.base is not None:
            _share_version(view_of, r, node)
        res.append(r)
    node.out_meta = tuple([(o._data.shape, o._data.dtype) for o in res])
    idx = node._save_out
    if idx is not None:
        for i in idx:
            res[i]._version = [0]
        node._saved += tuple([_SavedOutput(res[i]._data, res[i]._version, i, True) for i in idx])
        node._saved_ver += (0,) * len(idx)
    return tuple(res)


class Function(_FunctionBase):
    """Base class for custom differentiable functions (PyTorch's ``autograd.Function``).

    Subclass with ``@staticmethod forward(ctx, *args)`` (Tensors in, Tensors or arrays out)
    and ``@staticmethod backward(ctx, *grad_outputs)``; call ``MyFn.apply(*args)``.
    """

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        grad_on = _grad_on()
        tensors = [a for a in args if isinstance(a, Tensor)]
        record = grad_on and any(t._rg for t in tensors)
        node = cls._backward_cls()
        node._saved = node._saved_ver = ()
        node._extra = None
        node._uses = 0
        node._save_out = ()  # not None: saved entries may be outputs or None (general unpack)
        node._fwd = args
        node._next = tuple([_edge(a) if isinstance(a, Tensor) else None for a in args])
        node.out_meta = ()
        if len(tensors) != len(args):
            node.__dict__["_arg_is_tensor"] = tuple([isinstance(a, Tensor) for a in args])
        with no_grad():
            out = cls.forward(node, *args, **kwargs)
        node._fwd = None
        is_tuple = isinstance(out, tuple)
        outs = list(out) if is_tuple else [out]
        d = node.__dict__
        dirty = node._extra.dirty if node._extra is not None else ()
        dirty_ids = {id(t) for t in dirty}
        non_diff = d.get("_non_diff_ids", ())
        input_ids = {id(t) for t in tensors}
        for i, o in enumerate(outs):
            if isinstance(o, Tensor):
                if id(o) in input_ids and id(o) not in dirty_ids:
                    o = o.detach()  # a view sharing the version counter, not the input
                elif id(o) in dirty_ids:
                    if record and o._rg and o.grad_fn is None:
                        raise RuntimeError("a leaf Variable that requires grad has been used in "
                                           "an in-place operation.")
                    o._bump()
            elif isinstance(o, (ndarray, _generic)) or _backend.array_module(o) is not _backend.np:
                o = Tensor._make(_as_array(o))  # (other objects pass through, as in PyTorch)
            outs[i] = o
        if record:
            if anomaly_mode._state.enabled:
                node.extra.trace = traceback.format_stack()[:-1]
            node.out_meta = tuple([(o._data.shape, o._data.dtype) if isinstance(o, Tensor)
                                   else ((), None) for o in outs])
            for i, o in enumerate(outs):
                if not isinstance(o, Tensor):
                    continue
                if id(o) in non_diff or o._data.dtype.kind not in "fc":
                    node.extra.non_diff.add(i)
                    o._rg = False
                    if id(o) in dirty_ids:
                        o.grad_fn = None
                else:
                    o._rg, o.grad_fn, o._out_idx = True, node, i
        to_save = d.pop("_to_save", None)
        if to_save:
            out_pos = {id(o): i for i, o in enumerate(outs) if isinstance(o, Tensor)}
            saved, vers = [], []
            for t in to_save:
                if t is None:
                    saved.append(None)
                    vers.append(0)
                elif record and id(t) in out_pos and t.grad_fn is node:
                    if t._version is None:
                        new_version(t)
                    saved.append(_SavedOutput(t._data, t._version, out_pos[id(t)], True))
                    vers.append(t._version[0])
                else:
                    saved.append(t)
                    vers.append(t._base_version)
            node._saved, node._saved_ver = tuple(saved), tuple(vers)
        return tuple(outs) if is_tuple else outs[0]


class _DelayedError(Primitive):
    """Stands in for the backward of a ``once_differentiable`` function when differentiated."""

    @staticmethod
    def forward(ctx: Any, x: Any, *rest: Any) -> Any:
        return x

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        raise RuntimeError("trying to differentiate twice a function that was marked with "
                           "@once_differentiable")


def once_differentiable(fn: Callable) -> Callable:
    """Decorate a ``backward`` that is not itself differentiable (runs under no_grad)."""

    @functools.wraps(fn)
    def wrapper(ctx: Any, *args: Any) -> Any:
        with no_grad():
            outputs = fn(ctx, *args)
        if not _grad_on():
            return outputs
        req = [a for a in args if isinstance(a, Tensor) and a._rg]
        if not req:
            return outputs
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        wrapped = tuple(_DelayedError.apply(o, *req) if isinstance(o, Tensor) else o
                        for o in outs)
        return wrapped[0] if single else wrapped

    return wrapper


FunctionCtx = BackwardNode
