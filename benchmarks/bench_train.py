"""Training-step time (issue 4): ms per SGD step, ndgrad beside hand-written NumPy.

* MLP 784-256-256-10, batch 128, ReLU, softmax cross entropy, SGD lr 0.1 (target <= 1.15x).
* A digits-sized CNN (batch 64, 1x8x8, conv3x3 -> 16, ReLU, maxpool 2, linear -> 10) as a
  stand-in for the demo CNN, against a naive im2col NumPy reference.

ndgrad uses ``nn.Linear`` / ``F.cross_entropy`` / ``optim.SGD`` (and ``nn.Conv2d`` /
``F.max_pool2d``) when they exist, else raw ng ops; the path that ran is printed.
Gradients are checked against NumPy before timing.

    python benchmarks/bench_train.py [--raw] [--repeat 15] [--json out.json]
"""

from __future__ import annotations

import argparse

from _common import collect, compare, fmt_ratio, print_machine, print_table, write_json
from _nets import check_net, make_cnn, make_mlp, nn_api_missing

MLP_TARGET = 1.15


def bench_net(name: str, net: object, ref: object, repeat: int) -> dict:
    check_net(name, net, ref)  # type: ignore[arg-type]
    collect()
    t = compare({"ndgrad": net.step, "numpy": ref.step},  # type: ignore[attr-defined]
                repeat=repeat, target=0.02)
    return {"path": net.path, "ndgrad": t["ndgrad"]["median"],  # type: ignore[attr-defined]
            "numpy": t["numpy"]["median"], "ratio": t["ndgrad"]["median"] / t["numpy"]["median"],
            "raw": t}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--raw", action="store_true", help="force the raw-ops path")
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--json", metavar="PATH")
    a = p.parse_args()
    print_machine()
    results = {}
    missing = nn_api_missing(conv=True)
    if missing and not a.raw:
        print(f"# not in ndgrad yet: {', '.join(missing)} -> raw-op fallback where needed")
    net, ref = make_mlp(force_raw=a.raw)
    results["mlp"] = bench_net("MLP", net, ref, a.repeat)
    net, ref = make_cnn(batch=64, size=8, channels=16, force_raw=a.raw)
    results["cnn"] = bench_net("CNN", net, ref, a.repeat)
    rows = []
    for key, label, target in [("mlp", "MLP 784-256-256-10, batch 128", f"<= {MLP_TARGET}"),
                               ("cnn", "CNN 1x8x8 conv3x3->16, pool2, fc10, batch 64", "-")]:
        r = results[key]
        rows.append([label, f"{r['ndgrad'] * 1e3:.3f}", f"{r['numpy'] * 1e3:.3f}",
                     fmt_ratio(r["ratio"]), target])
    print_table(["training step", "ndgrad ms", "NumPy ms", "ratio", "target"], rows,
                title="ms per SGD step (forward + backward + update), float32, medians")
    for key in ("mlp", "cnn"):
        print(f"  {key} ndgrad path: {results[key]['path']}")
    write_json(a.json, {"bench": "train", "results": results})


if __name__ == "__main__":
    main()
