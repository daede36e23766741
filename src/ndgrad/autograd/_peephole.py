"""Peepholes on dead nodes, applied by ``function._apply_one`` as the next op is recorded
(docs/architecture.md, "Dead-node peepholes").

A dead ``x + c`` node (``_PASS_NODE``: nothing but one edge refers to it, read with
``sys.getrefcount`` against the counts calibrated below) is bypassed: its consumer's edge
goes to its input. A dead ``x * c`` node (``_SCALE_NODE``) is folded into a one-input
elementwise consumer marked ``_fold_scale``, whose node becomes its scaled twin: the same
slots and name, a rule that multiplies by ``c`` after its own (the same bits).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from .grad_mode import grad_enabled as _grad_on

refs = sys.getrefcount
PASS_NODE: list = [None]  # AddScalar's node class, set by ops.binary
SCALE_NODE: list = [None]  # MulScalar's node class, set by ops.binary
TWINS: dict = {}  # node class of a _fold_scale primitive -> its scaled twin


class _Holder:
    __slots__ = ("_next",)


def _dead_refs_in_tuple() -> int:
    """getrefcount of ``p`` read as in ``_apply_one`` when a tuple alone holds it."""
    e = (object(),)
    p = e[0] if e else None
    return refs(p)


def _dead_refs_bare() -> int:
    """getrefcount of ``p`` read as in ``_apply_one`` when a node's ``_next`` slot alone holds
    it (a one-input node's bare edge; the local ``e`` also refers to it there)."""
    h = _Holder()
    h._next = object()
    e = h._next
    p = e
    return refs(p)


DEAD_IN_TUPLE = _dead_refs_in_tuple()
DEAD_BARE = _dead_refs_bare()


def scaled_twin(cls: Any, tensor_of: Callable) -> type:
    """The twin node class of primitive ``cls``: same name and slots, rule times ``c``."""
    inner = cls.backward

    def scale(ctx: Any, r: Any) -> Any:
        if r is None:
            return None
        return r * ctx._mc if _grad_on() else tensor_of(r._data * ctx._mk)

    def backward(ctx: Any, grad: Any) -> Any:
        r = inner(ctx, grad)
        if r is grad or _grad_on():
            return scale(ctx, r)
        r._data = r._data * ctx._mk  # the rule's own fresh result: rebind, no second Tensor
        return r

    fn = type(cls.__name__ + "Scaled", (), {
        "_primitive": True, "_view": False, "_exact": cls._exact, "forward": cls.forward,
        "_inner": inner, "backward": staticmethod(backward), "scale": staticmethod(scale)})
    base = cls._backward_cls
    return type(base.__name__, (base,), {"__slots__": (), "_fn": fn,
                                         "__module__": base.__module__})
