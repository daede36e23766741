"""Every Tensor method that delegates to ``_ops.<name>`` names an op that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import ndgrad as ng

SRC = Path(ng.__file__).parent
NAMES = sorted({m for f in ("_tensor.py", "_tensor_ops.py")
                for m in re.findall(r"_ops\.(\w+)", (SRC / f).read_text())})


@pytest.mark.parametrize("name", NAMES)
def test_delegated_op_exists(name):
    assert callable(getattr(ng.ops, name, None)), f"Tensor delegates to missing op {name}"
