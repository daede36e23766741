"""Per-op forward+backward time against hand-written NumPy (issue 3), shape (256, 256) float32.

For every elementwise op and reduction, ndgrad runs ``y = op(x...)`` and ``y.backward(g)``
with a fixed random upstream gradient ``g``; the NumPy reference computes the same forward
and the gradient formula by hand. Ops are looked up by name at run time (``ng.<name>``, then
``ng.nn.functional.<name>``); an op ndgrad lacks, or whose call fails, is skipped with a note.
Results (forward value and every input gradient) are checked against NumPy before timing.
Each reference gradient is an array its input owns, as a ``.grad`` is (never the caller's
upstream gradient itself, nor one shared by two inputs).

    python benchmarks/bench_ops.py [--only exp,tanh] [--repeat 15] [--json out.json]
"""

from __future__ import annotations

import argparse
import traceback
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from _common import (
    check_close,
    collect,
    compare,
    fmt_ratio,
    fmt_time,
    lookup,
    ng,
    print_machine,
    print_table,
    write_json,
)

SHAPE = (256, 256)
TARGET = 1.3  # issue 3: ratio for every elementwise and reduction op <= 1.3


class Spec(NamedTuple):
    name: str            # row label
    op: str              # ndgrad name to look up
    family: str
    domains: tuple       # one input domain per tensor input
    call: Callable       # call(op, *tensors) -> Tensor
    ref: Callable        # ref(*arrays, g) -> (output, (grad per input))
    rtol: float = 1e-4
    atol: float = 1e-5
    cond: bool = False   # first input is a boolean condition (where)


def _full(g: Any, x: np.ndarray) -> np.ndarray:
    """Materialise a broadcast gradient of ``x``'s shape (what a .grad buffer holds)."""
    out = np.empty_like(x)
    out[...] = g
    return out


def _own(g: np.ndarray) -> np.ndarray:
    """The upstream gradient as an input's own buffer: a leaf's ``.grad`` must not alias the
    caller's gradient or another input's (PyTorch clones there too), so add and sub pay one
    copy per input, as the sum references pay ``_full``."""
    return g.copy()


def _col(g: np.ndarray) -> np.ndarray:
    return g[:, None]


def _d1(f: Callable) -> Callable:
    return lambda op, x: f(op, x)


# ---------------------------------------------------------------- NumPy references (by hand)
def r_add(a, b, g): return a + b, (_own(g), _own(g))
def r_sub(a, b, g): return a - b, (_own(g), -g)
def r_mul(a, b, g): return a * b, (g * b, g * a)


def r_div(a, b, g):
    out = a / b
    ga = g / b
    return out, (ga, -ga * out)


def r_pow(a, b, g):
    out = a ** b
    return out, (g * b * a ** (b - 1), g * out * np.log(a))


def r_pow_scalar(x, g): return x ** 3.0, (g * 3.0 * x ** 2,)
def r_neg(x, g): return -x, (-g,)


def r_exp(x, g):
    out = np.exp(x)
    return out, (g * out,)


def r_log(x, g): return np.log(x), (g / x,)
def r_log1p(x, g): return np.log1p(x), (g / (x + 1),)


def r_expm1(x, g):
    out = np.expm1(x)
    return out, (g * (out + 1),)


def r_sqrt(x, g):
    out = np.sqrt(x)
    return out, (g / (out * 2),)


def r_rsqrt(x, g):
    out = 1 / np.sqrt(x)
    return out, (g * -0.5 * out * out * out,)


def r_sin(x, g): return np.sin(x), (g * np.cos(x),)
def r_cos(x, g): return np.cos(x), (-g * np.sin(x),)


def r_tan(x, g):
    out = np.tan(x)
    return out, (g * (1 + out * out),)


def r_tanh(x, g):
    out = np.tanh(x)
    return out, (g * (1 - out * out),)


def r_sinh(x, g): return np.sinh(x), (g * np.cosh(x),)
def r_cosh(x, g): return np.cosh(x), (g * np.sinh(x),)
def r_arcsin(x, g): return np.arcsin(x), (g / np.sqrt(1 - x * x),)
def r_arccos(x, g): return np.arccos(x), (-g / np.sqrt(1 - x * x),)
def r_arctan(x, g): return np.arctan(x), (g / (1 + x * x),)


