"""Linear algebra: matmul dot outer einsum tensordot, and ``ng.linalg``'s norm vector_norm
matrix_norm (inv det slogdet solve cholesky live in ``matrices.py``, re-exported here).

Shapes are checked in the public function; rules are written with these same ops (inv, solve,
einsum), so every order of derivative works. Norms live here too: ``ng.norm`` is PyTorch's.
"""

from __future__ import annotations

import string
from typing import Any

from .._backend import array_module, ndarray, np
from .._errors import DtypeError, shape_error
from .._tensor import Tensor
from ..autograd.function import Primitive, _apply_one, _tensor_of
from ..autograd.grad_mode import grad_enabled as _grad_on
from ._common import float_rule, kept_dims, pair, to_tensor
from ._shape_utils import reduced_shape, reduction_dims
from .matrices import (  # noqa: F401
    Cholesky,
    Det,
    Inv,
    LinAlgError,
    Slogdet,
    Solve,
    cholesky,
    det,
    inv,
    slogdet,
    solve,
)
from .moments import _DOT_MAX  # BLAS dot's sums stay within an ulp of pairwise ones to here

_INF = float("inf")
_F32, _F64 = np.dtype("float32"), np.dtype("float64")
_dot, _sqrt = np.dot, np.sqrt


class MatMul(Primitive):
    _ctx_slots = ("ndims",)
    _node_name = "MmBackward0"

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        n = ctx.needs_input_grad
        if n[0] and n[1]:
            ctx.save_inputs(0, 1)
        elif n[0]:
            ctx.save_inputs(1)
        elif n[1]:
            ctx.save_inputs(0)
        ctx.ndims = (a.ndim, b.ndim)
        return a @ b

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        n = ctx.needs_input_grad
        saved = ctx.saved_tensors
        a = saved[0] if n[1] else None
        b = saved[-1] if n[0] else None
        na, nb = ctx.ndims
        ga = gb = None
        if na == 1 and nb == 1:
            return (grad * b if n[0] else None), (grad * a if n[1] else None)
        if na == 1:  # (k,) @ (..., k, m) -> (..., m)
            g = grad.unsqueeze(-2)
            if n[0]:
                ga = (g @ b.mT).squeeze(-2)
            if n[1]:
                gb = a.unsqueeze(-1) @ g
        elif nb == 1:  # (..., n, k) @ (k,) -> (..., n)
            g = grad.unsqueeze(-1)
            if n[0]:
                ga = g @ b.unsqueeze(-2)
            if n[1]:
                gb = (a.mT @ g).squeeze(-1)
        else:
            if n[0]:
                ga = grad @ b.mT
            if n[1]:
                gb = a.mT @ grad
        return ga, gb


def matmul(input: Any, other: Any) -> Tensor:
    """Matrix product with NumPy's rules (1-D operands, batch broadcasting)."""
    a, b = pair(input, other)
    sa, sb = a.shape, b.shape
    if not sa or not sb:
        raise shape_error("matmul", f"both arguments need at least 1 dim, got {sa} @ {sb}",
                          hint="use mul for scalars")
    ka = sa[-1]
    kb = sb[-2] if len(sb) > 1 else sb[0]
    if ka != kb:
        raise shape_error("matmul", f"inner sizes differ: {sa} @ {sb}",
                          hint="make a's last dim equal b's second-to-last dim")
    return MatMul.apply(a, b)


def dot(input: Any, other: Any) -> Tensor:
    """Inner product of two 1-D tensors of the same size (PyTorch's ``dot``)."""
    a, b = pair(input, other)
    if a.ndim != 1 or b.ndim != 1:
        raise shape_error("dot", f"1D tensors expected, but got {a.shape} and {b.shape}",
                          hint="use matmul or tensordot for higher dims")
    if a.shape != b.shape:
        raise shape_error("dot", f"inconsistent tensor size: {a.shape} . {b.shape}",
                          hint="give both vectors the same length")
    return MatMul.apply(a, b)


