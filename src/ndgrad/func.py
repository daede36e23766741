"""``ng.func``: function transforms with ``torch.func``'s signatures (grad, vjp, jvp, vmap, ...).

They run on the reverse engine. Transforms nest (``grad(grad(f))``): an argument that already
requires grad is differentiated through an alias, and gradients keep their graph only then.
``vmap`` is a Python loop over the batch plus ``stack``, not a vectorizing transform.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from . import _backend, _creation, ops
from ._tensor import Tensor
from .autograd import api
from .autograd.functional import _double_vjp_jvp
from .autograd.grad_mode import enable_grad
from .autograd.grad_mode import grad_enabled as _grad_on


def _wrap(t: Any) -> tuple[Tensor, bool]:
    """(tensor to differentiate against, nested?): nested when an outer transform tracks ``t``."""
    if not isinstance(t, Tensor):
        raise TypeError(f"ng.func: expected differentiated arguments to be Tensors, got "
                        f"{type(t).__name__}. Wrap the value with ng.tensor.")
    if t.requires_grad and _grad_on():
        return t.view(t.shape), True
    return t.detach().requires_grad_(True), False


def _norm_argnums(argnums: int | tuple, n: int) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not nums:
        raise RuntimeError("argnums must be non-empty")
    out = []
    for a in nums:
        if not isinstance(a, int) or not -n <= a < n:
            raise RuntimeError(f"Got argnum={a}, but only {n} positional inputs")
        out.append(a % n)
    return tuple(out)


def _keep(x: Any, nested: bool) -> Any:
    if isinstance(x, Tensor):
        return x if nested else x.detach()
    if isinstance(x, (tuple, list)):
        return type(x)(_keep(i, nested) for i in x)
    return x


def _zeros_if_none(gs: tuple, refs: tuple) -> tuple:
    return tuple(_creation.zeros_like(r) if g is None else g for g, r in zip(gs, refs))


def grad_and_value(func: Callable, argnums: int | tuple = 0, has_aux: bool = False) -> Callable:
    """Like ``grad`` but the transformed function returns (gradient, value)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> tuple:
        nums = _norm_argnums(argnums, len(args))
        args = list(args)
        nested = False
        for a in nums:
            args[a], n = _wrap(args[a])
            nested = nested or n
        with enable_grad():
            out = func(*args, **kwargs)
            aux = None
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError("grad_and_value(f)(*args): output of function f should "
                                       "be a tuple: (output, aux) if has_aux is True")
                out, aux = out
            if not isinstance(out, Tensor):
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a "
                                   f"Tensor, got {type(out)}")
            if out.dim() != 0:
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a "
                                   f"scalar Tensor, got tensor with {out.dim()} dims. Maybe you "
                                   "wanted to use the vjp or jacrev APIs instead?")
            ins = [args[a] for a in nums]
            if out.requires_grad:
                gs = api.grad([out], ins, create_graph=nested, retain_graph=nested,
                              allow_unused=True)
            else:
                gs = (None,) * len(ins)
        gs = _keep(_zeros_if_none(gs, tuple(ins)), nested)
        g = gs[0] if isinstance(argnums, int) else gs
        value = _keep(out, nested)
        if has_aux:
            return g, (value, _keep(aux, nested))
        return g, value

    return wrapper


def grad(func: Callable, argnums: int | tuple = 0, has_aux: bool = False) -> Callable:
    """A function computing the gradient of scalar ``func`` w.r.t. the arguments ``argnums``."""
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


