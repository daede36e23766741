"""``ng.linalg``: PyTorch's ``torch.linalg`` names, implemented in ``ops/linalg.py``."""

from __future__ import annotations

from .ops.linalg import (
    LinAlgError,
    cholesky,
    det,
    inv,
    matmul,
    matrix_norm,
    slogdet,
    solve,
    vector_norm,
)
from .ops.linalg import (
    linalg_norm as norm,
)

__all__ = ["inv", "det", "slogdet", "solve", "norm", "cholesky", "vector_norm", "matrix_norm",
           "matmul", "LinAlgError"]
