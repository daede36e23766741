"""Seed: chainer-grad-accumulation.ja.txt: backward() accumulates into .grad, cleargrad()
resets it, and chainer.grad (ng.grad) with set_grad / retain_grad on the minimal path."""

import numpy as np

import ndgrad as ng

x = ng.tensor(np.array([1], dtype=np.float32), requires_grad=True)
y = 2 * x
y.backward()
print(x.grad)  # [2.]
y.backward()
print(x.grad)  # [4.] : accumulated
x.cleargrad()
y.backward()
print(x.grad)  # [2.]

x0 = ng.tensor(np.array([0, 1], dtype=np.float32), requires_grad=True)
x1 = ng.tensor(np.array([2, 3], dtype=np.float32), requires_grad=True)
y = 2 * x0 + 3 * x1
z = 2 * y
print("1:", ng.grad([z], [x0]), x0.grad)  # [4., 4.], None
print("2:", ng.grad([z], [x0, x1]))  # [4., 4.], [6., 6.]
print("3:", ng.grad([y], [x0]))  # [2., 2.]
print("4:", ng.grad([z], [x0], set_grad=True), x0.grad)  # [4., 4.] and x0.grad = [4., 4.]
x0.cleargrad()
print("5:", ng.grad([z], [x0], retain_grad=True), y.grad, x0.grad)  # [4, 4], y.grad [2, 2]
