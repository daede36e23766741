"""``ng.nn``: Module, Parameter, layers (``modules/``), ``init`` and ``functional``."""

from __future__ import annotations

from . import functional, init
from .module import Module
from .modules import *  # noqa: F403
from .modules import __all__ as _layers
from .parameter import Parameter

__all__ = ["functional", "init", "Module", "Parameter", *_layers]
