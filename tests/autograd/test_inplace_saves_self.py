"""In-place ops whose rule needs the original ``self`` (``x *= w`` for w's gradient,
``x.pow_(c)``, ``x.clamp_``): the node keeps a copy of the values ``self`` had, with its place
in the graph, as PyTorch saves ``original_self``. Each in-place chain must give the gradients
of the same chain written out of place, to every order."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad as ng
from ndgrad.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(7)

# name -> (in-place step on h, the same step out of place); h = x * 1 is a non-leaf
CASES = {
    "imul_w": (lambda h, w: h.__imul__(w), lambda h, w: h * w),
    "mul_self": (lambda h, w: h.mul_(h), lambda h, w: h * h),
    "pow_2": (lambda h, w: h.pow_(2), lambda h, w: h ** 2),
    "pow_3": (lambda h, w: h.pow_(3.0), lambda h, w: h ** 3.0),
    "pow_w": (lambda h, w: h.pow_(w), lambda h, w: h ** w),
    "clamp": (lambda h, w: h.clamp_(0.2, 0.8), lambda h, w: h.clamp(0.2, 0.8)),
    "div_w": (lambda h, w: h.div_(w), lambda h, w: h / w),
}


def _inputs():
    x = ng.tensor(RNG.uniform(0.1, 1.0, (3, 4)), requires_grad=True)
    w = ng.tensor(RNG.uniform(0.5, 1.5, (3, 4)), requires_grad=True)
    return x, w


@pytest.mark.parametrize("name", sorted(CASES))
def test_inplace_matches_out_of_place(name):
    inplace, outplace = CASES[name]
    x, w = _inputs()
    h = x * 1
    y = inplace(h, w)
    assert y is h
    gx, gw = ng.autograd.grad((h * h).sum(), (x, w), allow_unused=True)
    x2 = ng.tensor(x.detach().numpy(), requires_grad=True)
    w2 = ng.tensor(w.detach().numpy(), requires_grad=True)
    r = outplace(x2 * 1, w2)
    ex, ew = ng.autograd.grad((r * r).sum(), (x2, w2), allow_unused=True)
    np.testing.assert_allclose(gx.detach().numpy(), ex.detach().numpy(), rtol=1e-12)
    if ew is None:
        assert gw is None
    else:
        np.testing.assert_allclose(gw.detach().numpy(), ew.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_inplace_gradcheck_first_and_second_order(name):
    inplace, _ = CASES[name]

    def f(x, w):
        h = x * 1
        inplace(h, w)
        return h * h

    x, w = _inputs()
    assert gradcheck(f, (x, w))
    assert gradgradcheck(f, (x, w))


def test_the_saved_copy_is_taken_only_when_self_was_saved():
    x, w = _inputs()
    h = x * 1
    h.add_(w)  # add saves nothing: no copy, nothing to keep
    assert h.grad_fn._saved in ((), None) or not any(e is h for e in h.grad_fn._saved)
    h.mul_(w)  # mul saved h for w's gradient: the node now holds a copy of the old values
    saved = h.grad_fn._saved
    assert not any(e is h for e in saved)
    want = x.detach().numpy() + w.detach().numpy()
    np.testing.assert_array_equal(saved[0].detach().numpy(), want)
