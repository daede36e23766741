"""Convolution and max-pooling primitives (im2col by strided views + one tensordot).

Each linear map comes with its adjoint as another primitive (conv2d <-> conv2d_input /
conv2d_weight, pool scatter <-> pool gather), so every backward is differentiable again.
"""

from __future__ import annotations

from typing import Any

from .._backend import array_module
from .._tensor import Tensor
from ..autograd.function import Primitive


def _windows(xp: Any, x: Any, kh: int, kw: int, stride: tuple, dilation: tuple) -> Any:
    """(N, C, OH, OW, kh, kw) strided view of the (already padded) input: no copy."""
    n, c, h, w = x.shape
    (sh, sw), (dh, dw) = stride, dilation
    oh = (h - (kh - 1) * dh - 1) // sh + 1
    ow = (w - (kw - 1) * dw - 1) // sw + 1
    s0, s1, s2, s3 = x.strides
    return xp.lib.stride_tricks.as_strided(
        x, (n, c, oh, ow, kh, kw), (s0, s1, s2 * sh, s3 * sw, s2 * dh, s3 * dw), writeable=False)


def _pad(xp: Any, x: Any, padding: tuple, value: float = 0.0) -> Any:
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    return xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def _conv_forward(x: Any, w: Any, stride: tuple, padding: tuple, dilation: tuple,
                  groups: int) -> Any:
    xp = array_module(x)
    o, cg, kh, kw = w.shape
    win = _windows(xp, _pad(xp, x, padding), kh, kw, stride, dilation)
    if groups == 1:
        out = xp.tensordot(win, w, axes=([1, 4, 5], [1, 2, 3]))
    else:
        og = o // groups
        out = xp.concatenate([
            xp.tensordot(win[:, g * cg:(g + 1) * cg], w[g * og:(g + 1) * og],
                         axes=([1, 4, 5], [1, 2, 3])) for g in range(groups)], axis=3)
    return xp.ascontiguousarray(out.transpose(0, 3, 1, 2))


def _conv_weight(x: Any, gy: Any, w_shape: tuple, stride: tuple, padding: tuple,
                 dilation: tuple, groups: int) -> Any:
    xp = array_module(x)
    o, cg, kh, kw = w_shape
    win = _windows(xp, _pad(xp, x, padding), kh, kw, stride, dilation)
    if groups == 1:
        return xp.tensordot(gy, win, axes=([0, 2, 3], [0, 2, 3]))
    og = o // groups
    return xp.concatenate([
        xp.tensordot(gy[:, g * og:(g + 1) * og], win[:, g * cg:(g + 1) * cg],
                     axes=([0, 2, 3], [0, 2, 3])) for g in range(groups)], axis=0)


def _conv_input(gy: Any, w: Any, x_shape: tuple, stride: tuple, padding: tuple,
                dilation: tuple, groups: int) -> Any:
    """col2im of gy . w: the adjoint of conv2d in its input (a transposed convolution)."""
    xp = array_module(gy)
    n, c, h, wd = x_shape
    o, cg, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    oh, ow = gy.shape[2], gy.shape[3]
    out = xp.zeros((n, c, h + 2 * ph, wd + 2 * pw), dtype=gy.dtype)
    og = o // groups
    for g in range(groups):
        # (N, Cg, kh, kw, OH, OW): contract the output channels of this group
        cols = xp.tensordot(w[g * og:(g + 1) * og], gy[:, g * og:(g + 1) * og], axes=([0], [1]))
        cols = cols.transpose(3, 0, 1, 2, 4, 5)
        dst = out[:, g * cg:(g + 1) * cg]
        for i in range(kh):
            for j in range(kw):
                dst[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                    j * dw:j * dw + sw * (ow - 1) + 1:sw] += cols[:, :, i, j]
    if ph or pw:
        out = out[:, :, ph:ph + h, pw:pw + wd]
    return out


def _kw(p: tuple) -> dict:
    return {"stride": p[0], "padding": p[1], "dilation": p[2], "groups": p[3]}


