"""ng.viz: DOT text of the autograd graph, and render's backends / error."""

from __future__ import annotations

import os
import re
import stat
import sys
import types

import numpy as np
import pytest

import ndgrad as ng
from ndgrad import viz


def _graph():
    x = ng.tensor(np.ones((2, 3)), requires_grad=True)
    y = ng.tensor(np.full((2, 3), 2.0), requires_grad=True)
    return x, y, (x * y + x.exp()).sum()


def _labels(src):
    return dict(re.findall(r'^\t(\w+) \[label="([^"]*)"', src, flags=re.M))


def _edges(src):
    return re.findall(r"^\t(\w+) -> (\w+)", src, flags=re.M)


def test_to_dot_nodes_and_edges():
    x, y, out = _graph()
    src = viz.to_dot(out, params={"x": x, "y": y})
    assert src.startswith("digraph {") and src.rstrip().endswith("}")
    labels = _labels(src)
    by_label = {v: k for k, v in labels.items()}
    for name in ("SumBackward0", "AddBackward0", "MulBackward0", "ExpBackward0"):
        assert name in by_label, labels
    assert by_label["x\\n(2, 3)"] and by_label["y\\n(2, 3)"]
    edges = set(_edges(src))
    n = by_label
    expected = {
        (n["AddBackward0"], n["SumBackward0"]),
        (n["MulBackward0"], n["AddBackward0"]),
        (n["ExpBackward0"], n["AddBackward0"]),
        (n["x\\n(2, 3)"], n["MulBackward0"]),
        (n["y\\n(2, 3)"], n["MulBackward0"]),
        (n["x\\n(2, 3)"], n["ExpBackward0"]),
        (n["SumBackward0"], n["()"]),
    }
    assert expected <= edges
    assert len(edges) == len(expected)
    # x is one node even though two ops use it
    assert sum(1 for v in labels.values() if v.startswith("x")) == 1


def test_to_dot_without_params_and_show_saved():
    _, _, out = _graph()
    src = viz.to_dot(out)
    assert sum(1 for v in _labels(src).values() if v == "(2, 3)") == 2
    assert "saved" not in src
    saved = viz.to_dot(out, show_saved=True)
    assert 'label="saved (2, 3)"' in saved and "style=dashed" in saved


def test_to_dot_leaf_only_and_bad_params():
    x = ng.tensor([1.0, 2.0], requires_grad=True)
    src = viz.to_dot(x, params={"w": x})
    assert 'label="w\\n(2,)"' in src and "->" not in src
    with pytest.raises(TypeError, match="params"):
        viz.to_dot(x * 2, params={"w": 3})


def test_render_without_backends_raises_clear_error(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    monkeypatch.setattr(viz.shutil, "which", lambda name: None)
    _, _, out = _graph()
    with pytest.raises(RuntimeError, match="pip install graphviz"):
        viz.render(out, str(tmp_path / "g"))


def test_render_with_dot_binary(monkeypatch, tmp_path):
    # a stand-in `dot` that copies its stdin to the -o file, so the DOT text can be checked
    fake = tmp_path / "bin" / "dot"
    fake.parent.mkdir()
    fake.write_text(f'#!{sys.executable}\nimport sys\nargs = sys.argv\n'
                    'open(args[args.index("-o") + 1], "w").write(args[1] + "\\n" + '
                    "sys.stdin.read())\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setitem(sys.modules, "graphviz", None)
    monkeypatch.setenv("PATH", str(fake.parent) + os.pathsep + os.environ.get("PATH", ""))
    _, _, out = _graph()
    path = viz.render(out, str(tmp_path / "graph"), format="svg")
    assert path.endswith("graph.svg")
    text = open(path).read()
    assert text.startswith("-Tsvg\n") and "MulBackward0" in text


def test_render_with_graphviz_package(monkeypatch, tmp_path):
    calls = {}

    class Source:
        def __init__(self, src, format):
            calls["src"], calls["format"] = src, format

        def render(self, filename, cleanup):
            calls["filename"] = filename

    monkeypatch.setitem(sys.modules, "graphviz", types.SimpleNamespace(Source=Source))
    _, _, out = _graph()
    path = viz.render(out, str(tmp_path / "g.pdf"), format="pdf")
    assert path == str(tmp_path / "g.pdf")
    assert calls["format"] == "pdf" and calls["filename"] == str(tmp_path / "g")
    assert "ExpBackward0" in calls["src"]
