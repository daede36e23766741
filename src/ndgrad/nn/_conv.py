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

import functools
from typing import Any

from .. import ops
from .._backend import array_module
from .._tensor import Tensor
from ..autograd.function import Primitive
from ..autograd.grad_mode import grad_enabled as _grad_on

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
          dilation: tuple, ones: bool = False) -> tuple:
    """im2col: (N, C*kh*kw, OH*OW) columns of the padded input (rows in (c, i, j) order, a
    view when that needs no copy, e.g. 1x1 kernels), and OH, OW. ``ones`` appends a row of
    ones, (N, C*kh*kw + 1, OH*OW), so that a matmul adds a bias and sums for its gradient."""
    x = _pad(xp, x, padding)
    n, c, h, w = x.shape
    (sh, sw), (dh, dw) = stride, dilation
    oh = (h - (kh - 1) * dh - 1) // sh + 1
    ow = (w - (kw - 1) * dw - 1) // sw + 1
    s0, s1, s2, s3 = x.strides
    win = xp.lib.stride_tricks.as_strided(
        x, (n, c, kh, kw, oh, ow), (s0, s1, s2 * dh, s3 * dw, s2 * sh, s3 * sw), writeable=False)
    k = c * kh * kw
    if not ones:
        return win.reshape(n, k, oh * ow), oh, ow
    cols = xp.empty((n, k + 1, oh * ow), dtype=x.dtype)
    cols[:, :k].reshape(n, c, kh, kw, oh, ow)[...] = win  # a view: the copy lands in cols
    cols[:, k] = 1
    return cols, oh, ow


def _conv_forward(x: Any, w: Any, stride: tuple, padding: tuple, dilation: tuple,
                  groups: int, b: Any = None) -> Any:
    """conv2d on arrays."""
    return _conv_forward_cols(x, w, stride, padding, dilation, groups, b)[0]


def _conv_forward_cols(x: Any, w: Any, stride: tuple, padding: tuple, dilation: tuple,
                       groups: int, b: Any = None) -> tuple:
    """conv2d on arrays, and the im2col columns it used: with a bias and one group, these
    carry a last row of ones and the bias rides in the matmul as a last weight column."""
    xp = array_module(x)
    o, cg, kh, kw = w.shape
    if groups == 1 and b is not None and b.dtype == x.dtype == w.dtype:
        cols, oh, ow = _cols(xp, x, kh, kw, stride, padding, dilation, ones=True)
        k = cols.shape[1] - 1
        wb = xp.concatenate([w.reshape(o, k), b.reshape(o, 1)], axis=1)
        return xp.matmul(wb, cols).reshape(cols.shape[0], o, oh, ow), cols
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

    _ctx_slots = ("p", "cols")

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
        k = w.shape[1] * w.shape[2] * w.shape[3]
        if cols is not None and cols.shape[1] == x.shape[1] * w.shape[2] * w.shape[3] + 1:
            # columns with a row of ones (bias, one group)
            if need[1] and need[2] and not _grad_on():
                # no graph is being built: weight and bias gradients from one batched matmul
                # (the ones row sums gy for the bias); the primitives below stay
                # differentiable for create_graph
                g = grad._data
                n, o = g.shape[:2]
                gwb = array_module(g).matmul(g.reshape(n, o, -1), cols.transpose(0, 2, 1))
                gwb = gwb.sum(axis=0)
                gx = Conv2dInput.apply(grad, w, x_shape=x.shape, p=ctx.p) if need[0] else None
                return (gx, Tensor._make(gwb[:, :k].reshape(w.shape)),
                        Tensor._make(gwb[:, k].copy()))
            cols = cols[:, :k]
        gx = Conv2dInput.apply(grad, w, x_shape=x.shape, p=ctx.p) if need[0] else None
        gw = (Conv2dWeight.apply(x, grad, w_shape=w.shape, p=ctx.p, cols=cols)
              if need[1] else None)
        if len(need) == 2:
            return gx, gw
        return gx, gw, (SumNHW.apply(grad) if need[2] else None)