def r_arctan2(a, b, g):
    d = a * a + b * b
    return np.arctan2(a, b), (g * b / d, -g * a / d)


def r_sigmoid(x, g):
    out = 1 / (1 + np.exp(-x))
    return out, (g * out * (1 - out),)


def r_relu(x, g): return np.maximum(x, 0), (g * (x > 0),)
def r_abs(x, g): return np.abs(x), (g * np.sign(x),)
def r_sign(x, g): return np.sign(x), (np.zeros_like(x),)
def r_square(x, g): return x * x, (2 * g * x,)


def r_reciprocal(x, g):
    out = 1 / x
    return out, (-g * out * out,)


def r_clamp(x, g):
    return np.clip(x, -0.5, 0.5), (g * ((x >= -0.5) & (x <= 0.5)),)


def r_maximum(a, b, g):
    ga = np.where(a > b, g, 0)
    return np.maximum(a, b), (ga, g - ga)


def r_minimum(a, b, g):
    ga = np.where(a < b, g, 0)
    return np.minimum(a, b), (ga, g - ga)


def r_where(c, a, b, g):
    ga = np.where(c, g, 0)
    return np.where(c, a, b), (ga, g - ga)


def r_sum(x, g): return x.sum(), (np.full_like(x, g),)
def r_sum1(x, g): return x.sum(1), (_full(_col(g), x),)
def r_sum0(x, g): return x.sum(0), (_full(g, x),)
def r_mean(x, g): return x.mean(), (np.full_like(x, g / x.size),)
def r_mean1(x, g): return x.mean(1), (_full(_col(g / x.shape[1]), x),)


def r_amax1(x, g):
    out = x.max(1)
    return out, ((x == _col(out)) * _col(g),)


def r_amin1(x, g):
    out = x.min(1)
    return out, ((x == _col(out)) * _col(g),)


def r_max_all(x, g):
    out = x.max()
    return out, ((x == out) * g,)


def r_max1(x, g):
    idx = x.argmax(1)
    rows = np.arange(x.shape[0])
    gx = np.zeros_like(x)
    gx[rows, idx] = g
    return x[rows, idx], (gx,)


def r_min1(x, g):
    idx = x.argmin(1)
    rows = np.arange(x.shape[0])
    gx = np.zeros_like(x)
    gx[rows, idx] = g
    return x[rows, idx], (gx,)


def r_var1(x, g):
    n = x.shape[1]
    d = x - x.mean(1, keepdims=True)
    return (d * d).sum(1) / (n - 1), (_col(g) * (2 / (n - 1)) * d,)


def r_std1(x, g):
    n = x.shape[1]
    d = x - x.mean(1, keepdims=True)
    out = np.sqrt((d * d).sum(1) / (n - 1))
    return out, (_col(g / ((n - 1) * out)) * d,)


def r_logsumexp1(x, g):
    m = x.max(1, keepdims=True)
    e = np.exp(x - m)
    s = e.sum(1, keepdims=True)
    return (m + np.log(s))[:, 0], (_col(g) * e / s,)


def r_softmax1(x, g):
    e = np.exp(x - x.max(1, keepdims=True))
    p = e / e.sum(1, keepdims=True)
    return p, (p * (g - (g * p).sum(1, keepdims=True)),)


def r_log_softmax1(x, g):
    z = x - x.max(1, keepdims=True)
    out = z - np.log(np.exp(z).sum(1, keepdims=True))
    return out, (g - np.exp(out) * g.sum(1, keepdims=True),)


def r_prod1(x, g):
    out = x.prod(1)
    return out, (_col(g * out) / x,)


def r_cumsum1(x, g):
    return np.cumsum(x, 1), (np.cumsum(g[:, ::-1], 1)[:, ::-1],)


def r_norm(x, g):
    out = np.sqrt((x * x).sum())
    return out, (x * (g / out),)


def r_matmul(a, b, g): return a @ b, (g @ b.T, a.T @ g)


def _one(name: str, dom: str, ref: Callable, fam: str = "elementwise", **kw: Any) -> Spec:
    return Spec(name, name, fam, (dom,), lambda op, x: op(x), ref, **kw)


def _two(name: str, doms: tuple, ref: Callable, **kw: Any) -> Spec:
    return Spec(name, name, "elementwise", doms, lambda op, a, b: op(a, b), ref, **kw)


