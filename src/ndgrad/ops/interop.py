"""NumPy interop: ``np.exp(t)``, ``np.sum(t, axis=0)``, ``ndarray + t`` dispatch to ndgrad ops.

``__array_ufunc__`` maps ufuncs by name (``_UFUNC_TO_OP``, else the op of the same name);
``__array_function__`` calls an adapter with NumPy's own signature (``_FUNCS``), which renames
NumPy's arguments (a, axis, keepdims, ddof) to ndgrad's. Ops are looked up at call time, so ops
added later are picked up. Anything else raises a TypeError that says what to do.
"""

from __future__ import annotations

from typing import Any

from .. import ops as _pkg  # the ops namespace (complete once ndgrad is imported)
from .._backend import array_module
from .._tensor import Tensor
from ._common import pair, to_tensor
from .linalg import Solve

_UFUNC_TO_OP = {
    "add": "add", "subtract": "sub", "multiply": "mul", "true_divide": "div", "divide": "div",
    "power": "pow", "float_power": "pow", "negative": "neg", "absolute": "abs", "fabs": "abs",
    "equal": "eq", "not_equal": "ne", "less": "lt", "less_equal": "le", "greater": "gt",
    "greater_equal": "ge", "fmax": "maximum", "fmin": "minimum",
}
_REDUCE = {"add": "sum", "multiply": "prod", "maximum": "amax", "minimum": "amin",
           "logical_and": "all", "logical_or": "any"}
_HINT = ("Hint: call the ndgrad op (ng.* or a Tensor method), or use t.detach().numpy() for a "
         "plain array (no gradient)")


def _no_rule(name: str, what: str = "") -> TypeError:
    return TypeError(f"numpy.{name}{what} has no ndgrad rule for Tensors. {_HINT}.")


def _op(name: str, np_name: str) -> Any:
    op = getattr(_pkg, name, None)
    if op is None:
        raise _no_rule(np_name, f" (ndgrad has no op {name!r} yet)")
    return op


def array_ufunc(ufunc: Any, method: str, inputs: tuple, kwargs: dict) -> Any:
    """Dispatch a NumPy ufunc call on Tensors to the ndgrad op of the same meaning."""
    name = ufunc.__name__
    dtype = kwargs.pop("dtype", None)
    if method == "__call__":
        bad = [k for k, v in kwargs.items() if v is not None and k not in ("casting", "order")]
        if bad:
            raise _no_rule(name, f" with {bad[0]}=")
        if name == "positive":
            return inputs[0]
        op = _op(_UFUNC_TO_OP.get(name, name), name)
        out = op(*inputs)
    elif method == "reduce" and name in _REDUCE:
        axis = kwargs.pop("axis", 0)
        kd = kwargs.pop("keepdims", False)
        if any(v is not None for v in kwargs.values()):
            raise _no_rule(f"{name}.reduce", f" with {next(iter(kwargs))}=")
        out = _reduce(_REDUCE[name], f"{name}.reduce", inputs[0], axis, kd)
    elif method == "accumulate" and name == "add":
        out = _cumsum(inputs[0], kwargs.pop("axis", 0))
    else:
        raise _no_rule(f"{name}.{method}")
    return out if dtype is None else out.to(dtype)


def array_function(func: Any, types: Any, args: tuple, kwargs: dict) -> Any:
    """Dispatch ``np.<name>(tensor, ...)`` to the adapter that maps it onto ndgrad ops."""
    mod = func.__module__ or "numpy"
    key = mod[len("numpy."):] + "." + func.__name__ if mod.startswith("numpy.") else func.__name__
    adapter = _FUNCS.get(key)
    if adapter is None:
        raise _no_rule(key)
    return adapter(*args, **kwargs)


# ---- adapters: NumPy's signatures, ndgrad's ops
class _NoValue:
    pass


_NV: Any = _NoValue()


def _unsupported(name: str, **given: Any) -> None:
    for k, v in given.items():
        if v is not None and v is not _NV and v is not False:
            raise _no_rule(name, f" with {k}=")


def _axes(a: Any, axis: Any) -> Any:
    return tuple(range(to_tensor(a).ndim)) if axis is None else axis


def _reduce(op: str, np_name: str, a: Any, axis: Any, keepdims: Any, **kw: Any) -> Tensor:
    if op in ("amax", "amin"):
        axis = _axes(a, axis)
    return _op(op, np_name)(a, axis, keepdim=bool(keepdims) if keepdims is not _NV else False,
                            **kw)


def _cumsum(a: Any, axis: Any) -> Tensor:
    if axis is None:
        return _op("cumsum", "cumsum")(_pkg.reshape(a, -1), 0)
    return _op("cumsum", "cumsum")(a, axis)


