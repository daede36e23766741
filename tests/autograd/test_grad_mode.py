"""Grad modes: thread-local, context managers and decorators."""

from __future__ import annotations

import threading

import pytest

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


# ---- PyTorch 2's decorator forms and mode nesting (checked against torch 2.13)
def test_decorators_without_the_call():
    @ng.no_grad
    def off():
        return ng.is_grad_enabled()

    @ng.enable_grad
    def on():
        return ng.is_grad_enabled()

    @ng.inference_mode
    def inf():
        return ng.is_inference_mode_enabled()

    assert off() is False
    with ng.no_grad():
        assert on() is True
    assert inf() is True
    assert ng.is_grad_enabled() and not ng.is_inference_mode_enabled()


def test_decorated_generator_runs_every_step_in_the_mode():
    seen = []

    @ng.no_grad()
    def gen():
        seen.append(ng.is_grad_enabled())
        got = yield 1
        seen.append((ng.is_grad_enabled(), got))
        try:
            yield 2
        except KeyError:
            seen.append(("caught", ng.is_grad_enabled()))
            yield 3
        return 4

    g = gen()
    assert next(g) == 1
    assert ng.is_grad_enabled()  # the caller's mode between steps
    assert g.send("x") == 2
    assert g.throw(KeyError("k")) == 3
    with pytest.raises(StopIteration) as stop:
        next(g)
    assert stop.value.value == 4
    assert seen == [False, (False, "x"), ("caught", False)]


def test_inference_mode_false_turns_grad_on_inside_other_modes():
    x = ng.ones(2, requires_grad=True)
    with ng.inference_mode():
        with ng.inference_mode(False):
            assert ng.is_grad_enabled() and not ng.is_inference_mode_enabled()
            assert (x * 2).requires_grad
        assert ng.is_inference_mode_enabled() and not ng.is_grad_enabled()
    with ng.no_grad(), ng.inference_mode(False):
        assert ng.is_grad_enabled()


def test_enable_grad_inside_inference_mode_records_nothing():
    x = ng.ones(2, requires_grad=True)
    with ng.inference_mode():
        with ng.enable_grad():
            assert not (x * 2).requires_grad
        with ng.set_grad_enabled(True):
            assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