def _red(name: str, op: str, call: Callable, ref: Callable, dom: str = "any", **kw: Any) -> Spec:
    return Spec(name, op, "reduction", (dom,), call, ref, **kw)


SPECS: list[Spec] = [
    _two("add", ("any", "any"), r_add),
    _two("sub", ("any", "any"), r_sub),
    _two("mul", ("any", "any"), r_mul),
    _two("div", ("any", "pos"), r_div),
    _two("pow", ("pos", "any"), r_pow),
    Spec("pow (x**3.0)", "pow", "elementwise", ("any",), lambda op, x: op(x, 3.0), r_pow_scalar),
    _one("neg", "any", r_neg),
    _one("exp", "any", r_exp),
    _one("log", "pos", r_log),
    _one("log1p", "pos", r_log1p),
    _one("expm1", "any", r_expm1),
    _one("sqrt", "pos", r_sqrt),
    _one("rsqrt", "pos", r_rsqrt),
    _one("sin", "any", r_sin),
    _one("cos", "any", r_cos),
    _one("tan", "unit", r_tan),
    _one("tanh", "any", r_tanh),
    _one("sinh", "any", r_sinh),
    _one("cosh", "any", r_cosh),
    _one("arcsin", "unit", r_arcsin),
    _one("arccos", "unit", r_arccos),
    _one("arctan", "any", r_arctan),
    _two("arctan2", ("any", "any"), r_arctan2),
    _one("sigmoid", "any", r_sigmoid),
    _one("relu", "any", r_relu),
    _one("abs", "any", r_abs),
    _one("sign", "any", r_sign),
    _one("square", "any", r_square),
    _one("reciprocal", "pos", r_reciprocal),
    Spec("clamp", "clamp", "elementwise", ("any",), lambda op, x: op(x, -0.5, 0.5), r_clamp),
    _two("maximum", ("any", "any"), r_maximum),
    _two("minimum", ("any", "any"), r_minimum),
    Spec("where", "where", "elementwise", ("bool", "any", "any"),
         lambda op, c, a, b: op(c, a, b), r_where, cond=True),
    _red("sum", "sum", lambda op, x: op(x), r_sum),
    _red("sum(dim=1)", "sum", lambda op, x: op(x, dim=1), r_sum1),
    _red("sum(dim=0)", "sum", lambda op, x: op(x, dim=0), r_sum0),
    _red("mean", "mean", lambda op, x: op(x), r_mean),
    _red("mean(dim=1)", "mean", lambda op, x: op(x, dim=1), r_mean1),
    _red("max", "max", lambda op, x: op(x), r_max_all),
    _red("max(dim=1)", "max", lambda op, x: op(x, dim=1)[0], r_max1),
    _red("min(dim=1)", "min", lambda op, x: op(x, dim=1)[0], r_min1),
    _red("amax(dim=1)", "amax", lambda op, x: op(x, dim=1), r_amax1),
    _red("amin(dim=1)", "amin", lambda op, x: op(x, dim=1), r_amin1),
    _red("var(dim=1)", "var", lambda op, x: op(x, dim=1), r_var1),
    _red("std(dim=1)", "std", lambda op, x: op(x, dim=1), r_std1),
    _red("logsumexp(dim=1)", "logsumexp", lambda op, x: op(x, dim=1), r_logsumexp1),
    _red("softmax(dim=1)", "softmax", lambda op, x: op(x, dim=1), r_softmax1),
    _red("log_softmax(dim=1)", "log_softmax", lambda op, x: op(x, dim=1), r_log_softmax1),
    _red("prod(dim=1)", "prod", lambda op, x: op(x, dim=1), r_prod1, dom="near1", rtol=1e-3),
    _red("cumsum(dim=1)", "cumsum", lambda op, x: op(x, dim=1), r_cumsum1, rtol=1e-3,
         atol=1e-4),
    _red("norm", "norm", lambda op, x: op(x), r_norm),
    Spec("matmul", "matmul", "linalg", ("any", "any"), lambda op, a, b: op(a, b), r_matmul,
         rtol=1e-3, atol=1e-4),
]


def _input(rng: np.random.Generator, dom: str) -> np.ndarray:
    if dom == "bool":
        return rng.random(SHAPE) < 0.5
    lo, hi = {"any": (-2.0, 2.0), "pos": (0.5, 2.0), "unit": (-0.9, 0.9),
              "near1": (0.9, 1.1)}[dom]
    return rng.uniform(lo, hi, size=SHAPE).astype(np.float32)


