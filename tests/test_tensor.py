"""Tensor basics: construction and dtype rules, attributes, repr, conversions."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import ndgrad as ng

REQ = "Only Tensors of floating point and complex dtype can require gradients"


def test_dtype_rules():
    assert ng.Tensor([1, 2]).dtype == np.float32  # torch.Tensor([...]) is float32
    assert ng.tensor([1.5]).dtype == np.float32
    assert ng.tensor([1, 2]).dtype == np.int64
    assert ng.tensor([True]).dtype == np.bool_
    assert ng.tensor(np.zeros(2, dtype=np.float64)).dtype == np.float64
    assert ng.tensor(np.zeros(2, dtype=np.int16)).dtype == np.int16
    assert ng.tensor([1, 2], dtype=ng.float64).dtype == np.float64


def test_tensor_copies_from_numpy_shares():
    a = np.zeros(2)
    t = ng.tensor(a)
    s = ng.from_numpy(a)
    a[0] = 5
    assert t.tolist() == [0.0, 0.0] and s.tolist() == [5.0, 0.0]


def test_requires_grad_only_for_float():
    with pytest.raises(RuntimeError, match="^" + REQ + "$"):
        ng.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="^" + REQ + "$"):
        ng.tensor([1, 2]).requires_grad_()
    assert ng.tensor([1.0], requires_grad=True).requires_grad


def test_requires_grad_nonleaf_rule():
    x = ng.tensor([1.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf variables"):
        y.requires_grad_(False)
    assert y.requires_grad_(True) is y


def test_leaf_flags():
    x = ng.tensor([1.0], requires_grad=True)
    c = ng.tensor([1.0])
    y = x * 2
    assert x.is_leaf and c.is_leaf and not y.is_leaf
    assert (c * 2).is_leaf  # no grad needed: no history
    assert x.grad_fn is None and type(y.grad_fn).__name__ == "MulBackward0"


def test_repr_like_pytorch():
    assert repr(ng.tensor([6.0], requires_grad=True)) == "tensor([6.], requires_grad=True)"
    x = ng.tensor([2.0], requires_grad=True)
    y = x * x
    assert repr(y) == "tensor([4.], grad_fn=<MulBackward0>)"
    assert repr(ng.tensor([1.5, 2.0])) == "tensor([1.5000, 2.0000])"
    assert repr(ng.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(ng.tensor(3.0)) == "tensor(3.)"
    assert repr(ng.tensor([1.0], dtype=ng.float64)) == "tensor([1.], dtype=ndgrad.float64)"


def test_item_tolist_numpy_and_array():
    t = ng.tensor([[1.0, 2.0]])
    assert t.tolist() == [[1.0, 2.0]]
    assert ng.tensor([3.0]).item() == 3.0
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        t.item()
    np.testing.assert_array_equal(np.asarray(t), [[1.0, 2.0]])
    r = ng.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="Use tensor.detach"):
        r.numpy()
    assert r.detach().numpy().tolist() == [1.0]


def test_shape_helpers():
    t = ng.zeros(2, 3, 4)
    assert t.shape == (2, 3, 4) and t.size() == (2, 3, 4) and t.size(1) == 3
    assert t.dim() == 3 and t.ndim == 3 and t.numel() == 24 and len(t) == 2
    assert t.T.shape == (4, 3, 2) and t.mT.shape == (2, 4, 3)
    assert [p.shape for p in ng.zeros(2, 3)] == [(3,), (3,)]


def test_conversions_keep_grad():
    x = ng.tensor([1.0, 2.0], requires_grad=True)
    y = x.double()
    assert y.dtype == np.float64 and y.requires_grad
    y.sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [1.0, 1.0]
    assert x.to("cpu") is x and str(x.device) == "cpu"
    assert x.detach().long().dtype == np.int64


def test_data_shares_storage_without_history():
    x = ng.tensor([1.0], requires_grad=True)
    d = x.data
    assert not d.requires_grad
    d.add_(1)
    assert x.item() == 2.0


def test_clone_and_deepcopy():
    x = ng.tensor([1.0], requires_grad=True)
    c = x.clone()
    c.sum().backward()
    assert x.grad.item() == 1.0 and type(c.grad_fn).__name__ == "CloneBackward0"
    d = copy.deepcopy(x)
    assert d is not x and d.requires_grad and d.grad.item() == 1.0


def test_not_picklable():
    import pickle

    with pytest.raises(TypeError, match="ng.save"):
        pickle.dumps(ng.tensor([1.0]))


def test_factories():
    assert ng.arange(5).dtype == np.int64 and ng.arange(0, 1, 0.5).dtype == np.float32
    assert ng.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert ng.full((2,), 3).dtype == np.int64 and ng.full((2,), 3.0).dtype == np.float32
    assert ng.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    ng.manual_seed(3)
    a = ng.randn(3)
    ng.manual_seed(3)
    assert ng.randn(3).tolist() == a.tolist() and a.dtype == np.float32
    assert ng.rand(2, 2).shape == (2, 2) and ng.randint(0, 5, (4,)).dtype == np.int64
    z = ng.zeros_like(a, requires_grad=True)
    assert z.requires_grad and z.shape == (3,)


def test_meshgrid_indexing():
    a, b = ng.tensor([1, 2, 3]), ng.tensor([4, 5])
    X, Y = ng.meshgrid(a, b, indexing="ij")
    nX, nY = np.meshgrid([1, 2, 3], [4, 5], indexing="ij")
    assert X.tolist() == nX.tolist() and Y.tolist() == nY.tolist()
    X, Y = ng.meshgrid(a, b, indexing="xy")
    nX, nY = np.meshgrid([1, 2, 3], [4, 5], indexing="xy")
    assert X.tolist() == nX.tolist() and Y.tolist() == nY.tolist()
