"""``python -m ndgrad demo``: train a small CNN (or MLP) on the 8x8 handwritten digits that ship
with ndgrad, print test accuracy, wall time and throughput, and save the model with ng.save.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from importlib import resources
from typing import Any

from . import nn, optim
from . import serialization as _ser
from ._backend import np
from ._tensor import Tensor
from .autograd.grad_mode import no_grad
from .random import Generator, manual_seed
from .utils.data import DataLoader, TensorDataset

_SPLIT_SEED = 20240601  # the train/test split never changes with --seed
_TEST_FRACTION = 0.2


def load_digits() -> tuple[Any, Any]:
    """(images float32 (1797, 1, 8, 8) scaled to [0, 1], labels int64) from the shipped .npz."""
    ref = resources.files("ndgrad").joinpath("data", "digits.npz")
    with resources.as_file(ref) as path, np.load(path, allow_pickle=False) as z:
        images, labels = z["images"], z["labels"]
    return (images.astype(np.float32) / 16.0)[:, None], labels.astype(np.int64)


def split(x: Any, y: Any) -> tuple:
    perm = np.random.default_rng(_SPLIT_SEED).permutation(len(y))
    n_test = int(round(len(y) * _TEST_FRACTION))
    te, tr = perm[:n_test], perm[n_test:]
    return x[tr], y[tr], x[te], y[te]


def make_model(kind: str) -> nn.Module:
    if kind == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128),
                             nn.ReLU(), nn.Linear(128, 10))
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),     # 16 x 4 x 4
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),    # 32 x 2 x 2
        nn.Flatten(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))


def accuracy(model: nn.Module, x: Any, y: Any) -> float:
    model.eval()
    with no_grad():
        pred = model(Tensor._make(x))._data.argmax(axis=1)
    model.train()
    return float((pred == y).mean())


class _Progress:
    """tqdm when it is installed, else one plain line per epoch."""

    def __init__(self, total: int, epochs: int, quiet: bool) -> None:
        self.quiet, self.epochs = quiet, epochs
        self.bar = None
        if not quiet:
            try:
                from tqdm import tqdm  # optional dependency (extra 'progress')

                self.bar = tqdm(total=total, unit="batch", file=sys.stdout, leave=False)
            except ImportError:
                self.bar = None

    def update(self) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def epoch(self, e: int, loss: float, acc: float) -> None:
        msg = f"epoch {e:>3}/{self.epochs}  loss {loss:.4f}  test acc {acc * 100:.2f}%"
        if self.bar is not None:
            self.bar.set_postfix(loss=f"{loss:.4f}", acc=f"{acc * 100:.1f}%")
            self.bar.write(msg)
        elif not self.quiet:
            print(msg, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def train(args: argparse.Namespace) -> dict:
    manual_seed(args.seed)
    x, y = load_digits()
    xtr, ytr, xte, yte = split(x, y)
    model = make_model(args.model)
    opt = optim.Adam(model.parameters(), lr=args.lr)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    loader = DataLoader(TensorDataset(Tensor._make(xtr), Tensor._make(ytr)),
                        batch_size=args.batch_size, shuffle=True,
                        generator=Generator().manual_seed(args.seed))
    history: dict = {"loss": [], "test_acc": []}
    prog = _Progress(len(loader) * args.epochs, args.epochs, args.quiet)
    t0 = time.perf_counter()
    seen = 0
    for epoch in range(1, args.epochs + 1):
        total, count = 0.0, 0
        for xb, yb in loader:
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(yb)
            count += len(yb)
            prog.update()
        seen += count
        sched.step()
        history["loss"].append(total / count)
        history["test_acc"].append(accuracy(model, xte, yte))
        prog.epoch(epoch, history["loss"][-1], history["test_acc"][-1])
    wall = time.perf_counter() - t0
    prog.close()
    acc = accuracy(model, xte, yte)
    n_correct = int(round(acc * len(yte)))
    print(f"model: {args.model}, {sum(p.numel() for p in model.parameters())} parameters, "
          f"{len(ytr)} train / {len(yte)} test images, {args.epochs} epochs")
    print(f"test accuracy: {acc * 100:.2f}% ({n_correct}/{len(yte)})")
    print(f"wall time: {wall:.2f} s, {seen / wall:.0f} samples/s")
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, f"digits_{args.model}.npz")
    _ser.save({"model": args.model, "state_dict": model.state_dict(),
               "optimizer": opt.state_dict(), "test_accuracy": acc}, path)
    print(f"saved model to {path} (reload: ng.load(path)['state_dict'])")
    if args.plot:
        _plot(history, os.path.join(args.out, f"digits_{args.model}.png"))
    return {"accuracy": acc, "wall": wall, "samples_per_s": seen / wall, "path": path,
            "history": history}


def _plot(history: dict, path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("--plot needs matplotlib, which is not installed: pip install matplotlib "
              "(or pip install 'ndgrad[viz]')", file=sys.stderr)
        return
    epochs = range(1, len(history["loss"]) + 1)
    fig, ax1 = plt.subplots(figsize=(6, 4))
    ax1.plot(epochs, history["loss"], color="tab:blue", label="train loss")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("train loss", color="tab:blue")
    ax2 = ax1.twinx()
    ax2.plot(epochs, [a * 100 for a in history["test_acc"]], color="tab:orange")
    ax2.set_ylabel("test accuracy (%)", color="tab:orange")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"saved plot to {path}")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ndgrad",
                                description="ndgrad command line: a training demo.")
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="train a CNN or MLP on the shipped 8x8 digits",
                       description="Train a small CNN (default) or MLP on the 1,797 8x8 "
                       "handwritten digits (UCI, CC BY 4.0) with Adam and a cosine schedule; "
                       "print test accuracy, wall time and samples/s; save the model.")
    d.add_argument("--epochs", type=int, default=15, help="passes over the training set "
                   "(default: 15)")
    d.add_argument("--batch-size", type=int, default=32, help="mini-batch size (default: 32)")
    d.add_argument("--lr", type=float, default=3e-3, help="Adam learning rate (default: 3e-3)")
    d.add_argument("--model", choices=("mlp", "cnn"), default="cnn",
                   help="network to train (default: cnn)")
    d.add_argument("--seed", type=int, default=0, help="seed for init and shuffling "
                   "(default: 0); the train/test split is fixed")
    d.add_argument("--out", default="ndgrad-demo-out", help="output directory for the saved "
                   "model and plot (default: ./ndgrad-demo-out)")
    d.add_argument("--plot", action="store_true", help="also write a loss/accuracy PNG "
                   "(needs matplotlib)")
    d.add_argument("--quiet", action="store_true", help="no progress output")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        if args.epochs < 1 or args.batch_size < 1 or args.lr <= 0:
            print("demo: --epochs and --batch-size must be >= 1 and --lr > 0", file=sys.stderr)
            return 2
        train(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
