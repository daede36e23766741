"""Builders for messages of the shape ``<op>: <what is wrong>. <what to do>.``"""

from __future__ import annotations


class ShapeError(RuntimeError, ValueError):
    """Shapes that do not fit an op. A RuntimeError, as PyTorch raises for them, and a
    ValueError, as NumPy code expects."""


class DtypeError(RuntimeError, TypeError):
    """Dtypes an op cannot take: a RuntimeError (PyTorch's type) and a TypeError."""


class ArgumentAssertionError(AssertionError, ValueError):
    """A bad argument that PyTorch rejects with an ``assert`` (AssertionError): also a
    ValueError, which is what the mistake is."""


def shape_error(op: str, what: str, hint: str = "") -> ShapeError:
    """A ShapeError naming the op, the shapes involved and what to change."""
    msg = f"{op}: {what}."
    if hint:
        msg += f" Hint: {hint}."
    return ShapeError(msg)


def dtype_error(op: str, what: str, hint: str = "") -> DtypeError:
    """A DtypeError naming the op, the dtypes involved and what to change."""
    msg = f"{op}: {what}."
    if hint:
        msg += f" Hint: {hint}."
    return DtypeError(msg)
