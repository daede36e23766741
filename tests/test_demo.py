"""``python -m ndgrad demo`` end to end: printed accuracy, saved model, --help."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

import ndgrad as ng
from ndgrad.__main__ import accuracy, load_digits, main, make_model, split

ACC_LINE = re.compile(r"test accuracy: (\d+\.\d\d)% \((\d+)/(\d+)\)")


def run_demo(capsys, tmp_path, *args):
    assert main(["demo", "--out", str(tmp_path), "--quiet", *args]) == 0
    out = capsys.readouterr().out
    m = ACC_LINE.search(out)
    assert m, out
    assert re.search(r"wall time: \d+\.\d\d s, \d+ samples/s", out), out
    return out, float(m.group(1)) / 100, int(m.group(2)), int(m.group(3))


def test_shipped_digits():
    x, y = load_digits()
    assert x.shape == (1797, 1, 8, 8) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() == 1.0
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_short_cnn_run_saves_a_loadable_model(capsys, tmp_path):
    out, acc, correct, total = run_demo(capsys, tmp_path, "--epochs", "2", "--model", "cnn")
    assert total == 359 and correct == round(acc * total)
    saved = ng.load(tmp_path / "digits_cnn.npz")
    assert saved["model"] == "cnn" and saved["test_accuracy"] == pytest.approx(acc, abs=1e-4)
    model = make_model("cnn")
    model.load_state_dict(saved["state_dict"])
    _, _, xte, yte = split(*load_digits())
    assert accuracy(model, xte, yte) == pytest.approx(correct / total, abs=1e-9)
    assert set(saved["optimizer"]) == {"state", "param_groups"}


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_default_run_reaches_97_percent(capsys, tmp_path, model):
    _, acc, _, _ = run_demo(capsys, tmp_path, "--model", model)
    assert acc >= 0.97


def test_help_lists_options():
    res = subprocess.run([sys.executable, "-m", "ndgrad", "demo", "--help"], capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 0
    for opt in ("--epochs", "--batch-size", "--lr", "--model", "--seed", "--out", "--plot"):
        assert opt in res.stdout


def test_plot_writes_a_png(capsys, tmp_path):
    pytest.importorskip("matplotlib")  # the viz extra; installed by the dev extra for CI
    out, _, _, _ = run_demo(capsys, tmp_path, "--epochs", "1", "--plot")
    png = tmp_path / "digits_cnn.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert str(png) in out
