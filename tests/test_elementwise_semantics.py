"""Elementwise and reduction semantics the op table cannot express: subgradient and tie rules,
return types, non-finite inputs, grad_fn names and error messages (issue 3)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ndgrad as ng


def _leaf(values):
    return ng.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def _grad(fn, values):
    x = _leaf(values)
    fn(x).sum().backward()
    return x.grad.numpy()


# ---------------------------------------------------------------- subgradients at kinks
def test_relu_and_abs_take_subgradient_zero_at_zero():
    np.testing.assert_array_equal(_grad(ng.relu, [-1.0, 0.0, 2.0]), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(_grad(ng.abs, [-1.0, 0.0, 2.0]), [-1.0, 0.0, 1.0])


def test_sqrt_derivative_at_zero_is_inf():
    with np.errstate(divide="ignore"):
        g = _grad(ng.sqrt, [0.0, 4.0])
    assert g[0] == np.inf and g[1] == 0.25


def test_clamp_passes_gradient_on_the_boundary():
    x = [-2.0, -1.0, 0.0, 1.0, 2.0]
    np.testing.assert_array_equal(_grad(lambda t: ng.clamp(t, -1.0, 1.0), x), [0, 1, 1, 1, 0])
    np.testing.assert_array_equal(_grad(lambda t: ng.clamp(t, min=-1.0), x), [0, 1, 1, 1, 1])
    np.testing.assert_array_equal(_grad(lambda t: t.clamp(max=1.0), x), [1, 1, 1, 1, 0])


def test_clamp_tensor_bounds_route_gradient_to_the_active_bound():
    x, lo, hi = _leaf([-2.0, 0.0, 2.0, 0.5]), _leaf([-1.0] * 4), _leaf([1.0, 1.0, 1.0, 0.5])
    ng.clamp(x, lo, hi).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 1, 0, 1])  # x == max: x gets it
    np.testing.assert_array_equal(lo.grad.numpy(), [1, 0, 0, 0])
    np.testing.assert_array_equal(hi.grad.numpy(), [0, 0, 1, 0])


def test_softplus_derivative_at_zero_is_one_half():
    np.testing.assert_allclose(_grad(ng.softplus, [0.0]), [0.5])
    np.testing.assert_allclose(_grad(ng.logsigmoid, [0.0]), [0.5])


def test_softplus_and_logsigmoid_are_finite_for_huge_inputs():
    x = np.array([-1e4, -50.0, 50.0, 1e4])
    np.testing.assert_allclose(ng.softplus(ng.tensor(x)).numpy(), np.logaddexp(0, x))
    np.testing.assert_allclose(ng.logsigmoid(ng.tensor(x)).numpy(), -np.logaddexp(0, -x))
    g = _grad(ng.logsigmoid, x)
    np.testing.assert_allclose(g, np.exp(-np.logaddexp(0, x)), atol=1e-300)  # 1/(1+e^x)


def test_rounding_ops_have_zero_gradient_and_keep_requires_grad():
    for fn in (ng.floor, ng.ceil, ng.round, ng.trunc, ng.sign):
        x = _leaf([-1.5, 0.3, 2.7])
        y = fn(x)
        assert y.requires_grad
        y.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])


def test_remainder_gradients():
    x, y = _leaf([5.5, -5.5, 5.5]), _leaf([2.0, 2.0, -2.0])
    ng.remainder(x, y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(y.grad.numpy(), -np.floor(np.array([5.5, -5.5, 5.5]) /
                                                             np.array([2.0, 2.0, -2.0])))
    x, y = _leaf([5.5, -5.5]), _leaf([2.0, 2.0])
    ng.fmod(x, y).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [-2.0, 2.0])  # -trunc(x / y)


def test_python_operators_floor_divide_and_mod_match_python():
    a, b = [7, -7, 7, -7], [2, 2, -2, -2]
    ta, tb = ng.tensor(a), ng.tensor(b)
    assert (ta // tb).tolist() == [x // y for x, y in zip(a, b)]
    assert (ta % tb).tolist() == [x % y for x, y in zip(a, b)]
    assert (7 // ng.tensor([2, -2])).tolist() == [3, -4]
    assert ng.div(ta, tb, rounding_mode="trunc").tolist() == [3, -3, -3, 3]


# ---------------------------------------------------------------- ties
def test_amax_and_amin_split_gradient_evenly_among_ties():
    x = [[1.0, 3.0, 3.0, 3.0], [2.0, 0.0, 2.0, 1.0]]
    np.testing.assert_allclose(_grad(lambda t: ng.amax(t, 1), x),
                               [[0, 1 / 3, 1 / 3, 1 / 3], [0.5, 0, 0.5, 0]])
    np.testing.assert_allclose(_grad(lambda t: ng.amin(t, dim=0), x),
                               [[1, 0, 0, 0], [0, 1, 1, 1]])
    np.testing.assert_allclose(_grad(ng.amax, x), [[0, 1 / 3, 1 / 3, 1 / 3], [0] * 4])


def test_full_max_splits_gradient_evenly_like_pytorch():
    np.testing.assert_allclose(_grad(ng.max, [2.0, 5.0, 5.0]), [0.0, 0.5, 0.5])
    np.testing.assert_allclose(_grad(lambda t: t.min(), [1.0, 1.0, 1.0, 4.0]),
                               [1 / 3, 1 / 3, 1 / 3, 0.0])


def test_max_with_dim_routes_gradient_to_the_returned_index():
    x = _leaf([[1.0, 3.0, 3.0], [4.0, 4.0, 0.0]])
    out = ng.max(x, dim=1)
    assert out.indices.tolist() == [1, 0]  # first of the ties, as NumPy's argmax
    assert out.indices.dtype == np.int64 and not out.indices.requires_grad
    values, indices = out  # a namedtuple, like torch.return_types.max
    assert values is out.values and indices is out[1]
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [1, 0, 0]])
    x = _leaf([[5.0, 1.0], [0.0, 2.0]])
    out = x.min(0, keepdim=True)
    assert out.values.shape == (1, 2) and out.indices.tolist() == [[1, 0]]
    (out.values * ng.tensor([[2.0, 3.0]])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 3], [2, 0]])


def test_maximum_and_minimum_split_ties_half_half():
    x, y = _leaf([1.0, 2.0, 3.0]), _leaf([1.0, 5.0, 0.0])
    ng.maximum(x, y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(y.grad.numpy(), [0.5, 1.0, 0.0])
    x, y = _leaf([2.0, 2.0]), _leaf([2.0])
    ng.minimum(x, y).sum().backward()  # y broadcast: its halves add up
    np.testing.assert_array_equal(x.grad.numpy(), [0.5, 0.5])
    np.testing.assert_array_equal(y.grad.numpy(), [1.0])


def test_max_with_a_tensor_is_maximum():
    a, b = ng.tensor([1.0, 5.0]), ng.tensor([3.0, 2.0])
    assert ng.max(a, b).tolist() == [3.0, 5.0] and ng.min(a, b).tolist() == [1.0, 2.0]
    assert a.max(b).tolist() == [3.0, 5.0]


def test_argmax_argmin_are_int64_without_grad():
    x = _leaf([[1.0, 9.0, 3.0], [7.0, 0.0, 7.0]])
    assert ng.argmax(x).item() == 1 and ng.argmin(x).item() == 4
    r = x.argmax(dim=1, keepdim=True)
    assert r.tolist() == [[1], [0]] and r.dtype == np.int64 and not r.requires_grad
    assert ng.argmin(x, 0).tolist() == [0, 1, 0]


# ---------------------------------------------------------------- prod with zeros
@pytest.mark.parametrize("values", [[2.0, 0.0, 3.0, 4.0], [0.0, 0.0, 3.0, 4.0],
                                    [1.5, -2.0, 3.0, 0.5]])
def test_prod_gradient_is_the_product_of_the_others(values):
    v = np.array(values)
    expected = [np.prod(np.delete(v, i)) for i in range(v.size)]
    np.testing.assert_allclose(_grad(ng.prod, values), expected)


def test_prod_second_derivative_with_two_zeros():
    x = _leaf([0.0, 0.0, 3.0])
    (g,) = ng.autograd.grad(ng.prod(x), [x], create_graph=True)
    (h0,) = ng.autograd.grad(g[0], [x])
    np.testing.assert_allclose(h0.numpy(), [0.0, 3.0, 0.0])  # d2/dx0 dx1 = x2


def test_prod_backward_of_a_huge_product_warns_nothing():
    # the rule's NaN test must not square the product: 1e25 ** 2 overflows float32
    a = np.full((2, 5), 1e5, np.float32)
    x = ng.tensor(a, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ng.prod(x, dim=1).backward(ng.ones(2))
    np.testing.assert_allclose(x.grad.numpy(), np.full((2, 5), 1e20, np.float32), rtol=1e-5)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_prod_backward_with_nan_or_inf_factor_is_product_over_factor(bad):
    # as PyTorch: with no zero factor the rule is prod / x, NaN or inf included
    v = np.array([2.0, bad, 3.0, 0.5])
    with np.errstate(invalid="ignore"):
        expected = np.prod(v) / v
        np.testing.assert_allclose(_grad(ng.prod, v.tolist()), expected)


# ---------------------------------------------------------------- reductions: arguments
def test_var_std_correction_unbiased_and_ddof_agree():
    a = np.arange(12.0).reshape(3, 4) ** 1.5
    x = ng.tensor(a)
    np.testing.assert_allclose(ng.var(x).item(), np.var(a, ddof=1))
    np.testing.assert_allclose(ng.var(x, 1, False).numpy(), np.var(a, 1))
    np.testing.assert_allclose(x.var(dim=0, correction=2).numpy(), np.var(a, 0, ddof=2))
    np.testing.assert_allclose(ng.std(x, axis=1, ddof=0, keepdims=True).numpy(),
                               np.std(a, 1, keepdims=True))
    np.testing.assert_allclose(ng.std(x, unbiased=False).item(), np.std(a))


def test_std_gradient_is_zero_where_std_is_zero():
    x = _leaf([[2.0, 2.0, 2.0], [1.0, 2.0, 3.0]])
    ng.std(x, 1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0], [0.0, 0.0, 0.0])
    np.testing.assert_allclose(x.grad.numpy()[1], [-0.5, 0.0, 0.5])


def test_keepdims_and_axis_are_aliases():
    a = np.random.default_rng(0).standard_normal((2, 3, 4))
    x = ng.tensor(a)
    for fn, ref in ((ng.amax, np.amax), (ng.prod, np.prod), (ng.logsumexp, None)):
        got = fn(x, axis=(0, 2), keepdims=True)
        assert got.shape == (1, 3, 1)
        if ref is not None:
            np.testing.assert_allclose(got.numpy(), ref(a, axis=(0, 2), keepdims=True))


def test_logsumexp_handles_infinities():
    x = ng.tensor(np.array([[-np.inf, -np.inf], [np.inf, 1.0], [1e308, 1e308]]))
    with np.errstate(divide="ignore"):
        out = ng.logsumexp(x, 1).numpy()
    assert out[0] == -np.inf and out[1] == np.inf
    np.testing.assert_allclose(out[2], 1e308 + np.log(2.0))


def test_softmax_is_stable_and_sums_to_one():
    x = ng.tensor(np.array([[1000.0, 1000.0, -1000.0]]))
    np.testing.assert_allclose(ng.softmax(x, dim=1).numpy(), [[0.5, 0.5, 0.0]])
    np.testing.assert_allclose(ng.log_softmax(x, -1).numpy(), [[-np.log(2), -np.log(2),
                                                                 -2000 - np.log(2)]])
    assert type(ng.log_softmax(_leaf([1.0, 2.0]), 0).grad_fn).__name__ == "LogSoftmaxBackward0"


def test_softmax_without_dim_warns_and_uses_pytorchs_legacy_dim():
    x = ng.tensor(np.random.default_rng(1).standard_normal((2, 3)))
    with pytest.warns(UserWarning, match="Implicit dimension"):
        y = ng.softmax(x)
    np.testing.assert_allclose(y.numpy().sum(1), [1.0, 1.0])


def test_cumsum_gradient_is_reverse_cumsum():
    np.testing.assert_array_equal(_grad(lambda t: ng.cumsum(t, 0), [1.0, 2.0, 3.0]), [3, 2, 1])
    assert ng.cumsum(ng.tensor([True, True, False]), 0).tolist() == [1, 2, 2]


def test_integer_reductions_accumulate_in_int64():
    x = ng.tensor(np.array([[1, 2], [3, 4]], dtype=np.int32))
    assert ng.prod(x).dtype == np.int64 and ng.prod(x).item() == 24
    assert ng.cumsum(x, 1).dtype == np.int64
    assert ng.amax(x).dtype == np.int32 and ng.max(x, 0).values.dtype == np.int32


# ---------------------------------------------------------------- graph bookkeeping
def test_grad_fn_names_follow_pytorch():
    x = _leaf([0.5, 0.25])
    cases = [
        ("ExpBackward0", ng.exp(x)), ("Expm1Backward0", ng.expm1(x)),
        ("RsqrtBackward0", ng.rsqrt(x)), ("TanBackward0", ng.tan(x)),
        ("AsinBackward0", ng.arcsin(x)), ("AtanBackward0", ng.arctan(x)),
        ("Atan2Backward0", ng.arctan2(x, x)), ("MaximumBackward0", ng.maximum(x, x)),
        ("MinimumBackward0", ng.minimum(x, x)), ("ClampBackward1", ng.clamp(x, 0.0)),
        ("ReciprocalBackward0", ng.reciprocal(x)), ("PowBackward0", ng.square(x)),
        ("ProdBackward0", ng.prod(x)), ("AmaxBackward0", ng.amax(x)),
        ("AminBackward0", ng.amin(x)), ("MaxBackward1", ng.max(x)),
        ("MinBackward1", ng.min(x)), ("MaxBackward0", ng.max(x, 0).values),
        ("MinBackward0", ng.min(x, 0).values), ("VarBackward0", ng.var(x)),
        ("StdBackward0", ng.std(x)), ("LogsumexpBackward0", ng.logsumexp(x, 0)),
        ("CumsumBackward0", ng.cumsum(x, 0)), ("SoftmaxBackward0", ng.softmax(x, 0)),
        ("SoftplusBackward0", ng.softplus(x)), ("RemainderBackward0", ng.remainder(x, 0.3)),
        ("FmodBackward0", ng.fmod(x, 0.3)), ("WhereBackward0", ng.where(x > 0.3, x, 0.0)),
        ("FloorBackward0", ng.floor(x)), ("SinhBackward0", ng.sinh(x)),
    ]
    for name, t in cases:
        assert type(t.grad_fn).__name__ == name


def test_scalar_fast_paths_save_no_tensor():
    x = _leaf([1.0, 2.0])
    y = 2 * x + 1
    y.sum().backward()
    y.sum().backward()  # nothing saved, so nothing freed: a second backward works
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0])


def test_no_node_is_built_without_grad():
    x = ng.tensor([1.0, 2.0])
    for t in (ng.exp(x), ng.maximum(x, x), ng.clamp(x, 0.0, 1.0), ng.amax(x), ng.var(x)):
        assert t.grad_fn is None and not t.requires_grad


# ---------------------------------------------------------------- error messages
def test_broadcast_error_names_op_and_both_shapes():
    a, b = ng.zeros(2, 3), ng.zeros(4)
    for name, fn in (("add", ng.add), ("mul", ng.mul), ("maximum", ng.maximum),
                     ("arctan2", ng.arctan2), ("remainder", ng.remainder), ("div", ng.div),
                     ("pow", ng.pow), ("sub", ng.sub)):
        with pytest.raises(ValueError, match=rf"^{name}: shapes \(2, 3\) and \(4,\) cannot be "
                                             r"broadcast together\. Hint: "):
            fn(a, b)
    with pytest.raises(ValueError, match=r"^where: shapes \(2, 3\) and \(4,\) cannot"):
        ng.where(a > 0, a, b)
    with pytest.raises(ValueError, match=r"^where: shapes \(4,\) and \(2, 3\) and \(2, 3\)"):
        ng.where(b > 0, a, a)
    with pytest.raises(ValueError, match=r"^mul: shapes \(2, 3\) and \(4,\)"):
        a * b


def test_reduction_argument_errors():
    with pytest.raises(IndexError, match=r"amax.*Dimension out of range"):
        ng.amax(ng.zeros(2, 3), 2)
    with pytest.raises(RuntimeError, match=r"^max\(\): Expected reduction dim to be specified"):
        ng.max(ng.zeros(0, 3))
    with pytest.raises(IndexError, match=r"^max\(\): Expected reduction dim 0 to have non-zero"):
        ng.max(ng.zeros(0, 3), 0)
    with pytest.raises(RuntimeError, match=r"^var\(\): std and var only support floating"):
        ng.var(ng.tensor([1, 2, 3]))
    with pytest.raises(RuntimeError, match=r"mean\(\): could not infer output dtype"):
        ng.mean(ng.tensor([1, 2, 3]))
    with pytest.raises(TypeError, match=r"^cumsum: missing the dim argument"):
        ng.cumsum(ng.zeros(3))
    with pytest.raises(ValueError, match=r"^clamp: min and max are both None"):
        ng.clamp(ng.zeros(3))
    with pytest.raises(ValueError, match=r"^div: rounding_mode must be"):
        ng.div(ng.zeros(3), 2.0, rounding_mode="ceil")


@pytest.mark.parametrize("rg", [False, True])
def test_0d_results_hold_arrays_not_numpy_scalars(rg):
    # NumPy returns scalars for 0-d arithmetic; a Tensor's data must stay an array (views,
    # in-place ops, .numpy() and out= all need one)
    a = ng.tensor(2.0, requires_grad=rg)
    b = ng.tensor(0.5, requires_grad=rg)
    results = [a * 3.0, 3.0 * a, a + 1, a - 1, 1 - a, a / 2, 2 / a, a * b, a + b, a - b, a / b,
               -a, a ** 2, ng.tanh(a), ng.exp(a), ng.sigmoid(a), ng.relu(a), a.sum(),
               ng.maximum(a, b)]
    for r in results:
        assert type(r._data) is np.ndarray, r
        assert type(r.detach().numpy()) is np.ndarray


@pytest.mark.parametrize("make", [
    lambda x, y: ng.sign(x), lambda x, y: ng.floor(x), lambda x, y: x ** 0,
    lambda x, y: ng.maximum(x, y), lambda x, y: ng.minimum(x, y),
    lambda x, y: ng.clamp(x, -0.5, 0.5), lambda x, y: ng.clamp(x, max=0.5),
    lambda x, y: ng.clamp(x, min=-0.5),
], ids=["sign", "floor", "pow0", "maximum", "minimum", "clamp", "clamp_max", "clamp_min"])
@pytest.mark.parametrize("graph", [False, True], ids=["no_graph", "create_graph"])
def test_inf_and_nan_upstream_gradients_give_zero_where_the_op_is_flat(make, graph):
    # PyTorch selects (masked fill / zeros), it never multiplies by a 0/1 mask: where the
    # local derivative is 0 the gradient is 0 even for an inf or NaN upstream gradient
    x = ng.tensor([-1.0, 0.2, 0.9, 2.0], dtype=ng.float64, requires_grad=True)
    y = ng.tensor([0.0, 1.0, 0.0, 3.0], dtype=ng.float64, requires_grad=True)
    out = make(x, y)
    up = ng.tensor([np.inf, -np.inf, np.nan, np.inf], dtype=ng.float64)
    used = [t for t in (x, y) if any(t is s for s in _inputs_of(out))]
    grads = ng.autograd.grad(out, used, up, create_graph=graph, allow_unused=True)
    # the same with a finite upstream gradient says where the derivative is 0
    ref = ng.autograd.grad(make(x, y), used, ng.ones(4, dtype=ng.float64), allow_unused=True)
    for g, r in zip(grads, ref, strict=True):
        flat = r.detach().numpy() == 0
        assert flat.any()
        np.testing.assert_array_equal(g.detach().numpy()[flat], 0.0)


def _inputs_of(t):
    leaves, stack = [], [t.grad_fn]
    while stack:
        n = stack.pop()
        for e in n.next_edges:
            c = e[0] if type(e) is tuple else e
            if isinstance(c, ng.Tensor):
                leaves.append(c)
            elif c is not None:
                stack.append(c)
    return leaves


def test_pow_at_zero_warns_nothing_and_gives_inf_as_pytorch():
    import warnings

    x = ng.tensor([0.0, 1.0], dtype=ng.float64, requires_grad=True)
    e = ng.tensor([0.5, 0.5], dtype=ng.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any NumPy RuntimeWarning fails the test
        (x ** e).sum().backward()
        y = x.detach().requires_grad_()
        z = y ** -1.0
        z.sum().backward()
    assert np.isinf(x.grad.numpy()[0]) and x.grad.numpy()[1] == 0.5
    assert np.isinf(z.detach().numpy()[0]) and y.grad.numpy()[1] == -1.0


@pytest.mark.parametrize("op", ["maximum", "minimum"])
@pytest.mark.parametrize("graph", [False, True], ids=["no_graph", "create_graph"])
def test_maximum_minimum_with_nan_give_both_inputs_the_gradient_as_pytorch(op, graph):
    # PyTorch masks an input's gradient only where it loses (x < y for maximum's x); a
    # comparison with NaN is False, so at a NaN both inputs get the full gradient
    x = ng.tensor([np.nan, 1.0, 2.0, 3.0], dtype=ng.float64, requires_grad=True)
    y = ng.tensor([0.0, np.nan, 2.0, 1.0], dtype=ng.float64, requires_grad=True)
    w = ng.tensor([1.0, 2.0, 4.0, 8.0], dtype=ng.float64)
    gx, gy = ng.autograd.grad((getattr(ng, op)(x, y) * w).sum(), [x, y], create_graph=graph)
    win = [1.0, 1.0, 0.5, 1.0 if op == "maximum" else 0.0]
    lose = [1.0, 1.0, 0.5, 0.0 if op == "maximum" else 1.0]
    np.testing.assert_array_equal(gx.detach().numpy(), np.array(win) * w.numpy())
    np.testing.assert_array_equal(gy.detach().numpy(), np.array(lose) * w.numpy())
