"""Shared fixtures: restore grad mode, dtype and RNG after every test; hypothesis profiles."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

import ndgrad as ng
from ndgrad._dtypes import _default as _default_dtype
from ndgrad.autograd import anomaly_mode, grad_mode

settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _restore_global_state():
    enabled, inference = grad_mode._ENABLED.get(), grad_mode._INFERENCE.get()
    dtype = _default_dtype.value
    anomaly = anomaly_mode._state.enabled
    ng.manual_seed(0)
    yield
    grad_mode._ENABLED.set(enabled)
    grad_mode._INFERENCE.set(inference)
    _default_dtype.value = dtype
    anomaly_mode._state.enabled = anomaly


@pytest.fixture(params=["cpu"])
def device(request):
    """Every available device (cuda joins when cupy sees a GPU)."""
    return request.param


def pytest_generate_tests(metafunc):
    if "device" in metafunc.fixturenames and ng._backend.gpu_available():
        metafunc.parametrize("device", ["cpu", "cuda"], indirect=True)
