"""Convolution and max-pooling primitives.

conv2d is im2col by one strided-view copy into columns laid out (N, C*kh*kw, OH*OW), then
one batched matmul ``W (O, C*kh*kw) @ columns`` that yields NCHW directly (bias added in
place). The weight gradient is a batched matmul against the same columns (kept from forward),
the input gradient a batched matmul then kh*kw strided slice-adds (col2im). Batched matmuls of
small matrices keep BLAS single-threaded, which on small CPUs beats one large threaded gemm.

Each linear map comes with its adjoint as another primitive (conv2d <-> conv2d_input /
conv2d_weight, pool scatter <-> pool gather), so every backward is differentiable again.
"""

from __future__ import annotations

from typing import Any

from .. import ops
from .._backend import array_module
from .._tensor import Tensor
from ..autograd.function import Primitive

# columns up to this size are kept from forward for the weight gradient (else rebuilt)
_KEEP_COLS_BYTES = 1 << 26


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


def _cols(xp: Any, x: Any, kh: int, kw: int, stride: tuple, padding: tuple,
          dilation: tuple) -> tuple:
    """im2col: (N, C*kh*kw, OH*OW) columns of the padded input (rows in (c, i, j) order, a
    view when that needs no copy, e.g. 1x1 kernels), and OH, OW."""
    x = _pad(xp, x, padding)
    n, c, h, w = x.shape
    (sh, sw), (dh, dw) = stride, dilation
    oh = (h - (kh - 1) * dh - 1) // sh + 1
    ow = (w - (kw - 1) * dw - 1) // sw + 1
    s0, s1, s2, s3 = x.strides
    win = xp.lib.stride_tricks.as_strided(
        x, (n, c, kh, kw, oh, ow), (s0, s1, s2 * dh, s3 * dw, s2 * sh, s3 * sw), writeable=False)
    return win.reshape(n, c * kh * kw, oh * ow), oh, ow


def _conv_forward(x: Any, w: Any, stride: tuple, padding: tuple, dilation: tuple,
                  groups: int, b: Any = None) -> Any:
    """conv2d on arrays."""
    return _conv_forward_cols(x, w, stride, padding, dilation, groups, b)[0]


