"""``ng.linalg``: inv det slogdet solve norm cholesky (re-exported from ops.linalg)."""

from __future__ import annotations
