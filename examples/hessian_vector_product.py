"""Hessian-vector products by double backward (Pearlmutter's trick): grad of <grad f, v>.

Checked against the explicit Hessian of f(w) = sum(log(1 + exp(X w))) / n + 0.5 * lam * |w|^2,
H = X^T diag(s (1 - s)) X / n + lam I, and against finite differences of the gradient.
"""

import numpy as np

import ndgrad as ng

rng = np.random.default_rng(0)
X = rng.standard_normal((50, 6))
lam = 0.1
w = ng.tensor(rng.standard_normal(6), requires_grad=True)
v = ng.tensor(rng.standard_normal(6))
Xt = ng.tensor(X)


def f(w):
    z = Xt @ w
    return (ng.relu(z) + ng.log1p(ng.exp(-ng.abs(z)))).mean() + 0.5 * lam * (w * w).sum()


(g,) = ng.autograd.grad(f(w), w, create_graph=True)  # keep the graph of the gradient
(hv,) = ng.autograd.grad((g * v).sum(), w)           # d/dw <grad f(w), v> = H v
print("Hv (double backward):", hv.numpy())

s = 1 / (1 + np.exp(-X @ w.detach().numpy()))
H = X.T @ (X * (s * (1 - s))[:, None]) / len(X) + lam * np.eye(6)
print("Hv (explicit Hessian):", H @ v.numpy())
print("max abs difference:", np.abs(hv.numpy() - H @ v.numpy()).max())


def grad_at(wv):
    t = ng.tensor(wv, requires_grad=True)
    return ng.autograd.grad(f(t), t)[0].numpy()


eps = 1e-6
fd = (grad_at(w.detach().numpy() + eps * v.numpy()) -
      grad_at(w.detach().numpy() - eps * v.numpy())) / (2 * eps)
print("finite differences agree:", np.allclose(fd, hv.numpy(), rtol=1e-5, atol=1e-8))
