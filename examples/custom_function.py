"""A custom autograd.Function (a numerically stable softplus) checked with gradcheck, used
inside an nn.Module, and differentiated twice because its backward uses Tensor ops."""

import ndgrad as ng
from ndgrad import nn


class SoftPlus(ng.autograd.Function):
    """log(1 + exp(x)) = relu(x) + log1p(exp(-|x|)); d/dx = sigmoid(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ng.relu(x) + ng.log1p(ng.exp(-ng.abs(x)))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * ng.sigmoid(x)  # Tensor ops: differentiable again


x = ng.tensor([-50.0, -1.0, 0.0, 2.0, 50.0], dtype=ng.float64, requires_grad=True)
y = SoftPlus.apply(x)
print("softplus:", y)
(g,) = ng.autograd.grad(y.sum(), x, create_graph=True)
print("first derivative (sigmoid):", g)
(h,) = ng.autograd.grad(g.sum(), x)
print("second derivative (sigmoid * (1 - sigmoid)):", h)
print("gradcheck:", ng.autograd.gradcheck(SoftPlus.apply, (x,)))
print("gradgradcheck:", ng.autograd.gradgradcheck(SoftPlus.apply, (x,)))


class SoftPlusLayer(nn.Module):
    def forward(self, x):
        return SoftPlus.apply(x)


model = nn.Sequential(nn.Linear(3, 4), SoftPlusLayer(), nn.Linear(4, 1))
print(model)
out = model(ng.randn(2, 3))
out.sum().backward()
print("grad of first layer weight:", model[0].weight.grad.shape)
