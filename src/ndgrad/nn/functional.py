"""``ng.nn.functional``: layers as functions (linear, conv, pooling, normalisation, dropout,
activations). Losses live in ``_loss.py`` and are re-exported here. Composite unless fused
for stability or speed; every fused primitive has a differentiable backward.
"""

from __future__ import annotations

import math
from typing import Any

from .. import _backend, ops
from .._tensor import Tensor
from ..autograd.function import Primitive, _apply_one
from ..autograd.grad_mode import grad_enabled as _grad_on
from ..ops.linalg import MatMul
from ..ops.unary import Relu as _Relu
from ..random import default_generator
from . import _conv
from ._loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    mse_loss,
    nll_loss,
    softplus_neg_abs,
)
from ._softmax import log_softmax, logsumexp, softmax

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _pair(v: Any, name: str) -> tuple[int, int]:
    if isinstance(v, int):
        return (v, v)
    t = tuple(int(i) for i in v)
    if len(t) == 1:
        return (t[0], t[0])
    if len(t) != 2:
        raise ValueError(f"{name}: expected an int or a pair of ints, got {v!r}")
    return t  # type: ignore[return-value]


# ---------------------------------------------------------------------------- linear
class Linear(Primitive):
    """y = x @ w.T + b in one node (the MLP hot path: one matmul, one in-place add)."""

    @staticmethod
    def forward(ctx: Any, x: Any, w: Any, b: Any = None) -> Any:
        ctx.save_inputs(0, 1)
        y = x @ w.T
        if b is not None:
            y += b
        return y

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        x, w = ctx.saved_inputs
        need = ctx.needs_input_grad
        if not _grad_on() and x._data.ndim == 2:
            # no graph is being built: the same three products straight on the arrays (the
            # training hot path); with create_graph the primitives below keep it differentiable
            g, xa, wa = grad._data, x._data, w._data
            make = Tensor._make
            gx = make(g @ wa) if need[0] else None
            gw = make(g.T @ xa) if need[1] else None
            if len(need) == 2:
                return gx, gw
            return gx, gw, (make(_backend.array_module(g).add.reduce(g, axis=0))
                            if need[2] else None)
        gx = MatMul.apply(grad, w) if need[0] else None  # shapes are known to fit
        gw = None
        if need[1]:
            if x.ndim == 2:
                gw = OuterGrad.apply(grad, x)
            else:
                gw = OuterGrad.apply(grad.reshape(-1, w.shape[0]), x.reshape(-1, w.shape[1]))
        if len(need) == 2:
            return gx, gw
        return gx, gw, (SumRows.apply(grad) if need[2] else None)


class SumRows(Primitive):
    """Sum over all leading dims of (..., out): Linear's bias gradient as one cheap node."""

    _ctx_slots = ("shape",)

    @staticmethod
    def forward(ctx: Any, g: Any) -> Any:
        ctx.shape = g.shape
        add = _backend.array_module(g).add.reduce  # no Python wrapper around .sum()
        return add(g, axis=0) if g.ndim == 2 else add(g.reshape(-1, g.shape[-1]), axis=0)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return ops.broadcast_to(grad, ctx.shape)