class Conv2d(Primitive):
    """y = conv2d(x, w): cross-correlation with stride, padding, dilation and groups."""

    _ctx_slots = ("p",)

    @staticmethod
    def forward(ctx: Any, x: Any, w: Any, stride: tuple, padding: tuple, dilation: tuple,
                groups: int) -> Any:
        ctx.save_inputs(0, 1)
        ctx.p = (stride, padding, dilation, groups)
        return _conv_forward(x, w, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        x, w = ctx.saved_inputs
        need = ctx.needs_input_grad
        gx = Conv2dInput.apply(grad, w, x_shape=x.shape, p=ctx.p) if need[0] else None
        gw = Conv2dWeight.apply(x, grad, w_shape=w.shape, p=ctx.p) if need[1] else None
        return gx, gw


class Conv2dInput(Primitive):
    """gx = conv2d_input(gy, w): the adjoint of conv2d in x."""

    _ctx_slots = ("p",)

    @staticmethod
    def forward(ctx: Any, gy: Any, w: Any, x_shape: tuple, p: tuple) -> Any:
        ctx.save_inputs(0, 1)
        ctx.p = p
        return _conv_input(gy, w, x_shape, *p)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        gy, w = ctx.saved_inputs
        need = ctx.needs_input_grad
        ggy = Conv2d.apply(grad, w, **_kw(ctx.p)) if need[0] else None
        gw = Conv2dWeight.apply(grad, gy, w_shape=w.shape, p=ctx.p) if need[1] else None
        return ggy, gw


class Conv2dWeight(Primitive):
    """gw = conv2d_weight(x, gy): the adjoint of conv2d in w."""

    _ctx_slots = ("p",)

    @staticmethod
    def forward(ctx: Any, x: Any, gy: Any, w_shape: tuple, p: tuple) -> Any:
        ctx.save_inputs(0, 1)
        ctx.p = p
        return _conv_weight(x, gy, w_shape, *p)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        x, gy = ctx.saved_inputs
        need = ctx.needs_input_grad
        gx = Conv2dInput.apply(gy, grad, x_shape=x.shape, p=ctx.p) if need[0] else None
        ggy = Conv2d.apply(x, grad, **_kw(ctx.p)) if need[1] else None
        return gx, ggy


# ---------------------------------------------------------------------------- max pooling
def _pool_gather(xp: Any, x: Any, idx: Any, padding: tuple) -> Any:
    n, c = x.shape[:2]
    xpad = _pad(xp, x, padding)
    flat = xpad.reshape(n * c, -1)
    return xp.take_along_axis(flat, idx.reshape(n * c, -1), axis=1).reshape(idx.shape)


def _pool_scatter(xp: Any, g: Any, idx: Any, x_shape: tuple, padding: tuple,
                  unique: bool) -> Any:
    n, c, h, w = x_shape
    ph, pw = padding
    hp, wp = h + 2 * ph, w + 2 * pw
    if unique:  # windows do not overlap: plain assignment
        out = xp.zeros((n * c, hp * wp), dtype=g.dtype)
        xp.put_along_axis(out, idx.reshape(n * c, -1), g.reshape(n * c, -1), axis=1)
    else:  # overlapping windows: sum the contributions
        off = (xp.arange(n * c) * (hp * wp)).reshape(n, c, 1, 1)
        out = xp.bincount((idx + off).ravel(), weights=g.ravel(), minlength=n * c * hp * wp)
        out = out.astype(g.dtype, copy=False)
    out = out.reshape(n, c, hp, wp)
    if ph or pw:
        out = out[:, :, ph:ph + h, pw:pw + w]
    return out


class MaxPool2d(Primitive):
    """y = max over each window; the argmax (first on ties, as PyTorch) gets the gradient."""

    _ctx_slots = ("idx", "x_shape", "padding", "unique")

    @staticmethod
    def forward(ctx: Any, x: Any, kernel: tuple, stride: tuple, padding: tuple,
                dilation: tuple) -> Any:
        xp = array_module(x)
        kh, kw = kernel
        neg = -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min
        xpad = _pad(xp, x, padding, neg)
        win = _windows(xp, xpad, kh, kw, stride, dilation)
        n, c, oh, ow = win.shape[:4]
        flat = win.reshape(n, c, oh, ow, kh * kw)
        k = flat.argmax(axis=4)
        out = xp.take_along_axis(flat, k[..., None], axis=4)[..., 0]
        if ctx._fwd is not None:
            (sh, sw), (dh, dw) = stride, dilation
            rows = xp.arange(oh).reshape(oh, 1) * sh + (k // kw) * dh
            cols = xp.arange(ow) * sw + (k % kw) * dw
            ctx.idx = rows * xpad.shape[3] + cols
            ctx.x_shape = x.shape
            ctx.padding = padding
            ctx.unique = sh >= (kh - 1) * dh + 1 and sw >= (kw - 1) * dw + 1
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return PoolScatter.apply(grad, idx=ctx.idx, x_shape=ctx.x_shape, padding=ctx.padding,
                                 unique=ctx.unique)


class PoolScatter(Primitive):
    """Adds each value into the input position ``idx`` names (max-pool's backward)."""

    _ctx_slots = ("idx", "padding", "x_shape", "unique")

    @staticmethod
    def forward(ctx: Any, g: Any, idx: Any, x_shape: tuple, padding: tuple, unique: bool) -> Any:
        ctx.idx, ctx.padding, ctx.x_shape, ctx.unique = idx, padding, x_shape, unique
        return _pool_scatter(array_module(g), g, idx, x_shape, padding, unique)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return PoolGather.apply(grad, idx=ctx.idx, x_shape=ctx.x_shape, padding=ctx.padding,
                                unique=ctx.unique)


class PoolGather(Primitive):
    """Reads the input at positions ``idx`` (the adjoint of PoolScatter)."""

    _ctx_slots = ("idx", "padding", "x_shape", "unique")

    @staticmethod
    def forward(ctx: Any, x: Any, idx: Any, x_shape: tuple, padding: tuple, unique: bool) -> Any:
        ctx.idx, ctx.padding, ctx.x_shape, ctx.unique = idx, padding, x_shape, unique
        return _pool_gather(array_module(x), x, idx, padding)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return PoolScatter.apply(grad, idx=ctx.idx, x_shape=ctx.x_shape, padding=ctx.padding,
                                 unique=ctx.unique)
