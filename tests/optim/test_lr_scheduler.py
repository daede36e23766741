"""Learning-rate schedules against their closed forms."""

from __future__ import annotations

import math

import pytest

import ndgrad as ng
from ndgrad import optim
from ndgrad.optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, StepLR


def make_opt(lr=0.5):
    p = ng.tensor([1.0], requires_grad=True)
    return optim.SGD([{"params": [p]}, {"params": [ng.tensor([1.0], requires_grad=True)],
                                        "lr": lr * 2}], lr=lr)


def lrs(sched, n):
    out = [sched.get_last_lr()]
    for _ in range(n):
        sched.optimizer.step()
        sched.step()
        out.append(sched.get_last_lr())
    return out


def test_step_lr():
    opt = make_opt()
    got = lrs(StepLR(opt, step_size=3, gamma=0.5), 10)
    for e, pair in enumerate(got):
        assert pair == pytest.approx([0.5 * 0.5 ** (e // 3), 1.0 * 0.5 ** (e // 3)], rel=1e-12)
    assert opt.param_groups[0]["lr"] == got[-1][0]


def test_exponential_lr():
    got = lrs(ExponentialLR(make_opt(), gamma=0.9), 5)
    for e, pair in enumerate(got):
        assert pair == pytest.approx([0.5 * 0.9 ** e, 1.0 * 0.9 ** e], rel=1e-12)


@pytest.mark.parametrize("eta_min", [0.0, 0.05])
def test_cosine_annealing_matches_closed_form(eta_min):
    t_max = 7
    got = lrs(CosineAnnealingLR(make_opt(), T_max=t_max, eta_min=eta_min), 2 * t_max)
    for e, pair in enumerate(got):
        want = [eta_min + (base - eta_min) * (1 + math.cos(math.pi * e / t_max)) / 2
                for base in (0.5, 1.0)]
        assert pair == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_scheduler_step_with_epoch_and_state_dict():
    s = CosineAnnealingLR(make_opt(), T_max=10)
    s.step(4)
    assert s.get_last_lr()[0] == pytest.approx(0.5 * (1 + math.cos(math.pi * 4 / 10)) / 2)
    sd = s.state_dict()
    assert "optimizer" not in sd and sd["last_epoch"] == 4
    s2 = CosineAnnealingLR(make_opt(), T_max=10)
    s2.load_state_dict(sd)
    assert s2.last_epoch == 4 and s2.base_lrs == [0.5, 1.0]


def _resumed(cls, **kw):
    w = ng.nn.Parameter(ng.tensor([1.0]))
    opt = optim.SGD([w], lr=0.5)
    opt.param_groups[0]["initial_lr"] = 1.0
    return opt, cls(opt, last_epoch=3, **kw)


def test_cosine_resumed_keeps_the_lr_then_steps_recursively():
    # PyTorch's constructor step keeps the group's lr when resuming (its _is_initial), and
    # later steps scale it by the ratio of consecutive cosine factors
    opt, s = _resumed(CosineAnnealingLR, T_max=10)
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(2):
        s.step()
        lrs.append(opt.param_groups[0]["lr"])
    f = [1 + math.cos(math.pi * e / 10) for e in range(7)]
    want = [0.5, 0.5 * f[5] / f[4], 0.5 * f[5] / f[4] * f[6] / f[5]]
    assert lrs == pytest.approx(want, rel=1e-12)
    assert s.last_epoch == 6
    assert s.state_dict()["_is_initial"] is False


def test_exponential_resumed_keeps_the_lr_then_multiplies():
    opt, s = _resumed(ExponentialLR, gamma=0.9)
    assert opt.param_groups[0]["lr"] == 0.5
    s.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.45)
