"""Issue 5's workloads W1-W6: ndgrad beside hand-written NumPy in the same process.

W1  1,000-op elementwise chain (x*c, x+c, tanh, x-c), shape (1,) and (1000,), fwd+bwd
W2  MLP step, batch 128, 784-256-256-10, ReLU, softmax CE, SGD
W3  Hessian-vector product of sum(tanh(x)^3), x of 1000 (grad with create_graph, then grad)
W4  100,000-op chain, shape (1,), fwd+bwd, in a fresh process: time per op and peak memory
W5  (512,1)+(1,512) broadcast, tanh, sums/means, fwd+bwd
W6  conv step, batch 32, 1x28x28, conv3x3->8, ReLU, maxpool 2, linear->10, CE, SGD
    (reference: naive im2col in NumPy)
RSS 10,000 W2 steps in a fresh process: resident memory must stay flat after warm-up

Every workload checks that ndgrad's gradients equal the NumPy reference's before timing.
A PyTorch column is added when ``torch`` is importable (optional).

    python benchmarks/run.py [--quick] [--only W1,W3] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from _common import (
    check_close,
    collect,
    compare,
    fmt_ratio,
    fmt_time,
    ng,
    print_machine,
    print_table,
    torch_or_none,
    write_json,
)
from _nets import check_net, make_cnn, make_mlp
from bench_overhead import chain_ndgrad, chain_numpy, run_chain

# --------------------------------------------------------------------------------- W3: HVP


def w3_ndgrad_grad(x0: np.ndarray) -> ng.Tensor:
    x = ng.tensor(x0, requires_grad=True)
    f = (ng.tanh(x) ** 3).sum()
    return ng.autograd.grad(f, x)[0]


def w3_ndgrad_hvp(x0: np.ndarray, v: ng.Tensor) -> ng.Tensor:
    x = ng.tensor(x0, requires_grad=True)
    f = (ng.tanh(x) ** 3).sum()
    (g,) = ng.autograd.grad(f, x, create_graph=True)
    return ng.autograd.grad(g, x, grad_outputs=v)[0]


def w3_numpy_grad(x0: np.ndarray) -> np.ndarray:
    t = np.tanh(x0)
    t2 = t * t
    return 3 * t2 * (1 - t2)


def w3_numpy_hvp(x0: np.ndarray, v: np.ndarray) -> np.ndarray:
    """d/dx [3 t^2 (1 - t^2)] = (6 t - 12 t^3)(1 - t^2), t = tanh(x)."""
    t = np.tanh(x0)
    t2 = t * t
    return v * (6 * t - 12 * t * t2) * (1 - t2)


def run_w3(repeat: int, torch: Any) -> dict:
    rng = np.random.default_rng(3)
    x0 = rng.uniform(-1, 1, 1000).astype(np.float32)
    v0 = rng.standard_normal(1000).astype(np.float32)
    v = ng.tensor(v0)
    check_close("W3 grad", w3_ndgrad_grad(x0), w3_numpy_grad(x0), rtol=1e-4, atol=1e-6)
    check_close("W3 hvp", w3_ndgrad_hvp(x0, v), w3_numpy_hvp(x0, v0), rtol=1e-4, atol=1e-5)
    fns: dict[str, Callable] = {
        "ndgrad": lambda: w3_ndgrad_hvp(x0, v), "numpy": lambda: w3_numpy_hvp(x0, v0),
        "ndgrad_grad": lambda: w3_ndgrad_grad(x0), "numpy_grad": lambda: w3_numpy_grad(x0)}
    if torch is not None:
        try:
            xt, vt = torch.tensor(x0), torch.tensor(v0)

            def torch_hvp() -> Any:
                x = xt.clone().requires_grad_(True)
                (g,) = torch.autograd.grad((torch.tanh(x) ** 3).sum(), x, create_graph=True)
                return torch.autograd.grad(g, x, grad_outputs=vt)[0]

            np.testing.assert_allclose(torch_hvp().numpy(), w3_numpy_hvp(x0, v0), rtol=1e-4,
                                       atol=1e-5)
            fns["torch"] = torch_hvp
        except Exception as e:  # noqa: BLE001 - the torch column is optional
            print(f"  (W3 torch column skipped: {e})")
    collect()
    t = compare(fns, repeat=repeat)
    r = {k: v["median"] for k, v in t.items()}
    r["hvp_over_grad"] = r["ndgrad"] / r["ndgrad_grad"]
    return r


# ------------------------------------------------------------------------- W5: broadcasting
N5 = 512


def w5_ndgrad(a0: np.ndarray, b0: np.ndarray) -> tuple:
    a = ng.tensor(a0, requires_grad=True)
    b = ng.tensor(b0, requires_grad=True)
    y = ng.tanh(a + b)
    loss = y.sum(dim=1).mean() + (y * y).mean()
    loss.backward()
    return a.grad, b.grad


def w5_numpy(a0: np.ndarray, b0: np.ndarray) -> tuple:
    y = np.tanh(a0 + b0)
    _loss = y.sum(1).mean() + (y * y).mean()
    n0, n1 = y.shape
    gy = (1.0 / n0) + y * (2.0 / (n0 * n1))
    gs = gy * (1 - y * y)
    return gs.sum(1, keepdims=True), gs.sum(0, keepdims=True)


def run_w5(repeat: int, torch: Any) -> dict:
    rng = np.random.default_rng(5)
    a0 = rng.standard_normal((N5, 1)).astype(np.float32)
    b0 = rng.standard_normal((1, N5)).astype(np.float32)
    check_close("W5 grads", list(w5_ndgrad(a0, b0)), list(w5_numpy(a0, b0)), rtol=1e-3,
                atol=1e-6)
    fns: dict[str, Callable] = {"ndgrad": lambda: w5_ndgrad(a0, b0),
                                "numpy": lambda: w5_numpy(a0, b0)}
    if torch is not None:
        try:
            def torch_w5() -> Any:
                a = torch.tensor(a0, requires_grad=True)
                b = torch.tensor(b0, requires_grad=True)
                y = torch.tanh(a + b)
                (y.sum(dim=1).mean() + (y * y).mean()).backward()
                return a.grad, b.grad

            ga, gb = torch_w5()
            want = w5_numpy(a0, b0)
            np.testing.assert_allclose(ga.numpy(), want[0], rtol=1e-3, atol=1e-6)
            np.testing.assert_allclose(gb.numpy(), want[1], rtol=1e-3, atol=1e-6)
            fns["torch"] = torch_w5
        except Exception as e:  # noqa: BLE001
            print(f"  (W5 torch column skipped: {e})")
    collect()
    return {k: v["median"] for k, v in compare(fns, repeat=repeat, target=0.02).items()}


# ---------------------------------------------------------------------- W2 / W6: training
def _torch_mlp(torch: Any, ref: Any) -> Callable:
    """A PyTorch copy of the NumPy MLP (same weights, torch layout required)."""
    nn = torch.nn
    ps = ref.params
    layers = []
    for i in range(0, len(ps), 2):
        w = ps[i] if ref.t else ps[i].T
        lin = nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(np.ascontiguousarray(w)))
            lin.bias.copy_(torch.tensor(ps[i + 1]))
        layers += [lin, nn.ReLU()]
    model = nn.Sequential(*layers[:-1])
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.tensor(ref.x), torch.tensor(ref.y)

    def step() -> float:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def _torch_cnn(torch: Any, ref: Any) -> Callable:
    nn, F = torch.nn, torch.nn.functional
    wc, bc, wf, bf = ref.params
    c = bc.shape[0]
    conv = nn.Conv2d(1, c, 3)
    fc = nn.Linear(wf.shape[1] if ref.t else wf.shape[0], 10)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(np.ascontiguousarray(
            wc if ref.t else wc.T.reshape(c, 1, 3, 3))))
        conv.bias.copy_(torch.tensor(bc))
        fc.weight.copy_(torch.tensor(np.ascontiguousarray(wf if ref.t else wf.T)))
        fc.bias.copy_(torch.tensor(bf))
    opt = torch.optim.SGD([*conv.parameters(), *fc.parameters()], lr=0.1)
    x, y = torch.tensor(ref.x), torch.tensor(ref.y)

    def step() -> float:
        opt.zero_grad()
        h = F.max_pool2d(F.relu(conv(x)), 2)
        loss = F.cross_entropy(fc(h.reshape(x.shape[0], -1)), y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def run_net(name: str, net: Any, ref: Any, repeat: int, torch: Any,
            torch_factory: Callable) -> dict:
    check_net(name, net, ref)
    fns: dict[str, Callable] = {"ndgrad": net.step, "numpy": ref.step}
    if torch is not None:
        try:
            tstep = torch_factory(torch, ref)
            np.testing.assert_allclose(tstep(), ref.grads()[0], rtol=1e-3)
            fns["torch"] = tstep
        except Exception as e:  # noqa: BLE001
            print(f"  ({name} torch column skipped: {e})")
    collect()
    out = {k: v["median"] for k, v in compare(fns, repeat=repeat, target=0.05).items()}
    out["path"] = net.path
    return out


# --------------------------------------------------------------- W4: long chain, fresh process
def _peak(fn: Callable[[], Any]) -> int:
    collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - base


def w4_child(sizes: list[int], repeat: int) -> dict:
    """Runs in a fresh interpreter: time per op (no tracing) and traced peak memory."""
    x0 = np.array([0.3], np.float32)
    out: dict = {}
    for n in sizes:
        check_close(f"W4 chain {n}", chain_ndgrad(x0, n), chain_numpy(x0, n), rtol=1e-3)
        ts: dict[str, list] = {"ndgrad": [], "numpy": []}
        for _ in range(repeat):
            for name, fn in (("ndgrad", chain_ndgrad), ("numpy", chain_numpy)):
                collect()
                t0 = time.perf_counter()
                fn(x0, n)
                ts[name].append((time.perf_counter() - t0) / n)
        out[n] = {k: float(np.median(v)) for k, v in ts.items()}
        out[n]["peak_ndgrad"] = _peak(lambda n=n: chain_ndgrad(x0, n))
        out[n]["peak_numpy"] = _peak(lambda n=n: chain_numpy(x0, n))
    try:
        import resource

        out["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    except ImportError:
        pass
    return out


def run_w4(sizes: list[int], repeat: int) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--w4-child",
           ",".join(map(str, sizes)), "--repeat", str(repeat)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise RuntimeError(f"W4 child failed:\n{res.stderr}")
    data = json.loads(res.stdout.strip().splitlines()[-1])
    big = str(max(sizes))
    r = dict(data[big])
    r["sizes"] = {k: v for k, v in data.items() if k != "maxrss_kb"}
    r["maxrss_kb"] = data.get("maxrss_kb")
    small = str(min(sizes))
    r["linearity"] = data[big]["ndgrad"] / data[small]["ndgrad"]  # per-op time, big / small
    return r


# ------------------------------------------------- memory: RSS over 10,000 W2 steps, fresh process
def _rss_bytes() -> int | None:
    """Resident set size now (Linux /proc); None where it cannot be read."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None


