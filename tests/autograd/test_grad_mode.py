"""Grad modes: thread-local, context managers and decorators."""

from __future__ import annotations

import threading

import ndgrad as ng


def test_no_grad_context_and_decorator():
    x = ng.tensor([1.0], requires_grad=True)
    with ng.no_grad():
        assert not ng.is_grad_enabled()
        assert not (x * 2).requires_grad
    assert ng.is_grad_enabled()

    @ng.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad and ng.is_grad_enabled()


def test_enable_grad_inside_no_grad():
    x = ng.tensor([1.0], requires_grad=True)
    with ng.no_grad():
        with ng.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad


def test_set_grad_enabled_function_and_context():
    x = ng.tensor([1.0], requires_grad=True)
    ng.set_grad_enabled(False)
    assert not (x * 2).requires_grad
    ng.set_grad_enabled(True)
    with ng.set_grad_enabled(False):
        assert not ng.is_grad_enabled()
    assert ng.is_grad_enabled()

    @ng.set_grad_enabled(False)
    def f():
        return ng.is_grad_enabled()

    assert f() is False and ng.is_grad_enabled()


def test_inference_mode():
    x = ng.tensor([1.0], requires_grad=True)
    with ng.inference_mode():
        assert ng.is_inference_mode_enabled()
        assert not (x * 2).requires_grad
    assert not ng.is_inference_mode_enabled()

    @ng.inference_mode()
    def f():
        return ng.is_grad_enabled()

    assert f() is False


def test_grad_mode_is_thread_local():
    seen = []
    with ng.no_grad():
        t = threading.Thread(target=lambda: seen.append(ng.is_grad_enabled()))
        t.start()
        t.join()
    assert seen == [True]


def test_a_thread_s_mode_does_not_leak_into_others():
    inside, after = [], []
    started, release = threading.Event(), threading.Event()

    def worker():
        with ng.no_grad():
            started.set()
            release.wait(5)
            inside.append(ng.is_grad_enabled())
        after.append(ng.is_grad_enabled())

    t = threading.Thread(target=worker)
    t.start()
    started.wait(5)
    x = ng.ones(2, requires_grad=True)
    assert ng.is_grad_enabled() and (x * 2).requires_grad  # main thread still records
    release.set()
    t.join()
    assert inside == [False] and after == [True]


def test_anomaly_mode_is_process_wide_like_pytorch():
    seen = []
    with ng.autograd.detect_anomaly():
        t = threading.Thread(target=lambda: seen.append(ng.autograd.is_anomaly_enabled()))
        t.start()
        t.join()
    assert seen == [True] and not ng.autograd.is_anomaly_enabled()


def test_mode_restored_after_exception():
    try:
        with ng.no_grad():
            raise ValueError
    except ValueError:
        pass
    assert ng.is_grad_enabled()
