"""Builders for messages of the shape ``<op>: <what is wrong>. <what to do>.``"""

from __future__ import annotations


def shape_error(op: str, what: str, hint: str = "") -> ValueError:
    """A ValueError naming the op, the shapes involved and what to change."""
    msg = f"{op}: {what}."
    if hint:
        msg += f" Hint: {hint}."
    return ValueError(msg)


def dtype_error(op: str, what: str, hint: str = "") -> TypeError:
    """A TypeError naming the op, the dtypes involved and what to change."""
    msg = f"{op}: {what}."
    if hint:
        msg += f" Hint: {hint}."
    return TypeError(msg)