def rss_child(steps: int) -> dict:
    """Runs in a fresh interpreter: W2's training step ``steps`` times, RSS every 500 steps."""
    net, _ = make_mlp()
    samples = []
    for i in range(1, steps + 1):
        net.step()
        if i % 500 == 0:
            samples.append([i, _rss_bytes()])
    return {"steps": steps, "samples": samples}


def run_rss(steps: int) -> dict | None:
    cmd = [sys.executable, os.path.abspath(__file__), "--rss-child", str(steps)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise RuntimeError(f"RSS child failed:\n{res.stderr}")
    data = json.loads(res.stdout.strip().splitlines()[-1])
    rss = [(i, b) for i, b in data["samples"] if b is not None]
    if len(rss) < 3:
        return None  # no /proc here
    warm = rss[1][1]  # after 1,000 steps: allocator pools and caches are filled
    return {"steps": steps, "warm": warm, "end": rss[-1][1], "max": max(b for _, b in rss[1:]),
            "growth": rss[-1][1] - warm, "samples": rss}


# ------------------------------------------------------------------------------------- main
def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer samples (about 4x faster)")
    p.add_argument("--only", help="comma-separated workloads, e.g. W1,W3")
    p.add_argument("--repeat", type=int, default=None)
    p.add_argument("--json", metavar="PATH")
    p.add_argument("--w4-child", help=argparse.SUPPRESS)
    p.add_argument("--rss-child", type=int, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.w4_child:
        sizes = [int(s) for s in a.w4_child.split(",")]
        print(json.dumps(w4_child(sizes, a.repeat or 3)))
        return
    if a.rss_child:
        print(json.dumps(rss_child(a.rss_child)))
        return

    t_start = time.perf_counter()
    repeat = a.repeat or (5 if a.quick else 15)
    only = set(a.only.upper().split(",")) if a.only else None
    torch = torch_or_none()
    print_machine()
    print(f"# PyTorch: {torch.__version__ if torch else 'not installed (no column)'}; "
          f"{repeat} samples per figure{' (--quick)' if a.quick else ''}")
    res: dict[str, Any] = {}

    def want(w: str) -> bool:
        return only is None or w in only

    if want("W1"):
        for shape, key in (((1,), "W1 (1,)"), ((1000,), "W1 (1000,)")):
            print(f"running {key} ...", flush=True)
            res[key] = run_chain(shape, 1000, repeat, torch)
    if want("W2"):
        print("running W2 ...", flush=True)
        net, ref = make_mlp()
        res["W2"] = run_net("W2", net, ref, repeat, torch, _torch_mlp)
    if want("W3"):
        print("running W3 ...", flush=True)
        res["W3"] = run_w3(repeat, torch)
    if want("W4"):
        print("running W4 (fresh process) ...", flush=True)
        res["W4"] = run_w4([10_000, 100_000], 1 if a.quick else 3)
    if want("W5"):
        print("running W5 ...", flush=True)
        res["W5"] = run_w5(repeat, torch)
    if want("W6"):
        print("running W6 ...", flush=True)
        net, ref = make_cnn(batch=32, size=28, channels=8)
        res["W6"] = run_net("W6", net, ref, repeat, torch, _torch_cnn)

    if want("RSS"):
        print("running RSS (W2 steps in a fresh process) ...", flush=True)
        res["RSS"] = run_rss(2_000 if a.quick else 10_000)

    rows = []
    verdicts = {}

    def row(key: str, label: str, nd: float, npy: float, unit: str, target: str, ok: bool,
            tt: float | None = None, extra: str = "") -> None:
        scale = {"us/op": 1e6, "ms": 1e3}[unit]
        r = [label, f"{npy * scale:.3g} {unit}", f"{nd * scale:.3g} {unit}",
             fmt_ratio(nd / npy), target, "PASS" if ok else "miss"]
        if torch is not None:
            r.insert(4, "-" if tt is None else f"{tt * scale:.3g} ({tt / npy:.2f}x)")
        rows.append(r + [extra])
        verdicts[key] = ok

    for key, lim in (("W1 (1,)", 2.5), ("W1 (1000,)", 2.0)):
        if key in res:
            r = res[key]
            row(key, f"{key}: 1,000-op chain", r["ndgrad"], r["numpy"], "us/op", f"<= {lim}x",
                r["ratio"] <= lim, r.get("torch"))
    if "W2" in res:
        r = res["W2"]
        row("W2", "W2: MLP step b128", r["ndgrad"], r["numpy"], "ms", "<= 1.10x",
            r["ndgrad"] / r["numpy"] <= 1.10, r.get("torch"))
    if "W3" in res:
        r = res["W3"]
        ok = r["hvp_over_grad"] <= 3 and r["ndgrad"] < 0.28e-3
        row("W3", "W3: HVP sum(tanh^3)", r["ndgrad"], r["numpy"], "ms",
            "HVP/grad <= 3, < 0.28 ms", ok, r.get("torch"),
            f"HVP/grad {r['hvp_over_grad']:.2f}; grad {fmt_time(r['ndgrad_grad'])}")
    if "W4" in res:
        r = res["W4"]
        mem = r["peak_ndgrad"] / max(r["peak_numpy"], 1)
        ok = r["ndgrad"] / r["numpy"] <= 3 and mem <= 2 and r["linearity"] <= 1.3
        row("W4", "W4: 100,000-op chain", r["ndgrad"], r["numpy"], "us/op",
            "<= 3x, mem <= 2x, linear", ok, None,
            f"peak {r['peak_ndgrad'] / 2**20:.1f} MiB vs {r['peak_numpy'] / 2**20:.1f} MiB "
            f"({mem:.2f}x); us/op 100k/10k {r['linearity']:.2f}")
    if "W5" in res:
        r = res["W5"]
        row("W5", "W5: (512,1)+(1,512) bcast", r["ndgrad"], r["numpy"], "ms", "<= 1.10x",
            r["ndgrad"] / r["numpy"] <= 1.10, r.get("torch"))
    if "W6" in res:
        r = res["W6"]
        row("W6", "W6: conv step b32", r["ndgrad"], r["numpy"], "ms", "<= 1.0x",
            r["ndgrad"] / r["numpy"] <= 1.0, r.get("torch"))

    if res.get("RSS"):
        r = res["RSS"]
        ok = r["growth"] <= 4 * 2**20  # flat: within allocator noise
        rows.append([f"RSS over {r['steps']:,} W2 steps", f"{r['warm'] / 2**20:.1f} MiB",
                     f"{r['end'] / 2**20:.1f} MiB", f"{r['end'] / r['warm']:.3f}x"]
                    + (["-"] if torch is not None else [])
                    + ["flat (+<= 4 MiB after 1,000 steps)", "PASS" if ok else "miss",
                       f"growth {r['growth'] / 2**20:+.1f} MiB, peak {r['max'] / 2**20:.1f} "
                       "MiB (columns: after 1,000 steps, at the end)"])
        verdicts["RSS"] = ok

    headers = ["workload", "NumPy by hand", "ndgrad", "ratio", "target", "status", "notes"]
    if torch is not None:
        headers.insert(4, "PyTorch")
    print_table(headers, rows, title="ndgrad vs hand-written NumPy (same process, medians)")
    for key in ("W2", "W6"):
        if key in res:
            print(f"  {key} ndgrad path: {res[key]['path']}")
    n_ok = sum(verdicts.values())
    print(f"\n{n_ok}/{len(verdicts)} targets met; total time "
          f"{time.perf_counter() - t_start:.1f} s")
    write_json(a.json, {"bench": "run", "quick": a.quick, "repeat": repeat,
                        "torch": getattr(torch, "__version__", None), "results": res,
                        "verdicts": verdicts})


if __name__ == "__main__":
    main()
