"""Every OpSpec row: gradcheck and gradgradcheck in float64 (broadcast/keepdim samples included)."""

from __future__ import annotations

import pytest

from ndgrad.autograd import gradcheck, gradgradcheck
from tests.op_db import cases, to_tensors


def _fn(spec, kw):
    def f(*ts):
        return spec.op(*ts, **kw)

    return f


@pytest.mark.parametrize("spec,shapes,kw", cases("grad"))
def test_gradcheck(spec, shapes, kw):
    ts = to_tensors(spec, spec.inputs(shapes), True)
    assert gradcheck(_fn(spec, kw), ts, atol=spec.atol, rtol=spec.rtol)


@pytest.mark.parametrize("spec,shapes,kw", cases("gradgrad"))
def test_gradgradcheck(spec, shapes, kw):
    ts = to_tensors(spec, spec.inputs(shapes), True)
    assert gradgradcheck(_fn(spec, kw), ts, atol=spec.atol, rtol=spec.rtol)
