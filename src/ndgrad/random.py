"""Random numbers: one default generator (NumPy PCG64), ``manual_seed``, rand/randn/randint."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from . import _backend, _dtypes
from ._tensor import Tensor


class Generator:
    """A seeded source of random numbers (``generator=`` arguments, DataLoader shuffling)."""

    def __init__(self, device: Any = "cpu") -> None:
        self._seed = int(np.random.SeedSequence().entropy % (2**63))
        self._rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed)
        self._rng = np.random.default_rng(self._seed)
        return self

    def seed(self) -> int:
        return self.manual_seed(int(np.random.SeedSequence().entropy % (2**63)))._seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        return self._rng.bit_generator.state

    def set_state(self, state: dict) -> None:
        self._rng.bit_generator.state = state

    @property
    def numpy(self) -> np.random.Generator:
        return self._rng


class _Default(threading.local):
    def __init__(self) -> None:
        self.gen = Generator()


_default = _Default()


def default_generator() -> np.random.Generator:
    """The NumPy generator behind ndgrad's global random state."""
    return _default.gen._rng


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (every later rand/randn/init/shuffle follows from it)."""
    return _default.gen.manual_seed(seed)


def seed() -> int:
    return _default.gen.seed()


def initial_seed() -> int:
    return _default.gen.initial_seed()


def get_rng_state() -> dict:
    return _default.gen.get_state()


def set_rng_state(state: dict) -> None:
    _default.gen.set_state(state)


def _rng(generator: Generator | None) -> np.random.Generator:
    return generator._rng if generator is not None else _default.gen._rng


def _finish(arr: Any, dtype: Any, requires_grad: bool, device: Any) -> Tensor:
    d = _dtypes.to_dtype(dtype) or _dtypes.get_default_dtype()
    arr = arr.astype(d, copy=False)
    if device is not None:
        arr = _backend.to_device(arr, device)
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _size(size: tuple) -> tuple:
    if len(size) == 1 and not isinstance(size[0], int):
        return tuple(size[0])
    return tuple(size)


def rand(*size: Any, generator: Generator | None = None, dtype: Any = None,
         requires_grad: bool = False, device: Any = None) -> Tensor:
    """Uniform samples in [0, 1)."""
    return _finish(_rng(generator).random(_size(size)), dtype, requires_grad, device)


def randn(*size: Any, generator: Generator | None = None, dtype: Any = None,
          requires_grad: bool = False, device: Any = None) -> Tensor:
    """Standard normal samples."""
    return _finish(_rng(generator).standard_normal(_size(size)), dtype, requires_grad, device)


def randint(low: int, high: int | None = None, size: Any = (), *,
            generator: Generator | None = None, dtype: Any = None, device: Any = None) -> Tensor:
    """Integers in [low, high) (int64 unless ``dtype``)."""
    if high is None:
        low, high = 0, low
    arr = _rng(generator).integers(low, high, size=tuple(size))
    return _finish(arr, dtype or _dtypes.int64, False, device)


def randperm(n: int, *, generator: Generator | None = None, dtype: Any = None,
             device: Any = None) -> Tensor:
    """A random permutation of 0..n-1."""
    return _finish(_rng(generator).permutation(n), dtype or _dtypes.int64, False, device)


def rand_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return rand(*input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randn_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return randn(*input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def normal(mean: float = 0.0, std: float = 1.0, size: Any = (), *,
           generator: Generator | None = None, dtype: Any = None) -> Tensor:
    return _finish(_rng(generator).normal(mean, std, tuple(size)), dtype, False, None)


def bernoulli(input: Tensor, *, generator: Generator | None = None) -> Tensor:
    """0/1 samples with probabilities ``input``."""
    p = input._data
    return Tensor._make((_rng(generator).random(p.shape) < p).astype(p.dtype))


__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
           "rand", "randn", "randint", "randperm", "rand_like", "randn_like", "normal",
           "bernoulli", "default_generator"]
