"""The scripts in examples/ run and print what the seeds print."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EXPECT = {  # a line each script must print (numbers from shared/seeds)
    "seed_custom_function_multi_io.py": "tensor([9.])",
    "seed_pytorch_autograd_tutorial.py": "tensor([6.])",
    "seed_chainer_grad_accumulation.py": "[4., 4.]",
}


@pytest.mark.parametrize("script", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_example_runs(script):
    r = subprocess.run([sys.executable, str(EXAMPLES / script)], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    if script in EXPECT:
        assert EXPECT[script] in r.stdout, r.stdout[-2000:]