def outer(input: Any, vec2: Any) -> Tensor:
    """``input[i] * vec2[j]`` for 1-D tensors (composite: broadcast multiply)."""
    a, b = pair(input, vec2)
    if a.ndim != 1 or b.ndim != 1:
        raise shape_error("outer", f"1D tensors expected, but got {a.shape} and {b.shape}",
                          hint="flatten the inputs first")
    return a.unsqueeze(1) * b.unsqueeze(0)


# ---- einsum: one primitive; the rule for operand i is einsum of grad with the others
class Einsum(Primitive):
    _ctx_slots = ("spec", "sizes")
    _node_name = "EinsumBackward0"

    @staticmethod
    def forward(ctx: Any, *xs: Any, spec: str, sizes: dict) -> Any:
        ctx.spec, ctx.sizes = spec, sizes
        ctx.save_inputs(*range(len(xs)))
        return array_module(xs[0]).einsum(spec, *xs, optimize=len(xs) > 2)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        ins, out = ctx.spec.split("->")
        ins = ins.split(",")
        xs = ctx.saved_tensors
        return tuple(_einsum_grad(ins, out, i, xs, grad, ctx.sizes)
                     if ctx.needs_input_grad[i] else None for i in range(len(xs)))


def _einsum_grad(ins: list, out: str, i: int, xs: tuple, grad: Tensor, sizes: dict) -> Tensor:
    """d out / d xs[i]: contract grad with the other operands; letters that only operand i has
    come from a ones vector, a repeated letter (a diagonal) from an identity matrix."""
    xp = array_module(grad._data)
    dtype = grad._data.dtype
    used = set("".join(ins)) | set(out)
    fresh = iter(c for c in string.ascii_letters if c not in used)
    subs, ops, target = [out], [grad], []
    subs += [s for j, s in enumerate(ins) if j != i]
    ops += [x for j, x in enumerate(xs) if j != i]
    present = set("".join(subs))
    for c in ins[i]:
        if c in target:
            new = next(fresh)
            target.append(new)
            subs.append(c + new)
            ops.append(Tensor._make(xp.eye(sizes[c], dtype=dtype)))
        else:
            target.append(c)
            if c not in present:
                subs.append(c)
                ops.append(Tensor._make(xp.ones(sizes[c], dtype=dtype)))
                present.add(c)
    spec = ",".join(subs) + "->" + "".join(target)
    return Einsum.apply(*ops, spec=spec, sizes={**sizes, **_sizes_of(subs, ops)})


def _sizes_of(subs: list, ops: list) -> dict:
    return {c: n for s, t in zip(subs, ops) for c, n in zip(s, t.shape)}


