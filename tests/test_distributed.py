"""ng.distributed: the single-process path, the MPI path against a fake 2-rank communicator,
and (only when mpi4py and mpirun both exist) a real 2-process run."""

from __future__ import annotations

import shutil
import subprocess
import sys
import types

import numpy as np
import pytest

import ndgrad as ng
from ndgrad import distributed as dist


@pytest.fixture
def single(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    monkeypatch.setitem(sys.modules, "mpi4py.MPI", None)
    monkeypatch.setattr(dist, "_comm", dist._Comm())


class _FakeComm:
    """Rank 0 of a 2-rank world whose peer holds ``peer`` for every buffer."""

    def __init__(self, peer_value):
        self.peer = peer_value
        self.calls = []

    def Get_rank(self):
        return 0

    def Get_size(self):
        return 2

    def Allreduce(self, send, recv, op):
        self.calls.append(("allreduce", op))
        other = np.full_like(send, self.peer)
        recv[...] = {"SUM": send + other, "MAX": np.maximum(send, other),
                     "MIN": np.minimum(send, other), "PROD": send * other}[op]

    def Bcast(self, buf, root):
        self.calls.append(("bcast", root))
        if root != 0:
            buf[...] = self.peer

    def Barrier(self):
        self.calls.append(("barrier",))


@pytest.fixture
def fake(monkeypatch):
    comm = _FakeComm(10.0)
    mpi = types.SimpleNamespace(COMM_WORLD=comm, SUM="SUM", MAX="MAX", MIN="MIN", PROD="PROD")
    pkg = types.ModuleType("mpi4py")
    pkg.MPI = mpi
    monkeypatch.setitem(sys.modules, "mpi4py", pkg)
    monkeypatch.setitem(sys.modules, "mpi4py.MPI", mpi)
    monkeypatch.setattr(dist, "_comm", dist._Comm())
    return comm


def test_lazy_attribute_import():
    assert ng.distributed is dist


def test_single_process_world(single):
    dist.init()
    assert dist.is_initialized() and not dist.is_available()
    assert dist.get_rank() == 0 and dist.get_world_size() == 1
    t = ng.tensor([1.0, 2.0])
    assert dist.all_reduce(t) is t
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])
    dist.barrier()
    with pytest.raises(ValueError, match="unknown op"):
        dist.all_reduce(t, op="median")


def test_single_process_params_and_grads(single):
    w = ng.tensor([1.0, -1.0], requires_grad=True)
    (w * w).sum().backward()
    dist.broadcast_parameters([w])
    dist.average_gradients([w])
    np.testing.assert_array_equal(w.detach().numpy(), [1.0, -1.0])
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, -2.0])


@pytest.mark.parametrize("n,world,drop_last", [(10, 3, False), (10, 3, True), (8, 4, False),
                                               (2, 4, False)])
def test_shard_indices_partition(n, world, drop_last):
    shards = [dist.shard_indices(n, r, world, drop_last=drop_last) for r in range(world)]
    sizes = {len(s) for s in shards}
    assert len(sizes) == 1
    flat = [i for s in shards for i in s]
    if drop_last:
        assert len(flat) == (n // world) * world and len(set(flat)) == len(flat)
    else:
        assert set(flat) == set(range(n)) and len(flat) == -(-n // world) * world
    # DistributedSampler's layout: rank r takes r, r + world, ...
    assert shards[1][0] == (1 % n)


def test_shard_indices_values_and_shuffle():
    assert dist.shard_indices(10, 1, 3) == [1, 4, 7, 0]
    assert dist.shard_indices(10, 2, 3, drop_last=True) == [2, 5, 8]
    assert dist.shard_indices(5, 0, 1) == [0, 1, 2, 3, 4]
    a = dist.shard_indices(20, 0, 2, shuffle=True, seed=1)
    b = dist.shard_indices(20, 1, 2, shuffle=True, seed=1)
    assert sorted(a + b) == list(range(20))
    assert a != list(range(0, 20, 2))
    with pytest.raises(ValueError, match="invalid rank"):
        dist.shard_indices(10, 3, 3)


def test_distributed_sampler(single):
    s = dist.DistributedSampler(list(range(7)), num_replicas=2, rank=1, shuffle=False)
    assert list(s) == [1, 3, 5, 0] and len(s) == 4
    s2 = dist.DistributedSampler(list(range(7)), shuffle=True, seed=3)
    e0 = list(s2)
    s2.set_epoch(1)
    assert sorted(e0) == sorted(list(s2)) == list(range(7)) and e0 != list(s2)


def test_mpi_path_with_fake_comm(fake):
    assert dist.is_available()
    assert dist.get_world_size() == 2 and dist.get_rank() == 0
    t = ng.tensor([1.0, 4.0])
    v0 = t._base_version
    dist.all_reduce(t, "sum")
    np.testing.assert_array_equal(t.numpy(), [11.0, 14.0])
    assert t._base_version == v0 + 1
    dist.all_reduce(t, "max")
    np.testing.assert_array_equal(t.numpy(), [11.0, 14.0])
    u = ng.tensor([2.0, 30.0])
    dist.all_reduce(u, "avg")
    np.testing.assert_array_equal(u.numpy(), [6.0, 20.0])
    w = ng.tensor([1.0, 2.0], requires_grad=True)
    (w * 3).sum().backward()
    dist.average_gradients([w])
    np.testing.assert_array_equal(w.grad.numpy(), [6.5, 6.5])  # (3 + 10) / 2
    dist.broadcast_parameters({"w": w}, root=1)
    np.testing.assert_array_equal(w.detach().numpy(), [10.0, 10.0])
    assert ("bcast", 1) in fake.calls


_SCRIPT = """
import numpy as np, ndgrad as ng
from ndgrad import distributed as dist
dist.init()
r = dist.get_rank()
t = ng.tensor([float(r + 1)] * 3)
dist.all_reduce(t)
assert dist.get_world_size() == 2 and np.allclose(t.numpy(), 3.0), t
print("ok", r)
"""


def _have_mpi():
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return shutil.which("mpirun") is not None


@pytest.mark.skipif(not _have_mpi(), reason="needs mpi4py and mpirun")
def test_two_process_allreduce(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(_SCRIPT)
    res = subprocess.run(["mpirun", "-n", "2", sys.executable, str(script)],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "ok 0" in res.stdout and "ok 1" in res.stdout
