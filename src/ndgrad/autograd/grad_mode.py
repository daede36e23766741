"""Per-thread grad and inference flags (context variables), and the context managers/decorators
that flip them.

Ops read the grad flag through ``grad_enabled`` (one C call); users through ``is_grad_enabled()``.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

# Context variables: per thread (a new thread starts with the defaults) and per asyncio task.
# Every op reads the grad flag; ContextVar.get is one C call, a threading.local attribute
# costs three times as much.
_ENABLED: contextvars.ContextVar[bool] = contextvars.ContextVar("ndgrad_grad", default=True)
_INFERENCE: contextvars.ContextVar[bool] = contextvars.ContextVar("ndgrad_inference",
                                                                  default=False)
grad_enabled = _ENABLED.get  # the hot-path read (internal); is_grad_enabled is the public one
set_grad_flag = _ENABLED.set  # internal: the engine sets create_graph for backward rules
reset_grad_flag = _ENABLED.reset  # internal: and puts the caller's mode back (set's token)


def is_grad_enabled() -> bool:
    """True when ops record the graph for backward."""
    return _ENABLED.get()


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode()``."""
    return _INFERENCE.get()


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
        self._prev = _ENABLED.get()
        _ENABLED.set(False)

    def __exit__(self, *exc: object) -> None:
        _ENABLED.set(self._prev)


class enable_grad(_Mode):
    """Enable graph recording (inside ``no_grad``)."""

    __slots__ = ()

    def __enter__(self) -> None:
        self._prev = _ENABLED.get()
        _ENABLED.set(True)

    def __exit__(self, *exc: object) -> None:
        _ENABLED.set(self._prev)


class set_grad_enabled(_Mode):
    """Set grad mode to ``mode`` at once; as a context manager, undone on exit."""

    __slots__ = ("mode",)

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._prev = _ENABLED.get()
        _ENABLED.set(self.mode)

    def _args(self) -> tuple:
        return (self.mode,)

    def __call__(self, func: F) -> F:
        _ENABLED.set(self._prev)  # used as a decorator: do not leave the mode flipped
        return super().__call__(func)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        _ENABLED.set(self._prev)


class inference_mode(_Mode):
    """Like ``no_grad`` and also marks the mode as inference (tensors made here never need grad)."""

    __slots__ = ("mode", "_prev_inf")

    def __init__(self, mode: bool = True) -> None:
        self.mode = bool(mode)

    def _args(self) -> tuple:
        return (self.mode,)

    def __enter__(self) -> None:
        self._prev = _ENABLED.get()
        self._prev_inf = _INFERENCE.get()
        if self.mode:
            _ENABLED.set(False)
            _INFERENCE.set(True)

    def __exit__(self, *exc: object) -> None:
        _ENABLED.set(self._prev)
        _INFERENCE.set(self._prev_inf)
