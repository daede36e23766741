"""Seed: dezero-tensor-backprop.ja.txt: backprop through tensors of any rank: add, reshape,
transpose, sum (broadcast back), matmul and a two-output split."""

import numpy as np

import ndgrad as ng

x = ng.tensor(np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float64), requires_grad=True)
y = ng.tensor(np.array([[10, 20, 30], [40, 50, 60]], dtype=np.float64), requires_grad=True)
z = x + y
z.backward(ng.ones_like(z))
print("add:", z, x.grad, y.grad, sep="\n")

x = ng.tensor(np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float64), requires_grad=True)
y = x.reshape((6,))
y.backward(ng.ones_like(y))
print("reshape:", y, x.grad, sep="\n")

x = ng.tensor(np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float64), requires_grad=True)
y = x.T
y.backward(ng.ones_like(y))
print("transpose:", y, x.grad, sep="\n")

x = ng.tensor(np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float64), requires_grad=True)
y = x.sum()
y.backward()
print("sum:", y, x.grad, sep="\n")

x = ng.randn(2, 3, dtype=ng.float64, requires_grad=True)
W = ng.randn(3, 4, dtype=ng.float64, requires_grad=True)
y = ng.matmul(x, W)
y.backward(ng.ones_like(y))
print("matmul shapes:", x.grad.shape, W.grad.shape)

x = ng.tensor(np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float64), requires_grad=True)
y, z = ng.split(x, 1, dim=0)  # DeZero's Separate: two outputs
w = y + z
w.backward(ng.ones_like(w))
print("separate:", y, z, w, x.grad, sep="\n")
