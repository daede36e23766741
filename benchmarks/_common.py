"""Shared helpers for the benchmarks: timing, gradient checks, tables, op lookup, JSON output.

Every benchmark times ndgrad beside a hand-written NumPy reference *in the same process*,
interleaving the two so that frequency scaling and cache state hit both alike, and checks
that the two produce the same gradients before anything is timed.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))
_SRC = os.path.join(os.path.dirname(_HERE), "src")
if os.path.isdir(_SRC) and _SRC not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, _SRC)

import ndgrad as ng  # noqa: E402

Timing = dict  # {"median": s, "min": s, "max": s, "number": calls per sample, "repeat": n}


def calibrate(fn: Callable[[], Any], target: float = 2e-3) -> int:
    """How many calls of ``fn`` make one sample last about ``target`` seconds."""
    fn()
    t0 = time.perf_counter()
    fn()
    dt = time.perf_counter() - t0
    return max(1, int(target / max(dt, 1e-9)))


def _sample(fn: Callable[[], Any], number: int) -> float:
    # one untimed call first: the first call after the other side's batch pays for the heap
    # that batch's frees gave back to the OS (glibc trims it; measured for add at (256, 256):
    # 128-190 page faults and 0.3-0.6 ms on that one call, on both sides), a cost of switching
    # between the two workloads that neither pays when it runs on its own
    fn()
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


def compare(fns: dict[str, Callable[[], Any]], repeat: int = 15, warmup: int = 2,
            target: float = 2e-3, number: int | None = None) -> dict[str, Timing]:
    """Time each callable: ``warmup`` untimed calls, then ``repeat`` samples of ``number`` calls,
    taken round-robin across the callables. Returns seconds per call (median/min/max)."""
    numbers = {}
    for name, fn in fns.items():
        for _ in range(warmup):
            fn()
        numbers[name] = number if number is not None else calibrate(fn, target)
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            samples[name].append(_sample(fn, numbers[name]))
    return {name: {"median": statistics.median(s), "min": min(s), "max": max(s),
                   "number": numbers[name], "repeat": repeat}
            for name, s in samples.items()}


def time_one(fn: Callable[[], Any], repeat: int = 15, warmup: int = 2,
             target: float = 2e-3) -> Timing:
    """``compare`` for a single callable."""
    return compare({"f": fn}, repeat, warmup, target)["f"]


def check_close(name: str, got: Any, want: Any, rtol: float = 1e-4, atol: float = 1e-6) -> None:
    """Assert ndgrad's result (Tensor or array, or lists of them) equals the reference's."""
    if isinstance(got, (list, tuple)):
        assert isinstance(want, (list, tuple)) and len(got) == len(want), (
            f"{name}: {len(got)} results, reference has {len(want)}")
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            check_close(f"{name}[{i}]", g, w, rtol, atol)
        return
    assert got is not None, f"{name}: ndgrad gave no gradient (None)"
    g = to_numpy(got)
    w = np.asarray(want)
    assert g.shape == w.shape, f"{name}: shape {g.shape}, reference {w.shape}"
    np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=f"{name}: ndgrad vs NumPy")


def to_numpy(t: Any) -> np.ndarray:
    """The array of a Tensor (detached) or anything array-like."""
    if isinstance(t, ng.Tensor):
        return np.asarray(t.detach().numpy())
    return np.asarray(t)


def lookup(name: str) -> Callable | None:
    """An ndgrad op by name: ``ng.<name>``, then ``ng.nn.functional.<name>``, else None."""
    fn = getattr(ng, name, None)
    if callable(fn):
        return fn
    fn = getattr(getattr(getattr(ng, "nn", None), "functional", None), name, None)
    return fn if callable(fn) else None


def torch_or_none() -> Any:
    """PyTorch when importable (an optional extra column, never required)."""
    try:
        import torch  # type: ignore[import-not-found]
    except Exception:  # noqa: BLE001 - any import failure just means "no torch column"
        return None
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    return torch


def fmt_time(seconds: float | None) -> str:
    """Seconds with a readable unit."""
    if seconds is None:
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.3f} ms"
    return f"{seconds:.3f} s"


def fmt_ratio(r: float | None) -> str:
    return "-" if r is None else f"{r:.2f}x"


def print_table(headers: list[str], rows: list[list[Any]], title: str | None = None) -> None:
    """A plain Markdown table (pastes straight into a README)."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h)
              for i, h in enumerate(headers)]
    if title:
        print(f"\n{title}")
    head = zip(headers, widths, strict=True)
    print("| " + " | ".join(h.ljust(w) for h, w in head) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in cells:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |")
    sys.stdout.flush()


def machine_info() -> dict:
    """Where the figures were measured."""
    info = {"python": platform.python_version(), "numpy": np.__version__,
            "ndgrad": getattr(ng, "__version__", "?"), "machine": platform.machine(),
            "cpus": os.cpu_count(), "platform": platform.platform()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return info


def print_machine() -> None:
    m = machine_info()
    print(f"# {m.get('cpu', m['machine'])}, {m['cpus']} cpus; Python {m['python']}, "
          f"NumPy {m['numpy']}, ndgrad {m['ndgrad']}; {m['platform']}")


def write_json(path: str | None, payload: dict) -> None:
    """Write ``payload`` plus machine info to ``path`` (when given)."""
    if not path:
        return
    payload = {"machine": machine_info(), "time": time.strftime("%Y-%m-%d %H:%M:%S"), **payload}
    with open(path, "w") as f:
        json.dump(payload, f, indent=2, default=str)
    print(f"\nwrote {path}")


def collect() -> None:
    """Free the previous benchmark's graphs before timing the next one."""
    gc.collect()
