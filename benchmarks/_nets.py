"""The two training workloads, each three ways: ndgrad's nn/optim API, ndgrad raw ops, NumPy.

* MLP: in-h-h-10, ReLU, softmax cross entropy (mean), plain SGD.
* CNN: conv3x3 (1 -> C, no padding), ReLU, max-pool 2, flatten, linear -> 10, CE, SGD.

The NumPy references are written by hand (forward, backward, update) in the same parameter
layout as the ndgrad path they are checked against: ``"torch"`` layout stores weights as
(out, in) like ``nn.Linear``/``nn.Conv2d``; ``"raw"`` layout stores them as (in, out) so the
raw-op path needs no transposes. The convolution reference is a naive im2col: nine shifted
slices stacked into columns, then one matmul.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from _common import lookup, ng

LR = 0.1


def nn_api_missing(conv: bool = False) -> list[str]:
    """The names of the nn/optim API this benchmark needs that ndgrad does not have yet."""
    nn = getattr(ng, "nn", None)
    F = getattr(nn, "functional", None)
    optim = getattr(ng, "optim", None)
    need = [("nn.Linear", nn, "Linear"), ("nn.functional.cross_entropy", F, "cross_entropy"),
            ("optim.SGD", optim, "SGD")]
    if conv:
        need += [("nn.Conv2d", nn, "Conv2d"), ("nn.functional.max_pool2d", F, "max_pool2d")]
    return [label for label, mod, name in need if getattr(mod, name, None) is None]


def _uniform(rng: np.random.Generator, shape: tuple, fan_in: int) -> np.ndarray:
    b = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-b, b, size=shape).astype(np.float32)


def _ce_numpy(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean softmax cross entropy and its gradient w.r.t. the logits."""
    n = z.shape[0]
    e = np.exp(z - z.max(1, keepdims=True))
    s = e.sum(1, keepdims=True)
    p = e / s
    rows = np.arange(n)
    loss = -np.log(p[rows, y]).mean()
    p[rows, y] -= 1
    p /= n
    return float(loss), p


def _ce_raw(z: ng.Tensor, onehot: ng.Tensor, n: int) -> ng.Tensor:
    """Softmax cross entropy from ng ops: a detached max shift, then log-sum-exp."""
    m = ng.tensor(z.detach().numpy().max(axis=1, keepdims=True))
    zs = z - m
    lse = ng.log(ng.exp(zs).sum(dim=1, keepdim=True))
    return (zs - lse).mul(onehot).sum() * (-1.0 / n)


def _maximum(a: ng.Tensor, b: ng.Tensor) -> ng.Tensor:
    op = lookup("maximum")
    return op(a, b) if op is not None else ng.where(a > b, a, b)


