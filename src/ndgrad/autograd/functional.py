"""``ng.autograd.functional``: jacobian, hessian, vjp, jvp, hvp, vhp with PyTorch's signatures.

Everything runs on the reverse engine; jvp and hvp use the double-vjp trick. Return structures
follow PyTorch: tuple-ness mirrors whether the inputs / outputs were tuples.
"""

from __future__ import annotations

from typing import Any, Callable

from .. import _backend, _creation, ops
from .._tensor import Tensor
from . import api
from .grad_mode import enable_grad


def _as_tuple(inp: Any, arg_name: str, fn_name: str) -> tuple[bool, tuple]:
    """(was_tuple, tuple of Tensors); raises PyTorch's TypeError for non-Tensors."""
    is_tuple = isinstance(inp, (tuple, list))
    items = tuple(inp) if is_tuple else (inp,)
    for i, el in enumerate(items):
        if not isinstance(el, Tensor):
            if is_tuple:
                raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a "
                                f"tuple of Tensors but the value at index {i} has type "
                                f"{type(el)}.")
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a "
                            f"tuple of Tensors but the given {arg_name} has type {type(el)}.")
    return is_tuple, items


def _post(res: Any, to_unpack: bool | tuple) -> Any:
    """Undo ``_as_tuple``: unwrap one level per False flag (two flags for nested results)."""
    if isinstance(to_unpack, bool):
        return res if to_unpack else res[0]
    outer, inner = to_unpack
    if not inner:
        res = tuple(r[0] for r in res)
    return res if outer else res[0]


def _preprocess(inputs: tuple, create_graph: bool, need_graph: bool) -> tuple:
    """Fresh tensors to differentiate against; with create_graph keep the link to the caller's."""
    res = []
    for inp in inputs:
        if create_graph and inp.requires_grad:
            res.append(inp.view(inp.shape))  # non-leaf alias: gradients stay differentiable
        else:
            res.append(inp.detach().requires_grad_(need_graph))
    return tuple(res)


def _postprocess(items: Any, create_graph: bool) -> Any:
    if isinstance(items, Tensor):
        return items if create_graph else items.detach()
    return tuple(_postprocess(i, create_graph) for i in items)


def _validate_v(v: tuple, other: tuple, is_other_tuple: bool) -> None:
    if len(other) != len(v):
        if is_other_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but got "
                               f"{len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (el_v, el_o) in enumerate(zip(v, other)):
        if tuple(el_v.shape) != tuple(el_o.shape):
            raise RuntimeError(f"Entry {i} in v has invalid size: should be "
                               f"ndgrad.Size({list(el_o.shape)}) but got "
                               f"ndgrad.Size({list(el_v.shape)}).")


