"""Nested tuples, lists and dicts ("pytrees") as a flat list of leaves plus a ``TreeSpec``.

``ng.func`` flattens arguments and outputs with these, works on the leaves and rebuilds the
structure. A leaf is anything else (Tensor, number, None); a namedtuple is a node like a tuple.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable


class TreeSpec:
    """The shape of a pytree without its leaves: node kind, dict keys and child specs."""

    __slots__ = ("kind", "keys", "children", "num_leaves")

    def __init__(self, kind: type | None, keys: tuple | None, children: tuple) -> None:
        self.kind, self.keys, self.children = kind, keys, children
        self.num_leaves = 1 if kind is None else sum(c.num_leaves for c in children)

    def is_leaf(self) -> bool:
        return self.kind is None

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, TreeSpec) and self.kind is other.kind
                and self.keys == other.keys and self.children == other.children)

    def __hash__(self) -> int:
        return hash((self.kind, self.keys, self.children))

    def __repr__(self) -> str:
        if self.kind is None:
            return "*"
        parts = [repr(c) for c in self.children]
        if self.keys is not None:
            return "{" + ", ".join(f"{k!r}: {p}" for k, p in zip(self.keys, parts)) + "}"
        if self.kind is list:
            return "[" + ", ".join(parts) + "]"
        body = ", ".join(parts) + ("," if len(parts) == 1 else "")
        return ("" if self.kind is tuple else self.kind.__name__) + "(" + body + ")"


LEAF = TreeSpec(None, None, ())


def _kind(tree: Any) -> type | None:
    if isinstance(tree, dict):
        return OrderedDict if isinstance(tree, OrderedDict) else dict
    if isinstance(tree, list):
        return list
    if isinstance(tree, tuple):
        return type(tree) if hasattr(type(tree), "_fields") else tuple
    return None


def _children(tree: Any, kind: type) -> tuple[tuple | None, list]:
    if issubclass(kind, dict):
        return tuple(tree.keys()), list(tree.values())
    return None, list(tree)


def tree_flatten(tree: Any) -> tuple[list, TreeSpec]:
    """(leaves in depth-first order, spec); dicts keep their insertion order."""
    leaves: list = []

    def go(t: Any) -> TreeSpec:
        kind = _kind(t)
        if kind is None:
            leaves.append(t)
            return LEAF
        keys, kids = _children(t, kind)
        return TreeSpec(kind, keys, tuple(go(c) for c in kids))

    spec = go(tree)
    return leaves, spec


def tree_unflatten(leaves: list, spec: TreeSpec) -> Any:
    """The inverse of ``tree_flatten``: ``leaves`` put back into the structure ``spec``."""
    if len(leaves) != spec.num_leaves:
        raise ValueError(f"tree_unflatten: got {len(leaves)} leaves for a structure with "
                         f"{spec.num_leaves}. Pass one leaf per '*' in {spec}.")
    it = iter(leaves)

    def go(s: TreeSpec) -> Any:
        if s.kind is None:
            return next(it)
        kids = [go(c) for c in s.children]
        if s.keys is not None:
            return s.kind(zip(s.keys, kids))
        if s.kind is list or s.kind is tuple:
            return s.kind(kids)
        return s.kind(*kids)  # namedtuple

    return go(spec)


def tree_map(fn: Callable[[Any], Any], tree: Any) -> Any:
    """``tree`` with ``fn`` applied to every leaf."""
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(x) for x in leaves], spec)


def broadcast_prefix(prefix: Any, spec: TreeSpec) -> list | None:
    """One entry of ``prefix`` per leaf of ``spec``: a leaf of ``prefix`` (such as an int or
    None) covers a whole subtree. None when ``prefix`` is not a prefix of ``spec``'s structure."""
    kind = _kind(prefix)
    if kind is None:
        return [prefix] * spec.num_leaves
    if spec.kind is None or kind is not spec.kind:
        return None
    keys, kids = _children(prefix, kind)
    if len(kids) != len(spec.children):
        return None
    if keys is not None:
        if set(keys) != set(spec.keys):
            return None
        kids = [prefix[k] for k in spec.keys]
    out: list = []
    for k, s in zip(kids, spec.children):
        sub = broadcast_prefix(k, s)
        if sub is None:
            return None
        out.extend(sub)
    return out
