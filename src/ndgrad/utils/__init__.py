"""``ng.utils``: data loading and checkpointing."""

from __future__ import annotations
