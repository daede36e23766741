"""``_backend.broadcast_to`` builds NumPy broadcast views directly: same values, shape and
strides as ``np.broadcast_to``, read-only, and NumPy's error for shapes that do not broadcast."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ndgrad import _backend


@settings(max_examples=150, deadline=None)
@given(data=st.data(), dtype=st.sampled_from(["float32", "float64", "int64", "bool"]))
def test_matches_numpy(data, dtype: str) -> None:
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=1, min_dims=0, max_dims=4,
                                                         max_side=4))
    src_shape, target = shapes.input_shapes[0], shapes.result_shape
    a = (np.arange(int(np.prod(src_shape))) % 3).astype(dtype).reshape(src_shape)
    want = np.broadcast_to(a, target)
    got = _backend.broadcast_to(a, target)
    assert got.shape == want.shape and got.dtype == want.dtype
    if got.size:  # strides of size-1 dims are never used and may differ
        big = [i for i, n in enumerate(target) if n > 1]
        assert [got.strides[i] for i in big] == [want.strides[i] for i in big]
    np.testing.assert_array_equal(got, want)
    assert not got.flags.writeable
    assert np.shares_memory(got, a) or a.size == 0


def test_view_is_read_only_and_follows_the_source() -> None:
    a = np.array([[1.0], [2.0]], np.float32)
    v = _backend.broadcast_to(a, (3, 2, 4))
    with pytest.raises(ValueError, match="read-only"):
        v[0, 0, 0] = 5
    a[1, 0] = 7  # a view: changes to the source show through
    assert v[2, 1, 3] == 7


def test_errors_and_fallbacks_are_numpys() -> None:
    with pytest.raises(ValueError):
        _backend.broadcast_to(np.ones((2, 3)), (4, 3, 2))
    with pytest.raises(ValueError):
        _backend.broadcast_to(np.ones((2, 3)), (3,))
    t = np.ones((3, 2)).T  # not C-contiguous: NumPy's own
    np.testing.assert_array_equal(_backend.broadcast_to(t, (5, 2, 3)), np.ones((5, 2, 3)))
    o = np.array([None, 1], dtype=object)  # no buffer export: NumPy's own
    assert _backend.broadcast_to(o, (2, 2)).tolist() == [[None, 1], [None, 1]]


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
@pytest.mark.parametrize("shape", [(), (3,), (2, 1, 4)])
def test_broadcast_scalar_is_a_read_only_view_of_one_value(dtype: str, shape: tuple) -> None:
    s = np.dtype(dtype).type(3)
    v = _backend.broadcast_scalar(s, shape)
    assert v.shape == shape and v.dtype == np.dtype(dtype) and not any(v.strides)
    np.testing.assert_array_equal(v, np.full(shape, 3, dtype))
    assert not v.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        v[...] = 1
