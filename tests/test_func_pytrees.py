"""ng.func on nested tuples/lists/dicts ("pytrees") and its torch.func error types.

Expected values are closed forms; structures are compared with exact Python types and keys.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ndgrad as ng
from ndgrad import func as F

X = np.array([0.5, -1.0, 2.0])
Y = np.array([1.5, 0.25, -0.75])
B = np.arange(12.0).reshape(4, 3) / 5


def t(a, requires_grad=False):
    return ng.tensor(np.array(a, dtype=np.float64), requires_grad=requires_grad)


def close(a, b):
    np.testing.assert_allclose(a.numpy(), b, rtol=1e-12, atol=1e-14)


# --- grad / grad_and_value ------------------------------------------------------------------

def test_grad_of_nested_argument_has_its_structure():
    g = F.grad(lambda p: (p[0]["a"] * p[1].sin()).sum())(({"a": t(X)}, t(Y)))
    assert type(g) is tuple and type(g[0]) is dict and list(g[0]) == ["a"]
    close(g[0]["a"], np.sin(Y))
    close(g[1], X * np.cos(Y))
    assert not g[1].requires_grad


def test_grad_argnums_tuple_of_pytrees_and_dict_aux():
    def f(d, xs):
        loss = (d["w"] * xs[0]).sum() + (xs[1] ** 2).sum()
        return loss, {"h": [d["w"].cos()]}

    (gd, gx), aux = F.grad(f, argnums=(0, 1), has_aux=True)({"w": t(X)}, [t(Y), t(X)])
    assert type(gx) is list and len(gx) == 2
    close(gd["w"], Y)
    close(gx[0], X)
    close(gx[1], 2 * X)
    assert type(aux) is dict and type(aux["h"]) is list
    close(aux["h"][0], np.cos(X))
    assert not aux["h"][0].requires_grad


def test_grad_and_value_of_grad_on_dicts_nests():
    inner = F.grad(lambda d: (d["x"] ** 3).sum())
    g, v = F.grad_and_value(lambda d: inner(d)["x"].sum())({"x": t(X)})
    close(g["x"], 6 * X)
    close(v, (3 * X ** 2).sum())


def test_grad_rejects_non_tensor_leaf_as_value_and_type_error():
    with pytest.raises(ValueError, match="must be Tensor"):
        F.grad(lambda d: d["x"].sum())({"x": t(X), "n": 3})
    with pytest.raises(TypeError):
        F.grad(lambda d: d["x"].sum())({"x": t(X), "n": 3})


leaf_trees = st.recursive(
    st.floats(-2, 2, allow_nan=False),
    lambda kids: st.one_of(st.tuples(kids, kids), st.lists(kids, min_size=1, max_size=3),
                           st.dictionaries(st.sampled_from("abc"), kids, min_size=1)),
    max_leaves=6)


def _to_tensors(tree):
    if isinstance(tree, dict):
        return {k: _to_tensors(v) for k, v in tree.items()}
    if isinstance(tree, (tuple, list)):
        return type(tree)(_to_tensors(v) for v in tree)
    return t(tree)


def _assert_same(got, want):
    if isinstance(want, float):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
        return
    assert type(got) is type(want)
    if isinstance(want, dict):
        assert list(got) == list(want)
        for k in want:
            _assert_same(got[k], want[k])
    elif isinstance(want, (tuple, list)):
        assert len(got) == len(want)
        for a, b in zip(got, want):
            _assert_same(a, b)


def _leaves(tree):
    if isinstance(tree, dict):
        return [x for v in tree.values() for x in _leaves(v)]
    if isinstance(tree, (tuple, list)):
        return [x for v in tree for x in _leaves(v)]
    return [tree]


def _map(fn, tree):
    if isinstance(tree, dict):
        return {k: _map(fn, v) for k, v in tree.items()}
    if isinstance(tree, (tuple, list)):
        return type(tree)(_map(fn, v) for v in tree)
    return fn(tree)


@settings(max_examples=30, deadline=None)
@given(tree=leaf_trees.filter(lambda tr: not isinstance(tr, float)))
def test_grad_of_random_pytree_matches_closed_form(tree):
    # d/dx sum(x^3) = 3x^2, leaf by leaf, with the argument's exact structure
    g = F.grad(lambda p: sum((x ** 3) for x in _leaves(p)))(_to_tensors(tree))
    _assert_same(g, _map(lambda v: 3 * v * v, tree))


# --- vjp / jvp -------------------------------------------------------------------------------

def test_vjp_dict_output_and_tuple_primal():
    out, vjp_fn = F.vjp(lambda p: {"s": p[0].sin() * p[1], "l": [p[0] * 2]}, (t(X), t(Y)))
    assert type(out) is dict and type(out["l"]) is list
    close(out["s"], np.sin(X) * Y)
    (gp,) = vjp_fn({"s": t(np.ones(3)), "l": [t(Y)]})
    assert type(gp) is tuple and len(gp) == 2
    close(gp[0], np.cos(X) * Y + 2 * Y)
    close(gp[1], np.sin(X))
    with pytest.raises(RuntimeError, match="pytree structure of cotangents"):
        vjp_fn({"s": t(np.ones(3)), "l": (t(Y),)})


def test_vjp_rejects_integer_and_non_tensor_outputs():
    with pytest.raises(RuntimeError, match="floating-point or complex"):
        F.vjp(lambda x: (x.sin(), x.argmax()), t(X))
    with pytest.raises(RuntimeError, match="only tensors"):
        F.vjp(lambda x: (x.sin(), 1.0), t(X))


def test_jvp_dict_primals_and_nested_output():
    f = lambda d: {"a": d["x"].sin() * d["y"], "b": (d["x"].sum(),)}  # noqa: E731
    out, tan = F.jvp(f, ({"x": t(X), "y": t(Y)},), ({"x": t(Y), "y": t(X)},))
    assert type(tan) is dict and type(tan["b"]) is tuple
    close(out["a"], np.sin(X) * Y)
    close(tan["a"], np.cos(X) * Y * Y + np.sin(X) * X)
    close(tan["b"][0], Y.sum())


def test_jvp_structure_errors_are_runtime_errors():
    with pytest.raises(RuntimeError, match="Expected primals to be a tuple"):
        F.jvp(lambda x: x.sin(), [t(X)], [t(Y)])
    with pytest.raises(RuntimeError, match="same python structure"):
        F.jvp(lambda x: x.sin(), (t(X),), [t(Y)])
    with pytest.raises(RuntimeError, match="same python structure"):
        F.jvp(lambda d: d["x"], ({"x": t(X)},), ({"y": t(Y)},))


def test_jvp_integer_output_gets_zero_tangent_of_its_dtype():
    (s, i), (ts, ti) = F.jvp(lambda x: (x.sin(), x.argmax()), (t(X),), (t(Y),))
    close(ts, np.cos(X) * Y)
    assert i.dtype == ng.int64 and int(i.item()) == 2
    assert ti.dtype == ng.int64 and tuple(ti.shape) == () and int(ti.item()) == 0


# --- jacrev / jacfwd / hessian ---------------------------------------------------------------

@pytest.mark.parametrize("jac", [F.jacrev, F.jacfwd], ids=["jacrev", "jacfwd"])
def test_jacobian_of_dict_output_is_dict_of_input_structures(jac):
    f = lambda d, y: {"a": d["x"].sin() * y, "b": [(d["x"] * y).sum()]}  # noqa: E731
    j = jac(f)({"x": t(X)}, t(Y))
    assert type(j) is dict and type(j["b"]) is list and type(j["a"]) is dict
    close(j["a"]["x"], np.diag(np.cos(X) * Y))
    close(j["b"][0]["x"], Y)
    j2 = jac(f, argnums=(0, 1))({"x": t(X)}, t(Y))
    assert type(j2["a"]) is tuple
    close(j2["a"][1], np.diag(np.sin(X)))
    close(j2["b"][0][1], X)


def test_hessian_of_dict_argument():
    h = F.hessian(lambda d: (d["x"] ** 3).sum() * d["y"].sum())({"x": t(X), "y": t(Y)})
    assert list(h) == ["x", "y"] and list(h["x"]) == ["x", "y"]
    close(h["x"]["x"], np.diag(6 * X * Y.sum()))
    close(h["x"]["y"], np.outer(3 * X ** 2, np.ones(3)))
    close(h["y"]["y"], np.zeros((3, 3)))


@pytest.mark.parametrize("jac", [F.jacrev, F.jacfwd, F.hessian, F.grad])
def test_argnums_list_is_runtime_error(jac):
    with pytest.raises(RuntimeError, match=r"argnums must be int or Tuple\[int, \.\.\.\]"):
        jac(lambda x, y: (x * y).sum(), argnums=[0, 1])(t(X), t(Y))


def test_jacfwd_integer_output_has_zero_integer_jacobian():
    _, ji = F.jacfwd(lambda x: (x.sin(), x.argmax()))(t(X))
    assert ji.dtype == ng.int64 and tuple(ji.shape) == (3,) and not ji.numpy().any()


# --- vmap ------------------------------------------------------------------------------------

def test_vmap_tuple_argument_with_nested_in_dims():
    out = F.vmap(lambda p: p[0] * p[1], in_dims=((0, None),))((t(B), t(X)))
    close(out, B * X)
    out = F.vmap(lambda p: p[0] * p[1])((t(B), t(B)))
    close(out, B * B)
    out = F.vmap(lambda d: d["u"] @ d["v"], in_dims=({"u": 0, "v": None},))({"u": t(B), "v": t(X)})
    close(out, B @ X)


def test_vmap_list_and_dict_outputs_with_nested_out_dims():
    out = F.vmap(lambda r: [r.sum(), r * 2])(t(B))
    assert type(out) is list
    close(out[0], B.sum(1))
    close(out[1], 2 * B)
    out = F.vmap(lambda r: {"s": r.sum(), "t": (r, r)}, out_dims={"s": 0, "t": (1, 0)})(t(B))
    assert type(out) is dict and type(out["t"]) is tuple
    close(out["t"][0], B.T)
    close(out["t"][1], B)
    out, c = F.vmap(lambda r: (r, 1.0), out_dims=(0, None))(t(B))
    assert c == 1.0


def test_vmap_in_dims_errors_are_value_errors():
    with pytest.raises(ValueError, match="expected `in_dims` to be int or a"):
        F.vmap(lambda x, y: x * y, in_dims=[0, None])(t(B), t(X))
    with pytest.raises(ValueError, match="expected `in_dims` to be int or a"):
        F.vmap(lambda x: x, in_dims=0.5)(t(B))
    with pytest.raises(ValueError, match="in_dim must be either an integer dimension or None"):
        F.vmap(lambda p: p[0], in_dims=((0.5,),))((t(B),))
    with pytest.raises(ValueError, match="not compatible with the structure of `inputs`"):
        F.vmap(lambda p: p[0], in_dims=((0, 0, 0),))((t(B), t(B)))
    with pytest.raises(ValueError, match="cannot vmap over non-Tensor"):
        F.vmap(lambda p: p[0])((t(B), 2.0))


def test_vmap_out_dims_and_output_type_errors_are_value_errors():
    with pytest.raises(ValueError, match="out_dims is not compatible with the structure of"):
        F.vmap(lambda x: x * 2, out_dims=(0, 1))(t(B))
    with pytest.raises(ValueError, match="out_dims is not compatible with the structure of"):
        F.vmap(lambda x: (x, x), out_dims=(0,))(t(B))
    with pytest.raises(ValueError, match="must only return Tensors"):
        F.vmap(lambda x: 1.0)(t(B))
    # a 1-tuple out_dims fits a single Tensor output, as in torch
    close(F.vmap(lambda x: x * 2, out_dims=(1,))(t(B)), 2 * B.T)


def test_vmap_of_grad_over_dict_params():
    g = F.vmap(F.grad(lambda p, x: (p["w"] * x).sum() + p["b"].sum()), in_dims=(None, 0))(
        {"w": t(X), "b": t(Y)}, t(B))
    assert type(g) is dict
    close(g["w"], B)
    close(g["b"], np.ones((4, 3)))
