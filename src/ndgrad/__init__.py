"""ndgrad: NumPy-native automatic differentiation with PyTorch's API.

The composition root: imports the layers in order, binds the Tensor's delegation names
(``_tensor._ops`` / ``_tensor._autograd``) once, and re-exports the public namespace.
"""

from __future__ import annotations

from . import _tensor, _tensor_ops
from ._backend import Device as device
from ._dtypes import (
    bool_,
    cdouble,
    cfloat,
    complex64,
    complex128,
    double,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
)
from ._tensor import Tensor
from .autograd import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from . import ops  # noqa: E402  (after Tensor: the ops are built on it)
from .ops import *  # noqa: F403,E402
from ._creation import *  # noqa: F403,E402
from .random import (  # noqa: E402
    Generator,
    bernoulli,
    get_rng_state,
    initial_seed,
    manual_seed,
    normal,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    seed,
    set_rng_state,
)
from .autograd import api as _api  # noqa: E402
from . import autograd  # noqa: E402
from . import nn  # noqa: E402
from . import linalg, optim, utils  # noqa: E402
from .serialization import load, save  # noqa: E402

_tensor._ops = ops
_tensor_ops._ops = ops
_tensor._autograd = _api
# The hottest operators are the op functions themselves (the call shapes match): one Python
# frame fewer per ``x * 2`` or ``a + b`` than a method that forwards to them.
for _name, _op in (("__add__", ops.add), ("__radd__", ops.add), ("__sub__", ops.sub),
                   ("__rsub__", ops.rsub), ("__mul__", ops.mul), ("__rmul__", ops.mul),
                   ("__truediv__", ops.div), ("__rtruediv__", ops.rdiv),
                   ("__matmul__", ops.matmul), ("__neg__", ops.neg), ("__pow__", ops.pow),
                   ("__rpow__", ops.rpow)):
    setattr(Tensor, _name, _op)
# Methods whose call shape is the op function's (input first, then the same parameters) are
# the functions themselves, for the same frame saved on every ``x.sum(1)`` or ``x.exp()``.
for _name in ("sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "var",
              "std", "logsumexp", "norm", "cumsum", "neg", "exp", "log", "log1p", "expm1",
              "sqrt", "rsqrt", "sin", "cos", "tan", "tanh", "sinh", "cosh", "arcsin", "arccos",
              "arctan", "arctan2", "sigmoid", "relu", "abs", "sign", "square", "reciprocal",
              "clamp", "clip", "maximum", "minimum", "mul", "div", "matmul", "dot"):
    setattr(Tensor, _name, getattr(ops, _name))
Tensor.backward = _api.tensor_backward  # type: ignore[method-assign]
del _name, _op

bool = bool_  # noqa: A001  (torch.bool)
float = float32  # noqa: A001  (torch.float)
int = int32  # noqa: A001  (torch.int)
grad = _api.chainer_grad  # chainer.grad's contract (seed 004); PyTorch's is ng.autograd.grad
Size = tuple

__version__ = "0.1.0"


def is_tensor(obj: object) -> bool:
    """True for ndgrad Tensors."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    return input.numel()


def __getattr__(name: str) -> object:
    """Optional parts load on first use (they may pull in optional dependencies)."""
    import importlib

    if name in ("func", "viz", "distributed"):
        mod = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = mod
        return mod
    raise AttributeError(f"module 'ndgrad' has no attribute {name!r}")
