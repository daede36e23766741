"""Seed: pytorch-custom-function-multi-io.ja.txt: a custom autograd.Function with three inputs
and three outputs; L = y1 * y2 * y3 gives the gradients 9, 8, 5."""

import ndgrad as ng


class Func(ng.autograd.Function):
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


x1 = ng.Tensor([0]).requires_grad_()
x2 = ng.Tensor([1]).requires_grad_()
x3 = ng.Tensor([2]).requires_grad_()
y1, y2, y3 = Func.apply(x1, x2, x3)
L = y1 * y2 * y3
L.backward()
print(x1.grad)  # tensor([9.])
print(x2.grad)  # tensor([8.])
print(x3.grad)  # tensor([5.])
