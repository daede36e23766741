"""``ng.nn``: modules, parameters, init and functional."""

from __future__ import annotations

from . import functional

__all__ = ["functional"]
