"""``ng.save`` / ``ng.load``: nested containers of Tensors, arrays and plain Python values in
one ``.npz`` file (the arrays, plus a JSON description of the structure). Never pickle: loading
uses ``allow_pickle=False`` and refuses anything else, so a file can only ever yield data.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections import OrderedDict
from typing import Any

import numpy as np

from . import _backend
from ._tensor import Tensor

_STRUCT_KEY = "__ndgrad_structure__"
_FORMAT = "ndgrad.save"
_VERSION = 1
_ZIP_MAGIC = b"PK\x03\x04"
_SCALARS = (str, int, float, bool, type(None))


def _name(f: Any) -> str:
    return os.fspath(f) if isinstance(f, (str, os.PathLike)) else getattr(f, "name", repr(f))


class _Encoder:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self._by_id: dict[int, str] = {}

    def _array(self, arr: Any) -> str:
        key = self._by_id.get(id(arr))
        if key is None:
            host = _backend.to_numpy(arr)
            if host.dtype.hasobject:
                raise TypeError("ng.save: object arrays cannot be saved (no pickle); convert "
                                "them to a numeric or string dtype")
            key = f"a{len(self.arrays)}"
            self.arrays[key] = host
            self._by_id[id(arr)] = key
        return key

    def encode(self, obj: Any) -> Any:
        if isinstance(obj, Tensor):
            return {"t": "tensor", "a": self._array(obj._data), "rg": bool(obj._rg)}
        if isinstance(obj, np.ndarray) or _backend.array_module(obj) is not np:
            return {"t": "array", "a": self._array(obj)}
        if isinstance(obj, np.generic):
            return {"t": "npscalar", "a": self._array(np.asarray(obj))}
        if isinstance(obj, bool) or obj is None or isinstance(obj, str):
            return {"t": "v", "v": obj}
        if isinstance(obj, int):
            return {"t": "v", "v": int(obj)}
        if isinstance(obj, float):
            return {"t": "v", "v": float(obj)}
        if isinstance(obj, np.dtype):
            return {"t": "dtype", "v": obj.str}
        if isinstance(obj, dict):
            kind = "odict" if isinstance(obj, OrderedDict) else "dict"
            return {"t": kind, "v": [[self.encode(k), self.encode(v)] for k, v in obj.items()]}
        if isinstance(obj, (list, tuple)):
            return {"t": "list" if isinstance(obj, list) else "tuple",
                    "v": [self.encode(v) for v in obj]}
        raise TypeError(f"ng.save: cannot save an object of type {type(obj).__name__}: only "
                        "Tensors, arrays, numbers, strings, bools, None and dicts/lists/tuples "
                        "of them (no pickle is ever written)")


def save(obj: Any, f: Any) -> None:
    """Write ``obj`` (e.g. a module or optimizer state dict) to ``f`` (a path or a binary file)
    as one .npz archive: exactly that path, no suffix added."""
    enc = _Encoder()
    root = enc.encode(obj)
    meta = json.dumps({"format": _FORMAT, "version": _VERSION, "root": root})
    arrays = dict(enc.arrays)
    arrays[_STRUCT_KEY] = np.frombuffer(meta.encode("utf-8"), dtype=np.uint8)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            np.savez(fh, **arrays)
    else:
        np.savez(f, **arrays)


class _Decoder:
    def __init__(self, archive: Any, name: str, map_location: Any) -> None:
        self.archive, self.name, self.map_location = archive, name, map_location
        self._cache: dict[str, Any] = {}

    def _bad(self, what: str) -> ValueError:
        return ValueError(f"ng.load: {self.name} is not a valid ndgrad file: {what}")

    def _array(self, key: Any) -> Any:
        if not isinstance(key, str) or key == _STRUCT_KEY or key not in self.archive.files:
            raise self._bad(f"missing array {key!r}")
        if key not in self._cache:
            try:
                arr = self.archive[key]
            except ValueError as e:  # object arrays need pickle: refused
                raise self._bad(f"array {key!r} cannot be read without pickle ({e})") from None
            except Exception as e:
                raise self._bad(f"array {key!r} is corrupt ({type(e).__name__}: {e})") from None
            if self.map_location is not None and not callable(self.map_location):
                arr = _backend.to_device(arr, self.map_location)
            self._cache[key] = arr
        return self._cache[key]

    def decode(self, node: Any, depth: int = 0) -> Any:
        if depth > 500:
            raise self._bad("structure nested too deeply")
        if not isinstance(node, dict) or "t" not in node:
            raise self._bad("malformed structure entry")
        t = node["t"]
        if t == "tensor":
            arr = self._array(node.get("a"))
            out = Tensor._make(arr)
            if node.get("rg") is True and arr.dtype.kind in "fc":
                out._rg = True
            return out
        if t == "array":
            return self._array(node.get("a"))
        if t == "npscalar":
            return self._array(node.get("a"))[()]
        if t == "v":
            v = node.get("v")
            if not isinstance(v, _SCALARS):
                raise self._bad("malformed value")
            return v
        if t == "dtype":
            try:
                return np.dtype(str(node.get("v")))
            except TypeError:
                raise self._bad("bad dtype") from None
        items = node.get("v")
        if not isinstance(items, list):
            raise self._bad("malformed container")
        if t in ("dict", "odict"):
            out_d: dict = OrderedDict() if t == "odict" else {}
            for pair in items:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise self._bad("malformed dict entry")
                k = self.decode(pair[0], depth + 1)
                try:
                    out_d[k] = self.decode(pair[1], depth + 1)
                except TypeError:
                    raise self._bad("unhashable dict key") from None
            return out_d
        if t == "list":
            return [self.decode(v, depth + 1) for v in items]
        if t == "tuple":
            return tuple(self.decode(v, depth + 1) for v in items)
        raise self._bad(f"unknown entry type {t!r}")


def load(f: Any, map_location: Any = None, weights_only: bool = True) -> Any:
    """Read what ``ng.save`` wrote. Anything else (a pickle, a truncated or foreign archive,
    an object array) raises ValueError naming the file; no code in the file ever runs."""
    name = _name(f)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            return _load(fh, name, map_location)
    return _load(f, name, map_location)


def _load(fh: Any, name: str, map_location: Any) -> Any:
    head = fh.read(4)
    fh.seek(-len(head), 1)
    if head != _ZIP_MAGIC:
        hint = " (it looks like a pickle, which ng.load never reads)" if head[:1] == b"\x80" \
            else ""
        raise ValueError(f"ng.load: {name} is not an ndgrad file (expected a .npz archive "
                         f"written by ng.save){hint}")
    try:
        archive = np.load(fh, allow_pickle=False)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise ValueError(f"ng.load: {name} is corrupt or truncated ({type(e).__name__}: "
                         f"{e})") from None
    try:
        if not hasattr(archive, "files") or _STRUCT_KEY not in archive.files:
            raise ValueError(f"ng.load: {name} is a .npz archive but not one written by "
                             "ng.save (no structure entry)")
        try:
            raw = archive[_STRUCT_KEY]
            meta = json.loads(bytes(raw.astype(np.uint8, copy=False)).decode("utf-8"))
        except Exception as e:
            raise ValueError(f"ng.load: {name} has a corrupt structure entry "
                             f"({type(e).__name__}: {e})") from None
        if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
            raise ValueError(f"ng.load: {name} is not an ndgrad file (unknown format)")
        if meta.get("version") != _VERSION:
            raise ValueError(f"ng.load: {name} has format version {meta.get('version')}, this "
                             f"ndgrad reads version {_VERSION}")
        return _Decoder(archive, name, map_location).decode(meta.get("root"))
    except zipfile.BadZipFile as e:
        raise ValueError(f"ng.load: {name} is corrupt ({e})") from None
    finally:
        archive.close()
