"""PyTorch's type promotion in the elementwise and reduction ops: Python scalars never upcast a
tensor of their kind, 0-d tensors do not upcast dimensioned ones of their category, int tensors
meet floats in the default float dtype, and float-only ops promote ints."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad as ng

F32, F64, I32, I64 = np.float32, np.float64, np.int32, np.int64


def t(values, dtype, requires_grad=False):
    return ng.tensor(np.asarray(values, dtype=dtype), requires_grad=requires_grad)


@pytest.mark.parametrize("op", [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b,
                                lambda a, b: a / b, lambda a, b: a ** b, ng.maximum,
                                ng.minimum, ng.arctan2, lambda a, b: a % b])
def test_python_float_keeps_float32(op):
    x = t([1.0, 2.0], F32)
    assert op(x, 1.5).dtype == F32
    assert op(1.5, x).dtype == F32
    assert op(x, 2).dtype == F32


@pytest.mark.parametrize("default", [F32, F64])
def test_int_tensor_with_python_float_gives_default_dtype(default):
    ng.set_default_dtype(default)
    x = t([1, 2, 3], I64)
    for out in (x * 1.5, x + 0.5, 0.5 - x, x / 2, x ** 0.5, x % 1.5, ng.clamp(x, 0.5),
                ng.where(x > 1, x, 0.5), ng.maximum(x, 0.5)):
        assert out.dtype == default
    assert (x * 2).dtype == I64 and (x + True).dtype == I64


def test_float32_with_float64_tensor_gives_float64():
    a, b = t([1.0, 2.0], F32), t([3.0, 4.0], F64)
    for out in (a + b, b * a, a / b, ng.maximum(a, b), ng.where(a > 1, a, b)):
        assert out.dtype == F64


def test_zero_dim_tensor_does_not_upcast_a_dimensioned_one_of_its_category():
    a = t([1.0, 2.0], F32)
    s = ng.tensor(np.float64(3.0), requires_grad=True)
    out = a * s
    assert out.dtype == F32
    out.sum().backward()
    assert s.grad.dtype == F64 and s.grad.item() == pytest.approx(3.0)
    assert (t([1, 2], I32) + ng.tensor(np.int64(5))).dtype == I32
    # a higher category still wins, at the 0-d tensor's dtype
    assert (t([1, 2], I64) * ng.tensor(np.float64(0.5))).dtype == F64


def test_int_tensor_with_float_tensor_gives_the_float_dtype():
    f = t([1.0, 2.0], F32, requires_grad=True)
    for i in (t([1, 2], I64), t([1, 2], I32), ng.tensor([True, False])):
        out = f * i
        assert out.dtype == F32 and (i + f).dtype == F32
    (f * t([3, 4], I64)).sum().backward()
    assert f.grad.dtype == F32 and f.grad.tolist() == [3.0, 4.0]


def test_int_int_ops_stay_integer_and_true_division_gives_float():
    a, b = t([7, -7], I64), t([2, 2], I64)
    assert (a + b).dtype == I64 and (a * b).dtype == I64 and (a // b).dtype == I64
    assert (a / b).dtype == F32 and (a / b).tolist() == [3.5, -3.5]
    assert (t([1, 2], I32) + t([1, 2], I64)).dtype == I64
    assert (ng.tensor([True]) + ng.tensor([True])).dtype == np.bool_


@pytest.mark.parametrize("fn", [ng.exp, ng.log1p, ng.sqrt, ng.sin, ng.tanh, ng.sigmoid,
                                ng.expm1, ng.rsqrt, ng.reciprocal, ng.arctan, ng.softplus,
                                lambda x: ng.softmax(x, 0), lambda x: ng.logsumexp(x, 0)])
def test_float_ops_promote_int_tensors_to_the_default_float(fn):
    assert fn(t([1, 2, 3], I64)).dtype == F32
    ng.set_default_dtype(F64)
    assert fn(t([1, 2, 3], I32)).dtype == F64


def test_int_preserving_ops_keep_integer_dtype():
    x = t([-2, 0, 3], I32)
    for out in (ng.abs(x), ng.neg(x), ng.relu(x), ng.square(x), ng.floor(x), ng.amax(x),
                ng.clamp(x, -1, 1), ng.maximum(x, x), ng.sign(x)):
        assert out.dtype == I32, out
    assert ng.sum(x).dtype == I64 and ng.prod(x).dtype == I64


def test_requires_grad_on_integer_tensors_raises():
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype"):
        t([1, 2], I64, requires_grad=True)


def test_unary_ops_keep_float32_and_float64():
    for d in (F32, F64):
        x = t([0.5, 0.25], d)
        for fn in (ng.exp, ng.tan, ng.arcsin, ng.softplus, ng.rsqrt, ng.floor, ng.logsigmoid,
                   lambda v: ng.var(v), lambda v: ng.prod(v), lambda v: ng.clamp(v, 0.3, 0.4)):
            assert fn(x).dtype == d


# ---- joins take PyTorch's result type (the highest category decides), checked vs torch 2.13
JOINS = [(("float32", "int64"), "float32"), (("int64", "bool"), "int64"),
         (("bool", "bool"), "bool"), (("float32", "float64"), "float64"),
         (("int32", "int64"), "int64"), (("uint8", "int8"), "int16"),
         (("complex64", "float64"), "complex128"), (("float16", "int64"), "float16")]


@pytest.mark.parametrize(("dts", "want"), JOINS)
def test_join_result_type(dts, want):
    ts = [ng.tensor(np.ones(2, dtype=d)) for d in dts]
    assert str(ng.cat(ts).dtype).endswith(want)
    assert str(ng.stack(ts).dtype).endswith(want)
    np.testing.assert_array_equal(ng.cat(ts).numpy(), np.ones(4))


def test_join_gradient_keeps_each_input_dtype():
    a = ng.tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    b = ng.tensor(np.arange(2))
    y = ng.cat([a, b])
    assert str(y.dtype).endswith("float32")
    (y * 2).sum().backward()
    assert a.grad.dtype == a.dtype