def vjp(func: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """(func(*primals), vjp_fn[, aux]); ``vjp_fn(cotangents)`` returns one gradient per primal."""
    wrapped, nested = [], False
    for p in primals:
        w, n = _wrap(p)
        wrapped.append(w)
        nested = nested or n
    with enable_grad():
        out = func(*wrapped)
    aux = None
    if has_aux:
        if not (isinstance(out, tuple) and len(out) == 2):
            raise RuntimeError("vjp(f, *primals): output of function f should be a tuple: "
                               "(output, aux) if has_aux is True")
        out, aux = out
    is_tuple = isinstance(out, (tuple, list))
    outs = tuple(out) if is_tuple else (out,)

    def vjp_fn(cotangents: Any) -> tuple:
        cts = tuple(cotangents) if is_tuple else (cotangents,)
        if len(cts) != len(outs):
            raise RuntimeError(f"Expected pytree structure of cotangents to be the same as "
                               f"pytree structure of outputs to the function: {len(outs)} "
                               f"outputs but {len(cts)} cotangents")
        pairs = [(o, c) for o, c in zip(outs, cts) if o.requires_grad]
        if not pairs:
            gs: tuple = (None,) * len(wrapped)
        else:
            cg = nested or (_grad_on() and any(c.requires_grad for _, c in pairs))
            gs = api.grad([o for o, _ in pairs], wrapped, [c for _, c in pairs],
                          retain_graph=True, create_graph=cg, allow_unused=True)
        return _keep(_zeros_if_none(gs, tuple(wrapped)), nested)

    result = _keep(out, nested)
    if has_aux:
        return result, vjp_fn, _keep(aux, nested)
    return result, vjp_fn


def jvp(func: Callable, primals: Any, tangents: Any, *, strict: bool = False,
        has_aux: bool = False) -> tuple:
    """(func(*primals), J @ tangents), via the double-vjp trick on the reverse engine."""
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to be "
                           "tuples. E.g. `jvp(f, (x,), (t,))`")
    if len(primals) != len(tangents):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have "
                           "the same python structure.")
    for p, t in zip(primals, tangents):
        if tuple(p.shape) != tuple(t.shape):
            raise RuntimeError(f"jvp(f, primals, tangents): Expected primals and tangents to "
                               f"have the same shape, got {tuple(p.shape)} and "
                               f"{tuple(t.shape)}.")
    wrapped, nested = [], False
    for p in primals:
        w, n = _wrap(p)
        wrapped.append(w)
        nested = nested or n
    nested = nested or (_grad_on() and any(t.requires_grad for t in tangents))
    with enable_grad():
        out = func(*wrapped)
        aux = None
        if has_aux:
            out, aux = out
        is_tuple = isinstance(out, (tuple, list))
        outs = tuple(out) if is_tuple else (out,)
        res = _double_vjp_jvp(outs, tuple(wrapped), tuple(tangents), nested, strict)
    res = _keep(res, nested)
    result = (_keep(out, nested), tuple(res) if is_tuple else res[0])
    return result + (_keep(aux, nested),) if has_aux else result


def jacrev(func: Callable, argnums: int | tuple = 0, *, has_aux: bool = False) -> Callable:
    """The Jacobian by reverse mode: one vjp per output element; shape out.shape + in.shape."""

    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        nums = _norm_argnums(argnums, len(args))
        diff = [args[a] for a in nums]

        def f(*d: Any) -> Any:
            full = list(args)
            for a, v in zip(nums, d):
                full[a] = v
            return func(*full)

        out, vjp_fn, *aux = vjp(f, *diff, has_aux=has_aux)
        outs = out if isinstance(out, tuple) else (out,)
        per_out = []
        for i, o in enumerate(outs):
            rows: list[list] = [[] for _ in diff]
            for k in range(o.numel()):
                cts = tuple(_basis(x, k) if j == i else _creation.zeros_like(x)
                            for j, x in enumerate(outs))
                for j, g in enumerate(vjp_fn(cts if isinstance(out, tuple) else cts[0])):
                    rows[j].append(g)
            jac = tuple(_stack_rows(r, o.shape, x.shape, x) for r, x in zip(rows, diff))
            per_out.append(jac[0] if isinstance(argnums, int) else jac)
        res = tuple(per_out) if isinstance(out, tuple) else per_out[0]
        return (res, aux[0]) if has_aux else res

    return wrapper


def jacfwd(func: Callable, argnums: int | tuple = 0, has_aux: bool = False) -> Callable:
    """The Jacobian by forward mode: one jvp per input element; shape out.shape + in.shape."""

    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        nums = _norm_argnums(argnums, len(args))
        diff = [args[a] for a in nums]

        def f(*d: Any) -> Any:
            full = list(args)
            for a, v in zip(nums, d):
                full[a] = v
            return func(*full)

        per_in, out, aux = [], None, None
        for j, x in enumerate(diff):
            cols = []
            for k in range(x.numel()):
                tans = tuple(_basis(y, k) if i == j else _creation.zeros_like(y)
                             for i, y in enumerate(diff))
                r = jvp(f, tuple(diff), tans, has_aux=has_aux)
                out, t = r[0], r[1]
                aux = r[2] if has_aux else None
                cols.append(t if isinstance(t, tuple) else (t,))
            per_in.append(cols)
        if out is None:
            out, *rest = (f(*diff),) if not has_aux else f(*diff)
            aux = rest[0] if rest else None
        outs = out if isinstance(out, tuple) else (out,)
        res = []
        for i, o in enumerate(outs):
            jac = []
            for x, cols in zip(diff, per_in):
                if cols:
                    m = ops.stack([c[i] for c in cols], dim=-1)
                    jac.append(m.reshape(tuple(o.shape) + tuple(x.shape)))
                else:
                    jac.append(_empty_jac(o, x))
            res.append(jac[0] if isinstance(argnums, int) else tuple(jac))
        final = tuple(res) if isinstance(out, tuple) else res[0]
        return (final, aux) if has_aux else final

    return wrapper