class SumNHW(Primitive):
    """Sum of (N, C, H, W) over N, H and W: conv2d's bias gradient."""

    _ctx_slots = ("shape",)

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
    """gw = conv2d_weight(x, gy): the adjoint of conv2d in w. ``cols``: x's im2col columns
    when the caller has them (conv2d's forward kept them)."""

    _ctx_slots = ("p",)

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
def _tiles(xp: Any, x: Any, kh: int, kw: int) -> list:
    """The kh*kw strided (N, C, H // kh, W // kw) views of x's non-overlapping kh x kw tiles,
    one per position in the tile, in row-major order (rows and columns past the last whole
    tile are left out). No copies."""
    n, c, h, w = x.shape
    s0, s1, s2, s3 = x.strides
    shape, strides = (n, c, h // kh, w // kw), (s0, s1, s2 * kh, s3 * kw)
    base = x[:, :, :kh, :kw]  # keeps the view's memory inside x
    return [xp.lib.stride_tricks.as_strided(base[:, :, i, j], shape, strides, writeable=False)
            for i in range(kh) for j in range(kw)]


def _tile_max(xp: Any, x: Any, kh: int, kw: int, record: bool) -> tuple:
    """Max of each kh x kw tile (elementwise maxima of strided views: no reduce over small
    inner axes), and when ``record`` the flat index into x's (N, C, H, W) of each tile's
    argmax: the first in row-major order on ties, and the first NaN if any, as PyTorch."""
    t = _tiles(xp, x, kh, kw)
    m = len(t)
    if m == 1:
        out = t[0].copy()
    elif m == 4:
        out = xp.maximum(xp.maximum(t[0], t[1]), xp.maximum(t[2], t[3]))
    else:
        out = xp.maximum(t[0], t[1])
        for v in t[2:]:
            xp.maximum(out, v, out=out)
    if not record or m == 1:
        return out, (_tile_base(xp, *x.shape, kh, kw) if record else None)
    n, c, h, w = x.shape
    nan = out.dtype.kind in "fc" and bool(xp.isnan(out).any())
    offs = [i * w + j for i in range(kh) for j in range(kw)]
    # offset of the first argmax within its tile, nested from the last position inwards:
    # ne_0 * (d_1 + ne_1 * (d_2 + ... ne_{m-2} * d_{m-1})), ne_p = "t_p is not the max"
    off = None
    for p in range(m - 2, -1, -1):
        ne = t[p] != out
        if nan:
            ne &= ~xp.isnan(t[p])
        if off is None:
            off = ne.astype(xp.int32)
            if offs[p + 1] - offs[p] != 1:
                off *= offs[p + 1] - offs[p]
        else:
            off += offs[p + 1] - offs[p]
            off *= ne
    return out, _tile_base(xp, n, c, h, w, kh, kw) + off


def _tile_base(xp: Any, n: int, c: int, h: int, w: int, kh: int, kw: int) -> Any:
    """Flat index into (N, C, H, W) of each kh x kw tile's top-left element (read-only;
    the small ones are cached, as a training loop asks for the same shape every step)."""
    if n * c * (h // kh) * (w // kw) <= _CACHE_BASE_MAX:
        return _tile_base_cached(xp, n, c, h, w, kh, kw)
    return _tile_base_new(xp, n, c, h, w, kh, kw)


def _tile_base_new(xp: Any, n: int, c: int, h: int, w: int, kh: int, kw: int) -> Any:
    oh, ow = h // kh, w // kw
    base = (xp.arange(n * c, dtype=xp.intp) * (h * w)).reshape(n, c, 1, 1)
    base = base + ((xp.arange(oh, dtype=xp.intp) * (kh * w)).reshape(oh, 1)
                   + xp.arange(ow, dtype=xp.intp) * kw)
    base.flags.writeable = False
    return base


_CACHE_BASE_MAX = 1 << 18  # elements (2 MiB of indices) per cached entry
_tile_base_cached = functools.lru_cache(maxsize=8)(_tile_base_new)


def _flat_scatter(xp: Any, g: Any, idx: Any, x_shape: tuple) -> Any:
    """Zeros of x_shape with g written at the (distinct) flat positions idx."""
    out = xp.zeros(x_shape, dtype=g.dtype)
    out.reshape(-1)[idx] = g
    return out


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
    ``max_pool2d(x, 2)``) take a fast path: elementwise maxima of strided tile views, and the
    argmax as flat indices found by comparisons (no argmax over small inner axes); backward
    writes the gradient at those indices. Other geometries take an argmax over windows."""

    _ctx_slots = ("idx", "x_shape", "padding", "unique", "tiles")

    @staticmethod
    def forward(ctx: Any, x: Any, kernel: tuple, stride: tuple, padding: tuple,
                dilation: tuple) -> Any:
        xp = array_module(x)
        kh, kw = kernel
        if stride == kernel and padding == (0, 0) and dilation == (1, 1):
            out, idx = _tile_max(xp, x, kh, kw, ctx._fwd is not None)
            if idx is not None:
                ctx.tiles, ctx.idx, ctx.x_shape = True, idx, x.shape
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
            ctx.tiles = False
            ctx.idx = rows * xpad.shape[3] + cols
            ctx.x_shape = x.shape
            ctx.padding = padding
            ctx.unique = sh >= (kh - 1) * dh + 1 and sw >= (kw - 1) * dw + 1
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        if ctx.tiles:
            return TileScatter.apply(grad, idx=ctx.idx, x_shape=ctx.x_shape)
        return PoolScatter.apply(grad, idx=ctx.idx, x_shape=ctx.x_shape, padding=ctx.padding,
                                 unique=ctx.unique)


class TileScatter(Primitive):
    """Writes each value at the flat input position ``idx`` names, zeros elsewhere (tiling
    max-pool's backward: the positions are distinct)."""

    _ctx_slots = ("idx", "x_shape")

    @staticmethod
    def forward(ctx: Any, g: Any, idx: Any, x_shape: tuple) -> Any:
        ctx.idx, ctx.x_shape = idx, x_shape
        return _flat_scatter(array_module(g), g, idx, x_shape)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return TileGather.apply(grad, idx=ctx.idx, x_shape=ctx.x_shape)


class TileGather(Primitive):
    """Reads x at the flat positions ``idx`` (the adjoint of TileScatter)."""

    _ctx_slots = ("idx", "x_shape")

    @staticmethod
    def forward(ctx: Any, x: Any, idx: Any, x_shape: tuple) -> Any:
        ctx.idx, ctx.x_shape = idx, x_shape
        return x.reshape(-1)[idx]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return TileScatter.apply(grad, idx=ctx.idx, x_shape=ctx.x_shape)


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
