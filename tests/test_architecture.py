"""The import graph respects the layers of docs/architecture.md and has no cycles; only
_backend imports cupy; files stay under the size cap."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "ndgrad"

LAYERS = [
    (0, ["_backend", "_dtypes", "_errors", "_repr", "_pytree"]),
    (1, ["autograd.grad_mode", "autograd.anomaly_mode"]),
    (2, ["autograd.graph"]),
    (3, ["_tensor", "_tensor_ops"]),
    (4, ["autograd.function", "autograd._peephole", "autograd.engine", "autograd._grads"]),
    (5, ["ops", "_creation", "random"]),
    (6, ["autograd.api", "autograd.checks", "autograd.functional", "autograd.forward_ad",
         "func", "linalg"]),
    (7, ["nn", "optim", "utils", "serialization", "viz", "distributed", "data"]),
    (8, ["__init__", "__main__", "autograd.__init__", "autograd"]),
]


def _modname(path: Path) -> str:
    rel = path.relative_to(SRC).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        return ".".join(parts[:-1]) + ".__init__"
    return ".".join(parts)


def _layer(mod: str) -> int:
    best, best_len = None, -1
    for layer, prefixes in LAYERS:
        for p in prefixes:
            if (mod == p or mod.startswith(p + ".")) and len(p) > best_len:
                best, best_len = layer, len(p)
    if best is None:
        raise AssertionError(f"module ndgrad.{mod} has no layer: add it to LAYERS and "
                             "docs/architecture.md")
    return best


def _is_module(dotted: str) -> bool:
    p = SRC.joinpath(*dotted.split("."))
    return p.with_suffix(".py").exists() or (p / "__init__.py").exists()


def _top_level_imports(path: Path, mod: str) -> set[str]:
    tree = ast.parse(path.read_text())
    pkg = mod.rsplit(".", 1)[0] if "." in mod else ""
    if mod.endswith(".__init__"):
        pkg = mod[: -len(".__init__")]
    out = set()
    for node in tree.body:  # module level only; TYPE_CHECKING blocks are skipped
        if isinstance(node, ast.ImportFrom) and node.level:
            base = pkg.split(".") if pkg else []
            base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                sub = f"{target}.{alias.name}" if target else alias.name
                out.add(sub if _is_module(sub) else target)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ndgrad"):
            out.add(node.module[len("ndgrad."):] or "__init__")
    out.discard("")
    return {o.replace(".__init__", "") for o in out}


MODULES = sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_imports_point_down(path):
    mod = _modname(path)
    own = _layer(mod)
    for target in _top_level_imports(path, mod):
        assert _layer(target) <= own, (f"ndgrad.{mod} (layer {own}) imports ndgrad.{target} "
                                       f"(layer {_layer(target)}) at module level")


def test_no_import_cycles():
    graph = {}
    for path in MODULES:
        mod = _modname(path).replace(".__init__", "")
        graph[mod] = {t for t in _top_level_imports(path, _modname(path)) if t != mod}
    state: dict = {}

    def visit(start):
        stack = [(start, iter(graph.get(start, ())))]
        state[start] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
                continue
            # a package importing its own submodules is its composition root, not a cycle
            if nxt.startswith(node + ".") or node.startswith(nxt + "."):
                continue
            if state.get(nxt) == 1:
                raise AssertionError(f"import cycle through ndgrad.{node} -> ndgrad.{nxt}")
            if state.get(nxt) is None:
                state[nxt] = 1
                stack.append((nxt, iter(graph.get(nxt, ()))))

    for m in graph:
        if m not in state:
            visit(m)


def test_only_backend_imports_cupy():
    for path in MODULES:
        if path.name == "_backend.py":
            continue
        assert "import cupy" not in path.read_text(), f"{path} imports cupy"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_file_size_cap(path):
    n = len(path.read_text().splitlines())
    assert n <= 600, f"{path.relative_to(SRC)} has {n} lines (hard limit 600): split it by family"
