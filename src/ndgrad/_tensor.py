"""Tensor: an array plus autograd state (grad, requires_grad, grad_fn, version, hooks).

No math lives here. Methods delegate through the module names ``_ops`` and ``_autograd``,
which ``ndgrad/__init__.py`` binds once after importing those higher layers.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from . import _backend, _dtypes
from ._repr import format_tensor
from ._tensor_ops import TensorOps
from .autograd import graph as _graph
from .autograd.grad_mode import grad_enabled as _grad_on
from .autograd.graph import Node, RemovableHandle

if TYPE_CHECKING:  # the real modules, bound at import time by ndgrad/__init__.py
    from . import ops as _ops
    from .autograd import api as _autograd
else:
    _ops = None
    _autograd = None

_REQ_GRAD_DTYPE_MSG = "Only Tensors of floating point and complex dtype can require gradients"
_LEAF_INPLACE_MSG = "a leaf Variable that requires grad is being used in an in-place operation."


class Tensor(TensorOps):
    """An n-dimensional array that records the operations applied to it for backward."""

    __slots__ = ("_data", "_grad", "_rg", "grad_fn", "_out_idx", "_version", "_hooks",
                 "__weakref__")
    __array_priority__ = 1000.0
    __hash__ = object.__hash__

    def __init__(self, data: Any = (), dtype: Any = None, requires_grad: bool = False,
                 device: Any = None) -> None:
        if isinstance(data, Tensor):
            data = data._data
        arr = _dtypes.array_from_data(data, dtype, force_float=True)
        if device is not None:
            arr = _backend.to_device(arr, device)
        self._data = arr
        self._grad = None
        self._rg = False
        self.grad_fn = None
        self._out_idx = 0
        self._version = None  # made on the first in-place write or detach()
        self._hooks = None
        if requires_grad:
            self.requires_grad_(True)

    # ---- fast internal constructor (no validation)
    @classmethod
    def _make(cls, data: Any, requires_grad: bool = False, grad_fn: Node | None = None,
              out_idx: int = 0, version: list | None = None) -> Tensor:
        t = object.__new__(cls)
        t._data = data
        t._grad = None
        t._rg = requires_grad
        t.grad_fn = grad_fn
        t._out_idx = out_idx
        t._version = version
        t._hooks = None
        return t

    # ---- autograd attributes
    @property
    def requires_grad(self) -> bool:
        """True when backward computes a gradient for this tensor."""
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place (leaves only); returns self."""
        requires_grad = bool(requires_grad)
        if self.grad_fn is not None:
            if requires_grad:
                return self
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().")
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError(_REQ_GRAD_DTYPE_MSG)
        self._rg = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded op (user-created, or requires_grad=False)."""
        return self.grad_fn is None

    @property
    def grad(self) -> Tensor | None:
        """The accumulated gradient (a Tensor of this shape) or None."""
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got "
                                f"{type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(f"assigned grad has data of a different size: "
                                   f"{value.shape} vs the tensor's {self.shape}")
            if value.dtype != self.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: "
                                   f"{value.dtype} vs the tensor's {self.dtype}")
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        """True for a non-leaf on which ``retain_grad()`` was called."""
        fn = self.grad_fn
        if fn is None or fn._extra is None:
            return False
        ref = fn._extra.retain.get(self._out_idx)
        return ref is not None and ref() is self

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf after backward (no-op on leaves)."""
        if not self._rg:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self.retains_grad:
            return
        self.grad_fn.extra.retain[self._out_idx] = weakref.ref(self)

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """``hook(grad)`` runs when this tensor's gradient is computed; may return a new grad."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        else:
            hooks = self.grad_fn.extra.pre_hooks.setdefault(self._out_idx, [])
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def backward(self, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None) -> None:
        """Accumulate d(self)/d(leaf) into each leaf's ``.grad`` (see ``autograd.backward``).
        ``ndgrad/__init__`` replaces this with ``autograd.api.tensor_backward``, the same call
        without this frame."""
        _autograd.tensor_backward(self, gradient, retain_graph, create_graph, inputs)

    def cleargrad(self) -> None:
        """Chainer's name: set ``.grad`` to None."""
        self._grad = None

    def detach(self) -> Tensor:
        """A new leaf sharing storage (and version counter) that does not require grad."""
        v = self._version
        if v is None:
            v = _graph.new_version(self)
        return Tensor._make(self._data, False, None, 0, v)

    def detach_(self) -> Tensor:
        """Make this tensor a leaf that does not require grad, in place."""
        fn = self.grad_fn
        if fn is not None and fn._fn._view and self._data.base is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead (a view "
                               "shares its base's storage and history).")
        if self._version is None:
            _graph.new_version(self)  # a node that saved this tensor keeps watching it
        self.grad_fn = None
        self._rg = False
        self._out_idx = 0
        return self

    @property
    def data(self) -> Tensor:
        """A tensor sharing storage but not history or version (as ``torch.Tensor.data``)."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value: Any) -> None:
        self._data = value._data if isinstance(value, Tensor) else _dtypes.array_from_data(value)

    @property
    def _base_version(self) -> int:
        v = self._version
        return 0 if v is None else v[0]

    def _bump(self) -> None:
        v = self._version
        if v is None:
            v = _graph.new_version(self)
        v[0] += 1

    # ---- array attributes
    @property
    def shape(self) -> tuple:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> Any:
        return self._data.dtype

    @property
    def device(self) -> _backend.Device:
        return _backend.device_of(self._data)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def T(self) -> Tensor:
        return _ops.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self) -> Tensor:
        return _ops.swapaxes(self, -2, -1)

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def size(self, dim: int | None = None) -> Any:
        """The shape, or one of its sizes."""
        return self._data.shape if dim is None else self._data.shape[dim]

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    def element_size(self) -> int:
        return self._data.itemsize

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    def numpy(self, force: bool = False) -> Any:
        """The underlying array (shared, no copy); refuses tensors that require grad."""
        if self._rg and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        return _backend.to_numpy(self._data)

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               "to Scalar")
        return self._data.item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        arr = _backend.to_numpy(self._data)
        return arr if dtype is None else arr.astype(dtype)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    def __repr__(self) -> str:
        return format_tensor(self._data, self.grad_fn, self._rg)

    def __deepcopy__(self, memo: dict) -> Tensor:
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.")
        t = Tensor._make(self._data.copy(), self._rg)
        if self._grad is not None:
            t._grad = Tensor._make(self._grad._data.copy())
        memo[id(self)] = t
        return t

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise TypeError("ndgrad tensors are not picklable by design: save arrays with "
                        "ng.save(obj, path) instead (no pickle is ever written or read).")

    # ---- in-place machinery
    def _check_inplace(self) -> None:
        if not _grad_on():
            return
        fn = self.grad_fn
        if fn is None:
            if self._rg:
                raise RuntimeError(_LEAF_INPLACE_MSG)
        elif fn._fn._view and self._data.base is not None:
            raise RuntimeError(
                f"in-place operation on a view ({type(fn).__name__}) of a tensor that is part "
                "of the graph: ndgrad does not rewrite the base's history the way PyTorch "
                "does, so the gradient would be wrong. Write into the base instead "
                "(x[idx] = v), or clone() the view first.")

    def _inplace(self, result: Tensor) -> Tensor:
        """Write ``result`` into this tensor's storage and take over its history."""
        xp = _backend.array_module(self._data)
        if result._data.shape != self._data.shape:
            raise RuntimeError(
                f"in-place op: output with shape {self._data.shape} doesn't match the broadcast "
                f"shape {result._data.shape}. Use the out-of-place op instead.")
        if not xp.can_cast(result._data.dtype, self._data.dtype, "same_kind"):
            raise RuntimeError(
                f"in-place op: result type {result._data.dtype} can't be cast to the desired "
                f"output type {self._data.dtype}. Use the out-of-place op instead.")
        node = result.grad_fn
        if result._data is not self._data:
            if node is not None and node._saved.__class__ is tuple and any(
                    e is self for e in node._saved):
                _save_original(node, self)  # x *= w saved x for w's gradient
            xp.copyto(self._data, result._data, casting="same_kind")
        self._bump()
        if node is not None:
            self.grad_fn = node
            self._out_idx = result._out_idx
            self._rg = True
        return self

    # ---- operators
    def __add__(self, other: Any) -> Tensor: return _ops.add(self, other)
    def __radd__(self, other: Any) -> Tensor: return _ops.add(self, other)
    def __sub__(self, other: Any) -> Tensor: return _ops.sub(self, other)
    def __rsub__(self, other: Any) -> Tensor: return _ops.rsub(self, other)
    def __mul__(self, other: Any) -> Tensor: return _ops.mul(self, other)
    def __rmul__(self, other: Any) -> Tensor: return _ops.mul(self, other)
    def __truediv__(self, other: Any) -> Tensor: return _ops.div(self, other)
    def __rtruediv__(self, other: Any) -> Tensor: return _ops.rdiv(self, other)
    def __floordiv__(self, other: Any) -> Tensor: return _ops.floor_divide(self, other)
    def __rfloordiv__(self, other: Any) -> Tensor: return _ops.floor_divide(other, self)
    def __mod__(self, other: Any) -> Tensor: return _ops.remainder(self, other)
    def __rmod__(self, other: Any) -> Tensor: return _ops.remainder(other, self)
    def __pow__(self, other: Any) -> Tensor: return _ops.pow(self, other)
    def __rpow__(self, other: Any) -> Tensor: return _ops.rpow(self, other)
    def __matmul__(self, other: Any) -> Tensor: return _ops.matmul(self, other)
    def __rmatmul__(self, other: Any) -> Tensor: return _ops.matmul(other, self)
    def __neg__(self) -> Tensor: return _ops.neg(self)
    def __pos__(self) -> Tensor: return self
    def __abs__(self) -> Tensor: return _ops.abs(self)
    def __invert__(self) -> Tensor: return _ops.logical_not(self)
    def __and__(self, other: Any) -> Tensor: return _ops.logical_and(self, other)
    def __or__(self, other: Any) -> Tensor: return _ops.logical_or(self, other)
    def __xor__(self, other: Any) -> Tensor: return _ops.logical_xor(self, other)
    def __eq__(self, other: Any) -> Tensor: return _ops.eq(self, other)  # type: ignore[override]
    def __ne__(self, other: Any) -> Tensor: return _ops.ne(self, other)  # type: ignore[override]
    def __lt__(self, other: Any) -> Tensor: return _ops.lt(self, other)
    def __le__(self, other: Any) -> Tensor: return _ops.le(self, other)
    def __gt__(self, other: Any) -> Tensor: return _ops.gt(self, other)
    def __ge__(self, other: Any) -> Tensor: return _ops.ge(self, other)
    def __getitem__(self, index: Any) -> Tensor: return _ops.getitem(self, index)

    def __setitem__(self, index: Any, value: Any) -> None:
        self._check_inplace()
        self._inplace(_ops.index_put(self, index, value))

    def __iadd__(self, other: Any) -> Tensor: return self.add_(other)
    def __isub__(self, other: Any) -> Tensor: return self.sub_(other)
    def __imul__(self, other: Any) -> Tensor: return self.mul_(other)
    def __itruediv__(self, other: Any) -> Tensor: return self.div_(other)
    def __ipow__(self, other: Any) -> Tensor: return self.pow_(other)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return _ops.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return _ops.array_function(func, types, args, kwargs)



