"""``ng.utils.data``: Dataset, TensorDataset, Subset, random_split and DataLoader (batches
stacked into Tensors; shuffling reproducible from ``ng.manual_seed`` or a ``generator``)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from .. import _backend
from .. import ops as _ops
from .._errors import ArgumentAssertionError
from .._tensor import Tensor
from ..random import Generator, _rng


class Dataset:
    """Map-style dataset: subclass and define ``__getitem__`` (and ``__len__``)."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the i-th rows of tensors sharing their first dimension."""

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        n = tensors[0].shape[0]
        if any(t.shape[0] != n for t in tensors):
            raise ArgumentAssertionError(f"Size mismatch between tensors: first dims "
                                        f"{[t.shape[0] for t in tensors]}")
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class ConcatDataset(Dataset):
    """The samples of several datasets, one after another."""

    def __init__(self, datasets: Sequence[Dataset]) -> None:
        self.datasets = list(datasets)
        self.cumulative_sizes = []
        total = 0
        for d in self.datasets:
            total += len(d)  # type: ignore[arg-type]
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1] if self.cumulative_sizes else 0

    def __getitem__(self, index: int) -> Any:
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("index out of range")
        start = 0
        for d, end in zip(self.datasets, self.cumulative_sizes):
            if index < end:
                return d[index - start]
            start = end
        raise IndexError("index out of range")


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset, self.indices = dataset, indices

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(dataset: Dataset, lengths: Sequence[float],
                 generator: Generator | None = None) -> list[Subset]:
    """Split into non-overlapping random subsets of the given lengths (or fractions)."""
    n = len(dataset)  # type: ignore[arg-type]
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        sizes = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
    else:
        sizes = [int(v) for v in lengths]
    if sum(sizes) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    perm = _rng(generator).permutation(n).tolist()
    out, start = [], 0
    for s in sizes:
        out.append(Subset(dataset, perm[start:start + s]))
        start += s
    return out


def default_collate(batch: list) -> Any:
    """Stack a list of samples: Tensors and arrays along a new first dim, numbers into a
    Tensor, tuples/lists/dicts element by element."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        if any(b._rg for b in batch):  # samples with history stay differentiable
            return _ops.stack(batch)
        xp = _backend.array_module(elem._data)
        return Tensor._make(xp.stack([b._data for b in batch]))
    if isinstance(elem, (_backend.ndarray, _backend.generic)):
        return Tensor._make(_backend.np.stack(batch))
    if isinstance(elem, bool):
        return Tensor._make(_backend.np.asarray(batch))
    if isinstance(elem, int):
        return Tensor._make(_backend.np.asarray(batch, dtype=_backend.np.int64))
    if isinstance(elem, float):
        return Tensor._make(_backend.np.asarray(batch, dtype=_backend.np.float64))
    if isinstance(elem, str):
        return list(batch)
    if isinstance(elem, dict):
        return {k: default_collate([b[k] for b in batch]) for k in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple keeps its type
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, (tuple, list)):
        if any(len(b) != len(elem) for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(s)) for s in zip(*batch)]  # a list, as PyTorch's
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, "
                    f"dicts or lists; found {type(elem).__name__}")


class DataLoader:
    """Iterates over ``dataset`` in batches of ``batch_size`` (stacked by ``collate_fn``).

    With ``shuffle`` a new permutation is drawn each epoch from ``generator`` (or ndgrad's
    default generator, so ``ng.manual_seed`` makes it reproducible). A TensorDataset is
    sliced in one indexing operation per batch instead of sample by sample."""

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool = False,
                 sampler: Any = None, batch_sampler: Any = None, num_workers: int = 0,
                 collate_fn: Callable | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Any = None,
                 generator: Generator | None = None, **kwargs: Any) -> None:
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        self.dataset, self.batch_size, self.shuffle = dataset, batch_size, shuffle
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.drop_last, self.generator = drop_last, generator
        self.num_workers = num_workers  # accepted for API compatibility; loading is in-process
        self.collate_fn = collate_fn
        self._fast = collate_fn is None and isinstance(dataset, TensorDataset)

    def _indices(self) -> list:
        if self.sampler is not None:
            return list(iter(self.sampler))
        n = len(self.dataset)  # type: ignore[arg-type]
        if self.shuffle:
            return _rng(self.generator).permutation(n)
        return _backend.np.arange(n)

    def _batches(self) -> Iterator[Any]:
        if self.batch_sampler is not None:
            yield from self.batch_sampler
            return
        idx = self._indices()
        bs = self.batch_size
        if bs is None:
            yield from idx
            return
        n = len(idx)
        stop = n - n % bs if self.drop_last else n
        for s in range(0, stop, bs):
            yield idx[s:s + bs]

    def __iter__(self) -> Iterator[Any]:
        collate = self.collate_fn or default_collate
        for b in self._batches():
            if self.batch_size is None and self.batch_sampler is None:
                yield self.dataset[b] if self.collate_fn is None else collate(self.dataset[b])
            elif self._fast:
                ix = _backend.np.asarray(b, dtype=_backend.np.int64)
                yield [t[ix] if t._rg else Tensor._make(t._data[ix])
                       for t in self.dataset.tensors]
            else:
                yield collate([self.dataset[int(i)] for i in b])

    def __len__(self) -> int:
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)  # type: ignore
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)


__all__ = ["Dataset", "TensorDataset", "ConcatDataset", "Subset", "random_split",
           "default_collate", "DataLoader"]
