"""``ng.func``: function transforms with ``torch.func``'s signatures (grad, vjp, jvp, vmap, ...).

They run on the reverse engine. Transforms nest (``grad(grad(f))``): an argument that already
requires grad is differentiated through an alias, and gradients keep their graph only then.
Arguments and outputs may be pytrees (nested tuples/lists/dicts, see ``_pytree``): each
transform flattens them to leaves, works on the leaves and rebuilds the structure.
``vmap`` is a Python loop over the batch plus ``stack``, not a vectorizing transform.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from . import _backend, _creation, ops
from ._pytree import broadcast_prefix, tree_flatten, tree_map, tree_unflatten
from ._tensor import Tensor
from .autograd import api
from .autograd.functional import _double_vjp_jvp
from .autograd.grad_mode import enable_grad
from .autograd.grad_mode import grad_enabled as _grad_on


class _NotATensor(TypeError, ValueError):
    """A non-Tensor where a transform needs one: torch.func's ValueError, and a TypeError."""


def _not_a_tensor(x: Any) -> _NotATensor:
    return _NotATensor(f"ng.func: Thing passed to transform API must be Tensor, got {type(x)}. "
                       "Wrap the value with ng.tensor.")


def _wrap(t: Any) -> tuple[Tensor, bool]:
    """(tensor to differentiate against, nested?): nested when an outer transform tracks ``t``."""
    if not isinstance(t, Tensor):
        raise _not_a_tensor(t)
    if t.requires_grad and _grad_on():
        return t.view(t.shape), True
    return t.detach().requires_grad_(True), False


def _wrap_trees(trees: Any) -> tuple[list, list, bool]:
    """(wrapped leaves of all ``trees``, [(leaf count, spec)] per tree, nested?)."""
    flat, specs, nested = [], [], False
    for tree in trees:
        leaves, spec = tree_flatten(tree)
        for x in leaves:
            w, n = _wrap(x)
            flat.append(w)
            nested = nested or n
        specs.append((len(leaves), spec))
    return flat, specs, nested


def _split(flat: Any, specs: list) -> list:
    """The inverse of ``_wrap_trees``' flattening: one pytree per (count, spec)."""
    out, i = [], 0
    for k, spec in specs:
        out.append(tree_unflatten(list(flat[i:i + k]), spec))
        i += k
    return out


def _norm_argnums(argnums: int | tuple, n: int) -> tuple[int, ...]:
    if isinstance(argnums, int):
        nums: tuple = (argnums,)
    elif isinstance(argnums, tuple):
        nums = argnums
    else:
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    if not nums:
        raise RuntimeError("argnums must be non-empty")
    out = []
    for a in nums:
        if not isinstance(a, int) or not -n <= a < n:
            raise RuntimeError(f"Got argnum={a}, but only {n} positional inputs")
        out.append(a % n)
    if len(set(out)) != len(out):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    return tuple(out)


def _keep(x: Any, nested: bool) -> Any:
    if nested:
        return x
    return tree_map(lambda v: v.detach() if isinstance(v, Tensor) else v, x)


def _zeros_if_none(gs: Any, refs: Any) -> list:
    return [_creation.zeros_like(r) if g is None else g for g, r in zip(gs, refs)]


def _check_outputs(outs: list, where: str) -> None:
    if not outs:
        raise RuntimeError(f"{where}: Expected f to be a function that has non-empty output "
                           f"(got output = {outs})")
    for o in outs:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"{where}: expected f(*primals) to return only tensors, got "
                               f"unsupported type {type(o)}")


def _split_aux(out: Any, has_aux: bool, where: str) -> tuple:
    """(output, aux) of a function's result: ``out`` must be that pair when ``has_aux``."""
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{where}: output of function f should be a tuple: (output, aux) "
                           "if has_aux is True")
    return out


def _differentiable(t: Tensor) -> bool:
    return t.is_floating_point() or t.is_complex()


