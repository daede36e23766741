"""The functional op namespace: every differentiable op, by family, plus NumPy-style aliases.

Each family module lists its public names in ``__all__``; add an op there and it appears here.
"""

from __future__ import annotations

from . import (  # noqa: E402
    binary,
    compare,
    convert,
    extremes,
    indexing,
    join,
    linalg,
    moments,
    powers,
    reduction,
    rounding,
    select,
    shape,
    softmaxes,
    unary,
)
from .binary import *  # noqa: F403
from .compare import *  # noqa: F403
from .convert import *  # noqa: F403
from .extremes import *  # noqa: F403
from .indexing import *  # noqa: F403
from .interop import array_function, array_ufunc
from .join import *  # noqa: F403
from .linalg import *  # noqa: F403
from .moments import *  # noqa: F403
from .powers import *  # noqa: F403
from .reduction import *  # noqa: F403
from .rounding import *  # noqa: F403
from .select import *  # noqa: F403
from .shape import *  # noqa: F403
from .softmaxes import *  # noqa: F403
from .unary import *  # noqa: F403

__all__ = [name for m in (binary, compare, convert, extremes, indexing, join, linalg, moments,
                          powers, reduction, rounding, select, shape, softmaxes, unary)
           for name in m.__all__]
