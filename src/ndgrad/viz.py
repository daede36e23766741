"""``ng.viz``: draw the autograd graph as Graphviz DOT text, and render it to a file.

``to_dot`` needs nothing installed. ``render`` uses the ``graphviz`` package (extra ``viz``)
when present, else the ``dot`` program. Edges point the way data flows in forward, from each
entry of ``node.next_functions`` to ``node`` (as torchviz draws them).
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
from typing import Any

from ._tensor import Tensor
from .autograd.graph import AccumulateGrad, Node, saved_entries


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _shape(shape: tuple) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _param_names(params: Any) -> dict:
    if params is None:
        return {}
    items = params.items() if isinstance(params, dict) else params
    names = {}
    for name, t in items:
        if not isinstance(t, Tensor):
            raise TypeError(f"to_dot: params must map names to Tensors, got "
                            f"{type(t).__name__} for {name!r}.")
        names[id(t)] = str(name)
    return names


def _saved(node: Node) -> list:
    """Shapes of what ``node`` saved for backward (empty once freed)."""
    saved = saved_entries(node)[0]
    if not saved:
        return []
    out = []
    for entry in saved:
        if entry is None:
            continue
        data = getattr(entry, "_data", None)
        if data is None:
            data = getattr(entry, "data", None)
        if data is not None:
            out.append(tuple(data.shape))
    return out


def to_dot(tensor: Any, params: Any = None, show_saved: bool = False) -> str:
    """DOT source of the graph behind ``tensor`` (a Tensor or a sequence of them).

    Op nodes are labelled with their ``grad_fn`` name, leaves with a name from ``params``
    (a dict or ``named_parameters()``) and their shape, outputs with their shape.
    """
    roots = [tensor] if isinstance(tensor, Tensor) else list(tensor)
    for r in roots:
        if not isinstance(r, Tensor):
            raise TypeError(f"to_dot: expected a Tensor or a sequence of Tensors, got "
                            f"{type(r).__name__}.")
    names = _param_names(params)
    lines = ["digraph {",
             '\tgraph [size="12,12"]',
             "\tnode [align=left fontname=monospace fontsize=10 height=0.2 ranksep=0.1 "
             "shape=box style=filled]"]
    seen: set = set()

    def leaf_id(t: Tensor) -> str:
        return f"t{id(t)}"

    def add_leaf(t: Tensor) -> str:
        key = leaf_id(t)
        if key not in seen:
            seen.add(key)
            name = names.get(id(t), "")
            label = (name + "\n" if name else "") + _shape(t.shape)
            lines.append(f"\t{key} [label={_quote(label)} fillcolor=lightblue]")
        return key

    stack: list = []
    for i, r in enumerate(roots):
        out_key = f"out{i}_{id(r)}"
        if r.grad_fn is None:
            add_leaf(r)
            continue
        lines.append(f"\t{out_key} [label={_quote(_shape(r.shape))} fillcolor=darkolivegreen1]")
        lines.append(f"\tn{id(r.grad_fn)} -> {out_key}")
        stack.append(r.grad_fn)
    while stack:
        node = stack.pop()
        key = f"n{id(node)}"
        if key in seen:
            continue
        seen.add(key)
        lines.append(f"\t{key} [label={_quote(node.name())} fillcolor=lightgrey]")
        if show_saved:
            for j, shape in enumerate(_saved(node)):
                skey = f"s{id(node)}_{j}"
                lines.append(f"\t{skey} [label={_quote('saved ' + _shape(shape))} "
                             "fillcolor=orange]")
                lines.append(f"\t{skey} -> {key} [style=dashed]")
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            if isinstance(nxt, AccumulateGrad):
                src = add_leaf(nxt.variable)
            else:
                src = f"n{id(nxt)}"
                stack.append(nxt)
            lines.append(f"\t{src} -> {key}")
    lines.append("}")
    return "\n".join(lines) + "\n"


_MISSING = ("render: neither the graphviz Python package nor the Graphviz 'dot' program was "
            "found. Run `pip install graphviz` (or `pip install ndgrad[viz]`) and install "
            "Graphviz (https://graphviz.org/download/), or save to_dot(tensor) to a .dot file.")


def render(tensor: Any, path: str, format: str = "png", params: Any = None,
           show_saved: bool = False) -> str:
    """Write the graph of ``tensor`` to ``path`` (suffix ``.<format>`` added if missing).

    Uses the ``graphviz`` package if installed, else the ``dot`` program; returns the path.
    """
    src = to_dot(tensor, params=params, show_saved=show_saved)
    out = path if path.endswith("." + format) else f"{path}.{format}"
    try:
        graphviz = importlib.import_module("graphviz")
    except ImportError:
        graphviz = None
    if graphviz is not None:
        stem = out[: -len(format) - 1]
        try:
            graphviz.Source(src, format=format).render(filename=stem, cleanup=True)
        except Exception as e:
            if type(e).__name__ == "ExecutableNotFound":  # the package without Graphviz itself
                raise RuntimeError(_MISSING) from e
            raise
        return out
    dot = shutil.which("dot")
    if dot is None:
        raise RuntimeError(_MISSING)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    subprocess.run([dot, f"-T{format}", "-o", out], input=src.encode(), check=True)
    return out


__all__ = ["to_dot", "render"]
