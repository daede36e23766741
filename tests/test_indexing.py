"""Indexing semantics: repeated advanced indices accumulate, masks, setitem gradients for both
sides, PyTorch's leaf rule, negative steps, None/Ellipsis, and errors naming op/shape/index."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad as ng

RNG = np.random.default_rng(0)


def _leaf(*shape):
    return ng.tensor(RNG.standard_normal(shape), requires_grad=True)


def test_repeated_indices_accumulate():
    x = _leaf(4, 3)
    idx = [2, 0, 2, 2]
    w = RNG.standard_normal((4, 3))
    (x[idx] * ng.tensor(w)).sum().backward()
    want = np.zeros((4, 3))
    for k, i in enumerate(idx):
        want[i] += w[k]
    np.testing.assert_allclose(x.grad.numpy(), want)
    assert np.allclose(want[2], w[0] + w[2] + w[3])  # three contributions summed


def test_repeated_pairs_accumulate_with_tensor_index():
    x = _leaf(2, 3)
    rows, cols = ng.tensor([1, 1, 0]), ng.tensor([2, 2, 0])
    x[rows, cols].sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[1, 0, 0], [0, 0, 2]])


def test_boolean_mask_values_and_grad():
    a = RNG.standard_normal((3, 4))
    x = ng.tensor(a, requires_grad=True)
    mask = a > 0
    y = x[ng.tensor(mask)]
    np.testing.assert_array_equal(y.detach().numpy(), a[mask])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), mask.astype(float))


def test_setitem_gradient_wrt_tensor_and_value():
    x = _leaf(5)
    v = _leaf(2)
    w = RNG.standard_normal(5)
    y = x * 1.0
    y[1:3] = v * 2.0
    (y * ng.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), w * np.array([1, 0, 0, 1, 1]))
    np.testing.assert_allclose(v.grad.numpy(), 2 * w[1:3])
    assert y.grad_fn is not None


def test_setitem_broadcast_value_grad_sums():
    x = _leaf(3, 4)
    v = _leaf()
    y = x.clone()
    y[:, [0, 2]] = v
    w = RNG.standard_normal((3, 4))
    (y * ng.tensor(w)).sum().backward()
    np.testing.assert_allclose(v.grad.numpy(), w[:, [0, 2]].sum())
    want = w.copy()
    want[:, [0, 2]] = 0
    np.testing.assert_allclose(x.grad.numpy(), want)


def test_setitem_into_plain_tensor_makes_it_require_grad():
    y = ng.zeros(4, dtype=ng.float64)
    v = _leaf(4)
    y[ng.tensor([True, False, True, False])] = v[:2]
    assert y.requires_grad
    (y * ng.tensor([1.0, 2.0, 3.0, 4.0], dtype=ng.float64)).sum().backward()
    np.testing.assert_allclose(v.grad.numpy(), [1.0, 3.0, 0.0, 0.0])


def test_setitem_on_leaf_that_requires_grad_raises():
    x = _leaf(3)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in "
                                           "an in-place operation."):
        x[0] = 1.0
    with ng.no_grad():
        x[0] = 7.0
    assert x.detach().numpy()[0] == 7.0 and x.is_leaf


def test_setitem_bumps_version_so_stale_saved_tensors_are_caught():
    x = _leaf(3)
    y = x * 1.0
    z = y * y  # saves y
    y[0] = 0.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_negative_steps_values_and_grad():
    a = RNG.standard_normal((4, 5))
    x = ng.tensor(a, requires_grad=True)
    y = x[::-2, -1:0:-3]
    np.testing.assert_array_equal(y.detach().numpy(), a[::-2, -1:0:-3])
    w = RNG.standard_normal(y.shape)
    (y * ng.tensor(w)).sum().backward()
    want = np.zeros_like(a)
    want[::-2, -1:0:-3] = w
    np.testing.assert_allclose(x.grad.numpy(), want)


def test_none_and_ellipsis():
    a = RNG.standard_normal((2, 3, 4))
    x = ng.tensor(a, requires_grad=True)
    y = x[None, ..., 1:3, None]
    assert y.shape == a[None, ..., 1:3, None].shape == (1, 2, 3, 2, 1)
    y.sum().backward()
    want = np.zeros_like(a)
    want[..., 1:3] = 1
    np.testing.assert_array_equal(x.grad.numpy(), want)


def test_second_order_through_advanced_index():
    x = _leaf(3)
    y = (x[[0, 0, 2]] ** 2).sum()
    (g,) = ng.autograd.grad(y, x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 2 * x.detach().numpy() * [2, 0, 1])
    (h,) = ng.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), [4.0, 0.0, 2.0])


def test_index_error_names_op_shape_and_index():
    x = ng.zeros(3, 4)
    with pytest.raises(IndexError, match=r"getitem: .*out of bounds.*\(3, 4\).*index 5"):
        x[5]
    with pytest.raises(IndexError, match=r"getitem: .*too many indices.*\(3, 4\)"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="long, int, byte or bool"):
        x[ng.tensor([0.0])]
    with pytest.raises(ValueError, match=r"index_put: .*value of shape \(3,\).*\(3, 4\)"):
        ng.index_put(x, 0, ng.ones(3))


def test_gather_scatter_errors():
    x = ng.zeros(3, 4)
    with pytest.raises(ValueError, match=r"gather: .*same number of dimensions.*\(4,\).*\(3, 4\)"):
        ng.gather(x, 0, ng.tensor([0, 1, 2, 0]))
    with pytest.raises(IndexError, match=r"gather: index 3 is out of bounds"):
        ng.gather(x, 0, ng.tensor([[3]]))
    with pytest.raises(TypeError, match="masked_fill: expected a bool mask"):
        ng.masked_fill(x, ng.tensor([1, 0, 1, 0]), 0.0)


def test_scatter_add_accumulates_repeats():
    x = _leaf(2, 3)
    src = _leaf(2, 3)
    index = ng.tensor([[1, 1, 0], [1, 0, 0]])
    out = ng.scatter_add(x, 0, index, src)
    want = x.detach().numpy().copy()
    s = src.detach().numpy()
    for i in range(2):
        for j in range(3):
            want[index.numpy()[i, j], j] += s[i, j]
    np.testing.assert_allclose(out.detach().numpy(), want)
    w = RNG.standard_normal((2, 3))
    (out * ng.tensor(w)).sum().backward()
    np.testing.assert_allclose(src.grad.numpy(), np.take_along_axis(w, index.numpy(), 0))
    np.testing.assert_allclose(x.grad.numpy(), w)
