"""Square matrices for ``ng.linalg``: inv det slogdet solve cholesky, and LinAlgError.

Shapes are checked in the public function; rules are written with these same ops (inv, solve),
so every order of derivative works where the matrix is invertible. det's rule also takes
singular matrices (adj(A)^T from the SVD, as PyTorch), to first order.
"""

from __future__ import annotations

from typing import Any

from .._backend import array_module, np
from .._errors import shape_error
from .._tensor import Tensor
from ..autograd.function import Primitive
from ..autograd.grad_mode import grad_enabled as _grad_on
from ._common import pair, to_tensor
from .binary import where


def _square(op: str, a: Tensor) -> None:
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise shape_error(op, f"A must be batches of square matrices, but got shape {a.shape}",
                          hint="pass a (..., n, n) tensor")


class LinAlgError(RuntimeError):
    """A matrix an op cannot factor (singular for inv / solve, not positive-definite for
    cholesky): PyTorch's ``torch.linalg.LinAlgError``, a RuntimeError. ``ng.linalg.LinAlgError``."""


_WHY = {"cholesky": "the input is not positive-definite. Hint: pass a symmetric "
                    "positive-definite matrix (all leading minors > 0)"}


def _lapack(op: str, fn: Any, *arrays: Any) -> Any:
    try:
        return fn(*arrays)
    except Exception as e:  # numpy.linalg.LinAlgError: name the op like PyTorch does
        if type(e).__name__ != "LinAlgError":
            raise
        why = _WHY.get(op, "the input matrix is singular. Hint: the input must be invertible "
                           "(check its rank; lstsq or a pseudo-inverse take singular matrices)")
        raise LinAlgError(f"linalg.{op}: {e}: {why}.") from None


def _adjugate_t(a: Any) -> Any:
    """adj(A)^T on arrays, for any (..., n, n) A, singular included: from the SVD
    A = U S Vh, adj(A)^T = det(U) det(Vh) U diag(prod_{j != i} s_j) Vh (PyTorch's singular
    det rule; the products leave out one s_i each, without dividing by it)."""
    xp = array_module(a)
    u, sv, vh = xp.linalg.svd(a)
    one = xp.ones(sv.shape[:-1] + (1,), sv.dtype)
    left = xp.cumprod(xp.concatenate([one, sv[..., :-1]], -1), -1)
    right = xp.cumprod(xp.concatenate([one, sv[..., :0:-1]], -1), -1)[..., ::-1]
    d = left * right * (xp.linalg.det(u) * xp.linalg.det(vh))[..., None]
    return (u * d[..., None, :]) @ vh


def _unit_where(sing: Any, a: Any) -> Any:
    """``a`` with the matrices flagged in ``sing`` (batch-shaped) replaced by the identity."""
    xp = array_module(a)
    return xp.where(sing[..., None, None], xp.eye(a.shape[-1], dtype=a.dtype), a)


class Inv(Primitive):
    _node_name = "LinalgInvExBackward0"

    @staticmethod
    def forward(ctx: Any, a: Any) -> Any:
        ctx.save_outputs(0)
        return _lapack("inv", array_module(a).linalg.inv, a)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        yt = y.mT
        return -(yt @ grad @ yt)


def inv(A: Any) -> Tensor:
    """Inverse of a square matrix (or a batch of them)."""
    A = to_tensor(A)
    _square("inv", A)
    return Inv.apply(A)


class Det(Primitive):
    _node_name = "LinalgDetBackward0"

    @staticmethod
    def forward(ctx: Any, a: Any) -> Any:
        ctx.save_inputs(0)
        ctx.save_outputs(0)
        return array_module(a).linalg.det(a)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        # d det / dA = adj(A)^T: det * inv(A)^T where A is invertible; from the SVD where it is
        # singular (rank n-1: the adjugate; lower rank: 0), as PyTorch's singular rule
        a, y = ctx.saved_tensors
        aa, ya = a._data, y._data
        g = grad.reshape(grad.shape + (1, 1))
        xp = array_module(aa)
        if aa.size == 0 or aa.dtype.kind != "f":
            return (g * y.reshape(y.shape + (1, 1))) * Inv.apply(a).mT
        # no graph: PyTorch's test (|det| < 100 eps) picks the SVD, exact for every A; with
        # a graph, only det == 0, where inv fails (there a constant for n > 2: first order)
        sing = xp.abs(ya) < 100 * xp.finfo(aa.dtype).eps if not _grad_on() else ya == 0
        if not xp.any(sing):
            return (g * y.reshape(y.shape + (1, 1))) * Inv.apply(a).mT
        if aa.shape[-1] == 2 and _grad_on():  # 2x2: adj(A)^T = tr(A) I - A^T, differentiable
            eye = Tensor._make(xp.eye(2, dtype=aa.dtype))
            adj = (a * eye).sum((-2, -1), keepdim=True) * eye - a.mT
        else:
            adj = Tensor._make(_adjugate_t(aa))
        if xp.all(sing):
            return g * adj
        s4 = xp.asarray(sing)[..., None, None]
        inv_t = Inv.apply(where(s4, Tensor._make(_unit_where(sing, aa)), a)).mT
        return where(s4, g * adj, (g * y.reshape(y.shape + (1, 1))) * inv_t)


