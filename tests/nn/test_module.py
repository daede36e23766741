"""nn.Module machinery: registration, traversal, modes, state_dict, to(), repr; layer init."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import ndgrad as ng
from ndgrad import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.act = nn.ReLU()
        self.blocks = nn.ModuleList([nn.Linear(3, 3), nn.Linear(3, 2)])
        self.scale = nn.Parameter(ng.ones(1))
        self.register_buffer("steps", ng.zeros(1))
        self.register_buffer("tmp", ng.zeros(2), persistent=False)
        self.plain = 5

    def forward(self, x):
        x = self.act(self.fc1(x))
        for b in self.blocks:
            x = b(x)
        return x * self.scale


def test_registration_and_traversal():
    m = Net()
    names = [n for n, _ in m.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "blocks.0.weight", "blocks.0.bias",
                     "blocks.1.weight", "blocks.1.bias"]
    assert len(list(m.parameters())) == 7
    assert [n for n, _ in m.named_buffers()] == ["steps", "tmp"]
    assert [n for n, _ in m.named_children()] == ["fc1", "act", "blocks"]
    assert [n for n, _ in m.named_modules()] == ["", "fc1", "act", "blocks", "blocks.0",
                                                 "blocks.1"]
    assert m.plain == 5 and "plain" not in m._parameters
    assert isinstance(m.fc1.weight, nn.Parameter) and m.fc1.weight.requires_grad
    assert not isinstance(ng.ones(2), nn.Parameter)
    m.fc1 = None
    assert [n for n, _ in m.named_children()] == ["act", "blocks"]
    with pytest.raises(TypeError):
        m.scale = ng.ones(1)  # a plain tensor cannot replace a parameter
    with pytest.raises(AttributeError):
        _ = m.nope


def test_shared_parameters_counted_once():
    lin = nn.Linear(2, 2)
    m = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(m.parameters())) == 2
    assert len(m.state_dict()) == 4  # state_dict keeps every name, as PyTorch


def test_forward_backward_zero_grad():
    m = Net()
    m(ng.randn(5, 4)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_train_eval_apply_requires_grad():
    m = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    assert m.training and m[1].training
    m.eval()
    assert not m.training and not m[1].training
    x = ng.ones(3, 2)
    np.testing.assert_array_equal(m(x).detach().numpy(), m[0](x).detach().numpy())
    m.train()
    assert m[1].training
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Linear", "Dropout", "Sequential"]
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_state_dict_round_trip_and_strict_errors():
    a, b = Net(), Net()
    sd = a.state_dict()
    assert list(sd) == ["scale", "steps", "fc1.weight", "fc1.bias", "blocks.0.weight",
                        "blocks.0.bias", "blocks.1.weight", "blocks.1.bias"]
    assert not sd["fc1.weight"].requires_grad
    res = b.load_state_dict(sd)
    assert res.missing_keys == [] and res.unexpected_keys == []
    for (na, pa), (nb, pb) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(pa.detach().numpy(), pb.detach().numpy())
    assert pb._data is not pa._data  # copied, not aliased
    bad = dict(sd)
    bad["extra"] = ng.zeros(1)
    del bad["scale"]
    with pytest.raises(RuntimeError, match='(?s)Unexpected key.*"extra".*Missing key.*"scale"'):
        b.load_state_dict(bad)
    res = b.load_state_dict(bad, strict=False)
    assert res.missing_keys == ["scale"] and res.unexpected_keys == ["extra"]
    wrong = dict(sd)
    wrong["fc1.weight"] = ng.zeros(4, 3)
    with pytest.raises(RuntimeError, match=r"size mismatch for fc1.weight.*\(4, 3\).*\(3, 4\)"):
        b.load_state_dict(wrong)
    with pytest.raises(RuntimeError, match="size mismatch"):
        b.load_state_dict(wrong, strict=False)  # shapes are checked even when not strict


def test_to_dtype_and_deepcopy():
    m = Net().double()
    assert all(p.dtype == ng.float64 for p in m.parameters())
    assert m.steps.dtype == ng.float64
    m.to(ng.float32)
    assert m.fc1.weight.dtype == ng.float32
    with pytest.raises(TypeError):
        m.to(ng.int64)
    c = copy.deepcopy(m)
    assert c.fc1.weight._data is not m.fc1.weight._data
    np.testing.assert_array_equal(c.fc1.weight.numpy(force=True), m.fc1.weight.numpy(force=True))


def test_repr_like_pytorch():
    m = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Conv2d(1, 4, 3, stride=2, padding=1))
    assert repr(m) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Conv2d(1, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))\n"
        ")")


def test_containers():
    s = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    assert len(s) == 3 and isinstance(s[-1], nn.Linear)
    assert isinstance(s[:2], nn.Sequential) and len(s[:2]) == 2
    ml = nn.ModuleList()
    ml.append(nn.Linear(1, 1))
    ml.extend([nn.Tanh(), nn.Sigmoid()])
    assert len(ml) == 3 and isinstance(ml[1], nn.Tanh)
    with pytest.raises(IndexError):
        ml[3]
    d = nn.ModuleDict({"a": nn.Linear(1, 2)})
    assert "a" in d and len(list(d.parameters())) == 2


def test_forward_hooks():
    lin = nn.Linear(2, 2)
    calls = []
    h = lin.register_forward_hook(lambda mod, args, out: calls.append(out.shape))
    lin(ng.ones(3, 2))
    h.remove()
    lin(ng.ones(3, 2))
    assert calls == [(3, 2)]


def test_default_init_bounds_follow_pytorch():
    ng.manual_seed(0)
    lin = nn.Linear(400, 300)
    # kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the weight too
    bound = 1 / math.sqrt(400)
    w = lin.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert np.abs(lin.bias.detach().numpy()).max() <= bound
    conv = nn.Conv2d(8, 16, 3)
    cb = 1 / math.sqrt(8 * 9)
    assert np.abs(conv.weight.detach().numpy()).max() <= cb
    assert np.abs(conv.bias.detach().numpy()).max() <= cb


@pytest.mark.parametrize("name,want_std", [
    ("xavier_uniform_", math.sqrt(2.0 / (200 + 300))),
    ("xavier_normal_", math.sqrt(2.0 / (200 + 300))),
    ("kaiming_uniform_", math.sqrt(2.0) / math.sqrt(200)),  # leaky_relu a=0 -> gain sqrt(2)
    ("kaiming_normal_", math.sqrt(2.0) / math.sqrt(200)),
])
def test_init_std(name, want_std):
    ng.manual_seed(1)
    t = ng.empty(300, 200, dtype=ng.float64)
    getattr(nn.init, name)(t)
    assert abs(t.numpy().std() - want_std) < 0.02 * want_std
    if name.endswith("uniform_"):
        assert np.abs(t.numpy()).max() <= want_std * math.sqrt(3)


def test_init_helpers():
    t = ng.empty(3, 4)
    nn.init.constant_(t, 2.5)
    assert np.all(t.numpy() == 2.5)
    nn.init.zeros_(t)
    assert np.all(t.numpy() == 0)
    nn.init.ones_(t)
    assert np.all(t.numpy() == 1)
    nn.init.uniform_(t, -0.1, 0.1)
    assert np.abs(t.numpy()).max() <= 0.1
    assert nn.init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert nn.init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    with pytest.raises(ValueError):
        nn.init.xavier_uniform_(ng.empty(3))


def test_parameter_repr_and_grad():
    p = nn.Parameter(ng.tensor([1.0, 2.0]))
    assert p.requires_grad and p.is_leaf
    assert "requires_grad=True" in repr(p)
    (p * p).sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), [2.0, 4.0])
    q = nn.Parameter(ng.tensor([1.0]), requires_grad=False)
    assert not q.requires_grad and isinstance(q, nn.Parameter)


def test_sequential_direct_forward_keeps_hooks_and_custom_call():
    nn = ng.nn
    calls = []

    class Loud(nn.Module):
        def forward(self, x):
            return x * 2

        def __call__(self, *args, **kwargs):
            calls.append("call")
            return super().__call__(*args, **kwargs)

    lin = nn.Linear(3, 3)
    seq = nn.Sequential(lin, nn.ReLU(), Loud())
    x = ng.tensor(np.ones((2, 3)))
    base = seq(x).detach().numpy().copy()
    assert calls == ["call"]
    h = lin.register_forward_hook(lambda m, a, out: out * 0)
    assert np.all(seq(x).detach().numpy() == 0)
    h.remove()
    p = seq[1].register_forward_pre_hook(lambda m, a: (a[0] * 0 - 1,))
    assert np.all(seq(x).detach().numpy() == 0)
    p.remove()
    np.testing.assert_array_equal(seq(x).detach().numpy(), base)


def test_reassigning_a_parameter_keeps_its_place():
    # weight tying: the order of parameters() and state_dict() must not change (PyTorch)
    e, d = ng.nn.Embedding(5, 3), ng.nn.Linear(3, 5)
    d.weight = e.weight
    assert list(ng.nn.Sequential(e, d).state_dict()) == ["0.weight", "1.weight", "1.bias"]
    assert [n for n, _ in d.named_parameters()] == ["weight", "bias"]
    s = ng.nn.Sequential(ng.nn.Linear(2, 2), ng.nn.Linear(2, 2))
    s._modules["0"], first = ng.nn.Tanh(), s._modules["0"]
    s.add_module("0", first)
    assert list(s._modules) == ["0", "1"]


def test_zero_grad_without_none_zeroes_the_same_gradient_in_place():
    m = ng.nn.Linear(2, 2)
    opt = ng.optim.SGD(m.parameters(), lr=0.1)
    for zero in (lambda: m.zero_grad(set_to_none=False),
                 lambda: opt.zero_grad(set_to_none=False)):
        m(ng.ones((1, 2))).sum().backward()
        g = m.weight.grad
        zero()
        assert m.weight.grad is g
        np.testing.assert_array_equal(g.numpy(), np.zeros((2, 2)))
        m(ng.ones((1, 2))).sum().backward()  # accumulates into the zeroed gradient again
        np.testing.assert_array_equal(m.weight.grad.numpy(), np.ones((2, 2)))
        m.zero_grad()


def test_module_dict_pop_and_clear():
    d = nn.ModuleDict({"a": nn.Linear(2, 2), "b": nn.Tanh()})
    m = d.pop("a")
    assert isinstance(m, nn.Linear) and list(d.keys()) == ["b"]
    assert len(list(d.parameters())) == 0
    with pytest.raises(KeyError):
        d.pop("a")
    d.clear()
    assert len(d) == 0
