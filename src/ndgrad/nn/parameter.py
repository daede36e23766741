"""``nn.Parameter``: a leaf Tensor that a Module registers as a parameter when assigned."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor


class Parameter(Tensor):
    """``Parameter(data, requires_grad=True)``: a leaf sharing ``data``'s storage that modules
    collect in ``parameters()``; results of ops on it are plain Tensors (as in PyTorch)."""

    __slots__ = ()

    def __new__(cls, data: Any = None, requires_grad: bool = True) -> Parameter:
        if data is None:
            data = Tensor([])
        arr = data._data if isinstance(data, Tensor) else Tensor(data)._data
        t = cls._make(arr)
        t.requires_grad_(requires_grad)
        return t

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        pass  # everything happens in __new__ (no second pass over the data)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo: dict) -> Parameter:
        p = Parameter(Tensor._make(self._data.copy()), self.requires_grad)
        if self._grad is not None:
            p._grad = Tensor._make(self._grad._data.copy())
        memo[id(self)] = p
        return p