def _parse_einsum(equation: str, ts: list) -> tuple[list, str]:
    """Explicit subscripts: '...' becomes fresh letters (right-aligned), '->' is filled in."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(ts):
        raise ValueError(f"einsum: the equation {equation!r} has {len(ins)} operands but "
                         f"{len(ts)} tensors were given. Hint: one subscript per tensor.")
    used = set(eq)
    ell = [c for c in string.ascii_letters if c not in used]
    nds = []
    for s, t in zip(ins, ts):
        k = t.ndim - len(s.replace("...", ""))
        if ("..." in s and k < 0) or ("..." not in s and k != 0):
            raise shape_error("einsum", f"subscripts {s!r} do not fit an operand of shape "
                              f"{t.shape} in {equation!r}", hint="one letter per dim")
        nds.append(k if "..." in s else 0)
    e = max(nds, default=0)
    ins = [s.replace("...", "".join(ell[e - k:e])) for s, k in zip(ins, nds)]
    if arrow:
        out = rhs.replace("...", "".join(ell[:e]))
    else:
        joined = "".join(ins)
        out = "".join(ell[:e]) + "".join(sorted(c for c in set(joined)
                                                if joined.count(c) == 1 and c not in ell[:e]))
    for c in out:
        if c not in "".join(ins):
            raise ValueError(f"einsum: output subscript {c!r} in {equation!r} does not appear "
                             "in any input. Hint: every output letter must label an input dim.")
    return ins, out


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation (NumPy/PyTorch rules, '...' broadcasting included)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ts = [to_tensor(o) for o in operands]
    if not ts:
        raise ValueError("einsum: at least one operand is required.")
    ins, out = _parse_einsum(equation, ts)
    sizes: dict = {}
    for s, t in zip(ins, ts):
        for c, n in zip(s, t.shape):
            if sizes.get(c, 1) != 1 and n != 1 and sizes[c] != n:
                raise shape_error("einsum", f"dim {c!r} has size {sizes[c]} in one operand and "
                                  f"{n} in another (shapes {[t.shape for t in ts]}, "
                                  f"equation {equation!r})", hint="sizes of a letter must match")
            sizes[c] = max(sizes.get(c, 1), n) if n != 0 and sizes.get(c) != 0 else 0
    for k, (s, t) in enumerate(zip(ins, ts)):
        want = tuple(sizes[c] for c in s)
        if t.shape != want and len(set(s)) == len(s):
            ts[k] = t.broadcast_to(want)  # size-1 dims broadcast, as in PyTorch
    xp = array_module(ts[0]._data)
    dtype = xp.result_type(*[t._data for t in ts])
    ts = [t if t._data.dtype == dtype else t.to(dtype) for t in ts]
    return Einsum.apply(*ts, spec=",".join(ins) + "->" + out, sizes=sizes)


def tensordot(a: Any, b: Any, dims: Any = 2, *, axes: Any = None) -> Tensor:
    """Contract ``dims`` (count, or two lists of dims) of ``a`` with those of ``b``."""
    a, b = pair(a, b)
    if axes is not None:
        dims = axes
    if isinstance(dims, int):
        if dims < 0 or dims > min(a.ndim, b.ndim):
            raise shape_error("tensordot", f"dims={dims} out of range for shapes {a.shape} and "
                              f"{b.shape}", hint="contract at most min(a.ndim, b.ndim) dims")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
    da = [d % max(a.ndim, 1) for d in da]
    db = [d % max(b.ndim, 1) for d in db]
    if len(da) != len(db) or any(a.shape[i] != b.shape[j] for i, j in zip(da, db)):
        raise shape_error("tensordot", f"contracted dims {da} of {a.shape} and {db} of "
                          f"{b.shape} differ in size", hint="pair dims of equal size")
    letters = iter(string.ascii_letters)
    sa = [next(letters) for _ in range(a.ndim)]
    sb = [next(letters) for _ in range(b.ndim)]
    for i, j in zip(da, db):
        sb[j] = sa[i]
    out = [c for k, c in enumerate(sa) if k not in da] + [c for k, c in enumerate(sb)
                                                          if k not in db]
    return einsum("".join(sa) + "," + "".join(sb) + "->" + "".join(out), a, b)


# ---- norms
class VectorNorm(Primitive):
    _ctx_slots = ("ord", "dims", "keepdim", "in_shape")
    _node_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx: Any, x: Any, ord: float, dims: Any = None, keepdim: bool = False) -> Any:
        ctx.ord, ctx.dims, ctx.keepdim, ctx.in_shape = ord, dims, keepdim, x.shape
        ctx.save_inputs(0)
        ctx.save_outputs(0)
        if ord == 2 and dims is None and type(x) is ndarray and (
                x.dtype is _F32 or x.dtype is _F64) and x.size <= _DOT_MAX:
            # NumPy's own 2-norm: BLAS dot of the flat input, no x * x array (longer inputs
            # keep the pairwise sum below)
            r = x.ravel()  # a view when contiguous (a copy, still cheaper, otherwise)
            out = _sqrt(_dot(r, r))
            return out.reshape((1,) * x.ndim) if keepdim else out
        xp = array_module(x)
        if ord == 2 and x.dtype.kind != "c":  # real: x * x, no |x| pass
            return xp.sqrt((x * x).sum(axis=dims, keepdims=keepdim))
        a = xp.abs(x)
        if ord == _INF:
            return a.max(axis=dims, keepdims=keepdim)
        if ord == -_INF:
            return a.min(axis=dims, keepdims=keepdim)
        if ord == 0:
            return (x != 0).sum(axis=dims, keepdims=keepdim).astype(a.dtype)
        if ord == 1:
            return a.sum(axis=dims, keepdims=keepdim)
        if ord == 2:
            return xp.sqrt((a * a).sum(axis=dims, keepdims=keepdim))
        if ord < 0:  # a zero element: 0 ** -p = inf, and the norm 0, as PyTorch, silently
            with np.errstate(divide="ignore"):
                return ((a ** ord).sum(axis=dims, keepdims=keepdim)) ** (1.0 / ord)
        return ((a ** ord).sum(axis=dims, keepdims=keepdim)) ** (1.0 / ord)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        p = ctx.ord
        if p == 0:
            return None  # a count: zero gradient
        if p == 2 and not _grad_on():
            a, ya = ctx.saved_arrays()
            g = grad._data
            if float_rule(a, g):
                # no graph: the small factor on arrays, one full-size product; subgradient 0
                # at x = 0 (a 0-d factor as a scalar: the whole-array case, no reshapes)
                if not g.ndim:
                    return _tensor_of(a * (g / ya if ya != 0 else g))
                g, ya = kept_dims(ctx, ctx.in_shape, g, ya)
                return _tensor_of(a * (g / array_module(ya).where(ya != 0, ya, 1)))
        x, y = ctx.saved_tensors
        if not ctx.keepdim:
            kshape = reduced_shape(ctx.in_shape, ctx.dims)
            grad, y = grad.reshape(kshape), y.reshape(kshape)
        return _norm_grad(p, ctx.dims, grad, x, y)


def _norm_grad(p: float, dims: Any, grad: Tensor, x: Tensor, y: Tensor) -> Tensor:
    """PyTorch's ``norm_backward`` (y the norm, grad, y kept-dims): zeros are masked, never
    0 * inf. p < 1: |x|^(p-1) is 0 where x == 0; p > 1: the factor grad / y^(p-1) is 0 where
    y == 0 (a zero vector); inf / -inf: ties and NaNs share the gradient evenly."""
    if p == 1:
        return grad * x.sign()
    xa, ya = x._data, y._data
    if p in (_INF, -_INF):
        ax = array_module(xa).abs(xa)
        hit = Tensor._make(((ax == ya) | (ax != ax)).astype(xa.dtype))
        return x.sign() * ((grad / hit.sum(dims, keepdim=True)) * hit)
    with np.errstate(divide="ignore", invalid="ignore"):
        if p < 1:
            scaled = x.sign() * _masked(xa == 0, x.abs() ** (p - 1))
            return scaled * grad * y ** (1 - p)
        scale = _masked(ya == 0, grad / y if p == 2 else grad / y ** (p - 1))
        if p == 2:
            return x * scale
        scaled = x.sign() * x.abs() ** (p - 1) if p < 2 else x * x.abs() ** (p - 2)
        return scaled * scale


def _masked(zero: Any, t: Tensor) -> Tensor:
    """``t`` with 0 where the array ``zero`` is True (PyTorch's masked_fill_(zero, 0))."""
    return t.masked_fill(Tensor._make(zero), 0.0) if zero.any() else t


def vector_norm(x: Any, ord: float = 2, dim: Any = None, keepdim: bool = False, *,
                dtype: Any = None) -> Tensor:
    """``sum(|x|^ord)^(1/ord)`` over ``dim`` (all dims when None); ord may be inf, -inf or 0."""
    if type(x) is Tensor and dim is None and not keepdim and dtype is None and \
            type(ord) in (int, float) and ord == 2 and x._data.dtype.kind == "f":
        return _apply_one(VectorNorm, x, 2.0)  # the common call, without the argument checks
    x = to_tensor(x)
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind not in "fc":
        raise DtypeError(f"linalg.vector_norm: expected a floating point or complex tensor "
                         f"as input. Got {x._data.dtype}. Hint: call .float() first.")
    dims = reduction_dims("linalg.vector_norm", x.ndim, dim)
    p = float(ord)
    if x._data.size == 0 and p in (_INF, -_INF):
        raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty "
                           "tensor because the operation does not have an identity")
    return VectorNorm.apply(x, ord=p, dims=dims, keepdim=bool(keepdim))


