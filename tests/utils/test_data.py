"""utils.data: TensorDataset, DataLoader batching, drop_last, reproducible shuffling."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad as ng
from ndgrad.utils.data import DataLoader, Dataset, Subset, TensorDataset, random_split


def make_ds(n=10):
    return TensorDataset(ng.tensor(np.arange(n * 2, dtype=np.float32).reshape(n, 2)),
                         ng.tensor(np.arange(n)))


def test_tensor_dataset():
    ds = make_ds()
    assert len(ds) == 10
    x, y = ds[3]
    np.testing.assert_array_equal(x.numpy(), [6, 7])
    assert y.item() == 3
    with pytest.raises(ValueError):
        TensorDataset(ng.zeros(3), ng.zeros(4))


def test_sequential_batches_and_drop_last():
    dl = DataLoader(make_ds(), batch_size=4)
    batches = list(dl)
    assert len(dl) == 3 and [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7],
                                                                 [8, 9]]
    assert batches[0][0].shape == (4, 2) and isinstance(batches[0][0], ng.Tensor)
    dl = DataLoader(make_ds(), batch_size=4, drop_last=True)
    assert len(dl) == 2 and [b[1].tolist() for b in dl] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_shuffle_reproducible_and_a_permutation():
    ds = make_ds()
    ng.manual_seed(5)
    a = [b[1].tolist() for b in DataLoader(ds, batch_size=3, shuffle=True)]
    ng.manual_seed(5)
    b = [b[1].tolist() for b in DataLoader(ds, batch_size=3, shuffle=True)]
    assert a == b
    assert sorted(sum(a, [])) == list(range(10)) and sum(a, []) != list(range(10))
    g1 = ng.Generator().manual_seed(7)
    g2 = ng.Generator().manual_seed(7)
    c = [b[1].tolist() for b in DataLoader(ds, batch_size=3, shuffle=True, generator=g1)]
    d = [b[1].tolist() for b in DataLoader(ds, batch_size=3, shuffle=True, generator=g2)]
    assert c == d
    dl = DataLoader(ds, batch_size=10, shuffle=True, generator=ng.Generator().manual_seed(1))
    e1, e2 = next(iter(dl))[1].tolist(), next(iter(dl))[1].tolist()
    assert e1 != e2  # a new permutation every epoch


class Squares(Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return {"x": np.array([i, i * i], dtype=np.float64), "y": i}


def test_generic_dataset_collate_and_subset():
    batches = list(DataLoader(Squares(), batch_size=2))
    assert len(batches) == 3
    np.testing.assert_array_equal(batches[1]["x"].numpy(), [[2, 4], [3, 9]])
    assert batches[1]["y"].tolist() == [2, 3] and batches[1]["y"].dtype == ng.int64
    sub = Subset(Squares(), [4, 0])
    assert sub[0]["y"] == 4 and len(sub) == 2
    parts = random_split(make_ds(), [7, 3], generator=ng.Generator().manual_seed(0))
    idx = sorted(int(p[i][1].item()) for p in parts for i in range(len(p)))
    assert [len(p) for p in parts] == [7, 3] and idx == list(range(10))
    with pytest.raises(ValueError):
        DataLoader(make_ds(), batch_size=0)