def _sum(a, axis=None, dtype=None, out=None, keepdims=_NV, initial=_NV, where=_NV):
    _unsupported("sum", out=out, initial=initial, where=where)
    return _reduce("sum", "sum", a, axis, keepdims, dtype=dtype)


def _mean(a, axis=None, dtype=None, out=None, keepdims=_NV, *, where=_NV):
    _unsupported("mean", out=out, where=where)
    return _reduce("mean", "mean", a, axis, keepdims, dtype=dtype)


def _prod(a, axis=None, dtype=None, out=None, keepdims=_NV, initial=_NV, where=_NV):
    _unsupported("prod", out=out, initial=initial, where=where, dtype=dtype)
    return _reduce("prod", "prod", a, axis, keepdims)


def _extreme(op: str, np_name: str) -> Any:
    def f(a, axis=None, out=None, keepdims=_NV, initial=_NV, where=_NV):
        _unsupported(np_name, out=out, initial=initial, where=where)
        return _reduce(op, np_name, a, axis, keepdims)
    return f


def _moment(op: str) -> Any:
    def f(a, axis=None, dtype=None, out=None, ddof=0, keepdims=_NV, *, where=_NV, mean=_NV,
          correction=_NV):
        _unsupported(op, out=out, where=where, mean=mean, dtype=dtype)
        c = ddof if correction is _NV else correction
        return _reduce(op, op, a, axis, keepdims, correction=c)
    return f


def _arg(op: str) -> Any:
    def f(a, axis=None, out=None, *, keepdims=_NV):
        _unsupported(op, out=out)
        kd = keepdims is not _NV and bool(keepdims)
        return _op(op, op)(a, axis, keepdim=kd) if axis is not None or kd else _op(op, op)(a)
    return f


def _cumsum_np(a, axis=None, dtype=None, out=None):
    _unsupported("cumsum", out=out, dtype=dtype)
    return _cumsum(a, axis)


def _reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    _unsupported("reshape", order=None if order == "C" else order, copy=copy)
    return _pkg.reshape(a, shape if shape is not None else newshape)


def _ravel(a, order="C"):
    _unsupported("ravel", order=None if order == "C" else order)
    return _pkg.reshape(a, -1)


def _transpose(a, axes=None):
    a = to_tensor(a)
    return _pkg.permute(a, tuple(range(a.ndim - 1, -1, -1)) if axes is None else tuple(axes))


def _squeeze(a, axis=None):
    return _pkg.squeeze(a, axis)


def _expand_dims(a, axis):
    a = to_tensor(a)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    nd = a.ndim + len(axes)
    for d in sorted(x % nd for x in axes):
        a = _pkg.unsqueeze(a, d)
    return a


