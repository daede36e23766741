"""ng.save / ng.load: round trips of nested state, and refusal of anything that is not data."""

from __future__ import annotations

import io
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import ndgrad as ng
from ndgrad import nn


def test_round_trip_nested_structures(tmp_path):
    obj = {
        "t": ng.tensor([1.0, 2.0], requires_grad=True),
        "i64": ng.tensor([1, 2, 3]),
        "arr": np.arange(6, dtype=np.int16).reshape(2, 3),
        "nested": [1, 2.5, "s", None, True, (3, ng.zeros(2, 2))],
        "od": OrderedDict([("b", 1), ("a", 2)]),
        7: "int key",
        "scalar": np.float32(1.5),
        "nan": float("nan"),
    }
    path = tmp_path / "x.ndg"
    ng.save(obj, path)
    assert path.exists() and not (tmp_path / "x.ndg.npz").exists()  # exactly that path
    out = ng.load(path)
    assert set(out) == set(obj)
    assert isinstance(out["t"], ng.Tensor) and out["t"].requires_grad
    np.testing.assert_array_equal(out["t"].detach().numpy(), [1.0, 2.0])
    assert out["i64"].dtype == ng.int64 and out["i64"].tolist() == [1, 2, 3]
    assert out["arr"].dtype == np.int16 and out["arr"].shape == (2, 3)
    assert out["nested"][:5] == [1, 2.5, "s", None, True]
    assert isinstance(out["nested"][5], tuple) and out["nested"][5][1].shape == (2, 2)
    assert isinstance(out["od"], OrderedDict) and list(out["od"]) == ["b", "a"]
    assert out[7] == "int key"
    assert out["scalar"] == np.float32(1.5) and out["scalar"].dtype == np.float32
    assert np.isnan(out["nan"])


def test_module_state_dict_round_trip(tmp_path):
    m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(8, 3))
    m(ng.randn(4, 1, 4, 4))  # moves the BatchNorm running stats
    path = tmp_path / "m.npz"
    ng.save(m.state_dict(), path)
    m2 = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(8, 3))
    m2.load_state_dict(ng.load(path))
    for (k, a), (_, b) in zip(m.state_dict().items(), m2.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
    m.eval()
    m2.eval()
    x = ng.randn(2, 1, 4, 4)
    np.testing.assert_array_equal(m(x).detach().numpy(), m2(x).detach().numpy())


def test_file_objects(tmp_path):
    buf = io.BytesIO()
    ng.save({"w": ng.ones(3)}, buf)
    buf.seek(0)
    assert ng.load(buf)["w"].tolist() == [1.0, 1.0, 1.0]


def test_unsupported_objects_are_not_saved(tmp_path):
    with pytest.raises(TypeError, match="cannot save"):
        ng.save({"f": lambda: 0}, tmp_path / "f.npz")
    with pytest.raises(TypeError, match="object arrays"):
        ng.save(np.array([{}], dtype=object), tmp_path / "o.npz")


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickle_file_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"x": _Payload(str(marker))}))
    with pytest.raises(ValueError, match="evil.pt.*not an ndgrad file"):
        ng.load(path)
    assert not marker.exists()


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_npz_with_object_array_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned2"
    path = tmp_path / "evil.npz"
    ng.save({"w": ng.ones(2)}, path)
    # add an object-dtype (pickled) array to an otherwise valid file
    with zipfile.ZipFile(path, "a") as z:
        buf = io.BytesIO()
        np.save(buf, np.array([_Payload(str(marker))], dtype=object), allow_pickle=True)
        z.writestr("a0.npy", buf.getvalue())  # shadows the real array
    with pytest.raises(ValueError, match="evil.npz"):
        ng.load(path)
    assert not marker.exists()


def test_truncated_and_foreign_files(tmp_path):
    good = tmp_path / "good.npz"
    ng.save({"w": ng.randn(50, 50)}, good)
    data = good.read_bytes()
    cut = tmp_path / "cut.npz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="cut.npz"):
        ng.load(cut)
    plain = tmp_path / "plain.npz"
    np.savez(plain, a=np.ones(3))
    with pytest.raises(ValueError, match="plain.npz.*not one written by ng.save"):
        ng.load(plain)
    text = tmp_path / "t.txt"
    text.write_text("hello")
    with pytest.raises(ValueError, match="t.txt"):
        ng.load(text)
