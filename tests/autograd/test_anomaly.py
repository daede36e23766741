"""Anomaly mode: NaN checks in backward, forward traceback when a backward fails."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ndgrad as ng
from ndgrad.autograd import anomaly_mode


class NanGrad(ng.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        return grad * float("nan")


class Fail(ng.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        raise ValueError("backward exploded")


def _sqrt_nan_graph():
    x = ng.tensor(np.array([0.0, 1.0]), requires_grad=True)
    return x, (x.sqrt() * 0).sum()  # 0 * d sqrt(0) = 0 * inf = nan


def test_detect_anomaly_context_raises_on_nan_builtin():
    with ng.autograd.detect_anomaly(), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _, y = _sqrt_nan_graph()
        with pytest.raises(RuntimeError) as err:
            y.backward()
    assert str(err.value) == "Function 'SqrtBackward0' returned nan values in its 0th output."
    assert not ng.autograd.is_anomaly_enabled()


def test_detect_anomaly_custom_function_name():
    with ng.autograd.detect_anomaly():
        x = ng.tensor(np.array([1.0, 2.0]), requires_grad=True)
        y = NanGrad.apply(x).sum()
        with pytest.raises(RuntimeError, match=r"Function 'NanGradBackward' returned nan values "
                                               r"in its 0th output\."):
            y.backward()


def test_without_anomaly_nan_passes_through():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        x, y = _sqrt_nan_graph()
        y.backward()
    assert np.isnan(x.grad.numpy()[0])


def test_check_nan_false_does_not_raise():
    with ng.autograd.detect_anomaly(check_nan=False):
        x = ng.tensor(np.array([1.0]), requires_grad=True)
        NanGrad.apply(x).sum().backward()
    assert np.isnan(x.grad.numpy()).all()


def _forward_site(x):
    return Fail.apply(x)  # the traceback must point here


def test_failed_backward_warns_with_forward_traceback():
    with ng.autograd.detect_anomaly():
        x = ng.tensor(np.array([1.0, 2.0]), requires_grad=True)
        y = _forward_site(x).sum()
        with pytest.warns(UserWarning) as rec, pytest.raises(ValueError, match="exploded"):
            y.backward()
    msgs = [str(w.message) for w in rec]
    hit = [m for m in msgs if "Error detected in FailBackward" in m]
    assert hit, msgs
    assert "_forward_site" in hit[0] and "the traceback must point here" in hit[0]


def test_failed_backward_without_anomaly_no_warning():
    x = ng.tensor(np.array([1.0]), requires_grad=True)
    y = _forward_site(x).sum()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError):
            y.backward()


def test_set_detect_anomaly_function_and_context():
    assert not ng.autograd.is_anomaly_enabled()
    ng.autograd.set_detect_anomaly(True)
    try:
        assert ng.autograd.is_anomaly_enabled()
        x = ng.tensor(np.array([3.0]), requires_grad=True)
        y = NanGrad.apply(x).sum()
        with pytest.raises(RuntimeError, match="returned nan values"):
            y.backward()
    finally:
        ng.autograd.set_detect_anomaly(False)
    assert not ng.autograd.is_anomaly_enabled()
    with ng.autograd.set_detect_anomaly(True):
        assert ng.autograd.is_anomaly_enabled()
    assert not ng.autograd.is_anomaly_enabled()
    assert anomaly_mode.is_anomaly_check_nan_enabled()
