"""Thread-local grad and inference flags, and the context managers/decorators that flip them.

Nothing else reads the raw state: ops ask ``is_grad_enabled()`` once per call.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _GradState(threading.local):
    def __init__(self) -> None:
        self.enabled = True
        self.inference = False


_state = _GradState()


def is_grad_enabled() -> bool:
    """True when ops record the graph for backward."""
    return _state.enabled


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode()``."""
    return _state.inference


class _Mode:
    """Base: a context manager that is also a decorator (as in PyTorch)."""

    __slots__ = ("_prev",)

    def __call__(self, func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__(*self._args()):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    def _args(self) -> tuple:
        return ()


class no_grad(_Mode):
    """Disable graph recording: results of ops do not require grad."""

    __slots__ = ()

    def __enter__(self) -> None:
        self._prev = _state.enabled
        _state.enabled = False

    def __exit__(self, *exc: object) -> None:
        _state.enabled = self._prev


class enable_grad(_Mode):
    """Enable graph recording (inside ``no_grad``)."""

    __slots__ = ()

    def __enter__(self) -> None:
        self._prev = _state.enabled
        _state.enabled = True

    def __exit__(self, *exc: object) -> None:
        _state.enabled = self._prev


class set_grad_enabled(_Mode):
    """Set grad mode to ``mode`` at once; as a context manager, undone on exit."""

    __slots__ = ("mode",)

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._prev = _state.enabled
        _state.enabled = self.mode

    def _args(self) -> tuple:
        return (self.mode,)

    def __call__(self, func: F) -> F:
        _state.enabled = self._prev  # used as a decorator: do not leave the mode flipped
        return super().__call__(func)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        _state.enabled = self._prev


class inference_mode(_Mode):
    """Like ``no_grad`` and also marks the mode as inference (tensors made here never need grad)."""

    __slots__ = ("mode", "_prev_inf")

    def __init__(self, mode: bool = True) -> None:
        self.mode = bool(mode)

    def _args(self) -> tuple:
        return (self.mode,)

    def __enter__(self) -> None:
        self._prev = _state.enabled
        self._prev_inf = _state.inference
        if self.mode:
            _state.enabled = False
            _state.inference = True

    def __exit__(self, *exc: object) -> None:
        _state.enabled = self._prev
        _state.inference = self._prev_inf
