"""PyTorch parity of the indexing family: scatter/scatter_add/gather along every dim, take_along_dim
(broadcast and flattened), where the advanced-index dims land when ints or an Ellipsis sit
between advanced indices (getitem and setitem), and cat skipping legacy (0,) tensors.

References are NumPy loops or NumPy expressions written in PyTorch's rule, never ndgrad output.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ndgrad as ng
from ndgrad.autograd import gradcheck, gradgradcheck


def _t(a, grad=True):
    return ng.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def _check_grads(f, *inputs):
    assert gradcheck(f, inputs)
    assert gradgradcheck(f, inputs)


# ---- scatter / scatter_add / gather ---------------------------------------------------------

def _np_dim_op(op, x, dim, index, src=None):
    """out = x with src written (scatter), added (scatter_add), or out = x gathered at index."""
    d = dim % x.ndim
    out = np.zeros(index.shape) if op == "gather" else x.copy()
    for pos in np.ndindex(*index.shape):
        tgt = pos[:d] + (index[pos],) + pos[d + 1:]
        if op == "gather":
            out[pos] = x[tgt]
        elif op == "scatter":
            out[tgt] = src[pos]
        else:
            out[tgt] += src[pos]
    return out


def _unique_index(rng, shape, dim, size):
    """An index of ``shape`` whose entries along ``dim`` never repeat (scatter is then exact)."""
    d = dim % len(shape)
    full = shape[:d] + (size,) + shape[d + 1:]
    return np.argsort(rng.random(full), axis=d).take(range(shape[d]), axis=d)


_DIM_CASES = [  # (input shape, dim, index shape, src shape): index smaller than input/src
    ((5,), 0, (3,), (4,)),
    ((5,), -1, (2,), (2,)),
    ((2, 3), 1, (2, 2), (2, 2)),
    ((2, 3), -1, (1, 2), (2, 3)),
    ((3, 4), 0, (2, 3), (3, 4)),
    ((3, 4), -2, (3, 4), (3, 4)),
    ((2, 3, 4), 0, (2, 2, 3), (2, 3, 3)),
    ((2, 3, 4), 1, (1, 2, 4), (1, 3, 4)),
    ((2, 3, 4), 2, (2, 3, 2), (2, 3, 2)),
    ((2, 3, 4), -1, (1, 1, 3), (2, 2, 4)),
]


@pytest.mark.parametrize("shape,dim,ishape,sshape", _DIM_CASES)
@pytest.mark.parametrize("op", ["scatter", "scatter_add", "gather"])
def test_dim_ops_match_loops_and_gradcheck(op, shape, dim, ishape, sshape):
    rng = np.random.default_rng(len(shape) * 10 + dim)
    size = shape[dim % len(shape)]
    if op == "scatter":
        index = _unique_index(rng, ishape, dim, size)
    else:  # repeats on purpose: scatter_add accumulates, gather's grad accumulates
        index = rng.integers(0, size, ishape)
    x, src = rng.standard_normal(shape), rng.standard_normal(sshape)
    ix = ng.tensor(index)
    if op == "gather":
        got = ng.gather(_t(x, False), dim, ix).numpy()
        np.testing.assert_array_equal(got, _np_dim_op(op, x, dim, index))
        _check_grads(lambda a: ng.gather(a, dim, ix), _t(x))
        return
    fn = getattr(ng, op)
    got = fn(_t(x, False), dim, ix, _t(src, False)).numpy()
    np.testing.assert_allclose(got, _np_dim_op(op, x, dim, index, src), rtol=0, atol=1e-12)
    _check_grads(lambda a, s: fn(a, dim, ix, s), _t(x), _t(src))


def test_scatter_dim1_two_columns_exact_values_and_src_grad():
    index = ng.tensor([[0, 1], [2, 0]])
    src = _t([[1.0, 2.0], [3.0, 4.0]])
    out = ng.scatter(ng.zeros(2, 3, dtype=ng.float64), 1, index, src)
    np.testing.assert_array_equal(out.detach().numpy(), [[1, 2, 0], [4, 0, 3]])
    added = ng.scatter_add(ng.ones(2, 3, dtype=ng.float64), 1, index, src.detach())
    np.testing.assert_array_equal(added.numpy(), [[2, 3, 1], [5, 1, 4]])
    w = np.array([[1.0, 10, 100], [1e3, 1e4, 1e5]])
    (out * ng.tensor(w)).sum().backward()
    np.testing.assert_array_equal(src.grad.numpy(), [[1, 10], [1e5, 1e3]])


def test_scatter_scalar_value_and_zero_dim():
    index = np.array([[2, 0], [1, 3]])
    out = ng.scatter(ng.zeros(2, 4), 1, ng.tensor(index), value=2.5)
    want = np.zeros((2, 4))
    for i, j in itertools.product(range(2), range(2)):
        want[i, index[i, j]] = 2.5
    np.testing.assert_array_equal(out.numpy(), want)
    x = _t(5.0)
    assert ng.gather(x, 0, ng.tensor(0)).item() == 5.0
    assert ng.scatter(x, -1, ng.tensor(0), _t(2.0, False)).item() == 2.0
    assert ng.scatter_add(x, 0, ng.tensor(0), _t(2.0, False)).item() == 7.0
    _check_grads(lambda a, s: ng.scatter_add(a, 0, ng.tensor(0), s), _t(5.0), _t(2.0))


def test_dim_op_errors_name_op_and_shapes():
    x = ng.zeros(3, 4)
    with pytest.raises(ValueError, match=r"scatter: .*same number of dimensions as src.*\(1, 2\)"):
        ng.scatter(x, 1, ng.tensor([[0, 1]]), ng.ones(2))
    with pytest.raises(ValueError, match=r"scatter_add: src of shape \(1, 1\) is smaller"):
        ng.scatter_add(x, 1, ng.tensor([[0, 1]]), ng.ones(1, 1))
    with pytest.raises(ValueError, match=r"gather: Size does not match at dimension 0"):
        ng.gather(x, 1, ng.tensor([[0]] * 4))
    with pytest.raises(IndexError, match=r"scatter: index 4 is out of bounds for dimension 1"):
        ng.scatter(x, 1, ng.tensor([[0, 4]]), ng.ones(1, 2))
    with pytest.raises(IndexError, match=r"gather: tensors used as indices must be long"):
        ng.gather(x, 1, ng.tensor([[0.0]]))


# ---- take_along_dim -------------------------------------------------------------------------

def test_take_along_dim_without_dim_flattens_both():
    x = np.arange(1.0, 7.0).reshape(2, 3)
    idx = np.array([[5, 0], [3, 3]])
    got = ng.take_along_dim(_t(x, False), ng.tensor(idx))
    np.testing.assert_array_equal(got.numpy(), [6.0, 1.0, 4.0, 4.0])
    assert got.shape == (4,)
    assert ng.take_along_dim(_t(3.0, False), ng.tensor(0)).shape == (1,)
    _check_grads(lambda a: ng.take_along_dim(a, ng.tensor(idx)), _t(x))


@pytest.mark.parametrize("xshape,ishape,dim", [((3, 4), (1, 2), 1), ((3, 1), (3, 2), 0),
                                               ((1, 4), (3, 1), -2), ((2, 1, 3), (1, 4, 2), 2)])
def test_take_along_dim_broadcasts_other_dims(xshape, ishape, dim):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(xshape)
    idx = rng.integers(0, xshape[dim], ishape)
    got = ng.take_along_dim(_t(x, False), ng.tensor(idx), dim)
    np.testing.assert_array_equal(got.numpy(), np.take_along_axis(x, idx, dim))
    _check_grads(lambda a: ng.take_along_dim(a, ng.tensor(idx), dim), _t(x))


def test_take_along_dim_errors():
    with pytest.raises(ValueError, match=r"take_along_dim: .*2 dimensions for input, and 1"):
        ng.take_along_dim(ng.zeros(3, 4), ng.tensor([1, 0]), 1)
    with pytest.raises(ValueError, match=r"take_along_dim: .*cannot be broadcast"):
        ng.take_along_dim(ng.zeros(3, 4), ng.tensor([[1], [0]]), 1)


# ---- getitem / setitem: PyTorch's place for the advanced-index dims -------------------------

# (shape, index, the same selection in PyTorch's rule as plain NumPy): ints apply first, and an
# Ellipsis standing for no dims does not separate advanced indices.
_LAYOUT = [
    ((2, 3, 4), (0, slice(None), [1, 2]), lambda a: a[0][:, [1, 2]]),
    ((2, 3, 4), (-1, slice(None), [3, 3, 0]), lambda a: a[-1][:, [3, 3, 0]]),
    ((4, 2, 3, 2), (slice(None), [0, 1], slice(None), 0), lambda a: a[..., 0][:, [0, 1]]),
    ((5, 4, 2, 3), (0, slice(None), [0, 1], [1, 2]), lambda a: a[0][:, [0, 1], [1, 2]]),
    ((2, 3, 4), (0, slice(1, 3), np.array([True, False, True, True])),
     lambda a: a[0][1:3, [0, 2, 3]]),
    ((2, 3, 4), (ng.tensor(1), slice(None), ng.tensor([[0, 1], [2, 2]])),
     lambda a: a[1][:, np.array([[0, 1], [2, 2]])]),
    ((2, 3, 4), (np.int64(1), None, slice(None), [2]), lambda a: a[1][None, :, [2]]),
    ((4, 2, 3), (slice(None), [0, 1], Ellipsis, [1, 2]), lambda a: a[:, [0, 1], [1, 2]]),
    ((5, 4, 2, 3), (0, slice(None), [0, 1], Ellipsis, [1, 2]),
     lambda a: a[0][:, [0, 1], [1, 2]]),
    ((2, 3, 4), ([1, 0], slice(None), [1, 2]), lambda a: a[[1, 0], :, [1, 2]]),  # NumPy's too
    ((2, 3, 4), (1, [0, 2]), lambda a: a[1][[0, 2]]),                             # adjacent
    ((2, 3, 4), (Ellipsis, 1, [0, 2]), lambda a: a[:, 1][:, [0, 2]]),
]


def _ids(case):
    return repr(case[1])[:40]


@pytest.mark.parametrize("shape,index,ref", _LAYOUT, ids=[_ids(c) for c in _LAYOUT])
def test_getitem_layout_values_and_grads(shape, index, ref):
    a = np.random.default_rng(0).standard_normal(shape)
    got = _t(a, False)[index]
    want = ref(a)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got.numpy(), want)
    w = np.random.default_rng(1).standard_normal(want.shape)
    x = _t(a)
    (x[index] * ng.tensor(w)).sum().backward()
    gwant = np.zeros_like(a)
    _add_at_ref(gwant, ref, w)
    np.testing.assert_allclose(x.grad.numpy(), gwant, rtol=0, atol=1e-12)
    _check_grads(lambda t: t[index], _t(a))


def _add_at_ref(buf, ref, w):
    """buf[sel] += w with repeats accumulating, sel given by ``ref`` over a position array."""
    pos = np.arange(buf.size).reshape(buf.shape)
    np.add.at(buf.reshape(-1), ref(pos).reshape(-1), w.reshape(-1))


@pytest.mark.parametrize("shape,index,ref", _LAYOUT, ids=[_ids(c) for c in _LAYOUT])
def test_setitem_layout_values_and_grads(shape, index, ref):
    rng = np.random.default_rng(2)
    a = rng.standard_normal(shape)
    pos = ref(np.arange(a.size).reshape(shape))
    v = rng.standard_normal(pos.shape)
    y = _t(a, False).clone()
    y[index] = _t(v, False)
    want = a.copy().reshape(-1)
    want[pos.reshape(-1)] = v.reshape(-1)  # NumPy: the last of repeated writes wins
    np.testing.assert_array_equal(y.numpy(), want.reshape(shape))

    def put(t, s):
        z = t * 1.0
        z[index] = s
        return z

    if np.unique(pos).size < pos.size:  # a repeated write: only the last one counts, so
        _check_grads(lambda t: put(t, _t(v, False)), _t(a))  # check the grad w.r.t. the tensor
        return
    _check_grads(put, _t(a), _t(v))
    _check_grads(put, _t(a), _t(v[:1]))  # values broadcast in PyTorch's layout
    _check_grads(put, _t(a), _t(v[0]))


def test_index_put_accumulate_layout_repeats():
    a = np.random.default_rng(3).standard_normal((2, 3, 4))
    v = np.random.default_rng(4).standard_normal((3, 3))
    index = (1, slice(None), ng.tensor([2, 0, 2]))
    got = ng.index_put(_t(a, False), index, _t(v, False), accumulate=True)
    want = a.copy()
    for j, k in itertools.product(range(3), range(3)):
        want[1, j, [2, 0, 2][k]] += v[j, k]
    np.testing.assert_allclose(got.numpy(), want, rtol=0, atol=1e-12)
    _check_grads(lambda t, s: ng.index_put(t, index, s, accumulate=True), _t(a), _t(v))


def test_setitem_value_with_extra_leading_ones():
    y = ng.zeros(3, 4, dtype=ng.float64)
    v = _t(np.arange(4.0).reshape(1, 1, 4))
    y[1] = v
    np.testing.assert_array_equal(y.detach().numpy()[1], np.arange(4.0))
    y.sum().backward()
    np.testing.assert_array_equal(v.grad.numpy(), np.ones((1, 1, 4)))


def test_setitem_layout_error_names_shapes():
    y = ng.zeros(2, 3, 4)
    with pytest.raises(ValueError, match=r"index_put: value of shape \(4, 2\) cannot be broadcast "
                                         r"to the indexed shape \(3, 2\)"):
        y[0, :, [1, 2]] = ng.ones(4, 2)


# ---- random mixed indices vs a two-step NumPy reference ------------------------------------

def _two_step(items, ndim):
    """PyTorch's rule as two NumPy indexes: ints first (a basic index), then the rest with the
    Ellipsis spelled out as slices (one standing for no dims then vanishes)."""
    first, second, used = [], [], 0
    for i in items:
        if isinstance(i, int) and not isinstance(i, bool):
            first.append(i)
            used += 1
        elif i is None:
            second.append(i)
        elif i is Ellipsis:
            first.append(i)
            second.append(i)
        elif isinstance(i, slice):
            first.append(slice(None))
            second.append(i)
            used += 1
        else:
            arr = np.asarray(i)
            k = arr.ndim if arr.dtype == bool else 1
            first.extend([slice(None)] * k)
            second.append(arr)
            used += k
    for j, i in enumerate(second):
        if i is Ellipsis:
            second[j:j + 1] = [slice(None)] * (ndim - used)
            break
    else:
        first.append(Ellipsis)  # all ints: a 0-d view rather than a NumPy scalar
    return tuple(first), tuple(second)


@st.composite
def _mixed_index(draw):
    shape = tuple(draw(st.lists(st.integers(2, 4), min_size=1, max_size=4)))
    nd = len(shape)
    p = draw(st.integers(0, nd))                 # dims [0, p) get an item each
    ell = draw(st.booleans())                    # then an Ellipsis for dims [p, q), maybe none
    q = draw(st.integers(p, nd)) if ell else nd  # and dims [q, nd) an item each
    dims = list(range(p)) + (list(range(q, nd)) if ell else [])
    items = []
    for d in dims:
        n = shape[d]
        kind = draw(st.sampled_from(["int", "slice", "list", "mask"]))
        if kind == "int":
            items.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            items.append(slice(draw(st.sampled_from([None, 0, 1])), None))
        elif kind == "list":
            items.append(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=3)))
        else:
            items.append(np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n))))
    if ell:
        items.insert(p, Ellipsis)
    for _ in range(draw(st.integers(0, 2))):
        items.insert(draw(st.integers(0, len(items))), None)
    sizes = {len(i) for i in items if isinstance(i, list)}
    sizes |= {int(i.sum()) for i in items if isinstance(i, np.ndarray)}
    if len(sizes - {1}) > 1:  # index arrays that cannot broadcast: no selection to compare
        items = [[0] if isinstance(i, (list, np.ndarray)) else i for i in items]
    return shape, tuple(items)


def _assert_pytorch_rule(shape, items):
    a = np.random.default_rng(0).standard_normal(shape)
    first, second = _two_step(items, len(shape))
    try:
        want = a[first][second]
    except IndexError:
        with pytest.raises(IndexError):
            _t(a)[items]
        return
    x = _t(a)
    got = x[items]
    assert got.shape == want.shape, (items, got.shape, want.shape)
    np.testing.assert_array_equal(got.detach().numpy(), want)
    w = np.random.default_rng(1).standard_normal(want.shape)
    (got * ng.tensor(w)).sum().backward()
    gwant = np.zeros_like(a)
    np.add.at(gwant[first], second, w)  # gwant[first] is a view: repeats accumulate
    np.testing.assert_allclose(x.grad.numpy(), gwant, rtol=0, atol=1e-12)
    v = np.random.default_rng(2).standard_normal(want.shape)
    y = _t(a, False).clone()
    y[items] = _t(v, False)
    ref = a.copy()
    ref[first][second] = v
    np.testing.assert_array_equal(y.numpy(), ref)


@settings(max_examples=150, deadline=None)
@given(_mixed_index())
def test_mixed_indices_follow_pytorch_rule(case):
    _assert_pytorch_rule(*case)


_ALPHABET = [1, -1, slice(None), slice(1, None), [2, 0], [[0], [2]], ng.tensor([2, 2]),
             np.array([True, False, True]), None, Ellipsis]


_SHORT = [1, slice(None), [2, 0], np.array([True, False, True]), None, Ellipsis]


@pytest.mark.parametrize("n,alphabet", [(1, _ALPHABET), (2, _ALPHABET), (3, _ALPHABET),
                                        (4, _SHORT)])
def test_every_short_index_follows_pytorch_rule(n, alphabet):
    """All index tuples of ``n`` items from a small alphabet (one Ellipsis at most), on a
    (3, 3, 3, 3) tensor: a transposed result shows up in the values."""
    for items in itertools.product(alphabet, repeat=n):
        if sum(i is Ellipsis for i in items) < 2:
            _assert_pytorch_rule((3, 3, 3, 3), items)


# ---- cat ------------------------------------------------------------------------------------

def test_cat_skips_legacy_empty_1d():
    a = np.arange(6.0).reshape(2, 3)
    b = np.arange(2.0).reshape(2, 1)
    z = _t(np.zeros(0))
    out = ng.cat([z, _t(a, False), z, _t(b, False)], 1)
    np.testing.assert_array_equal(out.detach().numpy(), np.concatenate([a, b], 1))
    assert ng.cat([ng.ones(2, 2), ng.zeros(0)], -1).shape == (2, 2)
    assert ng.cat([ng.zeros(0), ng.zeros(0)]).shape == (0,)
    assert ng.cat([ng.ones(2, 2), ng.zeros(0, dtype=ng.float64)]).dtype == ng.float64
    y = ng.cat([_t(a), z, _t(a)])
    y.sum().backward()
    assert z.grad.shape == (0,)
    _check_grads(lambda p, e, q: ng.cat([p, e, q], 1), _t(a), _t(np.zeros(0)), _t(b))


def test_cat_errors():
    with pytest.raises(RuntimeError, match=r"zero-dimensional tensor \(at position 1\)"):
        ng.cat([ng.ones(2), ng.tensor(1.0)])
    with pytest.raises(ValueError, match=r"cat: Sizes of tensors must match except in "
                                         r"dimension 1: tensor 1 has shape \(2, 3\), tensor 3"):
        ng.cat([ng.zeros(0), ng.ones(2, 3), ng.zeros(0), ng.ones(3, 3)], 1)
    with pytest.raises(IndexError, match="cat: Dimension out of range"):
        ng.cat([ng.zeros(0), ng.ones(2, 2)], 2)
