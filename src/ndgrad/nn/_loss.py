"""Loss functions of ``nn.functional`` (PyTorch's formulas, reductions and errors).

Cross entropy with class indices runs as one fused primitive: its forward is a stable
log-softmax plus a weighted gather, its backward ``(softmax * rowsum(T) - T) * grad`` in
Tensor ops, where ``T`` folds class weights, label smoothing, ignore_index and the mean.
"""

from __future__ import annotations

import warnings
from typing import Any

from .. import _backend, ops
from .._backend import ndarray as _ndarray
from .._tensor import Tensor
from ..autograd.function import Primitive
from ..autograd.grad_mode import grad_enabled as _grad_on
from ._softmax import _max_const, log_softmax

_np = _backend.np
_BCE_EPS = float(_np.float32(1e-12))  # PyTorch's EPSILON is a C float, even for doubles


def _reduce(loss: Tensor, reduction: str, op: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{op}: {reduction} is not a valid value for reduction "
                     "(use 'mean', 'sum' or 'none')")


def legacy_reduction(size_average: Any, reduce: Any, reduction: str) -> str:
    """PyTorch's deprecated ``size_average``/``reduce`` pair, when either is given, decides
    the reduction (with PyTorch's warning); otherwise ``reduction`` stands."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    out = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{out}' instead.", UserWarning, stacklevel=3)
    return out


def _check_reduction(reduction: str, op: str) -> None:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{op}: {reduction} is not a valid value for reduction "
                         "(use 'mean', 'sum' or 'none')")


def _as_tensor(v: Any, like: Tensor) -> Tensor:
    return v if isinstance(v, Tensor) else ops._common.to_tensor(v, like)


def mse_loss(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,
             reduction: str = "mean") -> Tensor:
    """Mean (or sum) of squared differences."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    d = input - _as_tensor(target, input)
    return _reduce(d * d, reduction, "mse_loss")


def l1_loss(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,
            reduction: str = "mean") -> Tensor:
    """Mean (or sum) of absolute differences."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    return _reduce(ops.abs(input - _as_tensor(target, input)), reduction, "l1_loss")


def softplus_neg_abs(x: Tensor) -> Tensor:
    """log(1 + exp(-|x|)): the bounded part of every stable logistic loss."""
    return ops.log1p(ops.exp(-ops.abs(x)))


class BCEWithLogits(Primitive):
    """(1 - t) x + lw softplus(-x), lw = 1 + (pw - 1) t (pw: the optional pos_weight), with
    PyTorch's gradient lw sigmoid(x) - pw t for x. One node rather than the composite
    relu(-x) + log1p(exp(-|x|)), whose subgradients at x = 0 lose half of that gradient."""

    _ctx_slots = ("pw",)

    @staticmethod
    def forward(ctx: Any, x: Any, t: Any, pw: Any = None) -> Any:
        ctx.pw = pw is not None
        if ctx.pw:
            ctx.save_inputs(0, 1, 2)
        else:
            ctx.save_inputs(0, 1)
        xp = _backend.array_module(x)
        sp = xp.log1p(xp.exp(-xp.abs(x)))  # softplus(-x) = -log(sigmoid(x)), no overflow
        sp = sp + xp.maximum(-x, 0)
        return (1 - t) * x + (sp if pw is None else ((pw - 1) * t + 1) * sp)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        x, t = ctx.saved_inputs[:2]
        need = ctx.needs_input_grad
        s = ops.sigmoid(x) if need[0] else None
        if not ctx.pw:
            return (grad * (s - t) if need[0] else None, grad * -x if need[1] else None)
        pw = ctx.saved_inputs[2]
        gx = gt = gpw = None
        if need[0]:
            pt = pw * t
            gx = grad * ((pt + 1 - t) * s - pt)
        if need[1] or need[2]:
            log_sig = ops.logsigmoid(x)
            if need[1]:
                gt = grad * (ops.logsigmoid(-x) - pw * log_sig)
            if need[2]:
                gpw = grad * -(t * log_sig)
        return gx, gt, gpw


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Any = None,
                                     size_average: Any = None, reduce: Any = None,
                                     reduction: str = "mean", pos_weight: Any = None) -> Tensor:
    """BCE on logits, stable for any |input|: (1 - t) x - (1 + (pw - 1) t) log(sigmoid(x))."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if not isinstance(target, Tensor):
        target = ops._common.to_tensor(target, input)
    if target.shape != input.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: Target size ({target.shape}) must be "
                         f"the same as input size ({input.shape})")
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    if pos_weight is None:
        loss = BCEWithLogits.apply(input, target)
    else:
        loss = BCEWithLogits.apply(input, target, _as_tensor(pos_weight, input))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")