class OuterGrad(Primitive):
    """gw = g.T @ x for 2-D g, x (Linear's weight gradient, one node instead of two)."""

    @staticmethod
    def forward(ctx: Any, g: Any, x: Any) -> Any:
        ctx.save_inputs(0, 1)
        return g.T @ x

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        g, x = ctx.saved_inputs
        need = ctx.needs_input_grad
        gg = ops.matmul(x, grad.T) if need[0] else None
        gx = ops.matmul(g, grad) if need[1] else None
        return gg, gx


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight.T + bias, for input (..., in) and weight (out, in)."""
    xs, ws = input._data.shape, weight._data.shape
    if len(ws) == 2 and xs and xs[-1] == ws[1]:  # the checked common case, no property calls
        return Linear.apply(input, weight) if bias is None else Linear.apply(input, weight, bias)
    if input.shape[-1] != weight.shape[-1]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                           f"({math.prod(input.shape[:-1])}x{input.shape[-1]} and "
                           f"{weight.shape[1]}x{weight.shape[0]})")
    if weight.ndim != 2 or input.ndim == 0:
        out = ops.matmul(input, weight.T)
        return out if bias is None else out + bias
    if bias is None:
        return Linear.apply(input, weight)
    return Linear.apply(input, weight, bias)


# ---------------------------------------------------------------------------- convolution
def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation of (N, C, H, W) (or (C, H, W)) with (O, C/groups, kh, kw)."""
    unbatched = input.ndim == 3
    if unbatched:
        input = input.unsqueeze(0)
    if input.ndim != 4 or weight.ndim != 4:
        raise RuntimeError(f"conv2d: expected 3D or 4D input and 4D weight, got input "
                           f"{input.shape} and weight {weight.shape}")
    st, dl = _pair(stride, "conv2d"), _pair(dilation, "conv2d")
    kh, kw = weight.shape[2:]
    if padding == "valid":
        pd = (0, 0)
    elif padding == "same":
        if st != (1, 1):
            raise ValueError("padding='same' is not supported for strided convolutions")
        th, tw = dl[0] * (kh - 1), dl[1] * (kw - 1)
        if th % 2 or tw % 2:
            input = ops.pad(input, (tw // 2, tw - tw // 2, th // 2, th - th // 2))
            pd = (0, 0)
        else:
            pd = (th // 2, tw // 2)
    else:
        pd = _pair(padding, "conv2d")
    c = input.shape[1]
    if c != weight.shape[1] * groups or weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {weight.shape}, expected "
                           f"input{input.shape} to have {weight.shape[1] * groups} channels, "
                           f"but got {c} channels instead")
    eh, ew = dl[0] * (kh - 1) + 1, dl[1] * (kw - 1) + 1
    if input.shape[2] + 2 * pd[0] < eh or input.shape[3] + 2 * pd[1] < ew:
        raise RuntimeError(f"conv2d: kernel size ({eh}x{ew}, dilated) can't be greater than "
                           f"the padded input size {tuple(input.shape[2:])} + 2*{pd}")
    if bias is not None and tuple(bias.shape) != tuple(weight.shape[:1]):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {weight.shape[0]} elements, but got bias of "
                           f"size {list(bias.shape)} instead")
    if bias is None:
        out = _conv.Conv2d.apply(input, weight, stride=st, padding=pd, dilation=dl,
                                 groups=groups)
    elif bias._data.dtype == weight._data.dtype == input._data.dtype:
        # the usual case: the bias is added inside the conv node
        out = _conv.Conv2d.apply(input, weight, bias, stride=st, padding=pd, dilation=dl,
                                 groups=groups)
    else:  # mixed dtypes promote, as an add does
        out = _conv.Conv2d.apply(input, weight, stride=st, padding=pd, dilation=dl,
                                 groups=groups) + bias.reshape(1, -1, 1, 1)
    return out[0] if unbatched else out


# ---------------------------------------------------------------------------- pooling
def _pool_args(kernel_size: Any, stride: Any, padding: Any, op: str) -> tuple:
    k = _pair(kernel_size, op)
    s = k if stride is None or stride == () or stride == [] else _pair(stride, op)
    p = _pair(padding, op)
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise RuntimeError(f"{op}: pad should be at most half of effective kernel size, but "
                           f"got pad={p} and kernel_size={k}")
    return k, s, p


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor:
    """Max over (dilated) windows of (N, C, H, W) or (C, H, W)."""
    if ceil_mode or return_indices:
        raise NotImplementedError("max_pool2d: ceil_mode and return_indices are not supported")
    k, s, p = _pool_args(kernel_size, stride, padding, "max_pool2d")
    unbatched = input.ndim == 3
    if unbatched:
        input = input.unsqueeze(0)
    d = _pair(dilation, "max_pool2d")
    n, c, h, w = input.shape
    oh = (h + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (w + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    if oh < 1 or ow < 1:
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: "
                           f"({c}x{oh}x{ow}). Output size is too small")
    out = _conv.MaxPool2d.apply(input, kernel=k, stride=s, padding=p, dilation=d)
    return out[0] if unbatched else out


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Mean over windows, as a depthwise convolution with a constant kernel."""
    if ceil_mode:
        raise NotImplementedError("avg_pool2d: ceil_mode is not supported")
    k, s, p = _pool_args(kernel_size, stride, padding, "avg_pool2d")
    unbatched = input.ndim == 3
    if unbatched:
        input = input.unsqueeze(0)
    n, c, h, w = input.shape
    xp = _backend.array_module(input._data)
    div = divisor_override or k[0] * k[1]
    ker = Tensor._make(xp.full((1, 1) + k, 1.0 / div, dtype=input.dtype))
    params = {"stride": s, "padding": p, "dilation": (1, 1), "groups": 1}
    out = _conv.Conv2d.apply(input.reshape(n * c, 1, h, w), ker, **params)
    if not count_include_pad and (p[0] or p[1]) and divisor_override is None:
        ones = xp.ones((1, 1, h, w), dtype=input.dtype)
        counts = _conv._conv_forward(ones, xp.ones((1, 1) + k, dtype=input.dtype), s, p,
                                     (1, 1), 1)
        out = out * Tensor._make(div / counts)
    out = out.reshape(n, c, out.shape[2], out.shape[3])
    return out[0] if unbatched else out


# ---------------------------------------------------------------------------- normalisation
def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise over every dim but 1 with batch statistics (training) or the running ones;
    training also updates the running stats in place (unbiased variance, as PyTorch)."""
    dims = (0,) + tuple(range(2, input.ndim))
    shape = (1, -1) + (1,) * (input.ndim - 2)
    if training:
        n = input.numel() // input.shape[1]
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {input.shape}")
        mean = input.mean(dim=dims, keepdim=True)
        diff = input - mean
        var = (diff * diff).mean(dim=dims, keepdim=True)
        if running_mean is not None and running_var is not None:
            m = momentum
            rm, rv = running_mean._data, running_var._data
            rm *= 1 - m
            rm += m * mean._data.reshape(-1).astype(rm.dtype, copy=False)
            rv *= 1 - m
            rv += m * (n / (n - 1)) * var._data.reshape(-1).astype(rv.dtype, copy=False)
            running_mean._bump()
            running_var._bump()
        out = diff / ops.sqrt(var + eps)
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean and running_var are needed in eval "
                               "mode (or pass training=True)")
        inv = 1.0 / _backend.array_module(running_var._data).sqrt(running_var._data + eps)
        out = (input - running_mean.reshape(shape)) * Tensor._make(
            inv.reshape(shape).astype(input.dtype, copy=False))
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dims (biased variance)."""
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(ns):]) != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape "
                           f"[*, {', '.join(map(str, ns))}], but got input of size "
                           f"{list(input.shape)}")
    dims = tuple(range(input.ndim - len(ns), input.ndim))
    mean = input.mean(dim=dims, keepdim=True)
    diff = input - mean
    var = (diff * diff).mean(dim=dims, keepdim=True)
    out = diff / ops.sqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


# ---------------------------------------------------------------------------- dropout, embedding
def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p) (training only)."""
    if p < 0 or p > 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    xp = _backend.array_module(input._data)
    if p == 1:
        return input * Tensor._make(xp.zeros((), dtype=input.dtype))
    keep = default_generator().random(input.shape) >= p
    mask = _backend.to_device(keep.astype(input.dtype) * (1.0 / (1 - p)), input.device)
    out = input * Tensor._make(mask.astype(input.dtype, copy=False))
    return input.copy_(out) if inplace else out


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` at the integer ``input``; row ``padding_idx`` gets no gradient.
    ``max_norm`` first rescales, in place, each looked-up row whose ``norm_type``-norm exceeds
    it; ``scale_grad_by_freq`` divides each row's gradient by its count in ``input``."""
    idx = input._data if isinstance(input, Tensor) else _backend.np.asarray(input)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {idx.dtype} instead")
    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not supported by ndgrad. "
                                  "Hint: pass sparse=False (the gradient is then dense).")
    if max_norm is not None:
        _embedding_renorm_(weight, idx, float(max_norm), float(norm_type))
    out = weight[idx]
    if padding_idx is not None:
        if padding_idx < 0:
            padding_idx += weight.shape[0]
        pad = Tensor._make((idx == padding_idx)[..., None])
        out = ops.where(pad, weight.detach()[idx], out)
    if scale_grad_by_freq and out.requires_grad:
        xp = _backend.array_module(idx)
        _, inv, counts = xp.unique(idx.reshape(-1), return_inverse=True, return_counts=True)
        k = (1.0 / counts[inv]).astype(weight._data.dtype).reshape(idx.shape + (1,))
        base = out.detach()
        out = base + (out - base) * Tensor._make(k)  # the same values; gradients times k
    return out


def _embedding_renorm_(weight: Tensor, idx: Any, max_norm: float, norm_type: float) -> None:
    """PyTorch's embedding_renorm_: rows of ``weight`` used by ``idx`` with a norm above
    ``max_norm`` are scaled by max_norm / (norm + 1e-7), in place and outside the graph."""
    xp = _backend.array_module(weight._data)
    rows = xp.unique(idx.reshape(-1))
    w = weight._data
    norms = xp.linalg.norm(w[rows], ord=norm_type, axis=1)
    big = norms > max_norm
    if big.any():
        rows, scale = rows[big], max_norm / (norms[big] + 1e-7)
        w[rows] *= scale[:, None].astype(w.dtype)
        weight._bump()


# ---------------------------------------------------------------------------- activations
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(input, 0)."""
    if inplace:
        return input.relu_()
    # ops.relu without its to_tensor and apply's argument packing (one input, one output)
    return _apply_one(_Relu, input) if isinstance(input, Tensor) else ops.relu(input)


def sigmoid(input: Tensor) -> Tensor:
    return ops.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    return ops.tanh(input)


def _leaky(x: Any, v: Any, slope: float) -> Any:
    """``v`` where x > 0, else slope * v: leaky_relu itself (v = x) and its rule (v = grad)."""
    return _backend.array_module(v).where(x > 0, v, v * slope)


class LeakyRelu(Primitive):
    """x where x > 0, else slope * x (slope at 0, as PyTorch)."""

    _ctx_slots = ("slope",)

    @staticmethod
    def forward(ctx: Any, x: Any, slope: float) -> Any:
        ctx.save_inputs(0)
        ctx.slope = slope
        return _leaky(x, x, slope)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_inputs
        return LeakyReluBackward.apply(grad, x, slope=ctx.slope)


class LeakyReluBackward(Primitive):
    """grad where x > 0, else slope * grad. A node of its own so that, as in PyTorch, a
    create_graph gradient depends on x (and requires grad); its x-derivative is 0."""

    _ctx_slots = ("slope",)

    @staticmethod
    def forward(ctx: Any, grad: Any, x: Any, slope: float) -> Any:
        ctx.save_inputs(1)
        ctx.slope = slope
        return _leaky(x, grad, slope)

    @staticmethod
    def backward(ctx: Any, gg: Tensor) -> tuple:
        (x,) = ctx.saved_inputs
        need = ctx.needs_input_grad
        ggrad = LeakyReluBackward.apply(gg, x, slope=ctx.slope) if need[0] else None
        gx = ops._common.const_zeros(x) if need[1] else None
        return ggrad, gx


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """input where input > 0, else negative_slope * input."""
    out = LeakyRelu.apply(ops._common.float_input(input), slope=float(negative_slope))
    return input.copy_(out) if inplace else out


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (as PyTorch)."""
    return ops.softplus(input, beta=beta, threshold=threshold)


class _Erf(Primitive):
    """erf(x) (NumPy has none; math.erf per element is fine at activation sizes)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_inputs(0)
        xp = _backend.array_module(x)
        host = _backend.to_numpy(x)
        out = _backend.np.frompyfunc(math.erf, 1, 1)(host).astype(x.dtype)
        return _backend.to_device(out, _backend.device_of(x)) if xp is not _backend.np else out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_inputs
        return grad * (2.0 / math.sqrt(math.pi)) * ops.exp(-(x * x))


_erf = getattr(ops, "erf", None) or _Erf.apply


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x); ``approximate='tanh'`` uses 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715 x^3)))."""
    if approximate == "tanh":
        inner = (input + 0.044715 * input * input * input) * _SQRT_2_OVER_PI
        return 0.5 * input * (1.0 + ops.tanh(inner))
    if approximate != "none":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return 0.5 * input * (1.0 + _erf(input * (1.0 / math.sqrt(2.0))))


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return ops.flatten(input, start_dim, end_dim)


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    return ops.pad(input, pad, mode, value)


__all__ = ["linear", "conv2d", "max_pool2d", "avg_pool2d", "batch_norm", "layer_norm",
           "dropout", "embedding", "relu", "sigmoid", "tanh", "leaky_relu", "softplus", "gelu",
           "softmax", "log_softmax", "logsumexp", "flatten", "pad", "mse_loss", "l1_loss",
           "cross_entropy", "nll_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "softplus_neg_abs"]
