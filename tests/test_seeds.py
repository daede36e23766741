"""Every example of shared/seeds/*, with the numbers the seeds print."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad as ng
import ndgrad.autograd as autograd
from ndgrad.autograd import Function

FREED = "Trying to backward through the graph a second time"


# ---- pytorch-custom-function-multi-io.ja.txt
class Func(Function):
    @staticmethod
    def forward(ctx, x1, x2, x3):
        ctx.save_for_backward(x1, x2, x3)
        return x1 + x2, x2 + x3, x3 + x1

    @staticmethod
    def backward(ctx, dy1, dy2, dy3):
        x1, x2, x3 = ctx.saved_tensors
        dx1 = dy1 * 1 + dy2 * 0 + dy3 * 1
        dx2 = dy1 * 1 + dy2 * 1 + dy3 * 0
        dx3 = dy1 * 0 + dy2 * 1 + dy3 * 1
        return dx1, dx2, dx3


def test_custom_function_multi_io_grads_9_8_5():
    x1 = ng.Tensor([0]).requires_grad_()
    x2 = ng.Tensor([1]).requires_grad_()
    x3 = ng.Tensor([2]).requires_grad_()
    y1, y2, y3 = Func.apply(x1, x2, x3)
    L = y1 * y2 * y3
    assert L.item() == pytest.approx((0 + 1) * (1 + 2) * (2 + 0))
    L.backward()
    assert x1.grad.tolist() == [9.0]
    assert x2.grad.tolist() == [8.0]
    assert x3.grad.tolist() == [5.0]
    assert repr(x1.grad) == "tensor([9.])"
    assert type(y1.grad_fn).__name__ == "FuncBackward"


def test_custom_function_matches_closed_form_elsewhere():
    rng = np.random.default_rng(1)
    v = rng.standard_normal(3)
    xs = [ng.tensor([float(a)], requires_grad=True) for a in v]
    y1, y2, y3 = Func.apply(*xs)
    (y1 * y2 * y3).backward()
    a, b, c = v
    assert xs[0].grad.item() == pytest.approx((b + c) * (2 * a + b + c), rel=1e-5)
    assert xs[1].grad.item() == pytest.approx((c + a) * (2 * b + c + a), rel=1e-5)
    assert xs[2].grad.item() == pytest.approx((a + b) * (2 * c + a + b), rel=1e-5)


# ---- dezero-tensor-backprop.ja.txt
def test_dezero_add_broadcast_free():
    x = ng.tensor(np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float64), requires_grad=True)
    y = ng.tensor(np.array([[10, 20, 30], [40, 50, 60]], dtype=np.float64), requires_grad=True)
    z = x + y
    z.backward(ng.ones_like(z))
    assert z.tolist() == [[11, 22, 33], [44, 55, 66]]
    assert x.grad.tolist() == [[1, 1, 1], [1, 1, 1]]
    assert y.grad.tolist() == [[1, 1, 1], [1, 1, 1]]


def test_dezero_reshape_transpose_sum():
    data = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float64)
    x = ng.tensor(data, requires_grad=True)
    y = x.reshape((6,))
    y.backward(ng.ones_like(y))
    assert y.tolist() == [1, 2, 3, 4, 5, 6]
    assert x.grad.tolist() == [[1, 1, 1], [1, 1, 1]]

    x = ng.tensor(data, requires_grad=True)
    y = x.T
    y.backward(ng.ones_like(y))
    assert y.tolist() == [[1, 4], [2, 5], [3, 6]]
    assert x.grad.tolist() == [[1, 1, 1], [1, 1, 1]]

    x = ng.tensor(data, requires_grad=True)
    y = x.sum()
    y.backward()
    assert y.item() == 21
    assert x.grad.tolist() == [[1, 1, 1], [1, 1, 1]]


def test_dezero_matmul_shapes_and_values():
    rng = np.random.default_rng(0)
    xv, wv = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    x = ng.tensor(xv, requires_grad=True)
    w = ng.tensor(wv, requires_grad=True)
    y = ng.matmul(x, w)
    y.backward(ng.ones_like(y))
    assert y.shape == (2, 4) and x.grad.shape == (2, 3) and w.grad.shape == (3, 4)
    gy = np.ones((2, 4))
    np.testing.assert_allclose(x.grad.numpy(), gy @ wv.T)
    np.testing.assert_allclose(w.grad.numpy(), xv.T @ gy)


def test_dezero_separate_multi_output():
    x = ng.tensor(np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float64), requires_grad=True)
    y, z = ng.split(x, 1, dim=0)
    w = y + z
    w.backward(ng.ones_like(w))
    assert y.tolist() == [[1, 2, 3]] and z.tolist() == [[4, 5, 6]]
    assert w.tolist() == [[5, 7, 9]]
    assert x.grad.tolist() == [[1, 1, 1], [1, 1, 1]]


# ---- pytorch-autograd-tutorial.ja.txt
def test_tutorial_bce_with_logits_graph():
    ng.manual_seed(0)
    x = ng.ones(5)
    y = ng.zeros(3)
    w = ng.randn(5, 3, requires_grad=True)
    b = ng.randn(3, requires_grad=True)
    z = ng.matmul(x, w) + b
    loss = ng.nn.functional.binary_cross_entropy_with_logits(z, y)
    assert type(z.grad_fn).__name__ == "AddBackward0"
    loss.backward()
    zv = x.numpy() @ w.detach().numpy() + b.detach().numpy()
    sig = 1 / (1 + np.exp(-zv))
    expected_loss = np.mean(np.log1p(np.exp(zv)))  # target 0: -log(1 - sigmoid(z))
    assert loss.item() == pytest.approx(expected_loss, rel=1e-5)
    np.testing.assert_allclose(b.grad.numpy(), sig / 3, rtol=1e-5)
    np.testing.assert_allclose(w.grad.numpy(), np.outer(np.ones(5), sig / 3), rtol=1e-5)
    assert x.grad is None


def test_tutorial_quadratic_grad_is_6():
    x = ng.Tensor([3])
    x.requires_grad_(True)
    y = x * x + 1
    y.backward()
    assert repr(x.grad) == "tensor([6.])"


def test_tutorial_optimizer_loop_shape():
    # zero_grad / backward / step as the seed's training loop does (plain SGD by hand here;
    # the optim package has its own tests)
    w = ng.tensor([1.0, -2.0], requires_grad=True)
    for _ in range(3):
        w.grad = None
        loss = (w * w).sum()
        loss.backward()
        with ng.no_grad():
            w -= 0.1 * w.grad
    np.testing.assert_allclose(w.detach().numpy(), np.array([1.0, -2.0]) * 0.8 ** 3, rtol=1e-6)


# ---- torch-autograd-grad.ja.txt
def test_autograd_grad_polynomial_and_errors():
    x = ng.linspace(0, 1, 100, requires_grad=True)
    y = x ** 3 + 2 * x ** 2 + 3 * x + 1
    z = x ** 2 + 2 * x + 3
    (y_autograd,) = autograd.grad(y, x, grad_outputs=ng.ones_like(x))
    xv = x.detach().numpy()
    np.testing.assert_allclose(y_autograd.numpy(), 3 * xv ** 2 + 4 * xv + 3, rtol=1e-6)
    assert y_autograd.numpy()[0] == pytest.approx(3.0)
    assert y_autograd.numpy()[1] == pytest.approx(3.0407, abs=1e-4)
    assert y_autograd.numpy()[-1] == pytest.approx(10.0)
    assert "3.0407" in repr(y_autograd)
    with pytest.raises(RuntimeError) as e:
        autograd.grad(y, x, grad_outputs=ng.ones_like(x))
    assert str(e.value).startswith(FREED)
    (z_autograd,) = autograd.grad(z, x, grad_outputs=ng.ones_like(x))
    np.testing.assert_allclose(z_autograd.numpy(), 2 * xv + 2, rtol=1e-6)
    assert z_autograd.numpy()[1] == pytest.approx(2.0202, abs=1e-4)
    with pytest.raises(RuntimeError, match="^element 0 of tensors does not require grad and "
                       "does not have a grad_fn$"):
        autograd.grad(y_autograd, x, grad_outputs=ng.ones_like(x))


def test_autograd_grad_retain_graph_allows_second_call():
    x = ng.linspace(0, 1, 100, requires_grad=True)
    y = x ** 3 + 2 * x ** 2 + 3 * x + 1
    a = autograd.grad(y, x, grad_outputs=ng.ones_like(x), retain_graph=True)[0]
    b = autograd.grad(y, x, grad_outputs=ng.ones_like(x))[0]
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_autograd_grad_create_graph_second_derivative():
    x = ng.linspace(0, 1, 100, requires_grad=True)
    y = x ** 3 + 2 * x ** 2 + 3 * x + 1
    (dy,) = autograd.grad(y, x, grad_outputs=ng.ones_like(x), create_graph=True)
    (d2y,) = autograd.grad(dy, x, grad_outputs=ng.ones_like(x))
    np.testing.assert_allclose(d2y.numpy(), 6 * x.detach().numpy() + 4, rtol=1e-5)


def test_meshgrid_partials():
    x = ng.linspace(0, 1, 100, requires_grad=True)
    y = ng.linspace(2, 1, 100, requires_grad=True)
    X, Y = ng.meshgrid(x, y, indexing="xy")
    X, Y = X.reshape(-1), Y.reshape(-1)
    z = (X ** 2) * Y + 2 * X * (Y ** 3)
    z_x_auto = autograd.grad(z, X, grad_outputs=ng.ones_like(z), retain_graph=True)
    z_x = 2 * X * Y + 2 * (Y ** 3)
    np.testing.assert_allclose(z_x_auto[0].numpy(), z_x.detach().numpy(), rtol=1e-5)
    col = z_x_auto[0].reshape(100, 100)[:, 0]
    assert col.shape == (100,)
    z_xy_auto = autograd.grad(z, [X, Y], grad_outputs=ng.ones_like(z), retain_graph=True)
    z_y = X ** 2 + 6 * X * Y ** 2
    np.testing.assert_allclose(z_xy_auto[0].numpy(), z_x.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(z_xy_auto[1].numpy(), z_y.detach().numpy(), rtol=1e-5, atol=1e-6)
    g0, g1 = z_xy_auto[0].numpy(), z_xy_auto[1].numpy()
    assert g0[0] == pytest.approx(16.0) and g0[1] == pytest.approx(16.0404, abs=1e-4)
    assert g0[-1] == pytest.approx(4.0) and g0[-2] == pytest.approx(3.9798, abs=1e-4)
    assert g1[0] == pytest.approx(0.0) and g1[1] == pytest.approx(0.2425, abs=1e-4)
    assert g1[-1] == pytest.approx(7.0) and g1[-2] == pytest.approx(6.9193, abs=1e-4)
    # gradient w.r.t. the leaves sums over the grid
    gx, gy = autograd.grad(z, [x, y], grad_outputs=ng.ones_like(z))
    zx_grid = (2 * X * Y + 2 * Y ** 3).detach().numpy().reshape(100, 100)
    np.testing.assert_allclose(gx.numpy(), zx_grid.sum(axis=0), rtol=1e-4)


def test_allow_unused():
    x = ng.tensor([1.0, 2.0], requires_grad=True)
    u = ng.tensor([3.0], requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="^The differentiated Tensor at index 1 appears to not "
                       "have been used in the graph. Set allow_unused=True if this is the "
                       "desired behavior.$"):
        autograd.grad(y, [x, u], retain_graph=True)
    gx, gu = autograd.grad(y, [x, u], allow_unused=True)
    assert gx.tolist() == [2.0, 2.0] and gu is None


# ---- chainer-grad-accumulation.ja.txt
def test_chainer_backward_accumulates_then_cleargrad():
    x = ng.tensor(np.array([1], dtype=np.float32), requires_grad=True)
    y = 2 * x
    y.backward()
    assert x.grad.tolist() == [2.0]
    y.backward()
    assert x.grad.tolist() == [4.0]
    y.backward()
    assert x.grad.tolist() == [6.0]
    x.cleargrad()
    y.backward()
    assert x.grad.tolist() == [2.0]


def test_chainer_backward_twice_raises_when_tensors_were_saved():
    x = ng.tensor([1.0], requires_grad=True)
    y = x * x
    y.backward()
    with pytest.raises(RuntimeError) as e:
        y.backward()
    assert str(e.value).startswith(FREED)
    z = (x + 1).sum()
    z.backward()
    z.backward()
    assert x.grad.tolist() == [4.0]


def _chainer_graph():
    x0 = ng.tensor(np.array([0, 1], dtype=np.float32), requires_grad=True)
    x1 = ng.tensor(np.array([2, 3], dtype=np.float32), requires_grad=True)
    y = 2 * x0 + 3 * x1
    z = 2 * y
    return x0, x1, y, z


def test_chainer_grad_results_1_to_3():
    x0, x1, y, z = _chainer_graph()
    (g,) = ng.grad([z], [x0])
    assert g.tolist() == [4.0, 4.0]
    assert x0.grad is None
    (g,) = ng.grad([z], [x0])
    assert g.tolist() == [4.0, 4.0]
    g0, g1 = ng.grad([z], [x0, x1])
    assert g0.tolist() == [4.0, 4.0] and g1.tolist() == [6.0, 6.0]
    (g,) = ng.grad([y], [x0])
    assert g.tolist() == [2.0, 2.0]


def test_chainer_grad_set_grad_overwrites():
    x0, x1, y, z = _chainer_graph()
    (g,) = ng.grad([z], [x0], set_grad=True)
    assert g.tolist() == [4.0, 4.0] and x0.grad.tolist() == [4.0, 4.0]
    ng.grad([z], [x0], set_grad=True)
    assert x0.grad.tolist() == [4.0, 4.0]
    assert x1.grad is None
    (g,) = ng.grad([y], [x0], set_grad=True)
    assert g.tolist() == [2.0, 2.0] and x0.grad.tolist() == [2.0, 2.0]


def test_chainer_grad_retain_grad_keeps_intermediates():
    x0, x1, y, z = _chainer_graph()
    (g,) = ng.grad([z], [x0], retain_grad=True)
    assert g.tolist() == [4.0, 4.0]
    assert y.grad.tolist() == [2.0, 2.0]
    assert z.grad.tolist() == [1.0, 1.0]
    assert x0.grad is None
    x0, x1, y, z = _chainer_graph()
    (g,) = ng.grad([y], [x0], retain_grad=True)
    assert g.tolist() == [2.0, 2.0]
    assert y.grad.tolist() == [1.0, 1.0]
    assert x0.grad is None and z.grad is None


def test_chainer_grad_only_evaluates_the_path():
    calls = []

    class Spy(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 1

        @staticmethod
        def backward(ctx, g):
            calls.append(1)
            return g

    x0 = ng.tensor([1.0], requires_grad=True)
    x1 = ng.tensor([1.0], requires_grad=True)
    z = x0 * 3 + Spy.apply(x1)
    ng.grad([z], [x0])
    assert calls == []
    ng.grad([z], [x1])
    assert calls == [1]