class BinaryCrossEntropy(Primitive):
    """-(t log p + (1 - t) log(1 - p)), each log clamped at -100, with PyTorch's gradients:
    (p - t) / max(p (1 - p), 1e-12) for p (finite at p = 0 or 1) and -logit(p) for t."""

    @staticmethod
    def forward(ctx: Any, p: Any, t: Any) -> Any:
        ctx.save_inputs(0, 1)
        xp = _backend.array_module(p)
        with _np.errstate(divide="ignore"):  # log(0) = -inf, clamped
            log_p = xp.maximum(xp.log(p), -100)
            log_1mp = xp.maximum(xp.log1p(-p), -100)
        return (t - 1) * log_1mp - t * log_p

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        p, t = ctx.saved_inputs
        need = ctx.needs_input_grad
        gp = gt = None
        if need[0]:
            gp = grad * (p - t) / ops.clamp((1 - p) * p, min=_BCE_EPS)
        if need[1]:
            with _np.errstate(divide="ignore"):  # +-inf at p = 0 or 1, as PyTorch
                gt = grad * (ops.log1p(-p) - ops.log(p))
        return gp, gt


def binary_cross_entropy(input: Tensor, target: Any, weight: Any = None,
                         size_average: Any = None, reduce: Any = None,
                         reduction: str = "mean") -> Tensor:
    """-(t log x + (1-t) log(1-x)) on probabilities; logs are clamped at -100 (as PyTorch)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    target = _as_tensor(target, input)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input "
                         f"size ({input.shape}) is deprecated. Please ensure they have the same "
                         "size.")
    _check_reduction(reduction, "binary_cross_entropy")
    x, y = input._data, target._data
    if x.size and not (x.min() >= 0 and x.max() <= 1):  # NaN fails too, as in PyTorch
        raise RuntimeError("all elements of input should be between 0 and 1")
    if y.size and not (y.min() >= 0 and y.max() <= 1):
        raise RuntimeError("all elements of target should be between 0 and 1")
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy")


# ---------------------------------------------------------------------------- cross entropy
def _class_last(input: Tensor, op: str) -> tuple[Tensor, bool]:
    """(M, C) view of the logits with the class dim last; True when the input was unbatched."""
    if input.ndim == 1:
        return input.reshape(1, -1), True
    if input.ndim == 2:
        return input, False
    if input.ndim == 0:
        raise RuntimeError(f"{op}: input must have at least 1 dimension (the classes)")
    c = input.shape[1]
    return ops.moveaxis(input, 1, -1).reshape(-1, c), False


def _target_matrix(target: Any, input: Tensor, weight: Any, ignore_index: int,
                   label_smoothing: float, reduction: str, op: str) -> tuple[Any, tuple]:
    """The constant (M, C) matrix T with loss = -sum(T * log_softmax(x)); and the 'none' shape,
    None for a mean over no target at all (every one ignored: the loss is nan, T is 0)."""
    c = input.shape[0] if input.ndim == 1 else input.shape[1]
    xp = _backend.array_module(input._data)
    dt = input._data.dtype
    t = target._data if isinstance(target, Tensor) else xp.asarray(target)
    w = None
    if weight is not None:
        w = (weight._data if isinstance(weight, Tensor) else xp.asarray(weight)).astype(dt)
        if w.shape != (c,):
            raise RuntimeError(f"{op}: weight tensor should be defined either for all {c} "
                               f"classes or no classes but got weight tensor of shape: "
                               f"{list(w.shape)}")
    eps = float(label_smoothing)
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {eps}")
    if t.dtype.kind in "fc":  # class probabilities
        if t.shape != input.shape:
            raise RuntimeError(f"{op}: class-probability target must have the input's shape "
                               f"{input.shape}, got {t.shape}")
        tm = t if input.ndim <= 2 else xp.moveaxis(t, 1, -1)
        tm = tm.reshape(-1, c).astype(dt, copy=False)
        if eps:
            tm = tm * (1 - eps) + eps / c
        if w is not None:
            tm = tm * w
        if reduction == "mean":
            tm = tm / (tm.shape[0] if input.ndim > 1 else 1)
        none_shape = () if input.ndim == 1 else (input.shape[:1] + input.shape[2:])
        return tm, none_shape
    if t.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: expected target of integer class indices or floating class "
                           f"probabilities, got dtype {t.dtype}")
    want = () if input.ndim == 1 else input.shape[:1] + input.shape[2:]
    if t.shape != want:
        raise RuntimeError(f"{op}: expected target of shape {want} for input of shape "
                           f"{input.shape}, got {t.shape}")
    flat = t.reshape(-1)
    m = flat.shape[0]
    if (w is None and not eps and m and not 0 <= ignore_index < c and flat.min() >= 0
            and flat.max() < c):  # the common case: plain one-hot
        tm = xp.zeros((m, c), dtype=dt)
        tm[xp.arange(m), flat] = 1.0 / m if reduction == "mean" else 1.0
        return tm, want
    valid = flat != ignore_index
    bad = valid & ((flat < 0) | (flat >= c))
    if bad.any():
        raise IndexError(f"Target {int(flat[bad][0])} is out of bounds.")
    rows = xp.arange(m)
    safe = xp.where(valid, flat, 0)
    tm = xp.zeros((m, c), dtype=dt)
    wy = w[safe] if w is not None else xp.ones(m, dtype=dt)
    wy = wy * valid
    tm[rows, safe] = (1 - eps) * wy
    if eps:
        smooth = (w if w is not None else xp.ones(c, dtype=dt)) * (eps / c)
        tm += valid[:, None] * smooth
    if reduction == "mean":
        total = wy.sum()
        if total:
            return tm / total, want
        # a zero total weight: the loss is 0/0 = nan (PyTorch), but as in PyTorch's backward
        # rows of ignored targets get gradient 0 and the others nan; all ignored, tm stays 0
        # and the caller makes the value nan, so every gradient is 0
        with _np.errstate(invalid="ignore", divide="ignore"):
            if eps:  # smoothing puts weights on every class of a row: the row is inf/nan
                tm[valid] /= total
            else:  # nan only at the target (0 * inf, PyTorch's nll_loss backward)
                tm[rows, safe] = xp.where(valid, wy / total, 0)
        return tm, want if valid.any() else None
    return tm, want


class SoftmaxCrossEntropy(Primitive):
    """loss = -sum(T * log_softmax(x), 1) for logits (M, C) and a constant matrix T;
    summed to a scalar when ``total``."""

    _ctx_slots = ("p", "tm", "total")

    @staticmethod
    def forward(ctx: Any, x: Any, tm: Any, total: bool, gather: bool = False) -> Any:
        xp = _backend.array_module(x)
        z = x - x.max(axis=1, keepdims=True)
        e = xp.exp(z)
        s = e.sum(axis=1, keepdims=True)
        d = xp.log(s) - z
        if gather:  # class indices: a -inf logit off the target costs nothing (0 * inf = nan)
            d = xp.where(tm != 0, d, 0)
        per = (tm * d).sum(axis=1)
        if ctx._fwd is not None:
            ctx.save_inputs(0)
            e /= s
            ctx.p, ctx.tm, ctx.total = e, tm, total
        return per.sum() if total else per

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_inputs
        return SoftmaxCrossEntropyGrad.apply(x, grad, p=ctx.p, tm=ctx.tm, total=ctx.total)


class SoftmaxCrossEntropyGrad(Primitive):
    """gx = (softmax(x) * rowsum(T) - T) * grad: the loss's gradient as one node; its own
    backward (for double backward) is written with Tensor ops."""

    _ctx_slots = ("tm", "total")

    @staticmethod
    def forward(ctx: Any, x: Any, grad: Any, p: Any, tm: Any, total: bool) -> Any:
        if ctx._fwd is not None:
            ctx.save_inputs(0, 1)
            ctx.tm, ctx.total = tm, total
        g = p * tm.sum(axis=1, keepdims=True)
        g -= tm
        g *= grad if total else grad[:, None]
        return g

    @staticmethod
    def backward(ctx: Any, gg: Tensor) -> tuple:
        x, grad = ctx.saved_inputs
        tm = ctx.tm
        e = ops.exp(x - _max_const(x, 1))
        p = e / e.sum(dim=1, keepdim=True)
        rowsum = Tensor._make(tm.sum(axis=1, keepdims=True))
        scale = grad if ctx.total else grad.reshape(-1, 1)
        need = ctx.needs_input_grad
        gx = ggrad = None
        if need[0]:
            h = gg * rowsum * scale
            gx = p * (h - (p * h).sum(dim=1, keepdim=True))
        if need[1]:
            d = (p * rowsum - Tensor._make(tm)) * gg
            ggrad = d.sum() if ctx.total else d.sum(dim=1)
        return gx, ggrad


class IndexCrossEntropy(Primitive):
    """The common case of cross_entropy: (N, C) logits, class indices, mean or sum. It picks
    the target logits by index instead of building a one-hot matrix (fewer array passes).
    ``t`` must be signed integers in [0, C) (cross_entropy checks before calling): the picks
    use flat indices ``row * C + t``, which do not check bounds per row."""

    _ctx_slots = ("p", "t", "scale", "flat")

    _node_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx: Any, x: Any, t: Any, scale: float) -> Any:
        xp = _np if type(x) is _ndarray else _backend.array_module(x)
        add = xp.add.reduce  # the ufunc reductions: no Python wrapper around .sum()/.max()
        n, c = x.shape
        z = x - xp.maximum.reduce(x, axis=1, keepdims=True)
        e = xp.exp(z)
        s = add(e, axis=1, keepdims=True)
        flat = xp.arange(0, n * c, c)  # row starts in the flattened (N, C) array
        flat += t
        d = xp.log(s[:, 0])
        d -= z.take(flat)  # z is contiguous: take reads the flattened array
        loss = add(d, axis=None) * scale
        if ctx._fwd is not None:
            ctx.save_inputs(0)
            e /= s
            ctx.p, ctx.t, ctx.scale, ctx.flat = e, t, scale, flat
        return xp.asarray(loss, dtype=x.dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_inputs
        if not _grad_on():  # no graph to build: IndexCrossEntropyGrad's formula, directly
            return Tensor._make(_index_ce_grad(ctx.p, ctx.flat, grad._data, ctx.scale))
        return IndexCrossEntropyGrad.apply(x, grad, p=ctx.p, t=ctx.t, flat=ctx.flat,
                                           scale=ctx.scale)


def _index_ce_grad(p: Any, flat: Any, grad: Any, scale: float) -> Any:
    """(p - onehot) * scale * grad on arrays, the one-hot subtracted at the flat positions
    ``row * C + t`` of the (N, C) softmax ``p``."""
    g = p.copy()
    g.reshape(-1)[flat] -= 1  # a view: g is a fresh contiguous copy
    g *= grad * scale
    return g


class IndexCrossEntropyGrad(Primitive):
    """gx = (softmax(x) - onehot(t)) * scale * grad; double backward as SoftmaxCrossEntropyGrad's
    with the one-hot matrix made only then."""

    _ctx_slots = ("tm", "t", "scale", "total")

    @staticmethod
    def forward(ctx: Any, x: Any, grad: Any, p: Any, t: Any, flat: Any, scale: float) -> Any:
        if ctx._fwd is not None:
            ctx.save_inputs(0, 1)
            ctx.t, ctx.scale, ctx.total = t, scale, True
        return _index_ce_grad(p, flat, grad, scale)

    @staticmethod
    def backward(ctx: Any, gg: Tensor) -> tuple:
        x = ctx.saved_inputs[0]
        xp = _backend.array_module(x._data)
        tm = xp.zeros(x.shape, dtype=x.dtype)
        tm[xp.arange(ctx.t.shape[0]), ctx.t] = ctx.scale
        ctx.tm = tm
        return SoftmaxCrossEntropyGrad.backward(ctx, gg)


def cross_entropy(input: Tensor, target: Any, weight: Any = None, size_average: Any = None,
                  ignore_index: int = -100, reduce: Any = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross entropy of logits (N, C, ...) against class indices (N, ...) or class
    probabilities (same shape as input), with PyTorch's weight/ignore_index/label_smoothing."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    # The common case first, checked inline (the training hot path): (N, C) logits, N >= 1
    # integer class indices all in [0, C) (argmax/argmin and one read each: cheaper than
    # min/max reductions), ignore_index outside [0, C), mean or sum. Anything else (negative
    # or ignored targets, out-of-range errors...) takes the general path below.
    if weight is None and not label_smoothing and (reduction == "mean" or reduction == "sum"):
        if isinstance(target, Tensor):
            t = None if target._rg else target._data
        else:
            t = target
        xs = input._data.shape
        if (len(xs) == 2 and getattr(t, "ndim", None) == 1 and t.shape[0] == xs[0] and xs[0]
                and not 0 <= ignore_index < xs[1] and t.dtype.kind in "iu"
                and t[t.argmax()] < xs[1] and t[t.argmin()] >= 0):
            if t.dtype.kind == "u":
                t = t.astype(_np.intp)  # flat indices are signed (intp + uint64 is float)
            return IndexCrossEntropy.apply(
                input, t=t, scale=1.0 / xs[0] if reduction == "mean" else 1.0)
    _check_reduction(reduction, "cross_entropy")
    if isinstance(target, Tensor) and target._rg:  # soft targets that need a gradient
        return _soft_cross_entropy(input, target, weight, label_smoothing, reduction)
    tm, none_shape = _target_matrix(target, input, weight, ignore_index, label_smoothing,
                                    reduction, "cross_entropy")
    x2, _ = _class_last(input, "cross_entropy")
    t = target._data if isinstance(target, Tensor) else target
    gather = not label_smoothing and (t.dtype if hasattr(t, "dtype") else
                                      _np.asarray(t).dtype).kind in "iu"
    if reduction == "none":
        return SoftmaxCrossEntropy.apply(x2, tm=tm, total=False, gather=gather).reshape(
            none_shape)
    out = SoftmaxCrossEntropy.apply(x2, tm=tm, total=True, gather=gather)
    return out if none_shape is not None else out + float("nan")


def _soft_cross_entropy(input: Tensor, target: Tensor, weight: Any, eps: float,
                        reduction: str) -> Tensor:
    dim = 0 if input.ndim == 1 else 1
    c = input.shape[dim]
    t = target * (1 - eps) + eps / c if eps else target
    if weight is not None:
        w = _as_tensor(weight, input)
        t = t * w.reshape((-1,) + (1,) * (input.ndim - 1 - dim))
    per = -(t * log_softmax(input, dim)).sum(dim=dim)
    return _reduce(per, reduction, "cross_entropy")


class NllRows(Primitive):
    """-sum(T * x, 1) for (M, C) log-probabilities x and a constant T that is 0 off each
    row's target: a gather, so -inf off the targets gives no nan. As in PyTorch the gradient
    is a node on x too, so a create_graph gradient requires grad (its x-derivative is 0)."""

    _ctx_slots = ("tm",)

    @staticmethod
    def forward(ctx: Any, x: Any, tm: Any) -> Any:
        ctx.save_inputs(0)
        ctx.tm = tm
        return -(tm * _backend.array_module(x).where(tm != 0, x, 0)).sum(axis=1)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_inputs
        return NllRowsGrad.apply(grad, x, tm=ctx.tm)


class NllRowsGrad(Primitive):
    """gx = -T * grad (per row): linear in grad, constant in x."""

    _ctx_slots = ("tm",)

    @staticmethod
    def forward(ctx: Any, grad: Any, x: Any, tm: Any) -> Any:
        ctx.save_inputs(1)
        ctx.tm = tm
        return tm * -grad[:, None]

    @staticmethod
    def backward(ctx: Any, gg: Tensor) -> tuple:
        (x,) = ctx.saved_inputs
        need = ctx.needs_input_grad
        ggrad = NllRows.apply(gg, tm=ctx.tm) if need[0] else None
        gx = ops._common.const_zeros(x) if need[1] else None
        return ggrad, gx


def nll_loss(input: Tensor, target: Any, weight: Any = None, size_average: Any = None,
             ignore_index: int = -100, reduce: Any = None, reduction: str = "mean") -> Tensor:
    """-input[target] (log-probabilities in, class indices as target), weighted and reduced
    like cross_entropy (the mean divides by the summed weights of non-ignored targets)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "nll_loss")
    t = target._data if isinstance(target, Tensor) else target
    if getattr(t, "dtype", None) is None or t.dtype.kind not in "iu":
        raise RuntimeError("nll_loss: expected target of integer class indices")
    tm, none_shape = _target_matrix(target, input, weight, ignore_index, 0.0, reduction,
                                    "nll_loss")
    x2, _ = _class_last(input, "nll_loss")
    per = NllRows.apply(x2, tm=tm)
    if reduction == "none":
        return per.reshape(none_shape)
    return per.sum() if none_shape is not None else per.sum() + float("nan")


__all__ = ["mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "cross_entropy", "nll_loss", "softplus_neg_abs"]
