"""Seed: pytorch-autograd-tutorial.ja.txt, with ``import ndgrad as ng`` instead of torch.

A computation graph from matmul + binary_cross_entropy_with_logits, loss.backward(), the
gradient of x*x + 1 at 3 (= 6), and the zero_grad / backward / step training loop.
"""

import ndgrad as ng

ng.manual_seed(0)
x = ng.ones(5)  # input tensor
y = ng.zeros(3)  # expected output
w = ng.randn(5, 3, requires_grad=True)
b = ng.randn(3, requires_grad=True)
z = ng.matmul(x, w) + b
loss = ng.nn.functional.binary_cross_entropy_with_logits(z, y)
print("grad_fn of z:", z.grad_fn)
print("grad_fn of loss:", loss.grad_fn)
loss.backward()
print(w.grad)
print(b.grad)
print("x.grad (not a parameter):", x.grad)

x = ng.Tensor([3])
x.requires_grad_(True)
y = x * x + 1
y.backward()
print(x.grad)  # -> tensor([6.])

# The training loop of the tutorial: the optimizer holds the parameters; backward fills .grad
model = ng.nn.Sequential(ng.nn.Linear(5, 8), ng.nn.ReLU(), ng.nn.Linear(8, 3))
loss_fn = ng.nn.BCEWithLogitsLoss()
optimizer = ng.optim.SGD(model.parameters(), lr=0.5)
X, Y = ng.randn(16, 5), (ng.randn(16, 3) > 0).float()
for step in range(50):
    pred = model(X)
    loss = loss_fn(pred, Y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 10 == 0 or step == 49:
        print(f"step {step:2d}  loss {loss.item():.4f}")
