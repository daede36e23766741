"""``ng.utils``: data loading and checkpointing."""

from __future__ import annotations

from . import checkpoint  # noqa: E402,F401  (the module: ng.utils.checkpoint.checkpoint)
