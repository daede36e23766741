"""Every OpSpec row: the ndgrad result equals the NumPy reference (float64), on every device."""

from __future__ import annotations

import numpy as np
import pytest

from tests.op_db import cases, np_ref_kwargs, to_tensors


def _flat(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


@pytest.mark.parametrize("spec,shapes,kw", cases("forward"))
def test_forward_matches_numpy(spec, shapes, kw, device):
    arrays = spec.inputs(shapes)
    got = _flat(spec.op(*to_tensors(spec, arrays, False, device), **kw))
    want = _flat(spec.ref(*[a.copy() for a in arrays], **np_ref_kwargs(spec, kw)))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        w = np.asarray(w)
        assert g.shape == w.shape, f"{spec.name}: shape {g.shape} vs NumPy {w.shape}"
        np.testing.assert_allclose(np.asarray(g.detach().cpu().numpy(), dtype=np.float64)
                                   if g.dtype.kind != "b" else g.numpy(), w,
                                   rtol=1e-6, atol=1e-8, err_msg=spec.name)


@pytest.mark.parametrize("spec,shapes,kw", cases("forward"))
def test_dtype_float64_is_kept(spec, shapes, kw):
    arrays = spec.inputs(shapes)
    out = _flat(spec.op(*to_tensors(spec, arrays, False), **kw))
    for o in out:
        if o.dtype.kind == "f":
            assert o.dtype == np.float64, f"{spec.name} turned float64 into {o.dtype}"
