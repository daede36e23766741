"""``ng.distributed``: data-parallel helpers over MPI (extra ``dist``: mpi4py).

Without mpi4py (or outside ``mpirun``) everything works as a single process: rank 0 of a
world of size 1, where reductions and broadcasts leave the data as it is.
"""

from __future__ import annotations

import importlib
import math
import random
from typing import Any, Iterator

from . import _backend
from ._tensor import Tensor


class ReduceOp:
    """Reduction names accepted by ``all_reduce`` (``op='sum'`` works too)."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "prod"
    MIN = "min"
    MAX = "max"


_OPS = {"sum": "SUM", "avg": "SUM", "mean": "SUM", "prod": "PROD", "product": "PROD",
        "min": "MIN", "max": "MAX"}


class _Comm:
    """The communicator, found on first use: mpi4py's COMM_WORLD, or None (single process)."""

    __slots__ = ("mpi", "comm", "ready")

    def __init__(self) -> None:
        self.mpi: Any = None
        self.comm: Any = None
        self.ready = False

    def get(self) -> Any:
        if not self.ready:
            try:
                self.mpi = importlib.import_module("mpi4py.MPI")
                self.comm = self.mpi.COMM_WORLD
            except ImportError:
                self.mpi = self.comm = None
            self.ready = True
        return self.comm


_comm = _Comm()


def is_available() -> bool:
    """True when mpi4py can be imported (multi-process runs are possible)."""
    return _comm.get() is not None


def init() -> None:
    """Set up the process group (idempotent). Under ``mpirun`` this is MPI_COMM_WORLD."""
    _comm.get()


def is_initialized() -> bool:
    """True after ``init()`` (or any other call that needed the communicator)."""
    return _comm.ready


def get_rank() -> int:
    """This process's index in the world (0 without MPI)."""
    comm = _comm.get()
    return 0 if comm is None else int(comm.Get_rank())


def get_world_size() -> int:
    """Number of processes (1 without MPI)."""
    comm = _comm.get()
    return 1 if comm is None else int(comm.Get_size())


def barrier() -> None:
    """Wait until every process gets here."""
    comm = _comm.get()
    if comm is not None:
        comm.Barrier()


def _host(t: Tensor) -> Any:
    """A contiguous host array holding ``t``'s values (MPI needs host buffers)."""
    return _backend.np.ascontiguousarray(_backend.to_numpy(t._data))


def _store(t: Tensor, arr: Any) -> None:
    if _backend.array_module(t._data) is _backend.np and t._data.flags.writeable:
        t._data[...] = arr
    else:
        t._data[...] = _backend.to_device(arr, t.device)
    t._bump()


def all_reduce(tensor: Tensor, op: str = "sum") -> Tensor:
    """Reduce ``tensor`` over all processes, in place (``sum``, ``avg``, ``prod``, ``min``,
    ``max``); returns it."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"all_reduce: expected a Tensor, got {type(tensor).__name__}.")
    key = str(op).lower()
    if key not in _OPS:
        raise ValueError(f"all_reduce: unknown op {op!r}. Use one of {sorted(_OPS)}.")
    comm = _comm.get()
    if comm is None or comm.Get_size() == 1:
        return tensor
    send = _host(tensor)
    recv = _backend.np.empty_like(send)
    comm.Allreduce(send, recv, op=getattr(_comm.mpi, _OPS[key]))
    if key in ("avg", "mean"):
        recv = recv / comm.Get_size()
    _store(tensor, recv)
    return tensor


def broadcast(tensor: Tensor, src: int = 0) -> Tensor:
    """Overwrite ``tensor`` on every process with its value on rank ``src``, in place."""
    comm = _comm.get()
    if comm is None or comm.Get_size() == 1:
        return tensor
    buf = _host(tensor)
    comm.Bcast(buf, root=src)
    _store(tensor, buf)
    return tensor


def _params(module_or_params: Any) -> list:
    if isinstance(module_or_params, Tensor):
        return [module_or_params]
    params = getattr(module_or_params, "parameters", None)
    if callable(params):
        return list(params())
    if isinstance(module_or_params, dict):
        return [v for v in module_or_params.values() if isinstance(v, Tensor)]
    out = []
    for p in module_or_params:
        if isinstance(p, tuple) and len(p) == 2 and isinstance(p[1], Tensor):
            p = p[1]  # named_parameters()
        if isinstance(p, dict):  # optimizer param groups
            out.extend(p["params"])
        else:
            out.append(p)
    return out


def broadcast_parameters(module_or_params: Any, root: int = 0) -> None:
    """Copy the parameters on rank ``root`` to every process (call once before training)."""
    for p in _params(module_or_params):
        broadcast(p, src=root)


def average_gradients(params: Any) -> None:
    """Replace each ``p.grad`` by its mean over processes (sum-allreduce / world size)."""
    world = get_world_size()
    for p in _params(params):
        g = p.grad
        if g is None:
            continue
        if world > 1:
            all_reduce(g, "avg")


def shard_indices(n: int, rank: int | None = None, world: int | None = None,
                  shuffle: bool = False, seed: int = 0, epoch: int = 0,
                  drop_last: bool = False) -> list[int]:
    """This rank's share of ``range(n)``, as ``DistributedSampler`` splits it: pad by wrapping
    (or drop the tail) to a multiple of ``world``, then take every ``world``-th index."""
    rank = get_rank() if rank is None else rank
    world = get_world_size() if world is None else world
    if world < 1 or not 0 <= rank < world:
        raise ValueError(f"shard_indices: invalid rank {rank} for world size {world}; need "
                         "0 <= rank < world.")
    indices = list(range(n))
    if shuffle:
        random.Random(seed + epoch).shuffle(indices)
    if drop_last and n % world:
        per = n // world
    else:
        per = math.ceil(n / world)
    total = per * world
    if total > len(indices) and indices:
        reps = math.ceil((total - len(indices)) / len(indices))
        indices += (indices * reps)[: total - len(indices)]
    indices = indices[:total]
    return indices[rank:total:world]


class DistributedSampler:
    """Sampler giving each process a disjoint shard of a dataset (``set_epoch`` reshuffles)."""

    def __init__(self, dataset: Any, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        self.dataset = dataset
        self.num_replicas = get_world_size() if num_replicas is None else num_replicas
        self.rank = get_rank() if rank is None else rank
        if not 0 <= self.rank < self.num_replicas:
            raise ValueError(f"Invalid rank {self.rank}, rank should be in the interval "
                             f"[0, {self.num_replicas - 1}]")
        self.shuffle, self.seed, self.drop_last = shuffle, seed, drop_last
        self.epoch = 0

    def _indices(self) -> list[int]:
        return shard_indices(len(self.dataset), self.rank, self.num_replicas, self.shuffle,
                             self.seed, self.epoch, self.drop_last)

    def __iter__(self) -> Iterator[int]:
        return iter(self._indices())

    def __len__(self) -> int:
        n, w = len(self.dataset), self.num_replicas
        return n // w if self.drop_last and n % w else math.ceil(n / w)

    def set_epoch(self, epoch: int) -> None:
        """Use a different shuffle each epoch (same on every process)."""
        self.epoch = epoch


__all__ = ["ReduceOp", "is_available", "init", "is_initialized", "get_rank", "get_world_size",
           "barrier", "all_reduce", "broadcast", "broadcast_parameters", "average_gradients",
           "shard_indices", "DistributedSampler"]
