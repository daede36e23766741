"""An optimizer step writes its parameters in place, so it bumps their version counters as
``p.sub_(...)`` would: a graph that saved a parameter before the step refuses to run on the
new values (PyTorch raises the same error), and graphs built after the step run normally."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad as ng
from ndgrad import optim

OPTIMIZERS = {
    "sgd": lambda ps: optim.SGD(ps, lr=0.1),
    "sgd_momentum": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    "sgd_closure": lambda ps: optim.SGD(ps, lr=0.1),
    "adam": lambda ps: optim.Adam(ps, lr=0.1),
    "adamw": lambda ps: optim.AdamW(ps, lr=0.1),
    "rmsprop": lambda ps: optim.RMSprop(ps, lr=0.1),
    "adagrad": lambda ps: optim.Adagrad(ps, lr=0.1),
}


def _setup():
    w = ng.nn.Parameter(ng.tensor([1.0, 2.0]))
    x = ng.tensor([3.0, 4.0], requires_grad=True)
    loss = (w * x).sum()  # mul saves w for x's gradient
    loss.backward(retain_graph=True)
    return w, x, loss


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_step_invalidates_graphs_that_saved_the_parameter(name):
    w, x, loss = _setup()
    opt = OPTIMIZERS[name]([w])
    before = w.detach().numpy().copy()
    if name == "sgd_closure":
        opt.step(lambda: None)
    else:
        opt.step()
    assert not np.array_equal(w.detach().numpy(), before)  # the step did write w
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_graphs_built_after_the_step_run(name):
    w, x, _ = _setup()
    opt = OPTIMIZERS[name]([w])
    opt.step()
    x.grad = None
    (w * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), w.detach().numpy())
