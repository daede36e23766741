"""gradcheck / gradgradcheck: analytic Jacobians against central differences in float64.

On failure the message names the output and input index and shows both Jacobians.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._tensor import Tensor
from . import api


class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytic and numerical Jacobians differ."""


def _tuple(x: Any) -> tuple:
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _diff_inputs(inputs: tuple) -> list[int]:
    return [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]


def _numerical(fn: Callable, inputs: tuple, outputs: tuple, eps: float) -> list:
    """J[o][i]: (numel(out o), numel(in i)) by central differences."""
    jac = [[None for _ in inputs] for _ in outputs]
    for i in _diff_inputs(inputs):
        x = inputs[i]
        if not x._data.flags.c_contiguous or not x._data.flags.writeable:
            x._data = np.array(x._data, order="C")  # perturb in place through a flat view
        flat = x._data.reshape(-1)
        cols = [np.zeros((o._data.size, flat.size)) for o in outputs]
        for k in range(flat.size):
            orig = flat[k].item()
            flat[k] = orig + eps
            plus = [o._data.astype(np.float64).reshape(-1).copy() for o in _tuple(fn(*inputs))]
            flat[k] = orig - eps
            minus = [o._data.astype(np.float64).reshape(-1).copy() for o in _tuple(fn(*inputs))]
            flat[k] = orig
            for o in range(len(outputs)):
                cols[o][:, k] = (plus[o] - minus[o]) / (2 * eps)
        for o in range(len(outputs)):
            jac[o][i] = cols[o]
    return jac


def _analytical(inputs: tuple, outputs: tuple) -> list:
    idx = _diff_inputs(inputs)
    jac = [[None for _ in inputs] for _ in outputs]
    for o, out in enumerate(outputs):
        if not out.requires_grad:
            for i in idx:
                jac[o][i] = np.zeros((out._data.size, inputs[i]._data.size))
            continue
        rows = {i: np.zeros((out._data.size, inputs[i]._data.size)) for i in idx}
        for r in range(out._data.size):
            seed = np.zeros(out._data.size, dtype=out._data.dtype)
            seed[r] = 1
            gs = api.grad([out], [inputs[i] for i in idx],
                          [Tensor._make(seed.reshape(out._data.shape))],
                          retain_graph=True, allow_unused=True)
            for i, g in zip(idx, gs):
                if g is not None:
                    rows[i][r] = g._data.astype(np.float64).reshape(-1)
        for i in idx:
            jac[o][i] = rows[i]
    return jac


def gradcheck(func: Callable, inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, **_: Any) -> bool:
    """Check ``func``'s gradients w.r.t. its float64 inputs that require grad."""
    inputs = _tuple(inputs)
    diff = _diff_inputs(inputs)
    if not diff:  # nothing to check would pass silently
        raise ValueError("gradcheck expects at least one input tensor to require gradient, "
                         "but none of them have requires_grad=True.")
    for i in diff:
        if inputs[i].dtype != np.float64:
            import warnings

            warnings.warn(f"gradcheck: input {i} is {inputs[i].dtype}, not float64; the check "
                          "may fail for lack of precision", stacklevel=2)
    outputs = _tuple(func(*inputs))
    outputs = tuple(o for o in outputs if isinstance(o, Tensor))
    ana = _analytical(inputs, outputs)
    num = _numerical(func, inputs, outputs, eps)
    for o in range(len(outputs)):
        for i in diff:
            a, n = ana[o][i], num[o][i]
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                with np.printoptions(precision=6, suppress=True, linewidth=120):
                    raise GradcheckError(
                        f"Jacobian mismatch for output {o} with respect to input {i},\n"
                        f"numerical:{n}\nanalytical:{a}\n")
    return True


def gradgradcheck(func: Callable, inputs: Any, grad_outputs: Sequence | None = None, *,
                  eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  raise_exception: bool = True, **_: Any) -> bool:
    """Check second derivatives: gradcheck of (inputs, v) -> vjp(func, inputs, v)."""
    inputs = _tuple(inputs)
    outputs = tuple(o for o in _tuple(func(*inputs)) if isinstance(o, Tensor) and o.requires_grad)
    rng = np.random.default_rng(0)
    if grad_outputs is None:
        grad_outputs = tuple(Tensor(rng.standard_normal(o.shape), requires_grad=True)
                             for o in outputs)
    idx = _diff_inputs(inputs)
    n_in = len(inputs)

    def first(*args: Any) -> tuple:
        ins, gos = args[:n_in], args[n_in:]
        outs = tuple(o for o in _tuple(func(*ins)) if isinstance(o, Tensor) and o.requires_grad)
        gs = api.grad(outs, [ins[i] for i in idx], gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
