"""A training loop holds no memory across steps: what step N leaves behind is freed by step
N+1 (graphs die by reference counting, optimizer state is allocated once). Issue 5 measures
the same on resident memory over 10,000 W2 steps (``benchmarks/run.py``, RSS row)."""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np

import ndgrad as ng


def _loop(steps: int, opt_cls, **opt_kw) -> list[int]:
    nn, F = ng.nn, ng.nn.functional
    ng.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
    opt = opt_cls(model.parameters(), **opt_kw)
    rng = np.random.default_rng(0)
    x = ng.tensor(rng.standard_normal((32, 8)).astype(np.float32))
    y = ng.tensor(rng.integers(0, 4, 32))
    traced = []
    gc.disable()  # the claim is about reference counting: no cycles to collect
    try:
        tracemalloc.start()
        for i in range(steps):
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
            if i % 50 == 49:
                traced.append(tracemalloc.get_traced_memory()[0])
        tracemalloc.stop()
    finally:
        gc.enable()
    return traced


def test_training_loop_memory_is_flat_sgd():
    traced = _loop(400, ng.optim.SGD, lr=0.1, momentum=0.9)
    # after warm-up (first 100 steps) the traced memory does not grow with the step count
    assert max(traced[2:]) - traced[1] < 16_384, traced


def test_training_loop_memory_is_flat_adam():
    traced = _loop(400, ng.optim.Adam, lr=1e-3)
    assert max(traced[2:]) - traced[1] < 16_384, traced


def test_a_leak_would_be_seen():
    # the measurement can fail: keep every loss alive and it grows with the step count
    nn, F = ng.nn, ng.nn.functional
    model = nn.Linear(8, 4)
    x = ng.randn(32, 8)
    y = ng.tensor(np.zeros(32, dtype=np.int64))
    kept = []
    tracemalloc.start()
    marks = []
    for i in range(200):
        loss = F.cross_entropy(model(x), y)
        kept.append(loss)  # a graph per step stays reachable
        if i % 50 == 49:
            marks.append(tracemalloc.get_traced_memory()[0])
    tracemalloc.stop()
    assert marks[-1] - marks[1] > 16_384
