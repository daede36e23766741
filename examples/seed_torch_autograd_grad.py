"""Seed: torch-autograd-grad.ja.txt: autograd.grad with grad_outputs, retain_graph,
create_graph and allow_unused; the errors shown; partial derivatives on a meshgrid."""

import ndgrad as ng
from ndgrad import autograd

x = ng.linspace(0, 1, 100, requires_grad=True)
y = x ** 3 + 2 * x ** 2 + 3 * x + 1
z = x ** 2 + 2 * x + 3
y_autograd = autograd.grad(y, x, grad_outputs=ng.ones_like(x))
print(y_autograd[0][:3])  # 3.0000, 3.0407, ...
try:
    autograd.grad(y, x, grad_outputs=ng.ones_like(x))
except RuntimeError as e:
    print("second call without retain_graph:", str(e)[:60], "...")
z_autograd = autograd.grad(z, x, grad_outputs=ng.ones_like(x))
print(z_autograd[0][:3])  # 2.0000, 2.0202, ...
try:
    autograd.grad(y_autograd[0], x, grad_outputs=ng.ones_like(x))
except RuntimeError as e:
    print("no create_graph:", e)

y = x ** 3 + 2 * x ** 2 + 3 * x + 1
(dy,) = autograd.grad(y, x, grad_outputs=ng.ones_like(x), create_graph=True)
(d2y,) = autograd.grad(dy, x, grad_outputs=ng.ones_like(x))
print("second derivative 6x + 4:", d2y[:3])

x = ng.linspace(0, 1, 100, requires_grad=True)
y = ng.linspace(2, 1, 100, requires_grad=True)
X, Y = ng.meshgrid(x, y, indexing="xy")
X, Y = X.reshape(-1), Y.reshape(-1)
z = (X ** 2) * Y + 2 * X * (Y ** 3)
z_xy_auto = autograd.grad(z, [X, Y], grad_outputs=ng.ones_like(z), retain_graph=True)
print("dz/dX:", z_xy_auto[0][:2], z_xy_auto[0][-2:])  # 16.0000, 16.0404 ... 3.9798, 4.0000
print("dz/dY:", z_xy_auto[1][:2], z_xy_auto[1][-2:])  # 0.0000, 0.2425 ... 6.9193, 7.0000

u = ng.tensor([3.0], requires_grad=True)
s = (x * 2).sum()
print("allow_unused:", autograd.grad(s, [x, u], allow_unused=True)[1])
