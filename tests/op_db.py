"""One OpSpec per differentiable op: it drives forward-vs-NumPy, gradcheck and gradgradcheck.

Rows live by family in ``tests/op_rows/*.py`` (each module defines ``ROWS``); this module
collects them. A sample is a tuple of input shapes; kwargs are tried with every sample.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class OpSpec:
    name: str
    op: Callable                       # ndgrad callable: op(*tensors, **kwargs)
    ref: Callable | None               # NumPy reference: ref(*arrays, **kwargs); None: no check
    shapes: list                       # samples: a shape (one input) or a tuple of shapes
    kwargs: list = field(default_factory=lambda: [{}])
    domain: tuple = (-2.0, 2.0)        # inputs drawn uniformly from here
    grad: bool = True                  # run gradcheck
    gradgrad: bool = True              # run gradgradcheck
    atol: float = 1e-5
    rtol: float = 1e-3
    make_inputs: Callable | None = None  # (rng, shapes) -> list of arrays, for special domains
    nondiff: tuple = ()                # input positions that never get a gradient
    ref_kwargs: Callable | None = None   # map ndgrad kwargs to the reference's kwargs
    family: str = ""

    def samples(self) -> list[tuple]:
        out = []
        for s in self.shapes:
            multi = isinstance(s, tuple) and len(s) > 0 and all(isinstance(e, tuple) for e in s)
            out.append(s if multi else (s,))
        return out

    def inputs(self, shapes: tuple, seed: int = 0) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        if self.make_inputs is not None:
            return [np.asarray(a) for a in self.make_inputs(rng, shapes)]
        lo, hi = self.domain
        return [rng.uniform(lo, hi, size=s) for s in shapes]


def _collect() -> list[OpSpec]:
    from tests import op_rows

    rows: list[OpSpec] = []
    for mod in pkgutil.iter_modules(op_rows.__path__):
        m = importlib.import_module(f"tests.op_rows.{mod.name}")
        for r in m.ROWS:
            r.family = r.family or mod.name
            rows.append(r)
    return rows


OP_DB: list[OpSpec] = _collect()


def cases(which: str = "forward") -> list:
    """pytest params: (spec, shapes, kwargs) for every row, sample and kwargs variant."""
    import pytest

    out = []
    for spec in OP_DB:
        if which == "forward" and spec.ref is None:
            continue
        if which == "grad" and not spec.grad:
            continue
        if which == "gradgrad" and not (spec.grad and spec.gradgrad):
            continue
        for si, shapes in enumerate(spec.samples()):
            if which != "forward" and not _has_diff_input(spec, shapes):
                continue
            for ki, kw in enumerate(spec.kwargs):
                out.append(pytest.param(spec, shapes, kw, id=f"{spec.name}-{shapes}-{ki}"))
    return out


def _has_diff_input(spec: OpSpec, shapes: tuple) -> bool:
    arrays = spec.inputs(shapes)
    return any(i not in spec.nondiff and a.dtype.kind == "f" and a.size > 0
               for i, a in enumerate(arrays))


def to_tensors(spec: OpSpec, arrays: list, requires_grad: bool, device: str = "cpu") -> list:
    import ndgrad as ng

    ts = []
    for i, a in enumerate(arrays):
        diff = requires_grad and i not in spec.nondiff and a.dtype.kind == "f"
        ts.append(ng.tensor(a, requires_grad=diff, device=None if device == "cpu" else device))
    return ts


def np_ref_kwargs(spec: OpSpec, kw: dict) -> dict:
    return spec.ref_kwargs(kw) if spec.ref_kwargs else kw


__all__ = ["OpSpec", "OP_DB", "cases", "to_tensors", "np_ref_kwargs", "Any"]
