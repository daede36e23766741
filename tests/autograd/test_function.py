"""Custom autograd.Function: ctx API, multiple inputs/outputs, non-tensor args, materialize."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad as ng
from ndgrad.autograd import Function
from ndgrad.autograd.function import once_differentiable


class Scale(Function):
    @staticmethod
    def forward(ctx, x, factor, flag=False):
        ctx.factor = factor
        ctx.save_for_backward(x)
        return x * factor

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        assert ctx.needs_input_grad == (True, False)
        return g * ctx.factor, None


def test_non_tensor_argument_gets_none():
    x = ng.tensor([1.0, 2.0], requires_grad=True)
    y = Scale.apply(x, 3.0)
    assert type(y.grad_fn).__name__ == "ScaleBackward"
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_grad_for_non_tensor_input_is_an_error():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g, g

    x = ng.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="returned a gradient different than None at position 2"):
        Bad.apply(x, 2.0).sum().backward()


def test_forward_may_return_ndarray():
    class Sq(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.detach().numpy() ** 2

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = ng.tensor([3.0], requires_grad=True)
    y = Sq.apply(x)
    assert isinstance(y, ng.Tensor) and y.requires_grad
    y.backward()
    assert x.grad.item() == 6.0


def test_unused_output_grad_materialized_or_none():
    seen = {}

    class Two(Function):
        @staticmethod
        def forward(ctx, x, materialize):
            ctx.set_materialize_grads(materialize)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            seen["g2"] = g2
            out = g1 * 2
            if g2 is not None:
                out = out + g2 * 3
            return out, None

    x = ng.tensor([1.0], requires_grad=True)
    a, _ = Two.apply(x, True)
    a.backward()
    assert seen["g2"].tolist() == [0.0]
    x.grad = None
    a, _ = Two.apply(x, False)
    a.backward()
    assert seen["g2"] is None and x.grad.item() == 2.0


def test_mark_non_differentiable():
    class ArgmaxAndValue(Function):
        @staticmethod
        def forward(ctx, x):
            idx = ng.tensor(np.argmax(x.detach().numpy()))
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(x)
            return x.sum(), idx

        @staticmethod
        def backward(ctx, g, gidx):
            (x,) = ctx.saved_tensors
            return ng.ones_like(x) * g

    x = ng.tensor([1.0, 5.0], requires_grad=True)
    s, i = ArgmaxAndValue.apply(x)
    assert s.requires_grad and not i.requires_grad and i.item() == 1
    s.backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_mark_dirty_rebases_history():
    class AddOneInplace(Function):
        @staticmethod
        def forward(ctx, x):
            x._data += 1
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    a = ng.tensor([1.0], requires_grad=True)
    h = a * 2
    out = AddOneInplace.apply(h)
    assert out is h and type(h.grad_fn).__name__ == "AddOneInplaceBackward"
    assert h.item() == 3.0
    (h * 5).backward()
    assert a.grad.item() == 10.0


def test_saved_output_no_cycle_and_correct():
    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

    x = ng.tensor([0.5], requires_grad=True)
    y = Exp.apply(x)
    y.backward()
    assert x.grad.item() == pytest.approx(np.exp(0.5))


def test_custom_function_double_backward():
    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x ** 2

    x = ng.tensor([2.0], requires_grad=True)
    (g,) = ng.autograd.grad(Cube.apply(x), x, create_graph=True)
    (h,) = ng.autograd.grad(g, x)
    assert g.item() == 12.0 and h.item() == 12.0


def test_once_differentiable_blocks_double_backward():
    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x ** 2

    x = ng.tensor([2.0], requires_grad=True)
    y = Cube.apply(x)
    # as in PyTorch, the error is delayed until the grad outputs themselves require grad
    v = ng.tensor([1.0], requires_grad=True)
    (g,) = ng.autograd.grad(y, x, grad_outputs=v, create_graph=True)
    assert g.item() == 12.0 and g.requires_grad
    with pytest.raises(RuntimeError, match="trying to differentiate twice a function that was "
                       "marked with @once_differentiable"):
        g.backward()


def test_no_graph_when_no_input_requires_grad():
    x = ng.tensor([1.0])
    y = Scale.apply(x, 2.0)
    assert y.grad_fn is None and not y.requires_grad


def test_saved_tensor_modified_inplace_raises_version_error():
    x = ng.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    y = (h * h).sum()
    h.add_(1)
    with pytest.raises(RuntimeError, match="one of the variables needed for gradient computation "
                       "has been modified by an inplace operation: .* is at version 1; expected "
                       "version 0 instead"):
        y.backward()


def test_non_tensor_outputs_pass_through():
    # PyTorch returns non-Tensor outputs as they are; their backward argument is None
    seen = []

    class WithCount(ng.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, 3

        @staticmethod
        def backward(ctx, g, g_count):
            seen.append(g_count)
            return g * 2

    class Only(ng.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return "done"

        @staticmethod
        def backward(ctx, g):
            return g

    x = ng.ones(2, requires_grad=True)
    y, k = WithCount.apply(x)
    assert k == 3 and type(k) is int
    y.sum().backward()
    assert seen == [None]
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
    assert Only.apply(x) == "done"
