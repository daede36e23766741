"""The README's op table and the op_db agree: every listed op exists and has an OpSpec row."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import ndgrad as ng
from tests.op_db import OP_DB

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
TABLE = README.split("<!-- ops:start -->")[1].split("<!-- ops:end -->")[0]
ROW_NAMES = [spec.name for spec in OP_DB]
# ops whose rows carry another name (aliases and the indexing entry points)
ROW_ALIAS = {"getitem": "getitem_basic", "clip": "clip_alias", "norm": "norm",
             "vector_norm": "linalg_vector_norm", "matrix_norm": "linalg_matrix_norm"}
NO_GRAD = {"eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_not",
           "isnan", "isfinite", "allclose", "argmax", "argmin"}


def _listed() -> list[tuple[str, str]]:
    out = []
    for line in TABLE.splitlines():
        if not line.startswith("| ") or line.startswith("| family") or line.startswith("| ---"):
            continue
        family, ops = line.strip("| ").split(" | ", 1)
        before, _, after = ops.partition("`ng.linalg`:")
        out += [("ng", n) for n in re.findall(r"`([a-z_0-9]+)`", before)]
        out += [("linalg", n) for n in re.findall(r"`([a-z_0-9]+)`", after)]
    return out


LISTED = _listed()


def test_table_is_not_empty():
    assert len(LISTED) > 100


@pytest.mark.parametrize("ns,name", LISTED)
def test_listed_op_exists(ns, name):
    mod = ng.linalg if ns == "linalg" else ng
    fn = getattr(mod, name, None) or getattr(ng.ops, name, None)
    assert callable(fn), f"README lists {ns}.{name}, which does not exist"


@pytest.mark.parametrize("ns,name", [p for p in LISTED if p[1] not in NO_GRAD])
def test_listed_op_has_a_row(ns, name):
    want = ROW_ALIAS.get(name, name)
    prefixes = (want, f"{want}_", f"linalg_{want}")
    assert any(r == want or r.startswith(prefixes) for r in ROW_NAMES), (
        f"{name} is in the README op table but has no OpSpec row in tests/op_rows/")


def test_every_api_md_op_is_listed():
    api = ("add sub mul div neg pow exp log log1p expm1 sqrt rsqrt sin cos tan tanh sinh cosh "
           "arcsin arccos arctan arctan2 sigmoid relu abs sign clamp clip maximum minimum where "
           "square reciprocal sum mean prod max min amax amin argmax argmin var std logsumexp "
           "norm cumsum reshape view flatten squeeze unsqueeze transpose permute swapaxes "
           "moveaxis expand broadcast_to repeat tile cat concatenate stack split chunk unbind "
           "flip roll pad matmul dot outer einsum tensordot").split()
    names = {n for _, n in LISTED}
    assert not [n for n in api if n not in names]
    linalg = {n for ns, n in LISTED if ns == "linalg"}
    assert {"inv", "det", "slogdet", "solve", "norm", "cholesky"} <= linalg
