"""DataLoader batches in PyTorch's forms: tuple samples collate to a list, namedtuples keep
their type, samples with history stay differentiable, and a TensorDataset of mismatched
lengths is refused (AssertionError, as PyTorch's assert, and ValueError)."""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest

import ndgrad as ng
from ndgrad.utils.data import DataLoader, TensorDataset, default_collate

Pair = namedtuple("Pair", "x y")


def test_tuple_samples_collate_to_a_list():
    out = default_collate([(ng.ones(2), 1), (ng.zeros(2), 2)])
    assert isinstance(out, list) and len(out) == 2
    np.testing.assert_array_equal(out[0].numpy(), [[1, 1], [0, 0]])
    np.testing.assert_array_equal(out[1].numpy(), [1, 2])


def test_namedtuple_keeps_its_type():
    out = default_collate([Pair(1.0, 2), Pair(3.0, 4)])
    assert type(out) is Pair
    np.testing.assert_array_equal(out.x.numpy(), [1.0, 3.0])


def test_unequal_sequences_are_refused():
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([(1, 2), (3,)])


@pytest.mark.parametrize("fast", [True, False])
def test_batches_keep_history(fast):
    x = ng.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    ds = TensorDataset(x, ng.tensor([0, 1, 2]))
    loader = DataLoader(ds, batch_size=2) if fast else DataLoader(
        ds, batch_size=2, collate_fn=default_collate)
    xb, yb = next(iter(loader))
    assert xb.requires_grad and not yb.requires_grad
    (xb * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2, 2], [2, 2], [0, 0]])


def test_plain_batches_are_lists():
    ds = TensorDataset(ng.ones((4, 2)), ng.zeros(4))
    batch = next(iter(DataLoader(ds, batch_size=3)))
    assert isinstance(batch, list) and [b.shape for b in batch] == [(3, 2), (3,)]


def test_tensor_dataset_size_mismatch():
    with pytest.raises(AssertionError, match="Size mismatch"):
        TensorDataset(ng.ones(3), ng.ones(4))
    with pytest.raises(ValueError):
        TensorDataset(ng.ones(3), ng.ones(4))