def grad_and_value(func: Callable, argnums: int | tuple = 0, has_aux: bool = False) -> Callable:
    """Like ``grad`` but the transformed function returns (gradient, value)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> tuple:
        nums = _norm_argnums(argnums, len(args))
        args = list(args)
        ins, specs, nested = _wrap_trees([args[a] for a in nums])
        for a, tree in zip(nums, _split(ins, specs)):
            args[a] = tree
        with enable_grad():
            out, aux = _split_aux(func(*args, **kwargs), has_aux, "grad_and_value(f)(*args)")
            if not isinstance(out, Tensor):
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a "
                                   f"Tensor, got {type(out)}")
            if out.dim() != 0:
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a "
                                   f"scalar Tensor, got tensor with {out.dim()} dims. Maybe you "
                                   "wanted to use the vjp or jacrev APIs instead?")
            if out.requires_grad and ins:
                gs = api.grad([out], ins, create_graph=nested, retain_graph=nested,
                              allow_unused=True)
            else:
                gs = (None,) * len(ins)
        per_arg = _split(_keep(_zeros_if_none(gs, ins), nested), specs)
        g = per_arg[0] if isinstance(argnums, int) else tuple(per_arg)
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
    """(func(*primals), vjp_fn[, aux]); ``vjp_fn(cotangents)`` returns one gradient per primal,
    each shaped like its primal; ``cotangents`` has the structure of the output."""
    wrapped, specs, nested = _wrap_trees(primals)
    with enable_grad():
        out = func(*_split(wrapped, specs))
    out, aux = _split_aux(out, has_aux, "vjp(f, *primals)")
    outs, out_spec = tree_flatten(out)
    _check_outputs(outs, "vjp(f, *primals)")
    for o in outs:
        if not _differentiable(o):
            raise RuntimeError("vjp(f, ...): All outputs of f must be floating-point or complex "
                               f"Tensors, got Tensor with dtype {o.dtype}")

    def vjp_fn(cotangents: Any) -> tuple:
        cts, ct_spec = tree_flatten(cotangents)
        if ct_spec != out_spec:
            raise RuntimeError("Expected pytree structure of cotangents to be the same as "
                               "pytree structure of outputs to the function. cotangents: "
                               f"{ct_spec}, primal output: {out_spec}")
        pairs = [(o, c) for o, c in zip(outs, cts) if o.requires_grad]
        if not pairs or not wrapped:
            gs: Any = (None,) * len(wrapped)
        else:
            cg = nested or (_grad_on() and any(c.requires_grad for _, c in pairs))
            gs = api.grad([o for o, _ in pairs], wrapped, [c for _, c in pairs],
                          retain_graph=True, create_graph=cg, allow_unused=True)
        return tuple(_split(_keep(_zeros_if_none(gs, wrapped), nested), specs))

    result = _keep(out, nested)
    if has_aux:
        return result, vjp_fn, _keep(aux, nested)
    return result, vjp_fn


def jvp(func: Callable, primals: Any, tangents: Any, *, strict: bool = False,
        has_aux: bool = False) -> tuple:
    """(func(*primals), J @ tangents), via the double-vjp trick on the reverse engine.

    An integer output gets a zero tangent of its own dtype and shape (torch: a zero int64)."""
    if not isinstance(primals, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it "
                           "should be valid to call f(*primals). Primals and tangents must be "
                           "tuples, e.g. `jvp(f, (x,), (t,))`.")
    p_leaves, p_spec = tree_flatten(primals)
    t_leaves, t_spec = tree_flatten(tangents)
    if p_spec != t_spec:
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have "
                           "the same python structure. For example, if primals is a tuple of 3 "
                           "tensors, tangents also must be. Got primals with structure "
                           f"{p_spec} and tangents with structure {t_spec}")
    for what, leaves in (("primals", p_leaves), ("tangents", t_leaves)):
        for x in leaves:
            if not isinstance(x, Tensor):
                raise RuntimeError(f"jvp(f, primals, tangents): Expected {what} to only "
                                   f"contain Tensors, got {type(x)}")
    for p, t in zip(p_leaves, t_leaves):
        if tuple(p.shape) != tuple(t.shape):
            raise RuntimeError(f"jvp(f, primals, tangents): Expected primals and tangents to "
                               f"have the same shape, got {tuple(p.shape)} and "
                               f"{tuple(t.shape)}.")
    wrapped, _, nested = _wrap_trees(p_leaves)
    nested = nested or (_grad_on() and any(t.requires_grad for t in t_leaves))
    with enable_grad():
        out, aux = _split_aux(func(*tree_unflatten(wrapped, p_spec)), has_aux,
                              "jvp(f, primals, tangents)")
        outs, out_spec = tree_flatten(out)
        _check_outputs(outs, "jvp(f, primals, tangents)")
        # integer outputs have no tangent space: a zero of their own dtype, as torch returns
        res = [_creation.zeros_like(o) for o in outs]
        diff = [i for i, o in enumerate(outs) if _differentiable(o)]
        if diff and wrapped:
            r = _double_vjp_jvp(tuple(outs[i] for i in diff), tuple(wrapped), tuple(t_leaves),
                                nested, strict)
            for i, v in zip(diff, r):
                res[i] = v
    result = (_keep(out, nested), tree_unflatten(_keep(res, nested), out_spec))
    return result + (_keep(aux, nested),) if has_aux else result


def _flat_fn(func: Callable, args: tuple, nums: tuple, specs: list, has_aux: bool,
             who: str, box: list) -> Callable:
    """``func`` as a function of the flat leaves of ``args[nums]`` returning its flat outputs;
    it stores the output spec in ``box``."""

    def f(*leaves: Any) -> Any:
        full = list(args)
        for a, tree in zip(nums, _split(leaves, specs)):
            full[a] = tree
        r, aux = _split_aux(func(*full), has_aux, f"{who}(f, ...)(*args)")
        outs, spec = tree_flatten(r)
        box[:] = [spec]
        return (tuple(outs), aux) if has_aux else tuple(outs)

    return f


def _flat_args(args: tuple, argnums: int | tuple) -> tuple[tuple, list, list]:
    nums = _norm_argnums(argnums, len(args))
    flat, specs = [], []
    for a in nums:
        leaves, spec = tree_flatten(args[a])
        for x in leaves:
            if not isinstance(x, Tensor):
                raise _not_a_tensor(x)
        flat.extend(leaves)
        specs.append((len(leaves), spec))
    return nums, flat, specs


def _assemble(jac: list, argnums: int | tuple, specs: list, out_spec: Any) -> Any:
    """jac[i][j] = d out_leaf_i / d in_leaf_j, rebuilt as out structure of in structures."""
    per_out = []
    for row in jac:
        per_arg = _split(row, specs)
        per_out.append(per_arg[0] if isinstance(argnums, int) else tuple(per_arg))
    return tree_unflatten(per_out, out_spec)


def jacrev(func: Callable, argnums: int | tuple = 0, *, has_aux: bool = False) -> Callable:
    """The Jacobian by reverse mode: one vjp per output element; shape out.shape + in.shape."""

    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        nums, diff, specs = _flat_args(args, argnums)
        box: list = []
        f = _flat_fn(func, args, nums, specs, has_aux, "jacrev", box)
        outs, vjp_fn, *aux = vjp(f, *diff, has_aux=has_aux)
        jac = []
        for i, o in enumerate(outs):
            rows: list[list] = [[] for _ in diff]
            for k in range(o.numel()):
                cts = tuple(_basis(x, k) if j == i else _creation.zeros_like(x)
                            for j, x in enumerate(outs))
                for j, g in enumerate(vjp_fn(cts)):
                    rows[j].append(g)
            jac.append([_stack_rows(r, o.shape, x.shape, x) for r, x in zip(rows, diff)])
        res = _assemble(jac, argnums, specs, box[0])
        return (res, aux[0]) if has_aux else res

    return wrapper


def jacfwd(func: Callable, argnums: int | tuple = 0, has_aux: bool = False) -> Callable:
    """The Jacobian by forward mode: one jvp per input element; shape out.shape + in.shape."""

    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        nums, diff, specs = _flat_args(args, argnums)
        box: list = []
        f = _flat_fn(func, args, nums, specs, has_aux, "jacfwd", box)
        per_in, outs, aux = [], None, None
        for j, x in enumerate(diff):
            cols = []
            for k in range(x.numel()):
                tans = tuple(_basis(y, k) if i == j else _creation.zeros_like(y)
                             for i, y in enumerate(diff))
                r = jvp(f, tuple(diff), tans, has_aux=has_aux)
                outs, aux = r[0], (r[2] if has_aux else None)
                cols.append(r[1])
            per_in.append(cols)
        if outs is None:
            r = f(*diff)
            outs, aux = r if has_aux else (r, None)
        jac = []
        for i, o in enumerate(outs):
            row = []
            for x, cols in zip(diff, per_in):
                if cols:
                    m = ops.stack([c[i] for c in cols], dim=-1)
                    row.append(m.reshape(tuple(o.shape) + tuple(x.shape)))
                else:
                    row.append(_empty_jac(o, x))
            jac.append(row)
        final = _assemble(jac, argnums, specs, box[0])
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
    d = dim % x.ndim
    return x[(slice(None),) * d + (b,)]


def _flat_in_dims(name: str, in_dims: Any, args: tuple) -> tuple[list, Any, list]:
    """(input leaves, input spec, one in_dim per leaf), validated as torch.func.vmap does."""
    where = f"vmap({name}, in_dims={in_dims}, ...)(<inputs>)"
    if isinstance(in_dims, bool) or not isinstance(in_dims, (int, tuple)):
        raise ValueError(f"{where}: expected `in_dims` to be int or a (potentially nested) tuple "
                         f"matching the structure of inputs, got: {type(in_dims)}.")
    if not args:
        raise ValueError(f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add "
                         "inputs, or you are trying to vmap over a function with no inputs. "
                         "The latter is unsupported.")
    leaves, spec = tree_flatten(args)
    dims = broadcast_prefix(in_dims, spec)
    if dims is None:
        raise ValueError(f"{where}: in_dims is not compatible with the structure of `inputs`. "
                         f"in_dims has structure {tree_flatten(in_dims)[1]} but inputs has "
                         f"structure {spec}.")
    for a, d in zip(leaves, dims):
        if d is None:
            continue
        if type(d) is not int:
            raise ValueError(f"{where}: Got in_dim={d} for an input but in_dim must be either "
                             "an integer dimension or None.")
        if not isinstance(a, Tensor):
            raise ValueError(f"{where}: Got in_dim={d} for an input but the input is of type "
                             f"{type(a)}. We cannot vmap over non-Tensor arguments, please use "
                             "None as the respective in_dim")
        if a.ndim == 0:
            raise ValueError(f"{where}: Got in_dim={d} for an input but the input is of type "
                             "Tensor with 0 dims. We cannot vmap over a scalar; use in_dim=None "
                             "for it.")
        if not -a.ndim <= d < a.ndim:
            raise ValueError(f"{where}: Got in_dim={d} for some input, but that input is a "
                             f"Tensor of dimensionality {a.ndim} so expected in_dim to satisfy "
                             f"-{a.ndim} <= in_dim < {a.ndim}.")
    return leaves, spec, dims


def _flat_out_dims(name: str, out_dims: Any, spec: Any) -> list:
    """One out_dim per output leaf; a 1-tuple also fits a single Tensor output, as in torch."""
    if out_dims is None or isinstance(out_dims, int):
        return [out_dims] * spec.num_leaves
    if isinstance(out_dims, tuple) and len(out_dims) == 1 and spec.is_leaf():
        return [out_dims[0]]
    dims = broadcast_prefix(out_dims, spec)
    if dims is None:
        raise ValueError(f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not "
                         "compatible with the structure of `outputs`. out_dims has structure "
                         f"{tree_flatten(out_dims)[1]} but outputs has structure {spec}.")
    return dims


def vmap(func: Callable, in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable:
    """Map ``func`` over a batch dim of its inputs (a Python loop plus ``stack``).

    Arguments and outputs may be nested tuples/lists/dicts of Tensors; ``in_dims`` and
    ``out_dims`` are an int or None per leaf, or a prefix of the structure, as in
    ``torch.func.vmap``. It is differentiable, but gives no speed-up over an explicit loop.
    """
    name = getattr(func, "__name__", type(func).__name__)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for d in tree_flatten(out_dims)[0]:
            if d is not None and type(d) is not int:
                raise ValueError(f"vmap({name}, ..., out_dims={out_dims}): `out_dims` must be "
                                 "an int, None or a python collection of ints representing "
                                 "where in the outputs the vmapped dimension should appear.")
        leaves, spec, dims = _flat_in_dims(name, in_dims, args)
        sizes = {a.shape[d] for a, d in zip(leaves, dims) if d is not None}
        if not sizes:
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): at least one "
                             "input must be a Tensor mapped over a dim (in_dim not None).")
        if len(sizes) > 1:
            raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped "
                             f"dimension, got sizes {sorted(sizes)} for the mapped dimension")
        n = sizes.pop()
        if not n:
            raise NotImplementedError("vmap: the mapped dimension has size 0; this loop-based "
                                      "vmap needs one example to learn the output's shape. "
                                      "Hint: skip the call for an empty batch.")
        flat_results, out_spec = [], None
        for b in range(n):
            batch = tree_unflatten([_take(a, d, b) for a, d in zip(leaves, dims)], spec)
            outs, s = tree_flatten(func(*batch, **kwargs))
            if out_spec is not None and s != out_spec:
                raise ValueError(f"vmap({name}, ...): the output structure differs between "
                                 f"batch elements: {out_spec} and {s}. Return the same "
                                 "structure for every element.")
            out_spec = s
            flat_results.append(outs)
        ods = _flat_out_dims(name, out_dims, out_spec)
        stacked = [_stack_out(name, [r[i] for r in flat_results], od)
                   for i, od in enumerate(ods)]
        return tree_unflatten(stacked, out_spec)

    return wrapper


def _stack_out(name: str, items: list, dim: int | None) -> Any:
    if dim is None:
        # PyTorch refuses an out_dim of None for an output that depends on the batch; here
        # that shows as outputs that differ between batch elements
        t0 = items[0]
        for t in items[1:]:
            if isinstance(t, Tensor) and isinstance(t0, Tensor):
                same = t is t0 or (t.shape == t0.shape and bool((t == t0).all()))
            else:
                same = t is t0 or (not isinstance(t, Tensor) and not isinstance(t0, Tensor)
                                   and t == t0)
            if not same:
                raise ValueError("vmap: can not return a BatchedTensor when out_dim is None "
                                 "(the output differs between batch elements)")
        return t0
    for t in items:
        if not isinstance(t, Tensor):
            raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type "
                             f"{type(t)}. Did you mean to set out_dims= to None for output?")
    return ops.stack(items, dim=dim)


__all__ = ["grad", "grad_and_value", "vjp", "jvp", "vmap", "jacrev", "jacfwd", "hessian"]