def bench_spec(spec: Spec, repeat: int) -> dict:
    """Check one op against its reference, then time both. Raises on a missing op/mismatch."""
    op = lookup(spec.op)
    if op is None:
        return {"status": "skip", "note": f"ndgrad has no '{spec.op}'"}
    rng = np.random.default_rng(0)
    arrays = [_input(rng, d) for d in spec.domains]
    # both sides read the very same input arrays (from_numpy shares memory, as
    # torch.from_numpy): copies would sit elsewhere in physical memory, and at this size (an
    # input and its output fill the 512 KiB L2) that alone moved one side's NumPy work by up
    # to 1.5x in some processes (benchmarks/README.md)
    tensors = [ng.from_numpy(a).requires_grad_(d != "bool")
               for a, d in zip(arrays, spec.domains, strict=True)]
    diff = [t for t in tensors if t.requires_grad]
    try:
        y = spec.call(op, *tensors)
    except Exception as e:  # noqa: BLE001 - ops are still being written; report and go on
        return {"status": "skip", "note": f"call failed: {type(e).__name__}: {e}"[:120]}
    g = rng.standard_normal(y.shape).astype(np.float32)
    if g.ndim == 0:
        g = np.float32(g)
    gt = ng.from_numpy(np.asarray(g))
    want_out, want_grads = spec.ref(*arrays, g)
    try:
        y.backward(gt)
        check_close(f"{spec.name} forward", y, want_out, spec.rtol, spec.atol)
        check_close(f"{spec.name} grads", [t.grad for t in diff], list(want_grads),
                    spec.rtol, spec.atol)
    except AssertionError as e:
        return {"status": "FAIL", "note": str(e).strip().splitlines()[0][:120]}
    except Exception as e:  # noqa: BLE001
        tb = traceback.format_exception_only(type(e), e)[-1].strip()
        return {"status": "FAIL", "note": f"backward failed: {tb}"[:120]}

    def run_ndgrad() -> None:
        for t in diff:
            t.cleargrad()
        spec.call(op, *tensors).backward(gt)

    def run_numpy() -> None:
        spec.ref(*arrays, g)

    collect()
    t = compare({"ndgrad": run_ndgrad, "numpy": run_numpy}, repeat=repeat)
    ratio = t["ndgrad"]["median"] / t["numpy"]["median"]
    status = "ok" if ratio <= TARGET or spec.family == "linalg" else "over"
    return {"status": status, "ndgrad": t["ndgrad"]["median"], "numpy": t["numpy"]["median"],
            "ratio": ratio, "raw": t}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", help="comma-separated row names or op names")
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--json", metavar="PATH")
    a = p.parse_args()
    only = set(a.only.split(",")) if a.only else None
    print_machine()
    print(f"# shape {SHAPE} float32; fwd+bwd median per call; target ratio <= {TARGET}")
    results, rows, notes = {}, [], []
    for spec in SPECS:
        if only and spec.name not in only and spec.op not in only:
            continue
        r = bench_spec(spec, a.repeat)
        results[spec.name] = r
        if "ratio" in r:
            rows.append([spec.name, spec.family, fmt_time(r["ndgrad"]), fmt_time(r["numpy"]),
                         fmt_ratio(r["ratio"]), r["status"]])
        else:
            rows.append([spec.name, spec.family, "-", "-", "-", r["status"]])
            notes.append(f"  {spec.name}: {r['status']}: {r['note']}")
    print_table(["op", "family", "ndgrad", "NumPy", "ratio", "status"], rows,
                title="Per-op forward+backward vs hand-written NumPy")
    timed = [r for r in results.values() if "ratio" in r]
    if timed:
        ratios = [r["ratio"] for r in timed]
        gm = float(np.exp(np.mean(np.log(ratios))))
        over = sum(r["status"] == "over" for r in timed)
        print(f"\n{len(timed)} timed, geometric-mean ratio {gm:.2f}x, {over} over {TARGET}x; "
              f"{len(results) - len(timed)} not timed")
    if notes:
        print("Not timed:")
        print("\n".join(notes))
    write_json(a.json, {"bench": "ops", "shape": SHAPE, "target": TARGET, "results": results})


if __name__ == "__main__":
    main()
