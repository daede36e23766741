"""Per-op overhead (issue 2; W1 of issue 5): forward+backward of a 1,000-op elementwise chain.

The chain cycles ``x*c, x+c, tanh(x), x-c``. The NumPy reference does the same forward and
then the chain rule by hand, walking the ops backwards. Reported: microseconds per op for
ndgrad and for NumPy, and their ratio, on shape (1,) (pure overhead) and (1000,).

    python benchmarks/bench_overhead.py [--ops 1000] [--repeat 15] [--json out.json]
"""

from __future__ import annotations

import argparse

import numpy as np

from _common import (
    check_close,
    collect,
    compare,
    fmt_ratio,
    ng,
    print_machine,
    print_table,
    write_json,
)

C_MUL, C_ADD, C_SUB = 1.01, 0.1, 0.05


def chain_ndgrad(x0: np.ndarray, n_ops: int) -> ng.Tensor:
    """Forward and backward of the chain with ndgrad; returns d(sum(out))/dx."""
    x = ng.tensor(x0, requires_grad=True)
    h = x
    for i in range(n_ops):
        k = i & 3
        if k == 0:
            h = h * C_MUL
        elif k == 1:
            h = h + C_ADD
        elif k == 2:
            h = ng.tanh(h)
        else:
            h = h - C_SUB
    h.backward(ng.ones_like(h))
    return x.grad


def chain_numpy(x0: np.ndarray, n_ops: int) -> np.ndarray:
    """The same chain by hand: forward keeps what backward needs, backward applies the rules."""
    h = x0
    saved = []
    for i in range(n_ops):
        k = i & 3
        if k == 0:
            h = h * C_MUL
        elif k == 1:
            h = h + C_ADD
        elif k == 2:
            h = np.tanh(h)
            saved.append(h)
        else:
            h = h - C_SUB
    g = np.ones_like(h)
    for i in range(n_ops - 1, -1, -1):
        k = i & 3
        if k == 0:
            g = g * C_MUL
        elif k == 2:
            y = saved.pop()
            g = g * (1 - y * y)
        # x + c and x - c pass the gradient through unchanged
    return g


def torch_chain(torch: object, x0: np.ndarray, n_ops: int) -> object:
    t = torch.tensor(x0, requires_grad=True)  # type: ignore[attr-defined]
    h = t
    for i in range(n_ops):
        k = i & 3
        if k == 0:
            h = h * C_MUL
        elif k == 1:
            h = h + C_ADD
        elif k == 2:
            h = torch.tanh(h)  # type: ignore[attr-defined]
        else:
            h = h - C_SUB
    h.backward(torch.ones_like(h))  # type: ignore[attr-defined]
    return t.grad


def run_chain(shape: tuple, n_ops: int, repeat: int, torch: object = None) -> dict:
    """Check gradients, then time ndgrad, NumPy (and PyTorch when given); seconds per op."""
    rng = np.random.default_rng(0)
    x0 = rng.uniform(-1, 1, size=shape).astype(np.float32)
    check_close(f"chain{shape}", chain_ndgrad(x0, n_ops), chain_numpy(x0, n_ops), rtol=1e-4)
    fns = {"ndgrad": lambda: chain_ndgrad(x0, n_ops), "numpy": lambda: chain_numpy(x0, n_ops)}
    if torch is not None:
        np.testing.assert_allclose(torch_chain(torch, x0, n_ops).numpy(),
                                   chain_numpy(x0, n_ops), rtol=1e-4)
        fns["torch"] = lambda: torch_chain(torch, x0, n_ops)
    collect()
    t = compare(fns, repeat=repeat, target=0.02)
    out = {k: v["median"] / n_ops for k, v in t.items()}
    out["ratio"] = out["ndgrad"] / out["numpy"]
    if "torch" in out:
        out["torch_ratio"] = out["torch"] / out["numpy"]
    out["raw"] = t
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ops", type=int, default=1000)
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--json", metavar="PATH")
    a = p.parse_args()
    print_machine()
    results = {}
    rows = []
    for shape in [(1,), (1000,)]:
        r = run_chain(shape, a.ops, a.repeat)
        results[str(shape)] = r
        rows.append([f"{a.ops}-op chain {shape}", f"{r['ndgrad'] * 1e6:.2f}",
                     f"{r['numpy'] * 1e6:.2f}", fmt_ratio(r["ratio"])])
    print_table(["workload (fwd+bwd)", "ndgrad us/op", "NumPy us/op", "ratio"], rows,
                title="Per-op overhead, median of samples, float32")
    write_json(a.json, {"bench": "overhead", "results": results})


if __name__ == "__main__":
    main()
