"""Per-thread grad and inference flags (context variables), and the context managers/decorators
that flip them.

Ops read the grad flag through ``grad_enabled`` (one C call); users through ``is_grad_enabled()``.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
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

    def __new__(cls, *args: Any) -> Any:
        # ``@no_grad`` without the call, as PyTorch 2 accepts: the function is the argument
        if len(args) == 1 and callable(args[0]) and not isinstance(args[0], bool):
            return cls()(args[0])
        return super().__new__(cls)

    def __call__(self, func: F) -> F:
        mode_args = self._args()
        if inspect.isgeneratorfunction(func):
            # a generator's body runs at each next(), after the call returned: the mode is
            # set around every resumption, as PyTorch's decorators do
            @functools.wraps(func)
            def gen_wrapper(*args: Any, **kwargs: Any) -> Any:
                gen = func(*args, **kwargs)
                sent, thrown = None, None
                while True:
                    with self.__class__(*mode_args):
                        try:
                            item = gen.send(sent) if thrown is None else gen.throw(thrown)
                        except StopIteration as stop:
                            return stop.value
                    try:
                        sent, thrown = (yield item), None
                    except GeneratorExit:
                        with self.__class__(*mode_args):
                            gen.close()
                        raise
                    except BaseException as e:  # g.throw(e): passed on to the generator
                        sent, thrown = None, e

            return gen_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__(*mode_args):
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
        # inside inference_mode nothing records, as in PyTorch (whose is_grad_enabled() says
        # True there; here it stays False, the flag that ops read)
        _ENABLED.set(not _INFERENCE.get())

    def __exit__(self, *exc: object) -> None:
        _ENABLED.set(self._prev)


class set_grad_enabled(_Mode):
    """Set grad mode to ``mode`` at once; as a context manager, undone on exit."""

    __slots__ = ("mode",)

    def __new__(cls, mode: bool) -> Any:
        return object.__new__(cls)

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._prev = _ENABLED.get()
        _ENABLED.set(self.mode and not _INFERENCE.get())  # (inference mode: see enable_grad)

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

    def __new__(cls, mode: Any = True) -> Any:
        if not isinstance(mode, bool) and callable(mode):
            return cls()(mode)  # ``@inference_mode`` without the call
        return object.__new__(cls)

    def __init__(self, mode: bool = True) -> None:
        self.mode = bool(mode)

    def _args(self) -> tuple:
        return (self.mode,)

    def __enter__(self) -> None:
        self._prev = _ENABLED.get()
        self._prev_inf = _INFERENCE.get()
        # inference_mode(False) turns inference off and grad on, even inside no_grad or an
        # outer inference_mode (PyTorch's InferenceMode(false))
        _ENABLED.set(not self.mode)
        _INFERENCE.set(self.mode)

    def __exit__(self, *exc: object) -> None:
        _ENABLED.set(self._prev)
        _INFERENCE.set(self._prev_inf)
