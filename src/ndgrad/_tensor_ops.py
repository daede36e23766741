"""The op-shaped part of Tensor: in-place ops, conversions and one-line delegations.

A mixin of ``Tensor`` (kept apart only for file size). Like ``_tensor``, it reaches the ops
through the module name ``_ops``, bound once by ``ndgrad/__init__.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import _dtypes

if TYPE_CHECKING:
    from . import ops as _ops
    from ._tensor import Tensor
else:
    _ops = None


class TensorOps:
    """Methods of ``Tensor`` that are ops: see ``ndgrad.ops`` for what each one does."""

    __slots__ = ()

    # ---- in-place ops (PyTorch's leaf rule, version counters, history rebase)
    def add_(self, other: Any, alpha: Any = 1) -> Tensor:
        self._check_inplace()
        return self._inplace(_ops.add(self, other, alpha=alpha))

    def sub_(self, other: Any, alpha: Any = 1) -> Tensor:
        self._check_inplace()
        return self._inplace(_ops.sub(self, other, alpha=alpha))

    def mul_(self, other: Any) -> Tensor:
        self._check_inplace()
        return self._inplace(_ops.mul(self, other))

    def div_(self, other: Any) -> Tensor:
        self._check_inplace()
        return self._inplace(_ops.div(self, other))

    def pow_(self, other: Any) -> Tensor:
        self._check_inplace()
        return self._inplace(_ops.pow(self, other))

    def neg_(self) -> Tensor:
        self._check_inplace()
        return self._inplace(_ops.neg(self))

    def exp_(self) -> Tensor:
        self._check_inplace()
        return self._inplace(_ops.exp(self))

    def sqrt_(self) -> Tensor:
        self._check_inplace()
        return self._inplace(_ops.sqrt(self))

    def relu_(self) -> Tensor:
        self._check_inplace()
        return self._inplace(_ops.relu(self))

    def sigmoid_(self) -> Tensor:
        self._check_inplace()
        return self._inplace(_ops.sigmoid(self))

    def tanh_(self) -> Tensor:
        self._check_inplace()
        return self._inplace(_ops.tanh(self))

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:
        self._check_inplace()
        return self._inplace(_ops.clamp(self, min, max))

    clip_ = clamp_

    def addcmul_(self, tensor1: Any, tensor2: Any, value: Any = 1) -> Tensor:
        self._check_inplace()
        return self._inplace(_ops.add(self, _ops.mul(tensor1, tensor2), alpha=value))

    def addcdiv_(self, tensor1: Any, tensor2: Any, value: Any = 1) -> Tensor:
        self._check_inplace()
        return self._inplace(_ops.add(self, _ops.div(tensor1, tensor2), alpha=value))

    def lerp_(self, end: Any, weight: Any) -> Tensor:
        self._check_inplace()
        return self._inplace(_ops.add(self, _ops.mul(_ops.sub(end, self), weight)))

    def copy_(self, src: Any) -> Tensor:
        """Copy ``src`` (broadcast) into this tensor; differentiable w.r.t. ``src``."""
        self._check_inplace()
        return self._inplace(_ops.copy_into(self, src))

    def fill_(self, value: Any) -> Tensor:
        self._check_inplace()
        return self._inplace(_ops.full_like_grad(self, value))

    def zero_(self) -> Tensor:
        """Fill with zeros in place."""
        return self.fill_(0)

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> Tensor:
        self._check_inplace()
        from_ = _ops.rand_like_data(self, "uniform", a, b)
        self._data[...] = from_
        self._bump()
        return self

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> Tensor:
        self._check_inplace()
        self._data[...] = _ops.rand_like_data(self, "normal", mean, std)
        self._bump()
        return self

    # ---- conversions
    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """Move to a device and/or cast to a dtype (differentiable)."""
        return _ops.to(self, *args, **kwargs)

    def cpu(self) -> Tensor: return _ops.to(self, "cpu")
    def cuda(self, device: Any = None) -> Tensor:
        return _ops.to(self, "cuda" if device is None else f"cuda:{int(device)}")
    def float(self) -> Tensor: return _ops.to(self, _dtypes.float32)
    def double(self) -> Tensor: return _ops.to(self, _dtypes.float64)
    def half(self) -> Tensor: return _ops.to(self, _dtypes.float16)
    def long(self) -> Tensor: return _ops.to(self, _dtypes.int64)
    def int(self) -> Tensor: return _ops.to(self, _dtypes.int32)
    def bool(self) -> Tensor: return _ops.to(self, _dtypes.bool_)
    def type(self, dtype: Any = None) -> Any:
        return str(self.dtype) if dtype is None else _ops.to(self, dtype)
    def type_as(self, other: Tensor) -> Tensor: return _ops.to(self, other.dtype)
    def clone(self) -> Tensor: return _ops.clone(self)
    def contiguous(self) -> Tensor: return self
    def astype(self, dtype: Any) -> Tensor: return _ops.to(self, dtype)

    # ---- op delegations (see ndgrad.ops for the functions)
    def add(self, other: Any, alpha: Any = 1) -> Tensor: return _ops.add(self, other, alpha=alpha)
    def sub(self, other: Any, alpha: Any = 1) -> Tensor: return _ops.sub(self, other, alpha=alpha)
    def mul(self, other: Any) -> Tensor: return _ops.mul(self, other)
    def div(self, other: Any) -> Tensor: return _ops.div(self, other)
    def pow(self, exponent: Any) -> Tensor: return _ops.pow(self, exponent)
    def neg(self) -> Tensor: return _ops.neg(self)
    def exp(self) -> Tensor: return _ops.exp(self)
    def log(self) -> Tensor: return _ops.log(self)
    def log1p(self) -> Tensor: return _ops.log1p(self)
    def expm1(self) -> Tensor: return _ops.expm1(self)
    def sqrt(self) -> Tensor: return _ops.sqrt(self)
    def rsqrt(self) -> Tensor: return _ops.rsqrt(self)
    def sin(self) -> Tensor: return _ops.sin(self)
    def cos(self) -> Tensor: return _ops.cos(self)
    def tan(self) -> Tensor: return _ops.tan(self)
    def tanh(self) -> Tensor: return _ops.tanh(self)
    def sinh(self) -> Tensor: return _ops.sinh(self)
    def cosh(self) -> Tensor: return _ops.cosh(self)
    def arcsin(self) -> Tensor: return _ops.arcsin(self)
    def arccos(self) -> Tensor: return _ops.arccos(self)
    def arctan(self) -> Tensor: return _ops.arctan(self)
    def arctan2(self, other: Any) -> Tensor: return _ops.arctan2(self, other)
    asin, acos, atan, atan2 = arcsin, arccos, arctan, arctan2
    def arcsinh(self) -> Tensor: return _ops.arcsinh(self)
    def arccosh(self) -> Tensor: return _ops.arccosh(self)
    def arctanh(self) -> Tensor: return _ops.arctanh(self)
    asinh, acosh, atanh = arcsinh, arccosh, arctanh
    def floor(self) -> Tensor: return _ops.floor(self)
    def ceil(self) -> Tensor: return _ops.ceil(self)
    def round(self, *a: Any, **k: Any) -> Tensor: return _ops.round(self, *a, **k)
    def trunc(self) -> Tensor: return _ops.trunc(self)
    fix = trunc
    def sigmoid(self) -> Tensor: return _ops.sigmoid(self)
    def relu(self) -> Tensor: return _ops.relu(self)
    def abs(self) -> Tensor: return _ops.abs(self)
    def sign(self) -> Tensor: return _ops.sign(self)
    def square(self) -> Tensor: return _ops.square(self)
    def reciprocal(self) -> Tensor: return _ops.reciprocal(self)
    def clamp(self, min: Any = None, max: Any = None) -> Tensor: return _ops.clamp(self, min, max)
    clip = clamp
    def maximum(self, other: Any) -> Tensor: return _ops.maximum(self, other)
    def minimum(self, other: Any) -> Tensor: return _ops.minimum(self, other)
    def where(self, condition: Any, other: Any) -> Tensor: return _ops.where(condition, self, other)
    def softmax(self, dim: int) -> Tensor: return _ops.softmax(self, dim)
    def log_softmax(self, dim: int) -> Tensor: return _ops.log_softmax(self, dim)
    def sum(self, *a: Any, **k: Any) -> Tensor: return _ops.sum(self, *a, **k)
    def mean(self, *a: Any, **k: Any) -> Tensor: return _ops.mean(self, *a, **k)
    def prod(self, *a: Any, **k: Any) -> Tensor: return _ops.prod(self, *a, **k)
    def max(self, *a: Any, **k: Any) -> Any: return _ops.max(self, *a, **k)
    def min(self, *a: Any, **k: Any) -> Any: return _ops.min(self, *a, **k)
    def amax(self, *a: Any, **k: Any) -> Tensor: return _ops.amax(self, *a, **k)
    def amin(self, *a: Any, **k: Any) -> Tensor: return _ops.amin(self, *a, **k)
    def argmax(self, *a: Any, **k: Any) -> Tensor: return _ops.argmax(self, *a, **k)
    def argmin(self, *a: Any, **k: Any) -> Tensor: return _ops.argmin(self, *a, **k)
    def var(self, *a: Any, **k: Any) -> Tensor: return _ops.var(self, *a, **k)
    def std(self, *a: Any, **k: Any) -> Tensor: return _ops.std(self, *a, **k)
    def logsumexp(self, *a: Any, **k: Any) -> Tensor: return _ops.logsumexp(self, *a, **k)
    def norm(self, *a: Any, **k: Any) -> Tensor: return _ops.norm(self, *a, **k)
    def cumsum(self, *a: Any, **k: Any) -> Tensor: return _ops.cumsum(self, *a, **k)
    def sum_to_size(self, *size: Any) -> Tensor: return _ops.sum_to_size(self, *size)
    def reshape(self, *shape: Any) -> Tensor: return _ops.reshape(self, *shape)
    def view(self, *shape: Any) -> Tensor: return _ops.view(self, *shape)
    def view_as(self, other: Tensor) -> Tensor: return _ops.reshape(self, other.shape)
    def reshape_as(self, other: Tensor) -> Tensor: return _ops.reshape(self, other.shape)
    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return _ops.flatten(self, start_dim, end_dim)
    def squeeze(self, *a: Any, **k: Any) -> Tensor: return _ops.squeeze(self, *a, **k)
    def unsqueeze(self, dim: int) -> Tensor: return _ops.unsqueeze(self, dim)
    def transpose(self, *a: Any, **k: Any) -> Tensor: return _ops.transpose(self, *a, **k)

    def t(self) -> Tensor:
        """The transpose of a matrix; a 0-d or 1-d tensor as it is (PyTorch's ``t()``)."""
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                               f"{self.ndim}D. Hint: use transpose(dim0, dim1) or mT.")
        return _ops.transpose(self, 0, 1) if self.ndim == 2 else _ops.reshape(self, self.shape)
    def permute(self, *dims: Any) -> Tensor: return _ops.permute(self, *dims)
    def swapaxes(self, axis0: int, axis1: int) -> Tensor: return _ops.swapaxes(self, axis0, axis1)
    swapdims = swapaxes
    def moveaxis(self, source: Any, destination: Any) -> Tensor:
        return _ops.moveaxis(self, source, destination)
    movedim = moveaxis
    def expand(self, *sizes: Any) -> Tensor: return _ops.expand(self, *sizes)
    def expand_as(self, other: Tensor) -> Tensor: return _ops.broadcast_to(self, other.shape)
    def broadcast_to(self, shape: Any) -> Tensor: return _ops.broadcast_to(self, shape)
    def repeat(self, *sizes: Any) -> Tensor: return _ops.repeat(self, *sizes)
    def tile(self, *reps: Any) -> Tensor: return _ops.tile(self, *reps)
    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple:
        return _ops.split(self, split_size_or_sections, dim)
    def chunk(self, chunks: int, dim: int = 0) -> tuple: return _ops.chunk(self, chunks, dim)
    def unbind(self, dim: int = 0) -> tuple: return _ops.unbind(self, dim)
    def flip(self, *dims: Any) -> Tensor: return _ops.flip(self, *dims)
    def roll(self, shifts: Any, dims: Any = None) -> Tensor: return _ops.roll(self, shifts, dims)
    def matmul(self, other: Any) -> Tensor: return _ops.matmul(self, other)
    def dot(self, other: Any) -> Tensor: return _ops.dot(self, other)
    def outer(self, other: Any) -> Tensor: return _ops.outer(self, other)
    def eq(self, other: Any) -> Tensor: return _ops.eq(self, other)
    def ne(self, other: Any) -> Tensor: return _ops.ne(self, other)
    def lt(self, other: Any) -> Tensor: return _ops.lt(self, other)
    def le(self, other: Any) -> Tensor: return _ops.le(self, other)
    def gt(self, other: Any) -> Tensor: return _ops.gt(self, other)
    def ge(self, other: Any) -> Tensor: return _ops.ge(self, other)
    def all(self, *a: Any, **k: Any) -> Tensor: return _ops.all(self, *a, **k)
    def any(self, *a: Any, **k: Any) -> Tensor: return _ops.any(self, *a, **k)
    def isnan(self) -> Tensor: return _ops.isnan(self)
    def isfinite(self) -> Tensor: return _ops.isfinite(self)
    def allclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08) -> bool:
        return _ops.allclose(self, other, rtol, atol)
    def equal(self, other: Any) -> bool: return _ops.equal(self, other)
    def gather(self, dim: int, index: Any) -> Tensor: return _ops.gather(self, dim, index)
    def scatter(self, dim: int, index: Any, src: Any) -> Tensor:
        return _ops.scatter(self, dim, index, src)
    def scatter_add(self, dim: int, index: Any, src: Any) -> Tensor:
        return _ops.scatter_add(self, dim, index, src)
    def scatter_(self, dim: int, index: Any, src: Any = None, *, value: Any = None) -> Tensor:
        self._check_inplace()
        return self._inplace(_ops.scatter(self, dim, index, src, value=value))

    def scatter_add_(self, dim: int, index: Any, src: Any) -> Tensor:
        self._check_inplace()
        return self._inplace(_ops.scatter_add(self, dim, index, src))

    def index_select(self, dim: int, index: Any) -> Tensor:
        return _ops.index_select(self, dim, index)
    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        return _ops.masked_fill(self, mask, value)
    def take(self, index: Any) -> Tensor: return _ops.take(self, index)
    def repeat_interleave(self, repeats: Any, dim: Any = None) -> Tensor:
        return _ops.repeat_interleave(self, repeats, dim)

    def index_put(self, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
        return _ops.index_put(self, tuple(indices), values, accumulate)

    def index_put_(self, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
        self._check_inplace()
        return self._inplace(_ops.index_put(self, tuple(indices), values, accumulate))

    def masked_fill_(self, mask: Any, value: Any) -> Tensor:
        self._check_inplace()
        return self._inplace(_ops.masked_fill(self, mask, value))