class NgNet:
    """An ndgrad model plus its step; ``params`` in the same order as the NumPy reference."""

    path: str
    params: list

    use_nn: bool
    opt: Any

    def loss(self) -> ng.Tensor:
        raise NotImplementedError

    def forward_backward(self) -> float:
        loss = self.loss()
        loss.backward()
        return loss.item()

    def step(self) -> float:
        if self.use_nn:
            self.opt.zero_grad()
            loss = self.loss()
            loss.backward()
            self.opt.step()
            return loss.item()
        loss = self.loss()
        loss.backward()
        with ng.no_grad():
            for p in self.params:
                p -= LR * p.grad
                p.cleargrad()
        return loss.item()

    def grads(self) -> list:
        return [p.grad for p in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.cleargrad()


# ------------------------------------------------------------------------------------ MLP
class NgMLP(NgNet):
    def __init__(self, sizes: tuple, x: np.ndarray, y: np.ndarray, use_nn: bool,
                 seed: int = 0) -> None:
        self.x, self.n = ng.tensor(x), x.shape[0]
        self.y = ng.tensor(y)
        self.use_nn = use_nn
        if use_nn:
            ng.manual_seed(seed)
            dims = zip(sizes[:-1], sizes[1:], strict=True)
            self.layers = [ng.nn.Linear(a, b) for a, b in dims]
            self.params = [p for lay in self.layers for p in (lay.weight, lay.bias)]
            self.opt = ng.optim.SGD(self.params, lr=LR)
            self.path = "nn.Linear + F.cross_entropy + optim.SGD"
        else:
            rng = np.random.default_rng(seed)
            self.params = []
            for a, b in zip(sizes[:-1], sizes[1:], strict=True):
                self.params += [ng.tensor(_uniform(rng, (a, b), a), requires_grad=True),
                                ng.tensor(_uniform(rng, (b,), a), requires_grad=True)]
            onehot = np.zeros((self.n, sizes[-1]), np.float32)
            onehot[np.arange(self.n), y] = 1
            self.onehot = ng.tensor(onehot)
            self.path = "raw ng ops (matmul, +bias, relu, ng-op CE, manual SGD)"

    def loss(self) -> ng.Tensor:
        if self.use_nn:
            h = self.x
            for i, lay in enumerate(self.layers):
                h = lay(h)
                if i < len(self.layers) - 1:
                    h = ng.nn.functional.relu(h)
            return ng.nn.functional.cross_entropy(h, self.y)
        h = self.x
        ps = self.params
        for i in range(0, len(ps), 2):
            h = ng.matmul(h, ps[i]) + ps[i + 1]
            if i < len(ps) - 2:
                h = ng.relu(h)
        return _ce_raw(h, self.onehot, self.n)


class NumpyMLP:
    """The same MLP by hand. ``torch_layout``: weights (out, in) as nn.Linear."""

    def __init__(self, params: list[np.ndarray], x: np.ndarray, y: np.ndarray,
                 torch_layout: bool) -> None:
        self.params = [p.copy() for p in params]
        self.x, self.y, self.t = x, y, torch_layout

    def grads(self) -> tuple[float, list]:
        ps, t = self.params, self.t
        acts = [self.x]
        masks = []
        h = self.x
        n_layers = len(ps) // 2
        for i in range(n_layers):
            w, b = ps[2 * i], ps[2 * i + 1]
            h = (h @ w.T if t else h @ w) + b
            if i < n_layers - 1:
                masks.append(h > 0)
                h = np.maximum(h, 0)
                acts.append(h)
        loss, g = _ce_numpy(h, self.y)
        grads: list = [None] * len(ps)
        for i in range(n_layers - 1, -1, -1):
            a, w = acts[i], ps[2 * i]
            grads[2 * i] = g.T @ a if t else a.T @ g
            grads[2 * i + 1] = g.sum(0)
            if i > 0:
                g = (g @ w if t else g @ w.T) * masks[i - 1]
        return loss, grads

    def step(self) -> float:
        loss, grads = self.grads()
        for p, g in zip(self.params, grads, strict=True):
            p -= LR * g
        return loss


def make_mlp(sizes: tuple = (784, 256, 256, 10), batch: int = 128,
             force_raw: bool = False) -> tuple[NgMLP, NumpyMLP]:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], size=batch)
    use_nn = not force_raw and not nn_api_missing()
    net = NgMLP(sizes, x, y, use_nn)
    ref = NumpyMLP([p.detach().numpy() for p in net.params], x, y, torch_layout=use_nn)
    return net, ref


