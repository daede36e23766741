"""In-place ops: version counters, the leaf rule, history rebase."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad as ng

LEAF = "a leaf Variable that requires grad is being used in an in-place operation."


def test_leaf_inplace_raises_but_allowed_under_no_grad():
    w = ng.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="^" + LEAF + "$"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="^" + LEAF + "$"):
        w *= 2
    with ng.no_grad():
        w -= 0.5
    assert w.tolist() == [0.5, 1.5] and w.is_leaf and w.requires_grad


def test_inplace_on_nonleaf_rebases_history():
    x = ng.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.mul_(3)
    assert type(h.grad_fn).__name__ == "MulBackward0"
    h.sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]


def test_version_counter_increments():
    t = ng.tensor([1.0])
    v0 = t._base_version
    t.add_(1)
    t.zero_()
    assert t._base_version == v0 + 2 and t.tolist() == [0.0]


def test_detach_shares_version_and_storage():
    x = ng.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y.exp()
    d = z.detach()
    d.zero_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_setitem_differentiable_wrt_value():
    x = ng.zeros(4, dtype=np.float64)
    v = ng.tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    x[1:3] = v * 3
    assert x.tolist() == [0.0, 3.0, 6.0, 0.0] and x.requires_grad
    (x * ng.tensor([1.0, 2.0, 3.0, 4.0], dtype=np.float64)).sum().backward()
    assert v.grad.tolist() == [6.0, 9.0]


def test_inplace_dtype_error():
    t = ng.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        t.add_(0.5)


def test_copy_and_fill():
    x = ng.tensor([1.0, 2.0], requires_grad=True)
    buf = ng.zeros(2)
    buf.copy_(x * 2)
    buf.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    buf2 = ng.zeros(3)
    buf2.fill_(7)
    assert buf2.tolist() == [7.0, 7.0, 7.0]


def test_views_share_the_version_counter():
    x = ng.tensor([1.0, 2.0, 3.0])
    w = ng.tensor([1.0, 1.0, 1.0], requires_grad=True)
    y = w * x  # saves x
    v = x[1:]  # a basic-index view of x
    v.add_(1)  # no graph involved in the view itself: allowed, and seen by x
    assert x.tolist() == [1.0, 3.0, 4.0]
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_inplace_on_a_view_with_history_is_refused():
    x = ng.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    for view in (h[0], h.reshape(2, 1), h.T):
        with pytest.raises(RuntimeError, match="in-place operation on a view"):
            view.mul_(3)
    with pytest.raises(RuntimeError, match="in-place operation on a view"):
        h[0][...] = 5.0
    c = h[0].clone()
    c.mul_(3)  # a copy is fine
    h[0] = ng.tensor(7.0)  # writing into the base records the history
    h.sum().backward()
    assert x.grad.tolist() == [0.0, 2.0]


def test_detach_in_place_refuses_views():
    x = ng.ones(3, requires_grad=True)
    y = x * 1
    with pytest.raises(RuntimeError, match="Can't detach views in-place"):
        y[1:].detach_()
    with pytest.raises(RuntimeError, match="Can't detach views in-place"):
        y.reshape(3, 1).detach_()
    z = x * 2  # not a view: detached in place
    assert z.detach_() is z and not z.requires_grad and z.grad_fn is None