def _from_saved(data: Any, requires_grad: bool, node: Node, index: int, version: list) -> Tensor:
    return Tensor._make(data, requires_grad, node if requires_grad else None, index, version)


_graph._TENSOR_FACTORY[0] = _from_saved


def _save_original(node: Node, t: Tensor) -> None:
    """``node`` saved ``t``, which an in-place op is about to overwrite with ``node``'s own
    result: save a copy of ``t``'s values instead, with ``t``'s place in the graph (PyTorch
    saves the original self of ``mul_``/``pow_`` the same way)."""
    orig = Tensor._make(t._data.copy())
    orig._rg, orig.grad_fn, orig._out_idx = t._rg, t.grad_fn, t._out_idx
    node._saved = tuple([orig if e is t else e for e in node._saved])


def zero_grad_in_place(p: Tensor) -> None:
    """``zero_grad(set_to_none=False)`` for one parameter: its ``.grad`` detached and zeroed
    in place, as PyTorch does, so references to that gradient see the zeros."""
    g = p._grad
    g.grad_fn, g._rg = None, False
    if getattr(g._data, "flags", None) is not None and not g._data.flags.writeable:
        g._data = _backend.array_module(g._data).zeros_like(g._data)  # a read-only view
    else:
        g._data[...] = 0
    g._bump()