# ------------------------------------------------------------------------------------ CNN
class NgCNN(NgNet):
    """conv3x3(1->C) -> ReLU -> maxpool 2 -> flatten -> linear(10) -> CE; SGD."""

    def __init__(self, x: np.ndarray, y: np.ndarray, channels: int, use_nn: bool,
                 seed: int = 0) -> None:
        n, cin, hgt, wid = x.shape
        assert cin == 1
        self.n, self.c = n, channels
        self.oh, self.ow = hgt - 2, wid - 2
        feat = channels * (self.oh // 2) * (self.ow // 2)
        self.x, self.y = ng.tensor(x), ng.tensor(y)
        self.use_nn = use_nn
        if use_nn:
            ng.manual_seed(seed)
            self.conv = ng.nn.Conv2d(1, channels, 3)
            self.fc = ng.nn.Linear(feat, 10)
            self.params = [self.conv.weight, self.conv.bias, self.fc.weight, self.fc.bias]
            self.opt = ng.optim.SGD(self.params, lr=LR)
            self.path = "nn.Conv2d + F.max_pool2d + nn.Linear + F.cross_entropy + optim.SGD"
        else:
            rng = np.random.default_rng(seed)
            self.params = [ng.tensor(a, requires_grad=True) for a in (
                _uniform(rng, (9, channels), 9), _uniform(rng, (channels,), 9),
                _uniform(rng, (feat, 10), feat), _uniform(rng, (10,), feat))]
            onehot = np.zeros((n, 10), np.float32)
            onehot[np.arange(n), y] = 1
            self.onehot = ng.tensor(onehot)
            self.path = ("raw ng ops (im2col by stacked slices + matmul, relu, max-pool by "
                         "strided slices, ng-op CE, manual SGD)")

    def loss(self) -> ng.Tensor:
        n = self.n
        if self.use_nn:
            F = ng.nn.functional
            h = F.max_pool2d(F.relu(self.conv(self.x)), 2)
            return F.cross_entropy(self.fc(h.reshape(n, -1)), self.y)
        wc, bc, wf, bf = self.params
        oh, ow, x = self.oh, self.ow, self.x
        cols = ng.stack([x[:, 0, i:i + oh, j:j + ow] for i in range(3) for j in range(3)],
                        dim=-1).reshape(n * oh * ow, 9)
        conv = (ng.matmul(cols, wc) + bc).reshape(n, oh, ow, self.c).permute(0, 3, 1, 2)
        r = ng.relu(conv)
        p = _maximum(_maximum(r[:, :, 0::2, 0::2], r[:, :, 0::2, 1::2]),
                     _maximum(r[:, :, 1::2, 0::2], r[:, :, 1::2, 1::2]))
        z = ng.matmul(p.reshape(n, -1), wf) + bf
        return _ce_raw(z, self.onehot, n)


class NumpyCNN:
    """The same CNN by hand with a naive im2col (nine shifted slices stacked, one matmul)."""

    def __init__(self, params: list[np.ndarray], x: np.ndarray, y: np.ndarray,
                 torch_layout: bool) -> None:
        self.params = [p.copy() for p in params]
        self.x, self.y, self.t = x, y, torch_layout

    def grads(self) -> tuple[float, list]:
        wc, bc, wf, bf = self.params
        x, t = self.x, self.t
        n, _, hgt, wid = x.shape
        oh, ow = hgt - 2, wid - 2
        c = bc.shape[0]
        ph, pw = oh // 2, ow // 2
        w9 = wc.reshape(c, 9).T if t else wc  # (9, C)
        cols = np.stack([x[:, 0, i:i + oh, j:j + ow] for i in range(3) for j in range(3)],
                        axis=-1).reshape(n * oh * ow, 9)
        conv = (cols @ w9 + bc).reshape(n, oh, ow, c).transpose(0, 3, 1, 2)
        r6 = np.maximum(conv, 0).reshape(n, c, ph, 2, pw, 2)
        p = r6.max(axis=(3, 5))
        f = p.reshape(n, -1)
        z = (f @ wf.T if t else f @ wf) + bf
        loss, dz = _ce_numpy(z, self.y)
        dwf = dz.T @ f if t else f.T @ dz
        dbf = dz.sum(0)
        dp = (dz @ wf if t else dz @ wf.T).reshape(n, c, ph, 1, pw, 1)
        dr = ((r6 == p[:, :, :, None, :, None]) * dp).reshape(n, c, oh, ow)
        dconv = (dr * (conv > 0)).transpose(0, 2, 3, 1).reshape(n * oh * ow, c)
        dw9 = cols.T @ dconv
        dwc = dw9.T.reshape(wc.shape) if t else dw9
        return loss, [dwc, dconv.sum(0), dwf, dbf]

    step = NumpyMLP.step


def make_cnn(batch: int = 32, size: int = 28, channels: int = 8,
             force_raw: bool = False) -> tuple[NgCNN, NumpyCNN]:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((batch, 1, size, size)).astype(np.float32)
    y = rng.integers(0, 10, size=batch)
    use_nn = not force_raw and not nn_api_missing(conv=True)
    net = NgCNN(x, y, channels, use_nn)
    ref = NumpyCNN([p.detach().numpy() for p in net.params], x, y, torch_layout=use_nn)
    return net, ref


def check_net(name: str, net: NgNet, ref: Any, rtol: float = 2e-3, atol: float = 1e-5) -> None:
    """ndgrad's loss and gradients equal the NumPy reference's (before any timing)."""
    from _common import check_close

    loss = net.forward_backward()
    want_loss, want = ref.grads()
    np.testing.assert_allclose(loss, want_loss, rtol=1e-4, err_msg=f"{name}: loss")
    check_close(f"{name} grads", net.grads(), want, rtol, atol)
    net.zero_grad()
