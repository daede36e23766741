"""Optimizer trajectories against NumPy implementations of PyTorch's documented updates."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad as ng
from ndgrad import optim

A = np.array([[3.0, 0.5, 0.0], [0.5, 2.0, 0.3], [0.0, 0.3, 1.0]])
B = np.array([1.0, -2.0, 0.5])


def grad_np(x):
    """Gradient of the quadratic 0.5 x^T A x - b^T x + 0.1 sum(x^4)."""
    return A @ x - B + 0.4 * x ** 3


def loss_ng(p):
    a, b = ng.tensor(A), ng.tensor(B)
    return 0.5 * (p * (a @ p)).sum() - (b * p).sum() + 0.1 * (p ** 4).sum()


def run_ng(cls, steps=6, **kw):
    p = ng.tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    opt = cls([p], **kw)
    traj = []
    for _ in range(steps):
        opt.zero_grad()
        loss_ng(p).backward()
        opt.step()
        traj.append(p.detach().numpy().copy())
    return np.array(traj), opt, p


def sgd_np(steps, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
           maximize=False):
    x = np.array([0.5, -1.0, 2.0])
    buf, out = None, []
    for _ in range(steps):
        g = grad_np(x)
        g = -g if maximize else g
        g = g + weight_decay * x
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        x = x - lr * g
        out.append(x.copy())
    return np.array(out)


def adam_np(steps, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
            decoupled=False, maximize=False):
    x = np.array([0.5, -1.0, 2.0])
    m = np.zeros(3)
    v = np.zeros(3)
    vmax = np.zeros(3)
    out = []
    for t in range(1, steps + 1):
        g = grad_np(x)
        g = -g if maximize else g
        if decoupled:
            x = x * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * x
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        mhat = m / (1 - betas[0] ** t)
        if amsgrad:
            vmax = np.maximum(vmax, v)
            vhat = vmax / (1 - betas[1] ** t)
        else:
            vhat = v / (1 - betas[1] ** t)
        x = x - lr * mhat / (np.sqrt(vhat) + eps)
        out.append(x.copy())
    return np.array(out)


def rmsprop_np(steps, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
               centered=False):
    x = np.array([0.5, -1.0, 2.0])
    s = np.zeros(3)
    gavg = np.zeros(3)
    buf = np.zeros(3)
    out = []
    for _ in range(steps):
        g = grad_np(x) + weight_decay * x
        s = alpha * s + (1 - alpha) * g * g
        if centered:
            gavg = alpha * gavg + (1 - alpha) * g
            avg = np.sqrt(s - gavg ** 2) + eps
        else:
            avg = np.sqrt(s) + eps
        if momentum:
            buf = momentum * buf + g / avg
            x = x - lr * buf
        else:
            x = x - lr * g / avg
        out.append(x.copy())
    return np.array(out)


def adagrad_np(steps, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
               eps=1e-10):
    x = np.array([0.5, -1.0, 2.0])
    s = np.full(3, initial_accumulator_value)
    out = []
    for t in range(1, steps + 1):
        g = grad_np(x) + weight_decay * x
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g
        x = x - clr * g / (np.sqrt(s) + eps)
        out.append(x.copy())
    return np.array(out)


@pytest.mark.parametrize("kw", [{"lr": 0.05}, {"lr": 0.05, "momentum": 0.9},
                                {"lr": 0.05, "momentum": 0.9, "dampening": 0.3},
                                {"lr": 0.05, "momentum": 0.8, "nesterov": True},
                                {"lr": 0.05, "weight_decay": 0.1, "momentum": 0.5},
                                {"lr": 0.01, "maximize": True}])
def test_sgd(kw):
    got, _, _ = run_ng(optim.SGD, **kw)
    np.testing.assert_allclose(got, sgd_np(6, **kw), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kw", [{}, {"lr": 0.1}, {"lr": 0.1, "amsgrad": True},
                                {"lr": 0.05, "weight_decay": 0.1},
                                {"lr": 0.05, "betas": (0.5, 0.9), "eps": 1e-3},
                                {"lr": 0.05, "maximize": True}])
def test_adam(kw):
    got, _, _ = run_ng(optim.Adam, **kw)
    np.testing.assert_allclose(got, adam_np(6, **kw), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kw", [{"lr": 0.1}, {"lr": 0.1, "weight_decay": 0.5, "amsgrad": True}])
def test_adamw(kw):
    got, _, _ = run_ng(optim.AdamW, **kw)
    want = adam_np(6, decoupled=True, **{"weight_decay": 1e-2, **kw})
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kw", [{}, {"lr": 0.05, "alpha": 0.9}, {"centered": True},
                                {"momentum": 0.9, "weight_decay": 0.1},
                                {"centered": True, "momentum": 0.5, "eps": 1e-4}])
def test_rmsprop(kw):
    got, _, _ = run_ng(optim.RMSprop, **kw)
    np.testing.assert_allclose(got, rmsprop_np(6, **kw), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kw", [{}, {"lr": 0.1, "lr_decay": 0.5},
                                {"initial_accumulator_value": 0.3, "weight_decay": 0.2}])
def test_adagrad(kw):
    got, _, _ = run_ng(optim.Adagrad, **kw)
    np.testing.assert_allclose(got, adagrad_np(6, **kw), rtol=1e-12, atol=1e-14)


def test_param_groups_zero_grad_and_errors():
    a = ng.tensor([1.0], requires_grad=True)
    b = ng.tensor([1.0], requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    (a * 2 + b * 2).sum().backward()
    opt.step()
    np.testing.assert_allclose([a.item(), b.item()], [1 - 0.2, 1 - 1.0])
    opt.zero_grad(set_to_none=False)
    assert a.grad.item() == 0
    opt.zero_grad()
    assert a.grad is None
    c = ng.tensor([0.0], requires_grad=True)
    opt.add_param_group({"params": c, "momentum": 0.9})
    assert opt.param_groups[2]["lr"] == 0.1 and opt.param_groups[2]["momentum"] == 0.9
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError):
        optim.Adam([a], lr=-1)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([a], lr=0.1, nesterov=True)


@pytest.mark.parametrize("cls,kw", [(optim.SGD, {"lr": 0.05, "momentum": 0.9}),
                                    (optim.Adam, {"lr": 0.1, "amsgrad": True}),
                                    (optim.RMSprop, {"centered": True, "momentum": 0.5}),
                                    (optim.Adagrad, {"lr_decay": 0.1})])
def test_optimizer_state_dict_resume_through_save_load(cls, kw, tmp_path):
    # 3 steps, save, load into a fresh optimizer, 3 more steps == 6 uninterrupted steps
    full, _, _ = run_ng(cls, steps=6, **kw)
    first, opt, p = run_ng(cls, steps=3, **kw)
    path = tmp_path / "opt.npz"
    ng.save({"opt": opt.state_dict(), "p": p.detach()}, path)
    loaded = ng.load(path)
    p2 = ng.tensor(loaded["p"].numpy().copy(), requires_grad=True)
    opt2 = cls([p2], **{**kw, "lr": 123.0})  # hyper-parameters come back from the state too
    opt2.load_state_dict(loaded["opt"])
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    rest = []
    for _ in range(3):
        opt2.zero_grad()
        loss_ng(p2).backward()
        opt2.step()
        rest.append(p2.detach().numpy().copy())
    np.testing.assert_allclose(np.concatenate([first, rest]), full, rtol=1e-12)


def test_state_dict_layout():
    _, opt, p = run_ng(optim.Adam, steps=2, lr=0.1)
    sd = opt.state_dict()
    assert list(sd["state"]) == [0]
    assert sd["state"][0]["step"] == 2
    assert sd["param_groups"][0]["params"] == [0]
    assert sd["param_groups"][0]["betas"] == (0.9, 0.999)


def test_sgd_plain_fast_path_matches_general_update():
    rng = np.random.default_rng(7)
    a, b, c = (ng.tensor(rng.standard_normal(s), requires_grad=True) for s in [(3, 2), (2,), (4,)])
    a0, b0, c0 = (t.detach().numpy().copy() for t in (a, b, c))
    ga, gc = rng.standard_normal((3, 2)), rng.standard_normal(4)
    a.grad, c.grad = ng.tensor(ga), ng.tensor(gc)  # b has no gradient: left alone
    opt = optim.SGD([{"params": [a, b]}, {"params": [c], "momentum": 0.5}], lr=0.1)
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), a0 - 0.1 * ga)
    np.testing.assert_array_equal(b.detach().numpy(), b0)
    np.testing.assert_allclose(c.detach().numpy(), c0 - 0.1 * gc)  # first momentum step
    assert c in opt.state and a not in opt.state
    # a closure still runs with grad enabled and its value is returned
    seen = []
    assert opt.step(lambda: seen.append(ng.is_grad_enabled()) or 1.5) == 1.5
    assert seen == [True]


def test_param_groups_carry_pytorchs_implementation_keys():
    w = ng.nn.Parameter(ng.ones(2))
    keys = {
        optim.SGD: {"foreach", "differentiable", "fused"},
        optim.Adam: {"foreach", "differentiable", "fused", "capturable",
                     "decoupled_weight_decay"},
        optim.AdamW: {"foreach", "differentiable", "fused", "capturable",
                      "decoupled_weight_decay"},
        optim.RMSprop: {"foreach", "differentiable", "capturable"},
        optim.Adagrad: {"foreach", "differentiable", "fused"},
    }
    for cls, want in keys.items():
        group = cls([w], lr=0.1).param_groups[0]
        assert want <= set(group), cls.__name__
        assert group["differentiable"] is False
    assert optim.AdamW([w]).param_groups[0]["decoupled_weight_decay"] is True
    assert optim.Adam([w]).param_groups[0]["decoupled_weight_decay"] is False
    with pytest.raises(NotImplementedError, match="differentiable"):
        optim.SGD([w], lr=0.1, differentiable=True)


def test_adam_decoupled_weight_decay_is_adamw():
    a, b = (ng.nn.Parameter(ng.tensor([1.0, -2.0], dtype=ng.float64)) for _ in range(2))
    oa = optim.Adam([a], lr=0.1, weight_decay=0.1, decoupled_weight_decay=True)
    ob = optim.AdamW([b], lr=0.1, weight_decay=0.1)
    for _ in range(3):
        for p, o in ((a, oa), (b, ob)):
            o.zero_grad()
            (p * p).sum().backward()
            o.step()
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