def _grad(outputs: tuple, inputs: tuple, grad_outputs: tuple | None = None,
          create_graph: bool = False, retain_graph: bool | None = None) -> tuple:
    """autograd.grad that skips outputs not requiring grad and returns None for unused inputs."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    outs, gos = zip(*pairs)
    return api.grad(list(outs), list(inputs), list(gos), retain_graph=retain_graph,
                    create_graph=create_graph, allow_unused=True)


def _fill_none(grads: tuple, refs: tuple, strict: bool, create_graph: bool,
               stage: str) -> tuple:
    """Replace missing gradients by zeros; in strict mode complain as PyTorch does."""
    res = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                if stage == "back":
                    raise RuntimeError("The output of the user-provided function is independent "
                                       f"of input {i}. This is not allowed in strict mode.")
                if stage == "back_trick":
                    raise RuntimeError(f"The gradient with respect to the input is independent "
                                       f"of entry {i} in the grad_outputs when using the double "
                                       "backward trick to compute forward mode gradients. This "
                                       "is not allowed in strict mode.")
                if stage == "double_back":
                    raise RuntimeError("The jacobian of the user-provided function is "
                                       f"independent of input {i}. This is not allowed in "
                                       "strict mode.")
                raise RuntimeError("The hessian of the user-provided function is independent "
                                   f"of entry {i} in the grad_jacobian. This is not allowed in "
                                   "strict mode as it prevents from using the double backward "
                                   "trick to replace forward mode AD.")
            g = _creation.zeros_like(ref)
        elif strict and create_graph and not g.requires_grad:
            raise RuntimeError("The jacobian of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode when "
                               "create_graph=True.")
        res.append(g)
    return tuple(res)


def _check_outputs(outputs: tuple, fn_name: str, strict: bool) -> None:
    if strict:
        for i, o in enumerate(outputs):
            if not o.requires_grad:
                raise RuntimeError(f"Output {i} of the user-provided function does not require "
                                   "gradients. The outputs must be computed in a differentiable "
                                   "manner from the input when running in strict mode.")


def _default_v(v: Any, inputs: tuple, fn_name: str, what: str) -> tuple:
    if v is not None:
        return _as_tuple(v, "v", fn_name)[1]
    if len(inputs) != 1 or inputs[0].numel() != 1:
        raise RuntimeError(f"The vector v can only be None if the {what} to the user-provided "
                           "function is a single Tensor with a single element.")
    return (_creation.ones_like(inputs[0]),)


def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """(func(inputs), v^T J): the vector-Jacobian product of ``func`` at ``inputs``."""
    with enable_grad():
        is_in_tuple, ins = _as_tuple(inputs, "inputs", "vjp")
        ins = _preprocess(ins, create_graph, True)
        is_out_tuple, outs = _as_tuple(func(*ins), "outputs of the user-provided function",
                                       "vjp")
        _check_outputs(outs, "vjp", strict)
        vs = _default_v(v, outs, "vjp", "output")
        _validate_v(vs, outs, is_out_tuple)
        grads = _grad(outs, ins, vs, create_graph=create_graph)
        res = _fill_none(grads, ins, strict, create_graph, "back")
    return _post(_postprocess(outs, create_graph), is_out_tuple), _post(
        _postprocess(res, create_graph), is_in_tuple)


def _double_vjp_jvp(outs: tuple, ins: tuple, vs: tuple, create_graph: bool,
                    strict: bool) -> tuple:
    """J v as d/du <u^T J, v>: the vjp is linear in u, so its gradient w.r.t. u is J v."""
    us = tuple(_creation.zeros_like(o).requires_grad_(True) for o in outs)
    grad_ins = _grad(outs, ins, us, create_graph=True)
    _fill_none(grad_ins, ins, strict, create_graph, "back")
    pairs = [(g, v) for g, v in zip(grad_ins, vs) if g is not None]
    if not pairs:
        return tuple(_creation.zeros_like(o) for o in outs)
    gs, vv = zip(*pairs)
    res = _grad(gs, us, vv, create_graph=create_graph)
    return _fill_none(res, outs, strict, create_graph, "back_trick")


def jvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """(func(inputs), J v): the Jacobian-vector product, by the double-vjp trick."""
    with enable_grad():
        is_in_tuple, ins = _as_tuple(inputs, "inputs", "jvp")
        ins = _preprocess(ins, create_graph, True)
        vs = _default_v(v, ins, "jvp", "input")
        _validate_v(vs, ins, is_in_tuple)
        is_out_tuple, outs = _as_tuple(func(*ins), "outputs of the user-provided function",
                                       "jvp")
        _check_outputs(outs, "jvp", strict)
        res = _double_vjp_jvp(outs, ins, vs, create_graph, strict)
    return _post(_postprocess(outs, create_graph), is_out_tuple), _post(
        _postprocess(res, create_graph), is_out_tuple)


def _jac_rows(out: Tensor, ins: tuple, create_graph: bool, strict: bool, out_idx: int) -> tuple:
    """d out / d ins[j], each shaped out.shape + ins[j].shape, one backward per output element."""
    n = out.numel()
    rows: list[list] = [[] for _ in ins]
    xp = _backend.array_module(out._data)
    for k in range(n):
        if out.requires_grad:
            seed = xp.zeros(out._data.size, dtype=out._data.dtype)
            seed[k] = 1
            gs = _grad((out,), ins, (Tensor._make(seed.reshape(out._data.shape)),),
                       create_graph=create_graph, retain_graph=True)
        else:
            gs = (None,) * len(ins)
        for j, (g, inp) in enumerate(zip(gs, ins)):
            if g is None:
                if strict:
                    raise RuntimeError(f"Output {out_idx} of the user-provided function is "
                                       f"independent of input {j}. This is not allowed in strict "
                                       "mode.")
                g = _creation.zeros_like(inp)
            rows[j].append(g)
    res = []
    for inp, rs in zip(ins, rows):
        if rs:
            res.append(ops.stack(rs).reshape(tuple(out.shape) + tuple(inp.shape)))
        else:  # an output with no elements
            xp = _backend.array_module(inp._data)
            res.append(Tensor._make(xp.zeros(tuple(out.shape) + tuple(inp.shape),
                                             dtype=inp._data.dtype)))
    return tuple(res)


def jacobian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """The Jacobian of ``func`` at ``inputs``; entry [i][j] has shape out_i.shape + in_j.shape.

    ``vectorize`` is accepted for compatibility; rows are always computed one backward each.
    """
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode". '
                         "Hint: If your function has more outputs than inputs, \"forward-mode\" "
                         "tends to be more performant. Otherwise, prefer to use "
                         "\"reverse-mode\".")
    with enable_grad():
        is_in_tuple, ins = _as_tuple(inputs, "inputs", "jacobian")
        ins = _preprocess(ins, create_graph, True)
        is_out_tuple, outs = _as_tuple(func(*ins), "outputs of the user-provided function",
                                       "jacobian")
        _check_outputs(outs, "jacobian", strict)
        jac = tuple(_jac_rows(o, ins, create_graph, strict, i) for i, o in enumerate(outs))
    return _post(_postprocess(jac, create_graph), (is_out_tuple, is_in_tuple))


def hessian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of a scalar ``func``: the Jacobian of its gradient; [i][j] is in_i x in_j."""
    is_in_tuple, ins = _as_tuple(inputs, "inputs", "hessian")

    def single_output(*inp: Tensor) -> Tensor:
        out = func(*inp)
        is_tuple, t = _as_tuple(out, "outputs of the user-provided function", "hessian")
        if is_tuple or len(t) != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if t[0].numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should "
                               "contain a single element")
        return t[0].reshape(())

    def jac_func(*inp: Tensor) -> Any:
        return jacobian(single_output, inp, create_graph=True)

    res = jacobian(jac_func, ins, create_graph=create_graph, strict=strict, vectorize=vectorize)
    return _post(res, (is_in_tuple, is_in_tuple))