def hessian(func: Callable, argnums: int | tuple = 0) -> Callable:
    """Second derivatives of a scalar ``func``: ``jacfwd(jacrev(func))``."""
    return jacfwd(jacrev(func, argnums), argnums)


def _basis(x: Tensor, k: int) -> Tensor:
    xp = _backend.array_module(x._data)
    e = xp.zeros(x._data.size, dtype=x._data.dtype)
    e[k] = 1
    return Tensor._make(e.reshape(x._data.shape))


def _empty_jac(o: Tensor, x: Tensor) -> Tensor:
    xp = _backend.array_module(x._data)
    return Tensor._make(xp.zeros(tuple(o.shape) + tuple(x.shape), dtype=x._data.dtype))


def _stack_rows(rows: list, out_shape: tuple, in_shape: tuple, like: Tensor) -> Tensor:
    if not rows:
        xp = _backend.array_module(like._data)
        return Tensor._make(xp.zeros(tuple(out_shape) + tuple(in_shape), dtype=like._data.dtype))
    return ops.stack(rows).reshape(tuple(out_shape) + tuple(in_shape))


def _take(x: Any, dim: int | None, b: int) -> Any:
    if dim is None:
        return x
    if not isinstance(x, Tensor):
        raise ValueError(f"vmap: in_dim={dim} was given for an input of type "
                         f"{type(x).__name__}; use in_dim=None for non-Tensor inputs.")
    d = dim % x.ndim if x.ndim else dim
    return x[(slice(None),) * d + (b,)]


def vmap(func: Callable, in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable:
    """Map ``func`` over a batch dim of its inputs (a Python loop plus ``stack``).

    Semantics follow ``torch.func.vmap`` for Tensor / tuple arguments and outputs; it is
    differentiable, but gives no speed-up over an explicit loop.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        dims = in_dims if isinstance(in_dims, (tuple, list)) else (in_dims,) * len(args)
        if len(dims) != len(args):
            raise ValueError(f"vmap(f, in_dims={in_dims}, ...)(<inputs>): in_dims is not "
                             f"compatible with the structure of `inputs`. in_dims has "
                             f"{len(dims)} entries but inputs has {len(args)}.")
        sizes = set()
        for a, d in zip(args, dims):
            if d is not None and isinstance(a, Tensor):
                if a.ndim == 0:
                    raise ValueError(f"vmap(f, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} "
                                     "for an input but the input is of type Tensor with 0 dims. "
                                     "We cannot vmap over a scalar; use in_dim=None for it.")
                if type(d) is not int or not -a.ndim <= d < a.ndim:
                    raise ValueError(f"vmap(f, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} "
                                     f"for some input, but that input is a Tensor of "
                                     f"dimensionality {a.ndim} so expected in_dim to satisfy "
                                     f"-{a.ndim} <= in_dim < {a.ndim}.")
                sizes.add(a.shape[d])
        if not sizes:
            raise ValueError("vmap(f, in_dims, ...)(<inputs>): at least one input must be a "
                             "Tensor mapped over a dim (in_dim not None).")
        if len(sizes) > 1:
            raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped "
                             f"dimension, got sizes {sorted(sizes)} for the mapped dimension")
        n = sizes.pop()
        if not n:
            raise NotImplementedError("vmap: the mapped dimension has size 0; this loop-based "
                                      "vmap needs one example to learn the output's shape. "
                                      "Hint: skip the call for an empty batch.")
        results = [func(*[_take(a, d, b) for a, d in zip(args, dims)], **kwargs)
                   for b in range(n)]
        first = results[0]
        if isinstance(first, tuple):
            od = out_dims if isinstance(out_dims, (tuple, list)) else (out_dims,) * len(first)
            return tuple(_stack_out([r[i] for r in results], od[i]) for i in range(len(first)))
        return _stack_out(results, out_dims)

    return wrapper


def _stack_out(items: list, dim: int | None) -> Any:
    if dim is None:
        # PyTorch refuses an out_dim of None for an output that depends on the batch; here
        # that shows as outputs that differ between batch elements
        t0 = items[0]
        for t in items[1:]:
            if t is not t0 and not (isinstance(t, Tensor) and isinstance(t0, Tensor) and
                                    t.shape == t0.shape and bool((t == t0).all())):
                raise ValueError("vmap: can not return a BatchedTensor when out_dim is None "
                                 "(the output differs between batch elements)")
        return t0
    items = [i if isinstance(i, Tensor) else _creation.tensor(i) for i in items]
    return ops.stack(items, dim=dim)


__all__ = ["grad", "grad_and_value", "vjp", "jvp", "vmap", "jacrev", "jacfwd", "hessian"]