def _conv_forward_cols(x: Any, w: Any, stride: tuple, padding: tuple, dilation: tuple,
                       groups: int, b: Any = None) -> tuple:
    """conv2d on arrays, and the im2col columns it used."""
    xp = array_module(x)
    o, cg, kh, kw = w.shape
    cols, oh, ow = _cols(xp, x, kh, kw, stride, padding, dilation)
    n, k, npos = cols.shape
    if groups == 1:
        out = xp.matmul(w.reshape(o, k), cols)  # (N, O, L): NCHW with no transpose
    else:
        out = xp.matmul(w.reshape(groups, o // groups, k // groups),
                        cols.reshape(n, groups, k // groups, npos))  # (N, G, O/G, L)
    out = out.reshape(n, o, oh, ow)
    if b is not None:
        out += b.reshape(o, 1, 1)
    return out, cols


def _conv_weight(x: Any, gy: Any, w_shape: tuple, stride: tuple, padding: tuple,
                 dilation: tuple, groups: int, cols: Any = None) -> Any:
    xp = array_module(x)
    o, cg, kh, kw = w_shape
    if cols is None:
        cols = _cols(xp, x, kh, kw, stride, padding, dilation)[0]
    n, k, npos = cols.shape
    if groups == 1:  # sum over the batch of (O, L) @ (L, K)
        gw = xp.matmul(gy.reshape(n, o, npos), cols.transpose(0, 2, 1))
    else:
        gw = xp.matmul(gy.reshape(n, groups, o // groups, npos),
                       cols.reshape(n, groups, k // groups, npos).transpose(0, 1, 3, 2))
    return gw.sum(axis=0).reshape(w_shape)


def _conv_input(gy: Any, w: Any, x_shape: tuple, stride: tuple, padding: tuple,
                dilation: tuple, groups: int) -> Any:
    """col2im of w.T @ gy: the adjoint of conv2d in its input (a transposed convolution)."""
    xp = array_module(gy)
    n, c, h, wd = x_shape
    o, cg, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    oh, ow = gy.shape[2], gy.shape[3]
    kg, og = cg * kh * kw, o // groups
    if groups == 1:
        cols = xp.matmul(w.reshape(o, kg).T, gy.reshape(n, o, oh * ow))  # (N, K, L)
    else:
        cols = xp.matmul(w.reshape(groups, og, kg).transpose(0, 2, 1),
                         gy.reshape(n, groups, og, oh * ow))  # (N, G, K/G, L)
    cols = cols.reshape(n, c, kh, kw, oh, ow)
    out = xp.zeros((n, c, h + 2 * ph, wd + 2 * pw), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                j * dw:j * dw + sw * (ow - 1) + 1:sw] += cols[:, :, i, j]
    if ph or pw:
        out = out[:, :, ph:ph + h, pw:pw + wd]
    return out


def _kw(p: tuple) -> dict:
    return {"stride": p[0], "padding": p[1], "dilation": p[2], "groups": p[3]}


class Conv2d(Primitive):
    """y = conv2d(x, w[, b]): cross-correlation with stride, padding, dilation and groups,
    plus a per-channel bias when given as a third input."""

    @staticmethod
    def forward(ctx: Any, x: Any, w: Any, b: Any = None, *, stride: tuple, padding: tuple,
                dilation: tuple, groups: int) -> Any:
        ctx.save_inputs(0, 1)
        if ctx._fwd is None:  # no graph: nothing to keep
            return _conv_forward(x, w, stride, padding, dilation, groups, b)
        ctx.p = (stride, padding, dilation, groups)
        out, cols = _conv_forward_cols(x, w, stride, padding, dilation, groups, b)
        # the weight gradient reuses the columns (once: backward drops them)
        ctx.cols = cols if ctx.needs_input_grad[1] and cols.nbytes <= _KEEP_COLS_BYTES else None
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        x, w = ctx.saved_inputs
        need = ctx.needs_input_grad
        cols, ctx.cols = ctx.cols, None
        gx = Conv2dInput.apply(grad, w, x_shape=x.shape, p=ctx.p) if need[0] else None
        gw = (Conv2dWeight.apply(x, grad, w_shape=w.shape, p=ctx.p, cols=cols)
              if need[1] else None)
        if len(need) == 2:
            return gx, gw
        return gx, gw, (SumNHW.apply(grad) if need[2] else None)


class SumNHW(Primitive):
    """Sum of (N, C, H, W) over N, H and W: conv2d's bias gradient."""

    @staticmethod
    def forward(ctx: Any, g: Any) -> Any:
        ctx.shape = g.shape
        n, c = g.shape[:2]
        add = array_module(g).add.reduce
        return add(add(g.reshape(n, c, -1), axis=2), axis=0)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return ops.broadcast_to(grad.reshape(1, -1, 1, 1), ctx.shape)


class Conv2dInput(Primitive):
    """gx = conv2d_input(gy, w): the adjoint of conv2d in x."""

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
    """gw = conv2d_weight(x, gy): the adjoint of conv2d in w. ``cols``: x's im2col columns
    when the caller has them (conv2d's forward kept them)."""

    @staticmethod
    def forward(ctx: Any, x: Any, gy: Any, w_shape: tuple, p: tuple, cols: Any = None) -> Any:
        ctx.save_inputs(0, 1)
        ctx.p = p
        return _conv_weight(x, gy, w_shape, *p, cols=cols)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        x, gy = ctx.saved_inputs
        need = ctx.needs_input_grad
        gx = Conv2dInput.apply(gy, grad, x_shape=x.shape, p=ctx.p) if need[0] else None
        ggy = Conv2d.apply(x, grad, **_kw(ctx.p)) if need[1] else None
        return gx, ggy


# ---------------------------------------------------------------------------- max pooling
def _tiles(xp: Any, x: Any, kh: int, kw: int) -> Any:
    """(N, C, OH, kh, OW, kw) strided view of x's non-overlapping kh x kw tiles (the rows and
    columns past the last whole tile are left out), no copy."""
    n, c, h, w = x.shape
    s0, s1, s2, s3 = x.strides
    return xp.lib.stride_tricks.as_strided(
        x, (n, c, h // kh, kh, w // kw, kw), (s0, s1, s2 * kh, s2, s3 * kw, s3), writeable=False)


def _tile_max(xp: Any, t: Any) -> Any:
    if t.shape[3] == 2 and t.shape[5] == 2:  # three elementwise maxima beat a 2-axis reduce
        return xp.maximum(xp.maximum(t[:, :, :, 0, :, 0], t[:, :, :, 0, :, 1]),
                          xp.maximum(t[:, :, :, 1, :, 0], t[:, :, :, 1, :, 1]))
    return t.max(axis=(3, 5))


def _tile_argmax_mask(xp: Any, t: Any, out: Any) -> Any:
    """(N, C, OH, kh, OW, kw) bool: True at each tile's argmax only (the first in row-major
    order on ties, and the first NaN if any, as argmax and PyTorch)."""
    o6 = out[:, :, :, None, :, None]
    mask = t == o6
    if out.dtype.kind in "fc" and xp.isnan(out).any():
        mask |= xp.isnan(t)
    kh, kw = t.shape[3], t.shape[5]
    taken = mask[:, :, :, 0, :, 0].copy()
    last = kh * kw - 1
    for p in range(1, last + 1):
        m = mask[:, :, :, p // kw, :, p % kw]
        m &= ~taken
        if p < last:
            taken |= m
    return mask


def _tile_scatter(xp: Any, g: Any, mask: Any, x_shape: tuple) -> Any:
    """Each tile's value g goes to its argmax (mask), zeros elsewhere: (N, C, H, W)."""
    n, c, h, w = x_shape
    oh, kh, ow, kw = mask.shape[2:]
    full = xp.where(mask, g[:, :, :, None, :, None], xp.zeros((), dtype=g.dtype))
    full = full.reshape(n, c, oh * kh, ow * kw)
    if oh * kh == h and ow * kw == w:
        return full
    out = xp.zeros((n, c, h, w), dtype=full.dtype)
    out[:, :, :oh * kh, :ow * kw] = full
    return out


def _tile_gather(xp: Any, x: Any, mask: Any) -> Any:
    """The value of x at each tile's argmax (mask): the adjoint of _tile_scatter."""
    kh, kw = mask.shape[3], mask.shape[5]
    t = _tiles(xp, x, kh, kw)
    return xp.where(mask, t, xp.zeros((), dtype=x.dtype)).sum(axis=(3, 5))


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
    """y = max over each window; the argmax (first on ties, as PyTorch) gets the gradient.

    Windows that tile the input (stride == kernel, no padding, no dilation: the usual
    ``max_pool2d(x, 2)``) take a fast path: a strided tile view, elementwise maxima, and an
    argmax mask for backward; any other geometry gathers by flat indices."""

    @staticmethod
    def forward(ctx: Any, x: Any, kernel: tuple, stride: tuple, padding: tuple,
                dilation: tuple) -> Any:
        xp = array_module(x)
        kh, kw = kernel
        if stride == kernel and padding == (0, 0) and dilation == (1, 1):
            t = _tiles(xp, x, kh, kw)
            out = _tile_max(xp, t)
            if ctx._fwd is not None:
                ctx.mask = _tile_argmax_mask(xp, t, out)
                ctx.x_shape = x.shape
            return out
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
            ctx.mask = None
            ctx.idx = rows * xpad.shape[3] + cols
            ctx.x_shape = x.shape
            ctx.padding = padding
            ctx.unique = sh >= (kh - 1) * dh + 1 and sw >= (kw - 1) * dw + 1
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        if ctx.mask is not None:
            return TileScatter.apply(grad, mask=ctx.mask, x_shape=ctx.x_shape)
        return PoolScatter.apply(grad, idx=ctx.idx, x_shape=ctx.x_shape, padding=ctx.padding,
                                 unique=ctx.unique)


class TileScatter(Primitive):
    """Puts each tile's value at the tile's argmax (tiling max-pool's backward)."""

    @staticmethod
    def forward(ctx: Any, g: Any, mask: Any, x_shape: tuple) -> Any:
        ctx.mask, ctx.x_shape = mask, x_shape
        return _tile_scatter(array_module(g), g, mask, x_shape)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return TileGather.apply(grad, mask=ctx.mask, x_shape=ctx.x_shape)


class TileGather(Primitive):
    """Reads each tile at its argmax (the adjoint of TileScatter)."""

    @staticmethod
    def forward(ctx: Any, x: Any, mask: Any, x_shape: tuple) -> Any:
        ctx.mask, ctx.x_shape = mask, x_shape
        return _tile_gather(array_module(x), x, mask)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return TileScatter.apply(grad, mask=ctx.mask, x_shape=ctx.x_shape)


class PoolScatter(Primitive):
    """Adds each value into the input position ``idx`` names (max-pool's backward)."""

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

    @staticmethod
    def forward(ctx: Any, x: Any, idx: Any, x_shape: tuple, padding: tuple, unique: bool) -> Any:
        ctx.idx, ctx.padding, ctx.x_shape, ctx.unique = idx, padding, x_shape, unique
        return _pool_gather(array_module(x), x, idx, padding)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return PoolScatter.apply(grad, idx=ctx.idx, x_shape=ctx.x_shape, padding=ctx.padding,
                                 unique=ctx.unique)