def _concatenate(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    _unsupported("concatenate", out=out, dtype=dtype)
    if axis is None:
        return _pkg.cat([_pkg.reshape(t, -1) for t in arrays], 0)
    return _pkg.cat(list(arrays), axis)


def _stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    _unsupported("stack", out=out, dtype=dtype)
    return _pkg.stack(list(arrays), axis)


def _split(ary, indices_or_sections, axis=0):
    t = to_tensor(ary)
    n = t.shape[axis]
    if isinstance(indices_or_sections, int):
        k = indices_or_sections
        if k <= 0 or n % k:
            raise ValueError(f"numpy.split: array split does not result in an equal division "
                             f"({n} into {k}). Hint: use numpy.array_split sizes with ng.split.")
        return list(_pkg.split(t, [n // k] * k, axis))
    bounds = [0] + [min(max(int(i), 0), n) for i in indices_or_sections] + [n]
    return list(_pkg.split(t, [max(b - a, 0) for a, b in zip(bounds, bounds[1:])], axis))


def _pad(array, pad_width, mode="constant", **kwargs):
    t = to_tensor(array)
    modes = {"constant": "constant", "reflect": "reflect", "edge": "replicate",
             "wrap": "circular"}
    if mode not in modes:
        raise _no_rule("pad", f" with mode={mode!r}")
    xp = array_module(t._data)
    pw = xp.broadcast_to(xp.asarray(pad_width, dtype=int).reshape(-1, 2)
                         if xp.ndim(pad_width) else xp.asarray([[pad_width] * 2]), (t.ndim, 2))
    value = kwargs.pop("constant_values", 0)
    if kwargs or xp.ndim(value):
        raise _no_rule("pad", f" with {next(iter(kwargs), 'constant_values')}=")
    flat = [int(v) for pair in pw[::-1] for v in pair]
    return _pkg.pad(t, flat, modes[mode], value if mode == "constant" else None)


def _where(condition, x=None, y=None):
    return _pkg.where(condition, x, y)


def _clip(a, a_min=_NV, a_max=_NV, out=None, *, min=_NV, max=_NV, **kwargs):
    _unsupported("clip", out=out)
    lo = a_min if a_min is not _NV else (None if min is _NV else min)
    hi = a_max if a_max is not _NV else (None if max is _NV else max)
    return _op("clamp", "clip")(a, lo, hi)


def _dot(a, b, out=None):
    _unsupported("dot", out=out)
    a, b = to_tensor(a), to_tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if b.ndim <= 2:
        return _pkg.matmul(a, b)
    return _pkg.tensordot(a, b, ([-1], [-2]))  # NumPy's N-D dot: last of a with 2nd-last of b


def _outer(a, b, out=None):
    _unsupported("outer", out=out)
    return _pkg.outer(_pkg.reshape(a, -1), _pkg.reshape(b, -1))


def _einsum(subscripts, *operands, out=None, optimize=False, **kwargs):
    _unsupported("einsum", out=out, **kwargs)
    return _pkg.einsum(subscripts, *operands)


def _solve(a, b):
    a, b = pair(a, b)
    if b.ndim == 1 or a.ndim < 2 or b.shape[-2] != a.shape[-1]:
        return _pkg.solve(a, b)  # vectors, and the error messages
    return Solve.apply(a, b)  # NumPy 2: any b with ndim > 1 is a stack of matrices


def _norm(x, ord=None, axis=None, keepdims=False):
    return _pkg.linalg_norm(x, ord, axis, keepdims)


def _like(kind: str) -> Any:
    def f(a, dtype=None, order="K", subok=True, shape=None, *, device=None, fill_value=None):
        t = to_tensor(a)
        xp = array_module(t._data)
        s = t.shape if shape is None else shape
        d = t.dtype if dtype is None else dtype
        if kind == "full":
            return Tensor._make(xp.full(s, fill_value, dtype=d))
        return Tensor._make(getattr(xp, kind)(s, dtype=d))
    return f


def _full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, *, device=None):
    return _like("full")(a, dtype, shape=shape, fill_value=fill_value)


_FUNCS: dict = {
    "sum": _sum, "mean": _mean, "prod": _prod, "max": _extreme("amax", "max"),
    "amax": _extreme("amax", "amax"), "min": _extreme("amin", "min"),
    "amin": _extreme("amin", "amin"),
    "var": _moment("var"), "std": _moment("std"), "argmax": _arg("argmax"),
    "argmin": _arg("argmin"), "cumsum": _cumsum_np, "reshape": _reshape, "ravel": _ravel,
    "transpose": _transpose, "squeeze": _squeeze, "expand_dims": _expand_dims,
    "swapaxes": lambda a, axis1, axis2: _pkg.swapaxes(a, axis1, axis2),
    "moveaxis": lambda a, source, destination: _pkg.moveaxis(a, source, destination),
    "broadcast_to": lambda array, shape, subok=False: _pkg.broadcast_to(array, shape),
    "concatenate": _concatenate, "concat": _concatenate, "stack": _stack, "split": _split,
    "flip": lambda m, axis=None: _pkg.flip(m, axis),
    "roll": lambda a, shift, axis=None: _pkg.roll(a, shift, axis),
    "tile": lambda A, reps: _pkg.tile(A, reps),
    "repeat": lambda a, repeats, axis=None: _pkg.repeat_interleave(a, repeats, axis),
    "pad": _pad, "where": _where, "clip": _clip, "dot": _dot, "outer": _outer,
    "einsum": _einsum,
    "tensordot": lambda a, b, axes=2: _pkg.tensordot(a, b, axes),
    "take": lambda a, indices, axis=None, out=None, mode="raise": (
        _pkg.take(a, indices) if axis is None else _pkg.index_select(a, axis, indices)),
    "take_along_axis": lambda arr, indices, axis: _pkg.gather(arr, axis, indices),
    "shape": lambda a: to_tensor(a).shape, "ndim": lambda a: to_tensor(a).ndim,
    "size": lambda a, axis=None: to_tensor(a).numel() if axis is None else to_tensor(a).shape[
        axis],
    "copy": lambda a, order="K", subok=False: _pkg.clone(a),
    "allclose": lambda a, b, rtol=1e-05, atol=1e-08, equal_nan=False: _pkg.allclose(
        to_tensor(a), b, rtol, atol),
    "zeros_like": _like("zeros"), "ones_like": _like("ones"), "empty_like": _like("empty"),
    "full_like": _full_like,
    "linalg.inv": lambda a: _pkg.inv(a), "linalg.det": lambda a: _pkg.det(a),
    "linalg.slogdet": lambda a: _pkg.slogdet(a), "linalg.solve": _solve,
    "linalg.cholesky": lambda a, /, *, upper=False: _pkg.cholesky(a, upper=upper),
    "linalg.norm": _norm,
}

__all__ = ["array_ufunc", "array_function"]
