"""Property tests (hypothesis) for the shape and join family: random shapes, dims, sizes.

Values are compared with NumPy; gradients with the NumPy adjoint of the rearrangement."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import ndgrad as ng

shapes = st.lists(st.integers(1, 3), min_size=1, max_size=4).map(tuple)


def _grad(fn, a, w):
    x = ng.tensor(a, requires_grad=True)
    out = fn(x)
    (out * ng.tensor(w)).sum().backward()
    return out.detach().numpy(), x.grad.numpy()


@given(shapes, st.randoms(use_true_random=False))
def test_permute_then_inverse_is_identity_with_gradient(shape, r):
    dims = list(range(len(shape)))
    r.shuffle(dims)
    inv = [dims.index(i) for i in range(len(shape))]
    a = np.random.default_rng(0).standard_normal(shape)
    x = ng.tensor(a, requires_grad=True)
    y = x.permute(*dims)
    np.testing.assert_array_equal(y.detach().numpy(), a.transpose(dims))
    z = y.permute(inv)
    np.testing.assert_array_equal(z.detach().numpy(), a)
    w = np.random.default_rng(1).standard_normal(shape)
    (z * ng.tensor(w)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), w)


@given(shapes, st.data())
def test_split_then_cat_roundtrip(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[dim]
    cuts = sorted(data.draw(st.lists(st.integers(0, n), max_size=3)))
    sizes = [b - a for a, b in zip([0] + cuts, cuts + [n])]
    a = np.random.default_rng(0).standard_normal(shape)
    w = np.random.default_rng(1).standard_normal(shape)
    x = ng.tensor(a, requires_grad=True)
    parts = ng.split(x, sizes, dim)
    for p, q in zip(parts, np.split(a, cuts, axis=dim)):
        np.testing.assert_array_equal(p.detach().numpy(), q)
    y = ng.cat(list(parts), dim)
    np.testing.assert_array_equal(y.detach().numpy(), a)
    (y * ng.tensor(w)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), w)


@given(shapes, st.integers(1, 4), st.integers(-4, 3))
def test_chunk_and_unbind_match_numpy(shape, chunks, dim):
    dim = dim % len(shape)
    a = np.random.default_rng(0).standard_normal(shape)
    n = shape[dim]
    size = -(-n // chunks)
    want = np.split(a, list(range(size, n, size)), axis=dim)
    got = ng.chunk(ng.tensor(a), chunks, dim)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g.numpy(), w)
    x = ng.tensor(a, requires_grad=True)
    ng.stack(x.unbind(dim), dim).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(shape))


@given(shapes, st.randoms(use_true_random=False))
def test_random_reshape_values_and_grad(shape, r):
    numel = int(np.prod(shape))
    factors = [d for d in range(1, numel + 1) if numel % d == 0]
    first = r.choice(factors)
    new = (first, -1) if r.random() < 0.5 else (first, numel // first, 1)
    a = np.random.default_rng(0).standard_normal(shape)
    want = a.reshape(new)
    w = np.random.default_rng(1).standard_normal(want.shape)
    out, g = _grad(lambda x: x.reshape(new), a, w)
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(g, w.reshape(shape))


@given(shapes, st.lists(st.integers(0, 3), min_size=0, max_size=5))
def test_repeat_and_tile_match_numpy_and_sum_grads(shape, reps):
    reps = tuple(reps) + (1,) * max(0, len(shape) - len(reps))  # repeat needs >= ndim sizes
    a = np.random.default_rng(0).standard_normal(shape)
    want = np.tile(a, reps)
    w = np.random.default_rng(1).standard_normal(want.shape)
    out, g = _grad(lambda x: x.repeat(*reps), a, w)
    np.testing.assert_array_equal(out, want)
    full = (1,) * (len(reps) - len(shape)) + shape
    inter = tuple(d for r, s in zip(reps, full) for d in (r, s))
    g_want = w.reshape(inter).sum(axis=tuple(range(0, 2 * len(full), 2))).reshape(shape)
    np.testing.assert_allclose(g, g_want, atol=1e-12)
    out2, _ = _grad(lambda x: ng.tile(x, reps[-2:] or (1,)), a, np.tile(a, reps[-2:] or (1,)))
    np.testing.assert_array_equal(out2, np.tile(a, reps[-2:] or (1,)))


@given(shapes, st.data())
def test_flip_roll_swapaxes_moveaxis(shape, data):
    nd = len(shape)
    dims = tuple(sorted(set(data.draw(st.lists(st.integers(0, nd - 1), min_size=1)))))
    shift = data.draw(st.integers(-5, 5))
    d0, d1 = data.draw(st.integers(-nd, nd - 1)), data.draw(st.integers(-nd, nd - 1))
    a = np.random.default_rng(0).standard_normal(shape)
    w = np.random.default_rng(1).standard_normal(shape)
    out, g = _grad(lambda x: x.flip(dims), a, w)
    np.testing.assert_array_equal(out, np.flip(a, dims))
    np.testing.assert_array_equal(g, np.flip(w, dims))
    out, g = _grad(lambda x: x.roll(shift, d0), a, w)
    np.testing.assert_array_equal(out, np.roll(a, shift, d0))
    np.testing.assert_array_equal(g, np.roll(w, -shift, d0))
    out, g = _grad(lambda x: x.roll(shift), a, w)
    np.testing.assert_array_equal(out, np.roll(a, shift))
    ws = np.swapaxes(w, d0, d1)
    out, g = _grad(lambda x: x.swapaxes(d0, d1), a, ws)
    np.testing.assert_array_equal(out, np.swapaxes(a, d0, d1))
    np.testing.assert_array_equal(g, w)
    wm = np.moveaxis(w, d0, d1)
    out, g = _grad(lambda x: x.moveaxis(d0, d1), a, wm)
    np.testing.assert_array_equal(out, np.moveaxis(a, d0, d1))
    np.testing.assert_array_equal(g, w)


@given(shapes, st.data())
def test_pad_matches_numpy_and_grad_is_the_inner_slice(shape, data):
    k = data.draw(st.integers(1, len(shape)))
    pads = data.draw(st.lists(st.integers(0, 2), min_size=2 * k, max_size=2 * k))
    mode = data.draw(st.sampled_from(["constant", "replicate", "circular"]))
    np_mode = {"constant": "constant", "replicate": "edge", "circular": "wrap"}[mode]
    if mode == "circular":
        pads = [min(p, shape[-1 - i // 2]) for i, p in enumerate(pads)]
    width = [(0, 0)] * (len(shape) - k) + [(pads[2 * i], pads[2 * i + 1])
                                           for i in reversed(range(k))]
    a = np.random.default_rng(0).standard_normal(shape)
    want = np.pad(a, width, mode=np_mode)
    w = np.random.default_rng(1).standard_normal(want.shape)
    out, g = _grad(lambda x: ng.pad(x, pads, mode=mode), a, w)
    np.testing.assert_array_equal(out, want)
    if mode == "constant":
        inner = tuple(slice(lo, lo + n) for (lo, _), n in zip(width, shape))
        np.testing.assert_array_equal(g, w[inner])
    else:  # the adjoint of the NumPy pad map, computed by perturbation-free linearity
        eye = np.eye(a.size).reshape((a.size,) + shape)
        cols = np.stack([np.pad(e, width, mode=np_mode).ravel() for e in eye])
        np.testing.assert_allclose(g.ravel(), cols @ w.ravel(), atol=1e-12)


@given(shapes, st.integers(1, 3), st.data())
def test_stack_then_unbind_roundtrip(shape, n, data):
    dim = data.draw(st.integers(-len(shape) - 1, len(shape)))
    arrays = [np.random.default_rng(i).standard_normal(shape) for i in range(n)]
    ts = [ng.tensor(x, requires_grad=True) for x in arrays]
    s = ng.stack(ts, dim)
    np.testing.assert_array_equal(s.detach().numpy(), np.stack(arrays, dim))
    back = s.unbind(dim)
    for b, x in zip(back, arrays):
        np.testing.assert_array_equal(b.detach().numpy(), x)
    sum((b * (i + 1)).sum() for i, b in enumerate(back)).backward()
    for i, t in enumerate(ts):
        np.testing.assert_array_equal(t.grad.numpy(), np.full(shape, i + 1.0))
