"""Every Tensor method that delegates to ``_ops.<name>`` names an op that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import ndgrad as ng

SRC = Path(ng.__file__).parent
NAMES = sorted({m for f in ("_tensor.py", "_tensor_ops.py")
                for m in re.findall(r"_ops\.(\w+)", (SRC / f).read_text())})


@pytest.mark.parametrize("name", NAMES)
def test_delegated_op_exists(name):
    assert callable(getattr(ng.ops, name, None)), f"Tensor delegates to missing op {name}"


# elementwise functions that PyTorch also offers as Tensor methods: method == function
METHOD_FUNCS = ["floor", "ceil", "round", "trunc", "fix", "arcsinh", "arccosh", "arctanh",
                "asinh", "acosh", "atanh"]


@pytest.mark.parametrize("name", METHOD_FUNCS)
def test_method_equals_function(name):
    import numpy as np

    a = np.array([[1.25, 2.5], [3.75, 1.5]])
    if name in ("arctanh", "atanh"):
        a = a / 4
    fn = getattr(ng, name, None) or getattr(ng, {"asinh": "arcsinh", "acosh": "arccosh",
                                                "atanh": "arctanh"}[name])
    got = getattr(ng.tensor(a), name)()
    np.testing.assert_array_equal(got.numpy(), fn(ng.tensor(a)).numpy())


def test_index_put_methods():
    import numpy as np

    x = ng.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=ng.float64, requires_grad=True)
    w = ng.tensor([10.0, 20.0], dtype=ng.float64, requires_grad=True)
    idx = (ng.tensor([0, 1]), ng.tensor([1, 0]))
    r = (x * 1).index_put(idx, w)
    np.testing.assert_array_equal(r.detach().numpy(), [[1.0, 10.0], [20.0, 4.0]])
    (r * ng.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=ng.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 0.0], [0.0, 4.0]])
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 3.0])
    z = ng.zeros(3)
    assert z.index_put_((ng.tensor([0, 0, 2]),), ng.tensor([1.0, 2.0, 3.0]),
                        accumulate=True) is z
    np.testing.assert_array_equal(z.numpy(), [3.0, 0.0, 3.0])


def test_t_transposes_matrices_and_keeps_vectors():
    import numpy as np

    a = np.arange(6.0).reshape(2, 3)
    x = ng.tensor(a, requires_grad=True)
    np.testing.assert_array_equal(x.t().detach().numpy(), a.T)
    (x.t() * ng.tensor(a.T)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), a)
    v = ng.tensor([1.0, 2.0])
    np.testing.assert_array_equal(v.t().numpy(), [1.0, 2.0])
    assert ng.tensor(3.0).t().shape == ()
    with pytest.raises(RuntimeError, match="<= 2 dimensions"):
        ng.ones((2, 2, 2)).t()


def test_scatter_in_place_methods():
    import numpy as np

    idx = ng.tensor([[0, 1], [2, 0]])
    src = ng.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=ng.float64, requires_grad=True)
    base = ng.zeros((2, 3), dtype=ng.float64, requires_grad=True)
    h = base * 1
    assert h.scatter_(1, idx, src) is h
    np.testing.assert_array_equal(h.detach().numpy(), [[1, 2, 0], [4, 0, 3]])
    h.sum().backward()
    np.testing.assert_array_equal(src.grad.numpy(), np.ones((2, 2)))
    np.testing.assert_array_equal(base.grad.numpy(), [[0, 0, 1], [0, 1, 0]])
    z = ng.ones((2, 3))
    assert z.scatter_add_(1, idx, ng.tensor([[1.0, 2.0], [3.0, 4.0]])) is z
    np.testing.assert_array_equal(z.numpy(), [[2, 3, 1], [5, 1, 4]])
    w = ng.zeros((2, 3))
    w.scatter_(1, idx, value=7.0)
    np.testing.assert_array_equal(w.numpy(), [[7, 7, 0], [7, 0, 7]])


def test_view_refuses_a_copy_as_pytorch():
    x = ng.arange(6.0).reshape(2, 3)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        x.transpose(0, 1).view(6)
    assert x.transpose(0, 1).view(3, 2).shape == (3, 2)  # strides allow it
    assert x[:, :1].view(2).shape == (2,)
    assert x.transpose(0, 1).reshape(6).shape == (6,)  # reshape copies