def _scalar_output(func: Callable, ins: tuple, fn_name: str) -> Tensor:
    out = func(*ins)
    is_tuple, outs = _as_tuple(out, "outputs of the user-provided function", fn_name)
    if is_tuple or len(outs) != 1:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outs[0].numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should "
                           "contain a single element")
    return outs[0]


def _scalar_jac(func: Callable, inputs: Any, v: Any, create_graph: bool, strict: bool,
                name: str) -> tuple:
    """The shared start of vhp and hvp: checked inputs and v, the scalar output, and its
    gradient built with a graph (so it can be differentiated again)."""
    is_in_tuple, ins = _as_tuple(inputs, "inputs", name)
    ins = _preprocess(ins, create_graph, True)
    vs = _default_v(v, ins, name, "input")
    _validate_v(vs, ins, is_in_tuple)
    out = _scalar_output(func, ins, name)
    _check_outputs((out,), name, strict)
    jac = _grad((out,), ins, create_graph=True)
    return is_in_tuple, ins, vs, out, _fill_none(jac, ins, strict, create_graph, "back")


def vhp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """(func(inputs), v^T H) for a scalar ``func``."""
    with enable_grad():
        is_in_tuple, ins, vs, out, jac = _scalar_jac(func, inputs, v, create_graph, strict,
                                                     "vhp")
        res = _grad(jac, ins, vs, create_graph=create_graph)
        res = _fill_none(res, ins, strict, create_graph, "double_back")
    return _postprocess(out, create_graph), _post(_postprocess(res, create_graph), is_in_tuple)


def hvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """(func(inputs), H v) for a scalar ``func``, by the double-backward trick."""
    with enable_grad():
        is_in_tuple, ins, vs, out, jac = _scalar_jac(func, inputs, v, create_graph, strict,
                                                     "hvp")
        grad_jac = tuple(_creation.zeros_like(i).requires_grad_(True) for i in ins)
        double_back = _grad(jac, ins, grad_jac, create_graph=True)
        double_back = _fill_none(double_back, ins, strict, create_graph, "double_back")
        res = _grad(double_back, grad_jac, vs, create_graph=create_graph)
        res = _fill_none(res, ins, strict, create_graph, "double_back_trick")
    return _postprocess(out, create_graph), _post(_postprocess(res, create_graph), is_in_tuple)


__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]