def matrix_norm(A: Any, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False) -> Tensor:
    """'fro', or the induced 1 / inf norms (and their -1 / -inf minima) over ``dim``."""
    A = to_tensor(A)
    if A.ndim < 2:
        raise shape_error("linalg.matrix_norm", f"the input tensor A must have at least 2 "
                          f"dimensions, got shape {A.shape}", hint="use vector_norm for vectors")
    d0, d1 = (d % A.ndim for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({d0}, {d1})")
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in (_INF, -_INF, 1, -1):
        inner, outer = (d1, d0) if ord in (_INF, -_INF) else (d0, d1)
        s = vector_norm(A, 1, inner, keepdim=True)
        out = vector_norm(s, _INF if ord > 0 else -_INF, outer, keepdim=True)
        return out if keepdim else out.squeeze((d0, d1))
    raise NotImplementedError(f"linalg.matrix_norm: ord={ord!r} is not supported (needs the "
                              "SVD). Hint: use 'fro', 1, -1, inf or -inf.")


def linalg_norm(A: Any, ord: Any = None, dim: Any = None, keepdim: bool = False, *,
                dtype: Any = None) -> Tensor:
    """``ng.linalg.norm``: a vector norm, or a matrix norm for 2 dims (or a 2-D A with ord)."""
    A = to_tensor(A)
    if dtype is not None:
        A = A.to(dtype)
    if isinstance(dim, int) or (dim is not None and len(dim) == 1):
        return vector_norm(A, 2 if ord is None else ord, dim, keepdim)
    if dim is None and ord is None:
        return vector_norm(A, 2, None, keepdim)
    if dim is None:
        if A.ndim == 1:
            return vector_norm(A, ord, None, keepdim)
        if A.ndim != 2:
            raise shape_error("linalg.norm", f"with ord={ord!r} and dim=None, A must be 1-D or "
                              f"2-D, got shape {A.shape}", hint="pass dim")
        dim = (0, 1)
    return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim)


def norm(input: Any, p: Any = "fro", dim: Any = None, keepdim: bool = False,
         dtype: Any = None) -> Tensor:
    """PyTorch's ``torch.norm``: numeric ``p`` is a vector norm over ``dim`` (all dims when None);
    'fro' is the 2-norm over ``dim``."""
    if type(input) is Tensor and dim is None and not keepdim and dtype is None and \
            input._data.dtype.kind == "f" and (p is None or p == "fro"):
        return _apply_one(VectorNorm, input, 2.0)  # the common call, without the argument checks
    input = to_tensor(input)
    if p == "fro" or p is None:
        p = 2
    elif isinstance(p, str):
        raise NotImplementedError(f"norm: p={p!r} is not supported. Hint: use 'fro' or a number.")
    return vector_norm(input, p, dim, keepdim, dtype=dtype)


inverse = inv
ger = outer

__all__ = ["matmul", "dot", "outer", "ger", "einsum", "tensordot", "inv", "inverse", "det",
           "slogdet", "solve", "cholesky", "vector_norm", "matrix_norm", "linalg_norm", "norm"]