def det(A: Any) -> Tensor:
    """Determinant of a square matrix (or batch)."""
    A = to_tensor(A)
    _square("det", A)
    return Det.apply(A)


class Slogdet(Primitive):
    _node_name = "LinalgSlogdetBackward0"

    @staticmethod
    def forward(ctx: Any, a: Any) -> Any:
        ctx.save_inputs(0)
        sign, logabs = array_module(a).linalg.slogdet(a)
        return sign, logabs

    @staticmethod
    def backward(ctx: Any, gsign: Tensor, glog: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors  # sign is piecewise constant: no gradient
        g = glog.reshape(glog.shape + (1, 1))
        aa = a._data
        if not _grad_on() and aa.size and aa.dtype.kind == "f":
            xp = array_module(aa)
            d = xp.linalg.det(aa)
            sing = d == 0
            if xp.any(sing):
                # no graph, singular: adj(A)^T / det, +-inf (NaN where adj is 0), as PyTorch's
                # LU solve gives there (with a graph, inv raises LinAlgError, as PyTorch does)
                with np.errstate(divide="ignore", invalid="ignore"):
                    inv_t = _adjugate_t(aa) / xp.asarray(d)[..., None, None]
                if not xp.all(sing):
                    s4 = xp.asarray(sing)[..., None, None]
                    inv_t = xp.where(s4, inv_t, xp.linalg.inv(_unit_where(sing, aa)).swapaxes(
                        -1, -2))
                return g * Tensor._make(inv_t)
        return g * Inv.apply(a).mT


def slogdet(A: Any) -> tuple:
    """``(sign, log|det|)`` of a square matrix (or batch), stable where det under/overflows."""
    A = to_tensor(A)
    _square("slogdet", A)
    return Slogdet.apply(A)


class Solve(Primitive):
    _node_name = "LinalgSolveExBackward0"

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        ctx.save_inputs(0)
        ctx.save_outputs(0)
        return _lapack("solve", array_module(a).linalg.solve, a, b)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        a, x = ctx.saved_tensors
        gb = Solve.apply(a.mT, grad)
        ga = -(gb @ x.mT) if ctx.needs_input_grad[0] else None
        return ga, gb


def solve(A: Any, B: Any, *, left: bool = True) -> Tensor:
    """X with ``A @ X = B``; B is (..., n) vectors or (..., n, k) matrices (PyTorch's rule)."""
    A, B = pair(A, B)
    _square("solve", A)
    if not left:
        return solve(A.mT, B.mT).mT
    vec = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    n = A.shape[-1]
    if (B.shape[-1] if vec else (B.shape[-2] if B.ndim > 1 else -1)) != n:
        raise shape_error("solve", f"incompatible shapes of A and B for the equation AX = B "
                          f"({A.shape} and {B.shape})", hint=f"B needs {n} rows")
    if vec:
        return Solve.apply(A, B.unsqueeze(-1)).squeeze(-1)
    return Solve.apply(A, B)


class Cholesky(Primitive):
    _node_name = "LinalgCholeskyExBackward0"

    @staticmethod
    def forward(ctx: Any, a: Any) -> Any:
        ctx.save_outputs(0)
        return _lapack("cholesky", array_module(a).linalg.cholesky, a)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (lo,) = ctx.saved_tensors  # Murray (2016): A-bar = L^-T Phi(L^T L-bar) L^-1, symmetrized
        xp = array_module(grad._data)
        n = lo.shape[-1]
        phi = Tensor._make(xp.tril(xp.ones((n, n), dtype=grad._data.dtype)) - 0.5 * xp.eye(n))
        li = Inv.apply(lo)
        s = li.mT @ ((lo.mT @ grad) * phi) @ li
        return (s + s.mT) * 0.5


def cholesky(A: Any, *, upper: bool = False) -> Tensor:
    """Cholesky factor L (lower, ``A = L L^T``) of a symmetric positive-definite matrix."""
    A = to_tensor(A)
    _square("cholesky", A)
    lo = Cholesky.apply(A)
    return lo.mT if upper else lo


__all__ = ["inv", "det", "slogdet", "solve", "cholesky"]  # re-exported by linalg.py
